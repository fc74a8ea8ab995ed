"""Liveness and readiness: /readyz names what is wrong (database, Zendesk credentials)."""

from __future__ import annotations

import httpx
import respx

from tests.conftest import ADMIN


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_readyz_ok_when_zendesk_accepts_our_credentials(client: httpx.AsyncClient) -> None:
    with respx.mock(assert_all_called=True) as zendesk:
        zendesk.get(url__regex=r".*/api/v2/users/me").respond(
            200, json={"user": {"id": 1, "name": "Escalator", "role": "admin"}}
        )
        response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "zendesk": "ok"}


async def test_readyz_reports_rejected_credentials(client: httpx.AsyncClient) -> None:
    with respx.mock(assert_all_called=True) as zendesk:
        zendesk.get(url__regex=r".*/api/v2/users/me").respond(
            401, json={"error": "Couldn't authenticate you"}
        )
        response = await client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["database"] == "ok"
    assert body["zendesk"].startswith("unreachable:")
    assert "authenticate" in body["zendesk"] or "401" in body["zendesk"]


async def test_metrics_expose_the_queue(client: httpx.AsyncClient) -> None:
    response = await client.get("/metrics", headers=ADMIN)
    assert response.status_code == 200
    assert "escalator_queue_depth" in response.text
