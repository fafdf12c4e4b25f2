"""Read-only market profiles (public: they are published rules, not seller data)."""

from __future__ import annotations

from fastapi import APIRouter

from chuhai.core.errors import NotFound
from chuhai.markets.profiles import MarketProfile, default_profiles, get_profile

router = APIRouter(prefix="/api/markets", tags=["markets"])


@router.get("", response_model=list[MarketProfile])
async def list_markets() -> list[MarketProfile]:
    return list(default_profiles().values())


@router.get("/{code}", response_model=MarketProfile)
async def get_market(code: str) -> MarketProfile:
    profile = get_profile(code[:3])
    if profile is None:
        raise NotFound("market", code[:3], code="market_not_found")
    return profile
