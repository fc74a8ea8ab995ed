"""The complete escalation update through the sandbox: every action, the call budget, and
exactly-once under every failure Zendesk can throw."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.conftest import Stack, signed, wait_for
from tests.test_end_to_end import (
    ESCALATION_CC,
    IMPACT,
    comments_of,
    create_escalated_tickets,
    create_ticket,
    service_calls,
    settled,
)

pytestmark = pytest.mark.integration


async def escalate(s: Stack, ticket_id: int, body: str = IMPACT, author_id: int = 401) -> None:
    response = await s.sandbox.put(
        f"/api/v2/tickets/{ticket_id}.json",
        json={
            "ticket": {
                "comment": {"body": body, "public": True, "author_id": author_id},
                "email_ccs": ESCALATION_CC,
            }
        },
    )
    assert response.status_code == 200, response.text


async def drained(s: Stack) -> None:
    await wait_for(lambda: settled(s), timeout=60)


async def escalator_comments(s: Stack, ticket_id: int) -> tuple[list[Any], list[Any]]:
    comments = await comments_of(s, ticket_id)
    notes = [c for c in comments if not c["public"] and "escalator-ref" in c["body"]]
    replies = [c for c in comments if c["public"] and c["author_id"] == 1]
    return notes, replies


async def test_escalation_applies_every_action_within_the_call_budget(stack_factory: Any) -> None:
    async with stack_factory() as s:
        ticket_id = await create_ticket(s)
        await drained(s)
        await s.sandbox.delete("/__sandbox/requests")
        await escalate(s, ticket_id)
        await drained(s)

        ticket = (await s.sandbox.get(f"/api/v2/tickets/{ticket_id}.json")).json()["ticket"]
        assert "escalated" in ticket["tags"]
        assert any(t.startswith("escalation_reason_") for t in ticket["tags"])
        fields = {f["id"]: f["value"] for f in ticket["custom_fields"]}
        assert fields[9001] == "escalated"
        assert "production_impact" in fields[9002]
        assert fields[9003] is False  # the ticket is seconds old: no SLA breach yet
        assert "production environment has been down" in fields[9004]
        assert (ticket["assignee_id"], ticket["group_id"]) == (201, 301)  # EMEA manager
        assert {211, 212, 213} <= set(ticket["follower_ids"])  # CSM, partner manager, AE
        notes, replies = await escalator_comments(s, ticket_id)
        assert len(notes) == 1 and len(replies) == 1
        assert "Eva" in notes[0]["body"] or "EMEA" in notes[0]["body"]

        calls = await service_calls(s)
        reads = [c for c in calls if c["method"] == "GET"]
        writes = [c for c in calls if c["method"] in ("PUT", "POST")]
        assert len(reads) <= 1 and len(writes) <= 2, calls

        record = (await s.service.get(f"/api/escalations/{ticket_id}")).json()
        assert record["manager_id"] == 201
        assert record["region"] == "EMEA"
        assert set(record["account_team"]) >= {211, 212, 213}
        assert [e["kind"] for e in record["events"]][-3:] == [
            "decided",
            "zendesk_update",
            "reply_sent",
        ]


FAULTS = [
    pytest.param(
        [{"method": "PUT", "path": r"/tickets/\d+$", "status": 429, "count": 1, "retry_after": 1}],
        id="429-retry-after",
    ),
    pytest.param(
        [{"method": "PUT", "path": r"/tickets/\d+$", "status": 503, "count": 2}], id="503"
    ),
    pytest.param(
        [{"method": "GET", "path": r"/tickets/\d+$", "status": 500, "count": 2}], id="500-read"
    ),
    pytest.param(
        [{"method": "PUT", "path": r"/tickets/\d+$", "status": 409, "count": 1}], id="409-race"
    ),
    pytest.param(
        [{"method": "PUT", "path": r"/tickets/\d+$", "delay_ms": 1500, "count": 1}], id="timeout"
    ),
]


@pytest.mark.parametrize("faults", FAULTS)
async def test_every_escalation_lands_exactly_once_under_faults(
    stack_factory: Any, faults: list[dict[str, Any]]
) -> None:
    async with stack_factory(zendesk_timeout_seconds=0.75) as s:
        tickets = [await create_ticket(s) for _ in range(3)]
        await drained(s)
        for fault in faults:
            only_service = {**fault, "user_agent": "^escalator/"}
            assert (await s.sandbox.post("/__sandbox/faults", json=only_service)).status_code == 201
        await asyncio.gather(*(escalate(s, t) for t in tickets))
        await drained(s)
        for ticket_id in tickets:
            notes, replies = await escalator_comments(s, ticket_id)
            assert (len(notes), len(replies)) == (1, 1), (ticket_id, notes, replies)
            ticket = (await s.sandbox.get(f"/api/v2/tickets/{ticket_id}.json")).json()["ticket"]
            assert ticket["tags"].count("escalated") == 1
        dead = (await s.service.get("/admin/deliveries?status=dead")).json()["deliveries"]
        assert dead == []


async def test_unknown_manager_makes_the_delivery_dead_with_a_readable_reason(
    stack_factory: Any, repo_root: Any
) -> None:
    async with stack_factory() as s:
        text = (repo_root / "rules.example.yaml").read_text().replace("id: 201", "id: 999999")
        saved = await s.service.put("/admin/rules", content=text)
        assert saved.status_code == 200
        ticket_id = await create_ticket(s)
        await drained(s)
        await escalate(s, ticket_id)
        await drained(s)
        dead = (await s.service.get("/admin/deliveries?status=dead")).json()["deliveries"]
        assert len(dead) == 1
        assert "assignee" in dead[0]["last_error"]
        assert dead[0]["ticket_id"] == ticket_id


async def test_deleted_ticket_makes_the_delivery_dead(stack_factory: Any) -> None:
    async with stack_factory() as s:
        event = {
            "type": "zen:event-type:ticket.email_ccs_changed",
            "id": "evt-gone",
            "detail": {"id": "987654", "status": "OPEN"},
            "event": {"users_added": ["123"], "users_removed": []},
        }
        body, headers = signed(event)
        accepted = await s.service.post("/webhooks/zendesk", content=body, headers=headers)
        assert accepted.status_code == 202
        await drained(s)
        dead = (await s.service.get("/admin/deliveries?status=dead")).json()["deliveries"]
        assert [(d["ticket_id"], "not found" in d["last_error"]) for d in dead] == [(987654, True)]


async def test_burst_of_300_under_the_update_limit_loses_nothing(stack_factory: Any) -> None:
    # Zendesk's 100 updates per minute, with the "minute" shrunk to a second on both sides.
    async with stack_factory(
        zendesk_updates_per_minute=100,
        zendesk_rate_window_seconds=1.0,
        zendesk_requests_per_minute=10_000,
        worker_concurrency=16,
    ) as s:
        await s.sandbox.post(
            "/__sandbox/settings",
            json={
                "updates_per_minute": 100,
                "rate_window_seconds": 1.0,
                "requests_per_minute": 10_000,
            },
        )
        tickets = await create_escalated_tickets(s.sandbox, 300)
        await wait_for(lambda: settled(s), timeout=120)
        log = (await s.sandbox.get("/__sandbox/requests")).json()["requests"]
        throttled = [r for r in log if r["status"] == 429]
        assert len(throttled) <= 5
        escalated = (await s.service.get("/api/escalations?state=escalated&limit=200")).json()
        page2 = (
            await s.service.get(
                f"/api/escalations?state=escalated&limit=200&cursor={escalated['next_cursor']}"
            )
        ).json()
        ids = {e["ticket_id"] for e in escalated["escalations"] + page2["escalations"]}
        assert ids == set(tickets)


@pytest.mark.parametrize("body", [IMPACT, "Please escalate this ticket."], ids=["escalate", "ask"])
async def test_a_delivery_retried_after_all_its_writes_sends_nothing(
    stack_factory: Any, body: str
) -> None:
    """A delivery that failed after every write landed (say, marking it done did not commit)
    comes back: its retry must not answer the customer again, whatever it decided."""
    from sqlalchemy import update

    from app.models import Delivery, Escalation

    async with stack_factory() as s:
        ticket_id = await create_ticket(s)
        await drained(s)
        await escalate(s, ticket_id, body)
        await drained(s)
        async with s.app.state.sessions() as session, session.begin():
            escalation = (
                await session.execute(
                    Escalation.__table__.select().where(Escalation.ticket_id == ticket_id)
                )
            ).one()
            delivery_id = escalation.applied["delivery_id"]
            await session.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id)
                .values(status="pending", next_attempt_at=Delivery.received_at)
            )
        await s.sandbox.delete("/__sandbox/requests")
        s.app.state.worker.wake()
        await drained(s)

        comments = await comments_of(s, ticket_id)
        assert len([c for c in comments if c["author_id"] == 1]) == (2 if body == IMPACT else 1)
        assert [c for c in await service_calls(s) if c["method"] != "GET"] == []
        async with s.app.state.sessions() as session:
            retried = await session.get(Delivery, delivery_id)
            assert retried is not None and (retried.status, retried.attempts) == ("done", 2)


async def test_a_run_that_finds_its_update_landed_checks_each_later_write(
    stack_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two runs of one delivery that both read the ticket before either wrote (a lease taken
    over while the first still ran): the second's update answers 409 and is found landed, and
    its reply must then be found landed too, not sent again with the fresh stamp."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from app.events import parse_event
    from app.models import Delivery

    async with stack_factory(worker_enabled=False) as s:
        ticket_id = await create_ticket(s)
        await escalate(s, ticket_id)
        await wait_for(lambda: _no_pending_webhooks(s), timeout=30)
        pipeline = s.app.state.pipeline
        async with s.app.state.sessions() as session:
            deliveries = (
                await session.scalars(
                    select(Delivery).where(Delivery.ticket_id == ticket_id).order_by(Delivery.id)
                )
            ).all()
        stale = await pipeline._read(ticket_id)
        # Zendesk's stamps have whole seconds: the first run's writes must land in a later
        # second than the second run's read for its update to be refused.
        await wait_for(
            lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") != stale.updated_stamp,
            timeout=3,
        )
        outcomes = {d.id: await pipeline(d) for d in deliveries}
        request_delivery = next(d for d in deliveries if outcomes[d.id] == "escalate")

        reads = 0
        real_read = pipeline._read

        async def stale_first(read_ticket_id: int) -> Any:
            nonlocal reads
            reads += 1
            return stale if reads == 1 else await real_read(read_ticket_id)

        monkeypatch.setattr(pipeline, "_read", stale_first)
        event = parse_event(request_delivery.kind, ticket_id, request_delivery.payload)
        request = await pipeline.screen(event, None)
        assert request is not None
        await pipeline._evaluate_and_apply(request_delivery, event, request, None)

        notes, replies = await escalator_comments(s, ticket_id)
        assert (len(notes), len(replies)) == (1, 1), (notes, replies)


async def _no_pending_webhooks(s: Stack) -> bool:
    return not (await s.sandbox.get("/__sandbox/webhook_deliveries")).json()["pending"]
