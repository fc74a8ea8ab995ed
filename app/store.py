"""Queries. Routes and the worker call these; nothing else writes SQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.errors import Conflict, NotFound
from app.models import Delivery, Escalation, EscalationEvent, RulesVersion, utcnow

DELIVERY_STATUSES = ("pending", "processing", "done", "dead")


def _is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


@dataclass(frozen=True)
class IncomingDelivery:
    dedupe_key: str
    kind: str
    ticket_id: int | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class Accepted:
    delivery_id: int
    duplicate: bool


async def accept_delivery(session: AsyncSession, incoming: IncomingDelivery) -> Accepted:
    """Insert into the inbox unless the dedupe key is known; concurrent copies insert once."""
    values = {
        "dedupe_key": incoming.dedupe_key,
        "kind": incoming.kind,
        "ticket_id": incoming.ticket_id,
        "payload": incoming.payload,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": utcnow(),
        "received_at": utcnow(),
    }
    insert = pg_insert if _is_postgres(session) else sqlite_insert
    statement = (
        insert(Delivery)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(Delivery.id)
    )
    new_id = (await session.execute(statement)).scalar_one_or_none()
    if new_id is not None:
        return Accepted(delivery_id=new_id, duplicate=False)
    existing = await session.scalar(
        select(Delivery.id).where(Delivery.dedupe_key == incoming.dedupe_key)
    )
    assert existing is not None  # the conflicting row exists: rows are never deleted
    return Accepted(delivery_id=existing, duplicate=True)


async def accept_deliveries(
    session: AsyncSession, batch: Sequence[IncomingDelivery]
) -> list[Accepted]:
    """`accept_delivery` for many at once: one multi-row insert, one lookup of the duplicates.
    A key repeated within the batch is stored once; its later copies are duplicates."""
    now = utcnow()
    unique = list({incoming.dedupe_key: incoming for incoming in reversed(batch)}.values())
    insert = pg_insert if _is_postgres(session) else sqlite_insert
    # One statement whatever the batch size, executed for many rows ("insertmanyvalues"), so
    # SQLAlchemy compiles it once instead of once per distinct batch length.
    statement = (
        insert(Delivery)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(Delivery.id, Delivery.dedupe_key)
    )
    rows = [
        {
            "dedupe_key": incoming.dedupe_key,
            "kind": incoming.kind,
            "ticket_id": incoming.ticket_id,
            "payload": incoming.payload,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "received_at": now,
        }
        for incoming in reversed(unique)
    ]
    inserted = {key: delivery_id for delivery_id, key in (await session.execute(statement, rows))}
    known = set(inserted)
    missing = [i.dedupe_key for i in unique if i.dedupe_key not in known]
    existing: dict[str, int] = {}
    if missing:
        found = await session.execute(
            select(Delivery.dedupe_key, Delivery.id).where(Delivery.dedupe_key.in_(missing))
        )
        existing = dict(found.tuples().all())
    results: list[Accepted] = []
    first_seen: set[str] = set()
    for incoming in batch:
        key = incoming.dedupe_key
        if key in inserted and key not in first_seen:
            first_seen.add(key)
            results.append(Accepted(delivery_id=inserted[key], duplicate=False))
        else:
            results.append(Accepted(delivery_id=inserted.get(key) or existing[key], duplicate=True))
    return results


async def claim_due(
    session: AsyncSession, *, worker: str, limit: int, lease_seconds: int, now: datetime
) -> Sequence[Delivery]:
    """Lease up to `limit` due deliveries, at most one per ticket and only each ticket's oldest
    unfinished one, so a ticket's deliveries run in order even across replicas."""
    older = aliased(Delivery)
    due = or_(
        and_(Delivery.status == "pending", Delivery.next_attempt_at <= now),
        and_(Delivery.status == "processing", Delivery.lease_expires_at < now),
    )
    blocked = (
        select(older.id)
        .where(
            older.ticket_id == Delivery.ticket_id,
            older.id < Delivery.id,
            older.status.in_(("pending", "processing")),
        )
        .exists()
    )
    candidates = select(Delivery.id).where(due, ~blocked).order_by(Delivery.id).limit(limit)
    if _is_postgres(session):
        # Replicas skip each other's rows instead of queueing behind them.
        candidates = candidates.with_for_update(skip_locked=True)
    ids = list((await session.scalars(candidates)).all())
    if not ids:
        return []
    claimed = await session.scalars(
        update(Delivery)
        .where(Delivery.id.in_(ids), due)
        .values(
            status="processing",
            locked_by=worker,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            attempts=Delivery.attempts + 1,
        )
        .returning(Delivery)
        .execution_options(synchronize_session=False)
    )
    return sorted(claimed.all(), key=lambda d: d.id)


async def finish_delivery(
    session: AsyncSession, delivery_id: int, *, worker: str, outcome: str
) -> None:
    await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.locked_by == worker)
        .values(
            status="done",
            outcome=outcome,
            processed_at=utcnow(),
            lease_expires_at=None,
            last_error=None,
        )
    )


async def fail_delivery(
    session: AsyncSession,
    delivery_id: int,
    *,
    worker: str,
    error: str,
    retry_at: datetime | None,
) -> None:
    """Schedule another attempt at `retry_at`, or move the delivery to `dead` when None."""
    values: dict[str, Any] = {"last_error": error[:2000], "lease_expires_at": None}
    if retry_at is None:
        values |= {"status": "dead", "processed_at": utcnow()}
    else:
        values |= {"status": "pending", "next_attempt_at": retry_at}
    await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.locked_by == worker)
        .values(**values)
    )


async def list_deliveries(
    session: AsyncSession, *, status: str | None, limit: int, before_id: int | None = None
) -> Sequence[Delivery]:
    query = select(Delivery).order_by(Delivery.id.desc()).limit(limit)
    if status is not None:
        query = query.where(Delivery.status == status)
    if before_id is not None:
        query = query.where(Delivery.id < before_id)
    return (await session.scalars(query)).all()


async def get_delivery(session: AsyncSession, delivery_id: int) -> Delivery:
    delivery = await session.get(Delivery, delivery_id)
    if delivery is None:
        raise NotFound(f"delivery {delivery_id} not found")
    return delivery


async def replay_delivery(session: AsyncSession, delivery_id: int) -> Delivery:
    """Re-queue a finished or dead delivery with a fresh attempt budget."""
    delivery = await get_delivery(session, delivery_id)
    if delivery.status in ("pending", "processing"):
        raise Conflict(f"delivery {delivery_id} is {delivery.status}; nothing to replay")
    delivery.status = "pending"
    delivery.attempts = 0
    delivery.next_attempt_at = utcnow()
    delivery.lease_expires_at = None
    delivery.locked_by = None
    delivery.outcome = None
    await session.flush()
    return delivery


async def delivery_counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(Delivery.status, func.count()).group_by(Delivery.status))
    counts = dict.fromkeys(DELIVERY_STATUSES, 0)
    counts.update({status: count for status, count in rows.tuples()})
    return counts


async def get_escalation(session: AsyncSession, ticket_id: int) -> Escalation | None:
    return await session.scalar(select(Escalation).where(Escalation.ticket_id == ticket_id))


async def lock_escalation(session: AsyncSession, ticket_id: int) -> Escalation | None:
    query = select(Escalation).where(Escalation.ticket_id == ticket_id)
    if _is_postgres(session):
        query = query.with_for_update()
    return await session.scalar(query)


async def add_event(
    session: AsyncSession,
    escalation: Escalation,
    kind: str,
    *,
    delivery_id: int | None = None,
    **data: Any,
) -> EscalationEvent:
    event = EscalationEvent(
        escalation_id=escalation.id, kind=kind, delivery_id=delivery_id, data=data, at=utcnow()
    )
    session.add(event)
    await session.flush()
    return event


async def events_of(session: AsyncSession, escalation_id: int) -> Sequence[EscalationEvent]:
    return (
        await session.scalars(
            select(EscalationEvent)
            .where(EscalationEvent.escalation_id == escalation_id)
            .order_by(EscalationEvent.id)
        )
    ).all()


async def latest_rules(session: AsyncSession) -> RulesVersion | None:
    return await session.scalar(select(RulesVersion).order_by(RulesVersion.id.desc()).limit(1))


async def rules_history(session: AsyncSession, *, limit: int = 50) -> Sequence[RulesVersion]:
    return (
        await session.scalars(select(RulesVersion).order_by(RulesVersion.id.desc()).limit(limit))
    ).all()


async def save_rules(session: AsyncSession, *, text: str, author: str) -> RulesVersion:
    version = RulesVersion(text=text, author=author, created_at=utcnow())
    session.add(version)
    await session.flush()
    return version


async def list_escalations(
    session: AsyncSession,
    *,
    state: str | None = None,
    region: str | None = None,
    manager_id: int | None = None,
    organization_id: int | None = None,
    limit: int = 50,
    before_id: int | None = None,
) -> Sequence[Escalation]:
    query = select(Escalation).order_by(Escalation.id.desc()).limit(limit)
    if state is not None:
        query = query.where(Escalation.state == state)
    if region is not None:
        query = query.where(Escalation.region == region)
    if manager_id is not None:
        query = query.where(Escalation.manager_id == manager_id)
    if organization_id is not None:
        query = query.where(Escalation.organization_id == organization_id)
    if before_id is not None:
        query = query.where(Escalation.id < before_id)
    return (await session.scalars(query)).all()


async def recent_escalated_tickets(
    session: AsyncSession, *, organization_id: int, since: datetime, excluding: int
) -> list[int]:
    """Other tickets of an organisation escalated since `since` (recurring incidents)."""
    rows = await session.scalars(
        select(Escalation.ticket_id)
        .where(
            Escalation.organization_id == organization_id,
            Escalation.escalated_at.is_not(None),
            Escalation.escalated_at >= since,
            Escalation.ticket_id != excluding,
        )
        .order_by(Escalation.escalated_at)
    )
    return list(rows.all())


async def overdue_escalations(session: AsyncSession, *, now: datetime) -> Sequence[Escalation]:
    """Open escalations whose update to the customer is overdue."""
    return (
        await session.scalars(
            select(Escalation).where(
                Escalation.state.in_(("escalated", "acknowledged")),
                Escalation.next_update_due_at.is_not(None),
                Escalation.next_update_due_at <= now,
            )
        )
    ).all()


async def now_eligible_escalations(session: AsyncSession, *, now: datetime) -> Sequence[Escalation]:
    """Requests refused as too early whose SLA time has now passed."""
    return (
        await session.scalars(
            select(Escalation).where(
                Escalation.state == "not_eligible",
                Escalation.eligible_at.is_not(None),
                Escalation.eligible_at <= now,
            )
        )
    ).all()


async def escalations_in_state(session: AsyncSession, state: str) -> Sequence[Escalation]:
    return (await session.scalars(select(Escalation).where(Escalation.state == state))).all()
