"""The inbox on PostgreSQL: dedupe under concurrency, per-ticket order, leases, and two
workers that never claim the same delivery (SKIP LOCKED)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import db, store
from app.inbox import InboxWriter
from app.main import create_app
from app.models import Delivery, utcnow
from app.settings import Settings
from app.store import IncomingDelivery
from app.worker import Worker
from tests.conftest import comment_event, make_settings, running, signed

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_settings(tmp_path: Path, pg_url: str) -> Settings:
    return make_settings(
        tmp_path,
        database_url=pg_url,
        worker_enabled=False,
        worker_concurrency=10,
        worker_backoff_base_seconds=0,
        worker_backoff_max_seconds=0,
        worker_lease_seconds=30,
    )


@pytest.fixture
async def sessions(pg_settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    await db.upgrade(pg_settings.database_url)
    engine = db.create_engine(pg_settings.database_url)
    assert engine.dialect.name == "postgresql"
    yield db.session_factory(engine)
    await engine.dispose()


async def add(sessions: async_sessionmaker[AsyncSession], key: str, ticket_id: int) -> int:
    async with db.transaction(sessions) as session:
        accepted = await store.accept_delivery(
            session, IncomingDelivery(key, "ticket.comment_added", ticket_id, {"n": key})
        )
        return accepted.delivery_id


async def test_200_concurrent_copies_make_one_row(pg_settings: Settings) -> None:
    async with running(create_app(pg_settings)) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://escalator") as client:
            event = comment_event(event_id="pg-storm")
            copies = [signed(event) for _ in range(200)]
            responses = await asyncio.gather(
                *(client.post("/webhooks/zendesk", content=b, headers=h) for b, h in copies)
            )
        assert {r.status_code for r in responses} == {202}
        assert sum(not r.json()["duplicate"] for r in responses) == 1
        assert len({r.json()["delivery_id"] for r in responses}) == 1
        async with app.state.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(Delivery)) == 1


async def test_one_ticket_runs_in_order_while_others_run_alongside(
    sessions: async_sessionmaker[AsyncSession], pg_settings: Settings
) -> None:
    first = await add(sessions, "a1", 5)
    second = await add(sessions, "a2", 5)
    other = await add(sessions, "b1", 6)
    batches: list[list[int]] = []
    current: list[int] = []

    async def process(delivery: Delivery) -> str:
        current.append(delivery.id)
        return "ignore"

    worker = Worker(sessions=sessions, process=process, settings=pg_settings)
    while await worker.run_once():
        batches.append(sorted(current))
        current.clear()
    assert batches == [[first, other], [second]]


async def test_an_expired_lease_is_claimed_again(
    sessions: async_sessionmaker[AsyncSession], pg_settings: Settings
) -> None:
    delivery_id = await add(sessions, "l1", 11)
    async with db.transaction(sessions) as session:
        claimed = await store.claim_due(
            session, worker="crashed", limit=5, lease_seconds=30, now=utcnow()
        )
    assert [d.id for d in claimed] == [delivery_id]
    seen: list[int] = []

    async def process(delivery: Delivery) -> str:
        seen.append(delivery.id)
        return "ignore"

    worker = Worker(sessions=sessions, process=process, settings=pg_settings)
    assert await worker.run_once() == 0  # the lease still holds
    assert await worker.run_once(now=utcnow() + timedelta(seconds=31)) == 1
    async with sessions() as session:
        row = await store.get_delivery(session, delivery_id)
    assert (seen, row.status, row.attempts) == ([delivery_id], "done", 2)


async def test_concurrent_workers_never_claim_the_same_delivery(
    sessions: async_sessionmaker[AsyncSession], pg_settings: Settings
) -> None:
    # 40 tickets x 5 deliveries: order within a ticket must hold across four workers.
    ids = [await add(sessions, f"c{t}-{n}", 100 + t) for n in range(5) for t in range(40)]
    processed: list[int] = []
    order: dict[int, list[int]] = {}
    in_flight: set[int] = set()
    overlaps: list[int] = []

    async def process(delivery: Delivery) -> str:
        assert delivery.ticket_id is not None
        if delivery.ticket_id in in_flight:
            overlaps.append(delivery.ticket_id)
        in_flight.add(delivery.ticket_id)
        await asyncio.sleep(0)  # yield so the other workers' claims interleave with this one
        processed.append(delivery.id)
        order.setdefault(delivery.ticket_id, []).append(delivery.id)
        in_flight.discard(delivery.ticket_id)
        return "ignore"

    workers = [Worker(sessions=sessions, process=process, settings=pg_settings) for _ in range(4)]

    async def drain(worker: Worker) -> None:
        idle = 0
        while idle < 3:  # several empty rounds: the others may still hold leases
            idle = idle + 1 if await worker.run_once() == 0 else 0

    await asyncio.wait_for(asyncio.gather(*(drain(w) for w in workers)), timeout=60)
    assert sorted(processed) == sorted(ids)
    assert [k for k, n in Counter(processed).items() if n > 1] == []
    assert overlaps == []
    assert all(seq == sorted(seq) for seq in order.values())
    async with sessions() as session:
        counts = await store.delivery_counts(session)
    assert counts == {"pending": 0, "processing": 0, "done": len(ids), "dead": 0}


async def test_the_inbox_writer_stores_rows_as_the_orm_does_and_once_per_key(
    sessions: async_sessionmaker[AsyncSession], pg_settings: Settings
) -> None:

    orm_id = await add(sessions, "pg-orm", 31)
    engine = db.create_engine(pg_settings.database_url)
    writer = InboxWriter(engine)
    body = '{"n": "pg-raw", "text": "\\u00e9"}'
    raw = IncomingDelivery("pg-raw", "ticket.comment_added", 31, {}, payload_json=body)
    copies = [
        IncomingDelivery(f"pg-{n % 10}", "ticket.comment_added", 32, {"n": n}) for n in range(60)
    ]
    results = await asyncio.gather(writer.accept(raw), *(writer.accept(c) for c in copies))
    again = await writer.accept(IncomingDelivery("pg-orm", "ticket.comment_added", 31, {}))
    await writer.aclose()
    await engine.dispose()

    assert again.duplicate and again.delivery_id == orm_id
    assert sum(not r.duplicate for r in results) == 11
    async with sessions() as session:
        rows = {d.dedupe_key: d for d in (await session.scalars(select(Delivery))).all()}
    assert len(rows) == 12
    assert rows["pg-raw"].payload == {"n": "pg-raw", "text": "é"}
    assert rows["pg-0"].payload == {"n": 0}  # the first copy's payload
    for key in ("pg-orm", "pg-raw", "pg-0"):
        row = rows[key]
        assert (row.status, row.attempts) == ("pending", 0)
        assert row.received_at.tzinfo is not None
        assert abs(row.received_at - utcnow()) < timedelta(minutes=1)
