"""Fixtures: a sandbox app driven in-process, and a webhook receiver on a real port."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request, Response

from app.sandbox import SandboxConfig, create_sandbox_app
from tests.conftest import free_port, wait_for

EMAIL = "escalator@example.com"
TOKEN = "sandbox-token"
SECRET = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="
AUTH = (f"{EMAIL}/token", TOKEN)


def sandbox_config(**overrides: Any) -> SandboxConfig:
    values: dict[str, Any] = {
        "email": EMAIL,
        "api_token": TOKEN,
        "webhook_url": None,
        "webhook_secret": SECRET,
    }
    values.update(overrides)
    return SandboxConfig(**values)


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook endpoint that records what it gets and can fail the first N calls."""

    url: str
    received: list[Received] = field(default_factory=list)
    fail_next: int = 0


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    port = free_port()
    recv = Receiver(url=f"http://127.0.0.1:{port}/webhooks/zendesk")
    app = FastAPI()

    @app.post("/webhooks/zendesk")
    async def hook(request: Request) -> Response:
        recv.received.append(Received(dict(request.headers), await request.body()))
        if recv.fail_next > 0:
            recv.fail_next -= 1
            return Response(status_code=500)
        return Response(status_code=202)

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    await wait_for(lambda: server.started, timeout=10)
    try:
        yield recv
    finally:
        server.should_exit = True
        await task


MakeSandbox = Callable[..., Any]


@pytest.fixture
async def make_sandbox() -> AsyncIterator[MakeSandbox]:
    """Build sandboxes with config overrides; closes their webhook senders afterwards."""
    apps: list[FastAPI] = []
    clients: list[httpx.AsyncClient] = []

    def make(**overrides: Any) -> httpx.AsyncClient:
        app = create_sandbox_app(sandbox_config(**overrides))
        apps.append(app)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://sandbox", auth=AUTH
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()
    for app in apps:
        await app.state.sandbox.emitter.aclose()


@pytest.fixture
def zd(make_sandbox: MakeSandbox) -> httpx.AsyncClient:
    client: httpx.AsyncClient = make_sandbox()
    return client
