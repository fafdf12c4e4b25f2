"""`chuhai analytics lift`: the increment a randomized holdout measured — from an
experiment run elsewhere (one JSON line per subject, or the columnar ``.npz`` form)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from chuhai.cli.support import fail

analytics_app = typer.Typer(help="Analytics: the lift of a holdout experiment.",
                            no_args_is_help=True)


@analytics_app.command("lift")
def lift(
    input_file: Annotated[Path, typer.Option(
        "--input", help="One line per subject: {\"subject\", \"group\": \"exposed\"|"
        "\"holdout\", \"orders\", \"gmv\", \"currency\"}; or a .npz with the columns "
        "subject, holdout, orders, gmv and currency.")],
    currency: Annotated[str | None, typer.Option(
        "--currency", help="Report GMV in this currency (with --rates).")] = None,
    rates: Annotated[str | None, typer.Option(
        "--rates", help="Rates into --currency, e.g. USD=0.92,JPY=0.0061.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Per group: n, conversion, orders and GMV per subject; the relative lift of each with
    a 95 % interval (delta method on the log ratio) and a p-value; incremental orders and
    GMV with intervals."""
    from chuhai.analytics import lift as lift_report
    from chuhai.core.errors import DomainError

    if not input_file.is_file():
        fail(f"{input_file}: no such file")
    try:
        table = _rates(rates)
        if input_file.suffix == ".npz":
            cols = lift_report.from_npz(str(input_file))
        else:
            cols = lift_report.from_rows(_lines(input_file), rates=table, currency=currency)
        out = lift_report.report(cols)
    except DomainError as exc:
        fail(f"{exc.code}: {exc.message}")
    if as_json:
        typer.echo(json.dumps(out))
        return
    for name, g in out["groups"].items():
        typer.echo(f"{name:8} n={g['n']:>10,}  conversion {g['conversion_rate']:.4%}  "
                   f"orders/subject {g['orders_per_subject']:.4f}  "
                   f"GMV/subject {g['gmv_per_subject']:.2f} {out['currency']}")
    for metric, x in out["lift"].items():
        if x["lift"] is None:
            typer.echo(f"lift {metric:10} —  ({x['note']})")
        else:
            typer.echo(f"lift {metric:10} {x['lift']:+.2%}  95 % [{x['low']:+.2%}, "
                       f"{x['high']:+.2%}]  p={x['p_value']:.3g}")
    for metric, x in out["incremental"].items():
        typer.echo(f"incremental {metric:6} {x['value']:,.1f}  95 % [{x['low']:,.1f}, "
                   f"{x['high']:,.1f}]")
    typer.echo(out["method"])


def _lines(path: Path) -> Any:
    from chuhai.core.errors import InvalidInput

    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                raise InvalidInput(f"line {n}: not JSON", code="lift_bad_row") from None


def _rates(raw: str | None) -> dict[str, float] | None:
    from chuhai.core.errors import InvalidInput

    if not raw:
        return None
    out = {}
    for part in raw.split(","):
        code, _, value = part.partition("=")
        try:
            out[code.strip().upper()] = float(value)
        except ValueError:
            raise InvalidInput(f"--rates: {part!r} is not CODE=RATE",
                               code="lift_bad_rates") from None
    return out
