"""UpdateBatcher: writes due together go out as one update_many; each caller gets its own
ticket's result."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import respx

from app.clients.zendesk import ZendeskClient, ZendeskUnavailable
from app.rules.decision import TicketComment, TicketUpdate
from app.update_batch import UpdateBatcher
from tests.conftest import FakeClock

STAMP = "2024-05-06T13:15:42Z"


def ack(ticket_id: int) -> TicketUpdate:
    return TicketUpdate(
        ticket_id=ticket_id,
        additional_tags=["escalation_outage"],
        comment=TicketComment(body=f"Outage acknowledged for #{ticket_id}", public=True),
    )


def job(
    status: str, results: list[dict[str, Any]] | None = None, *, job_id: str = "J1"
) -> dict[str, Any]:
    return {"job_status": {"id": job_id, "status": status, "results": results}}


def two_jobs(mock: respx.MockRouter, first: list[int], second: list[int]) -> respx.Route:
    """Two update_many calls, J1 then J2, whose jobs updated `first` and `second`."""
    put = mock.put("/api/v2/tickets/update_many")
    put.side_effect = [
        httpx.Response(200, json=job("queued", job_id="J1")),
        httpx.Response(200, json=job("queued", job_id="J2")),
    ]
    for job_id, tickets in (("J1", first), ("J2", second)):
        mock.get(f"/api/v2/job_statuses/{job_id}").respond(
            200, json=job("completed", updated(*tickets), job_id=job_id)
        )
    return put


def updated(*ticket_ids: int) -> list[dict[str, Any]]:
    return [{"id": t, "action": "update", "success": True, "status": "Updated"} for t in ticket_ids]


async def test_writes_due_together_are_one_update_many(
    zd: ZendeskClient, mock: respx.MockRouter, clock: FakeClock
) -> None:
    put = mock.put("/api/v2/tickets/update_many").respond(200, json=job("queued"))
    poll = mock.get("/api/v2/job_statuses/J1")
    poll.side_effect = [
        httpx.Response(200, json=job("working")),
        httpx.Response(200, json=job("completed", updated(1, 2, 3))),
    ]
    batcher = UpdateBatcher(zd, sleep=clock.sleep)
    await asyncio.gather(*(batcher.send(ack(t), stamp=STAMP) for t in (1, 2, 3)))

    assert put.call_count == 1 and poll.call_count == 2
    sent = json.loads(put.calls[0].request.content)["tickets"]
    assert [t["id"] for t in sent] == [1, 2, 3]
    # Each ticket's own changes, guarded by its own stamp as a single update would be.
    assert sent[1]["comment"] == {"body": "Outage acknowledged for #2", "public": True}
    assert all(t["safe_update"] is True and t["updated_stamp"] == STAMP for t in sent)


async def test_a_ticket_the_job_did_not_update_fails_only_its_caller(
    zd: ZendeskClient, mock: respx.MockRouter, clock: FakeClock
) -> None:
    mock.put("/api/v2/tickets/update_many").respond(200, json=job("queued"))
    refused = {"id": 2, "success": False, "status": "Failed", "errors": "TicketNotUpdatable"}
    mock.get("/api/v2/job_statuses/J1").respond(200, json=job("completed", [*updated(1), refused]))
    batcher = UpdateBatcher(zd, sleep=clock.sleep)
    results = await asyncio.gather(
        *(batcher.send(ack(t), stamp=STAMP) for t in (1, 2)), return_exceptions=True
    )
    assert results[0] is None
    assert isinstance(results[1], ZendeskUnavailable)
    assert "TicketNotUpdatable" in results[1].detail
    assert results[1].maybe_applied is False  # the job says so: the retry may send it again


async def test_a_failed_call_fails_every_caller_as_maybe_applied(
    zd: ZendeskClient, mock: respx.MockRouter, clock: FakeClock
) -> None:
    put = mock.put("/api/v2/tickets/update_many").respond(500)
    batcher = UpdateBatcher(zd, sleep=clock.sleep)
    results = await asyncio.gather(
        *(batcher.send(ack(t), stamp=STAMP) for t in (1, 2)), return_exceptions=True
    )
    # A batch with comments is never replayed blind: each caller's retry checks its ticket.
    assert put.call_count == 1
    assert all(isinstance(r, ZendeskUnavailable) and r.maybe_applied for r in results)


async def test_two_writes_to_one_ticket_go_in_separate_batches(
    zd: ZendeskClient, mock: respx.MockRouter, clock: FakeClock
) -> None:
    put = two_jobs(mock, [7, 8], [7])
    batcher = UpdateBatcher(zd, sleep=clock.sleep)
    await asyncio.gather(*(batcher.send(ack(t), stamp=STAMP) for t in (7, 8, 7)))
    batches = [[t["id"] for t in json.loads(c.request.content)["tickets"]] for c in put.calls]
    assert batches == [[7, 8], [7]]


async def test_a_job_that_never_finishes_fails_its_callers(
    zd: ZendeskClient, mock: respx.MockRouter, clock: FakeClock
) -> None:
    mock.put("/api/v2/tickets/update_many").respond(200, json=job("queued"))
    mock.get("/api/v2/job_statuses/J1").respond(200, json=job("working"))
    batcher = UpdateBatcher(zd, sleep=clock.sleep)
    with pytest.raises(ZendeskUnavailable, match="unfinished"):
        await batcher.send(ack(1), stamp=STAMP)


async def test_closing_stops_a_batch_in_flight(zd: ZendeskClient, mock: respx.MockRouter) -> None:
    mock.put("/api/v2/tickets/update_many").respond(200, json=job("queued"))
    polling = asyncio.Event()

    async def pause(seconds: float) -> None:
        if seconds >= 0.05:  # the poll's pause, not the linger: the job never finishes
            polling.set()
            await asyncio.Event().wait()

    batcher = UpdateBatcher(zd, sleep=pause)
    sending = asyncio.create_task(batcher.send(ack(1), stamp=STAMP))
    await asyncio.wait_for(polling.wait(), timeout=5)
    # Shutdown does not wait out the job; the caller learns its write may have landed, and
    # its delivery's retry checks the ticket.
    await asyncio.wait_for(batcher.aclose(), timeout=5)
    with pytest.raises(ZendeskUnavailable, match="stopped") as info:
        await sending
    assert info.value.maybe_applied is True


async def test_a_flood_is_cut_at_the_endpoints_hundred_tickets(
    zd: ZendeskClient, mock: respx.MockRouter, clock: FakeClock
) -> None:
    put = two_jobs(mock, list(range(1, 101)), list(range(101, 151)))
    batcher = UpdateBatcher(zd, sleep=clock.sleep)
    await asyncio.gather(*(batcher.send(ack(t), stamp=STAMP) for t in range(1, 151)))
    sizes = [len(json.loads(c.request.content)["tickets"]) for c in put.calls]
    assert sizes == [100, 50]
