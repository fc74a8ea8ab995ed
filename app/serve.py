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


def _server(app: object, host: str, port: int, log_level: str) -> uvicorn.Server:
    config = uvicorn.Config(
        app,  # type: ignore[arg-type]
        host=host,
        port=port,
        log_level=log_level.lower(),
        access_log=False,
        lifespan="on",
    )
    return uvicorn.Server(config)


async def serve(settings: Settings, *, with_sandbox: bool) -> None:
    servers = [_server(create_app(settings), settings.host, settings.port, "warning")]
    if with_sandbox:
        sandbox = create_sandbox_app(sandbox_config(settings))
        servers.insert(0, _server(sandbox, "127.0.0.1", settings.sandbox_port, "warning"))
    await asyncio.gather(*(server.serve() for server in servers))


async def serve_sandbox(settings: Settings, *, host: str, port: int) -> None:
    app = create_sandbox_app(sandbox_config(settings))
    await _server(app, host, port, "warning").serve()
