"""The managers' dashboard: which escalations to list, in what order, one page at a time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Escalation, EscalationEvent
from app.rules.config import RulesConfig

STATES = (
    "requested",
    "escalated",
    "acknowledged",
    "needs_info",
    "not_eligible",
    "deprioritized",
    "closed",
)
# Still needing a manager's attention; `not_eligible` and `closed` are finished business.
OPEN_STATES = ("requested", "escalated", "acknowledged", "needs_info", "deprioritized")
PAGE_SIZE = 25

SORTS: dict[str, Any] = {
    "ticket": Escalation.ticket_id,
    "organization": Escalation.organization_name,
    "region": Escalation.region,
    "state": Escalation.state,
    "age": Escalation.requested_at,
    "next_update": Escalation.next_update_due_at,
}
SortKey = Literal["ticket", "organization", "region", "state", "age", "next_update"]


@dataclass(frozen=True)
class Filters:
    state: str = "open"  # "open", "all", or one of STATES
    region: str | None = None
    manager_id: int | None = None
    sort: str = "age"
    descending: bool = False
    page: int = 1

    def query(self, **changes: Any) -> dict[str, str]:
        """Query parameters for a link to this view with some parameters changed."""
        values: dict[str, Any] = {
            "state": self.state,
            "region": self.region,
            "manager_id": self.manager_id,
            "sort": self.sort,
            "order": "desc" if self.descending else "asc",
            "page": self.page,
        }
        values.update(changes)
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


@dataclass(frozen=True)
class Page:
    rows: Sequence[Escalation]
    total: int
    page: int
    pages: int
    filters: Filters = field(default_factory=Filters)


def _filtered(query: Select[Any], filters: Filters) -> Select[Any]:
    if filters.state == "open":
        query = query.where(Escalation.state.in_(OPEN_STATES))
    elif filters.state != "all":
        query = query.where(Escalation.state == filters.state)
    if filters.region:
        query = query.where(Escalation.region == filters.region)
    if filters.manager_id is not None:
        query = query.where(Escalation.manager_id == filters.manager_id)
    return query


async def list_page(session: AsyncSession, filters: Filters, *, size: int = PAGE_SIZE) -> Page:
    total = await session.scalar(_filtered(select(func.count(Escalation.id)), filters)) or 0
    pages = max(1, -(-total // size))
    page = min(max(1, filters.page), pages)
    column = SORTS.get(filters.sort, Escalation.requested_at)
    # "age" ascending means oldest first, which is the most urgent: sort by requested_at as is.
    order = column.desc() if filters.descending else column.asc()
    # Nulls (no next update due) last either way; the id keeps pages stable between requests.
    query = _filtered(select(Escalation), filters).order_by(
        column.is_(None), order, Escalation.id.asc()
    )
    rows = (await session.scalars(query.offset((page - 1) * size).limit(size))).all()
    return Page(rows=rows, total=total, page=page, pages=pages, filters=filters)


async def regions_in_use(session: AsyncSession) -> list[str]:
    found = await session.scalars(
        select(Escalation.region).where(Escalation.region.is_not(None)).distinct()
    )
    return sorted(r for r in found if r)


def manager_names(rules: RulesConfig) -> dict[int, str]:
    """Regional managers by Zendesk user id, from the rules file."""
    return {region.manager.id: region.manager.name for region in rules.regions.values()}


async def timeline(session: AsyncSession, escalation_id: int) -> Sequence[EscalationEvent]:
    return (
        await session.scalars(
            select(EscalationEvent)
            .where(EscalationEvent.escalation_id == escalation_id)
            .order_by(EscalationEvent.at, EscalationEvent.id)
        )
    ).all()


def age_minutes(escalation: Escalation, now: datetime) -> float:
    end = escalation.closed_at or now
    return max(0.0, (end - escalation.requested_at).total_seconds() / 60)


def overdue(escalation: Escalation, now: datetime) -> bool:
    due = escalation.next_update_due_at
    return due is not None and due < now and escalation.state in OPEN_STATES


EVENT_LABELS = {
    "requested": "Escalation requested",
    "escalated": "Escalated",
    "decided": "Decision",
    "zendesk_update": "Zendesk ticket updated",
    "reply_sent": "Reply sent to the customer",
    "acknowledged": "Acknowledged",
    "acknowledgement": "Acknowledged",
    "reminder": "Manager reminded (update overdue)",
    "closed": "Closed",
}
# Escalation timestamps that stand for a timeline event when no event row records it (rows
# written before that event kind existed, or by another path).
_STAMPS = (
    ("requested", "requested_at"),
    ("escalated", "escalated_at"),
    ("acknowledged", "acknowledged_at"),
    ("closed", "closed_at"),
)


@dataclass(frozen=True)
class TimelineEntry:
    kind: str
    label: str
    at: datetime
    data: dict[str, Any]
    evidence: list[str]


def timeline_entries(
    escalation: Escalation, events: Sequence[EscalationEvent]
) -> list[TimelineEntry]:
    entries = [
        TimelineEntry(
            kind=e.kind,
            label=EVENT_LABELS.get(e.kind, e.kind.replace("_", " ").capitalize()),
            at=e.at,
            data={k: v for k, v in e.data.items() if k != "evidence" and v not in (None, [], {})},
            evidence=[str(s) for s in e.data.get("evidence", [])],
        )
        for e in events
    ]
    kinds = {e.kind for e in events}
    if "zendesk_update" in kinds:
        kinds.add("escalated")  # the update is the escalation; listing both says it twice
    for kind, attr in _STAMPS:
        at = getattr(escalation, attr)
        if at is not None and kind not in kinds:
            label = EVENT_LABELS.get(kind, kind.capitalize())
            data = {"reason": escalation.close_reason} if kind == "closed" else {}
            entries.append(TimelineEntry(kind=kind, label=label, at=at, data=data, evidence=[]))
    return sorted(entries, key=lambda entry: entry.at)


async def get(session: AsyncSession, ticket_id: int) -> Escalation | None:
    return await session.scalar(select(Escalation).where(Escalation.ticket_id == ticket_id))
