"""`chuhai tokens`: API tokens from the shell — create one for a staff member (its secret is
printed once), list an org's tokens, revoke one. The console's page is /console/tokens."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

import typer

from chuhai.accounts.models import ApiToken
from chuhai.accounts.service import Accounts
from chuhai.cli.support import fail as _fail
from chuhai.cli.support import with_stores
from chuhai.core.actor import Actor
from chuhai.core.db import Stores

T = TypeVar("T")

tokens_app = typer.Typer(help="API tokens: create, list, revoke.", no_args_is_help=True)

Org = Annotated[str, typer.Option("--org", help="The org's slug.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _run(work: Callable[[Accounts], Awaitable[T]]) -> T:
    """Run ``work(accounts)`` in one unit of work; a domain error is a one-line failure."""
    from sqlalchemy.exc import DBAPIError

    from chuhai.core.config import Settings
    from chuhai.core.db import unit_of_work
    from chuhai.core.errors import DomainError
    from chuhai.core.secrets_store import signing_key

    settings = Settings()

    async def run(stores: Stores) -> T:
        async with unit_of_work(stores) as uow:
            return await work(Accounts(uow, signing_key(settings)))

    try:
        return with_stores(run, settings)
    except DomainError as exc:
        _fail(f"{exc.message} ({exc.code})")
    except DBAPIError as exc:
        _fail(f"cannot use the database (has `chuhai migrate` run?): {exc.orig}")


def _when(d: datetime | None) -> str | None:
    return d.isoformat() if d else None


def _out(tok: ApiToken, slug: str) -> dict[str, Any]:
    return {"id": tok.id, "name": tok.name, "org": slug, "prefix": tok.prefix,
            "created_at": _when(tok.created_at), "last_used_at": _when(tok.last_used_at),
            "revoked_at": _when(tok.revoked_at)}


def _json(data: object) -> None:
    import orjson

    typer.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())


@tokens_app.command("create")
def tokens_create(
    org: Org,
    email: Annotated[str, typer.Option(help="The staff member the token acts as (their "
                                            "role decides what it may do).")],
    name: Annotated[str, typer.Option(help="A label: what uses the token, e.g. 'CI'.")],
    as_json: AsJson = False,
) -> None:
    """Create an API token for a staff member of ORG; its secret is printed only once."""
    label = " ".join(name.split())
    if not 1 <= len(label) <= 100:
        _fail("a token name has 1 to 100 characters")

    async def work(acc: Accounts) -> tuple[ApiToken, str, str]:
        the_org = await acc.org_by_slug(org)
        actor = await acc.staff_of(the_org, email)
        tok, raw = await acc.create_token(actor, label)
        await acc.uow.commit()
        return tok, raw, actor.subject_id

    tok, raw, subject_id = _run(work)
    if as_json:
        _json({"token": raw, **_out(tok, org), "staff_id": subject_id})
        return
    typer.echo(f"created token {tok.name!r} ({tok.id}) for {email.strip().lower()} in org "
               f"{org}. Copy it now; it is not shown again:")
    typer.echo(raw)


@tokens_app.command("list")
def tokens_list(
    org: Org,
    email: Annotated[str | None, typer.Option(help="Only this staff member's tokens.")] = None,
    active_only: Annotated[bool, typer.Option("--active-only",
                                              help="Leave out revoked tokens.")] = False,
    as_json: AsJson = False,
) -> None:
    """List ORG's API tokens (never their secrets) with their holder and dates."""

    async def work(acc: Accounts) -> list[tuple[ApiToken, str | None]]:
        the_org = await acc.org_by_slug(org)
        rows = await acc.org_tokens(Actor.system(the_org.id))
        if email is not None:
            holder = await acc.staff_of(the_org, email)
            rows = [r for r in rows if r[0].subject_id == holder.subject_id]
        return [r for r in rows if not active_only or r[0].revoked_at is None]

    rows = _run(work)
    if as_json:
        _json([{**_out(t, org), "staff_email": e} for t, e in rows])
        return
    if not rows:
        typer.echo(f"no API tokens in org {org}")
        return
    for t, e in rows:
        used = f"last used {t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never used"
        state = f"REVOKED {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "active"
        typer.echo(f"{t.id}  {t.prefix}…  {t.name!r}  {e or '?'}  created "
                   f"{t.created_at:%Y-%m-%d %H:%M}  {used}  {state}")


@tokens_app.command("revoke")
def tokens_revoke(
    token_id: Annotated[str, typer.Argument(help="The token's id (tok_…, see `chuhai "
                                                 "tokens list`).")],
    org: Org,
    as_json: AsJson = False,
) -> None:
    """Revoke one of ORG's API tokens: requests with it are refused from now on."""

    async def work(acc: Accounts) -> tuple[ApiToken, bool]:
        the_org = await acc.org_by_slug(org)
        before = await acc.uow.global_.get(ApiToken, token_id[:40])
        was_revoked = before is not None and before.revoked_at is not None
        tok = await acc.revoke_token(Actor.system(the_org.id), token_id[:40])
        await acc.uow.commit()
        return tok, was_revoked

    tok, already = _run(work)
    if as_json:
        _json(_out(tok, org))
    elif already:
        typer.echo(f"token {tok.name!r} ({tok.id}) was already revoked on "
                   f"{tok.revoked_at:%Y-%m-%d %H:%M} UTC")
    else:
        typer.echo(f"revoked token {tok.name!r} ({tok.id}) in org {org}")

