"""The platform's own org: the marketplace that buyers sign up with.

Buyers are the platform's customers, not any seller's, so what reaches across every buyer
(the privacy office) belongs to the platform's staff. Making the platform an ordinary org
with a fixed id keeps the staff, token and session models as they are: its owner and
privacy officers are created with ``chuhai user create --org platform`` like any staff, and
``Actor.on_platform`` is a comparison, not a query.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chuhai.accounts.models import Org
from chuhai.accounts.service import region_for_country
from chuhai.core.actor import PLATFORM_ORG_ID
from chuhai.core.config import Settings
from chuhai.core.errors import Conflict

PLATFORM_NAME = "Platform"


async def ensure_platform_org(s: AsyncSession, settings: Settings) -> Org:
    """Create the platform org once (``chuhai migrate`` calls this), or rename its slug when
    ``CHUHAI_PLATFORM_ORG`` changed. A seller already holding that slug is a clash the
    operator must resolve by choosing another slug, never by taking the seller's org."""
    slug = settings.platform_org
    holder = await s.scalar(select(Org).where(Org.slug == slug))
    if holder is not None and holder.id != PLATFORM_ORG_ID:
        raise Conflict(f"the seller org {holder.id} already uses the slug {slug!r}: set "
                       "CHUHAI_PLATFORM_ORG to another slug", code="platform_slug_taken")
    org = await s.get(Org, PLATFORM_ORG_ID)
    if org is None:
        org = Org(id=PLATFORM_ORG_ID, slug=slug, name=PLATFORM_NAME,
                  home_country=settings.platform_country,
                  home_region=region_for_country(settings.platform_country))
        s.add(org)
    elif org.slug != slug:
        org.slug = slug
    await s.flush()
    return org
