"""KPIs as JSON: what the dashboard's KPI page shows."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app import stats
from app.deps import SessionDep, ViewerDep
from app.errors import error_responses
from app.models import utcnow

router = APIRouter(prefix="/api", tags=["stats"], responses=error_responses(401, 403, 422))


@router.get("/stats", response_model=stats.Stats)
async def get_stats(
    _: ViewerDep, session: SessionDep, days: Annotated[int, Query(ge=1, le=365)] = 30
) -> stats.Stats:
    """Open escalations by region, median times to acknowledge and close, escalations per
    organisation and outcomes per day over the last `days` days."""
    return await stats.compute(session, now=utcnow(), window_days=days)
