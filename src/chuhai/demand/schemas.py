"""Bodies of the demand API."""

from __future__ import annotations

from pydantic import BaseModel, Field


class SkuSelloutOut(BaseModel):
    sku_id: str
    code: str
    title: str
    product_id: str
    pinned_at: str | None = Field(description="When the product was last pinned: the pace "
                                  "counts from here (none when no pin was recorded)")
    warehouse: str = Field(description="The warehouse's code")
    warehouse_id: str
    source: str = Field(description="drop: the room's drop line; stock: the warehouse")
    remaining: int
    minutes_observed: float = Field(description="Minutes since the pin read so far (the "
                                    "minute under way at its share)")
    with_viewers: bool = Field(description="The viewers of each minute went into the "
                               "estimate (a drop line with every recent minute counted; "
                               "else the sales alone)")
    audience_weight: float | None = Field(None, description="With viewers: the weight of "
                                          "the reading in which sales follow the audience")
    sellout_minute: float | None = Field(description="Minutes from now until none are "
                                                     "left; none: not within the horizon")
    p_sellout_in_slot: float = Field(description="Probability of selling out before the "
                                                 "planned end (or within the horizon)")
    horizon_minutes: int
    rate_per_minute: float
    trend_per_minute: float
    note: str | None = None
    alert: bool
    options: list[str] | None = Field(None, description="With an alert: pause_pin, "
                                      "open_waitlist, switch_warehouse:<code>")


class SelloutOut(BaseModel):
    room_id: str
    status: str
    as_of: str
    planned_minutes: int | None
    minutes_left: float | None
    threshold: float
    method: str
    note: str | None = None
    skus: list[SkuSelloutOut]


class DayOut(BaseModel):
    ds: str
    y: float


class PointOut(BaseModel):
    unique_id: str
    ds: str
    yhat: float
    lo80: float
    hi80: float
    model: str


class ReorderOut(BaseModel):
    lead_days: int
    review_days: int
    service_level: float
    demand_over_cover: float
    safety_stock: float
    available: float
    order: int = Field(description="Units to order now")
    covered_days: int
    short_horizon: bool = Field(description="The forecast is shorter than lead time and "
                                            "review: ask for a longer horizon")


class LaneOut(BaseModel):
    id: str
    from_: str = Field(alias="from", description="The origin country")
    mode: str
    basis: str = Field(description="door-to-door, or port-to-port (customs and inland "
                                   "haulage on top)")
    days: list[int] = Field(description="The range the sources give")
    allowance_days: list[int] = Field(description="Port-to-port: customs and haulage added")
    plan_days: int = Field(description="What the suggestion uses: both upper ends")
    source: list[str]
    confidence: str
    as_of: str
    note: str


class WarehouseDemandOut(BaseModel):
    warehouse: str
    warehouse_id: str
    available: int
    restock_lead_days: int | None = Field(description="The warehouse's own lead time")
    lead_from: str | None = Field(description="warehouse: its own lead time; lane: the "
                                  "sourced sea lane from the seller's origin; none: no "
                                  "suggestion")
    lane: LaneOut | None = None
    reorder: ReorderOut | None
    reason: str | None = None


class DemandOut(BaseModel):
    sku_id: str
    code: str
    title: str
    market: str
    horizon: int
    as_of: str
    history: list[DayOut]
    forecast: list[PointOut]
    events: list[str] = Field(description="Days ahead with a scheduled live room or drop")
    warehouses: list[WarehouseDemandOut]
    note: str
