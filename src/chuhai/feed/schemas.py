"""Response body of ``GET /api/feed``."""

from __future__ import annotations

from pydantic import BaseModel, Field

from chuhai.shop.schemas import PriceOut


class FeedVideoOut(BaseModel):
    poster_url: str
    master_url: str
    duration_s: float
    language: str = Field(description="The language spoken in it")
    captions: list[dict[str, str]]
    products: list[str] = Field(description="The products tagged in it")
    likes: int


class FeedProductOut(BaseModel):
    title: str
    url: str
    price: PriceOut = Field(description="Delivered, duties and taxes included, in the "
                            "market's currency and the buyer's language")
    image: str | None
    sku_id: str | None = Field(description="A SKU in stock, to buy from the card")
    shop: str


class FeedItemOut(BaseModel):
    id: str
    kind: str = Field(description="video | room | product")
    room_id: str | None = Field(description="The room's id (rooms only)")
    status: str = Field(description="live | scheduled (rooms); published")
    title: str = Field(description="In the language asked for, else the item's first title")
    starts_at: str = Field(description="A room's start (or when it is scheduled); when a "
                           "video or product was published (ISO 8601)")
    score: float
    reasons: list[str] = Field(description="popular | live | new | followed | similar | "
                               "interest | no_model (personalized, but no model is trained "
                               "yet: popularity leads)")
    seller: str
    shop: str = Field(description="The seller's shop (its address: /shop/<shop>)")
    viewers: int | None = Field(None, description="Watching now (live rooms)")
    video: FeedVideoOut | None = None
    product: FeedProductOut | None = None


class FeedOut(BaseModel):
    market: str
    mode: str = Field(description="for_you | popular (the non-profiling feed)")
    personalized: bool = Field(description="Whether your own history shaped the order")
    signals: int = Field(description="How many of your events and purchases shaped it")
    model: str | None = Field(description="The recommender model's version, if one is "
                              "trained")
    sources: list[str] = Field(description="Which of your signals found items: "
                               "collaborative, content, followed")
    restarted: bool = Field(description="The cursor sent was not this feed's: it starts "
                            "again from the top")
    next: str | None = Field(description="Cursor of the next page, if there is one")
    held_out: bool = Field(False, description="You are in the held-out group of the "
                           "platform's interest experiment: no feed for now")
    items: list[FeedItemOut]
