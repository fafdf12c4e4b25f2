"""Account use cases. They take a ``UnitOfWork`` (or session) and an ``Actor``; no HTTP."""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from babel import Locale, UnknownLocaleError
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from chuhai.accounts.models import ApiToken, Customer, Org, StaffProfile, Subject, WebSession
from chuhai.core.actor import Actor, ActorKind, Perm, Role
from chuhai.core.clock import utcnow
from chuhai.core.db import UnitOfWork
from chuhai.core.errors import Conflict, FieldProblem, InvalidInput, NotFound, Unauthenticated
from chuhai.core.ids import new_id
from chuhai.core.passwords import dummy_hash, hash_password_async, verify_password_async
from chuhai.core.secrets_store import keyed_hash, token_hash
from chuhai.markets.profiles import get_profile

log = logging.getLogger("chuhai.accounts")
LAST_USED_GRANULARITY = timedelta(minutes=1)
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,59}$")
TOKEN_PREFIX = "chh_"  # noqa: S105 - a public marker, not a secret


def normalize_email(email: str) -> str:
    return email.strip().lower()


def region_for_country(country: str) -> str:
    """A person's home country decides where their personal data lives."""
    profile = get_profile(country)
    if profile is None:
        raise InvalidInput(
            f"no market profile for country {country!r}; its region is unknown",
            code="unknown_country",
        )
    return profile.region_store


@dataclass
class Accounts:
    """Account use cases bound to one unit of work and the login-key secret."""

    uow: UnitOfWork
    key: bytes

    def login_key(self, email: str) -> str:
        return keyed_hash(self.key, "login", normalize_email(email))

    async def _ensure_free(self, email: str) -> str:
        lk = self.login_key(email)
        taken = await self.uow.global_.scalar(select(Subject.id).where(Subject.login_key == lk))
        if taken:
            raise Conflict("an account with this e-mail already exists", code="email_taken")
        return lk

    # -- orgs and staff ------------------------------------------------------------------

    async def create_org(self, slug: str, name: str, home_country: str) -> Org:
        if not SLUG.match(slug):
            raise InvalidInput("an org slug is 2–60 lower-case letters, digits and hyphens",
                               [FieldProblem("slug", "invalid")], code="invalid_slug")
        name = " ".join(name.split())
        if not name or len(name) > 200 or "\x00" in name:
            raise InvalidInput("an org name is 1–200 characters", code="invalid_name")
        existing = await self.uow.global_.scalar(select(Org).where(Org.slug == slug))
        if existing:
            raise Conflict(f"org {slug!r} exists", code="org_exists")
        region = region_for_country(home_country)
        org = Org(id=new_id("org"), slug=slug, name=name, home_country=home_country.upper(),
                  home_region=region)
        self.uow.global_.add(org)
        await self.uow.global_.flush()
        return org

    async def create_staff(
        self, actor: Actor, email: str, display_name: str, password: str, role: Role
    ) -> tuple[Subject, StaffProfile]:
        actor.require(Perm.STAFF_MANAGE)
        org = await self.uow.global_.get(Org, actor.org())
        if org is None:
            raise NotFound("org", actor.org())
        lk = await self._ensure_free(email)
        sid = new_id("stf")
        profile = StaffProfile(id=sid, region=org.home_region, org_id=org.id,
                               email=normalize_email(email), display_name=display_name,
                               password_hash=await hash_password_async(password))
        # Regional (personal) part first; the global directory entry last.
        subject = Subject(id=sid, kind="staff", region=org.home_region, login_key=lk,
                          org_id=org.id, role=role.value)
        try:
            self.uow.region(org.home_region).add(profile)
            await self.uow.region(org.home_region).flush()
            self.uow.global_.add(subject)
            await self.uow.global_.flush()
        except IntegrityError as exc:
            raise Conflict("an account with this e-mail already exists",
                           code="email_taken") from exc
        return subject, profile

    async def list_staff(self, actor: Actor) -> list[tuple[Subject, StaffProfile]]:
        actor.require(Perm.STAFF_MANAGE)
        subjects = (await self.uow.global_.scalars(
            select(Subject).where(Subject.org_id == actor.org(), Subject.kind == "staff")
            .order_by(Subject.created_at))).all()
        out = []
        for s in subjects:
            p = await self.uow.region(s.region).get(StaffProfile, s.id)
            if p is not None:
                out.append((s, p))
        return out

    async def authenticate_staff(self, email: str, password: str) -> Actor:
        """E-mail + password → actor. Same cost and same answer for unknown and wrong."""
        lk = self.login_key(email)
        subject = await self.uow.global_.scalar(
            select(Subject).where(Subject.login_key == lk, Subject.kind == "staff"))
        profile = None
        if subject is not None:
            profile = await self.uow.region(subject.region).get(StaffProfile, subject.id)
        hashed = profile.password_hash if profile else dummy_hash()
        ok = await verify_password_async(password, hashed)
        if not ok or subject is None or profile is None or not subject.active:
            raise Unauthenticated("e-mail or password is wrong", code="bad_credentials")
        return actor_of(subject)

    async def authenticate_customer(self, email: str, password: str) -> Actor:
        lk = self.login_key(email)
        subject = await self.uow.global_.scalar(
            select(Subject).where(Subject.login_key == lk, Subject.kind == "customer"))
        customer = None
        if subject is not None:
            customer = await self.uow.region(subject.region).get(Customer, subject.id)
        hashed = customer.password_hash if customer and customer.password_hash else dummy_hash()
        ok = await verify_password_async(password, hashed)
        if not ok or subject is None or customer is None or not customer.password_hash:
            raise Unauthenticated("e-mail or password is wrong", code="bad_credentials")
        return actor_of(subject)

    async def staff_profile(self, actor: Actor) -> StaffProfile | None:
        if actor.kind is not ActorKind.STAFF or actor.region is None:
            return None
        return await self.uow.region(actor.region).get(StaffProfile, actor.subject_id)

    # -- API tokens ----------------------------------------------------------------------

    async def create_token(self, actor: Actor, name: str) -> tuple[ApiToken, str]:
        actor.require(Perm.TOKENS_OWN)
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        tok = ApiToken(id=new_id("tok"), org_id=actor.org(), subject_id=actor.subject_id,
                       name=name, token_hash=token_hash(raw), prefix=raw[:10])
        self.uow.global_.add(tok)
        await self.uow.global_.flush()
        return tok, raw

    async def list_tokens(self, actor: Actor) -> list[ApiToken]:
        actor.require(Perm.TOKENS_OWN)
        q = select(ApiToken).where(ApiToken.subject_id == actor.subject_id,
                                   ApiToken.org_id == actor.org()).order_by(ApiToken.created_at)
        return list((await self.uow.global_.scalars(q)).all())

    async def revoke_token(self, actor: Actor, token_id: str) -> ApiToken:
        actor.require(Perm.TOKENS_OWN)
        tok = await self.uow.global_.get(ApiToken, token_id)
        if tok is None or tok.org_id != actor.org() or (
            tok.subject_id != actor.subject_id and not actor.can(Perm.STAFF_MANAGE)
        ):
            raise NotFound("token", token_id)
        if tok.revoked_at is None:
            tok.revoked_at = utcnow()
        await self.uow.global_.flush()
        return tok

    async def org_tokens(self, actor: Actor) -> list[tuple[ApiToken, str | None]]:
        """Every token of the actor's org (revoked ones too) with its holder's e-mail."""
        actor.require(Perm.STAFF_MANAGE)
        rows = (await self.uow.global_.execute(
            select(ApiToken, Subject.region).join(Subject, Subject.id == ApiToken.subject_id)
            .where(ApiToken.org_id == actor.org()).order_by(ApiToken.created_at))).all()
        out = []
        for tok, region in rows:
            profile = await self.uow.region(region).get(StaffProfile, tok.subject_id)
            out.append((tok, profile.email if profile else None))
        return out

    async def org_by_slug(self, slug: str) -> Org:
        org = await self.uow.global_.scalar(select(Org).where(Org.slug == slug))
        if org is None:
            raise NotFound("org", repr(slug), code="org_not_found")
        return org

    async def staff_of(self, org: Org, email: str) -> Actor:
        """The active staff member of ``org`` who signs in with ``email``."""
        subject = await self.uow.global_.scalar(select(Subject).where(
            Subject.login_key == self.login_key(email), Subject.kind == "staff"))
        if subject is None:
            raise NotFound("staff member", repr(normalize_email(email)),
                           code="staff_not_found")
        if subject.org_id != org.id:
            raise InvalidInput(f"{normalize_email(email)} is not a staff member of org "
                               f"{org.slug!r}", code="staff_not_in_org")
        if not subject.active:
            raise InvalidInput(f"{normalize_email(email)} is deactivated",
                               code="staff_inactive")
        return actor_of(subject)

    async def actor_for_token(self, raw: str) -> Actor:
        if not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
            raise Unauthenticated("malformed API token", code="bad_token")
        tok = await self.uow.global_.scalar(
            select(ApiToken).where(ApiToken.token_hash == token_hash(raw)))
        if tok is None or tok.revoked_at is not None:
            raise Unauthenticated("API token is unknown or revoked", code="bad_token")
        subject = await self.uow.global_.get(Subject, tok.subject_id)
        if subject is None or not subject.active:
            raise Unauthenticated("API token's user is inactive", code="bad_token")
        now = utcnow()
        # Coarse on purpose: writing on every request would turn each GET into a commit.
        if tok.last_used_at is None or now - tok.last_used_at > LAST_USED_GRANULARITY:
            await self._touch(tok.id, now)
        return actor_of(subject)

    async def _touch(self, token_id: str, now: datetime) -> None:
        """Record when a token was last used, in a transaction of its own that starts with
        the write. Done inside the look-up's read transaction, two concurrent requests with
        one token both had to upgrade a read lock on SQLite and one failed at once with
        "database is locked" (a 500); a write-first transaction waits its turn instead.
        Best effort: the time a token was last seen never fails the request it serves."""
        cutoff = now - LAST_USED_GRANULARITY
        try:
            async with self.uow.stores.session() as s:
                await s.execute(update(ApiToken).where(
                    ApiToken.id == token_id,
                    or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < cutoff),
                ).values(last_used_at=now))
                await s.commit()
        except OperationalError as exc:
            log.warning("could not record the use of token %s: %s", token_id, exc.orig)

    # -- console sessions ----------------------------------------------------------------

    async def open_session(self, actor: Actor, ttl: timedelta) -> tuple[str, str]:
        raw = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        # End the read transaction of the sign-in (it spans the slow password check): on
        # SQLite a stale read snapshot cannot be upgraded to a write once another writer has
        # committed ("database is locked" at once, busy_timeout does not apply); a fresh
        # transaction that starts with the insert waits for the lock instead.
        await self.uow.global_.commit()
        self.uow.global_.add(WebSession(id_hash=token_hash(raw), subject_id=actor.subject_id,
                                        csrf_token=csrf, expires_at=utcnow() + ttl))
        await self.uow.global_.flush()
        return raw, csrf

    async def session_actor(self, raw: str) -> tuple[Actor, str] | None:
        if not raw or len(raw) > 100:
            return None
        ws = await self.uow.global_.get(WebSession, token_hash(raw))
        if ws is None or ws.expires_at <= utcnow():
            return None
        subject = await self.uow.global_.get(Subject, ws.subject_id)
        if subject is None or not subject.active:
            return None
        return actor_of(subject), ws.csrf_token

    async def close_session(self, raw: str) -> None:
        ws = await self.uow.global_.get(WebSession, token_hash(raw))
        if ws is not None:
            await self.uow.global_.delete(ws)
            await self.uow.global_.flush()

    # -- customers -----------------------------------------------------------------------

    async def create_customer(self, email: str, display_name: str, home_country: str,
                              preferred_language: str | None = None,
                              password: str | None = None) -> Customer:
        country = home_country.upper()
        region = region_for_country(country)
        profile = get_profile(country)
        assert profile is not None
        language = preferred_language or profile.default_language
        try:
            Locale.parse(language.replace("-", "_"))
        except (UnknownLocaleError, ValueError) as exc:
            raise InvalidInput(f"{language!r} is not a known language tag",
                               [FieldProblem("preferred_language", "unknown language")],
                               code="unknown_language") from exc
        lk = await self._ensure_free(email)
        cid = new_id("cus")
        customer = Customer(id=cid, region=region, email=normalize_email(email),
                            display_name=display_name, home_country=country,
                            preferred_language=language,
                            password_hash=await hash_password_async(password) if password else None)
        try:
            self.uow.region(region).add(customer)
            await self.uow.region(region).flush()
            self.uow.global_.add(Subject(id=cid, kind="customer", region=region, login_key=lk))
            await self.uow.global_.flush()
        except IntegrityError as exc:  # the same address signing up twice at once
            raise Conflict("an account with this e-mail already exists",
                           code="email_taken") from exc
        return customer

    async def subject_region(self, subject_id: str) -> str:
        region = await self.uow.global_.scalar(select(Subject.region).where(
            Subject.id == subject_id))
        if region is None:
            raise NotFound("subject", subject_id)
        return str(region)

    async def subject_session(self, subject_id: str) -> AsyncSession:
        """The session of the store that holds this person's personal data."""
        return self.uow.region(await self.subject_region(subject_id))

    async def get_customer(self, actor: Actor, customer_id: str) -> Customer:
        # Customers are platform-wide, not an org's rows: no seller's staff may read them here
        # (the data-compliance work adds scoped access for privacy officers).
        if not (actor.kind is ActorKind.SYSTEM or actor.subject_id == customer_id):
            raise NotFound("customer", customer_id)
        region = await self.subject_region(customer_id)
        customer = await self.uow.region(region).get(Customer, customer_id)
        if customer is None:
            raise NotFound("customer", customer_id)
        return customer


def actor_of(subject: Subject) -> Actor:
    if subject.kind == "staff":
        return Actor(ActorKind.STAFF, subject.id, org_id=subject.org_id,
                     role=Role(subject.role) if subject.role else None, region=subject.region)
    return Actor(ActorKind.CUSTOMER, subject.id, region=subject.region)


async def org_registrations(s: AsyncSession, org_id: str) -> frozenset[str]:
    """The tax registrations the seller holds (they decide what checkout collects)."""
    return frozenset(await s.scalar(select(Org.registrations).where(Org.id == org_id)) or ())


async def get_org(s: AsyncSession, actor: Actor) -> Org:
    org = await s.scalar(select(Org).where(Org.id == (actor.org_id or "")))
    if org is None:
        raise NotFound("org", actor.org_id, code="org_not_found")
    return org


async def set_registrations(s: AsyncSession, actor: Actor, registrations: list[str]) -> Org:
    """Owners (staff managers) say which tax schemes the org is registered for."""
    actor.require(Perm.STAFF_MANAGE)
    org = await get_org(s, actor)
    org.registrations = sorted(set(registrations))
    return org
