"""Admin API: auth, deliveries and replay, rules versions, and the dry-run contract."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.main import create_app
from app.models import Delivery, utcnow
from app.rules import detect
from app.settings import Settings
from tests.conftest import ADMIN, ROOT, running

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
IMPACT = "Our production environment is down and customers cannot place orders."
ACME = {
    "id": 101,
    "name": "Acme Europe BV",
    "organization_fields": {
        "region": "EMEA",
        "support_contract_expires": "2030-12-31",
        "csm_email": "csm.emea@example.com",
        "partner_manager_email": "pm.emea@example.com",
        "account_executive_email": "ae.emea@example.com",
    },
}


def dry_run_request(**overrides: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "ticket": {
            "id": 1001,
            "subject": "Checkout down",
            "status": "open",
            "priority": "urgent",
            "created_at": (NOW - timedelta(days=3)).isoformat(),
            "updated_at": (NOW - timedelta(hours=1)).isoformat(),
            "tags": [],
            "organization_id": 101,
            "requester_id": 401,
        },
        "organization": ACME,
        "comment": {"body": IMPACT, "public": True, "author_id": 401},
        "added_email_ccs": ["escalation@example.com"],
        "now": NOW.isoformat(),
    }
    request.update(overrides)
    return request


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/admin/deliveries"),
        ("POST", "/admin/deliveries/1/replay"),
        ("GET", "/admin/rules"),
        ("PUT", "/admin/rules"),
        ("POST", "/admin/rules/dry-run"),
        ("GET", "/api/escalations"),
        ("GET", "/api/escalations/1001"),
    ],
)
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong-token"}, {"Authorization": "Basic abc"}],
    ids=["none", "wrong", "basic"],
)
async def test_admin_and_api_need_a_token(
    client: httpx.AsyncClient, method: str, path: str, headers: dict[str, str]
) -> None:
    response = await client.request(method, path, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "Unauthorized"


async def add_delivery(app: FastAPI, status: str, error: str | None = None) -> int:
    async with app.state.sessions() as session, session.begin():
        delivery = Delivery(
            dedupe_key=f"test:{status}:{utcnow().timestamp()}",
            kind="ticket.email_ccs_changed",
            ticket_id=1001,
            payload={},
            status=status,
            attempts=8,
            last_error=error,
        )
        session.add(delivery)
        await session.flush()
        return delivery.id


async def test_dead_delivery_is_listed_with_its_error_and_replayed(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    dead = await add_delivery(app, "dead", "Zendesk refused the update: assignee_id: is not valid")
    listing = (await client.get("/admin/deliveries?status=dead", headers=ADMIN)).json()
    assert [(d["id"], d["last_error"]) for d in listing["deliveries"]] == [
        (dead, "Zendesk refused the update: assignee_id: is not valid")
    ]
    replayed = await client.post(f"/admin/deliveries/{dead}/replay", headers=ADMIN)
    assert replayed.status_code == 200
    assert (replayed.json()["status"], replayed.json()["attempts"]) == ("pending", 0)
    assert (await client.get("/admin/deliveries?status=dead", headers=ADMIN)).json()[
        "deliveries"
    ] == []


async def test_replay_of_unknown_or_pending_delivery_is_refused(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    missing = await client.post("/admin/deliveries/999999/replay", headers=ADMIN)
    assert (missing.status_code, missing.json()["error"]) == (404, "NotFound")
    pending = await add_delivery(app, "pending")
    busy = await client.post(f"/admin/deliveries/{pending}/replay", headers=ADMIN)
    assert (busy.status_code, busy.json()["error"]) == (409, "Conflict")


@pytest.mark.parametrize("query", ["status=finished", "limit=0", "limit=100000", "limit=x"])
async def test_bad_delivery_filters_are_422(client: httpx.AsyncClient, query: str) -> None:
    response = await client.get(f"/admin/deliveries?{query}", headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["error"] == "ValidationError"


async def test_rules_are_versioned_and_take_effect_without_restart(
    client: httpx.AsyncClient,
) -> None:
    active = (await client.get("/admin/rules", headers=ADMIN)).json()
    assert (active["version"], active["source"]) == (None, str(ROOT / "rules.example.yaml"))
    text = (
        (ROOT / "rules.example.yaml")
        .read_text()
        .replace("escalation@example.com", "urgent@example.com")
    )
    saved = await client.put(
        "/admin/rules", content=text, headers={**ADMIN, "content-type": "application/yaml"}
    )
    assert saved.status_code == 200
    assert saved.json()["version"] is not None
    assert saved.json()["rules"]["escalation_addresses"] == ["urgent@example.com"]
    old_cc = await client.post("/admin/rules/dry-run", json=dry_run_request(), headers=ADMIN)
    assert old_cc.json()["outcome"] == "ignore"
    history = (await client.get("/admin/rules/history", headers=ADMIN)).json()["versions"]
    assert [v["version"] for v in history] == [saved.json()["version"]]


async def test_the_rules_in_force_at_start_are_compiled_before_serving(
    settings: Settings,
) -> None:
    detect._lexicon.cache_clear()
    async with running(create_app(settings)):
        assert detect._lexicon.cache_info().currsize == 1


async def test_rules_are_compiled_before_they_come_into_force(client: httpx.AsyncClient) -> None:
    # Compiling the impact lexicons takes about 0.7 s; the first comment judged by new rules
    # must not pay it on the event loop.
    detect._lexicon.cache_clear()
    assert detect._lexicon.cache_info().currsize == 0
    text = (ROOT / "rules.example.yaml").read_text().replace("[en, nl, de, fr, es]", "[nl, de]")

    saved = await client.put(
        "/admin/rules", content=text, headers={**ADMIN, "content-type": "application/yaml"}
    )

    assert saved.json()["rules"]["business_impact"]["languages"] == ["nl", "de"]
    assert detect._lexicon.cache_info().currsize == 1
    misses = detect._lexicon.cache_info().misses
    body = dry_run_request(comment={"body": "Productie ligt plat.", "public": True})
    assert (await client.post("/admin/rules/dry-run", json=body, headers=ADMIN)).status_code == 200
    assert detect._lexicon.cache_info().misses == misses


async def test_invalid_rules_are_422_with_one_line_per_error(client: httpx.AsyncClient) -> None:
    text = "escalation_addresses: [not-an-address]\nunknown_key: 1\n"
    response = await client.put("/admin/rules", json={"text": text}, headers=ADMIN)
    assert response.status_code == 422
    lines = response.json()["lines"]
    assert "escalation_addresses[0]: not an email address" in lines
    assert "unknown_key: extra field not permitted" in lines
    assert (await client.get("/admin/rules", headers=ADMIN)).json()["version"] is None


@pytest.mark.parametrize(
    ("overrides", "outcome", "breach_eligible"),
    [
        pytest.param({}, "escalate", True, id="urgent-3-days-no-reply"),
        pytest.param(
            {
                "now": (NOW - timedelta(days=3) + timedelta(minutes=1)).isoformat(),
                "comment": {"body": "Please escalate this.", "public": True, "author_id": 401},
            },
            "needs_business_impact",
            False,
            id="one-minute-old-no-impact",
        ),
        pytest.param({"added_email_ccs": []}, "ignore", True, id="no-escalation-cc"),
        pytest.param(
            {"added_email_ccs": ["Escalation Desk <ESCALATION@Example.com>"]},
            "escalate",
            True,
            id="display-name-and-case",
        ),
    ],
)
async def test_dry_run_contract(
    client: httpx.AsyncClient, overrides: dict[str, Any], outcome: str, breach_eligible: bool
) -> None:
    response = await client.post(
        "/admin/rules/dry-run", json=dry_run_request(**overrides), headers=ADMIN
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["outcome"] == outcome
    assert body["sla"]["breach_eligible"] is breach_eligible
    assert set(body) >= {"outcome", "reasons", "impact", "sla", "eligibility", "plan"}


async def test_dry_run_minute_old_ticket_is_not_breach_eligible(client: httpx.AsyncClient) -> None:
    request = dry_run_request()
    request["ticket"]["created_at"] = (NOW - timedelta(minutes=1)).isoformat()
    body = (await client.post("/admin/rules/dry-run", json=request, headers=ADMIN)).json()
    assert body["sla"]["breach_eligible"] is False
    assert body["sla"]["target_minutes"] == 60
    assert body["outcome"] == "escalate"  # production impact is enough on its own
    assert body["eligibility"]["basis"] == ["production_impact"]


async def test_dry_run_expired_contract_is_not_eligible(client: httpx.AsyncClient) -> None:
    organization = {
        **ACME,
        "organization_fields": {
            **ACME["organization_fields"],
            "support_contract_expires": "2024-01-31",
        },
    }
    body = (
        await client.post(
            "/admin/rules/dry-run",
            json=dry_run_request(organization=organization),
            headers=ADMIN,
        )
    ).json()
    assert body["outcome"] == "not_eligible"
    assert body["plan"]["update"] is None or "escalated" not in str(body["plan"]["update"])


async def test_dry_run_already_escalated(client: httpx.AsyncClient) -> None:
    request = dry_run_request()
    request["ticket"]["tags"] = ["escalated"]
    body = (await client.post("/admin/rules/dry-run", json=request, headers=ADMIN)).json()
    assert body["outcome"] == "already_escalated"


async def test_dry_run_plan_is_the_exact_zendesk_update(client: httpx.AsyncClient) -> None:
    body = (await client.post("/admin/rules/dry-run", json=dry_run_request(), headers=ADMIN)).json()
    update = body["plan"]["update"]["ticket"]
    assert "escalated" in update["additional_tags"]
    assert update["assignee_id"] == 201 and update["group_id"] == 301
    assert update["comment"]["public"] is False
    assert {f["id"] for f in update["custom_fields"]} == {9001, 9002, 9003, 9004}
    assert body["plan"]["reply"]["ticket"]["comment"]["public"] is True


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"ticket": {"subject": "no id"}},
        {"ticket": {"id": "abc"}},
        {"ticket": {"id": 1}, "surprise": True},
        {"ticket": {"id": 1}, "now": "not a time"},
    ],
)
async def test_dry_run_rejects_bad_requests_with_422(
    client: httpx.AsyncClient, payload: dict[str, Any]
) -> None:
    response = await client.post("/admin/rules/dry-run", json=payload, headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["error"] == "ValidationError"


async def test_dry_run_with_broken_rules_text_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/admin/rules/dry-run", json=dry_run_request(rules="regions: [1"), headers=ADMIN
    )
    assert response.status_code == 422
    assert response.json()["lines"][0].startswith("line ")
