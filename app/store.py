"""Queries. Routes and the worker call these; nothing else writes SQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Dialect, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
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
    # The payload as JSON text when the caller already has it (a webhook's verified body):
    # stored as is instead of serialised again.
    payload_json: str | None = None


@dataclass(frozen=True)
class Accepted:
    delivery_id: int
    duplicate: bool


async def accept_delivery(session: AsyncSession, incoming: IncomingDelivery) -> Accepted:
    """Insert into the inbox unless the dedupe key is known; concurrent copies insert once."""
    return (await accept_deliveries(await session.connection(), [incoming]))[0]


# The inbox insert is the webhook's hot path. It is written out for each database and its
# values converted once per batch: the ORM's per-row parameter handling cost more than the
# insert itself. Values still go through the columns' own converters, so rows are stored
# exactly as the ORM stores them.
_COLUMNS = Delivery.__table__.c
# One multi-row statement: SQLite runs it as one atomic step and hands back what it stored.
_SQLITE_INSERT = (
    "INSERT INTO deliveries (dedupe_key, kind, ticket_id, payload, status, attempts, "
    "next_attempt_at, received_at) VALUES {rows} "
    "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, dedupe_key"
)
_SQLITE_ROW = "(?, ?, ?, ?, 'pending', 0, ?, ?)"
_SQLITE_EXISTING = "SELECT dedupe_key, id FROM deliveries WHERE dedupe_key IN ({keys})"
# Arrays instead of a VALUES list: one prepared statement whatever the batch size.
_POSTGRES_INSERT = (
    "INSERT INTO deliveries (dedupe_key, kind, ticket_id, payload, status, attempts, "
    "next_attempt_at, received_at) SELECT k, kind, t, p::json, 'pending', 0, $5, $5 "
    "FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[]) AS u(k, kind, t, p) "
    "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, dedupe_key"
)
_POSTGRES_EXISTING = "SELECT dedupe_key, id FROM deliveries WHERE dedupe_key = ANY($1::text[])"


class PostgresConnection(Protocol):
    """What the inbox needs of an asyncpg connection."""

    async def fetch(self, query: str, *args: Any) -> list[Any]: ...


def _unique(batch: Sequence[IncomingDelivery]) -> list[IncomingDelivery]:
    """The first delivery of each dedupe key, in order."""
    return list({i.dedupe_key: i for i in reversed(batch)}.values())[::-1]


def _bound_values(unique: Sequence[IncomingDelivery], dialect: Dialect) -> tuple[list[Any], Any]:
    """Each delivery's payload as JSON text, and the time, as the columns store them."""
    to_json = _COLUMNS.payload.type.bind_processor(dialect)
    to_time = _COLUMNS.received_at.type.bind_processor(dialect)
    now = utcnow()
    return (
        [i.payload_json or (to_json(i.payload) if to_json else i.payload) for i in unique],
        to_time(now) if to_time else now,
    )


def _sqlite_insert(unique: Sequence[IncomingDelivery], dialect: Dialect) -> tuple[str, list[Any]]:
    payloads, now = _bound_values(unique, dialect)
    params: list[Any] = []
    for incoming, payload in zip(unique, payloads, strict=True):
        params += (incoming.dedupe_key, incoming.kind, incoming.ticket_id, payload, now, now)
    return _SQLITE_INSERT.format(rows=", ".join([_SQLITE_ROW] * len(unique))), params


def _postgres_insert(unique: Sequence[IncomingDelivery], dialect: Dialect) -> list[Any]:
    payloads, now = _bound_values(unique, dialect)
    keys = [i.dedupe_key for i in unique]
    return [keys, [i.kind for i in unique], [i.ticket_id for i in unique], payloads, now]


def _results(
    batch: Sequence[IncomingDelivery], inserted: dict[str, int], existing: dict[str, int]
) -> list[Accepted]:
    """Each delivery's row: new for the first copy of an inserted key, a duplicate otherwise."""
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


async def accept_deliveries(
    connection: AsyncConnection, batch: Sequence[IncomingDelivery]
) -> list[Accepted]:
    """`accept_delivery` for many at once, in the caller's transaction: one multi-row insert,
    one lookup of the duplicates. A key repeated within the batch is stored once; its later
    copies are duplicates."""
    unique = _unique(batch)
    dialect = connection.dialect
    if dialect.name == "postgresql":
        result = await connection.exec_driver_sql(
            _POSTGRES_INSERT, tuple(_postgres_insert(unique, dialect))
        )
    else:
        sql, params = _sqlite_insert(unique, dialect)
        result = await connection.exec_driver_sql(sql, tuple(params))
    inserted: dict[str, int] = {key: delivery_id for delivery_id, key in map(tuple, result)}
    missing = [i.dedupe_key for i in unique if i.dedupe_key not in inserted]
    existing: dict[str, int] = {}
    if missing:
        found = await connection.execute(
            select(Delivery.dedupe_key, Delivery.id).where(Delivery.dedupe_key.in_(missing))
        )
        existing = dict(found.tuples().all())
    return _results(batch, inserted, existing)


def accept_deliveries_sqlite(
    connection: sqlite3.Connection, batch: Sequence[IncomingDelivery], dialect: Dialect
) -> list[Accepted]:
    """`accept_deliveries` on a plain `sqlite3` connection in autocommit mode (the inbox
    writer's own thread), values converted as `dialect` (the engine's) converts them: the
    insert is one statement, so it is atomic and durable when it returns."""
    unique = _unique(batch)
    sql, params = _sqlite_insert(unique, dialect)
    inserted = {key: delivery_id for delivery_id, key in connection.execute(sql, params)}
    missing = [i.dedupe_key for i in unique if i.dedupe_key not in inserted]
    existing: dict[str, int] = {}
    if missing:
        marks = ", ".join("?" * len(missing))
        existing = dict(connection.execute(_SQLITE_EXISTING.format(keys=marks), missing))
    return _results(batch, inserted, existing)


async def accept_deliveries_postgres(
    connection: PostgresConnection, batch: Sequence[IncomingDelivery], dialect: Dialect
) -> list[Accepted]:
    """`accept_deliveries` on an asyncpg connection outside a transaction, values converted
    as `dialect` (the engine's) converts them: the insert is one statement, so it commits on
    its own, in one round trip."""
    unique = _unique(batch)
    rows = await connection.fetch(_POSTGRES_INSERT, *_postgres_insert(unique, dialect))
    inserted: dict[str, int] = {row["dedupe_key"]: row["id"] for row in rows}
    missing = [i.dedupe_key for i in unique if i.dedupe_key not in inserted]
    existing: dict[str, int] = {}
    if missing:
        found = await connection.fetch(_POSTGRES_EXISTING, missing)
        existing = {row["dedupe_key"]: row["id"] for row in found}
    return _results(batch, inserted, existing)


async def claim_due(
    session: AsyncSession,
    *,
    worker: str,
    limit: int,
    lease_seconds: int,
    now: datetime,
    running: Collection[int] = (),
) -> Sequence[Delivery]:
    """Lease up to `limit` due deliveries, at most one per ticket and only each ticket's oldest
    unfinished one, so a ticket's deliveries run in order even across replicas. `running` are
    the claimer's own deliveries in flight: never claimed again while they run, even when a
    lease renewal is late."""
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
    candidates = select(Delivery.id).where(due, ~blocked)
    if running:
        candidates = candidates.where(Delivery.id.not_in(running))
    candidates = candidates.order_by(Delivery.id).limit(limit)
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


async def extend_leases(
    session: AsyncSession, delivery_ids: Sequence[int], *, worker: str, until: datetime
) -> None:
    """Keep the deliveries `worker` is still processing leased to it until `until`. A lease
    another worker has taken over meanwhile stays with that worker."""
    await session.execute(
        update(Delivery)
        .where(
            Delivery.id.in_(delivery_ids),
            Delivery.locked_by == worker,
            Delivery.status == "processing",
        )
        .values(lease_expires_at=until)
    )


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
