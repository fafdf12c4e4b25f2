"""Specification of the translation chain (chuhai.comms.translator.TranslationChain).

A line is translated by the first source that can do it well, in this order:

1. the cache (per process, and across nodes through Redis) — a line is translated once per
   (text, source, target, glossary version);
2. translation memory — the org's own, then the commerce phrasebook — exact matches with
   numbers abstracted ("Only {n} left!"), fuzzy matches only at a high score and only with
   the same count of numbers;
3. the machine providers in order. A provider that is unavailable is skipped with its reason;
   one that fails, times out, answers empty or loses a protected glossary term is passed
   over. Every step is written to the trace, and when nobody can translate the line the
   trace is in the ``TranslationUnavailable`` error.

Glossary terms never reach a provider: they travel as ``[[T0]]`` placeholders and come back
as the term itself (do-not-translate) or as its enforced translation.

The providers here are in-test fakes; the HTTP providers are covered in test_providers.py.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest

from chuhai.comms.cache import REDIS_TTL_S, TranslationCache, cache_key
from chuhai.comms.glossary import EMPTY, Glossary, Term
from chuhai.comms.memory import TranslationMemory
from chuhai.comms.translator import (
    MAX_TRANSLATE_CHARS,
    ProviderError,
    TranslationChain,
    TranslationUnavailable,
)

WORDS = {"hello": "hallo", "world": "Welt", "thanks": "danke", "the": "der", "in": "im",
         "new": "neue", "see": "seht", "now": "jetzt", "is": "ist", "here": "hier"}


def word_for_word(text: str, source: str, target: str) -> str:
    """A deterministic stand-in for MT that keeps whatever it does not know ([[T0]] too)."""
    return " ".join(WORDS.get(w.lower(), w) for w in text.split(" "))


@dataclass
class FakeProvider:
    """A provider whose answer is a function of the input, or an exception to raise."""

    name: str
    answer: Callable[[str, str, str], str] | BaseException = word_for_word
    timeout_s: float = 1.0
    reason: str | None = None  # what unavailable() says
    delay_s: float = 0.0
    calls: list[tuple[str, str, str]] = field(default_factory=list)

    def unavailable(self, source: str, target: str) -> str | None:
        return self.reason

    async def translate(self, text: str, source: str, target: str) -> str:
        self.calls.append((text, source, target))
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer(text, source, target)


def phrasebook(*entries: tuple[str, str]) -> TranslationMemory:
    memory = TranslationMemory()
    for source, target in entries:
        memory.add("en", "de", source, target, origin="phrasebook")
    return memory


# ---------------------------------------------------------------------------------------
# Translation memory comes before any provider


async def test_a_phrasebook_hit_fills_in_the_number_and_no_provider_is_called() -> None:
    mt = FakeProvider("mt")
    chain = TranslationChain([mt], memory=phrasebook(("Only {n} left!", "Nur noch {n} übrig!")))

    result = await chain.translate("Only 3 left!", "en", "de")

    assert result.text == "Nur noch 3 übrig!"
    assert result.provider == "memory:phrasebook"
    assert result.machine is False
    assert mt.calls == []


async def test_a_phrasebook_hit_ignores_case_spacing_and_end_punctuation() -> None:
    chain = TranslationChain([FakeProvider("mt")],
                             memory=phrasebook(("Only {n} left!", "Nur noch {n} übrig!")))

    result = await chain.translate("  only   12 LEFT", "en", "de")

    assert result.text == "Nur noch 12 übrig!"


async def test_two_numbers_go_where_the_target_language_puts_them() -> None:
    memory = phrasebook(("Size {n}, only {m} left in stock",
                         "Nur noch {m} auf Lager in Größe {n}"))
    chain = TranslationChain([FakeProvider("mt")], memory=memory)

    result = await chain.translate("Size 38, only 2 left in stock", "en", "de")

    assert result.text == "Nur noch 2 auf Lager in Größe 38"


async def test_a_remembered_sentence_with_literal_numbers_serves_other_numbers() -> None:
    memory = TranslationMemory()
    memory.add("en", "de", "Size 38 fits a 90 cm chest", "Größe 38 passt bei 90 cm Brustumfang")
    chain = TranslationChain([FakeProvider("mt")], memory=memory)

    result = await chain.translate("Size 40 fits a 96 cm chest", "en", "de")

    assert result.text == "Größe 40 passt bei 96 cm Brustumfang"
    assert result.provider == "memory:org"


async def test_the_orgs_own_memory_wins_over_the_phrasebook() -> None:
    org = TranslationMemory()
    org.add("en", "de", "Only {n} left!", "Nur {n} Stück da!")
    chain = TranslationChain([FakeProvider("mt")],
                             memory=phrasebook(("Only {n} left!", "Nur noch {n} übrig!")))

    result = await chain.translate("Only 5 left!", "en", "de", org_memory=org)

    assert (result.text, result.provider) == ("Nur 5 Stück da!", "memory:org")


async def test_memory_is_per_language_pair() -> None:
    mt = FakeProvider("mt")
    chain = TranslationChain([mt], memory=phrasebook(("Only {n} left!", "Nur noch {n} übrig!")))

    result = await chain.translate("Only 3 left!", "en", "fr")

    assert result.provider == "mt"
    assert mt.calls == [("Only 3 left!", "en", "fr")]


LINK = ("The link is up, go grab it now!", "Der Link ist online, schnell zugreifen!")


async def test_a_fuzzy_memory_hit_at_a_high_score_is_taken() -> None:
    mt = FakeProvider("mt")
    chain = TranslationChain([mt], memory=phrasebook(LINK))

    result = await chain.translate("The link is up, grab it now!", "en", "de")  # ~95 %

    assert (result.text, result.provider) == (LINK[1], "memory:phrasebook")
    assert mt.calls == []


@pytest.mark.parametrize("text", ["The link is down", "The link is up, go grab it later"])
async def test_a_weak_fuzzy_match_goes_to_the_provider(text: str) -> None:
    mt = FakeProvider("mt")
    chain = TranslationChain([mt], memory=phrasebook(LINK))

    result = await chain.translate(text, "en", "de")

    assert result.provider == "mt"
    assert len(mt.calls) == 1


async def test_the_fuzzy_cutoff_decides_what_counts_as_a_high_score() -> None:
    strict = TranslationMemory(fuzzy_cutoff=97)
    strict.add("en", "de", *LINK, origin="phrasebook")
    mt = FakeProvider("mt")
    chain = TranslationChain([mt], memory=strict)

    result = await chain.translate("The link is up, grab it now!", "en", "de")  # ~95 %

    assert result.provider == "mt"


@pytest.mark.parametrize("text", [
    "Free shipping on every order over euros today",          # one number fewer
    "Free shipping on every order over 50 or 60 euros today",  # one number more
])
async def test_no_fuzzy_hit_when_the_count_of_numbers_differs(text: str) -> None:
    memory = phrasebook(("Free shipping on every order over {n} euros today",
                         "Heute versandkostenfrei ab {n} Euro"))
    mt = FakeProvider("mt")
    chain = TranslationChain([mt], memory=memory)

    result = await chain.translate(text, "en", "de")

    assert result.provider == "mt"
    assert mt.calls == [(text, "en", "de")]


async def test_a_fuzzy_hit_with_the_same_count_of_numbers_keeps_the_new_number() -> None:
    memory = phrasebook(("Free shipping on every order over {n} euros today",
                         "Heute versandkostenfrei ab {n} Euro"))
    chain = TranslationChain([FakeProvider("mt")], memory=memory)

    result = await chain.translate("Free shipping on every order over 50 euro today", "en", "de")

    assert (result.text, result.provider) == ("Heute versandkostenfrei ab 50 Euro",
                                              "memory:phrasebook")


# ---------------------------------------------------------------------------------------
# Glossary terms survive the provider


GLOSSARY = Glossary.of([
    Term("Aurora"),                                   # brand: never translated
    Term("Aurora Pro Max"),                           # longer product name wins
    Term("live room", source_lang="en", target_lang="de", target="Live-Raum"),
])


async def test_do_not_translate_and_enforced_terms_never_reach_the_provider() -> None:
    mt = FakeProvider("mt")
    chain = TranslationChain([mt])

    result = await chain.translate("hello Aurora fans in the live room", "en", "de",
                                   glossary=GLOSSARY)

    # numbered longest term first: "live room" is T0, "Aurora" T1
    assert mt.calls == [("hello [[T1]] fans in the [[T0]]", "en", "de")]
    assert result.text == "hallo Aurora fans im der Live-Raum"
    assert result.provider == "mt" and result.machine is True


async def test_the_longest_term_is_protected_whole_and_keeps_the_sellers_spelling() -> None:
    mt = FakeProvider("mt")
    chain = TranslationChain([mt])

    result = await chain.translate("the new aurora pro max is here", "en", "de",
                                   glossary=GLOSSARY)

    assert mt.calls[0][0] == "the new [[T0]] is here"
    assert result.text == "der neue aurora pro max ist hier"


async def test_an_enforced_term_applies_only_to_its_target_language() -> None:
    mt = FakeProvider("mt")
    chain = TranslationChain([mt])

    await chain.translate("Aurora in the live room", "en", "fr", glossary=GLOSSARY)

    assert mt.calls == [("[[T0]] in the live room", "en", "fr")]


async def test_a_provider_may_move_a_placeholder() -> None:
    def reorder(text: str, source: str, target: str) -> str:
        return "Willkommen im [[T0]] von [[T1]]"

    chain = TranslationChain([FakeProvider("mt", reorder)])

    result = await chain.translate("Aurora welcomes you to the live room", "en", "de",
                                   glossary=GLOSSARY)

    assert result.text == "Willkommen im Live-Raum von Aurora"


@pytest.mark.parametrize(("label", "mangle"), [
    ("dropped", lambda t, s, g: t.replace("[[T0]]", "")),
    ("repeated", lambda t, s, g: t + " [[T0]]"),
    ("invented", lambda t, s, g: t + " [[T7]]"),
])
async def test_a_provider_that_mangles_a_placeholder_is_refused_and_the_next_one_used(
        label: str, mangle: Callable[[str, str, str], str]) -> None:
    bad = FakeProvider("sloppy", mangle)
    good = FakeProvider("mt")
    chain = TranslationChain([bad, good])

    result = await chain.translate("hello Aurora", "en", "de", glossary=GLOSSARY)

    assert (result.text, result.provider) == ("hallo Aurora", "mt")
    assert len(bad.calls) == 1
    assert next(t for t in result.trace if t.startswith("sloppy:")).startswith(
        "sloppy: refused (")


async def test_a_placeholder_spelled_loosely_by_a_model_is_still_recognised() -> None:
    chain = TranslationChain([FakeProvider("llm", lambda t, s, g: "hallo [[ t0 ]]")])

    result = await chain.translate("hello Aurora", "en", "de", glossary=GLOSSARY)

    assert result.text == "hallo Aurora"


# ---------------------------------------------------------------------------------------
# Providers in order: skipped, failed, timed out — all written to the trace


async def test_the_first_provider_that_answers_wins_and_the_rest_are_never_called() -> None:
    first, second = FakeProvider("argos"), FakeProvider("deepl")
    chain = TranslationChain([first, second])

    result = await chain.translate("hello world", "en", "de")

    assert (result.text, result.provider, result.machine) == ("hallo Welt", "argos", True)
    assert result.trace == ("memory: no match",)
    assert second.calls == []


async def test_unavailable_providers_are_skipped_with_their_reason_in_the_trace() -> None:
    argos = FakeProvider("argos", reason="no Argos package for en→de")
    deepl = FakeProvider("deepl", reason="no API key configured")
    llm = FakeProvider("llm")
    chain = TranslationChain([argos, deepl, llm])

    result = await chain.translate("thanks", "en", "de")

    assert (result.text, result.provider) == ("danke", "llm")
    assert result.trace == ("memory: no match",
                            "argos: skipped (no Argos package for en→de)",
                            "deepl: skipped (no API key configured)")
    assert argos.calls == [] and deepl.calls == []


def test_describe_says_who_would_serve_a_pair() -> None:
    chain = TranslationChain([FakeProvider("argos", reason="no Argos package for en→de"),
                              FakeProvider("llm")])

    assert chain.describe("en", "de") == [
        {"provider": "argos", "skipped": "no Argos package for en→de"},
        {"provider": "llm", "skipped": None}]


async def test_a_provider_slower_than_its_timeout_is_abandoned_for_the_next() -> None:
    slow = FakeProvider("argos", timeout_s=0.05, delay_s=2.0)
    chain = TranslationChain([slow, FakeProvider("deepl")])

    result = await asyncio.wait_for(chain.translate("hello", "en", "de"), 1.0)

    assert result.provider == "deepl"
    assert "argos: timed out after 0.05 s" in result.trace


async def test_when_every_provider_fails_the_error_carries_the_whole_trace() -> None:
    chain = TranslationChain([
        FakeProvider("argos", reason="argostranslate is not installed"),
        FakeProvider("deepl", ProviderError("quota_exceeded", "deepl answered HTTP 456")),
        FakeProvider("llm", RuntimeError("boom")),
        FakeProvider("slow", timeout_s=0.05, delay_s=2.0),
        FakeProvider("sloppy", lambda t, s, g: "hallo"),
    ])

    with pytest.raises(TranslationUnavailable) as err:
        await chain.translate("hello Aurora", "en", "de", glossary=GLOSSARY)

    trace = err.value.trace
    assert trace[:5] == (
        "memory: no match",
        "argos: skipped (argostranslate is not installed)",
        "deepl: quota_exceeded (deepl answered HTTP 456)",
        "llm: failed (RuntimeError: boom)",
        "slow: timed out after 0.05 s",
    )
    assert trace[5].startswith("sloppy: refused (")
    assert len(trace) == 6
    assert "deepl: quota_exceeded" in str(err.value)


async def test_an_empty_answer_is_passed_over_for_the_next_provider() -> None:
    chain = TranslationChain([FakeProvider("blank", lambda t, s, g: " \n "),
                              FakeProvider("mt")])

    result = await chain.translate("hello", "en", "de")

    assert result.provider == "mt"
    assert "blank: empty (empty translation)" in result.trace


async def test_with_no_providers_at_all_the_line_is_unavailable() -> None:
    with pytest.raises(TranslationUnavailable) as err:
        await TranslationChain([]).translate("hello", "en", "de")

    assert err.value.trace == ("memory: no match",)


async def test_a_failed_translation_is_not_cached() -> None:
    flaky = FakeProvider("mt", ProviderError("rate_limited", "slow down"))
    chain = TranslationChain([flaky])
    with pytest.raises(TranslationUnavailable):
        await chain.translate("hello", "en", "de")

    flaky.answer = word_for_word
    result = await chain.translate("hello", "en", "de")

    assert (result.text, result.cached) == ("hallo", False)


# ---------------------------------------------------------------------------------------
# Short cuts and limits


async def test_same_source_and_target_is_returned_as_is() -> None:
    mt = FakeProvider("mt")
    chain = TranslationChain([mt])

    result = await chain.translate("Only 3 left!", "de", "de")

    assert (result.text, result.provider, result.machine) == ("Only 3 left!", "identity", False)
    assert mt.calls == []


async def test_a_blank_line_is_returned_as_is() -> None:
    mt = FakeProvider("mt")

    result = await TranslationChain([mt]).translate("  \n ", "en", "de")

    assert (result.text, result.provider) == ("  \n ", "identity")
    assert mt.calls == []


async def test_text_over_the_limit_is_refused_as_too_long() -> None:
    mt = FakeProvider("mt", lambda t, s, g: "ok")
    chain = TranslationChain([mt])

    with pytest.raises(ProviderError) as err:
        await chain.translate("x" * (MAX_TRANSLATE_CHARS + 1), "en", "de")
    assert err.value.code == "too_long"
    assert mt.calls == []

    assert (await chain.translate("x" * MAX_TRANSLATE_CHARS, "en", "de")).text == "ok"


async def test_too_long_is_refused_even_when_source_equals_target() -> None:
    with pytest.raises(ProviderError) as err:
        await TranslationChain([]).translate("x" * (MAX_TRANSLATE_CHARS + 1), "en", "en")
    assert err.value.code == "too_long"


def test_a_translation_serialises_for_the_api() -> None:
    from chuhai.comms.translator import Translation

    t = Translation("hallo", "en", "de", "deepl", True, trace=("memory: no match",),
                    elapsed_ms=1.23456)

    assert t.as_dict() == {"text": "hallo", "source": "en", "target": "de",
                           "provider": "deepl", "machine": True, "cached": False,
                           "trace": ["memory: no match"], "elapsed_ms": 1.235}


# ---------------------------------------------------------------------------------------
# Cache


async def test_the_second_identical_line_comes_from_the_cache() -> None:
    mt = FakeProvider("mt")
    chain = TranslationChain([mt])

    first = await chain.translate("hello world", "en", "de")
    second = await chain.translate("hello world", "en", "de")

    assert (first.cached, second.cached) == (False, True)
    assert (second.text, second.provider, second.machine) == ("hallo Welt", "mt", True)
    assert len(mt.calls) == 1


async def test_a_memory_hit_is_cached_too_and_stays_marked_human() -> None:
    chain = TranslationChain([], memory=phrasebook(("Only {n} left!", "Nur noch {n} übrig!")))

    await chain.translate("Only 3 left!", "en", "de")
    again = await chain.translate("Only 3 left!", "en", "de")

    assert (again.text, again.provider, again.machine, again.cached) == (
        "Nur noch 3 übrig!", "memory:phrasebook", False, True)


async def test_the_cache_key_covers_text_languages_and_glossary_version() -> None:
    base = cache_key("hello", "en", "de", "v1")

    assert cache_key("hello", "en", "de", "v1") == base
    assert len({base, cache_key("hello!", "en", "de", "v1"),
                cache_key("hello", "fr", "de", "v1"), cache_key("hello", "en", "fr", "v1"),
                cache_key("hello", "en", "de", "v2")}) == 5


async def test_a_changed_glossary_means_a_fresh_translation() -> None:
    mt = FakeProvider("mt")
    chain = TranslationChain([mt])
    old = Glossary.of([Term("Aurora")])
    new = Glossary.of([Term("Aurora"), Term("Nimbus")])
    assert old.version != new.version != EMPTY.version

    a = await chain.translate("hello Aurora Nimbus", "en", "de", glossary=old)
    b = await chain.translate("hello Aurora Nimbus", "en", "de", glossary=new)
    c = await chain.translate("hello Aurora Nimbus", "en", "de",
                              glossary=Glossary.of([Term("Nimbus"), Term("Aurora")]))

    assert (a.cached, b.cached, c.cached) == (False, False, True)  # same terms, same version
    assert [call[0] for call in mt.calls] == ["hello [[T0]] Nimbus", "hello [[T0]] [[T1]]"]


class FakeRedis:
    """The two calls the cache makes on a redis.asyncio client."""

    def __init__(self, fail: bool = False) -> None:
        self.store: dict[str, bytes] = {}
        self.ttl: dict[str, int | None] = {}
        self.fail = fail

    async def get(self, key: str) -> bytes | None:
        if self.fail:
            raise ConnectionError("redis is down")
        return self.store.get(key)

    async def set(self, key: str, value: bytes | str, ex: int | None = None) -> bool:
        if self.fail:
            raise ConnectionError("redis is down")
        self.store[key] = value.encode() if isinstance(value, str) else value
        self.ttl[key] = ex
        return True


async def test_a_line_translated_on_one_node_is_served_from_redis_on_another() -> None:
    redis = FakeRedis()
    node_a, node_b = FakeProvider("mt"), FakeProvider("mt")
    chain_a = TranslationChain([node_a], cache=TranslationCache(redis=redis, prefix="t:"))
    chain_b = TranslationChain([node_b], cache=TranslationCache(redis=redis, prefix="t:"))

    await chain_a.translate("hello world", "en", "de")
    result = await chain_b.translate("hello world", "en", "de")

    key = "t:" + cache_key("hello world", "en", "de", EMPTY.version)
    assert list(redis.store) == [key]
    assert orjson.loads(redis.store[key]) == {"text": "hallo Welt", "provider": "mt",
                                              "machine": True}
    assert redis.ttl[key] == REDIS_TTL_S
    assert (result.text, result.provider, result.cached) == ("hallo Welt", "mt", True)
    assert len(node_a.calls) == 1 and node_b.calls == []


async def test_a_redis_hit_is_kept_locally_so_redis_is_asked_once() -> None:
    redis = FakeRedis()
    await TranslationChain([FakeProvider("mt")], cache=TranslationCache(redis=redis)
                           ).translate("thanks", "en", "de")
    cache = TranslationCache(redis=redis)
    chain = TranslationChain([FakeProvider("mt")], cache=cache)

    await chain.translate("thanks", "en", "de")
    redis.store.clear()
    again = await chain.translate("thanks", "en", "de")

    assert (again.text, again.cached) == ("danke", True)
    assert len(cache) == 1


async def test_a_redis_outage_costs_a_translation_never_the_line() -> None:
    mt = FakeProvider("mt")
    chain = TranslationChain([mt], cache=TranslationCache(redis=FakeRedis(fail=True)))

    first = await chain.translate("hello", "en", "de")
    second = await chain.translate("hello", "en", "de")

    assert (first.text, first.cached) == ("hallo", False)
    assert second.cached is True  # the local copy still serves this node
    assert len(mt.calls) == 1


async def test_the_local_cache_forgets_the_least_recently_used_line() -> None:
    mt = FakeProvider("mt")
    chain = TranslationChain([mt], cache=TranslationCache(max_entries=2))

    for line in ("hello", "world", "hello", "thanks"):  # "world" is now the oldest
        await chain.translate(line, "en", "de")
    hello = await chain.translate("hello", "en", "de")
    world = await chain.translate("world", "en", "de")

    assert (hello.cached, world.cached) == (True, False)


@pytest.mark.redis
async def test_a_real_redis_shares_translations_between_nodes() -> None:
    from redis.asyncio import Redis

    from tests.conftest import redis_url_or_skip

    url = redis_url_or_skip()
    prefix = f"chuhai-test-{uuid.uuid4().hex[:12]}:tr:"
    client: Any = Redis.from_url(url)
    try:
        node_a, node_b = FakeProvider("mt"), FakeProvider("mt")
        chain_a = TranslationChain([node_a], cache=TranslationCache(redis=client, prefix=prefix))
        chain_b = TranslationChain([node_b], cache=TranslationCache(redis=client, prefix=prefix))

        await chain_a.translate("hello world", "en", "de")
        result = await chain_b.translate("hello world", "en", "de")

        assert (result.text, result.cached) == ("hallo Welt", True)
        assert node_b.calls == []
        key = prefix + cache_key("hello world", "en", "de", EMPTY.version)
        assert 0 < await client.ttl(key) <= REDIS_TTL_S
    finally:
        keys = [k async for k in client.scan_iter(match=prefix + "*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()
