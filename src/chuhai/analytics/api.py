"""Analytics over HTTP: engagement events from pages (``POST /api/events``); for a seller's
staff, where orders came from (``GET /api/analytics/channels``), the attribution settings,
and randomized holdouts with their lift (``/api/experiments``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, UploadFile

from chuhai.accounts.models import Org
from chuhai.analytics import (
    duty_invoices,
    funnel,
    holdouts,
    reports,
    room_sales,
    service,
    touches,
    trust_report,
)
from chuhai.analytics.attribution import check_windows
from chuhai.analytics.events import parse_batch
from chuhai.analytics.models import Experiment
from chuhai.analytics.schemas import (
    AttributionSettingsIn,
    AttributionSettingsOut,
    ChannelsOut,
    DutyInvoiceImportOut,
    DutyInvoiceIn,
    DutyInvoiceOut,
    EventsIn,
    EventsOut,
    ExperimentIn,
    ExperimentLiftOut,
    ExperimentOut,
    ExperimentStatusIn,
    FunnelOut,
    RoomSalesOut,
    TrustOut,
)
from chuhai.core.actor import PLATFORM_ORG_ID, Perm
from chuhai.core.errors import InvalidInput
from chuhai.core.workers import offload
from chuhai.crossborder.loader import rulebook
from chuhai.privacy.consent import gpc_signal
from chuhai.web.deps import CurrentActor, UoW, client_ip, limit
from chuhai.web.people import identify

router = APIRouter(prefix="/api", tags=["analytics"])
MAX_DAYS = 400  # a report covers at most about a year and a month
ExpId = Annotated[str, Path(max_length=40)]


@router.post("/events", response_model=EventsOut, openapi_extra={"requestBody": {
    "required": True, "content": {"application/json": {
        "schema": EventsIn.model_json_schema(ref_template="#/components/schemas/{model}")}}}})
async def post_events(request: Request, uow: UoW) -> dict[str, Any]:
    """Record up to 50 events. ``mode`` says whether they were kept with your id (analytics
    consent given) or only counted anonymously."""
    await limit(request, f"events:{client_ip(request)}", 120, 60)
    try:
        body = await request.json()
    except ValueError as exc:
        raise InvalidInput("the body must be JSON", code="bad_json") from exc
    if not isinstance(body, dict):
        raise InvalidInput("the body must be an object", code="bad_json")
    events = parse_batch(body.get("events"))
    person = await identify(request, uow, body.get("market"))
    result = await service.record(uow, events, market=person.market, country=person.country,
                                  subject_id=person.subject_id, region=person.region,
                                  gpc=gpc_signal(request.headers))
    await holdouts.enroll(uow, person.subject_id, person.region, person.country)
    await uow.commit()
    return {"accepted": result.accepted, "mode": result.mode}


def period(start: date | None, end: date | None, today: date) -> tuple[datetime, datetime]:
    """[from, to] as whole UTC days (``to`` included); by default the last 12 weeks."""
    end = end or today
    if not (date(2000, 1, 1) <= end <= date(2999, 12, 31)) or (
            start is not None and start < date(2000, 1, 1)):
        raise InvalidInput("dates must fall between 2000 and 2999", code="bad_period")
    start = start or end - timedelta(weeks=12) + timedelta(days=1)
    if start > end:
        raise InvalidInput("from is after to", code="bad_period")
    if (end - start).days >= MAX_DAYS:
        raise InvalidInput(f"a report covers at most {MAX_DAYS} days", code="bad_period")
    return (datetime.combine(start, time(), UTC),
            datetime.combine(end + timedelta(days=1), time(), UTC))


@router.get("/analytics/channels", response_model=ChannelsOut, response_model_by_alias=True)
async def get_channels(
        request: Request, actor: CurrentActor,
        market: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")] = None,
        from_: Annotated[date | None, Query(alias="from")] = None,
        to: date | None = None,
        model: Literal["last_touch", "first_touch", "linear", "position"] = "last_touch",
) -> dict[str, Any]:
    """Paid orders and GMV per channel — grouped as interest (feed, video, live), search
    (search, storefront browse) and direct (direct, external links) — per market and ISO
    week of payment, credited by ``model``. Money is in the org's reporting currency at the
    ECB reference rate of each order's payment date. ``only_last_touch`` counts orders
    without touchpoints (credited to their last touch under every model)."""
    start, end = period(from_, to, datetime.now(UTC).date())
    stores = request.app.state.stores
    return await reports.channel_report(
        stores, actor, market=market.upper() if market else None, start=start, end=end,
        model=model, fx=rulebook(stores.settings.data_dir).fx)


async def _settings(uow: UoW, org_id: str) -> dict[str, Any]:
    org = await uow.global_.get(Org, org_id)
    assert org is not None
    return {"click_days": org.attribution_click_days, "view_days": org.attribution_view_days,
            "reporting_currency": await holdouts.reporting_currency(uow.stores, org_id)}


@router.get("/analytics/settings", response_model=AttributionSettingsOut)
async def get_settings(uow: UoW, actor: CurrentActor) -> dict[str, Any]:
    """The attribution windows (days a click or a view counts toward an order's
    touchpoints) and the reporting currency."""
    actor.require(Perm.REPORTS_READ)
    return await _settings(uow, actor.org())


@router.patch("/analytics/settings", response_model=AttributionSettingsOut)
async def patch_settings(body: AttributionSettingsIn, uow: UoW, actor: CurrentActor
                         ) -> dict[str, Any]:
    """Change the windows (whole days, 1–90; views no longer than clicks; they apply to
    orders paid from now on — on other nodes within a minute) or the reporting currency
    (one the ECB rates convert)."""
    actor.require(Perm.SELLING)
    org = await uow.global_.get(Org, actor.org())
    assert org is not None
    click, view = check_windows(body.click_days or org.attribution_click_days,
                                body.view_days or org.attribution_view_days)
    if body.reporting_currency is not None:
        fx = rulebook(uow.stores.settings.data_dir).fx
        if body.reporting_currency not in fx.currencies():
            raise InvalidInput(f"no exchange rates for {body.reporting_currency}",
                               code="currency_unsupported")
        org.reporting_currency = body.reporting_currency
    org.attribution_click_days, org.attribution_view_days = click, view
    await uow.commit()
    touches.forget_windows()
    return await _settings(uow, org.id)


def experiment_out(e: Experiment) -> dict[str, Any]:
    return {"id": e.id, "name": e.name, "kind": e.kind, "share": e.share_bp / 10_000,
            "status": e.status,
            "scope": "platform" if e.org_id == PLATFORM_ORG_ID else "seller",
            "started_at": e.started_at.isoformat(),
            "stopped_at": e.stopped_at.isoformat() if e.stopped_at else None}


@router.post("/experiments", response_model=ExperimentOut, status_code=201)
async def start_experiment(body: ExperimentIn, request: Request, actor: CurrentActor
                           ) -> dict[str, Any]:
    """Start a randomized holdout: a stable ``share`` of buyers (default 10 %, at most 50 %)
    is held out — of the feed (``interest``: of the whole feed for the platform's staff,
    of your items for a seller) or of personalization (``personalization``). Each buyer's
    group is recorded once, when they are first active, and never changes."""
    exp = await holdouts.start(request.app.state.stores, actor, name=body.name,
                               kind=body.kind, share=body.share)
    return experiment_out(exp)


@router.get("/experiments", response_model=list[ExperimentOut])
async def list_experiments(request: Request, actor: CurrentActor) -> list[dict[str, Any]]:
    return [experiment_out(e) for e in
            await holdouts.list_for(request.app.state.stores, actor)]


@router.patch("/experiments/{exp_id}", response_model=ExperimentOut)
async def set_experiment_status(exp_id: ExpId, body: ExperimentStatusIn, request: Request,
                                actor: CurrentActor) -> dict[str, Any]:
    """Stop an experiment. A stopped one never runs again (``409 experiment_stopped``):
    its holdout is never drawn anew — start a new experiment."""
    exp = await holdouts.set_status(request.app.state.stores, actor, exp_id, body.status)
    return experiment_out(exp)


@router.get("/experiments/{exp_id}/lift", response_model=ExperimentLiftOut)
async def experiment_lift(exp_id: ExpId, request: Request, actor: CurrentActor
                          ) -> dict[str, Any]:
    """The lift report: per group n, conversion rate, orders and GMV per buyer; relative
    lifts with 95 % intervals (delta method on the log ratio) and p-values; incremental
    orders and GMV. GMV is in the reporting currency at the ECB rate of each order's day."""
    stores = request.app.state.stores
    exp = await holdouts.get(stores, actor, exp_id)
    return await holdouts.lift(stores, exp, rulebook(stores.settings.data_dir).fx)



@router.get("/rooms/{room_id}/sales", response_model=RoomSalesOut)
async def get_room_sales(room_id: Annotated[str, Path(max_length=40)], request: Request,
                         actor: CurrentActor) -> dict[str, Any]:
    """A room's sales so far — for the host console, which asks every second while the room
    is live: paid orders, units and GMV per SKU (gross, and net of cancellations, refunds
    and returns) in the reporting currency at the ECB rate of each payment day, and the
    units left in each warehouse. Counts and sums only."""
    stores = request.app.state.stores
    await limit(request, f"room-sales:{actor.subject_id}", 240, 60)
    return await room_sales.room_sales(stores, actor, room_id,
                                       rulebook(stores.settings.data_dir).fx)


@router.get("/analytics/funnel", response_model=FunnelOut, response_model_by_alias=True)
async def get_funnel(
        request: Request, actor: CurrentActor,
        scope: Literal["all", "room", "video", "product", "host"] = "all",
        id_: Annotated[str | None, Query(alias="id", max_length=40)] = None,
        market: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")] = None,
        from_: Annotated[date | None, Query(alias="from")] = None,
        to: date | None = None,
) -> dict[str, Any]:
    """The funnel — impressions → views → clicks → cart adds → checkouts → paid, with each
    step's conversion — of the org in a market (``scope=all``), or of one of its rooms,
    videos, products or hosts (``scope=…&id=…``; a host's: the rooms they hosted); a
    room's comes with its peak concurrent viewers and watch time; GMV gross and net of
    cancellations, refunds and returns, average order value, in the reporting currency at
    the ECB rate of each hour's day. Read from the hourly rollup; each figure's definition
    comes with it."""
    actor.require(Perm.REPORTS_READ)
    start, end = period(from_, to, datetime.now(UTC).date())
    stores = request.app.state.stores
    org_id = actor.org()
    return await funnel.report(
        stores, org_id, start, end, market=market.upper() if market else None, scope=scope,
        scope_id=id_, fx=rulebook(stores.settings.data_dir).fx,
        currency=await holdouts.reporting_currency(stores, org_id))


@router.get("/analytics/trust", response_model=TrustOut)
async def get_trust(
        request: Request, actor: CurrentActor,
        market: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")] = None,
        host: Annotated[str | None, Query(max_length=40)] = None,
) -> dict[str, Any]:
    """The seller's trust figures over the last 30 and 90 days — answer rate and median
    answer time in live rooms, on-time delivery, return rate and refund time, repeat-buyer
    rate, how often the quoted duty and tax held — for the whole seller or one host, in all
    markets or one. Each comes with the cases behind it and is shown only from its minimum
    sample; each with its definition."""
    actor.require(Perm.REPORTS_READ)
    return await trust_report.report(request.app.state.stores, actor.org(),
                                      datetime.now(UTC).date(),
                                      market=market.upper() if market else None, host=host)


@router.put("/orders/{order_id}/duty-invoice", response_model=DutyInvoiceOut, tags=["orders"])
async def put_duty_invoice(order_id: Annotated[str, Path(max_length=40)],
                           body: DutyInvoiceIn, request: Request,
                           actor: CurrentActor) -> dict[str, Any]:
    """Record what the carrier charged for the order's import duty and tax (its duty
    invoice), to compare with what the buyer was quoted. Recording it again corrects the
    amounts. Codes: ``order_not_found``, ``currency_mismatch``, ``order_not_shipped``,
    ``bad_invoice``."""
    entry = duty_invoices.entry(order_id, body.currency, body.duty, body.tax, body.reference)
    done = await duty_invoices.record(request.app.state.stores, actor, [entry], "api")
    return done[0]


@router.post("/analytics/duty-invoices", response_model=DutyInvoiceImportOut)
async def import_duty_invoices(request: Request, actor: CurrentActor,
                               file: UploadFile) -> dict[str, Any]:
    """Import a carrier's duty invoices as CSV: ``order_id,currency,duty,tax[,reference]``
    (header first; comma, semicolon or tab), at most 5,000 rows and 2 MiB. All or nothing:
    any problem (an unknown order, another currency, a bad amount) records none and is
    answered with every problem and its line (``import_invalid``). Importing a file again
    corrects amounts and counts no order twice."""
    actor.require(Perm.SELLING)
    await limit(request, f"duty-import:{actor.org()}", 30, 3600)
    data = await file.read(MAX_INVOICE_BYTES + 1)
    if len(data) > MAX_INVOICE_BYTES:
        raise InvalidInput("the file is larger than 2 MiB", code="import_too_large")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput("the file is not UTF-8 text; export it as CSV UTF-8",
                           code="import_invalid") from exc
    if "\x00" in text:
        raise InvalidInput("the file contains NUL characters", code="import_invalid")
    entries, problems = await offload(duty_invoices.parse_csv, text)
    if problems:
        raise InvalidInput(f"the file has {len(problems)} problem(s); nothing was recorded",
                           problems, code="import_invalid")
    done = await duty_invoices.record(request.app.state.stores, actor, entries, "csv")
    return {"recorded": len(done), "held": sum(1 for d in done if d["held"]),
            "invoices": done}


MAX_INVOICE_BYTES = 2 * 1024 * 1024
