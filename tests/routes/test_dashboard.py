"""The dashboard and admin pages in sandbox mode (open without sign-in on 127.0.0.1)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.models import Delivery, Escalation, EscalationEvent, utcnow
from app.settings import Settings
from tests.conftest import make_settings

XSS = "<script>window.pwned=1</script>"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, worker_enabled=False, viewer_tokens="viewer-token-0123456789")


async def insert(app: FastAPI, *rows: Escalation | EscalationEvent | Delivery) -> None:
    async with app.state.sessions() as session, session.begin():
        for row in rows:
            session.add(row)
            await session.flush()


def escalation(ticket_id: int, **values: Any) -> Escalation:
    now = utcnow()
    defaults: dict[str, Any] = {
        "state": "escalated",
        "outcome": "escalate",
        "subject": f"Ticket {ticket_id}",
        "organization_id": 101,
        "organization_name": "Acme Europe BV",
        "region": "EMEA",
        "manager_id": 201,
        "basis": ["production_impact"],
        "categories": ["major_problem"],
        "evidence": ["Production is down."],
        "sla_breach_eligible": True,
        "requested_at": now - timedelta(hours=2),
        "escalated_at": now - timedelta(hours=2),
        "next_update_due_at": now + timedelta(hours=2),
    }
    defaults.update(values)
    return Escalation(ticket_id=ticket_id, **defaults)


def tickets(html: str) -> list[int]:
    return [int(t) for t in re.findall(r'<tr data-ticket="(\d+)"', html)]


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found
    return found.group(1)


async def test_dashboard_lists_open_escalations_with_zendesk_links(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    await insert(
        app,
        escalation(11, subject="Checkout is down"),
        escalation(12, state="closed", closed_at=utcnow()),
        escalation(13, state="not_eligible"),
    )
    response = await client.get("/")
    assert response.status_code == 200
    assert tickets(response.text) == [11]
    assert f'href="{settings.zendesk_base_url}/agent/tickets/11"' in response.text
    assert "Checkout is down" in response.text
    assert "EMEA Support Manager" in response.text  # manager name from the rules file
    assert "Sandbox" in response.text


async def test_filters_by_region_state_and_manager(app: FastAPI, client: httpx.AsyncClient) -> None:
    await insert(
        app,
        escalation(21, region="EMEA", manager_id=201),
        escalation(22, region="AMER", manager_id=202, state="acknowledged"),
        escalation(23, region="APAC", manager_id=203, state="closed"),
    )
    assert tickets((await client.get("/", params={"region": "AMER"})).text) == [22]
    assert tickets((await client.get("/", params={"state": "acknowledged"})).text) == [22]
    assert tickets((await client.get("/", params={"manager_id": "201"})).text) == [21]
    everything = await client.get("/", params={"state": "all", "sort": "ticket"})
    assert tickets(everything.text) == [21, 22, 23]
    assert tickets((await client.get("/", params={"state": "closed"})).text) == [23]


async def test_sorts_by_ticket_and_next_update(app: FastAPI, client: httpx.AsyncClient) -> None:
    now = utcnow()
    await insert(
        app,
        escalation(31, next_update_due_at=now + timedelta(hours=5)),
        escalation(33, next_update_due_at=now + timedelta(hours=1)),
        escalation(32, next_update_due_at=None),
    )
    desc = await client.get("/", params={"sort": "ticket", "order": "desc"})
    assert tickets(desc.text) == [33, 32, 31]
    assert 'aria-sort="descending"' in desc.text
    due = await client.get("/", params={"sort": "next_update"})
    assert tickets(due.text) == [33, 31, 32]  # soonest first, nothing due last


async def test_pages_of_25(app: FastAPI, client: httpx.AsyncClient) -> None:
    await insert(app, *(escalation(1000 + i) for i in range(30)))
    first = await client.get("/", params={"sort": "ticket"})
    second = await client.get("/", params={"sort": "ticket", "page": "2"})
    assert tickets(first.text) == list(range(1000, 1025))
    assert tickets(second.text) == list(range(1025, 1030))
    assert "Page 2 of 2" in second.text
    assert "30 escalations" in first.text


async def test_overdue_update_is_highlighted(app: FastAPI, client: httpx.AsyncClient) -> None:
    await insert(
        app,
        escalation(41, next_update_due_at=utcnow() - timedelta(hours=1)),
        escalation(42),
    )
    html = (await client.get("/", params={"sort": "ticket"})).text
    rows = html.split('<tr data-ticket="')
    assert 'class="overdue"' in rows[1]
    assert 'class="overdue"' not in rows[2]


async def test_customer_text_is_escaped_everywhere(app: FastAPI, client: httpx.AsyncClient) -> None:
    esc = escalation(51, subject=f"Help {XSS}", organization_name=XSS, evidence=[f"Down {XSS}"])
    await insert(app, esc)
    await insert(
        app, EscalationEvent(escalation_id=esc.id, kind="decided", data={"evidence": [XSS]})
    )
    for path in ("/", "/escalations/51", "/kpis"):
        response = await client.get(path)
        assert "<script>window.pwned" not in response.text, path
        assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in response.text, path


async def test_pages_carry_a_strict_content_security_policy(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "<script" not in response.text
    assert response.headers["x-frame-options"] == "DENY"


async def test_timeline_shows_events_and_evidence(app: FastAPI, client: httpx.AsyncClient) -> None:
    esc = escalation(61, acknowledged_at=utcnow() - timedelta(minutes=30))
    await insert(app, esc)
    at = utcnow() - timedelta(hours=2)
    await insert(
        app,
        EscalationEvent(
            escalation_id=esc.id,
            kind="decided",
            at=at,
            data={"outcome": "escalate", "evidence": ["We lose revenue every hour."]},
        ),
        EscalationEvent(escalation_id=esc.id, kind="zendesk_update", at=at, data={"tags": ["x"]}),
        EscalationEvent(escalation_id=esc.id, kind="reminder", at=utcnow(), data={}),
    )
    html = (await client.get("/escalations/61")).text
    labels = re.findall(r"<h3>([^<]+)</h3>", html)
    assert labels == [
        "Escalation requested",
        "Decision: escalate",
        "Zendesk ticket updated",
        "Acknowledged",
        "Manager reminded (update overdue)",
    ]
    assert "We lose revenue every hour." in html


async def test_unknown_escalation_is_a_404_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/escalations/999")
    assert response.status_code == 404
    assert "has no escalation" in response.text


async def test_dry_run_shows_outcome_and_zendesk_update(client: httpx.AsyncClient) -> None:
    page = await client.get("/admin/ui/dry-run")
    comment = (
        "Our production environment has been down since 08:00 and none of our customers "
        "can place orders. We are losing revenue every hour."
    )
    response = await client.post(
        "/admin/ui/dry-run",
        data={
            "csrf": csrf_of(page.text),
            "comment": comment,
            "organization": "region:AMER",
            "priority": "urgent",
            "hours_open": "3",
            "cc_escalation": "true",
        },
    )
    assert response.status_code == 200
    assert 'id="dry-run-outcome">escalate<' in response.text
    assert "&#34;assignee_id&#34;: 202" in response.text  # the AMER manager, from the rules


async def test_rules_errors_are_listed_as_path_and_message(client: httpx.AsyncClient) -> None:
    page = await client.get("/admin/ui/rules")
    response = await client.post(
        "/admin/ui/rules",
        data={"csrf": csrf_of(page.text), "text": "escalation_addresses: []\n", "action": "save"},
    )
    assert response.status_code == 422
    assert re.search(r"escalation_addresses: [^\n<]+", response.text)
    assert "Not saved" in response.text


async def test_saving_rules_adds_a_version_with_a_diff(client: httpx.AsyncClient) -> None:
    page = await client.get("/admin/ui/rules")
    original = (Path(__file__).parents[2] / "rules.example.yaml").read_text()
    for text in (original, original.replace("default_region: EMEA", "default_region: AMER")):
        saved = await client.post(
            "/admin/ui/rules", data={"csrf": csrf_of(page.text), "text": text, "action": "save"}
        )
        assert saved.status_code == 200
    assert "Saved as version 2" in saved.text
    diff = await client.get("/admin/ui/rules/diff", params={"from": "1", "to": "2"})
    assert '<span class="d-del">-default_region: EMEA</span>' in diff.text
    assert '<span class="d-add">+default_region: AMER</span>' in diff.text


async def test_dead_delivery_is_listed_and_replayed(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    dead = Delivery(
        dedupe_key="test:dead",
        kind="comment_added",
        ticket_id=71,
        payload={},
        status="dead",
        attempts=8,
        last_error="Zendesk refused the update: <b>boom</b>",
    )
    await insert(app, dead)
    page = await client.get("/admin/ui/deliveries", params={"status": "dead"})
    assert "Zendesk refused the update: &lt;b&gt;boom&lt;/b&gt;" in page.text
    replay = await client.post(
        f"/admin/ui/deliveries/{dead.id}/replay", data={"csrf": csrf_of(page.text)}
    )
    assert replay.status_code == 303
    after = await client.get(replay.headers["location"])
    assert f"Delivery {dead.id} is queued again" in after.text
    async with app.state.sessions() as session:
        assert (await session.get(Delivery, dead.id)).status == "pending"  # type: ignore[union-attr]


async def test_viewer_is_refused_admin_pages_even_in_sandbox(client: httpx.AsyncClient) -> None:
    headers = {"Authorization": "Bearer viewer-token-0123456789"}
    assert (await client.get("/admin/ui/deliveries", headers=headers)).status_code == 403
    assert (await client.get("/", headers=headers)).status_code == 200


async def test_json_api_still_needs_a_token_in_sandbox(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/escalations")).status_code == 401
    assert (await client.get("/admin/rules")).status_code == 401


def test_age_uses_the_close_time_once_closed() -> None:
    from app.dashboard import age_minutes

    start = datetime(2026, 1, 1, 8, 0).astimezone()
    esc = escalation(1, requested_at=start, closed_at=start + timedelta(minutes=90))
    assert age_minutes(esc, start + timedelta(days=3)) == 90
