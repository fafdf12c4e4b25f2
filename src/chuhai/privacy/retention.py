"""Retention: personal data is deleted when its purpose is served (rules/privacy/
retention.toml). Each rule names a table, the column its age is counted from, the days, and
optional conditions; `chuhai privacy sweep` deletes what is older, in every store the
table lives in, and records the run in the audit log. Deleting only what is past its time
makes a second run delete nothing: the sweep is idempotent."""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from sqlalchemy import Table, delete, func, or_, select, update

from chuhai.core.actor import Actor
from chuhai.core.clock import utcnow
from chuhai.core.db import GLOBAL, GlobalBase, RegionalBase, Stores
from chuhai.core.migrate import target_metadata
from chuhai.privacy import audit
from chuhai.privacy.export import export_dir


class RetentionRulesError(ValueError):
    pass


@dataclass(frozen=True)
class RetentionRule:
    id: str
    category: str
    store: str  # global | regional
    table: str
    age_column: str
    days: int
    action: str
    rationale: str
    sources: tuple[str, ...]
    effective_from: dt.date
    where: dict[str, tuple[str, ...]] = field(default_factory=dict)
    null: tuple[str, ...] = ()
    # ``action = "clear"``: these columns are emptied and the row kept (an order outlives
    # the browsing history that led to it)
    clear: tuple[str, ...] = ()


def parse(text: str) -> list[RetentionRule]:
    rules = []
    problems = []
    for raw in tomllib.loads(text).get("rule", []):
        rid = raw.get("id", "?")
        if raw.get("store") not in ("global", "regional"):
            problems.append(f"{rid}: store must be global or regional")
        if raw.get("action") not in ("delete", "clear"):
            problems.append(f"{rid}: action must be delete or clear")
        if (raw.get("action") == "clear") != bool(raw.get("clear")):
            problems.append(f"{rid}: a clear rule names the columns it clears (clear = [...]),"
                            " and only a clear rule does")
        if not isinstance(raw.get("days"), int) or raw["days"] < 1:
            problems.append(f"{rid}: days must be a positive whole number")
        if not raw.get("source"):
            problems.append(f"{rid}: a source is required")
        if problems:
            continue
        rules.append(RetentionRule(
            rid, raw["category"], raw["store"], raw["table"], raw["age_column"], raw["days"],
            raw["action"], " ".join(str(raw.get("rationale", "")).split()),
            tuple(raw["source"]), raw["effective_from"],
            {k: tuple(v) for k, v in raw.get("where", {}).items()}, tuple(raw.get("null", ())),
            tuple(raw.get("clear", ()))))
    if problems:
        raise RetentionRulesError("; ".join(problems))
    return rules


def load() -> list[RetentionRule]:
    text = (resources.files("chuhai") / "rules" / "privacy" / "retention.toml").read_text("utf-8")
    rules = parse(text)
    for r in rules:  # every rule must name a real table and columns
        md = target_metadata(r.store)
        table = md.tables.get(r.table)
        if table is None:
            raise RetentionRulesError(f"{r.id}: no {r.store} table {r.table!r}")
        for col in (r.age_column, *r.where, *r.null, *r.clear):
            if col not in table.c:
                raise RetentionRulesError(f"{r.id}: {r.table} has no column {col!r}")
    return rules


EXPORT_DAYS = 30


def _sweep_exports(stores: Stores, now: dt.datetime, dry_run: bool) -> dict[str, Any]:
    """Access-request exports wait in ``var/exports`` for the person to download them;
    after 30 days the copy is deleted (the request keeps its SHA-256 as the record)."""
    folder = export_dir(stores.settings)
    cutoff = (now - dt.timedelta(days=EXPORT_DAYS)).timestamp()
    old = [f for f in folder.glob("*.zip") if f.stat().st_mtime < cutoff] if folder.is_dir() \
        else []
    if not dry_run:
        for f in old:
            f.unlink(missing_ok=True)
    return {"rule": "retention.access_exports", "store": "files", "table": "var/exports",
            "days": EXPORT_DAYS, "deleted" if not dry_run else "would_delete": len(old)}


def _conditions(table: Table, rule: RetentionRule, now: dt.datetime) -> list[Any]:
    cutoff = now - dt.timedelta(days=rule.days)
    conds: list[Any] = [table.c[rule.age_column] < cutoff]
    conds += [table.c[col].in_(values) for col, values in rule.where.items()]
    conds += [table.c[col].is_(None) for col in rule.null]
    if rule.clear:  # only rows that still hold something to clear
        conds.append(or_(*[table.c[col].isnot(None) for col in rule.clear]))
    return conds


async def sweep(stores: Stores, *, now: dt.datetime | None = None, dry_run: bool = False,
                actor: Actor | None = None) -> list[dict[str, Any]]:
    """Per rule and store: how many rows were (or, dry run, would be) deleted."""
    now = now or utcnow()
    report = []
    for rule in load():
        if rule.effective_from > now.date():
            continue
        base = GlobalBase if rule.store == "global" else RegionalBase
        table = base.metadata.tables[rule.table]
        names = [GLOBAL] if rule.store == "global" else list(stores.regions)
        for name in names:
            async with stores.session(name) as s:
                conds = _conditions(table, rule, now)
                if dry_run:
                    n = await s.scalar(select(func.count()).select_from(table).where(*conds))
                else:
                    result = await s.execute(
                        update(table).where(*conds).values({c: None for c in rule.clear})
                        if rule.clear else delete(table).where(*conds))
                    n = getattr(result, "rowcount", 0)
                    await s.commit()
            verb = ("cleared" if rule.clear else "deleted") if not dry_run else (
                "would_clear" if rule.clear else "would_delete")
            report.append({"rule": rule.id, "store": name, "table": rule.table,
                           "days": rule.days, verb: int(n or 0),
                           **({"columns": list(rule.clear)} if rule.clear else {})})
    report.append(_sweep_exports(stores, now, dry_run))
    if not dry_run:
        async with stores.session() as s:
            await audit.append(s, actor=actor.subject_id if actor else "system",
                               action="retention.sweep",
                               details={"deleted": {f"{r['rule']}@{r['store']}": r["deleted"]
                                                    for r in report if r.get("deleted")},
                                        "cleared": {f"{r['rule']}@{r['store']}": r["cleared"]
                                                    for r in report if r.get("cleared")}})
            await s.commit()
    return report
