"""The communication services of one app node: the screener (packs compiled once), the
translator chain (built from settings), the phrasebook memory, and each org's glossary and
translation memory, loaded from the database and kept until the org changes them."""

from __future__ import annotations

import asyncio
import logging
import tomllib
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property, lru_cache
from importlib import resources
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from chuhai.catalog.models import Listing, ListingPrice, Product
from chuhai.comms.cache import TranslationCache
from chuhai.comms.detect import detect
from chuhai.comms.glossary import Glossary, Term
from chuhai.comms.memory import TranslationMemory
from chuhai.comms.models import GlossaryTerm, MemoryEntry
from chuhai.comms.providers.argos import Argos
from chuhai.comms.providers.deepl import DeepL
from chuhai.comms.providers.libretranslate import LibreTranslate
from chuhai.comms.providers.openai_compat import OpenAICompatible
from chuhai.comms.schemas import MemoryIn, TermIn
from chuhai.comms.screening.engine import Screener
from chuhai.comms.screening.packs import Pack, load_packs
from chuhai.comms.screening.prices import PriceHistory
from chuhai.comms.screening.semantic import default_layer
from chuhai.comms.translator import Provider, TranslationChain
from chuhai.core.clock import utcnow
from chuhai.core.config import Settings
from chuhai.core.errors import Conflict, InvalidInput, NotFound
from chuhai.core.ids import new_id
from chuhai.core.money import minor_digits

log = logging.getLogger("chuhai.comms")
LANGUAGES = ("en", "zh", "ja", "ko", "de", "fr", "es", "it", "pt", "id", "th", "vi", "ar")


def phrasebook_memory() -> TranslationMemory:
    """Every phrasebook phrase as a memory entry for every language pair."""
    text = (resources.files("chuhai") / "rules" / "phrasebook" / "commerce.toml"
            ).read_text("utf-8")
    memory = TranslationMemory()
    for phrase in tomllib.loads(text).get("phrase", []):
        langs = [lang for lang in LANGUAGES if isinstance(phrase.get(lang), str)]
        for src in langs:
            for tgt in langs:
                if src != tgt:
                    memory.add(src, tgt, phrase[src], phrase[tgt], origin="phrasebook")
    return memory


@lru_cache(maxsize=1)
def _packs() -> tuple[Pack, ...]:
    return tuple(load_packs())


@lru_cache(maxsize=2)
def default_screener(meaning: bool = True) -> Screener:
    """The shipped packs, read and checked once per process; scopes compile on first use.
    With ``meaning`` (``CHUHAI_SCREENING_MEANING``) the semantic layer comes with it,
    built on the first line screened by meaning; without, nothing is screened by meaning
    anywhere — chat, scripts, videos."""
    packs = _packs()
    return Screener(packs, semantic=default_layer(packs) if meaning else None)


def providers(settings: Settings) -> list[Provider]:
    timeout = settings.translate_timeout_s
    made: dict[str, Provider] = {
        "argos": Argos(settings.data_dir / "argos" / "packages", timeout_s=max(timeout, 5)),
        "llm": OpenAICompatible(settings.llm_url or "", settings.llm_api_key,
                                settings.llm_model or "", timeout),
        "deepl": DeepL(settings.deepl_api_key or "", settings.deepl_url, timeout),
        "libretranslate": LibreTranslate(settings.libretranslate_url or "",
                                         settings.libretranslate_api_key, timeout),
    }
    unknown = [n for n in settings.translate_providers if n not in made]
    if unknown:
        raise ValueError(f"unknown translate_providers {unknown}; known: {sorted(made)}")
    return [made[n] for n in settings.translate_providers]


@dataclass
class OrgLanguageData:
    glossary: Glossary
    memory: TranslationMemory


@dataclass
class Comms:
    settings: Settings
    redis: Any = None
    _orgs: dict[str, OrgLanguageData] = field(default_factory=dict)

    @property
    def screener(self) -> Screener:
        return default_screener(self.settings.screening_meaning)

    @cached_property
    def chain(self) -> TranslationChain:
        return TranslationChain(providers(self.settings), phrasebook_memory(),
                                TranslationCache(redis=self.redis))

    async def warm(self) -> None:
        """Compile packs, read the phrasebook and load lingua off the event loop at start,
        so the first chat line of the day does not pay for it."""
        def work() -> None:
            _ = self.chain
            for market in self.screener.markets:
                for side in ("host", "viewer"):
                    self.screener.scope(market, "en", side)
            detect("warm up the detector", "en")
        await asyncio.to_thread(work)

    async def warm_room(self, markets: list[str]) -> None:
        """Compile the screening scopes a room will use, off the event loop, so no line
        waits for one: first its markets (and China, the host side's home market in most
        rooms) in their languages and English, for both sides; then the same markets in
        every other language that has a pack, because a viewer may write in any of them
        and their first line would otherwise wait 20-50 ms per market (and every line
        behind it on that socket too). Scopes are shared across rooms and between
        languages with the same rules: a three-market room costs about 0.7 s of a worker
        thread and 45 MB once per node (bench/fanout.py, docs/performance.md)."""
        from chuhai.markets.profiles import get_profile

        def work() -> None:
            room_markets = [m for m in [*markets, "CN"] if m in self.screener.markets]
            expected: set[str] = {"en"}
            for other in room_markets:  # translations are screened in each market's language
                p = get_profile(other)
                expected |= {t.split("-")[0] for t in (p.languages if p else ())}
            others = sorted(set(self.screener.languages) - expected)
            for lang in [*sorted(expected), *others]:
                for market in room_markets:
                    for side in ("host", "viewer"):
                        self.screener.scope(market, lang, side)

        await asyncio.to_thread(work)

    def cached_org(self, org_id: str) -> OrgLanguageData | None:
        return self._orgs.get(org_id)

    def forget_org(self, org_id: str) -> None:
        self._orgs.pop(org_id, None)

    async def org_data(self, session: AsyncSession, org_id: str) -> OrgLanguageData:
        found = self._orgs.get(org_id)
        if found is not None:
            return found
        terms = [Term(t.source, t.source_lang, t.target_lang, t.target, t.case_sensitive)
                 for t in (await session.scalars(
                     select(GlossaryTerm).where(GlossaryTerm.org_id == org_id))).all()]
        # Brand names are never translated: every brand in the catalog is a do-not-translate
        # term without the seller having to enter it.
        brands = (await session.scalars(select(Product.brand).where(
            Product.org_id == org_id, Product.brand != "").distinct())).all()
        known = {t.source.casefold() for t in terms}
        terms += [Term(b) for b in brands if len(b) >= 2 and b.casefold() not in known]
        memory = TranslationMemory()
        for e in (await session.scalars(
                select(MemoryEntry).where(MemoryEntry.org_id == org_id))).all():
            memory.add(e.source_lang, e.target_lang, e.source, e.target, origin="org")
        data = self._orgs[org_id] = OrgLanguageData(Glossary.of(terms), memory)
        return data


MAX_TERMS = 5000


async def list_terms(session: AsyncSession, org_id: str) -> list[GlossaryTerm]:
    return list((await session.scalars(select(GlossaryTerm).where(
        GlossaryTerm.org_id == org_id).order_by(GlossaryTerm.source))).all())


async def add_term(session: AsyncSession, org_id: str, data: TermIn) -> GlossaryTerm:
    """A term with ``target`` is an enforced translation into ``target_lang``; without,
    the term is never translated (brand and product names)."""
    if data.target is not None and data.target_lang is None:
        raise InvalidInput("an enforced translation needs target_lang", code="invalid_term")
    same_src = (GlossaryTerm.source_lang.is_(None) if data.source_lang is None
                else GlossaryTerm.source_lang == data.source_lang)
    same_tgt = (GlossaryTerm.target_lang.is_(None) if data.target_lang is None
                else GlossaryTerm.target_lang == data.target_lang)
    if await session.scalar(select(GlossaryTerm.id).where(
            GlossaryTerm.org_id == org_id, GlossaryTerm.source == data.source, same_src,
            same_tgt)) is not None:
        raise Conflict("that term is already in the glossary", code="term_exists")
    count = await session.scalar(select(func.count()).select_from(GlossaryTerm).where(
        GlossaryTerm.org_id == org_id))
    if (count or 0) >= MAX_TERMS:
        raise Conflict(f"a glossary holds at most {MAX_TERMS:,} terms", code="glossary_full")
    term = GlossaryTerm(id=new_id("gls"), org_id=org_id, **data.model_dump())
    session.add(term)
    await session.flush()
    return term


async def delete_term(session: AsyncSession, org_id: str, term_id: str) -> None:
    done = await session.execute(delete(GlossaryTerm).where(
        GlossaryTerm.id == term_id[:40], GlossaryTerm.org_id == org_id))
    if not getattr(done, "rowcount", 0):
        raise NotFound("glossary term", term_id[:40], code="term_not_found")


async def list_memory(session: AsyncSession, org_id: str,
                      limit: int = 1000) -> list[MemoryEntry]:
    return list((await session.scalars(select(MemoryEntry).where(
        MemoryEntry.org_id == org_id).order_by(MemoryEntry.created_at).limit(limit))).all())


async def add_memory(session: AsyncSession, org_id: str, data: MemoryIn) -> MemoryEntry:
    if data.source_lang == data.target_lang:
        raise InvalidInput("source and target language are the same", code="same_language")
    entry = MemoryEntry(id=new_id("tm"), org_id=org_id, **data.model_dump())
    session.add(entry)
    await session.flush()
    return entry


async def price_history(session: AsyncSession, product_id: str,
                        market: str) -> PriceHistory | None:
    """The listing's current price and the lowest it had in the last 30 days."""
    listing = await session.scalar(select(Listing).where(
        Listing.product_id == product_id, Listing.market == market))
    if listing is None:
        return None
    since = utcnow() - timedelta(days=30)
    in_window = await session.scalar(select(func.min(ListingPrice.price_minor)).where(
        ListingPrice.listing_id == listing.id, ListingPrice.valid_from >= since,
        ListingPrice.currency == listing.currency))
    before = await session.scalar(select(ListingPrice.price_minor).where(
        ListingPrice.listing_id == listing.id, ListingPrice.valid_from < since,
        ListingPrice.currency == listing.currency
    ).order_by(ListingPrice.valid_from.desc()).limit(1))
    known = [p for p in (in_window, before, listing.price_minor) if p is not None]
    return PriceHistory(listing.currency, listing.price_minor, min(known),
                        minor_digits(listing.currency))
