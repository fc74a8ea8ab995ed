"""The dashboard in a real browser, against the service in real mode over the sandbox Zendesk."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from app.main import create_app
from app.models import Delivery
from app.sandbox.app import create_sandbox_app
from app.serve import sandbox_config
from app.settings import SANDBOX_EMAIL
from tests.conftest import Stack, _start, free_port, make_settings, wait_for
from tests.test_end_to_end import IMPACT, comment, settled, ticket_of

pytestmark = [pytest.mark.browser, pytest.mark.integration]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ADMIN_TOKEN = "browser-admin-token-0123456789"
API_TOKEN = "browser-zendesk-api-token-0123"
XSS = "<script>window.pwned=1</script>"


@asynccontextmanager
async def real_stack(tmp_path: Path) -> AsyncIterator[Stack]:
    """Like tests.conftest.stack, but the service runs in real mode (sign-in required) with the
    sandbox as its Zendesk, so the browser goes through the sign-in a manager would."""
    service_port, sandbox_port = free_port(), free_port()
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    settings = make_settings(
        tmp_path,
        port=service_port,
        sandbox_port=sandbox_port,
        zendesk_url=sandbox_url,
        zendesk_email=SANDBOX_EMAIL,
        zendesk_api_token=API_TOKEN,
        zendesk_webhook_secret="browser-webhook-secret-0123456789",
        admin_token=ADMIN_TOKEN,
        statuspage_url=f"{sandbox_url}/statuspage",
    )
    assert not settings.sandbox_mode
    service_app = create_app(settings)
    servers = [
        await _start(create_sandbox_app(sandbox_config(settings)), sandbox_port),
        await _start(service_app, service_port),
    ]
    service_url = f"http://127.0.0.1:{service_port}"
    try:
        async with (
            httpx.AsyncClient(
                base_url=service_url,
                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                timeout=30,
            ) as service,
            httpx.AsyncClient(
                base_url=sandbox_url, auth=(f"{SANDBOX_EMAIL}/token", API_TOKEN), timeout=30
            ) as sandbox,
        ):
            yield Stack(service_url, sandbox_url, settings, service, sandbox, service_app)
    finally:
        for server, _ in reversed(servers):
            server.should_exit = True
        for _, task in reversed(servers):
            await task


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium")
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


async def escalated_ticket(s: Stack) -> int:
    """A ticket escalated through the sandbox: created, commented with the escalation CC."""
    response = await s.sandbox.post(
        "/api/v2/tickets.json",
        json={
            "ticket": {
                "subject": f"Checkout fails {XSS}",
                "comment": {"body": "Checkout returns HTTP 500.", "public": True},
                "requester_id": 401,
                "priority": "urgent",
            }
        },
    )
    assert response.status_code == 201, response.text
    ticket_id: int = response.json()["ticket"]["id"]
    await wait_for(lambda: settled(s))
    await comment(s, ticket_id, IMPACT, cc=True)

    async def escalated() -> bool:
        return "escalated" in (await ticket_of(s, ticket_id))["tags"]

    await wait_for(escalated, timeout=10)
    await wait_for(lambda: settled(s))
    return ticket_id


async def dead_delivery(s: Stack, ticket_id: int) -> int:
    async with s.app.state.sessions() as session, session.begin():
        row = Delivery(
            dedupe_key="browser:dead",
            kind="comment_added",
            ticket_id=ticket_id,
            payload={},
            status="dead",
            attempts=8,
            last_error="Zendesk refused the update: 422 RecordInvalid",
        )
        session.add(row)
        await session.flush()
        return row.id


async def sign_in(page: Page, base: str) -> None:
    await page.goto(f"{base}/")
    await expect(page).to_have_url(re.compile(r"/login\?next=%2F$"))
    await page.get_by_label("Access token").fill(ADMIN_TOKEN)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Escalations", level=1)).to_be_visible()


async def test_manager_and_admin_flow_in_a_browser(tmp_path: Path) -> None:
    async with real_stack(tmp_path) as s, chromium() as browser:
        ticket_id = await escalated_ticket(s)
        delivery_id = await dead_delivery(s, ticket_id)
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await sign_in(page, s.service_url)

        row = page.locator(f'tr[data-ticket="{ticket_id}"]')
        await expect(row).to_be_visible()
        await expect(row.get_by_role("link", name=f"#{ticket_id}")).to_have_attribute(
            "href", f"{s.sandbox_url}/agent/tickets/{ticket_id}"
        )
        # The customer's <script> is shown as text and never runs.
        await expect(row.locator(".subject")).to_have_text(f"Checkout fails {XSS}")
        assert await page.evaluate("typeof window.pwned") == "undefined"
        await page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)

        await page.get_by_label("Region").select_option("AMER")
        await page.get_by_role("button", name="Apply filters").click()
        await expect(page.get_by_text("No escalations match these filters.")).to_be_visible()
        await page.get_by_label("Region").select_option("EMEA")
        await page.get_by_role("button", name="Apply filters").click()
        await expect(page).to_have_url(re.compile(r"region=EMEA"))
        await expect(row).to_be_visible()

        await row.get_by_role("link", name=f"Timeline of ticket {ticket_id}").click()
        await expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
        await expect(page.get_by_role("heading", name="Decision: escalate")).to_be_visible()
        await expect(page.get_by_role("heading", name="Zendesk ticket updated")).to_be_visible()
        await expect(page.locator(".timeline .evidence li").first).to_contain_text(
            "production environment has been down"
        )

        await page.get_by_role("link", name="Dry-run").click()
        await page.get_by_label("Comment", exact=True).fill(IMPACT)
        await page.get_by_label("Organisation").select_option("region:APAC")
        await page.get_by_role("button", name="Run").click()
        await expect(page.locator("#dry-run-outcome")).to_have_text("escalate")
        await expect(page.locator("#dry-run-update")).to_contain_text('"assignee_id": 203')

        await page.get_by_role("link", name="Deliveries").click()
        await page.get_by_label("Status").select_option("dead")
        await page.get_by_role("button", name="Show").click()
        dead = page.locator(f'tr[data-delivery="{delivery_id}"]')
        await expect(dead).to_contain_text("422 RecordInvalid")
        await dead.get_by_role("button", name=f"Replay delivery {delivery_id}").click()
        await expect(page.locator("#replayed")).to_have_text(
            f"Delivery {delivery_id} is queued again."
        )


async def test_dashboard_fits_a_phone(tmp_path: Path) -> None:
    async with real_stack(tmp_path) as s, chromium() as browser:
        ticket_id = await escalated_ticket(s)
        page = await browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
        await sign_in(page, s.service_url)
        row = page.locator(f'tr[data-ticket="{ticket_id}"]')
        await expect(row).to_be_visible()
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"page scrolls sideways on a phone ({width}px)"
        await page.screenshot(path=str(tmp_path / "dashboard-phone.png"), full_page=True)
