"""Operator imports: a full tariff for a market, ECB rates. Validated whole, then installed.

A file is parsed and every row checked before anything is written; the copy lands under a
temporary name and is renamed into place, so a failed or interrupted import never leaves a
half schedule that quotes would read.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

from chuhai.crossborder.fx import FxError, parse_rates
from chuhai.crossborder.loader import reset
from chuhai.crossborder.tariffs import TariffFileError, parse_tariff_csv

MAX_BYTES = 64 * 1024 * 1024


class ImportFailed(Exception):
    """A file that cannot be imported; the message lists why."""


def _read(file: str) -> bytes:
    try:
        size = os.path.getsize(file)
        if size > MAX_BYTES:
            raise ImportFailed(f"{file} is {size} bytes; the limit is {MAX_BYTES}")
        return Path(file).read_bytes()
    except OSError as exc:
        raise ImportFailed(f"cannot read {file}: {exc.strerror}") from None


def _install(data: bytes, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    # a name of this process's own: two nodes installing the same day never share a file
    tmp = target.with_suffix(f"{target.suffix}.{os.getpid()}.part")
    tmp.write_bytes(data)
    os.replace(tmp, target)
    reset()


def import_tariff(data_dir: Path, market: str, file: str,
                  progress: Callable[[str], None] = lambda _: None) -> tuple[int, Path]:
    market = market.upper()
    if not re.fullmatch(r"[A-Z]{2}", market):
        raise ImportFailed(f"market {market!r} must be two letters (a country code, or EU)")
    data = _read(file)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFailed(f"{file} is not UTF-8 text") from None
    progress(f"checking {file} …")
    try:
        rows = parse_tariff_csv(market, text)
    except TariffFileError as exc:
        lines = "\n".join(f"  {p}" for p in exc.problems[:50])
        more = f"\n  … and {len(exc.problems) - 50} more" if len(exc.problems) > 50 else ""
        raise ImportFailed(f"{file}: {len(exc.problems)} problem(s), nothing imported:\n"
                           f"{lines}{more}") from None
    if not rows:
        raise ImportFailed(f"{file} has no rows")
    target = data_dir / "tariffs" / f"{market}.csv"
    _install(text.encode("utf-8"), target)
    return len(rows), target


def import_fx(data_dir: Path, file: str) -> tuple[int, int, Path]:
    return install_fx(data_dir, _read(file), file)


def install_fx(data_dir: Path, data: bytes, name: str) -> tuple[int, int, Path]:
    """Validate ECB rates (XML or CSV) and add them: (days, currencies, installed file)."""
    try:
        table = parse_rates(data)
    except FxError as exc:
        raise ImportFailed(f"{name}: {exc}; nothing imported") from None
    latest = table.latest()
    suffix = ".xml" if data.lstrip()[:1] == b"<" else ".csv"
    target = data_dir / "fx" / f"imported-{latest}{suffix}"
    _install(data, target)
    days = len({d for ds in table.days.values() for d in ds})
    return days, len(table.days), target
