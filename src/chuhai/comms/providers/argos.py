"""Argos Translate (offline neural MT, OpenNMT/CTranslate2 models in ``.argosmodel`` files).

The library and its models are optional: `pip install 'chuhai[argos]'` brings the library;
`chuhai translate install-package FILE.argosmodel` checks a model file and unpacks it into
``<data_dir>/argos/packages`` — the folder layout Argos itself uses, which we point it at
with ``ARGOS_PACKAGES_DIR`` — so installing never touches the network. Without the library,
or without a package for the pair, the chain skips Argos and says why.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chuhai.comms.translator import ProviderError

MAX_PACKAGE_BYTES = 2 * 1024**3
_CODE = re.compile(r"[a-z]{2,3}(?:[_-][A-Za-z]{2,4})?")


class PackageError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ArgosPackage:
    from_code: str
    to_code: str
    version: str
    path: Path


def read_package(file: Path) -> tuple[dict[str, Any], str]:
    """The metadata of an ``.argosmodel`` file and its top folder; refuses what is not one."""
    if not file.is_file():
        raise PackageError("not_found", f"{file}: no such file")
    if file.stat().st_size > MAX_PACKAGE_BYTES:
        raise PackageError("too_large", f"{file}: larger than 2 GiB")
    try:
        with zipfile.ZipFile(file) as zf:
            names = zf.namelist()
            tops = {n.split("/", 1)[0] for n in names}
            if len(tops) != 1:
                raise PackageError("bad_package", "an .argosmodel holds exactly one folder")
            top = tops.pop()
            for n in names:  # no absolute paths or .. (zip slip)
                parts = Path(n).parts
                if n.startswith("/") or ".." in parts:
                    raise PackageError("bad_package", f"unsafe path in package: {n}")
            try:
                meta = json.loads(zf.read(f"{top}/metadata.json"))
            except KeyError as exc:
                raise PackageError("bad_package", "metadata.json is missing") from exc
    except zipfile.BadZipFile as exc:
        raise PackageError("bad_package", f"{file}: not a zip archive") from exc
    except json.JSONDecodeError as exc:
        raise PackageError("bad_package", f"metadata.json is not JSON: {exc}") from exc
    if not isinstance(meta, dict):
        raise PackageError("bad_package", "metadata.json is not a JSON object")
    for key in ("from_code", "to_code"):
        # the codes name the install folder: language codes only, never a path
        if not isinstance(meta.get(key), str) or not _CODE.fullmatch(meta[key]):
            raise PackageError("bad_package", f"metadata.json has no valid {key}")
    if f"{top}/model/" not in names and not any(n.startswith(f"{top}/model/") for n in names):
        raise PackageError("bad_package", "the package has no model/ folder")
    return meta, top


def install_package(file: Path, packages_dir: Path) -> ArgosPackage:
    meta, top = read_package(file)
    packages_dir.mkdir(parents=True, exist_ok=True)
    name = f"translate-{meta['from_code']}_{meta['to_code']}"
    staging = packages_dir / f".{name}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    with zipfile.ZipFile(file) as zf:
        zf.extractall(staging)
    final = packages_dir / name
    shutil.rmtree(final, ignore_errors=True)
    (staging / top).rename(final)
    shutil.rmtree(staging, ignore_errors=True)
    return ArgosPackage(meta["from_code"], meta["to_code"],
                        str(meta.get("package_version", "")), final)


def installed_packages(packages_dir: Path) -> list[ArgosPackage]:
    found = []
    for meta_file in sorted(packages_dir.glob("*/metadata.json")):
        try:
            meta = json.loads(meta_file.read_text("utf-8"))
            found.append(ArgosPackage(meta["from_code"], meta["to_code"],
                                      str(meta.get("package_version", "")), meta_file.parent))
        except (ValueError, KeyError, TypeError):  # not JSON, no pair, not an object
            continue
    return found


class Argos:
    name = "argos"

    def __init__(self, packages_dir: Path, timeout_s: float = 5.0) -> None:
        self.packages_dir = packages_dir
        self.timeout_s = timeout_s
        self._pairs: set[tuple[str, str]] | None = None
        self._lib: Any = None
        self._lib_error: str | None = None

    def refresh(self) -> None:
        self._pairs = None

    @property
    def pairs(self) -> set[tuple[str, str]]:
        if self._pairs is None:
            self._pairs = {(p.from_code, p.to_code)
                           for p in installed_packages(self.packages_dir)}
        return self._pairs

    def _library(self) -> Any:
        if self._lib is None and self._lib_error is None:
            os.environ.setdefault("ARGOS_PACKAGES_DIR", str(self.packages_dir))
            try:
                self._lib = importlib.import_module("argostranslate.translate")
            except ImportError:
                self._lib_error = ("argostranslate is not installed "
                                   "(pip install 'chuhai[argos]')")
        return self._lib

    def unavailable(self, source: str, target: str) -> str | None:
        if (source, target) not in self.pairs:
            return f"no Argos package for {source}→{target}"
        if self._library() is None:
            return self._lib_error
        return None

    async def translate(self, text: str, source: str, target: str) -> str:
        lib = self._library()
        if lib is None:
            raise ProviderError("not_installed", self._lib_error or "argostranslate missing")
        # CPU-bound inference: off the event loop so the room keeps ticking.
        out = await asyncio.to_thread(lib.translate, text, source, target)
        return str(out)
