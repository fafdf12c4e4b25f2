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
        "minutes], \"last_minute_share\": optional, the share of a minute the last one "
        "has run (more than 0, at most 1; default 1)}")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the estimate as JSON.")
                       ] = False,
) -> None:
    """When the stock runs out at the rate seen, and the probability it runs out before the
    planned end (the next hour when there is none, said so)."""
    from chuhai.core.errors import DomainError
    from chuhai.demand.sellout import check, check_share, estimate

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
    try:
        share = check_share(data.get("last_minute_share") if data.get(
            "last_minute_share") is not None else 1.0)
    except DomainError as exc:
        fail(f"{exc.code}: {exc.message}")
    out = estimate(stock, minute, left, viewers, last_share=share).as_dict()
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


@demand_app.command("forecast")
def forecast_cmd(
    input_file: Annotated[Path, typer.Option(
        "--input", help="CSV with the columns unique_id,ds,y: units sold per series and day "
        "(YYYY-MM-DD); a day not listed sold nothing")],
    horizon: Annotated[int, typer.Option("--horizon", help="Days ahead, 1 to 365.")] = 28,
    as_json: Annotated[bool, typer.Option("--json", help="Print the forecast as JSON.")
                       ] = False,
) -> None:
    """Daily forecasts with 80 % intervals per series (statsforecast: AutoTheta with a
    weekly season; TSB for intermittent series; the mean of under two weeks of history,
    said so)."""
    import csv

    from chuhai.core.errors import DomainError
    from chuhai.demand.forecast import check_horizon, forecast, parse_rows

    try:
        check_horizon(horizon)
        with input_file.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            if not {"unique_id", "ds", "y"} <= set(reader.fieldnames or []):
                fail("bad_input: the header must name unique_id,ds,y")
            series = parse_rows(reader)
        points = forecast(series, horizon)
    except OSError as exc:
        fail(f"cannot read {input_file}: {exc.strerror}")
    except (UnicodeDecodeError, csv.Error) as exc:
        fail(f"bad_input: not a readable UTF-8 CSV file ({exc})")
    except DomainError as exc:
        fail(f"{exc.code}: {exc.message}")
    out = [p.as_dict() for p in points]
    if as_json:
        typer.echo(json.dumps(out))
        return
    for p in out:
        typer.echo(f"{p['unique_id']}  {p['ds']}  {p['yhat']:>9.2f}  "
                   f"[{p['lo80']:.2f}, {p['hi80']:.2f}]  {p['model']}")
