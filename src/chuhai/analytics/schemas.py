"""Bodies of ``POST /api/events``.

The request is parsed by hand (``events.parse_batch``: a page bug is refused whole, with its
own codes); ``EventsIn`` documents that body from the same constants and is not used to
validate it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from chuhai.analytics.attribution import MAX_UTM, parse_touch
from chuhai.analytics.events import EVENT_TYPES, ID_PATTERN, MAX_BATCH
from chuhai.core.text import SafeModel

_Id = Annotated[str, Field(pattern=ID_PATTERN)] | None
_Utm = Annotated[str, Field(min_length=1, max_length=MAX_UTM,
                            pattern=r"^[\w .:/+-]{1,100}$")] | None


class EventIn(BaseModel):
    type: str = Field(json_schema_extra={"enum": [t for t in sorted(EVENT_TYPES)]})
    room_id: _Id = Field(None, description="A room_id or a product_id, or both")
    product_id: _Id = None


class EventsIn(BaseModel):
    events: list[EventIn] = Field(max_length=MAX_BATCH)
    market: str | None = Field(None, description="The market browsed (guests); customers "
                                                 "count in their home country")


class EventsOut(BaseModel):
    accepted: int
    mode: str = Field(description="full: kept with your id (analytics consent) | "
                                  "anonymous: counted only")


class UtmIn(SafeModel):
    utm_source: _Utm = None
    utm_medium: _Utm = None
    utm_campaign: _Utm = None


class TouchIn(SafeModel):
    """How the buyer came to what they add: the page passes the touch it was opened with
    (``via=…`` of our own links, the UTM parameters of an outside one, or its own surface).
    It becomes the order's last touch; nothing about the person is in it."""

    channel: Literal["feed", "video", "live", "search", "browse", "external", "direct"]
    item_id: _Id = Field(None, description="The feed item, video or room that brought them")
    utm: UtmIn | None = Field(None, description="An external touch's UTM parameters")

    def checked(self) -> dict[str, Any]:
        """The touch as stored (``bad_touch`` for UTM parameters on an internal touch)."""
        raw = self.model_dump(exclude_none=True)
        if "utm" in raw:
            raw["utm"] = {k: v for k, v in raw["utm"].items() if v is not None} or None
            if raw["utm"] is None:
                del raw["utm"]
        found = parse_touch(raw)
        assert found is not None
        return found.as_dict()


class ChannelRowOut(BaseModel):
    market: str
    week: str = Field(description="The ISO week, named by its Monday")
    group: Literal["interest", "search", "direct"]
    channel: str
    orders: float = Field(description="Orders credited to the channel (fractions under "
                                      "first/linear/position models with touchpoints)")
    gmv: str = Field(description="In the reporting currency, at the ECB rate of the order's "
                                 "payment date")


class ChannelGroupOut(BaseModel):
    group: Literal["interest", "search", "direct"]
    orders: float
    gmv: str


class ChannelsOut(BaseModel):
    model: str
    currency: str
    market: str | None
    from_: str = Field(alias="from")
    to: str
    orders: int
    only_last_touch: int = Field(description="Orders with no touchpoints (no analytics "
                                             "consent, or none in the windows)")
    only_last_touch_share: float
    rows: list[ChannelRowOut]
    groups: list[ChannelGroupOut]
    unconverted_currencies: list[str]
    truncated: bool = Field(description="More orders than one report reads: ask for a "
                                        "shorter period")
    fx_note: str


class AttributionSettingsIn(SafeModel):
    click_days: int | None = Field(None, ge=1, le=90)
    view_days: int | None = Field(None, ge=1, le=90)
    reporting_currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")


class AttributionSettingsOut(BaseModel):
    click_days: int
    view_days: int
    reporting_currency: str


class ExperimentIn(SafeModel):
    name: str = Field(min_length=1, max_length=120)
    kind: Literal["interest", "personalization"] = "interest"
    share: float | str = Field("0.10", description="The held-out share: more than 0, at "
                                                   "most 0.5")


class ExperimentStatusIn(SafeModel):
    status: Literal["running", "stopped"]


class ExperimentOut(BaseModel):
    id: str
    name: str
    kind: str
    share: float
    status: str
    scope: Literal["platform", "seller"]
    started_at: str
    stopped_at: str | None


class LiftGroupOut(BaseModel):
    n: int
    conversion_rate: float
    orders_per_subject: float
    gmv_per_subject: float


class LiftRatioOut(BaseModel):
    lift: float | None
    low: float | None
    high: float | None
    p_value: float | None
    note: str | None = None


class LiftIncrementOut(BaseModel):
    value: float
    low: float
    high: float


class LiftReportOut(BaseModel):
    currency: str
    groups: dict[str, LiftGroupOut]
    lift: dict[str, LiftRatioOut]
    incremental: dict[str, LiftIncrementOut]
    method: str


class LiftReasonOut(BaseModel):
    code: str
    message: str


class ExperimentLiftOut(BaseModel):
    experiment: str
    name: str
    kind: str
    share: float
    status: str
    started_at: str
    stopped_at: str | None
    scope: str
    assigned: dict[str, int]
    left_out: dict[str, int]
    currency: str
    fx_note: str
    report: LiftReportOut | None = Field(description="None while a group is still empty")
    reason: LiftReasonOut | None


class StockLeftOut(BaseModel):
    warehouse: str
    on_hand: int
    available: int = Field(description="On hand less the units held in carts and drops and "
                                       "reserved for orders")


class SkuSalesOut(BaseModel):
    sku_id: str
    code: str
    title: str
    orders: int
    units: int
    gmv_gross: str
    gmv_net: str
    stock: list[StockLeftOut]


class RoomSalesOut(BaseModel):
    room_id: str
    status: str
    currency: str = Field(description="The seller's reporting currency")
    orders: int = Field(description="Paid orders of the room (gross)")
    net_orders: int = Field(description="Paid orders not since cancelled, refunded or "
                                        "returned")
    units: int
    gmv_gross: str
    gmv_net: str
    aov_net: str | None = Field(description="Average order value: net GMV per net order")
    buyers: dict[str, int] = Field(description="Buyers of the room who had paid the seller "
                                   "before (returning) or not (new)")
    by_currency: dict[str, str] = Field(description="Gross GMV in each order currency")
    unconverted_currencies: list[str]
    skus: list[SkuSalesOut]
    as_of: str
    fx_note: str


class FunnelStepOut(BaseModel):
    step: str
    count: int
    conversion: float | None = Field(description="This step over the one before")
    definition: str


class StepTimeOut(BaseModel):
    within_s: int | None = Field(description="The median falls in the bucket up to this")
    beyond_s: int | None = Field(description="The median is past the last bucket")
    n: int
    shown: bool
    min_n: int


class StepTimesOut(BaseModel):
    first_touch_to_order: StepTimeOut
    order_to_paid: StepTimeOut
    note: str
    new_buyer_orders: int = Field(description="Paid orders from buyers new to the seller")
    returning_buyer_orders: int = Field(description="Paid orders from buyers who had "
                                                    "ordered from the seller before")


class RoomAudienceOut(BaseModel):
    status: str
    peak_viewers: int | None
    watch_seconds: int | None
    started_at: str | None
    ended_at: str | None
    definition: str


class FunnelOut(BaseModel):
    scope: str
    scope_id: str | None
    market: str | None
    from_: str = Field(alias="from")
    to: str
    periods: int = Field(description="Days (or, for a period not of whole days, hours) "
                                     "with any activity")
    currency: str
    steps: list[FunnelStepOut]
    gmv_gross: str
    gmv_net: str
    aov: str | None
    unconverted_currencies: list[str]
    definitions: dict[str, str]
    source: str
    room: RoomAudienceOut | None = Field(
        None, description="A room's audience (scope=room): kept when the room ends")
    step_times: StepTimesOut | None = Field(
        None, description="scope=all or host: median step times of buyers with analytics "
                          "consent only")


class TrustFigureOut(BaseModel):
    value: float | None = Field(None, description="A share from 0 to 1 (rates); none "
                                "until shown, none for times")
    n: int = Field(description="The cases behind the figure")
    shown: bool = Field(description="Enough cases (min_n) to show it")
    min_n: int
    definition: str
    within_s: int | None = Field(None, description="A median time: the bucket it falls in "
                                                   "(at most this many seconds)")
    beyond_s: int | None = Field(None, description="A median time past the last bucket")


class TrustOut(BaseModel):
    market: str | None
    host: str | None
    as_of: str
    windows: dict[str, dict[str, TrustFigureOut]] = Field(
        description="\"30\" and \"90\" days: answer_rate, answer_time, on_time, return_rate, "
                    "refund_time, repeat_rate, landed_held")
    min_rate_n: int
    min_time_n: int
    definitions: dict[str, str]
    note: str


class DutyInvoiceIn(SafeModel):
    currency: str = Field(min_length=3, max_length=3, pattern=r"^[A-Za-z]{3}$")
    duty: str = Field(max_length=40, description="Import duty charged, e.g. \"12.40\"")
    tax: str = Field(max_length=40, description="Import VAT/GST/sales tax charged")
    reference: str = Field("", max_length=80, description="The carrier's invoice number")


class DutyInvoiceOut(BaseModel):
    order_id: str
    currency: str
    duty: str
    tax: str
    charged: str
    quoted: str = Field(description="The duty and tax the buyer was quoted at checkout")
    held: bool = Field(description="Charged no more than quoted (within 1 %)")
    reference: str
    source: str
    recorded_at: str


class DutyInvoiceImportOut(BaseModel):
    recorded: int
    held: int
    invoices: list[DutyInvoiceOut]
