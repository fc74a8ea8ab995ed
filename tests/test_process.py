"""The rest of the process through the sandbox: email and CSM intake, outages, pending
requests, cadence reminders, acknowledgement, closure and recurring incidents."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from app.models import Escalation, utcnow
from tests.conftest import Stack, wait_for
from tests.test_actions import escalate, escalator_comments
from tests.test_end_to_end import (
    IMPACT,
    comments_of,
    create_ticket,
    service_calls,
    settled,
    ticket_of,
)

pytestmark = pytest.mark.integration

FAST = {"scheduler_interval_seconds": 0.2, "statuspage_cache_seconds": 0}


async def drained(s: Stack) -> None:
    await wait_for(lambda: settled(s), timeout=60)


async def record(s: Stack, ticket_id: int) -> dict[str, Any]:
    response = await s.service.get(f"/api/escalations/{ticket_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def agent_comment(
    s: Stack, ticket_id: int, body: str, *, author_id: int, public: bool = True, **ticket: Any
) -> None:
    payload = {"comment": {"body": body, "public": public, "author_id": author_id}, **ticket}
    response = await s.sandbox.put(f"/api/v2/tickets/{ticket_id}.json", json={"ticket": payload})
    assert response.status_code == 200, response.text


async def inbound_email(s: Stack, subject: str, body: str, sender: str) -> int:
    response = await s.sandbox.post(
        "/__sandbox/inbound_email",
        json={
            "from": sender,
            "to": ["escalation@example.com"],
            "cc": ["csm.emea@example.com"],
            "subject": subject,
            "body": body,
        },
    )
    assert response.status_code == 201, response.text
    ticket_id: int = response.json()["ticket"]["id"]
    return ticket_id


async def test_email_naming_a_ticket_escalates_it_and_links_both(stack_factory: Any) -> None:
    async with stack_factory(**FAST) as s:
        email_id = await inbound_email(
            s,
            "Escalation: ticket #1001",
            "Hello, we need to escalate ticket 1001. Our production shop has been down since "
            "this morning and customers cannot pay.\n\nBest regards,\nOps team",
            "Ops <ops@acme.example>",
        )
        await drained(s)
        original = await ticket_of(s, 1001)
        assert "escalated" in original["tags"]
        notes, replies = await escalator_comments(s, 1001)
        assert len(notes) == 1 and f"#{email_id}" in notes[0]["body"]
        assert len(replies) == 1
        email = await ticket_of(s, email_id)
        assert email["status"] == "solved"
        assert "escalation_email_linked" in email["tags"]
        answers = [c for c in await comments_of(s, email_id) if c["author_id"] == 1]
        assert len(answers) == 1 and "#1001" in answers[0]["body"] and answers[0]["public"]
        assert (await record(s, 1001))["channel"] == "email"


@pytest.mark.parametrize(
    ("subject", "body", "sender"),
    [
        (
            "Escalation!",
            "Please escalate, production is down for all our users.",
            "ops@acme.example",
        ),
        # Names a ticket, but the sender belongs to another organisation.
        ("Escalate ticket #1001", "Production down, customers cannot order.", "it@globex.example"),
    ],
    ids=["no-ticket-number", "not-allowed-for-that-ticket"],
)
async def test_email_without_a_ticket_it_may_escalate_is_answered_and_escalates_nothing(
    stack_factory: Any, subject: str, body: str, sender: str
) -> None:
    async with stack_factory(**FAST) as s:
        email_id = await inbound_email(s, subject, body, sender)
        await drained(s)
        email = await ticket_of(s, email_id)
        assert "escalation_email_needs_ticket" in email["tags"]
        answers = [c for c in await comments_of(s, email_id) if c["author_id"] == 1]
        assert len(answers) == 1 and "number of the support ticket" in answers[0]["body"]
        assert "escalated" not in (await ticket_of(s, 1001))["tags"]
        listing = (await s.service.get("/api/escalations")).json()["escalations"]
        assert listing == []


async def test_csm_api_escalates_with_a_token_only(stack_factory: Any) -> None:
    async with stack_factory(csm_api_tokens="csm-token-1,csm-token-2", **FAST) as s:
        body = {
            "ticket_id": 1004,
            "reason": "The customer's launch is blocked.",
            "business_impact": "Their production go-live on Monday is at risk and a contract "
            "penalty applies if they miss it.",
            "requested_by": "csm.apac@example.com",
        }
        no_token = await s.service.post(
            "/api/escalations", json=body, headers={"Authorization": ""}
        )
        assert no_token.status_code == 401
        bad = await s.service.post(
            "/api/escalations",
            json={**body, "ticket_id": "x"},
            headers={"Authorization": "Bearer csm-token-2"},
        )
        assert bad.status_code == 422
        accepted = await s.service.post(
            "/api/escalations", json=body, headers={"Authorization": "Bearer csm-token-2"}
        )
        assert accepted.status_code == 202
        await drained(s)
        escalation = await record(s, 1004)
        assert (escalation["state"], escalation["channel"]) == ("escalated", "csm")
        assert escalation["requested_by"] == "csm.apac@example.com"
        assert (await ticket_of(s, 1004))["assignee_id"] == 203  # APAC manager


async def test_csm_macro_tag_escalates_with_the_internal_note(stack_factory: Any) -> None:
    async with stack_factory(**FAST) as s:
        await agent_comment(
            s,
            1004,
            "Customer called: their production checkout is down and orders cannot be placed.",
            author_id=217,
            public=False,
            additional_tags=["escalation_csm_request"],
        )
        await drained(s)
        escalation = await record(s, 1004)
        assert (escalation["state"], escalation["channel"]) == ("escalated", "csm")
        tags = (await ticket_of(s, 1004))["tags"]
        assert "escalated" in tags and "escalation_csm_request" not in tags


async def test_escalation_during_an_outage_is_deprioritised_then_reevaluated(
    stack_factory: Any,
) -> None:
    async with stack_factory(**FAST) as s:
        outage = await s.sandbox.post(
            "/__sandbox/outage", json={"name": "EU cluster degraded", "impact": "major"}
        )
        incident = outage.json()
        ticket_id = await create_ticket(s)
        await drained(s)
        await escalate(s, ticket_id)
        await drained(s)
        ticket = await ticket_of(s, ticket_id)
        assert "escalation_outage" in ticket["tags"] and "escalated" not in ticket["tags"]
        assert ticket["status"] not in ("solved", "closed")
        reply = [c for c in await comments_of(s, ticket_id) if c["author_id"] == 1]
        assert len(reply) == 1 and "EU cluster degraded" in reply[0]["body"]
        shortlink = incident.get("shortlink") or incident.get("incident", {}).get("shortlink")
        if shortlink:
            assert shortlink in reply[0]["body"]
        assert (await record(s, ticket_id))["state"] == "deprioritized"

        await s.sandbox.delete("/__sandbox/outage")

        async def escalated() -> bool:
            return (await record(s, ticket_id))["state"] == "escalated"

        await wait_for(escalated, timeout=20)
        await drained(s)
        assert "escalated" in (await ticket_of(s, ticket_id))["tags"]


async def test_a_flood_during_an_outage_is_acknowledged_in_batches(stack_factory: Any) -> None:
    async with stack_factory(**FAST) as s:
        await s.sandbox.post(
            "/__sandbox/outage", json={"name": "EU cluster degraded", "impact": "major"}
        )
        tickets = [await create_ticket(s) for _ in range(8)]
        await drained(s)
        await s.sandbox.delete("/__sandbox/requests")
        await asyncio.gather(*(escalate(s, t) for t in tickets))
        await drained(s)

        for ticket_id in tickets:
            replies = [c for c in await comments_of(s, ticket_id) if c["author_id"] == 1]
            assert len(replies) == 1 and "EU cluster degraded" in replies[0]["body"], ticket_id
            assert "escalation_outage" in (await ticket_of(s, ticket_id))["tags"]
        writes = [c for c in await service_calls(s) if c["method"] == "PUT"]
        batches = [c for c in writes if c["path"].endswith("/update_many")]
        # Acknowledgements that fall due together share a call; none is also sent alone.
        assert batches and len(writes) == len(batches) < len(tickets), writes


async def test_missing_impact_is_completed_by_the_next_comment(stack_factory: Any) -> None:
    async with stack_factory(**FAST) as s:
        ticket_id = await create_ticket(s, priority="low")
        await drained(s)
        await escalate(s, ticket_id, body="Please escalate this ticket, I want a manager.")
        await drained(s)
        assert (await record(s, ticket_id))["state"] == "needs_info"
        asks = [c for c in await comments_of(s, ticket_id) if c["author_id"] == 1]
        assert len(asks) == 1 and "business" in asks[0]["body"]
        await agent_comment(s, ticket_id, IMPACT, author_id=401)  # the customer, no CC
        await drained(s)
        assert (await record(s, ticket_id))["state"] == "escalated"
        assert "escalated" in (await ticket_of(s, ticket_id))["tags"]


async def test_overdue_update_reminds_the_manager_once(stack_factory: Any) -> None:
    async with stack_factory(
        scheduler_interval_seconds=3600,
        **{k: v for k, v in FAST.items() if k != "scheduler_interval_seconds"},
    ) as s:
        ticket_id = await create_ticket(s)
        await drained(s)
        await escalate(s, ticket_id)
        await drained(s)
        async with s.app.state.sessions() as session, session.begin():
            await session.execute(
                update(Escalation)
                .where(Escalation.ticket_id == ticket_id)
                .values(next_update_due_at=utcnow() - timedelta(minutes=5))
            )
        scheduler = s.app.state.scheduler
        assert await scheduler.run_once() == 1
        assert await scheduler.run_once() == 0  # the same period is queued once
        await drained(s)
        assert await scheduler.run_once() == 0  # reminded: the next period starts now
        reminders = [
            c
            for c in await comments_of(s, ticket_id)
            if not c["public"] and c["body"].startswith("Reminder for")
        ]
        assert len(reminders) == 1
        events = [e["kind"] for e in (await record(s, ticket_id))["events"]]
        assert events.count("reminder") == 1


async def test_manager_reply_acknowledges_and_solving_closes_with_times(
    stack_factory: Any,
) -> None:
    async with stack_factory(**FAST) as s:
        ticket_id = await create_ticket(s)
        await drained(s)
        await escalate(s, ticket_id)
        await drained(s)
        await agent_comment(s, ticket_id, "Hi, I am your escalation manager.", author_id=201)
        await drained(s)
        acknowledged = await record(s, ticket_id)
        assert acknowledged["state"] == "acknowledged" and acknowledged["acknowledged_at"]
        await agent_comment(s, ticket_id, "Fixed in 10.2.1.", author_id=210, status="solved")
        await drained(s)
        closed = await record(s, ticket_id)
        assert (closed["state"], closed["close_reason"]) == (
            "closed",
            "solution provided (ticket solved)",
        )
        assert closed["closed_at"]
        close_event = next(e for e in closed["events"] if e["kind"] == "closed")
        assert close_event["data"]["minutes_to_close"] is not None
        assert close_event["data"]["minutes_to_acknowledge"] is not None
        assert "escalation_closed" in (await ticket_of(s, ticket_id))["tags"]

        await agent_comment(s, ticket_id, "It is broken again!", author_id=401, status="open")
        await drained(s)
        assert (await record(s, ticket_id))["state"] == "acknowledged"
        assert "escalation_closed" not in (await ticket_of(s, ticket_id))["tags"]


async def test_workaround_tag_closes_the_escalation(stack_factory: Any) -> None:
    async with stack_factory(**FAST) as s:
        ticket_id = await create_ticket(s)
        await drained(s)
        await escalate(s, ticket_id)
        await drained(s)
        await agent_comment(
            s,
            ticket_id,
            "Workaround: disable the cache.",
            author_id=210,
            additional_tags=["workaround_provided"],
        )
        await drained(s)
        closed = await record(s, ticket_id)
        assert (closed["state"], closed["close_reason"]) == ("closed", "workaround provided")


async def test_second_request_adds_to_the_record_and_recurring_incidents_are_flagged(
    stack_factory: Any,
) -> None:
    async with stack_factory(**FAST) as s:
        tickets = [await create_ticket(s) for _ in range(3)]
        await drained(s)
        for ticket_id in tickets:
            await escalate(s, ticket_id)
            await drained(s)
        third = await record(s, tickets[2])
        assert "recurring_incidents" in third["categories"]
        notes, _ = await escalator_comments(s, tickets[2])
        assert f"#{tickets[0]}" in notes[0]["body"] and f"#{tickets[1]}" in notes[0]["body"]

        # The address is still in the CCs, so the second request comes by email.
        await inbound_email(
            s,
            f"Ticket #{tickets[0]} again",
            "Escalating again: now our data exports are lost too.",
            "ops@acme.example",
        )
        await drained(s)
        notes, replies = await escalator_comments(s, tickets[0])
        assert len(notes) == 2 and len(replies) == 1  # one extra note, no second escalation
        assert (await ticket_of(s, tickets[0]))["tags"].count("escalated") == 1
