"""The whole flow over real HTTP: sandbox Zendesk → signed webhook → inbox → worker → Zendesk."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.conftest import Stack, wait_for

pytestmark = pytest.mark.integration

IMPACT = (
    "Our production environment has been down since 08:00 and none of our customers can "
    "place orders. We are losing revenue every hour."
)
ESCALATION_CC = [{"user_email": "escalation@example.com", "action": "put"}]


async def create_escalated_tickets(sandbox: httpx.AsyncClient, count: int) -> list[int]:
    """`count` urgent tickets, created at once, whose first comment states production impact
    and CCs the escalation address: each one an escalation request."""
    created = await asyncio.gather(
        *(
            sandbox.post(
                "/api/v2/tickets.json",
                json={
                    "ticket": {
                        "subject": f"Outage {n}",
                        "comment": {"body": IMPACT, "public": True},
                        "requester_id": 401,
                        "priority": "urgent",
                        "email_ccs": ESCALATION_CC,
                    }
                },
            )
            for n in range(count)
        )
    )
    return [r.json()["ticket"]["id"] for r in created]


async def create_ticket(s: Stack, *, requester_id: int = 401, priority: str = "urgent") -> int:
    response = await s.sandbox.post(
        "/api/v2/tickets.json",
        json={
            "ticket": {
                "subject": "Checkout fails in production",
                "comment": {"body": "Checkout returns HTTP 500 since the upgrade.", "public": True},
                "requester_id": requester_id,
                "priority": priority,
            }
        },
    )
    assert response.status_code == 201, response.text
    ticket_id: int = response.json()["ticket"]["id"]
    return ticket_id


async def comment(s: Stack, ticket_id: int, body: str, *, cc: bool, author_id: int = 401) -> None:
    ticket: dict[str, Any] = {"comment": {"body": body, "public": True, "author_id": author_id}}
    if cc:
        ticket["email_ccs"] = ESCALATION_CC
    response = await s.sandbox.put(f"/api/v2/tickets/{ticket_id}.json", json={"ticket": ticket})
    assert response.status_code == 200, response.text


async def ticket_of(s: Stack, ticket_id: int) -> dict[str, Any]:
    ticket: dict[str, Any] = (await s.sandbox.get(f"/api/v2/tickets/{ticket_id}.json")).json()[
        "ticket"
    ]
    return ticket


async def comments_of(s: Stack, ticket_id: int) -> list[dict[str, Any]]:
    response = await s.sandbox.get(f"/api/v2/tickets/{ticket_id}/comments.json")
    comments: list[dict[str, Any]] = response.json()["comments"]
    return comments


async def settled(s: Stack) -> bool:
    """Every webhook the sandbox sent was answered, and the inbox has nothing left to do."""
    if (await s.sandbox.get("/__sandbox/webhook_deliveries")).json()["pending"]:
        return False
    counts = (await s.service.get("/admin/deliveries")).json()["counts"]
    return bool(counts["pending"] == 0 and counts["processing"] == 0)


async def service_calls(s: Stack) -> list[dict[str, Any]]:
    log = (await s.sandbox.get("/__sandbox/requests")).json()["requests"]
    return [r for r in log if str(r.get("user_agent", "")).startswith("escalator/")]


@pytest.mark.parametrize("mode", ["event", "trigger"])
async def test_escalation_comment_escalates_the_ticket_once(stack_factory: Any, mode: str) -> None:
    async with stack_factory(worker_poll_seconds=0.05) as s:
        await s.sandbox.post("/__sandbox/settings", json={"webhook_mode": mode})
        ticket_id = await create_ticket(s)
        await wait_for(lambda: settled(s))
        await comment(s, ticket_id, IMPACT, cc=True)

        async def escalated() -> bool:
            return "escalated" in (await ticket_of(s, ticket_id))["tags"]

        await wait_for(escalated, timeout=5)
        await wait_for(lambda: settled(s))
        notes = [c for c in await comments_of(s, ticket_id) if not c["public"]]
        assert len(notes) == 1
        assert "escalator-ref" in notes[0]["body"]
        record = (await s.service.get(f"/api/escalations/{ticket_id}")).json()
        assert record["state"] == "escalated"
        assert record["outcome"] == "escalate"


@pytest.mark.parametrize("mode", ["event", "trigger"])
async def test_comment_without_escalation_cc_costs_no_zendesk_call(
    stack_factory: Any, mode: str
) -> None:
    async with stack_factory() as s:
        await s.sandbox.post("/__sandbox/settings", json={"webhook_mode": mode})
        ticket_id = await create_ticket(s)
        await wait_for(lambda: settled(s))
        await s.sandbox.delete("/__sandbox/requests")
        before = (await s.service.get("/admin/deliveries")).json()["counts"]["done"]
        await comment(s, ticket_id, "Any update? " + IMPACT, cc=False)

        async def processed() -> bool:
            counts = (await s.service.get("/admin/deliveries")).json()["counts"]
            return bool(counts["done"] > before) and await settled(s)

        await wait_for(processed)
        assert await service_calls(s) == []
        assert "escalated" not in (await ticket_of(s, ticket_id))["tags"]
