"""Ticket updates that fall due together, sent as one `update_many`.

During an outage every escalation gets the same kind of acknowledgement, and a flood of them
would otherwise spend one write each against the account's update limit. Writes handed to
`UpdateBatcher.send` within a short window go out in Zendesk's batch form (each ticket with its
own changes), and each caller learns its own ticket's result from the job status.

Each ticket's changes carry its `safe_update` stamp as a single update would. The sandbox
honours it per ticket; Zendesk's documentation of the batch form does not say whether it does,
and where it does not, the changes still merge (tags added and removed, fields set, a comment
appended), so no agent's edit is lost. A ticket the job did not update fails its caller, whose
retry resumes the stored plan: it reads the ticket for the write's marker tag and, if the write
is not there, sends it alone.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from app.clients.zendesk import (
    UPDATE_MANY_MAX_IDS,
    JobStatus,
    ZendeskClient,
    ZendeskUnavailable,
)
from app.rules.decision import TicketUpdate

# How long the first write of a batch waits for others: the worker hands out deliveries as it
# claims them, so a flood's writes arrive a few milliseconds apart.
LINGER_SECONDS = 0.02
# Job statuses are polled with a growing pause; a job still unfinished after the deadline is
# left to the callers' retries (their resume finds what the job did meanwhile).
POLL_FIRST_SECONDS = 0.05
POLL_MAX_SECONDS = 2.0
JOB_DEADLINE_SECONDS = 120.0


# One waiting write: the ticket's changes as sent, the update, and its caller's future.
_Item = tuple[dict[str, Any], TicketUpdate, "asyncio.Future[None]"]


class UpdateBatcher:
    def __init__(
        self,
        zendesk: ZendeskClient,
        *,
        linger_seconds: float = LINGER_SECONDS,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._zendesk = zendesk
        self._linger = linger_seconds
        self._sleep = sleep
        self._waiting: list[_Item] = []
        self._sending: list[_Item] = []
        self._flusher: asyncio.Task[None] | None = None

    async def send(self, update: TicketUpdate, *, stamp: str | None) -> None:
        """Apply `update` (in a batch with others) against the ticket's `stamp`; raises if
        Zendesk did not apply it."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((update.payload(updated_stamp=stamp)["ticket"], update, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        await future

    async def _flush(self) -> None:
        await self._sleep(self._linger)
        while self._waiting:
            batch = self._sending = self._next_batch()
            try:
                failures = await self._run(batch)
            except Exception as e:  # every caller in the batch learns it may not have landed
                failures = {update.ticket_id: e for _, update, _ in batch}
            for _, update, future in batch:
                if future.done():
                    continue
                error = failures.get(update.ticket_id)
                if error is None:
                    future.set_result(None)
                else:
                    future.set_exception(error)

    def _next_batch(self) -> list[_Item]:
        """Up to the endpoint's limit, one write per ticket (a second one waits its turn)."""
        batch: list[_Item] = []
        later: list[_Item] = []
        tickets: set[int] = set()
        for item in self._waiting:
            if len(batch) < UPDATE_MANY_MAX_IDS and item[1].ticket_id not in tickets:
                tickets.add(item[1].ticket_id)
                batch.append(item)
            else:
                later.append(item)
        self._waiting = later
        return batch

    async def _run(self, batch: list[_Item]) -> dict[int, Exception]:
        """Send one batch and wait for its job; the tickets it did not update, with why."""
        tickets = [{"id": update.ticket_id, **changes} for changes, update, _ in batch]
        job = await self._zendesk.update_many_tickets(tickets)
        job = await self._finished(job)
        results = {int(r["id"]): r for r in job.results or [] if isinstance(r.get("id"), int | str)}
        failures: dict[int, Exception] = {}
        for _, update, _ in batch:
            result = results.get(update.ticket_id)
            if result is None or result.get("success") is not True:
                why = (result or {}).get("errors") or (result or {}).get("error") or job.status
                # Not applied (the job says so): the caller's retry sends it alone, and a
                # single update's answer says whether trying again can help.
                failures[update.ticket_id] = ZendeskUnavailable(
                    f"update_many did not update ticket {update.ticket_id}: {why}",
                    maybe_applied=result is None,
                )
        return failures

    async def _finished(self, job: JobStatus) -> JobStatus:
        pause, waited = POLL_FIRST_SECONDS, 0.0
        while job.status not in ("completed", "failed"):
            if waited >= JOB_DEADLINE_SECONDS:
                raise ZendeskUnavailable(f"update_many job {job.id} unfinished after {waited}s")
            await self._sleep(pause)
            waited += pause
            pause = min(pause * 2, POLL_MAX_SECONDS)
            job = await self._zendesk.get_job_status(job.id)
        return job

    async def aclose(self) -> None:
        """Stop sending (at shutdown, after the worker): a batch cut short leaves its callers'
        deliveries to be resumed, which checks each ticket before writing again."""
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._flusher
        for _, update, future in [*self._sending, *self._waiting]:
            if not future.done():
                future.set_exception(
                    ZendeskUnavailable(f"stopped before ticket {update.ticket_id}'s update_many")
                )
        self._sending, self._waiting = [], []
