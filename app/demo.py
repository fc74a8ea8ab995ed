"""`escalator demo`: a short scenario against an in-process sandbox, printed as a table."""

from __future__ import annotations

import asyncio
import socket
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from app.main import create_app
from app.sandbox.app import create_sandbox_app
from app.serve import sandbox_config
from app.settings import SANDBOX_EMAIL, Settings

ESCALATION_CC = [{"user_email": "escalation@example.com", "action": "put"}]
SCENARIO: list[tuple[str, int, dict[str, Any]]] = [
    (
        "ordinary customer comment",
        1002,
        {"comment": {"body": "Any news on this one?", "public": True, "author_id": 402}},
    ),
    (
        "escalation with business impact",
        1001,
        {
            "comment": {
                "body": "Escalating: our production environment has been down since this "
                "morning and customers cannot place orders. We lose revenue every hour.",
                "public": True,
                "author_id": 401,
            },
            "email_ccs": ESCALATION_CC,
        },
    ),
    (
        "escalation without business impact",
        1004,
        {
            "comment": {
                "body": "Please escalate this ticket.",
                "public": True,
                "author_id": 403,
            },
            "email_ccs": ESCALATION_CC,
        },
    ),
    (
        "escalation, expired contract",
        1003,
        {
            "comment": {
                "body": "Our production app is down and users cannot log in.",
                "public": True,
                "author_id": 404,
            },
            "email_ccs": ESCALATION_CC,
        },
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class DemoStalled(Exception):
    """Something the scenario waits for did not happen in time."""


async def _until(check: Callable[[], Any], timeout: float = 15.0) -> Any:
    """Poll `check` (sync or async) until it is truthy; the demo must not print a half table."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if isinstance(result, Awaitable):
            result = await result
        if result:
            return result
        await asyncio.sleep(0.05)
    raise DemoStalled(f"gave up after {timeout:g}s waiting for the sandbox and the service")


async def run_demo() -> int:
    with tempfile.TemporaryDirectory(prefix="escalator-demo-") as tmp:
        service_port, sandbox_port = _free_port(), _free_port()
        settings = Settings(
            _env_file=None,
            port=service_port,
            sandbox_port=sandbox_port,
            database_url=f"sqlite+aiosqlite:///{Path(tmp) / 'demo.db'}",
            log_level="ERROR",
        )
        servers = [
            uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
            for app, port in (
                (create_sandbox_app(sandbox_config(settings)), sandbox_port),
                (create_app(settings), service_port),
            )
        ]
        tasks = [asyncio.create_task(server.serve()) for server in servers]
        try:
            await _until(lambda: all(s.started for s in servers))
            return await _play(settings)
        except DemoStalled as e:
            print(f"demo: {e}")
            return 1
        finally:
            for server in servers:
                server.should_exit = True
            await asyncio.gather(*tasks, return_exceptions=True)


async def _play(settings: Settings) -> int:
    auth = (f"{SANDBOX_EMAIL}/token", settings.secret("api_token"))
    admin = {"Authorization": f"Bearer {settings.secret('admin_token')}"}
    rows: list[tuple[str, ...]] = []
    async with (
        httpx.AsyncClient(base_url=settings.zendesk_base_url, auth=auth, timeout=30) as zendesk,
        httpx.AsyncClient(base_url=settings.service_url, headers=admin, timeout=30) as service,
    ):
        for label, ticket_id, update in SCENARIO:
            await zendesk.delete("/__sandbox/requests")
            await zendesk.put(f"/api/v2/tickets/{ticket_id}.json", json={"ticket": update})

            async def settled() -> bool:
                # The sandbox queues its webhooks before answering the API call, so "nothing
                # pending there and nothing left in the inbox" means the update was handled.
                sent = await zendesk.get("/__sandbox/webhook_deliveries")
                if sent.json()["pending"]:
                    return False
                listing = await service.get("/admin/deliveries", params={"limit": 1})
                counts = listing.json()["counts"]
                return bool(counts["pending"] == 0 and counts["processing"] == 0)

            await _until(settled)
            escalation = await service.get(f"/api/escalations/{ticket_id}")
            outcome = escalation.json()["outcome"] if escalation.status_code == 200 else "ignored"
            ticket = (await zendesk.get(f"/api/v2/tickets/{ticket_id}.json")).json()["ticket"]
            calls = (await zendesk.get("/__sandbox/requests")).json()["requests"]
            service_calls = [c for c in calls if c.get("user_agent", "").startswith("escalator/")]
            tags = ",".join(t for t in ticket["tags"] if t.startswith("escalat")) or "-"
            rows.append((label, str(ticket_id), outcome, tags, str(len(service_calls))))
    header = ("what the customer did", "ticket", "outcome", "escalation tags", "Zendesk calls")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    return 0
