"""What the carrier actually charged for an order's import duty and tax, as the seller
records it — one order at a time or a carrier's duty-invoice export as CSV — so the trust
figure "the landed price held" compares the duty and tax the buyer was quoted at checkout
with what was charged.

An invoice is kept beside its order, in the order's region. Recording an order's invoice
again corrects the amounts (a carrier re-issues invoices) and keeps the day it was first
recorded, so a file imported twice counts each order once. A file is checked whole first:
one bad row imports nothing, and the answer lists every problem with its line.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from chuhai.analytics import trust, trust_rollup
from chuhai.analytics.models import DutyInvoice
from chuhai.checkout.models import Order
from chuhai.checkout.states import OrderStatus
from chuhai.core.actor import Actor, Perm
from chuhai.core.clock import utcnow
from chuhai.core.db import Stores
from chuhai.core.errors import FieldProblem, InvalidInput, NotFound
from chuhai.core.money import MoneyError, minor_digits, parse_amount, to_minor

MAX_ROWS = 5_000
COLUMNS = ("order_id", "currency", "duty", "tax")  # required; "reference" optional
ID_MAX = 40


@dataclass(frozen=True)
class Entry:
    """One invoice line: the order, and duty and tax in the currency's minor units."""

    order_id: str
    currency: str
    duty_minor: int
    tax_minor: int
    reference: str = ""
    line: int | None = None


def entry(order_id: str, currency: str, duty: str, tax: str, reference: str = "",
          line: int | None = None) -> Entry:
    """Check one invoice line; ``InvalidInput`` (``bad_invoice``) names what is wrong."""
    problems: list[FieldProblem] = []
    cur = currency.strip().upper()
    amounts: dict[str, int] = {}
    if not order_id.strip() or len(order_id.strip()) > ID_MAX:
        problems.append(FieldProblem("order_id", "name the order (its id)", line))
    for name, raw in (("duty", duty), ("tax", tax)):
        try:
            value = parse_amount(raw, cur)
        except MoneyError as exc:
            problems.append(FieldProblem(name if "ISO" not in str(exc) else "currency",
                                         str(exc), line))
            continue
        if value < 0:
            problems.append(FieldProblem(name, "an amount charged cannot be negative", line))
            continue
        amounts[name] = to_minor(value, cur)
    if len(reference) > 80:
        problems.append(FieldProblem("reference", "at most 80 characters", line))
    if problems:
        unique = list({(p.field, p.reason, p.line): p for p in problems}.values())
        raise InvalidInput("the duty invoice has problems", unique, code="bad_invoice")
    return Entry(order_id.strip(), cur, amounts["duty"], amounts["tax"], reference.strip(),
                 line)


def parse_csv(text: str) -> tuple[list[Entry], list[FieldProblem]]:
    """Rows of ``order_id,currency,duty,tax[,reference]`` (a header line first; comma,
    semicolon or tab). Pure."""
    head = text.split("\n", 1)[0]
    try:
        dialect: Any = csv.Sniffer().sniff(head, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        return _rows(text, dialect)
    except csv.Error as exc:  # a field over the csv module's limit, a stray quote…
        return [], [FieldProblem("(file)", f"not a readable CSV file: {exc}", None)]


def _rows(text: str, dialect: Any) -> tuple[list[Entry], list[FieldProblem]]:
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
    fields = [f.strip().lower() for f in reader.fieldnames or []]
    missing = [c for c in COLUMNS if c not in fields]
    if missing:
        return [], [FieldProblem("(header)", f"missing column(s): {', '.join(missing)}; the "
                                 f"header is {','.join(COLUMNS)}[,reference]", 1)]
    reader.fieldnames = fields
    out: list[Entry] = []
    problems: list[FieldProblem] = []
    seen: dict[str, int] = {}
    for i, row in enumerate(reader):
        line = i + 2
        if i >= MAX_ROWS:
            problems.append(FieldProblem("(file)", f"at most {MAX_ROWS} rows a file", line))
            break
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue  # a blank line
        try:
            e = entry(row.get("order_id") or "", row.get("currency") or "",
                      row.get("duty") or "", row.get("tax") or "",
                      row.get("reference") or "", line)
        except InvalidInput as exc:
            problems += exc.problems
            continue
        if e.order_id in seen:
            problems.append(FieldProblem("order_id", f"the order is already on line "
                                         f"{seen[e.order_id]}", line))
            continue
        seen[e.order_id] = line
        out.append(e)
    if not out and not problems:
        problems.append(FieldProblem("(file)", "the file has no invoice rows", 1))
    return out, problems


def invoice_out(inv: DutyInvoice) -> dict[str, Any]:
    charged = inv.duty_minor + inv.tax_minor
    return {"order_id": inv.order_id, "currency": inv.currency,
            "duty": _major(inv.duty_minor, inv.currency),
            "tax": _major(inv.tax_minor, inv.currency),
            "charged": _major(charged, inv.currency),
            "quoted": _major(inv.quoted_minor, inv.currency),
            "held": trust.landed_held(inv.quoted_minor, charged),
            "reference": inv.reference, "source": inv.source,
            "recorded_at": inv.recorded_at.isoformat()}


def _major(minor: int, currency: str) -> str:
    """Minor units as the decimal the API takes back ("12.40", "1234")."""
    return str(Decimal(minor).scaleb(-minor_digits(currency)))


async def record(stores: Stores, actor: Actor, entries: list[Entry], source: str
                 ) -> list[dict[str, Any]]:
    """Record the invoices of the org's own orders; an order of another seller or none at
    all is ``order_not_found`` (a file: every such line, nothing recorded)."""
    actor.require(Perm.SELLING)
    org_id = actor.org()
    wanted = {e.order_id for e in entries}
    found: dict[str, Order] = {}
    for region in stores.regions:
        async with stores.session(region) as r:
            ids = sorted(wanted - set(found))
            for i in range(0, len(ids), 500):
                for o in (await r.scalars(select(Order).where(
                        Order.id.in_(ids[i:i + 500]), Order.org_id == org_id))).all():
                    found[o.id] = o
    problems: list[tuple[str, FieldProblem]] = []
    for e in entries:
        order = found.get(e.order_id)
        if order is None:
            problems.append(("order_not_found", FieldProblem(
                "order_id", f"no order {e.order_id!r} of yours (order_not_found)", e.line)))
        elif order.currency != e.currency:
            problems.append(("currency_mismatch", FieldProblem(
                "currency", f"the order was paid in {order.currency}, not {e.currency} "
                "(currency_mismatch)", e.line)))
        elif order.status in (OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED):
            problems.append(("order_not_shipped", FieldProblem(
                "order_id", f"the order is {order.status}: nothing was imported, so no duty "
                "was charged (order_not_shipped)", e.line)))
    if problems:
        if source == "api":  # one order: its own code
            code, problem = problems[0]
            if code == "order_not_found":
                raise NotFound("order", entries[0].order_id, code=code)
            raise InvalidInput(problem.reason, [problem], code=code)
        raise InvalidInput(f"the file has {len(problems)} problem(s); nothing was recorded",
                           [p for _, p in problems], code="import_invalid")
    now = utcnow()
    by_region: dict[str, list[Entry]] = {}
    for e in entries:
        by_region.setdefault(found[e.order_id].region, []).append(e)
    out: list[dict[str, Any]] = []
    corrected: set[date] = set()
    for region, batch in by_region.items():
        for attempt in range(2):  # a concurrent first recording of the same order: again
            try:
                written, days = await _write(stores, region, batch, found, org_id, actor,
                                             source, now)
                break
            except IntegrityError:
                if attempt:
                    raise
        out += written
        corrected |= days
    # a corrected invoice counts on the day it was first recorded: that day's trust row is
    # rebuilt by the next rollup
    await trust_rollup.mark_dirty(stores, {d for d in corrected if d < now.date()})
    return out


async def _write(stores: Stores, region: str, batch: list[Entry], found: dict[str, Order],
                 org_id: str, actor: Actor, source: str, now: datetime
                 ) -> tuple[list[dict[str, Any]], set[date]]:
    """One region's invoices in one transaction; the days of those it corrected."""
    corrected: set[date] = set()
    async with stores.session(region) as r:
        have = {inv.order_id: inv for inv in (await r.scalars(select(DutyInvoice).where(
            DutyInvoice.order_id.in_([e.order_id for e in batch])))).all()}
        for e in batch:
            order = found[e.order_id]
            inv = have.get(e.order_id)
            if inv is None:
                inv = have[e.order_id] = DutyInvoice(order_id=e.order_id, region=region,
                                                     org_id=org_id, recorded_at=now)
                r.add(inv)
            else:
                corrected.add(inv.recorded_at.date())
            inv.currency, inv.duty_minor, inv.tax_minor = e.currency, e.duty_minor, \
                e.tax_minor
            inv.quoted_minor = int(order.duty_minor) + int(order.tax_minor)
            inv.reference, inv.source, inv.recorded_by = e.reference, source, \
                actor.subject_id
        await r.commit()
        return [invoice_out(have[e.order_id]) for e in batch], corrected
