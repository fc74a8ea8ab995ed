"""kill -9 mid-run: the inbox keeps every delivery and each escalation lands exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN, ROOT, SANDBOX_AUTH, free_port, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ESCALATOR = str(Path(sys.executable).parent / "escalator")
IMPACT = "Production is down for all our stores and customers cannot pay. Revenue is lost."


class Processes:
    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.running: list[subprocess.Popen[bytes]] = []

    def start(self, *args: str, name: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("ab")
        process = subprocess.Popen(
            [ESCALATOR, *args], env=self.env, cwd=ROOT, stdout=log, stderr=log
        )
        self.running.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.running:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.running:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    env = {
        **os.environ,
        "PORT": str(free_port()),
        "SANDBOX_PORT": str(free_port()),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'escalator.db'}",
        "RULES_FILE": str(ROOT / "rules.example.yaml"),
        "LOG_LEVEL": "WARNING",
        "WORKER_LEASE_SECONDS": "2",
        "ZENDESK_TIMEOUT_SECONDS": "1",
        "WORKER_POLL_SECONDS": "0.1",
        "WORKER_BACKOFF_BASE_SECONDS": "0.1",
        "WORKER_BACKOFF_MAX_SECONDS": "1",
        # 100 escalations' writes would otherwise wait out Zendesk's 100 updates/minute.
        "ZENDESK_UPDATES_PER_MINUTE": "2000",
    }
    procs = Processes(env, tmp_path)
    yield procs
    procs.stop_all()


async def up(client: httpx.AsyncClient, path: str) -> bool:
    try:
        return (await client.get(path)).status_code == 200
    except httpx.TransportError:
        return False


async def test_kill_9_with_pending_deliveries_loses_nothing(processes: Processes) -> None:
    env = processes.env
    service_url = f"http://127.0.0.1:{env['PORT']}"
    sandbox_url = f"http://127.0.0.1:{env['SANDBOX_PORT']}"
    async with (
        httpx.AsyncClient(base_url=sandbox_url, auth=SANDBOX_AUTH, timeout=30) as zendesk,
        httpx.AsyncClient(base_url=service_url, headers=ADMIN, timeout=30) as service,
    ):
        processes.start("sandbox", name="sandbox")
        await wait_for(lambda: up(zendesk, "/__sandbox/settings"), timeout=20)
        await zendesk.post("/__sandbox/settings", json={"updates_per_minute": 2000})
        first = processes.start("serve", "--no-sandbox", name="service-1")
        await wait_for(lambda: up(service, "/healthz"), timeout=20)

        tickets = []
        for n in range(50):
            created = await zendesk.post(
                "/api/v2/tickets.json",
                json={
                    "ticket": {
                        "subject": f"Outage {n}",
                        "comment": {"body": "The shop is down.", "public": True},
                        "requester_id": 401,
                        "priority": "urgent",
                    }
                },
            )
            tickets.append(created.json()["ticket"]["id"])

        async def all_sent() -> bool:
            sent = (await zendesk.get("/__sandbox/webhook_deliveries")).json()
            return sent["pending"] == 0 and all(
                d.get("status_code") == 202 for d in sent["deliveries"]
            )

        await wait_for(all_sent, timeout=30)
        # Slow Zendesk down so the escalations are still in flight when the service dies.
        await zendesk.post("/__sandbox/settings", json={"latency_ms": 400})
        await asyncio.gather(
            *(
                zendesk.put(
                    f"/api/v2/tickets/{ticket_id}.json",
                    json={
                        "ticket": {
                            "comment": {"body": IMPACT, "public": True, "author_id": 401},
                            "email_ccs": [
                                {"user_email": "escalation@example.com", "action": "put"}
                            ],
                        }
                    },
                )
                for ticket_id in tickets
            )
        )
        await wait_for(all_sent, timeout=60)
        counts = (await service.get("/admin/deliveries")).json()["counts"]
        assert counts["pending"] + counts["processing"] > 0, "nothing left to lose: test too slow"

        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        await zendesk.post("/__sandbox/settings", json={"latency_ms": 0})
        processes.start("serve", "--no-sandbox", name="service-2")
        await wait_for(lambda: up(service, "/healthz"), timeout=20)

        async def drained() -> bool:
            counts: dict[str, Any] = (await service.get("/admin/deliveries")).json()["counts"]
            return counts["pending"] == 0 and counts["processing"] == 0

        await wait_for(drained, timeout=90)
        assert (await service.get("/admin/deliveries")).json()["counts"]["dead"] == 0
        for ticket_id in tickets:
            ticket = (await zendesk.get(f"/api/v2/tickets/{ticket_id}.json")).json()["ticket"]
            assert "escalated" in ticket["tags"], ticket_id
            comments = (await zendesk.get(f"/api/v2/tickets/{ticket_id}/comments.json")).json()
            notes = [c for c in comments["comments"] if not c["public"]]
            acks = [c for c in comments["comments"] if c["public"] and c["author_id"] == 1]
            assert len(notes) == 1, (ticket_id, notes)
            assert len(acks) == 1, (ticket_id, acks)
