"""Read the shipped rules (and what an operator imported into the data directory) once.

Shipped: ``rules/crossborder`` (regimes), ``rules/tariffs/*.csv``, ``rules/fx`` (the ECB
snapshot and pegs), ``rules/restricted``. Imported with the CLI into ``<data_dir>``:
``tariffs/<MARKET>.csv`` (a full schedule: it replaces the shipped rows of that market) and
``fx/*.xml|csv`` (added to the shipped rates). The rules version is a digest of every byte
read, so two quotes with the same version used the same rules.
"""

from __future__ import annotations

import hashlib
import threading
import time
from importlib import resources
from pathlib import Path

from chuhai.crossborder.fx import RateTable, parse_pegs, parse_rates, parse_references
from chuhai.crossborder.regime import parse_regimes
from chuhai.crossborder.restricted import Restriction, parse_restrictions
from chuhai.crossborder.rulebook import Rulebook
from chuhai.crossborder.tariffs import Tariff, parse_tariff_csv


def rules_dir() -> Path:
    return Path(str(resources.files("chuhai") / "rules"))


def _tariff_files(shipped: Path, data_dir: Path | None) -> dict[str, Path]:
    files = {p.stem.upper(): p for p in sorted(shipped.glob("*.csv"))}
    if data_dir is not None:
        files.update({p.stem.upper(): p for p in sorted((data_dir / "tariffs").glob("*.csv"))})
    return files


def build(root: Path | None = None, data_dir: Path | None = None) -> Rulebook:
    """Every rule validated; the first invalid file raises with all its problems."""
    root = root or rules_dir()
    digest = hashlib.sha256()

    def read(path: Path) -> bytes:
        data = path.read_bytes()
        digest.update(path.name.encode() + b"\0" + data)
        return data

    def texts(directory: Path) -> list[tuple[str, str]]:
        return [(p.name, read(p).decode("utf-8")) for p in sorted(directory.glob("*.toml"))]

    markets, unions = parse_regimes(texts(root / "crossborder" / "unions"),
                                    texts(root / "crossborder"))
    tariffs = {}
    for market, path in _tariff_files(root / "tariffs", data_dir).items():
        tariffs[market] = Tariff(market, parse_tariff_csv(market, read(path).decode("utf-8")))
    fx = RateTable()
    fx_files = sorted((root / "fx").glob("*.xml")) + sorted((root / "fx").glob("*.csv"))
    if data_dir is not None:
        fx_files += sorted((data_dir / "fx").glob("*.xml")) + sorted(
            (data_dir / "fx").glob("*.csv"))
    for path in fx_files:
        fx.merge(parse_rates(read(path)))
    pegs = root / "fx" / "pegs.toml"
    if pegs.exists():
        text = read(pegs).decode("utf-8")
        fx.pegs.update(parse_pegs(text))
        for ref in parse_references(text):
            fx.add_reference(ref)
    restrictions: list[Restriction] = []
    for path in sorted((root / "restricted").glob("*.toml")):
        restrictions += parse_restrictions(read(path).decode("utf-8"), path.name)
    reviewed = max((m.last_reviewed for m in [*markets.values(), *unions.values()]),
                   default=None)
    version = f"{reviewed}.{digest.hexdigest()[:10]}"
    return Rulebook(markets, unions, tariffs, fx, restrictions, version)


_lock = threading.Lock()
_books: dict[tuple[tuple[str, int, int], ...], Rulebook] = {}


def _imports(data_dir: Path | None) -> tuple[tuple[str, int, int], ...]:
    """What the operator imported (path, mtime, size): a new import means a new rulebook."""
    if data_dir is None:
        return ()
    found = []
    for sub, pattern in (("tariffs", "*.csv"), ("fx", "*.xml"), ("fx", "*.csv")):
        for p in (data_dir / sub).glob(pattern):
            st = p.stat()
            found.append((str(p), st.st_mtime_ns, st.st_size))
    return tuple(sorted(found))


_checked: dict[str, tuple[float, tuple[tuple[str, int, int], ...]]] = {}
RECHECK_S = 2.0
_fx_max_age_days: int | None = None


def configure(*, fx_max_age_days: int | None) -> None:
    """The operator's policy for every rulebook this process hands out.

    Set once at start-up (``create_app``, the CLI) from ``Settings``, because the rulebook is
    a process-wide cache reached from many call sites that only know the data directory.
    """
    global _fx_max_age_days
    if fx_max_age_days is not None and fx_max_age_days < 1:
        raise ValueError("fx_max_age_days must be at least 1 (or None)")
    _fx_max_age_days = fx_max_age_days


def rulebook(data_dir: Path | None = None) -> Rulebook:
    """The process-wide rulebook, rebuilt when the imported files change.

    The data directory is looked at again at most every ``RECHECK_S`` seconds (a directory
    scan per quote would cost more than the quote), so a ``chuhai tariffs import`` reaches a
    running server within two seconds.
    """
    now = time.monotonic()
    seen = _checked.get(str(data_dir))
    if seen is None or now - seen[0] > RECHECK_S:
        seen = (now, _imports(data_dir))
        _checked[str(data_dir)] = seen
    key = (*seen[1], ("fx_max_age_days", _fx_max_age_days or 0, 0))
    book = _books.get(key)
    if book is None:
        with _lock:
            book = _books.get(key)
            if book is None:
                book = build(data_dir=data_dir)
                book.fx_max_age_days = _fx_max_age_days
                _books[key] = book
    return book


def reset() -> None:
    _books.clear()
    _checked.clear()
