"""`chuhai analytics lift`: the increment a randomized holdout measured — of an experiment
run here (``--experiment ID``), or of one run elsewhere (one JSON line per subject, or the
columnar ``.npz`` form); `chuhai analytics experiment start|stop|list` runs holdouts."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from chuhai.cli.support import fail, with_stores
from chuhai.core.db import Stores

analytics_app = typer.Typer(help="Analytics: holdout experiments and their lift.",
                            no_args_is_help=True)
experiment_app = typer.Typer(help="Randomized holdouts: start, stop, list.",
                             no_args_is_help=True)
analytics_app.add_typer(experiment_app, name="experiment")


@analytics_app.command("lift")
def lift(
    input_file: Annotated[Path | None, typer.Option(
        "--input", help="One line per subject: {\"subject\", \"group\": \"exposed\"|"
        "\"holdout\", \"orders\", \"gmv\", \"currency\"}; or a .npz with the columns "
        "subject, holdout, orders, gmv and currency.")] = None,
    experiment: Annotated[str | None, typer.Option(
        "--experiment", help="An experiment run here (its id, from `experiment list`).")
    ] = None,
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

    if (input_file is None) == (experiment is None):
        fail("name one of --input FILE or --experiment ID")
    if experiment is not None:
        meta = _experiment_lift(experiment)
        if as_json:
            typer.echo(json.dumps(meta))
            return
        typer.echo(f"{meta['experiment']} {meta['name']!r}: {meta['kind']} holdout of "
                   f"{meta['share']:.0%} ({meta['scope']}), {meta['status']} since "
                   f"{meta['started_at']}; assigned {meta['assigned']}, left out "
                   f"{meta['left_out']}")
        if meta["report"] is None:
            fail(f"{meta['reason']['code']}: {meta['reason']['message']}")
        _print(meta["report"])
        typer.echo(meta["fx_note"])
        return
    assert input_file is not None
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
    _print(out)


def _print(out: dict[str, Any]) -> None:
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


def _experiment_lift(exp_id: str) -> dict[str, Any]:
    from chuhai.analytics import holdouts
    from chuhai.analytics.models import Experiment
    from chuhai.crossborder.loader import rulebook

    async def run(stores: Stores) -> dict[str, Any] | None:
        async with stores.session() as s:
            exp = await s.get(Experiment, exp_id)
        if exp is None:
            return None
        return await holdouts.lift(stores, exp, rulebook(stores.settings.data_dir).fx)

    meta = with_stores(run)
    if meta is None:
        fail(f"experiment_not_found: no experiment {exp_id}")
    return meta


async def _org_id(stores: Stores, slug: str | None) -> str | None:
    """The seller's org id by slug; no slug: the platform's."""
    from sqlalchemy import select

    from chuhai.accounts.models import Org
    from chuhai.core.actor import PLATFORM_ORG_ID

    if slug is None:
        return PLATFORM_ORG_ID
    async with stores.session() as s:
        return await s.scalar(select(Org.id).where(Org.slug == slug))


def _for_seller(slug: str | None, read: Callable[[Stores, str], Awaitable[dict[str, Any]]]
                ) -> dict[str, Any]:
    """``read`` with the seller's org id, a missing seller or a domain error ending the
    command with its message (every per-seller command goes through here)."""
    from chuhai.core.errors import DomainError

    async def run(stores: Stores) -> dict[str, Any]:
        org_id = await _org_id(stores, slug)
        if org_id is None:
            fail(f"no seller with the slug {slug!r}")
        return await read(stores, org_id)

    try:
        out: dict[str, Any] = with_stores(run)
    except DomainError as exc:
        fail(f"{exc.code}: {exc.message}")
    return out


@experiment_app.command("start")
def experiment_start(
    name: Annotated[str, typer.Option("--name", help="What it tests, for the report.")],
    org: Annotated[str | None, typer.Option(
        "--org", help="The seller's slug (its items only); none: the platform's, the "
        "whole feed.")] = None,
    kind: Annotated[str, typer.Option(
        "--kind", help="interest (no feed) or personalization (the common feed).")
    ] = "interest",
    share: Annotated[str, typer.Option(
        "--share", help="The held-out share, more than 0 and at most 0.5.")] = "0.10",
) -> None:
    """Start a holdout; each buyer's group is drawn once (a hash of their id and the
    experiment's salt) and recorded when they are first active."""
    from chuhai.analytics import holdouts
    from chuhai.core.actor import Actor

    async def run(stores: Stores, org_id: str) -> dict[str, Any]:
        exp = await holdouts.start(stores, Actor.system(org_id), name=name, kind=kind,
                                   share=share)
        return {"id": exp.id, "kind": exp.kind, "share": exp.share_bp / 10_000}

    out = _for_seller(org, run)
    typer.echo(f"started {out['id']}: {out['kind']} holdout of {out['share']:.0%}")


@experiment_app.command("stop")
def experiment_stop(exp_id: Annotated[str, typer.Argument(help="The experiment's id.")]
                    ) -> None:
    """Stop it for good (a stopped experiment never runs again)."""
    from chuhai.analytics import holdouts
    from chuhai.analytics.models import Experiment
    from chuhai.core.actor import Actor
    from chuhai.core.errors import DomainError

    async def run(stores: Stores) -> str:
        async with stores.session() as s:
            exp = await s.get(Experiment, exp_id)
        if exp is None:
            fail(f"experiment_not_found: no experiment {exp_id}")
        done = await holdouts.set_status(stores, Actor.system(exp.org_id), exp_id, "stopped")
        return done.status

    try:
        typer.echo(f"{exp_id}: {with_stores(run)}")
    except DomainError as exc:
        fail(f"{exc.code}: {exc.message}")


@experiment_app.command("list")
def experiment_list() -> None:
    """Every experiment, newest first."""
    from sqlalchemy import select

    from chuhai.analytics.models import Experiment

    async def run(stores: Stores) -> list[Experiment]:
        async with stores.session() as s:
            return list((await s.scalars(select(Experiment).order_by(
                Experiment.started_at.desc()))).all())

    for e in with_stores(run):
        typer.echo(f"{e.id}  {e.status:8} {e.kind:15} {e.share_bp / 100:g} %  {e.org_id}  "
                   f"{e.started_at:%Y-%m-%d %H:%M}  {e.name}")


def _when(raw: str | None, what: str) -> Any:
    from datetime import UTC, datetime

    if raw is None:
        return None
    try:
        at = datetime.fromisoformat(raw)
    except ValueError:
        fail(f"bad_period: {what} {raw!r} is not an ISO date or time")
    return at if at.tzinfo else at.replace(tzinfo=UTC)


@analytics_app.command("rollup")
def rollup_cmd(
    since: Annotated[str | None, typer.Option(
        "--since", help="First hour to roll up (ISO date or time; default: 2 hours ago).")
    ] = None,
    until: Annotated[str | None, typer.Option(
        "--until", help="Last hour (default: now).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")
                       ] = False,
) -> None:
    """Roll up the funnel hour by hour (the worker does the last two hours every hour).
    Re-running an hour replaces it: nothing is counted twice; a second run at the same time
    is refused (rollup_running)."""
    from datetime import UTC, datetime, timedelta

    from chuhai.analytics import rollup
    from chuhai.core.errors import DomainError

    start = _when(since, "--since") or datetime.now(UTC) - timedelta(hours=2)
    try:
        out = with_stores(lambda stores: rollup.rollup(stores, start, _when(until, "--until")))
    except DomainError as exc:
        fail(f"{exc.code}: {exc.message}")
    typer.echo(json.dumps(out) if as_json else
               f"rolled up {out['hours']} hours from {out['from']}: {out['rows']} rows")


@analytics_app.command("funnel")
def funnel_cmd(
    org: Annotated[str, typer.Option("--org", help="The seller's slug.")],
    room: Annotated[str | None, typer.Option("--room", help="One of its rooms.")] = None,
    video: Annotated[str | None, typer.Option("--video", help="One of its videos.")] = None,
    product: Annotated[str | None, typer.Option("--product", help="One of its products.")
                       ] = None,
    host: Annotated[str | None, typer.Option("--host", help="One of its hosts (subject id):"
                                             " the rooms they hosted.")] = None,
    market: Annotated[str | None, typer.Option("--market", help="One market (DE, JP…).")
                      ] = None,
    from_: Annotated[str | None, typer.Option("--from", help="First day (default: 12 weeks "
                                              "ago).")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Last day (default: today).")
                  ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")
                       ] = False,
) -> None:
    """The funnel's steps with their counts and conversions, GMV and average order value,
    from the hourly rollup."""
    from datetime import UTC, date, datetime

    from chuhai.analytics import funnel, holdouts
    from chuhai.analytics.api import period
    from chuhai.crossborder.loader import rulebook

    named = [(k, v) for k, v in (("room", room), ("video", video), ("product", product),
                                 ("host", host)) if v]
    if len(named) > 1:
        fail("bad_scope: name one of --room, --video, --product, --host")
    scope, scope_id = named[0] if named else ("all", None)

    def day(raw: str | None, what: str) -> date | None:
        at = _when(raw, what)
        return at.date() if at else None

    async def run(stores: Stores, org_id: str) -> dict[str, Any]:
        start, end = period(day(from_, "--from"), day(to, "--to"), datetime.now(UTC).date())
        return await funnel.report(
            stores, org_id, start, end, market=market.upper() if market else None,
            scope=scope, scope_id=scope_id, fx=rulebook(stores.settings.data_dir).fx,
            currency=await holdouts.reporting_currency(stores, org_id))

    out = _for_seller(org, run)
    if as_json:
        typer.echo(json.dumps(out))
        return
    typer.echo(f"{out['scope']} {out['scope_id'] or ''} {out['market'] or 'all markets'} "
               f"{out['from'][:10]} – {out['to'][:10]}")
    for st in out["steps"]:
        conv = "" if st["conversion"] is None else f"  {st['conversion']:.1%}"
        typer.echo(f"  {st['step']:<12} {st['count']:>10,}{conv}")
    typer.echo(f"  GMV {out['gmv_gross']} gross, {out['gmv_net']} net {out['currency']}; "
               f"AOV {out['aov'] or '—'}")
    if out.get("room"):
        r = out["room"]
        typer.echo(f"  peak viewers {r['peak_viewers'] if r['peak_viewers'] is not None else '—'}"
                   f"; watched {(r['watch_seconds'] or 0) / 3600:.1f} h")


@analytics_app.command("trust")
def trust_cmd(
    org: Annotated[str, typer.Option("--org", help="The seller's slug.")],
    host: Annotated[str | None, typer.Option("--host", help="One of its hosts (subject id).")
                    ] = None,
    market: Annotated[str | None, typer.Option("--market", help="One market (DE, JP…).")
                      ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")
                       ] = False,
) -> None:
    """The seller's trust figures over 30 and 90 days, from the daily rollup: questions
    answered in live rooms and how fast, deliveries by the promised date, returns and
    refund time, repeat buyers, duty and tax as quoted. A figure with fewer cases than its
    minimum shows as "—"."""
    from datetime import UTC, datetime

    from chuhai.analytics import trust_report

    async def run(stores: Stores, org_id: str) -> dict[str, Any]:
        return await trust_report.report(stores, org_id, datetime.now(UTC).date(),
                                         market=market.upper() if market else None,
                                         host=host)

    out = _for_seller(org, run)
    if as_json:
        typer.echo(json.dumps(out))
        return
    typer.echo(f"{org} {out['host'] or 'all hosts'} {out['market'] or 'all markets'}, "
               f"as of {out['as_of']}")
    typer.echo(f"  {'figure':<13} {'30 days':>16} {'90 days':>16}")
    for name in out["windows"]["30"]:
        cells = [_figure(out["windows"][w][name]) for w in ("30", "90")]
        typer.echo(f"  {name:<13} {cells[0]:>16} {cells[1]:>16}")
    typer.echo(out["note"])


def _figure(f: dict[str, Any]) -> str:
    if not f["shown"]:
        return f"— (n={f['n']})"
    if f.get("value") is None:
        limit = int(f.get("within_s") or f.get("beyond_s") or 0)
        sign = "≤" if f.get("within_s") else ">"
        return f"{sign}{_span(limit)} (n={f['n']})"
    return f"{f['value']:.1%} (n={f['n']})"


def _span(seconds: int) -> str:
    """A bucket's bound as a person reads it: 30s, 2m, 6h, 3d."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= 2 * size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
