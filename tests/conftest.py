"""Shared fixtures: settings on a temporary database, the app in-process, signed deliveries,
and the sandbox + service over real HTTP for integration tests."""

from __future__ import annotations

import asyncio
import json
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
import uvicorn
from fastapi import FastAPI

from app.clients.zendesk import ZendeskClient
from app.intake import sign
from app.main import create_app
from app.settings import SANDBOX_ADMIN_TOKEN, SANDBOX_API_TOKEN, SANDBOX_EMAIL, Settings

ROOT = Path(__file__).resolve().parent.parent
WEBHOOK_SECRET = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="
ADMIN = {"Authorization": f"Bearer {SANDBOX_ADMIN_TOKEN}"}
SANDBOX_AUTH = (f"{SANDBOX_EMAIL}/token", SANDBOX_API_TOKEN)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'escalator.db'}",
        "rules_file": ROOT / "rules.example.yaml",
        "log_level": "WARNING",
        "worker_poll_seconds": 0.05,
        "worker_backoff_base_seconds": 0.05,
        "worker_backoff_max_seconds": 0.5,
        "_env_file": None,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, worker_enabled=False)


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[FastAPI]:
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    async with running(create_app(settings)) as started:
        yield started


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://escalator") as c:
        yield c


Signer = Callable[..., tuple[bytes, dict[str, str]]]


def signed(
    payload: Any,
    *,
    secret: str = WEBHOOK_SECRET,
    timestamp: str | None = None,
    invocation_id: str | None = None,
    raw: bytes | None = None,
) -> tuple[bytes, dict[str, str]]:
    """Body and headers exactly as Zendesk sends them."""
    body = raw if raw is not None else json.dumps(payload).encode()
    stamp = timestamp or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    headers = {
        "content-type": "application/json",
        "x-zendesk-webhook-signature": sign(secret, stamp, body),
        "x-zendesk-webhook-signature-timestamp": stamp,
        "x-zendesk-webhook-id": "01HWEBHOOK",
        "x-zendesk-account-id": "9000001",
        "x-zendesk-webhook-invocation-id": invocation_id or uuid.uuid4().hex,
    }
    return body, headers


@pytest.fixture
def sign_payload() -> Signer:
    return signed


def comment_event(
    ticket_id: int = 1001,
    *,
    body: str = "Any update?",
    event_id: str | None = None,
    author_id: int = 401,
    is_staff: bool = False,
) -> dict[str, Any]:
    """An event-subscribed `ticket.comment_added` envelope."""
    return {
        "account_id": 9000001,
        "id": event_id or str(uuid.uuid4()),
        "subject": f"zen:ticket:{ticket_id}",
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "type": "zen:event-type:ticket.comment_added",
        "zendesk_event_version": "2022-11-06",
        "detail": {"id": str(ticket_id), "status": "OPEN", "priority": "URGENT", "tags": []},
        "event": {
            "comment": {
                "id": "9001",
                "body": body,
                "is_public": True,
                "author": {"id": str(author_id), "is_staff": is_staff, "name": "Customer"},
            }
        },
    }


async def wait_for(
    condition: Callable[[], Any], *, timeout: float = 10.0, interval: float = 0.05
) -> Any:
    """Poll an (async or sync) condition until it returns something truthy, or fail."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)


@dataclass
class Stack:
    """The sandbox Zendesk and the service, each a real HTTP server on its own port."""

    service_url: str
    sandbox_url: str
    settings: Settings
    service: httpx.AsyncClient
    sandbox: httpx.AsyncClient
    app: FastAPI


async def _start(app: Any, port: int) -> tuple[uvicorn.Server, asyncio.Task[None]]:
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    await wait_for(lambda: server.started or task.done(), timeout=15)
    if task.done():
        task.result()
    return server, task


@asynccontextmanager
async def stack(tmp_path: Path, **overrides: Any) -> AsyncIterator[Stack]:
    from app.sandbox.app import create_sandbox_app
    from app.serve import sandbox_config

    service_port, sandbox_port = free_port(), free_port()
    settings = make_settings(
        tmp_path,
        port=service_port,
        sandbox_port=sandbox_port,
        statuspage_url=f"http://127.0.0.1:{sandbox_port}/statuspage",
        **overrides,
    )
    sandbox_app = create_sandbox_app(sandbox_config(settings))
    service_app = create_app(settings)
    servers = [await _start(sandbox_app, sandbox_port), await _start(service_app, service_port)]
    service_url = f"http://127.0.0.1:{service_port}"
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    try:
        async with (
            httpx.AsyncClient(base_url=service_url, headers=ADMIN, timeout=30) as service,
            httpx.AsyncClient(base_url=sandbox_url, auth=SANDBOX_AUTH, timeout=30) as sandbox,
        ):
            yield Stack(service_url, sandbox_url, settings, service, sandbox, service_app)
    finally:
        for server, _ in reversed(servers):
            server.should_exit = True
        for _, task in reversed(servers):
            await task


@pytest.fixture
def stack_factory(tmp_path: Path) -> Callable[..., Any]:
    def factory(**overrides: Any) -> Any:
        return stack(tmp_path, **overrides)

    return factory


@pytest.fixture
def repo_root() -> Iterator[Path]:
    yield ROOT


# ---- a Zendesk client on a fake clock, its HTTP mocked (client and batcher unit tests) -------

ZENDESK_BASE = "https://example.zendesk.com"


class FakeClock:
    """Monotonic time that only moves when someone sleeps: no test ever waits for real."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def zd(clock: FakeClock) -> AsyncIterator[ZendeskClient]:
    async with ZendeskClient(
        base_url=ZENDESK_BASE,
        email="bot@vendor.example",
        api_token="tok123",
        clock=clock,
        sleep=clock.sleep,
        max_retries=3,
    ) as client:
        yield client


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=ZENDESK_BASE, assert_all_called=True) as router:
        yield router
