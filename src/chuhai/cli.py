"""The ``chuhai`` command line: serve, migrate, seed the demo, check rules, manage users."""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated

import typer

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
fx_app = typer.Typer(help="Exchange rates: import ECB reference rates.", no_args_is_help=True)
app.add_typer(tariffs_app, name="tariffs")
app.add_typer(fx_app, name="fx")


def _fail(message: str) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default CHUHAI_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default CHUHAI_PORT).")] = None,
    reload: Annotated[bool, typer.Option(help="Reload on code changes (development).")] = False,
) -> None:
    """Serve the API, the console and the pages with Uvicorn."""
    import uvicorn

    settings = Settings()
    h, p = host or settings.host, port or settings.port
    typer.echo(f"chuhai serving on http://{h}:{p}  (API docs: http://{h}:{p}/docs)")
    uvicorn.run("chuhai.app:create_app", factory=True, host=h, port=p, reload=reload,
                proxy_headers=True, forwarded_allow_ips=settings.forwarded_allow_ips,
                ws_max_size=64 * 1024, ws=settings.ws_impl,
                # One frame goes to thousands of viewers: deflating it once per connection
                # would cost more CPU than everything else on the send path.
                ws_per_message_deflate=False)


@app.command()
def migrate() -> None:
    """Bring the global store and every regional store up to the latest schema."""
    from chuhai.core.db import Stores
    from chuhai.core.migrate import upgrade_all

    async def run() -> dict[str, str | None]:
        stores = Stores(Settings())
        try:
            return await upgrade_all(stores, progress=typer.echo)
        finally:
            await stores.dispose()

    for store, rev in asyncio.run(run()).items():
        typer.echo(f"  {store:<8} at {rev}")


@stock_app.command("check")
def stock_check() -> None:
    """Recompute every stock level from the ledger; exit 1 listing each mismatch."""
    from chuhai.core.db import Stores
    from chuhai.inventory.stock import Mismatch, check

    async def run() -> tuple[int, list[Mismatch]]:
        stores = Stores(Settings())
        try:
            async with stores.session() as s:
                return await check(s)
        finally:
            await stores.dispose()

    total, bad = asyncio.run(run())
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
    from chuhai.core.db import Stores
    from chuhai.inventory.sweeper import SweepReport
    from chuhai.inventory.sweeper import sweep as run_sweep

    async def run() -> SweepReport:
        stores = Stores(Settings())
        try:
            return await run_sweep(stores)
        finally:
            await stores.dispose()

    r = asyncio.run(run())
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
    typer.echo(f"  {'role':<16} {'e-mail':<34} password")
    for role, email, password in logins:
        typer.echo(f"  {role:<16} {email:<34} {password}")


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
    try:
        out = service.quote_json(data, Settings().data_dir)
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


if __name__ == "__main__":  # pragma: no cover
    app()


# -- communication: screening and translation ------------------------------------------

def _markets(value: str) -> list[str]:
    markets = [m.strip().upper() for m in value.split(",") if m.strip()]
    if not markets:
        _fail("give at least one market, e.g. --market DE")
    return markets


def _print_verdict_text(text: str, verdict: dict[str, object]) -> None:
    colour = {"block": typer.colors.RED, "require_disclosure": typer.colors.YELLOW,
              "warn": typer.colors.YELLOW}.get(str(verdict["action"]), typer.colors.GREEN)
    typer.secho(f"[{verdict['market']}] {verdict['action'].upper()}"  # type: ignore[attr-defined]
                f"  {text}", fg=colour)
    for f in verdict["findings"]:  # type: ignore[attr-defined]
        typer.echo(f"    {f['action']:<18} {f['rule']} ({f['category']}) «{f['match']}»")
        typer.echo(f"        → {f['suggestion']}")
        typer.echo(f"        source: {f['source']}")
    if verdict["redacted"] != text:
        typer.echo(f"    broadcast as: {verdict['redacted']}")


@app.command()
def screen(
    market: Annotated[str, typer.Option(help="Market(s) to screen for, e.g. DE or DE,FR,US.")],
    text: Annotated[str | None, typer.Option(help="One line to screen.")] = None,
    file: Annotated[str | None, typer.Option(help="A run-of-show script, one line per "
                                             "line ('-' for stdin).")] = None,
    lang: Annotated[str | None, typer.Option(help="Language of the text (default: "
                                             "detected per line).")] = None,
    side: Annotated[str, typer.Option(help="host (advertising law applies) or viewer.")
                    ] = "host",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Screen a line or a script against each market's advertising law and culture."""
    import orjson

    from chuhai.comms.detect import detect
    from chuhai.comms.screening.engine import Screener
    from chuhai.comms.screening.packs import PackError, load_packs
    from chuhai.comms.script_check import ScriptTooLarge, check_script, summary

    if (text is None) == (file is None):
        _fail("give either --text or --file")
    if side not in ("host", "viewer"):
        _fail("--side is host or viewer")
    markets = _markets(market)
    try:
        screener = Screener(load_packs())
    except PackError as exc:
        _fail("the screening packs have problems:\n  " + "\n  ".join(exc.problems))
        return
    unknown = [m for m in markets if m not in screener.markets]
    if unknown:
        _fail(f"no screening pack for {', '.join(unknown)}; packs: "
              f"{', '.join(sorted(screener.markets))}")
    if text is not None:
        code = lang or detect(text, "en").lang
        verdicts = [screener.screen(text, code, m, side) for m in markets]
        if as_json:
            out = verdicts[0].as_dict() if len(verdicts) == 1 else {
                "action": max((v.action for v in verdicts),
                              key=["allow", "warn", "require_disclosure", "block"].index),
                "markets": {v.market: v.as_dict() for v in verdicts}}
            typer.echo(orjson.dumps(out).decode())
        else:
            for v in verdicts:
                _print_verdict_text(text, v.as_dict())
        return
    assert file is not None
    try:
        body = sys.stdin.read() if file == "-" else open(file, encoding="utf-8").read()  # noqa: SIM115
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"cannot read {file}: {exc}")
        return
    try:
        reports = check_script(screener, body, markets, lang=lang, side=side)
    except ScriptTooLarge as exc:
        _fail(str(exc))
        return
    if as_json:
        typer.echo(orjson.dumps({"summary": summary(reports),
                                 "lines": [r.as_dict() for r in reports]}).decode())
        return
    for r in reports:
        if r.action == "allow":
            continue
        typer.echo(f"line {r.number} ({r.lang}):")
        for v in r.verdicts:
            if v.findings:
                _print_verdict_text(r.text, v.as_dict())
    s = summary(reports)
    typer.echo(f"{s['lines']} lines checked for {', '.join(markets)}: " + ", ".join(
        f"{n} {a}" for a, n in s["actions"].items()))


class _TextOrCommand(typer.core.TyperGroup):
    """`chuhai translate --to de "…"` and `chuhai translate install-package FILE`: a first
    word that is not a subcommand is the text to translate."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]
        if not args or (args[0] not in self.commands and args[0] not in ("--help",)):
            args = ["text", *args]
        return super().parse_args(ctx, args)


translate_app = typer.Typer(cls=_TextOrCommand, no_args_is_help=False,
                            help="Translate a line (glossary, memory, then machine "
                                 "translators), install Argos packages, list providers.")
app.add_typer(translate_app, name="translate")


@translate_app.command("text", hidden=True)
def translate_text(
    words: Annotated[list[str], typer.Argument(help="The text to translate.")],
    to: Annotated[str, typer.Option("--to", help="Target language, e.g. de.")],
    source: Annotated[str | None, typer.Option("--from", help="Source language (default: "
                                               "detected).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON with the provider "
                                          "and the trace.")] = False,
) -> None:
    """Translate TEXT into --to."""
    import orjson

    from chuhai.comms.detect import detect
    from chuhai.comms.service import Comms
    from chuhai.comms.translator import ProviderError, TranslationUnavailable

    text = " ".join(words)
    src = source or detect(text, "en").lang
    comms = Comms(Settings())

    async def run() -> object:
        try:
            return await comms.chain.translate(text, src, to.lower())
        finally:
            for p in comms.chain.providers:
                close = getattr(p, "aclose", None)
                if close is not None:
                    await close()

    try:
        tr = asyncio.run(run())
    except TranslationUnavailable as exc:
        _fail("no translator could translate this:\n  " + "\n  ".join(exc.trace))
        return
    except ProviderError as exc:
        _fail(f"cannot translate ({exc.code}): {exc}")
        return
    if as_json:
        typer.echo(orjson.dumps(tr.as_dict()).decode())  # type: ignore[attr-defined]
    else:
        typer.echo(tr.text)  # type: ignore[attr-defined]
        mark = "machine translation" if tr.machine else "from memory"  # type: ignore[attr-defined]
        typer.secho(f"({src}→{to}, {tr.provider}, {mark})", err=True,  # type: ignore[attr-defined]
                    fg=typer.colors.BRIGHT_BLACK)


@translate_app.command("install-package")
def translate_install_package(
    file: Annotated[str, typer.Argument(help="An Argos Translate .argosmodel file.")],
) -> None:
    """Check and install an offline Argos Translate model for the chain to use."""
    from pathlib import Path

    from chuhai.comms.providers.argos import PackageError, install_package

    target = Settings().data_dir / "argos" / "packages"
    try:
        pkg = install_package(Path(file), target)
    except PackageError as exc:
        _fail(f"cannot install {file} ({exc.code}): {exc}")
        return
    typer.secho(f"installed Argos package {pkg.from_code}→{pkg.to_code} "
                f"{pkg.version} into {pkg.path}", fg=typer.colors.GREEN)


@translate_app.command("providers")
def translate_providers(
    source: Annotated[str, typer.Option("--from", help="Source language.")] = "en",
    to: Annotated[str, typer.Option("--to", help="Target language.")] = "de",
) -> None:
    """Which machine translators would serve a language pair, and why others would not."""
    from chuhai.comms.service import Comms

    for row in Comms(Settings()).chain.describe(source, to):
        state = "ready" if row["skipped"] is None else f"skipped: {row['skipped']}"
        typer.echo(f"{row['provider']:<15} {state}")


# -- data compliance: the audit log ------------------------------------------------------

audit_app = typer.Typer(help="The tamper-evident audit log of access to personal data.",
                        no_args_is_help=True)
app.add_typer(audit_app, name="audit")


def _read_audit() -> tuple[list[object], tuple[int, str] | None]:
    from chuhai.core.db import Stores
    from chuhai.privacy.audit import read_chain

    async def run() -> tuple[list[object], tuple[int, str] | None]:
        stores = Stores(Settings())
        try:
            async with stores.session() as s:
                entries, head = await read_chain(s)
                return list(entries), head
        finally:
            await stores.dispose()

    return asyncio.run(run())


@audit_app.command("verify")
def audit_verify(
    expect: Annotated[str | None, typer.Option(
        help="A head published earlier, SEQ:HASH (from `chuhai audit head`): that entry "
             "must still carry that hash.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Check every entry's hash and link, the numbering and the head; exit 1 on any break."""
    import orjson

    from chuhai.privacy.audit import verify

    want = None
    if expect is not None:
        seq, _, digest = expect.partition(":")
        if not seq.isdigit() or len(digest) != 64:
            _fail("--expect takes SEQ:HASH, e.g. 42:3f5a… (64 hex digits)")
        want = (int(seq), digest.lower())
    entries, head = _read_audit()
    result = verify(entries, head, want)  # type: ignore[arg-type]
    if as_json:
        typer.echo(orjson.dumps(result.as_dict()).decode())
    elif result.ok:
        typer.secho(f"audit log intact: {result.checked} entries, head "
                    f"{result.head_seq}:{result.head_hash}", fg=typer.colors.GREEN)
    else:
        typer.secho(f"audit log BROKEN at entry {result.at_seq}: {result.problem}",
                    fg=typer.colors.RED, err=True)
    if not result.ok:
        raise typer.Exit(1)


@audit_app.command("head")
def audit_head() -> None:
    """Print the head (SEQ:HASH) to publish outside the database for later checks."""
    _entries, head = _read_audit()
    seq, digest = head if head is not None else (0, "0" * 64)
    typer.echo(f"{seq}:{digest}")


privacy_app = typer.Typer(help="Data compliance: data-subject exports, retention.",
                          no_args_is_help=True)
app.add_typer(privacy_app, name="privacy")


@privacy_app.command("sweep")
def privacy_sweep(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count, delete nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Delete personal data past its retention period (rules/privacy/retention.toml)."""
    import orjson

    from chuhai.core.db import Stores
    from chuhai.privacy.retention import RetentionRulesError, sweep

    async def run() -> list[dict[str, object]]:
        stores = Stores(Settings())
        try:
            return await sweep(stores, dry_run=dry_run)
        finally:
            await stores.dispose()

    try:
        report = asyncio.run(run())
    except RetentionRulesError as exc:
        _fail(f"the retention rules have problems: {exc}")
        return
    if as_json:
        typer.echo(orjson.dumps(report).decode())
        return
    key = "would_delete" if dry_run else "deleted"
    for row in report:
        typer.echo(f"{row['rule']:<36} {row['store']:<8} {row['table']:<16} "
                   f"> {row['days']} days: {row[key]} {'would go' if dry_run else 'deleted'}")
    total = sum(int(str(r[key])) for r in report)
    typer.secho(f"{total} rows {'would be deleted' if dry_run else 'deleted'}",
                fg=typer.colors.GREEN)


@privacy_app.command("export")
def privacy_export(
    subject: Annotated[str, typer.Argument(help="The person's id (cus_…, stf_…).")],
    out: Annotated[str, typer.Option("--out", help="Where to write the ZIP.")],
) -> None:
    """Everything held about one person, from every store: JSON + CSV in a ZIP."""
    from pathlib import Path

    from chuhai.core.db import Stores
    from chuhai.core.errors import DomainError
    from chuhai.privacy.export import Export, export_subject

    async def run() -> Export:
        stores = Stores(Settings())
        try:
            return await export_subject(stores, subject)
        finally:
            await stores.dispose()

    try:
        result = asyncio.run(run())
    except DomainError as exc:
        _fail(f"cannot export ({exc.code}): {exc.message}")
        return
    target = Path(out)
    try:
        tmp = target.with_name(target.name + ".part")
        tmp.write_bytes(result.data)
        tmp.replace(target)
    except OSError as exc:
        _fail(f"cannot write {out}: {exc.strerror}")
        return
    for where, n in sorted(result.counts.items()):
        typer.echo(f"{where:<32} {n} row(s)")
    typer.secho(f"wrote {target} ({len(result.data):,} bytes)", fg=typer.colors.GREEN)


@privacy_app.command("erase")
def privacy_erase(
    subject: Annotated[str, typer.Argument(help="The person's id (cus_…, stf_…).")],
    yes: Annotated[bool, typer.Option("--yes", help="Do it without asking.")] = False,
) -> None:
    """Erase one person from every store (orders kept under legal hold, scrubbed)."""
    from chuhai.core.db import Stores
    from chuhai.core.errors import DomainError
    from chuhai.core.redis_client import connect
    from chuhai.core.secrets_store import signing_key
    from chuhai.privacy.erasure import Erasure, erase_subject

    if not yes and not typer.confirm(f"Erase {subject} everywhere? This cannot be undone"):
        raise typer.Exit(1)
    settings = Settings()

    async def run() -> Erasure:
        stores = Stores(settings)
        redis = connect(settings.redis_url) if settings.redis_url else None
        try:
            return await erase_subject(stores, subject, signing_key(settings), redis=redis)
        finally:
            if redis is not None:
                await redis.aclose()
            await stores.dispose()

    try:
        result = asyncio.run(run())
    except DomainError as exc:
        _fail(f"cannot erase ({exc.code}): {exc.message}")
        return
    for where, change in sorted(result.counts.items()):
        what, n = next(iter(change.items()))
        typer.echo(f"{where:<32} {what} {n}")
    typer.secho(f"erased {subject}; kept records now read {result.pseudonym}",
                fg=typer.colors.GREEN)


@privacy_app.command("records")
def privacy_records(
    fmt: Annotated[str, typer.Option("--format", help="md or csv.")] = "md",
    out: Annotated[str | None, typer.Option("--out", help="A file (default: stdout).")] = None,
) -> None:
    """Records of processing (GDPR art. 30) and the data map, generated from the code."""
    from pathlib import Path

    from chuhai.privacy.records import as_csv, as_markdown, missing_purposes

    if fmt not in ("md", "csv"):
        _fail("--format is md or csv")
    missing = missing_purposes()
    if missing:
        _fail("tables hold personal data without a purpose in "
              f"rules/privacy/processing.toml: {', '.join(missing)}")
    body = as_markdown() if fmt == "md" else as_csv()
    if out is None:
        typer.echo(body, nl=False)
    else:
        Path(out).write_text(body, encoding="utf-8")
        typer.secho(f"wrote {out}", fg=typer.colors.GREEN)
