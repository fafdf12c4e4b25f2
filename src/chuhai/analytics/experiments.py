"""Randomized holdouts, the rules: who is held out, and what an experiment may be. Pure.

A buyer's group is a hash of the experiment's salt and their pseudonymous subject id, so it
is the same on every node and every visit without a look-up; the service still records it
once (the population the report reads). The salt is drawn when the experiment starts and
never changes, and a stopped experiment never runs again: restarting would either re-draw
the holdout or mix two periods into one comparison — start a new experiment instead.

- **interest** (the default): held-out buyers get no feed (the platform's experiment) or
  none of the seller's items in it (a seller's) — search, storefront and direct links only.
- **personalization**: held-out buyers get the common, non-profiling feed; buyers without
  personalization consent are left out of the analysis (they get that feed anyway).
"""

from __future__ import annotations

import hashlib
from decimal import Decimal, InvalidOperation
from typing import Any

from chuhai.core.errors import Conflict, InvalidInput

KINDS: tuple[str, ...] = ("interest", "personalization")
DEFAULT_SHARE = Decimal("0.10")
MAX_SHARE = Decimal("0.50")
BASIS = 10_000
HOLDOUT, EXPOSED = "holdout", "exposed"


def share_bp(share: Any) -> int:
    """The held-out share as basis points: more than 0, at most 50 %, whole basis points."""
    if isinstance(share, bool):
        raise InvalidInput("share must be a number", code="bad_share")
    try:
        value = Decimal(str(share))
    except (InvalidOperation, ValueError):
        raise InvalidInput("share must be a number", code="bad_share") from None
    if not value.is_finite() or not (0 < value <= MAX_SHARE):
        raise InvalidInput("share must be more than 0 and at most 0.5 (50 %)",
                           code="bad_share", extra={"max": str(MAX_SHARE)})
    bp = value * BASIS
    if bp != bp.to_integral_value():
        raise InvalidInput("share is in whole basis points (0.0001)", code="bad_share")
    return int(bp)


def check_kind(kind: Any) -> str:
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of {list(KINDS)}", code="bad_experiment_kind")
    return str(kind)


def group_of(salt: str, subject_id: str, bp: int) -> str:
    """``holdout`` for a stable ``bp``/10,000 of subjects, else ``exposed``."""
    digest = hashlib.sha256(f"{salt}\x00{subject_id}".encode()).digest()
    return HOLDOUT if int.from_bytes(digest[:8], "big") % BASIS < bp else EXPOSED


def check_status_change(current: str, wanted: str) -> str:
    """``running → stopped`` only; stopping twice is a no-op, restarting is refused."""
    if wanted not in ("running", "stopped"):
        raise InvalidInput("status must be running or stopped", code="bad_experiment_status")
    if current == "stopped" and wanted == "running":
        raise Conflict("a stopped experiment never runs again (its holdout would be drawn "
                       "anew or two periods mixed); start a new experiment",
                       code="experiment_stopped")
    return wanted
