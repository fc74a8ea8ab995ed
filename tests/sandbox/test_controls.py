"""Sandbox controls: rate limits, faults, latency, request log, reset, inbound email, outages."""

from __future__ import annotations

import time

import httpx

from tests.sandbox.conftest import MakeSandbox

RATE_HEADERS = (
    "X-Rate-Limit",
    "X-Rate-Limit-Remaining",
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
)


async def test_account_rate_limit_answers_429_with_retry_after(make_sandbox: MakeSandbox) -> None:
    zd = make_sandbox(requests_per_minute=3)
    first = await zd.get("/api/v2/tickets/1001.json")
    for header in RATE_HEADERS:
        assert header in first.headers
    assert first.headers["X-Rate-Limit-Remaining"] == "2"
    await zd.get("/api/v2/tickets/1001.json")
    await zd.get("/api/v2/tickets/1001.json")
    limited = await zd.get("/api/v2/tickets/1001.json")
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.headers["ratelimit-remaining"] == "0"


async def test_update_limit_is_separate_and_window_expires(make_sandbox: MakeSandbox) -> None:
    zd = make_sandbox(updates_per_minute=1, rate_window_seconds=0.3)
    body = {"ticket": {"comment": {"body": "x", "public": False}}}
    assert (await zd.put("/api/v2/tickets/1001.json", json=body)).status_code == 200
    limited = await zd.put("/api/v2/tickets/1002.json", json=body)
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "1"
    assert (await zd.get("/api/v2/tickets/1002.json")).status_code == 200
    deadline = time.monotonic() + 5
    while (await zd.put("/api/v2/tickets/1002.json", json=body)).status_code == 429:
        assert time.monotonic() < deadline


async def test_faults_hit_the_next_n_matching_requests(zd: httpx.AsyncClient) -> None:
    fault = {"method": "GET", "path": r"/tickets/1001$", "status": 503, "count": 2}
    fault["retry_after"] = 7
    assert (await zd.post("/__sandbox/faults", json=fault)).status_code == 201
    assert (await zd.get("/api/v2/tickets/1002.json")).status_code == 200  # no match
    for _ in range(2):
        failed = await zd.get("/api/v2/tickets/1001.json")
        assert failed.status_code == 503
        assert failed.headers["Retry-After"] == "7"
    assert (await zd.get("/api/v2/tickets/1001.json")).status_code == 200
    assert (await zd.get("/__sandbox/faults")).json()["faults"] == []


async def test_a_409_fault_is_a_concurrent_agent_edit(zd: httpx.AsyncClient) -> None:
    before = (await zd.get("/api/v2/tickets/1003.json")).json()["ticket"]["updated_at"]
    fault = {"method": "PUT", "path": "/tickets/1003", "status": 409}
    await zd.post("/__sandbox/faults", json=fault)
    stamped = {"ticket": {"safe_update": True, "updated_stamp": before, "priority": "low"}}
    conflict = await zd.put("/api/v2/tickets/1003.json", json=stamped)
    assert conflict.status_code == 409
    after = (await zd.get("/api/v2/tickets/1003.json")).json()["ticket"]["updated_at"]
    assert after > before
    comments = (await zd.get("/api/v2/tickets/1003/comments.json")).json()["comments"]
    assert (comments[-1]["author_id"], comments[-1]["public"]) == (210, False)
    # Retrying with the old stamp still conflicts; with the new one it goes through.
    assert (await zd.put("/api/v2/tickets/1003.json", json=stamped)).status_code == 409
    stamped["ticket"]["updated_stamp"] = after
    assert (await zd.put("/api/v2/tickets/1003.json", json=stamped)).status_code == 200


async def test_delay_fault_and_latency_setting_slow_requests(zd: httpx.AsyncClient) -> None:
    await zd.post("/__sandbox/faults", json={"path": "/users/me", "delay_ms": 300})
    started = time.monotonic()
    assert (await zd.get("/api/v2/users/me.json")).status_code == 200
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    await zd.get("/api/v2/users/me.json")
    assert time.monotonic() - started < 0.3
    await zd.post("/__sandbox/settings", json={"latency_ms": 200})
    started = time.monotonic()
    await zd.get("/api/v2/users/me.json")
    assert time.monotonic() - started >= 0.2


async def test_settings_validate_and_update_partially(zd: httpx.AsyncClient) -> None:
    bad = await zd.post("/__sandbox/settings", json={"webhook_mode": "carrier-pigeon"})
    assert bad.status_code == 400
    ok = await zd.post("/__sandbox/settings", json={"webhook_mode": "trigger"})
    settings = ok.json()["settings"]
    assert settings["webhook_mode"] == "trigger"
    assert settings["requests_per_minute"] == 700


async def test_request_log_records_api_calls_only(zd: httpx.AsyncClient) -> None:
    await zd.get("/api/v2/tickets/1001.json?include=users", headers={"User-Agent": "escalator/1"})
    await zd.get("/api/v2/tickets/1001.json", auth=None)
    await zd.get("/statuspage/api/v2/incidents/unresolved.json")
    log = (await zd.get("/__sandbox/requests")).json()["requests"]
    assert [(r["method"], r["path"], r["status"]) for r in log] == [
        ("GET", "/api/v2/tickets/1001.json", 200),
        ("GET", "/api/v2/tickets/1001.json", 401),
    ]
    assert log[0]["query"] == "include=users"
    assert log[0]["user_agent"] == "escalator/1"
    await zd.delete("/__sandbox/requests")
    assert (await zd.get("/__sandbox/requests")).json()["requests"] == []


async def test_reset_restores_the_seed_and_keeps_settings(zd: httpx.AsyncClient) -> None:
    await zd.post("/__sandbox/settings", json={"latency_ms": 1})
    await zd.put("/api/v2/tickets/1001.json", json={"ticket": {"tags": ["changed"]}})
    await zd.post(
        "/api/v2/tickets.json", json={"ticket": {"comment": {"body": "hi"}, "subject": "s"}}
    )
    await zd.post("/__sandbox/reset")
    assert (await zd.get("/api/v2/tickets/1005.json")).status_code == 404
    assert (await zd.get("/api/v2/tickets/1001.json")).json()["ticket"]["tags"] == []
    assert (await zd.get("/__sandbox/settings")).json()["settings"]["latency_ms"] == 1
    again = await zd.post(
        "/api/v2/tickets.json", json={"ticket": {"comment": {"body": "hi"}, "subject": "s"}}
    )
    assert again.json()["ticket"]["id"] == 1005


async def test_inbound_email_creates_a_ticket_like_the_email_channel(
    zd: httpx.AsyncClient,
) -> None:
    response = await zd.post(
        "/__sandbox/inbound_email",
        json={
            "from": "Olivia Ops <ops@acme.example>",
            "to": ["escalation@example.com"],
            "cc": ["csm.emea@example.com", "Boss <boss@acme.example>"],
            "subject": "Escalation for #1001",
            "body": "Please escalate ticket 1001. Business impact: all EMEA orders blocked.",
        },
    )
    assert response.status_code == 201
    ticket = response.json()["ticket"]
    assert ticket["via"]["channel"] == "email"
    assert ticket["recipient"] == "escalation@example.com"
    assert (ticket["requester_id"], ticket["organization_id"]) == (401, 101)
    boss = (await zd.get("/api/v2/users/search.json?query=boss@acme.example")).json()["users"][0]
    assert ticket["email_cc_ids"] == [211, boss["id"]]
    stranger = await zd.post(
        "/__sandbox/inbound_email",
        json={"from": "x@new.example", "to": ["esc@example.com"], "subject": "s", "body": "b"},
    )
    requester = stranger.json()["ticket"]["requester_id"]
    user = (await zd.get(f"/api/v2/users/{requester}.json")).json()["user"]
    assert (user["email"], user["role"]) == ("x@new.example", "end-user")


async def test_outage_opens_and_resolves_statuspage_incidents(zd: httpx.AsyncClient) -> None:
    opened = await zd.post(
        "/__sandbox/outage", json={"name": "API degraded", "impact": "major", "components": ["API"]}
    )
    assert opened.status_code == 201
    body = (await zd.get("/statuspage/api/v2/incidents/unresolved.json")).json()
    incident = body["incidents"][0]
    assert (incident["name"], incident["impact"], incident["status"]) == (
        "API degraded",
        "major",
        "investigating",
    )
    assert incident["components"][0]["name"] == "API"
    assert {"id", "shortlink", "created_at", "incident_updates"} <= set(incident)
    assert "page" in body
    await zd.delete("/__sandbox/outage")
    assert (await zd.get("/statuspage/api/v2/incidents/unresolved")).json()["incidents"] == []
