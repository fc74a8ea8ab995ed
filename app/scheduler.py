"""Periodic work, queued through the inbox like any delivery: reminders when an update to the
customer is overdue, and re-evaluation of requests that wait (an outage that has ended, an SLA
that has now passed). Dedupe keys make several replicas' schedulers queue each job once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import store
from app.active_rules import ActiveRules
from app.clients.statuspage import StatuspageClient
from app.db import transaction
from app.models import Escalation, utcnow
from app.rules.evaluate import relevant_incident
from app.store import IncomingDelivery

log = structlog.get_logger()


def reminder_job(escalation: Escalation) -> IncomingDelivery:
    assert escalation.next_update_due_at is not None
    due = escalation.next_update_due_at.isoformat()
    return IncomingDelivery(
        dedupe_key=f"scheduled:reminder:{escalation.ticket_id}:{due}",
        kind="scheduled",
        ticket_id=escalation.ticket_id,
        payload={"job": "reminder", "due": due},
    )


def reevaluation_job(escalation: Escalation, *, because: str) -> IncomingDelivery:
    return IncomingDelivery(
        dedupe_key=f"scheduled:reevaluate:{escalation.ticket_id}:{because}",
        kind="scheduled",
        ticket_id=escalation.ticket_id,
        payload={"job": "reevaluate", "because": because},
    )


class Scheduler:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        rules: ActiveRules,
        statuspage: StatuspageClient | None,
        interval_seconds: float,
        wake: Callable[[], None] | None = None,
    ) -> None:
        self.sessions = sessions
        self.rules = rules
        self.statuspage = statuspage
        self.interval_seconds = interval_seconds
        self.wake = wake
        self._task: asyncio.Task[None] | None = None

    async def jobs(self, now: datetime) -> list[IncomingDelivery]:
        async with self.sessions() as session:
            overdue = await store.overdue_escalations(session, now=now)
            eligible = await store.now_eligible_escalations(session, now=now)
            waiting_on_outage = await store.escalations_in_state(session, "deprioritized")
        jobs = [reminder_job(e) for e in overdue]
        jobs += [
            reevaluation_job(e, because=f"eligible:{e.eligible_at.isoformat()}")
            for e in eligible
            if e.eligible_at is not None
        ]
        if waiting_on_outage and self.statuspage is not None:
            incidents = await self.statuspage.unresolved_incidents()
            if relevant_incident(incidents, self.rules.config) is None:
                jobs += [
                    reevaluation_job(
                        e, because=f"outage-over:{e.incident_id}:{e.updated_at.isoformat()}"
                    )
                    for e in waiting_on_outage
                ]
        return jobs

    async def run_once(self, *, now: datetime | None = None) -> int:
        """Queue what is due; returns how many new jobs were queued."""
        queued = 0
        for job in await self.jobs(now or utcnow()):
            async with transaction(self.sessions) as session:
                accepted = await store.accept_delivery(session, job)
            queued += not accepted.duplicate
        if queued:
            log.info("scheduler.queued", jobs=queued)
            if self.wake is not None:
                self.wake()
        return queued

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="escalator-scheduler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as e:  # a Statuspage or database hiccup must not stop reminders
                log.warning("scheduler.failed", error=str(e))
            await asyncio.sleep(self.interval_seconds)
