"""Reading a seller's catalog spreadsheet (CSV). Pure: text in, validated products or
per-cell errors out; nothing touches the database here.

One row per SKU. Rows sharing a ``product_code`` form one product; its product columns come
from the first row and may be left blank (or repeated identically) on the following rows.
Listings are columns per market: ``US_title``, ``US_price``, ``US_description``,
``US_visible`` (market codes are case-insensitive).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from chuhai.catalog.schemas import ProductIn, ProductPatch
from chuhai.core.errors import FieldProblem
from chuhai.markets.profiles import get_profile

MAX_ROWS = 5000
PRODUCT_COLUMNS = (
    "product_code", "title", "description", "brand", "hs_code", "origin_country", "weight_g",
    "length_mm", "width_mm", "height_mm", "customs_value", "customs_currency",
    "certifications", "images",
)
SKU_COLUMNS = ("sku_code", "sku_attributes", "sku_weight_g", "sku_barcode")
LISTING_FIELDS = ("title", "description", "price", "visible", "language")
_LISTING_COL = re.compile(r"^([A-Za-z]{2})_(title|description|price|visible|language)$")
_TRUE = {"1", "true", "yes", "y", "x"}
_FALSE = {"0", "false", "no", "n", ""}


@dataclass
class ParsedProduct:
    """A new product (``product``) or changes to an existing one (``patch``)."""

    line: int
    code: str
    product: ProductIn | None = None
    patch: ProductPatch | None = None


@dataclass
class _Group:
    line: int
    fields: dict[str, tuple[int, str]] = field(default_factory=dict)
    skus: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    listings: dict[str, dict[str, tuple[int, str]]] = field(default_factory=dict)


def decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError("the file is not UTF-8 text; export it as CSV UTF-8") from exc
    if "\x00" in text:
        raise ValueError("the file contains NUL characters; export it as CSV UTF-8")
    return text


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    head = text.split("\n", 1)[0]
    try:
        return csv.Sniffer().sniff(head, delimiters=",;\t")
    except csv.Error:
        return csv.excel


def product_codes(text: str) -> set[str]:
    """The product codes a file names (a cheap first pass, to look up which exist)."""
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text))
    try:
        header = [h.strip().lower() for h in next(reader)]
        col = header.index("product_code")
    except (StopIteration, ValueError, csv.Error):
        return set()
    try:
        return {row[col].strip() for row in reader if len(row) > col and row[col].strip()}
    except csv.Error:
        return set()


def parse_catalog_csv(text: str, existing: Collection[str] = ()
                      ) -> tuple[list[ParsedProduct], list[FieldProblem]]:
    """Validate every row; return products only when there is no problem at all.

    Codes in ``existing`` are validated as partial updates: only the columns present
    change, so a sheet of prices needs no HS codes."""
    problems: list[FieldProblem] = []
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        return [], [FieldProblem("(file)", "the file is empty", line=1)]
    except csv.Error as exc:
        return [], [FieldProblem("(file)", f"not a readable CSV file: {exc}", line=1)]
    columns = _columns(header, problems)
    if "product_code" not in columns.values():
        problems.append(FieldProblem("product_code", "required column is missing", line=1))
    if problems:
        return [], problems

    groups: dict[str, _Group] = {}
    rows = 0
    try:
        end_of_previous = reader.line_num
        for row in reader:
            # The record's first physical line: a quoted cell may span several lines.
            line, end_of_previous = end_of_previous + 1, reader.line_num
            rows += 1
            if rows > MAX_ROWS:
                problems.append(FieldProblem("(file)", f"more than {MAX_ROWS} rows", line=line))
                break
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(header):
                problems.append(FieldProblem("(row)", "more cells than header columns", line))
                continue
            cells = {columns[i]: row[i].strip() for i in range(len(row)) if i in columns}
            _collect(groups, line, cells, problems)
    except csv.Error as exc:
        problems.append(FieldProblem("(file)", f"CSV syntax error: {exc}", line=reader.line_num))
    if not groups and not problems:
        problems.append(FieldProblem("(file)", "no product rows", line=2))

    parsed = []
    for code, group in groups.items():
        item = _validate(group, problems, code in existing)
        if item is not None:
            parsed.append(ParsedProduct(group.line, code, *item))
    problems.sort(key=lambda p: (p.line or 0, p.field))
    return ([] if problems else parsed), problems


def _columns(header: list[str], problems: list[FieldProblem]) -> dict[int, str]:
    columns: dict[int, str] = {}
    seen: set[str] = set()
    for i, raw in enumerate(header):
        name = raw.lower()
        m = _LISTING_COL.match(raw)
        if m:
            market = m.group(1).upper()
            if get_profile(market) is None:
                problems.append(FieldProblem(raw, f"{market} is not a known market", line=1))
                continue
            name = f"{market}_{m.group(2)}"
        elif name not in PRODUCT_COLUMNS and name not in SKU_COLUMNS:
            if raw:
                problems.append(FieldProblem(raw, "unknown column", line=1))
            continue
        if name in seen:
            problems.append(FieldProblem(raw, "column appears twice", line=1))
            continue
        seen.add(name)
        columns[i] = name
    return columns


def _collect(groups: dict[str, _Group], line: int, cells: dict[str, str],
             problems: list[FieldProblem]) -> None:
    code = cells.get("product_code", "")
    if not code:
        problems.append(FieldProblem("product_code", "is empty", line=line))
        return
    group = groups.setdefault(code, _Group(line=line))
    for col in PRODUCT_COLUMNS:
        value = cells.get(col, "")
        if not value:
            continue
        if col in group.fields and group.fields[col][1] != value:
            first = group.fields[col][0]
            problems.append(FieldProblem(col, f"differs from line {first} of the same product",
                                         line=line))
        group.fields.setdefault(col, (line, value))
    sku = {c: cells.get(c, "").replace("\x00", "") for c in SKU_COLUMNS}
    if any(sku.values()):
        group.skus.append((line, sku))
    for col, value in cells.items():
        if "_" in col and col[:2].isupper() and value:
            market, part = col.split("_", 1)
            listing = group.listings.setdefault(market, {})
            listing.setdefault(part, (line, value))


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(";") if v.strip()]


def _attrs(value: str) -> dict[str, str] | str:
    out: dict[str, str] = {}
    for part in _split(value):
        if "=" not in part:
            return f"{part!r} is not name=value (e.g. color=black; size=M)"
        k, v = part.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def _validate(group: _Group, problems: list[FieldProblem], is_update: bool
              ) -> tuple[ProductIn | None, ProductPatch | None] | None:
    data: dict[str, Any] = {}
    where: dict[tuple[Any, ...], tuple[int, str]] = {}
    for col, (line, value) in group.fields.items():
        key = "code" if col == "product_code" else col
        data[key] = _split(value) if col in ("certifications", "images") else value
        where[(key,)] = (line, col)
    skus = []
    for i, (line, sku) in enumerate(group.skus):
        attrs = _attrs(sku["sku_attributes"])
        if isinstance(attrs, str):
            problems.append(FieldProblem("sku_attributes", attrs, line=line))
            attrs = {}
        item: dict[str, Any] = {"code": sku["sku_code"]}
        if sku["sku_attributes"]:
            item["attributes"] = attrs
        if sku["sku_weight_g"]:
            item["weight_g"] = sku["sku_weight_g"]
        if sku["sku_barcode"]:
            item["barcode"] = sku["sku_barcode"]
        skus.append(item)
        for part in ("code", "attributes", "weight_g", "barcode"):
            where[("skus", i, part)] = (line, f"sku_{part}")
    data["skus"] = skus
    listings = []
    for i, (market, parts) in enumerate(sorted(group.listings.items())):
        item = {"market": market}
        for part, (line, value) in parts.items():
            if part == "visible":
                if value.lower() not in _TRUE | _FALSE:
                    problems.append(FieldProblem(f"{market}_visible", "use yes or no", line=line))
                    continue
                item[part] = value.lower() in _TRUE
            else:
                item[part] = value
            where[("listings", i, part)] = (line, f"{market}_{part}")
        where[("listings", i)] = (min(v[0] for v in parts.values()), f"{market}_price")
        listings.append(item)
    data["listings"] = listings
    try:
        if is_update:
            data.pop("code", None)
            if not data["skus"]:
                del data["skus"]
            if not data["listings"]:
                del data["listings"]
            return None, ProductPatch.model_validate(data)
        return ProductIn.model_validate(data), None
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            line, col = _locate(loc, where, group)
            problems.append(FieldProblem(col, _reason(err), line=line))
        return None


def _locate(loc: tuple[Any, ...], where: dict[tuple[Any, ...], tuple[int, str]],
            group: _Group) -> tuple[int, str]:
    for n in range(len(loc), 0, -1):
        hit = where.get(loc[:n])
        if hit:
            return hit
    name = str(loc[0]) if loc else "(product)"
    return group.line, "product_code" if name == "code" else name


def _reason(err: Any) -> str:
    msg = str(err["msg"])
    return msg.removeprefix("Value error, ")
