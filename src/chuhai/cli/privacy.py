"""`chuhai audit` and `chuhai privacy`: the data-compliance commands."""

from __future__ import annotations

from typing import Annotated

import typer

from chuhai.cli.support import fail as _fail
from chuhai.cli.support import with_stores
from chuhai.core.config import Settings
from chuhai.privacy.models import AuditEntry

audit_app = typer.Typer(help="The tamper-evident audit log of access to personal data.",
                        no_args_is_help=True)


def _read_audit() -> tuple[list[AuditEntry], tuple[int, str] | None]:
    from chuhai.core.db import Stores
    from chuhai.privacy.audit import read_chain

    async def run(stores: Stores) -> tuple[list[AuditEntry], tuple[int, str] | None]:
        async with stores.session() as s:
            return await read_chain(s)

    return with_stores(run)


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
    result = verify(entries, head, want)
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


privacy_app = typer.Typer(help="Data compliance: exports, erasure, retention, records.",
                          no_args_is_help=True)


@privacy_app.command("sweep")
def privacy_sweep(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count, delete nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Delete personal data past its retention period (rules/privacy/retention.toml)."""
    import orjson

    from chuhai.privacy.retention import RetentionRulesError, sweep

    try:
        report = with_stores(lambda stores: sweep(stores, dry_run=dry_run))
    except RetentionRulesError as exc:
        _fail(f"the retention rules have problems: {exc}")
        return
    if as_json:
        typer.echo(orjson.dumps(report).decode())
        return
    key = "would_delete" if dry_run else "deleted"
    cleared = "would_clear" if dry_run else "cleared"
    for row in report:
        if cleared in row:  # a clear rule: the rows stay, these columns are emptied
            typer.echo(f"{row['rule']:<36} {row['store']:<8} {row['table']:<16} "
                       f"> {row['days']} days: {row[cleared]} "
                       f"{'would be cleared' if dry_run else 'cleared'} "
                       f"({', '.join(row['columns'])})")
            continue
        typer.echo(f"{row['rule']:<36} {row['store']:<8} {row['table']:<16} "
                   f"> {row['days']} days: {row[key]} {'would go' if dry_run else 'deleted'}")
    total = sum(int(str(r.get(key, 0))) for r in report)
    emptied = sum(int(str(r.get(cleared, 0))) for r in report)
    typer.secho(f"{total} rows {'would be deleted' if dry_run else 'deleted'}, {emptied} "
                f"{'would be cleared' if dry_run else 'cleared'}", fg=typer.colors.GREEN)


@privacy_app.command("export")
def privacy_export(
    subject: Annotated[str, typer.Argument(help="The person's id (cus_…, stf_…).")],
    out: Annotated[str, typer.Option("--out", help="Where to write the ZIP.")],
) -> None:
    """Everything held about one person, from every store: JSON + CSV in a ZIP."""
    from pathlib import Path

    from chuhai.core.errors import DomainError
    from chuhai.privacy.export import export_subject

    try:
        result = with_stores(lambda stores: export_subject(stores, subject))
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

    async def run(stores: Stores) -> Erasure:
        redis = connect(settings.redis_url) if settings.redis_url else None
        try:
            return await erase_subject(stores, subject, signing_key(settings), redis=redis)
        finally:
            if redis is not None:
                await redis.aclose()

    try:
        result = with_stores(run, settings)
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


@privacy_app.command("requests")
def privacy_requests(
    done: Annotated[bool, typer.Option("--all", help="Include completed and rejected.")] = False,
    alert: Annotated[bool, typer.Option(
        "--alert", help="Print only overdue and due-soon requests; exit 1 if any is "
        "overdue (for cron).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The data-subject request queue with due dates, soonest first."""
    import orjson

    from chuhai.core.db import Stores
    from chuhai.privacy.requests import QueueItem, queue

    async def run(stores: Stores) -> list[QueueItem]:
        async with stores.session() as s:
            return await queue(s, include_done=done and not alert)

    items = with_stores(run)
    if alert:
        items = [i for i in items if i.state in ("overdue", "due_soon")]
    if as_json:
        typer.echo(orjson.dumps([i.as_dict() for i in items]).decode())
    elif not items:
        typer.secho("no requests" + (" need attention" if alert else " in the queue"),
                    fg=typer.colors.GREEN)
    for i in items if not as_json else []:
        r = i.request
        colour = {"overdue": typer.colors.RED, "due_soon": typer.colors.YELLOW}.get(i.state)
        typer.secho(f"{r.id}  {r.kind:<13} {r.status:<21} {r.regime:<14} due "
                    f"{r.due_at:%Y-%m-%d %H:%M} UTC  {i.state}"
                    + (f" ({i.days_left} d)" if i.days_left is not None else ""), fg=colour)
    if alert and any(i.state == "overdue" for i in items):
        raise typer.Exit(1)
