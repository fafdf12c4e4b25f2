"""The landed-cost engine: one pure function from a basket and the rules to a quote.

Order of work, as customs does it:

1. convert every amount into the market's customs currency (exactly; rounding comes last);
2. the customs value on the market's basis (CIF adds transport and insurance, spread over the
   lines by value; Japan values personal imports at 60 % of the retail price);
3. a seller-collection scheme (EU IOSS, UK VAT, AU GST …) if the seller holds it, or a
   marketplace is the deemed supplier, and the parcel is under its threshold;
4. duty: an all-in global rate (MX), else a de-minimis relief, else a flat duty (EU €3 per
   tariff subheading), else a value band (ID, BR), else the tariff (+ origin surcharges);
5. fees (processing, handling);
6. tax on the base the rule names, by the seller at checkout or at the border;
7. each charge converted into the quote currency and rounded half-up to its minor unit;
   totals are sums of the rounded charges, so lines always add up.

DDP collects everything at checkout; DAP collects only what a collection scheme requires and
shows the rest as due at the border. A line with no known rate is an error naming it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal

from chuhai.core.money import minor_step, quantize
from chuhai.crossborder.basket import Basket, Charge, Item, Line, Quote, QuoteError
from chuhai.crossborder.fx import STALE_FX_DAYS, FxError, Used
from chuhai.crossborder.regime import (
    Band,
    Component,
    DutyBand,
    DutyRelief,
    SellerCollection,
    TaxRelief,
    Threshold,
)
from chuhai.crossborder.rulebook import MarketView, Rulebook
from chuhai.crossborder.tariffs import MissingRate, TariffRow

ZERO = Decimal(0)
HUNDRED = Decimal(100)
TWELVE = Decimal(12)


def _excepted(hs: str, prefixes: list[str]) -> bool:
    return any(hs.startswith(p) for p in prefixes)


def _relief_for(reliefs: Sequence[DutyRelief | TaxRelief], hs: str, origin: str
                ) -> DutyRelief | TaxRelief | None:
    """The most specific relief that holds for the parcel and does not except this line
    (by HS prefix or by origin)."""
    if not reliefs:
        return None
    return next((r for r in reliefs if not _excepted(hs, r.except_hs_prefixes)
                 and origin not in r.except_origins), None)


class _Calc:
    """One quote's working state (kept off the public API; built and dropped per call)."""

    def __init__(self, book: Rulebook, b: Basket, view: MarketView) -> None:
        self.book, self.b, self.view = book, b, view
        self.cur = view.currency
        self.per: dict[str, Used] = {}
        self.rules: dict[str, None] = {}
        self.warnings: list[str] = []

    def rate(self, currency: str) -> Decimal:
        if currency == "EUR":
            return Decimal(1)
        used = self.per.get(currency)
        if used is None:
            try:
                used = self.book.fx.per_eur(currency, self.b.day)
            except FxError as exc:
                raise QuoteError(str(exc), code=exc.code, field="currency") from None
            limit = self.book.fx_max_age_days
            if limit is not None and (self.b.day - used.on).days > limit:
                raise QuoteError(
                    f"the {currency} exchange rate is from {used.on}, "
                    f"{(self.b.day - used.on).days} days before the quote date; this server "
                    f"refuses rates older than {limit} days (CHUHAI_FX_MAX_AGE_DAYS): import "
                    f"fresh rates with `chuhai fx fetch` or `chuhai fx import`",
                    code="fx_rate_stale", field="currency")
            self.per[currency] = used
        return used.per_eur

    def conv(self, amount: Decimal, src: str, dst: str) -> Decimal:
        if src == dst or not amount:
            return amount
        return amount / self.rate(src) * self.rate(dst)

    def use(self, rule_id: str) -> str:
        self.rules[rule_id] = None
        return rule_id


def landed_cost(book: Rulebook, b: Basket) -> Quote:
    """Duty, tax and fees for ``b`` under the rules in force on ``b.day``."""
    view = book.view(b.destination, b.day)
    c = _Calc(book, b, view)
    restrictions = _restrictions(book, b)
    cur = view.currency
    quote_cur = b.currency or cur
    ship_cur = b.shipping_currency or cur
    ins_cur = b.insurance_currency or cur
    items = b.items
    n = len(items)

    goods = [c.conv(it.unit_value * it.quantity, it.currency, cur) for it in items]
    ship = c.conv(b.shipping, ship_cur, cur)
    ins = c.conv(b.insurance, ins_cur, cur)
    intrinsic = sum(goods, ZERO)
    shares = [g / intrinsic for g in goods] if intrinsic else [Decimal(1) / n] * n
    val = view.valuation
    c.use(val.id)
    freight = ship + ins if val.basis == "CIF" else ZERO
    customs = [g * val.goods_factor + freight * s for g, s in zip(goods, shares, strict=True)]
    customs_total = sum(customs, ZERO)

    values: dict[tuple[str, str], Decimal] = {}

    def value(basis: str, currency: str) -> Decimal:
        found = values.get((basis, currency))
        if found is not None:
            return found
        if basis == "customs_value" and currency == cur:
            total = customs_total
        elif basis == "customs_value":
            # Built in the threshold's own currency from each amount's own currency, not
            # round-tripped through the customs currency: US$3,000.00 must compare equal.
            goods_in = sum((c.conv(it.unit_value * it.quantity, it.currency, currency)
                            for it in items), ZERO)
            total = goods_in * val.goods_factor
            if val.basis == "CIF":
                total += c.conv(b.shipping, ship_cur, currency) + c.conv(
                    b.insurance, ins_cur, currency)
        else:
            total = sum((c.conv(it.unit_value * it.quantity, it.currency, currency)
                         for it in items), ZERO)
            if basis == "goods_and_shipping":
                total += c.conv(b.shipping, ship_cur, currency)
        values[(basis, currency)] = total
        return total

    def line_value(basis: str, i: int) -> Decimal:
        if basis == "customs_value":
            return customs[i]
        if basis == "goods_and_shipping":
            return goods[i] + ship * shares[i]
        return goods[i]

    def passes(t: Threshold) -> bool:
        return t.passes(value(t.basis, t.currency))

    sf, mode = b.ship_from, b.mode
    collection = _collection(c, view.pick("collections", sf, mode), passes)
    duty_charges = _duties(c, passes, value, line_value, customs, shares)
    duty_by_line = [ZERO] * n
    for ch in duty_charges:
        if ch.line is not None:
            duty_by_line[ch.line] += ch.amount
    global_rate = any(ch.name == "global rate" for ch in duty_charges)

    fee_charges: list[Charge] = []
    for f in view.pick("fees", sf, mode):
        if f.threshold is not None and not passes(f.threshold):
            continue
        count = 1 if f.per == "consignment" else n if f.per == "line" else sum(
            it.quantity for it in items)
        fee_charges.append(Charge("fee", f.name, c.conv(f.amount, f.currency, cur) * count,
                                  "border", c.use(f.id)))
    fees_total = sum((f.amount for f in fee_charges), ZERO)

    def base(components: list[Component], i: int) -> Decimal:
        total = ZERO
        for k in components:
            if k == "customs_value":
                total += customs[i]
            elif k == "duty":
                total += duty_by_line[i]
            elif k == "goods":
                total += goods[i]
            elif k == "shipping":
                total += ship * shares[i]
            elif k == "insurance":
                total += ins * shares[i]
            else:
                total += fees_total * shares[i]
        return total

    tax_charges: list[Charge] = []
    if not global_rate:
        reliefs = [r for r in view.pick("tax_reliefs", sf, mode) if passes(r.threshold)]
        for i, it in enumerate(items):
            tax_charges += _tax(c, view, collection,
                                _relief_for(reliefs, it.hs_code, it.origin), base, i, it)

    collects = set(collection.collects) if collection else set()
    charges = [*duty_charges, *fee_charges, *tax_charges]
    ddp = b.incoterm == "DDP"
    step = minor_step(quote_cur)
    for ch in charges:  # into the quote currency, rounded; fresh objects of this call only
        ch.collected = "checkout" if ddp or ch.kind in collects else "border"
        ch.amount = c.conv(ch.amount, cur, quote_cur).quantize(step, ROUND_HALF_UP)
    return _assemble(c, b, view, quote_cur, goods, customs, customs_total, charges,
                     collection, restrictions, ship_cur, ins_cur)


def _restrictions(book: Rulebook, b: Basket) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for i, it in enumerate(b.items):
        for r in book.flags(b.destination, b.day, it.hs_code, it.tags):
            if r.action == "refuse":
                raise QuoteError(f"item {i} (HS {it.hs_code}) cannot be sold into "
                                 f"{b.destination}: {r.message}", code="restricted_goods",
                                 field=f"items[{i}]", extra={"rule": r.id})
            out.append({**r.as_flag(), "item": str(i)})
    return out


def _collection(c: _Calc, rules: list[SellerCollection],
                passes: Callable[[Threshold], bool]) -> SellerCollection | None:
    b = c.b
    for r in rules:
        if r.threshold is not None and not passes(r.threshold):
            continue
        if r.registration in b.registrations or (b.channel == "marketplace" and r.marketplace):
            c.use(r.id)
            return r
        if r.mandatory:
            c.use(r.id)
            c.warnings.append(f"{r.registration} registration is required to sell parcels like "
                              f"this into {b.destination}; the {r.name} is charged at checkout")
            return r
        c.warnings.append(f"without {r.registration} the {r.name} on this parcel is left to "
                          f"the border; sellers over the registration threshold must register")
    return None


def _duties(c: _Calc, passes: Callable[[Threshold], bool],
            value: Callable[[str, str], Decimal], line_value: Callable[[str, int], Decimal],
            customs: list[Decimal], shares: list[Decimal]) -> list[Charge]:
    b, view, cur = c.b, c.view, c.cur
    items = b.items
    origins = {it.origin for it in items}
    for g in view.pick("global_rates", b.ship_from, b.mode):
        if not origins <= set(g.origins):
            continue
        band = next((bd for bd in g.bands if bd.holds(value(g.basis, g.currency))), None)
        if band is None:
            continue
        deduct = c.conv(band.deduct, g.currency, cur)
        c.use(g.id)
        on = g.charge_basis or g.basis
        return [Charge("duty", "global rate",
                       _banded(line_value(on, i), band.rate, deduct * shares[i]),
                       "border", g.id, i) for i in range(len(items))]

    reliefs = [r for r in view.pick("duty_reliefs", b.ship_from, b.mode)
               if passes(r.threshold)]
    flat = None if reliefs else next((f for f in view.pick("flats", b.ship_from, b.mode)
                                      if passes(f.threshold)), None)
    bands = _bands(c, view.pick("bands", b.ship_from, b.mode), value)
    out: list[Charge] = []
    if flat is not None:
        c.use(flat.id)
        amount = c.conv(flat.amount, flat.currency, cur)
        seen: set[str] = set()
        for i, it in enumerate(items):
            if flat.per == "item":
                out.append(Charge("duty", "flat duty", amount * it.quantity, "border", flat.id, i))
            elif flat.per == "distinct_hs6" and it.hs_code[:6] not in seen:
                seen.add(it.hs_code[:6])
                out.append(Charge("duty", "flat duty", amount, "border", flat.id, i))
            elif flat.per == "consignment" and i == 0:
                out.append(Charge("duty", "flat duty", amount, "border", flat.id, i))
        return out
    for i, it in enumerate(items):
        relief = _relief_for(reliefs, it.hs_code, it.origin)
        if relief is not None:
            c.use(relief.id)
            continue
        band_rule, band = next(((r, bd) for r, bd in bands if _covers(r, it.hs_code)),
                               (None, None))
        if band_rule is not None and band is not None:
            deduct = c.conv(band.deduct, band_rule.currency, cur)
            on = band_rule.charge_basis or band_rule.basis
            out.append(Charge("duty", "import duty",
                              _banded(line_value(on, i), band.rate, deduct * shares[i]),
                              "border", c.use(band_rule.id), i))
            continue
        out += _tariff_duty(c, i, it, customs[i])
    return out


def _banded(value: Decimal, rate: Decimal, deduct: Decimal) -> Decimal:
    """``rate`` % of ``value`` less this line's share of the band's deduction, never < 0."""
    return max(value * rate / HUNDRED - deduct, ZERO)


def _bands(c: _Calc, rules: list[DutyBand], value: Callable[[str, str], Decimal]
           ) -> list[tuple[DutyBand, Band]]:
    """The band rules that hold for this parcel (registration, value), in file order."""
    regs = c.b.registrations
    out = []
    for r in rules:
        if r.registration is not None:
            held = r.registration in regs
            if held == r.without_registration:
                continue
        v = value(r.basis, r.currency)
        band = next((bd for bd in r.bands if bd.holds(v)), None)
        if band is not None:
            out.append((r, band))
    return out


def _covers(rule: DutyBand, hs: str) -> bool:
    return (not rule.hs_prefixes or any(hs.startswith(p) for p in rule.hs_prefixes)) and \
        not _excepted(hs, rule.except_hs_prefixes)


def _tariff_duty(c: _Calc, i: int, it: Item, customs: Decimal) -> list[Charge]:
    view = c.view
    try:
        if view.tariff is None:
            raise MissingRate(f"no {view.market} duty rate for HS {it.hs_code} on {c.b.day} "
                              f"(no {view.market} tariff is loaded; see chuhai tariffs import)")
        row = view.tariff.base(it.hs_code, c.b.day)
        extra = view.tariff.additional(it.hs_code, it.origin, c.b.day)
    except MissingRate as exc:
        d = view.default
        if exc.code == "duty_rate_unknown" and d is not None and not _excepted(
                it.hs_code, d.except_hs_prefixes):
            return [Charge("duty", "import duty", customs * d.rate / HUNDRED, "border",
                           c.use(d.id), i)]
        if exc.code == "hs_code_ambiguous" and c.b.ambiguous_hs == "highest":
            highest = _highest_line(c, i, it, customs, exc.choices)
            if highest is not None:
                return highest
        raise QuoteError(f"item {i}: {exc}", code=exc.code, field=f"items[{i}].hs_code",
                         extra={"choices": list(exc.choices)} if exc.choices else {}) from None
    return _charges(c, i, it, customs, [row, *extra])


def _charges(c: _Calc, i: int, it: Item, customs: Decimal, rows: list[TariffRow]
             ) -> list[Charge]:
    return [Charge("duty", "import duty" if r.kind == "base" else "additional duty",
                   _row_duty(c, r, i, it, customs), "border", c.use(r.id), i) for r in rows]


def _highest_line(c: _Calc, i: int, it: Item, customs: Decimal, lines: tuple[str, ...]
                  ) -> list[Charge] | None:
    """The duty of the national line under a short code that costs the most, and a warning
    naming the lines (None when a line cannot be priced: then the code is refused)."""
    tariff = c.view.tariff
    assert tariff is not None
    best: tuple[Decimal, str, list[TariffRow]] | None = None
    for line in lines:
        try:
            rows = [tariff.base(line, c.b.day), *tariff.additional(line, it.origin, c.b.day)]
        except MissingRate:
            return None
        total = sum((_row_duty(c, r, i, it, customs) for r in rows), ZERO)
        if best is None or total > best[0]:
            best = (total, line, rows)
    if best is None:
        return None
    shown = ", ".join(lines[:8]) + (f" and {len(lines) - 8} more" if len(lines) > 8 else "")
    c.warnings.append(f"item {i}: HS {it.hs_code} covers {tariff.market} tariff lines with "
                      f"different duties ({shown}); quoted at the highest, "
                      f"{best[1]} — give the full code for the exact duty")
    return _charges(c, i, it, customs, best[2])


def _row_duty(c: _Calc, r: TariffRow, i: int, it: Item, customs: Decimal) -> Decimal:
    duty = customs * r.rate / HUNDRED if r.duty_type in ("ad_valorem", "compound") else ZERO
    if r.duty_type in ("specific", "compound"):
        if r.per_unit == "kg":
            if it.weight_kg is None:
                raise QuoteError(f"item {i}: HS {it.hs_code} has a duty per kg in "
                                 f"{c.view.market}; give weight_kg", code="weight_required",
                                 field=f"items[{i}].weight_kg")
            units = it.weight_kg * it.quantity
        else:
            units = Decimal(it.quantity) / TWELVE if r.per_unit == "dozen" else Decimal(
                it.quantity)
        duty += c.conv(r.amount, r.amount_currency, c.cur) * units
    return duty


def _tax(c: _Calc, view: MarketView, collection: SellerCollection | None,
         relief: DutyRelief | TaxRelief | None,
         base: Callable[[list[Component], int], Decimal], i: int, it: Item) -> list[Charge]:
    t = view.tax_for(it.hs_code)
    if collection is not None and "tax" in collection.collects and not _excepted(
            it.hs_code, collection.except_hs_prefixes):
        rate, inclusive = collection.rate, False
        if rate is None:
            if t is None:
                raise QuoteError(f"no {view.market} tax rate for HS {it.hs_code}",
                                 code="tax_rate_unknown", field=f"items[{i}].hs_code")
            rate, inclusive = t.rate, t.inclusive
            c.use(t.id)
        amount = _apply(base(collection.base, i), rate, inclusive)
        return [Charge("tax", collection.name, amount, "checkout", c.use(collection.id), i)]
    if relief is not None:
        c.use(relief.id)
        return []
    if t is None:
        return []
    return [Charge("tax", t.name, _apply(base(t.base, i), t.rate, t.inclusive), "border",
                   c.use(t.id), i)]


def _apply(base: Decimal, rate: Decimal, inclusive: bool) -> Decimal:
    """``rate`` % of ``base``; "por dentro" (inclusive) taxes are part of their own base."""
    if inclusive:
        return base * rate / (HUNDRED - rate)
    return base * rate / HUNDRED


def _assemble(c: _Calc, b: Basket, view: MarketView, quote_cur: str, goods: list[Decimal],
              customs: list[Decimal], customs_total: Decimal, charges: list[Charge],
              collection: SellerCollection | None, restrictions: list[dict[str, str]],
              ship_cur: str, ins_cur: str) -> Quote:
    cur = view.currency

    step = minor_step(quote_cur)

    def q(amount: Decimal, src: str) -> Decimal:
        return c.conv(amount, src, quote_cur).quantize(step, ROUND_HALF_UP)

    zero = quantize(ZERO, quote_cur)
    n = len(b.items)
    duty_by, tax_by = [zero] * n, [zero] * n
    rules_by: list[dict[str, None]] = [{} for _ in range(n)]
    totals = {"duty": zero, "tax": zero, "fee": zero}
    at_checkout = zero
    for ch in charges:
        totals[ch.kind] += ch.amount
        if ch.collected == "checkout":
            at_checkout += ch.amount
        if ch.line is None:
            continue
        if ch.kind == "duty":
            duty_by[ch.line] += ch.amount
        elif ch.kind == "tax":
            tax_by[ch.line] += ch.amount
        rules_by[ch.line][ch.rule] = None
    lines = [Line(i, it.hs_code, it.origin, it.quantity,
                  q(it.unit_value * it.quantity, it.currency), q(customs[i], cur),
                  duty_by[i], tax_by[i], tuple(rules_by[i])) for i, it in enumerate(b.items)]
    goods_total = sum((ln.goods for ln in lines), zero)
    shipping = q(b.shipping, ship_cur)
    insurance = q(b.insurance, ins_cur)
    duty, tax, fees = totals["duty"], totals["tax"], totals["fee"]
    landed = goods_total + shipping + insurance + duty + tax + fees
    checkout = goods_total + shipping + insurance + at_checkout
    fx = tuple(sorted((u.currency, u.per_eur, u.on) for u in c.per.values()))
    for cur_code, _, on in fx:
        age = (b.day - on).days
        if age > STALE_FX_DAYS:
            c.warnings.append(f"the {cur_code} exchange rate is from {on}, {age} days before "
                              f"the quote date")
    return Quote(
        destination=b.destination, day=b.day, currency=quote_cur, incoterm=b.incoterm,
        customs_currency=cur, customs_value=quantize(customs_total, cur),
        valuation_basis=view.valuation.basis, goods_total=goods_total,
        shipping_total=shipping, insurance_total=insurance, duty_total=duty, tax_total=tax,
        fees_total=fees, landed_total=landed, collected_at_checkout=checkout,
        due_at_border=landed - checkout,
        collection=collection.registration if collection else None, lines=tuple(lines),
        charges=tuple(ch for ch in charges if ch.amount), rules=tuple(c.rules),
        rules_version=c.book.version, fx=fx, warnings=tuple(c.warnings),
        restrictions=tuple(restrictions))
