"""How `escalator serve` runs: the event loop, and the sandbox's idle connections."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from app.serve import run_server, servers
from tests.conftest import make_settings


def test_the_service_runs_on_the_loop_uvicorn_run_would_pick() -> None:
    # uvicorn[standard] installs uvloop; `uvicorn.run` (the bench's bare baseline) uses it, and
    # a plain asyncio.run() gave the service the slower pure-Python loop.
    import uvloop

    seen: list[type[asyncio.AbstractEventLoop]] = []

    async def main() -> None:
        seen.append(type(asyncio.get_running_loop()))

    run_server(main())
    assert seen == [uvloop.Loop]


def test_the_sandbox_keeps_idle_connections_longer_than_clients_pool_them(tmp_path: Path) -> None:
    # A client reusing a pooled connection just as the server closed it gets a ReadError: for a
    # write, an answer lost after the write may have landed. Zendesk's edge keeps idle
    # connections far longer than httpx pools them, and so must the sandbox.
    client_expiry = httpx.Limits().keepalive_expiry
    assert client_expiry is not None
    settings = make_settings(tmp_path, worker_enabled=False)
    sandbox, service = servers(settings, with_sandbox=True)
    assert sandbox.config.port == settings.sandbox_port
    assert sandbox.config.timeout_keep_alive > 2 * client_expiry
    assert service.config.port == settings.port
