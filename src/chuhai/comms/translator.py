"""The translator chain: memory first, then machine providers in order, each with its own
timeout; the first that answers well wins and the others are never called.

Order matters for cost and trust: the org's glossary and translation memory (and the
commerce phrasebook) are instant, free and reviewed; an offline Argos model is free but
weaker; a hosted LLM, DeepL or LibreTranslate costs money or latency. A provider that is
not configured, not installed or has no model for the language pair is skipped with a
reason — the trace of a translation says what was tried — and a provider that fails,
times out or loses a protected term is passed over for the next one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from chuhai.comms.cache import Cached, TranslationCache, cache_key
from chuhai.comms.glossary import EMPTY, Glossary, PlaceholderLost, protect, restore
from chuhai.comms.memory import TranslationMemory

MAX_TRANSLATE_CHARS = 5000


class ProviderError(Exception):
    """A provider answered with an error (auth, quota, unsupported pair, bad reply)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class TranslationUnavailable(Exception):
    def __init__(self, trace: Sequence[str]) -> None:
        super().__init__("no translator could translate this line: " + "; ".join(trace))
        self.trace = tuple(trace)


class Provider(Protocol):
    name: str
    timeout_s: float

    def unavailable(self, source: str, target: str) -> str | None:
        """Why this provider cannot serve the pair right now, or None when it can."""

    async def translate(self, text: str, source: str, target: str) -> str: ...


@dataclass(frozen=True)
class Translation:
    text: str
    source: str
    target: str
    provider: str        # identity | memory:phrasebook | memory:org | argos | deepl | …
    machine: bool        # shown as machine-translated in the UI
    cached: bool = False
    trace: tuple[str, ...] = ()
    elapsed_ms: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {"text": self.text, "source": self.source, "target": self.target,
                "provider": self.provider, "machine": self.machine, "cached": self.cached,
                "trace": list(self.trace), "elapsed_ms": round(self.elapsed_ms, 3)}


@dataclass
class TranslationChain:
    providers: Sequence[Provider]
    memory: TranslationMemory = field(default_factory=TranslationMemory)
    cache: TranslationCache = field(default_factory=TranslationCache)

    def describe(self, source: str, target: str) -> list[dict[str, str | None]]:
        """For `chuhai translate --providers` and the docs: who would serve this pair."""
        return [{"provider": p.name, "skipped": p.unavailable(source, target)}
                for p in self.providers]

    async def translate(self, text: str, source: str, target: str,
                        glossary: Glossary = EMPTY,
                        org_memory: TranslationMemory | None = None) -> Translation:
        start = time.perf_counter()
        if len(text) > MAX_TRANSLATE_CHARS:
            raise ProviderError("too_long", f"at most {MAX_TRANSLATE_CHARS} characters")
        if source == target or not text.strip():
            return Translation(text, source, target, "identity", False)
        key = cache_key(text, source, target, glossary.version)
        hit = await self.cache.get(key)
        if hit is not None:
            return Translation(hit.text, source, target, hit.provider, hit.machine,
                               cached=True,
                               elapsed_ms=(time.perf_counter() - start) * 1000)
        trace: list[str] = []
        for memory in (org_memory, self.memory):
            if memory is None:
                continue
            found = memory.lookup(text, source, target)
            if found is not None:
                via = f"memory:{found.origin}"
                await self.cache.put(key, Cached(found.text, via, False))
                return Translation(found.text, source, target, via, False,
                                   elapsed_ms=(time.perf_counter() - start) * 1000)
        trace.append("memory: no match")
        protected = protect(text, glossary, source, target)
        for provider in self.providers:
            reason = provider.unavailable(source, target)
            if reason:
                trace.append(f"{provider.name}: skipped ({reason})")
                continue
            try:
                raw: str = await asyncio.wait_for(
                    provider.translate(protected.text, source, target), provider.timeout_s)
                out = restore(raw, protected).strip()
                if not out:
                    raise ProviderError("empty", "empty translation")
            except TimeoutError:
                trace.append(f"{provider.name}: timed out after {provider.timeout_s:g} s")
                continue
            except PlaceholderLost as exc:
                trace.append(f"{provider.name}: refused ({exc})")
                continue
            except ProviderError as exc:
                trace.append(f"{provider.name}: {exc.code} ({exc})")
                continue
            except Exception as exc:  # a provider bug or network error: try the next one
                trace.append(f"{provider.name}: failed ({type(exc).__name__}: {exc})")
                continue
            await self.cache.put(key, Cached(out, provider.name, True))
            return Translation(out, source, target, provider.name, True, trace=tuple(trace),
                               elapsed_ms=(time.perf_counter() - start) * 1000)
        raise TranslationUnavailable(trace)
