"""The inbox worker: leases, per-ticket order, retries with backoff, dead letters, replay."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import db, store
from app.errors import AppError
from app.models import Delivery, utcnow
from app.settings import Settings
from app.store import IncomingDelivery
from app.worker import PermanentError, Worker, backoff_delay
from tests.conftest import make_settings, wait_for


class Transient(AppError):
    transient = True


@pytest.fixture
def worker_settings(tmp_path: Path) -> Settings:
    return make_settings(
        tmp_path,
        worker_concurrency=10,
        worker_backoff_base_seconds=0,
        worker_backoff_max_seconds=0,
        worker_lease_seconds=30,
    )


@pytest.fixture
async def sessions(worker_settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    await db.upgrade(worker_settings.database_url)
    engine = db.create_engine(worker_settings.database_url)
    yield db.session_factory(engine)
    await engine.dispose()


async def add(sessions: async_sessionmaker[AsyncSession], key: str, ticket_id: int) -> int:
    async with db.transaction(sessions) as session:
        accepted = await store.accept_delivery(
            session, IncomingDelivery(key, "ticket.comment_added", ticket_id, {"n": key})
        )
        return accepted.delivery_id


async def status_of(sessions: async_sessionmaker[AsyncSession], delivery_id: int) -> Delivery:
    async with sessions() as session:
        return await store.get_delivery(session, delivery_id)


async def test_one_ticket_runs_in_order_while_others_run_alongside(
    sessions: async_sessionmaker[AsyncSession], worker_settings: Settings
) -> None:
    first = await add(sessions, "a1", 5)
    second = await add(sessions, "a2", 5)
    other = await add(sessions, "b1", 6)
    batches: list[list[int]] = []
    current: list[int] = []

    async def process(delivery: Delivery) -> str:
        current.append(delivery.id)
        return "ignore"

    worker = Worker(sessions=sessions, process=process, settings=worker_settings)
    while await worker.run_once():
        batches.append(sorted(current))
        current.clear()
    assert batches == [[first, other], [second]]


async def test_transient_failure_is_retried_then_succeeds(
    sessions: async_sessionmaker[AsyncSession], worker_settings: Settings
) -> None:
    delivery_id = await add(sessions, "t1", 7)
    calls = 0

    async def process(delivery: Delivery) -> str:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise Transient("Zendesk answered 503")
        return "escalate"

    worker = Worker(sessions=sessions, process=process, settings=worker_settings)
    while await worker.run_once():
        pass
    row = await status_of(sessions, delivery_id)
    assert (row.status, row.attempts, row.outcome, row.last_error) == ("done", 3, "escalate", None)


async def test_eight_transient_failures_make_it_dead_with_the_last_error(
    sessions: async_sessionmaker[AsyncSession], worker_settings: Settings
) -> None:
    delivery_id = await add(sessions, "d1", 8)
    attempts: list[int] = []

    async def process(delivery: Delivery) -> str:
        attempts.append(delivery.attempts)
        raise Transient(f"timeout on attempt {delivery.attempts}")

    worker = Worker(sessions=sessions, process=process, settings=worker_settings)
    while await worker.run_once():
        pass
    row = await status_of(sessions, delivery_id)
    assert attempts == list(range(1, 9))
    assert (row.status, row.last_error) == ("dead", "timeout on attempt 8")


async def test_permanent_failure_is_dead_at_once(
    sessions: async_sessionmaker[AsyncSession], worker_settings: Settings
) -> None:
    delivery_id = await add(sessions, "p1", 9)

    async def process(delivery: Delivery) -> str:
        raise PermanentError("Zendesk refused the update: assignee_id: is not valid")

    worker = Worker(sessions=sessions, process=process, settings=worker_settings)
    await worker.run_once()
    row = await status_of(sessions, delivery_id)
    assert (row.status, row.attempts) == ("dead", 1)
    assert row.last_error == "Zendesk refused the update: assignee_id: is not valid"


async def test_backoff_waits_before_the_next_attempt(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    settings = make_settings(
        tmp_path, worker_backoff_base_seconds=10, worker_backoff_max_seconds=60
    )
    delivery_id = await add(sessions, "b1", 10)

    async def process(delivery: Delivery) -> str:
        raise Transient("503")

    worker = Worker(sessions=sessions, process=process, settings=settings)
    assert await worker.run_once() == 1
    assert await worker.run_once() == 0  # not due yet
    row = await status_of(sessions, delivery_id)
    wait = (row.next_attempt_at - utcnow()).total_seconds()
    assert row.status == "pending"
    assert 4 <= wait <= 10


def test_backoff_grows_exponentially_and_is_capped() -> None:
    for attempt, ceiling in [(1, 1), (2, 2), (3, 4), (6, 32), (12, 60)]:
        delay = backoff_delay(attempt, base=1, cap=60)
        assert ceiling / 2 <= delay <= ceiling


async def test_an_expired_lease_is_claimed_again(
    sessions: async_sessionmaker[AsyncSession], worker_settings: Settings
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

    worker = Worker(sessions=sessions, process=process, settings=worker_settings)
    assert await worker.run_once() == 0  # the lease still holds
    assert await worker.run_once(now=utcnow() + timedelta(seconds=31)) == 1
    row = await status_of(sessions, delivery_id)
    assert (seen, row.status, row.attempts) == ([delivery_id], "done", 2)


async def test_replay_requeues_a_dead_delivery(
    sessions: async_sessionmaker[AsyncSession], worker_settings: Settings
) -> None:
    delivery_id = await add(sessions, "r1", 12)
    fail = True

    async def process(delivery: Delivery) -> str:
        if fail:
            raise PermanentError("ticket 12 not found")
        return "escalate"

    worker = Worker(sessions=sessions, process=process, settings=worker_settings)
    await worker.run_once()
    assert (await status_of(sessions, delivery_id)).status == "dead"
    async with db.transaction(sessions) as session:
        await store.replay_delivery(session, delivery_id)
    fail = False
    await worker.run_once()
    row = await status_of(sessions, delivery_id)
    assert (row.status, row.outcome, row.attempts) == ("done", "escalate", 1)


class Held:
    """A processor that records each start and holds every delivery until released."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.release = asyncio.Event()

    async def __call__(self, delivery: Delivery) -> str:
        self.starts.append(delivery.id)
        await self.release.wait()
        return "ignore"


async def row_when(
    sessions: async_sessionmaker[AsyncSession],
    delivery_id: int,
    condition: Callable[[Delivery], bool],
    timeout: float = 5,
) -> Delivery:
    async def matching() -> Delivery | None:
        row = await status_of(sessions, delivery_id)
        return row if condition(row) else None

    found: Delivery = await wait_for(matching, timeout=timeout)
    return found


async def test_a_delivery_that_outlasts_its_lease_is_not_claimed_again_while_it_runs(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    # A rate-limited delivery can run longer than a lease; a second claim would send its
    # writes twice. The worker keeps the leases of what it is processing alive.
    settings = make_settings(
        tmp_path, worker_lease_seconds=1, zendesk_timeout_seconds=0.5, worker_poll_seconds=0.05
    )
    delivery_id = await add(sessions, "long", 13)
    held = Held()
    worker = Worker(sessions=sessions, process=held, settings=settings)
    worker.start()
    try:
        first = await row_when(sessions, delivery_id, lambda row: row.status == "processing")
        assert first.lease_expires_at is not None
        # Three leases later the delivery is still leased, to the same worker, and ran once.
        renewed = await row_when(
            sessions,
            delivery_id,
            lambda row: (
                row.lease_expires_at is not None
                and row.lease_expires_at > first.lease_expires_at + timedelta(seconds=3)
            ),
            timeout=10,
        )
        assert renewed.locked_by == worker.name
        other = Worker(sessions=sessions, process=held, settings=settings)
        assert await other.run_once() == 0
        assert held.starts == [delivery_id]
        held.release.set()
        done = await row_when(sessions, delivery_id, lambda row: row.status == "done")
        assert done.attempts == 1
    finally:
        held.release.set()
        await worker.stop()


async def test_a_worker_never_claims_its_own_running_delivery_even_when_its_lease_lapsed(
    sessions: async_sessionmaker[AsyncSession], worker_settings: Settings
) -> None:
    # A renewal can be late (every pooled connection busy); the worker still knows what it
    # is running, so only another worker may take a lapsed lease over.
    delivery_id = await add(sessions, "lapsed", 14)
    held = Held()
    worker = Worker(sessions=sessions, process=held, settings=worker_settings)
    worker.start()
    try:
        await row_when(sessions, delivery_id, lambda row: row.status == "processing")
        async with db.transaction(sessions) as session:
            row = await session.get(Delivery, delivery_id)
            assert row is not None
            row.lease_expires_at = utcnow() - timedelta(seconds=1)
        assert await worker._claim(limit=5) == []
        assert held.starts == [delivery_id]
    finally:
        held.release.set()
        await worker.stop()
