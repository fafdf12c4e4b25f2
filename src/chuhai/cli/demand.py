"""`chuhai demand sellout`: the live sell-out estimate on a recorded series — the same
estimator the host console's alert uses (``demand.sellout``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from chuhai.cli.support import fail

demand_app = typer.Typer(help="Demand: when a pinned product sells out.",
                         no_args_is_help=True)
MAX_INPUT_BYTES = 1024 * 1024


@demand_app.command("sellout")
def sellout(
    input_file: Annotated[Path, typer.Option(
        "--input", help="JSON: {\"stock\": units left now, \"minute\": [units sold in each "
        "minute since the pin, oldest first], \"slot_minutes_left\": minutes until the "
        "planned end (or null), \"viewers\": [optional, viewers in each of those "
        "minutes]}")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the estimate as JSON.")
                       ] = False,
) -> None:
    """When the stock runs out at the rate seen, and the probability it runs out before the
    planned end (the next hour when there is none, said so)."""
    from chuhai.core.errors import DomainError
    from chuhai.demand.sellout import check, estimate

    try:
        raw = input_file.read_bytes()[:MAX_INPUT_BYTES + 1]
    except OSError as exc:
        fail(f"cannot read {input_file}: {exc.strerror}")
    if len(raw) > MAX_INPUT_BYTES:
        fail("bad_input: the file is over 1 MiB")
    try:
        data = json.loads(raw)
    except ValueError:
        fail("bad_input: the file is not JSON")
    if not isinstance(data, dict):
        fail("bad_input: the file must hold an object")
    try:
        stock, minute, left, viewers = check(data.get("stock"), data.get("minute"),
                                             data.get("slot_minutes_left"),
                                             data.get("viewers"))
    except DomainError as exc:
        fail(f"{exc.code}: {exc.message}")
    out = estimate(stock, minute, left, viewers).as_dict()
    if as_json:
        typer.echo(json.dumps(out))
        return
    when = out["sellout_minute"]
    typer.echo(f"sells out in {when} min" if when is not None else
               f"not expected to sell out within {out['horizon_minutes']} min")
    typer.echo(f"probability of selling out before the planned end: "
               f"{float(out['p_sellout_in_slot']):.0%}"
               f" (rate now {out['rate_per_minute']}/min, trend "
               f"{float(out['trend_per_minute']):+.1%}/min)")
    if "note" in out:
        typer.echo(str(out["note"]))
