"""The in-process worker: claims due deliveries, runs the pipeline, retries, dead-letters."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import metrics, store
from app.db import transaction
from app.errors import AppError
from app.models import Delivery, utcnow
from app.settings import Settings

log = structlog.get_logger()

Processor = Callable[[Delivery], Awaitable[str]]


class PermanentError(AppError):
    """Retrying cannot help (the ticket is gone, Zendesk refuses the data): dead at once."""


def is_transient(error: BaseException) -> bool:
    if isinstance(error, PermanentError):
        return False
    transient = getattr(error, "transient", None)
    # Unknown failures (bugs, database hiccups) get the retry budget: nothing is dropped early.
    return True if transient is None else bool(transient)


def backoff_delay(attempt: int, *, base: float, cap: float) -> float:
    """Exponential backoff with full jitter (AWS architecture blog's recommendation)."""
    ceiling = min(cap, base * (2 ** max(0, attempt - 1)))
    return random.uniform(ceiling / 2, ceiling)


class Worker:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        process: Processor,
        settings: Settings,
        on_idle: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.sessions = sessions
        self.process = process
        self.settings = settings
        self.on_idle = on_idle
        self.name = f"{socket.gethostname()}:{os.getpid()}:{id(self) & 0xFFFF:x}"
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._leases: asyncio.Task[None] | None = None
        self._stopping = False
        # Deliveries being processed right now: their leases are kept alive.
        self._processing: set[int] = set()

    def wake(self) -> None:
        """Called after a delivery is accepted, so it is picked up without waiting a poll."""
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="escalator-worker")
        self._leases = asyncio.create_task(self._keep_leases(), name="escalator-leases")

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        for task in (self._task, self._leases):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _keep_leases(self) -> None:
        """Every third of a lease, extend the leases of the deliveries in flight. A delivery
        can outlast its lease (rate limits, Retry-After, retried calls); without this, it would
        be claimed again while it runs and its writes sent twice. After a crash the leases
        lapse within a lease, and another worker resumes the deliveries."""
        lease = self.settings.worker_lease_seconds
        while True:
            await asyncio.sleep(lease / 3)
            if not self._processing:
                continue
            try:
                async with transaction(self.sessions) as session:
                    await store.extend_leases(
                        session,
                        sorted(self._processing),
                        worker=self.name,
                        until=utcnow() + timedelta(seconds=lease),
                    )
            except Exception as e:  # the database may be briefly away; try again next time
                log.error("worker.lease_renewal_failed", error=str(e))

    async def _run(self) -> None:
        """Keep up to `worker_concurrency` deliveries in flight, claiming more as each one
        finishes: one slow escalation (rate-limited, retrying) does not hold up the others."""
        log.info("worker.started", worker=self.name)
        in_flight: set[asyncio.Task[None]] = set()

        def done(task: asyncio.Task[None]) -> None:
            in_flight.discard(task)
            self._wake.set()

        try:
            while not self._stopping:
                self._wake.clear()
                free = self.settings.worker_concurrency - len(in_flight)
                claimed: Sequence[Delivery] = []
                if free > 0:
                    try:
                        claimed = await self._claim(limit=free)
                    except asyncio.CancelledError:
                        raise
                    except Exception as e:  # the loop must outlive a database outage
                        log.error("worker.claim_failed", error=str(e))
                for delivery in claimed:
                    task = asyncio.create_task(self._handle(delivery))
                    in_flight.add(task)
                    task.add_done_callback(done)
                if claimed and len(in_flight) < self.settings.worker_concurrency:
                    continue  # more may be due right away
                if not in_flight and self.on_idle is not None:
                    await self.on_idle()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.settings.worker_poll_seconds)
        finally:
            for task in in_flight:
                task.cancel()
            # Waited for: a handler cancelled inside a transaction still rolls it back, and
            # must finish that before the lifespan disposes of the database engine.
            await asyncio.gather(*in_flight, return_exceptions=True)

    async def _claim(self, *, limit: int, now: datetime | None = None) -> Sequence[Delivery]:
        async with transaction(self.sessions) as session:
            return await store.claim_due(
                session,
                worker=self.name,
                limit=limit,
                lease_seconds=self.settings.worker_lease_seconds,
                now=now or utcnow(),
                running=set(self._processing),
            )

    async def run_once(self, *, now: datetime | None = None) -> int:
        """Claim one batch and process it; returns how many deliveries were handled."""
        batch = await self._claim(limit=self.settings.worker_concurrency, now=now)
        if batch:
            leases = asyncio.create_task(self._keep_leases())
            try:
                # The claim returns at most one delivery per ticket, so these run side by side.
                await asyncio.gather(*(self._handle(delivery) for delivery in batch))
            finally:
                leases.cancel()
        return len(batch)

    async def _handle(self, delivery: Delivery) -> None:
        started = time.perf_counter()
        self._processing.add(delivery.id)
        with structlog.contextvars.bound_contextvars(
            delivery_id=delivery.id, ticket_id=delivery.ticket_id, kind=delivery.kind
        ):
            try:
                outcome = await self.process(delivery)
            except asyncio.CancelledError:
                raise
            except Exception as e:
                await self._failed(delivery, e)
            else:
                async with transaction(self.sessions) as session:
                    await store.finish_delivery(
                        session, delivery.id, worker=self.name, outcome=outcome
                    )
                log.info("delivery.processed", outcome=outcome, attempt=delivery.attempts)
            finally:
                self._processing.discard(delivery.id)
                metrics.PROCESSING_SECONDS.observe(time.perf_counter() - started)

    async def _failed(self, delivery: Delivery, error: Exception) -> None:
        reason = getattr(error, "detail", None) or f"{type(error).__name__}: {error}"
        retry_at: datetime | None = None
        if is_transient(error) and delivery.attempts < self.settings.worker_max_attempts:
            delay = backoff_delay(
                delivery.attempts,
                base=self.settings.worker_backoff_base_seconds,
                cap=self.settings.worker_backoff_max_seconds,
            )
            retry_after = getattr(error, "retry_after", None)
            if isinstance(retry_after, int | float):
                delay = max(delay, float(retry_after))
            retry_at = utcnow() + timedelta(seconds=delay)
        async with transaction(self.sessions) as session:
            await store.fail_delivery(
                session, delivery.id, worker=self.name, error=str(reason), retry_at=retry_at
            )
        # A failure outside the error family is a bug: keep its traceback for whoever debugs it.
        exc_info = error if not isinstance(error, AppError) else None
        if retry_at is None:
            metrics.DELIVERIES_DEAD.inc()
            log.error(
                "delivery.dead", error=str(reason), attempts=delivery.attempts, exc_info=exc_info
            )
        else:
            log.warning(
                "delivery.retry",
                error=str(reason),
                attempts=delivery.attempts,
                retry_at=retry_at.isoformat(),
                exc_info=exc_info,
            )
