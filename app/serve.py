"""Running the service (and, without a Zendesk account, the sandbox beside it) under uvicorn."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import uvicorn
from uvicorn.loops.auto import auto_loop_factory

from app.main import create_app
from app.sandbox.app import create_sandbox_app
from app.sandbox.config import SandboxConfig
from app.settings import SANDBOX_EMAIL, Settings


def run_server(main: Coroutine[Any, Any, None]) -> None:
    """Run `main` on the event loop `uvicorn.run` would choose: uvloop when it is installed
    (uvicorn[standard] brings it). A plain `asyncio.run` gave the service the pure-Python
    selector loop, whose per-request overhead was more than the webhook's own work."""
    with asyncio.Runner(loop_factory=auto_loop_factory(use_subprocess=False)) as runner:
        runner.run(main)


def sandbox_config(settings: Settings) -> SandboxConfig:
    return SandboxConfig(
        email=SANDBOX_EMAIL,
        api_token=settings.secret("api_token"),
        webhook_url=f"{settings.service_url}/webhooks/zendesk",
        webhook_secret=settings.secret("webhook_secret"),
    )


# The sandbox keeps idle connections open as long as Zendesk's edge does (well over a minute).
# At uvicorn's default of 5 s, equal to httpx's keep-alive expiry, a client reusing a pooled
# connection just as the sandbox closed it got a ReadError: a write that may or may not have
# landed, for a race real Zendesk does not have.
SANDBOX_KEEP_ALIVE_SECONDS = 75


def _server(
    app: object, host: str, port: int, log_level: str, *, keep_alive: int = 5
) -> uvicorn.Server:
    config = uvicorn.Config(
        app,  # type: ignore[arg-type]
        host=host,
        port=port,
        log_level=log_level.lower(),
        access_log=False,
        lifespan="on",
        timeout_keep_alive=keep_alive,
    )
    return uvicorn.Server(config)


def servers(settings: Settings, *, with_sandbox: bool) -> list[uvicorn.Server]:
    """The service's server and, in sandbox mode, the sandbox's (started first)."""
    started = [_server(create_app(settings), settings.host, settings.port, "warning")]
    if with_sandbox:
        started.insert(0, _sandbox_server(settings, host="127.0.0.1", port=settings.sandbox_port))
    return started


def _sandbox_server(settings: Settings, *, host: str, port: int) -> uvicorn.Server:
    app = create_sandbox_app(sandbox_config(settings))
    return _server(app, host, port, "warning", keep_alive=SANDBOX_KEEP_ALIVE_SECONDS)


async def serve(settings: Settings, *, with_sandbox: bool) -> None:
    await asyncio.gather(
        *(server.serve() for server in servers(settings, with_sandbox=with_sandbox))
    )


async def serve_sandbox(settings: Settings, *, host: str, port: int) -> None:
    await _sandbox_server(settings, host=host, port=port).serve()
