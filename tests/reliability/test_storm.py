"""A storm of 10,000 signed deliveries, 30% of them duplicates, in random order: every
delivery lands once in the inbox and every escalation happens exactly once."""

from __future__ import annotations

import asyncio
import random
import uuid
from typing import Any

import pytest

from tests.conftest import comment_event, signed, wait_for
from tests.test_end_to_end import comments_of, create_escalated_tickets

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TOTAL = 10_000
DUPLICATE_SHARE = 0.3
ESCALATIONS = 100


def cc_added_event(ticket_id: int, user_id: int) -> dict[str, Any]:
    return {
        "account_id": 9000001,
        "id": str(uuid.uuid4()),
        "subject": f"zen:ticket:{ticket_id}",
        "type": "zen:event-type:ticket.email_ccs_changed",
        "zendesk_event_version": "2022-11-06",
        "detail": {"id": str(ticket_id), "status": "OPEN", "priority": "URGENT", "tags": []},
        "event": {"users_added": [str(user_id)], "users_removed": []},
    }


async def test_storm_with_duplicates_escalates_each_ticket_exactly_once(
    stack_factory: Any,
) -> None:
    async with stack_factory(
        worker_concurrency=16, zendesk_updates_per_minute=5000, zendesk_requests_per_minute=20000
    ) as s:
        # The storm is posted here; the sandbox must not add webhooks of its own.
        await s.sandbox.post(
            "/__sandbox/settings",
            json={"webhook_url": None, "updates_per_minute": 5000, "requests_per_minute": 20000},
        )
        tickets = await create_escalated_tickets(s.sandbox, ESCALATIONS)
        # The CC created the escalation address's user; its id is what the CC event names.
        found = await s.sandbox.get(
            "/api/v2/users/search.json", params={"query": "email:escalation@example.com"}
        )
        escalation_user = found.json()["users"][0]["id"]

        unique_count = round(TOTAL * (1 - DUPLICATE_SHARE))
        rng = random.Random(7)
        events = [cc_added_event(t, escalation_user) for t in tickets]
        others = [*tickets, *range(800_000, 800_200)]
        events += [
            comment_event(rng.choice(others), event_id=f"storm-{n}")
            for n in range(unique_count - len(events))
        ]
        storm = events + [rng.choice(events) for _ in range(TOTAL - unique_count)]
        rng.shuffle(storm)

        gate = asyncio.Semaphore(32)

        async def post(event: dict[str, Any]) -> tuple[int, bool]:
            body, headers = signed(event)  # a retry is signed afresh, like Zendesk's
            async with gate:
                response = await s.service.post("/webhooks/zendesk", content=body, headers=headers)
            return response.status_code, bool(response.json().get("duplicate"))

        answers = await asyncio.gather(*(post(e) for e in storm))
        assert {status for status, _ in answers} == {202}
        assert sum(dup for _, dup in answers) == TOTAL - unique_count

        async def drained() -> dict[str, int] | None:
            counts: dict[str, int] = (await s.service.get("/admin/deliveries")).json()["counts"]
            return counts if counts["pending"] == counts["processing"] == 0 else None

        counts = await wait_for(drained, timeout=180, interval=0.5)
        assert counts == {"pending": 0, "processing": 0, "done": unique_count, "dead": 0}

        listing = (await s.service.get("/api/escalations?state=escalated&limit=200")).json()
        assert sorted(e["ticket_id"] for e in listing["escalations"]) == sorted(tickets)
        for ticket_id in tickets:
            comments = await comments_of(s, ticket_id)
            notes = [c for c in comments if not c["public"] and "escalator-ref" in c["body"]]
            replies = [c for c in comments if c["public"] and c["author_id"] == 1]
            assert (len(notes), len(replies)) == (1, 1), ticket_id
