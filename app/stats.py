"""KPIs for managers: open escalations by region, time to acknowledge and close, escalations per
organisation, and outcomes over time."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.dashboard import OPEN_STATES
from app.models import Escalation, EscalationEvent


class OrganizationCount(BaseModel):
    organization_id: int | None
    name: str
    count: int


class DayOutcomes(BaseModel):
    date: date
    counts: dict[str, int]


class Stats(BaseModel):
    generated_at: datetime
    window_days: int
    open_total: int
    open_by_region: dict[str, int]
    median_minutes_to_acknowledge: float | None
    acknowledged_count: int
    median_minutes_to_close: float | None
    closed_count: int
    per_organization: list[OrganizationCount]
    outcomes_by_day: list[DayOutcomes]


def median_minutes(pairs: Iterable[tuple[datetime | None, datetime | None]]) -> float | None:
    """Median of (end - start) in minutes over the pairs where both ends are known."""
    spans = [(end - start).total_seconds() / 60 for start, end in pairs if start and end]
    return round(statistics.median(spans), 1) if spans else None


def outcomes_by_day(
    decisions: Iterable[tuple[datetime, str]], *, start: date, days: int
) -> list[DayOutcomes]:
    """One entry per day of the window (empty days included, so charts keep their time axis)."""
    per_day: dict[date, Counter[str]] = defaultdict(Counter)
    for at, outcome in decisions:
        per_day[at.date()][outcome] += 1
    return [
        DayOutcomes(date=day, counts=dict(sorted(per_day[day].items())))
        for day in (start + timedelta(days=i) for i in range(days))
    ]


async def compute(session: AsyncSession, *, now: datetime, window_days: int = 30) -> Stats:
    since = now - timedelta(days=window_days)
    by_region = (
        await session.execute(
            select(Escalation.region, func.count())
            .where(Escalation.state.in_(OPEN_STATES))
            .group_by(Escalation.region)
        )
    ).tuples()
    open_by_region = {region or "unknown": count for region, count in by_region}
    # Times are measured from the escalation (the manager's clock starts there), within the
    # window, so one very old case does not dominate the figure for ever.
    recent = (
        await session.execute(
            select(
                Escalation.escalated_at,
                Escalation.acknowledged_at,
                Escalation.closed_at,
                Escalation.requested_at,
            ).where(Escalation.requested_at >= since)
        )
    ).tuples()
    rows = list(recent)
    acknowledge = [(esc or req, ack) for esc, ack, _, req in rows]
    close = [(esc or req, closed) for esc, _, closed, req in rows]
    per_org = (
        await session.execute(
            select(Escalation.organization_id, Escalation.organization_name, func.count())
            .where(Escalation.requested_at >= since)
            .group_by(Escalation.organization_id, Escalation.organization_name)
            .order_by(func.count().desc(), Escalation.organization_name)
            .limit(10)
        )
    ).tuples()
    decided = (
        await session.execute(
            select(EscalationEvent.at, EscalationEvent.data).where(
                EscalationEvent.kind == "decided", EscalationEvent.at >= since
            )
        )
    ).tuples()
    decisions = [(at, str(data.get("outcome", "unknown"))) for at, data in decided]
    return Stats(
        generated_at=now,
        window_days=window_days,
        open_total=sum(open_by_region.values()),
        open_by_region=dict(sorted(open_by_region.items())),
        median_minutes_to_acknowledge=median_minutes(acknowledge),
        acknowledged_count=len([1 for s, e in acknowledge if s and e]),
        median_minutes_to_close=median_minutes(close),
        closed_count=len([1 for s, e in close if s and e]),
        per_organization=[
            OrganizationCount(
                organization_id=oid,
                name=name or (f"#{oid}" if oid else "no organisation"),
                count=count,
            )
            for oid, name, count in per_org
        ],
        outcomes_by_day=outcomes_by_day(
            decisions, start=(now - timedelta(days=window_days - 1)).date(), days=window_days
        ),
    )
