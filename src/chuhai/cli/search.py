"""`chuhai search reindex`: bring the search index in step with the catalog from the shell
(after a bulk import, or to rebuild it whole with ``--all``), with progress; and
`chuhai search query` to try a query against a market."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from chuhai.cli.support import fail, with_stores
from chuhai.core.db import Stores

search_app = typer.Typer(help="Search: rebuild the index, try a query.", no_args_is_help=True)


@search_app.command("reindex")
def reindex(rebuild: Annotated[bool, typer.Option(
        "--all", help="Rebuild every document, not only the changed products'.")] = False
            ) -> None:
    """Index the products changed since they were last indexed (or all of them)."""
    from sqlalchemy import delete
    from sqlalchemy.exc import DBAPIError

    from chuhai.core.config import Settings
    from chuhai.search import index
    from chuhai.search.models import SearchDocument

    settings = Settings()

    async def run(stores: Stores) -> tuple[int, int]:
        indexed = removed = 0
        async with stores.session() as s:
            if rebuild:
                removed = int((await s.execute(delete(SearchDocument))).rowcount or 0)  # type: ignore[attr-defined]
                await s.commit()
            ids = await index.stale_products(s)
            typer.echo(f"{len(ids)} product(s) to index", err=True)
            for i in range(0, len(ids), index.BATCH):
                done = await index.index_products(s, ids[i:i + index.BATCH],
                                                  settings.data_dir)
                await s.commit()
                indexed += done.indexed
                removed += done.removed
                typer.echo(f"  {min(i + index.BATCH, len(ids))}/{len(ids)} products, "
                           f"{indexed} listing(s) indexed", err=True)
        return indexed, removed

    try:
        indexed, removed = with_stores(run, settings)
    except DBAPIError as exc:
        fail(f"cannot use the database (has `chuhai migrate` run?): {exc.orig}")
        return
    typer.echo(json.dumps({"indexed": indexed, "removed": removed}))


@search_app.command("query")
def query(q: str, market: Annotated[str, typer.Option("--market", help="e.g. DE")],
          limit: int = 10) -> None:
    """Print the ranked results of ``q`` in ``market`` (JSON lines), as the API ranks them."""
    from chuhai.core.config import Settings
    from chuhai.core.errors import DomainError
    from chuhai.search import service

    async def run(stores: Stores) -> list[dict[str, object]]:
        async with stores.session() as s:
            page = await service.search(s, q=q, market=market, limit=limit,
                                        dialect=s.get_bind().dialect.name)
        return [{"title": h.doc.title, "score": round(h.score, 3), "matched": h.matched,
                 "fallback": page.fallback} for h in page.hits]

    try:
        for row in with_stores(run, Settings()):
            typer.echo(json.dumps(row, ensure_ascii=False))
    except DomainError as exc:
        fail(f"{exc.message} ({exc.code})")
