"""Response bodies of the app's own routes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class Health(BaseModel):
    """``GET /healthz``: the node answers, and which version it runs."""

    status: Literal["ok"]
    version: str
