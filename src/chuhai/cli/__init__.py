"""The ``chuhai`` command line: serve, migrate, seed the demo, check rules, manage users."""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated

import typer

from chuhai.cli.support import fail, with_stores
from chuhai.core.config import Settings

app = typer.Typer(help="chuhai 出海 — socialized cross-border e-commerce.", no_args_is_help=True)
rules_app = typer.Typer(help="Validate the rules data (markets, HS chapters, data map).",
                        no_args_is_help=True)
user_app = typer.Typer(help="Manage staff users.", no_args_is_help=True)
live_app = typer.Typer(help="Live rooms: simulated video for demos and tests.",
                       no_args_is_help=True)
app.add_typer(rules_app, name="rules")
app.add_typer(user_app, name="user")
stock_app = typer.Typer(help="Stock: verify the ledger.", no_args_is_help=True)
app.add_typer(live_app, name="live")
app.add_typer(stock_app, name="stock")
tariffs_app = typer.Typer(help="Duty schedules: import a full tariff for a market.",
                          no_args_is_help=True)
fx_app = typer.Typer(help="Exchange rates: fetch or import ECB reference rates.",
                     no_args_is_help=True)
app.add_typer(tariffs_app, name="tariffs")
app.add_typer(fx_app, name="fx")


_fail = fail


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default CHUHAI_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default CHUHAI_PORT).")] = None,
    reload: Annotated[bool, typer.Option(help="Reload on code changes (development).")] = False,
) -> None:
    """Serve the API, the console and the pages with Uvicorn."""
    import uvicorn

    from chuhai.realtime.prepared import uvicorn_ws

    settings = Settings()
    h, p = host or settings.host, port or settings.port
    typer.echo(f"chuhai serving on http://{h}:{p}  (API docs: http://{h}:{p}/docs)")
    uvicorn.run("chuhai.app:create_app", factory=True, host=h, port=p, reload=reload,
                proxy_headers=True, forwarded_allow_ips=settings.forwarded_allow_ips,
                ws_max_size=64 * 1024, ws=uvicorn_ws(settings.ws_impl),
                # One frame goes to thousands of viewers: deflating it once per connection
                # would cost more CPU than everything else on the send path.
                ws_per_message_deflate=False)


@app.command()
def migrate() -> None:
    """Bring the global store and every regional store up to the latest schema."""
    from chuhai.core.errors import DomainError
    from chuhai.core.migrate import upgrade_all
    from chuhai.demo import ensure_platform

    revisions = with_stores(lambda stores: upgrade_all(stores, progress=typer.echo))
    for store, rev in revisions.items():
        typer.echo(f"  {store:<8} at {rev}")
    try:
        slug = with_stores(ensure_platform)
    except DomainError as exc:  # the slug is a seller's: the operator picks another
        _fail(exc.message)
        return
    typer.echo(f"  platform org: {slug} (its staff run the privacy office: chuhai user create "
               f"--org {slug} --role privacy_officer …)")


@stock_app.command("check")
def stock_check() -> None:
    """Recompute every stock level from the ledger; exit 1 listing each mismatch."""
    from chuhai.core.db import Stores
    from chuhai.inventory.stock import Mismatch, check

    async def run(stores: Stores) -> tuple[int, list[Mismatch]]:
        async with stores.session() as s:
            return await check(s)

    total, bad = with_stores(run)
    for m in bad:
        typer.secho(f"  ✗ SKU {m.sku_id} in {m.warehouse_id}: cached {m.cached}, "
                    f"ledger {m.ledger}", fg=typer.colors.RED, err=True)
    if bad:
        _fail(f"{len(bad)} of {total} stock levels disagree with the ledger")
    typer.secho(f"stock OK: {total} levels equal their ledger", fg=typer.colors.GREEN)


@app.command()
def sweep() -> None:
    """Run one sweeper pass now: expire lapsed reservations, serve waitlists, settle ended
    drops, close auctions (the server does this every second by itself)."""
    from chuhai.inventory.sweeper import sweep as run_sweep

    r = with_stores(run_sweep)
    typer.echo(f"expired {len(r.expired)}, offered from waitlists {len(r.offered)}, "
               f"ended drops {len(r.ended_drops)}, settled drops {len(r.settled_drops)}, "
               f"closed auctions {len(r.closed_auctions)}")


@app.command("seed-demo")
def seed_demo() -> None:
    """Create (or refresh) the demo seller, its catalog, staff and customers. Idempotent."""
    from chuhai.demo import run_seed

    logins = asyncio.run(run_seed(Settings(), progress=typer.echo))
    _print_logins(logins)


def _print_logins(logins: list[tuple[str, str, str]]) -> None:
    typer.echo("\nDemo logins (one per role):")
    typer.echo(f"  {'role':<26} {'e-mail':<34} password")
    for role, email, password in logins:
        typer.echo(f"  {role:<26} {email:<34} {password}")


@app.command()
def demo(
    host: Annotated[str | None, typer.Option(help="Bind address.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
) -> None:
    """Migrate, seed the demo, start the simulated video of its live room, and serve."""
    from chuhai.demo import demo_live_room
    from chuhai.live import simulate

    migrate()
    seed_demo()
    settings = Settings()
    room_id = asyncio.run(demo_live_room(settings))
    proc = simulate.start(settings.data_dir / "media", room_id, label="SonicWave live")
    base = f"http://{host or settings.host}:{port or settings.port}"
    typer.secho(f"\nOpen {base}/login  ·  live room: {base}/live/{room_id}",
                fg=typer.colors.GREEN)
    try:
        serve(host=host, port=port, reload=False)
    finally:
        proc.terminate()


@live_app.command("simulate")
def live_simulate(
    room: Annotated[str, typer.Argument(help="Room id (see /console/rooms).")],
    seconds: Annotated[float | None, typer.Option(help="Stop after this long "
                                                        "(default: until Ctrl-C).")] = None,
    set_playback: Annotated[bool, typer.Option(help="Point the room's playback URL at the "
                                                    "simulated stream.")] = True,
) -> None:
    """Publish a moving test pattern with a clock and a tone as live HLS for ROOM."""
    from chuhai.live import simulate

    settings = Settings()
    if set_playback:
        asyncio.run(_point_room_at(settings, room, simulate.playback_url(room)))
    proc = simulate.start(settings.data_dir / "media", room, seconds=seconds)
    typer.echo(f"publishing {simulate.playback_url(room)} (ffmpeg pid {proc.pid}); "
               "Ctrl-C to stop")
    try:
        rc = proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        rc = proc.wait()
    if rc not in (0, 255, -15):
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        _fail(f"ffmpeg stopped with code {rc}: {err[-500:]}")


async def _point_room_at(settings: Settings, room_id: str, url: str) -> None:
    from sqlalchemy import update

    from chuhai.core.db import Stores, unit_of_work
    from chuhai.live.models import Room

    stores = Stores(settings)
    try:
        async with unit_of_work(stores) as uow:
            result = await uow.global_.execute(
                update(Room).where(Room.id == room_id).values(playback_url=url))
            if not getattr(result, "rowcount", 1):
                _fail(f"no room {room_id!r}")
    finally:
        await stores.dispose()


@rules_app.command("check")
def rules_check() -> None:
    """Validate every rules file; exit 1 listing each problem."""
    from chuhai.rules_check import check_all

    problems, summary = check_all(Settings())
    for line in summary:
        typer.echo(line)
    if problems:
        for p in problems:
            typer.secho(f"  ✗ {p}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1)
    typer.secho("rules OK", fg=typer.colors.GREEN)


@rules_app.command("review")
def rules_review(
    market: Annotated[str | None, typer.Option("--market", help="Only this market (or union, "
                                               "e.g. EU).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON, every fact listed.")]
    = False,
) -> None:
    """The facts that need a person: unverified, secondary, not reviewed in 180 days, citing
    no official source, ending within 90 days."""
    import json as _json

    from chuhai import rules_review as review
    from chuhai.core.clock import utcnow

    report = review.summary(review.facts(), utcnow().date(), market)
    if as_json:
        typer.echo(_json.dumps(report, ensure_ascii=False, indent=1))
        return
    typer.echo(f"{report['facts']} facts{' in ' + market.upper() if market else ''} on "
               f"{report['date']}: " + ", ".join(f"{n} {c}" for c, n in sorted(
                   report["by_confidence"].items())))
    for reason, items in report["items"].items():
        typer.echo(f"{reason}: {len(items)}")
        for f in items[:20]:
            typer.echo(f"  {f['id']}  ({f['confidence']}, reviewed {f['last_reviewed']})")
        if len(items) > 20:
            typer.echo(f"  … {len(items) - 20} more (--json lists all)")


@app.command()
def quote(
    input: Annotated[str, typer.Option("--input", "-i", help="Basket JSON file ('-' for stdin); "
                                       "see docs/crossborder.md for the fields.")],
) -> None:
    """Print the landed cost (duty, tax, fees) of a basket as JSON."""
    import orjson

    from chuhai.core.errors import DomainError
    from chuhai.crossborder import service

    try:
        raw = sys.stdin.buffer.read() if input == "-" else open(input, "rb").read()  # noqa: SIM115
    except OSError as exc:
        _fail(f"cannot read {input}: {exc.strerror}")
        return
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        _fail(f"{input} is not JSON: {exc}")
        return
    from chuhai.crossborder.loader import configure

    settings = Settings()
    configure(fx_max_age_days=settings.fx_max_age_days)
    try:
        out = service.quote_json(data, settings.data_dir)
    except DomainError as exc:
        details = "".join(f"\n  {p.field}: {p.reason}" for p in exc.problems
                          if p.reason != exc.message)
        _fail(f"cannot quote ({exc.code}): {exc.message}{details}")
        return
    typer.echo(orjson.dumps(out, option=orjson.OPT_INDENT_2).decode())


@tariffs_app.command("import")
def tariffs_import(
    file: Annotated[str, typer.Argument(help="CSV in the tariff format (docs/rules.md).")],
    market: Annotated[str, typer.Option(help="Market (or EU) the schedule is for.")],
) -> None:
    """Validate a full duty schedule and install it for MARKET (replaces the shipped rows)."""
    from chuhai.crossborder.imports import ImportFailed, import_tariff

    try:
        n, path = import_tariff(Settings().data_dir, market, file, progress=typer.echo)
    except ImportFailed as exc:
        _fail(str(exc))
        return
    typer.secho(f"imported {n} rows for {market.upper()} into {path}", fg=typer.colors.GREEN)


@fx_app.command("import")
def fx_import(
    file: Annotated[str, typer.Argument(help="ECB eurofxref XML or CSV (daily or history).")],
) -> None:
    """Validate ECB reference rates and add them to the rates table."""
    from chuhai.crossborder.imports import ImportFailed, import_fx

    try:
        days, currencies, path = import_fx(Settings().data_dir, file)
    except ImportFailed as exc:
        _fail(str(exc))
        return
    typer.secho(f"imported {days} day(s) of rates for {currencies} currencies into {path}",
                fg=typer.colors.GREEN)


@fx_app.command("fetch")
def fx_fetch(
    url: Annotated[str | None, typer.Option(help="Where to fetch (default: the setting "
                                                 "fx_refresh_url, the ECB's daily XML).")] = None,
) -> None:
    """Fetch the ECB's latest reference rates now and install them if they are newer
    (what the server's background job does every fx_refresh_hours)."""
    import asyncio

    import httpx

    from chuhai.crossborder.fx_refresh import RefreshFailed, refresh

    settings = Settings()
    where = url if url is not None else settings.fx_refresh_url
    if not where:
        _fail("no address: set CHUHAI_FX_REFRESH_URL or pass --url")
        return

    async def run() -> str:
        async with httpx.AsyncClient() as client:
            return (await refresh(client, where, settings.data_dir)).describe()

    try:
        said = asyncio.run(run())
    except RefreshFailed as exc:
        _fail(f"{exc}; the rates already installed are unchanged")
        return
    typer.secho(said, fg=typer.colors.GREEN)


@user_app.command("create")
def user_create(
    org: Annotated[str, typer.Option(help="Org slug; created if missing.")],
    email: Annotated[str, typer.Option(help="Login e-mail.")],
    role: Annotated[str, typer.Option(help="owner, operator, host, moderator, analyst, "
                                           "privacy_officer")],
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    password: Annotated[str | None, typer.Option(help="At least 10 characters; prompted "
                                                      "if omitted.")] = None,
    org_name: Annotated[str | None, typer.Option(help="Org display name if created.")] = None,
    org_country: Annotated[str, typer.Option(help="Org home country if created.")] = "CN",
) -> None:
    """Create a staff user (and the org if it does not exist)."""
    from pydantic import EmailStr as Email
    from pydantic import TypeAdapter, ValidationError

    from chuhai.core.actor import Role
    from chuhai.demo import create_user

    try:
        email = TypeAdapter(Email).validate_python(email)
    except ValidationError:
        _fail(f"{email!r} is not an e-mail address")
    try:
        the_role = Role(role)
    except ValueError:
        _fail(f"unknown role {role!r}; one of: {', '.join(r.value for r in Role)}")
        return
    if password is None:
        if not sys.stdin.isatty():
            _fail("--password is required when not on a terminal")
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    assert password is not None
    if len(password) < 10:
        _fail("password must have at least 10 characters")
    try:
        sid = asyncio.run(create_user(Settings(), org, email, name or email.split("@")[0],
                                      password, the_role, org_name or org, org_country))
    except Exception as exc:  # a domain error or a store that is not migrated
        _fail(f"could not create the user: {exc}")
        return
    typer.echo(f"created {the_role.value} {email} ({sid}) in org {org}")


# Commands of their own concern live in their own modules.
from chuhai.cli import (  # noqa: E402
    analytics,
    comms,
    demand,
    feed,
    privacy,
    search,
    tokens,
    video,
)

app.command()(comms.screen)
app.command("screen-calibrate")(comms.screen_calibrate)
app.add_typer(comms.translate_app, name="translate")
app.add_typer(privacy.audit_app, name="audit")
app.add_typer(privacy.privacy_app, name="privacy")
app.add_typer(tokens.tokens_app, name="tokens")
app.add_typer(search.search_app, name="search")
app.add_typer(video.video_app, name="video")
app.add_typer(feed.feed_app, name="feed")
app.add_typer(analytics.analytics_app, name="analytics")
app.add_typer(demand.demand_app, name="demand")
app.command("worker")(video.worker)
