"""Sign-in in real mode: pages redirect, APIs answer 401, cookies are signed, forms need CSRF."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.main import create_app
from app.settings import Settings
from tests.conftest import make_settings, running

ADMIN_TOKEN = "admin-token-0123456789"
VIEWER_TOKEN = "viewer-token-0123456789"
REAL_MODE: dict[str, Any] = {
    "zendesk_url": "http://127.0.0.1:9",
    "zendesk_email": "bot@example.com",
    "zendesk_api_token": "real-api-token-0123456789",
    "zendesk_webhook_secret": "real-webhook-secret-0123456789",
    "admin_token": ADMIN_TOKEN,
    "viewer_tokens": f"{VIEWER_TOKEN},second-viewer-token-0000",
    "worker_enabled": False,
}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, **REAL_MODE)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "page has no CSRF field"
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, token: str) -> httpx.Response:
    page = await client.get("/login")
    return await client.post(
        "/login", data={"token": token, "next": "/", "csrf": csrf_of(page.text)}
    )


@pytest.mark.parametrize("path", ["/", "/kpis", "/escalations/1", "/admin/ui/rules"])
async def test_pages_send_a_stranger_to_sign_in(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path, params={"x": "1"})
    assert response.status_code == 303
    assert (
        response.headers["location"]
        == "/login?next=" + httpx.URL(path).path.replace("/", "%2F") + "%3Fx%3D1"
    )


@pytest.mark.parametrize(
    "path", ["/api/escalations", "/api/escalations/1", "/api/stats", "/admin/deliveries"]
)
async def test_apis_answer_401_without_a_token(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 401
    assert response.json()["error"] == "Unauthorized"


async def test_admin_token_signs_in_with_a_hardened_cookie(client: httpx.AsyncClient) -> None:
    response = await sign_in(client, ADMIN_TOKEN)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = next(
        h for h in response.headers.get_list("set-cookie") if h.startswith("escalator_session=")
    )
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert ADMIN_TOKEN not in cookie
    assert (await client.get("/")).status_code == 200
    assert (await client.get("/admin/ui/rules")).status_code == 200


async def test_a_wrong_token_does_not_sign_in(client: httpx.AsyncClient) -> None:
    response = await sign_in(client, "not-a-token-at-all-000")
    assert response.status_code == 401
    assert "not an admin or viewer token" in response.text
    assert "escalator_session" not in client.cookies
    assert (await client.get("/")).status_code == 303


async def test_a_viewer_cannot_open_admin_pages(client: httpx.AsyncClient) -> None:
    await sign_in(client, VIEWER_TOKEN)
    assert (await client.get("/")).status_code == 200
    for path in ("/admin/ui/rules", "/admin/ui/dry-run", "/admin/ui/deliveries"):
        response = await client.get(path)
        assert response.status_code == 403
        assert "for integration admins" in response.text


async def test_viewer_bearer_token_on_an_admin_page_is_403(client: httpx.AsyncClient) -> None:
    headers = {"Authorization": f"Bearer {VIEWER_TOKEN}"}
    assert (await client.get("/admin/ui/rules", headers=headers)).status_code == 403
    assert (await client.get("/", headers=headers)).status_code == 200


async def test_a_form_without_the_csrf_token_is_refused(client: httpx.AsyncClient) -> None:
    await sign_in(client, ADMIN_TOKEN)
    body = {"comment": "Production is down.", "organization": "none"}
    assert (await client.post("/admin/ui/dry-run", data=body)).status_code == 403
    wrong = await client.post("/admin/ui/dry-run", data={**body, "csrf": "0" * 64})
    assert wrong.status_code == 403
    assert "CSRF" in wrong.text
    page = await client.get("/admin/ui/dry-run")
    ok = await client.post("/admin/ui/dry-run", data={**body, "csrf": csrf_of(page.text)})
    assert ok.status_code == 200


async def test_the_sign_in_form_needs_its_csrf_token(client: httpx.AsyncClient) -> None:
    await client.get("/login")
    response = await client.post("/login", data={"token": ADMIN_TOKEN})
    assert response.status_code == 403
    assert "escalator_session" not in client.cookies


async def test_a_csrf_token_from_before_sign_in_no_longer_verifies(
    client: httpx.AsyncClient,
) -> None:
    before = csrf_of((await client.get("/login")).text)
    await sign_in(client, ADMIN_TOKEN)
    response = await client.post("/admin/ui/dry-run", data={"comment": "x", "csrf": before})
    assert response.status_code == 403


async def test_the_cookie_reads_the_api_but_cannot_write_through_it(
    client: httpx.AsyncClient,
) -> None:
    await sign_in(client, ADMIN_TOKEN)
    assert (await client.get("/api/stats")).status_code == 200
    # A cross-site page could make the browser post with the cookie: only Bearer writes.
    assert (await client.post("/admin/deliveries/1/replay")).status_code == 401


async def test_a_tampered_cookie_is_ignored(client: httpx.AsyncClient) -> None:
    await sign_in(client, VIEWER_TOKEN)
    value = client.cookies["escalator_session"]
    body, mac = value.split(".")
    forged = body.replace(body[5], "A" if body[5] != "A" else "B", 1)
    client.cookies.clear()
    client.cookies.set("escalator_session", f"{forged}.{mac}")
    assert (await client.get("/")).status_code == 303


async def test_removing_a_viewer_token_ends_its_sessions(tmp_path: Path) -> None:
    first = create_app(make_settings(tmp_path, **REAL_MODE))
    async with running(first) as app, _client(app) as c:
        await sign_in(c, VIEWER_TOKEN)
        cookie = c.cookies["escalator_session"]
        assert (await c.get("/")).status_code == 200
    fewer = {**REAL_MODE, "viewer_tokens": "second-viewer-token-0000"}
    async with running(create_app(make_settings(tmp_path, **fewer))) as app, _client(app) as c:
        c.cookies.set("escalator_session", cookie)
        assert (await c.get("/")).status_code == 303


async def test_sign_out_forgets_the_session(client: httpx.AsyncClient) -> None:
    await sign_in(client, ADMIN_TOKEN)
    page = await client.get("/")
    response = await client.post("/logout", data={"csrf": csrf_of(page.text)})
    assert response.status_code == 303
    assert (await client.get("/")).status_code == 303


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/\\evil"])
async def test_next_cannot_leave_the_site(client: httpx.AsyncClient, target: str) -> None:
    page = await client.get("/login", params={"next": target})
    response = await client.post(
        "/login", data={"token": ADMIN_TOKEN, "next": target, "csrf": csrf_of(page.text)}
    )
    assert response.headers["location"] == "/"


@pytest.mark.parametrize(
    ("email", "admin_page", "dashboard"),
    [
        ("boss@example.com", 200, 200),
        ("someone@managers.example", 403, 200),
        ("stranger@elsewhere.example", 303, 303),
    ],
)
async def test_sso_proxy_header_signs_in_by_email_or_domain(
    tmp_path: Path, email: str, admin_page: int, dashboard: int
) -> None:
    settings = make_settings(
        tmp_path,
        **REAL_MODE,
        auth_proxy_header="X-Forwarded-Email",
        auth_proxy_admins="boss@example.com",
        auth_proxy_viewers="managers.example",
    )
    async with running(create_app(settings)) as app, _client(app) as c:
        headers = {"X-Forwarded-Email": email}
        assert (await c.get("/admin/ui/rules", headers=headers)).status_code == admin_page
        assert (await c.get("/", headers=headers)).status_code == dashboard
        # The header never authorises a JSON write: an SSO proxy adds it to any request.
        assert (await c.post("/admin/deliveries/1/replay", headers=headers)).status_code == 401


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://escalator")
