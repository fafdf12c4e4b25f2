"""Engagement events. A person's own event trail is personal data (their browsing history)
and lives in their home region, written only with analytics consent; the per-day counts
in the global store carry no identifier at all — the anonymous minimum kept for everyone."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from chuhai.core.clock import UTCDateTime, utcnow
from chuhai.core.db import NOT_PERSONAL, PSEUDONYMOUS_ID, GlobalBase, RegionalBase, pd


class AnalyticsEvent(RegionalBase):
    __tablename__ = "analytics_events"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True, info=NOT_PERSONAL)
    subject_id: Mapped[str] = mapped_column(String(40), index=True, info=PSEUDONYMOUS_ID)
    market: Mapped[str] = mapped_column(String(2), info=pd("user.contact.address.country"))
    type: Mapped[str] = mapped_column(String(24), info=pd("user.behavior.browsing_history"))
    room_id: Mapped[str | None] = mapped_column(
        String(40), info=pd("user.behavior.browsing_history"))
    product_id: Mapped[str | None] = mapped_column(
        String(40), info=pd("user.behavior.browsing_history"))
    video_id: Mapped[str | None] = mapped_column(
        String(40), info=pd("user.behavior.browsing_history"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True,
                                         info=NOT_PERSONAL)
    # What a search asked (``search`` events): only here, with consent; never in the counts.
    query: Mapped[str | None] = mapped_column(
        String(200), info=pd("user.behavior.search_history"))
    # a person's recent events, newest first: their feed trail and an order's touchpoints
    __table_args__ = (Index("ix_analytics_events_subject_at", "subject_id", "at"),)


class AnalyticsCount(GlobalBase):
    """How many events of a type a room or product had on a day in a market — nobody's."""

    __tablename__ = "analytics_counts"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date)
    market: Mapped[str] = mapped_column(String(2))
    type: Mapped[str] = mapped_column(String(24))
    room_id: Mapped[str] = mapped_column(String(40), default="")
    product_id: Mapped[str] = mapped_column(String(40), default="")
    count: Mapped[int] = mapped_column(BigInteger, default=0)
    __table_args__ = (UniqueConstraint("day", "market", "type", "room_id", "product_id"),)


class ItemCount(GlobalBase):
    """How many events of a type a feed item (video, room or product) had on a day in a
    market — nobody's: what the feed's popularity and exploration read."""

    __tablename__ = "item_counts"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date)
    market: Mapped[str] = mapped_column(String(2))
    item_id: Mapped[str] = mapped_column(String(40))
    type: Mapped[str] = mapped_column(String(24))
    count: Mapped[int] = mapped_column(BigInteger, default=0)
    __table_args__ = (UniqueConstraint("day", "market", "item_id", "type"),
                      Index("ix_item_counts_market_day", "market", "day"))


class Experiment(GlobalBase):
    """A randomized holdout: which share of buyers is held out, how they are picked (a hash
    of their subject id with this salt) and when it ran. The platform org's (``org_platform``)
    hold buyers out of the whole feed; a seller's, out of that seller's items.
    Never re-randomized: the salt is fixed at creation and a stopped experiment stays
    stopped (analytics/experiments.py)."""

    __tablename__ = "experiments"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120), info=NOT_PERSONAL)  # what it tests
    kind: Mapped[str] = mapped_column(String(16))  # interest | personalization
    share_bp: Mapped[int] = mapped_column(Integer)  # the held-out share, basis points
    salt: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(10))  # running | stopped
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(40), info=PSEUDONYMOUS_ID)
    # one running experiment of a kind per org, even under concurrent starts
    __table_args__ = (Index("uq_experiments_running", "org_id", "kind", unique=True,
                            postgresql_where=text("status = 'running'"),
                            sqlite_where=text("status = 'running'")),)


class ExperimentAssignment(RegionalBase):
    """Which group a buyer fell in, recorded once when they were first active during the
    experiment — pseudonymous, in their home region, never updated."""

    __tablename__ = "experiment_assignments"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True, info=NOT_PERSONAL)
    experiment_id: Mapped[str] = mapped_column(String(40), index=True, info=NOT_PERSONAL)
    subject_id: Mapped[str] = mapped_column(String(40), info=PSEUDONYMOUS_ID)
    group: Mapped[str] = mapped_column(String(8), info=pd("user.behavior"))
    # whose law decides on consent (a customer's home country, a guest's market): the
    # personalization holdout's analysis keeps only those who allow personalization
    country: Mapped[str] = mapped_column(String(2), info=pd("user.contact.address.country"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow,
                                                  info=NOT_PERSONAL)
    __table_args__ = (UniqueConstraint("experiment_id", "subject_id"),)


class EventHour(GlobalBase):
    """How many events of a type an item (video, room or product) had in an hour in a
    market — nobody's: what the hourly funnel rollup reads (never the raw events)."""

    __tablename__ = "event_hours"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    hour: Mapped[datetime] = mapped_column(UTCDateTime)
    market: Mapped[str] = mapped_column(String(2))
    item_id: Mapped[str] = mapped_column(String(40))
    type: Mapped[str] = mapped_column(String(24))
    count: Mapped[int] = mapped_column(BigInteger, default=0)
    __table_args__ = (UniqueConstraint("hour", "market", "item_id", "type"),
                      Index("ix_event_hours_hour", "hour"))


class _FunnelCounts:
    """What a funnel row holds for one scope (a room, a video or a product of an org, or
    the org as a whole, in a market): each step's count, and the money paid per order
    currency — [gross minor units, net of cancellations, refunds and returns]."""

    org_id: Mapped[str] = mapped_column(String(40))
    market: Mapped[str] = mapped_column(String(2))
    scope: Mapped[str] = mapped_column(String(8))  # all | room | video | product
    scope_id: Mapped[str] = mapped_column(String(40))
    impressions: Mapped[int] = mapped_column(BigInteger, default=0)
    views: Mapped[int] = mapped_column(BigInteger, default=0)
    clicks: Mapped[int] = mapped_column(BigInteger, default=0)
    cart_adds: Mapped[int] = mapped_column(BigInteger, default=0)
    checkouts: Mapped[int] = mapped_column(BigInteger, default=0)
    paid: Mapped[int] = mapped_column(BigInteger, default=0)
    kept: Mapped[int] = mapped_column(BigInteger, default=0)  # paid, not since undone
    money: Mapped[dict[str, list[int]]] = mapped_column(JSON, default=dict)


class FunnelHour(_FunnelCounts, GlobalBase):
    """One hour of one scope's funnel, the money converted when read (at the ECB rate of
    the hour's day). Built by ``analytics.rollup``, replaced whole when an hour is rolled
    up again — nobody's."""

    __tablename__ = "funnel_hours"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    hour: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (UniqueConstraint("hour", "org_id", "market", "scope", "scope_id"),
                      Index("ix_funnel_hours_scope_hour", "org_id", "scope", "scope_id",
                            "hour"))


class RollupLock(GlobalBase):
    """Who is rolling up now, until when: a second run waits its turn (``rollup_running``)
    instead of counting the same hours at once; a holder that died lapses."""

    __tablename__ = "rollup_locks"
    name: Mapped[str] = mapped_column(String(40), primary_key=True,
                                      info=NOT_PERSONAL)  # which job: "funnel"
    holder: Mapped[str] = mapped_column(String(40))
    until: Mapped[datetime] = mapped_column(UTCDateTime)


class FunnelDay(_FunnelCounts, GlobalBase):
    """The same as ``FunnelHour``, summed per UTC day: what a dashboard over weeks reads
    (84 rows a market for 12 weeks instead of 2,016). Rebuilt for every day an hourly
    rollup touches, from that day's hours — nobody's."""

    __tablename__ = "funnel_days"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date)
    __table_args__ = (UniqueConstraint("day", "org_id", "market", "scope", "scope_id"),
                      Index("ix_funnel_days_scope_day", "org_id", "scope", "scope_id",
                            "day"))


class TrustDay(GlobalBase):
    """One UTC day of what makes a seller trustworthy, per market and host — counts and
    time histograms only, nobody's: questions asked in live rooms and how fast they were
    answered, deliveries and how many arrived by the promised date, returns, refunds and how
    long they took, paid orders and how many came from returning buyers, and how often the
    quoted duty and tax held against the carrier's invoice; and, for buyers with analytics
    consent only, how long their path took from first touch to order and from order to
    payment. ``market`` "" holds what has no
    market (questions); ``host_id`` "" is the seller as a whole. Rebuilt whole for every
    day a rollup touches (``analytics.trust_rollup``)."""

    __tablename__ = "trust_days"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date)
    org_id: Mapped[str] = mapped_column(String(40))
    market: Mapped[str] = mapped_column(String(2))
    host_id: Mapped[str] = mapped_column(String(40), info=PSEUDONYMOUS_ID)
    questions: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    answer_hist: Mapped[list[int]] = mapped_column(JSON, default=list)
    delivered: Mapped[int] = mapped_column(Integer, default=0)
    on_time: Mapped[int] = mapped_column(Integer, default=0)
    returned: Mapped[int] = mapped_column(Integer, default=0)
    refunds: Mapped[int] = mapped_column(Integer, default=0)
    refund_hist: Mapped[list[int]] = mapped_column(JSON, default=list)
    paid_orders: Mapped[int] = mapped_column(Integer, default=0)
    repeat_orders: Mapped[int] = mapped_column(Integer, default=0)
    landed_checked: Mapped[int] = mapped_column(Integer, default=0)
    landed_held: Mapped[int] = mapped_column(Integer, default=0)
    # step times of paid orders whose buyer gave analytics consent (their path was kept):
    # first touch → order placed, order placed → paid
    touch_hist: Mapped[list[int]] = mapped_column(JSON, default=list)
    pay_hist: Mapped[list[int]] = mapped_column(JSON, default=list)
    __table_args__ = (UniqueConstraint("day", "org_id", "market", "host_id"),
                      Index("ix_trust_days_org_host_day", "org_id", "host_id", "day"))


class TrustDirtyDay(GlobalBase):
    """A past day whose trust row must be rebuilt by the next rollup: a duty invoice
    recorded that day was corrected since. Nobody's."""

    __tablename__ = "trust_dirty_days"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DutyInvoice(RegionalBase):
    """What the carrier or customs actually charged for an order's import duty and tax (from
    the carrier's duty invoice), recorded by the seller, in the order's region beside it: set
    against the duty and tax the buyer was quoted, it says whether the landed price held."""

    __tablename__ = "duty_invoices"
    order_id: Mapped[str] = mapped_column(String(40), primary_key=True, info=NOT_PERSONAL)
    region: Mapped[str] = mapped_column(String(16), info=NOT_PERSONAL)
    org_id: Mapped[str] = mapped_column(String(40), index=True, info=NOT_PERSONAL)
    currency: Mapped[str] = mapped_column(String(3), info=NOT_PERSONAL)
    duty_minor: Mapped[int] = mapped_column(BigInteger, info=NOT_PERSONAL)
    tax_minor: Mapped[int] = mapped_column(BigInteger, info=NOT_PERSONAL)
    quoted_minor: Mapped[int] = mapped_column(BigInteger, info=NOT_PERSONAL)
    reference: Mapped[str] = mapped_column(String(80), default="", info=NOT_PERSONAL)
    source: Mapped[str] = mapped_column(String(8), info=NOT_PERSONAL)  # api | csv
    recorded_by: Mapped[str] = mapped_column(String(40), info=PSEUDONYMOUS_ID)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True,
                                                  info=NOT_PERSONAL)
