"""Two `escalator serve` processes on one PostgreSQL: 1,000 deliveries, each processed exactly
once, none lost, one escalation note per ticket."""

from __future__ import annotations

import asyncio
import os
import random
import uuid
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import httpx
import pytest

from tests.conftest import ADMIN, ROOT, SANDBOX_AUTH, comment_event, free_port, signed, wait_for
from tests.test_end_to_end import create_escalated_tickets
from tests.test_recovery import Processes, up

pytestmark = [pytest.mark.postgres, pytest.mark.integration, pytest.mark.slow]

ESCALATIONS = 50
TOTAL = 1_000


@pytest.fixture
def replicas(tmp_path: Path, pg_url: str) -> Iterator[Processes]:
    env = {
        **os.environ,
        "PORT": str(free_port()),
        "SANDBOX_PORT": str(free_port()),
        "DATABASE_URL": pg_url,
        "RULES_FILE": str(ROOT / "rules.example.yaml"),
        "LOG_LEVEL": "WARNING",
        "WORKER_POLL_SECONDS": "0.1",
        "ZENDESK_UPDATES_PER_MINUTE": "5000",
        "ZENDESK_REQUESTS_PER_MINUTE": "20000",
    }
    procs = Processes(env, tmp_path)
    yield procs
    procs.stop_all()


async def test_two_replicas_process_1000_deliveries_exactly_once(
    replicas: Processes, pg_url: str
) -> None:
    env = replicas.env
    port_a, port_b = env["PORT"], str(free_port())
    urls = [f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"]
    replicas.start("sandbox", name="sandbox")  # sends its webhooks to replica A (PORT)
    # Both replicas start at once, as an orchestrator would: migrations must not race.
    replicas.start("serve", "--no-sandbox", name="replica-a")
    replicas.env = {**env, "PORT": port_b}
    replicas.start("serve", "--no-sandbox", name="replica-b")
    sandbox_url = f"http://127.0.0.1:{env['SANDBOX_PORT']}"
    async with (
        httpx.AsyncClient(base_url=sandbox_url, auth=SANDBOX_AUTH, timeout=30) as zendesk,
        # Idle connections are dropped before uvicorn's 5 s keep-alive closes them: reusing one
        # as the server closes it is a ReadError that says nothing about the service.
        httpx.AsyncClient(
            headers=ADMIN, timeout=30, limits=httpx.Limits(keepalive_expiry=2)
        ) as service,
    ):
        await wait_for(lambda: up(zendesk, "/__sandbox/settings"), timeout=20)
        for url in urls:
            await wait_for(partial(up, service, f"{url}/healthz"), timeout=30)
        await zendesk.post(
            "/__sandbox/settings",
            json={"updates_per_minute": 5000, "requests_per_minute": 20000},
        )

        tickets = await create_escalated_tickets(zendesk, ESCALATIONS)

        async def sandbox_sent() -> list[dict[str, object]] | None:
            sent = (await zendesk.get("/__sandbox/webhook_deliveries")).json()
            return sent["deliveries"] if sent["pending"] == 0 else None

        from_sandbox = await wait_for(sandbox_sent, timeout=60)
        assert {d.get("status_code") for d in from_sandbox} == {202}
        database = pg_url.replace("postgresql+asyncpg://", "postgresql://")
        connection = await asyncpg.connect(database)
        # Event types the service does not use are acknowledged without an inbox row.
        sandbox_rows = await connection.fetchval("SELECT count(*) FROM deliveries")
        assert sandbox_rows >= 3 * ESCALATIONS  # created, comment_added, email_ccs_changed

        # The rest are ordinary comments (no escalation CC), signed and split between both
        # replicas, interleaved on the escalated tickets and on others.
        ordinary = TOTAL - sandbox_rows
        ticket_pool = [*tickets, *range(900_000, 900_050)]
        gate = asyncio.Semaphore(32)

        async def post(n: int) -> int:
            event = comment_event(random.choice(ticket_pool), event_id=f"rep-{uuid.uuid4()}")
            body, headers = signed(event)
            async with gate:
                response = await service.post(
                    f"{urls[n % 2]}/webhooks/zendesk", content=body, headers=headers
                )
            return response.status_code

        statuses = await asyncio.gather(*(post(n) for n in range(ordinary)))
        assert set(statuses) == {202}

        try:

            async def all_done() -> bool:
                done = await connection.fetchval(
                    "SELECT count(*) FROM deliveries WHERE status = 'done'"
                )
                return bool(done == TOTAL)

            try:
                await wait_for(all_done, timeout=90, interval=0.25)
            except AssertionError:
                stuck = await connection.fetch(
                    "SELECT status, count(*), min(last_error) AS error FROM deliveries"
                    " GROUP BY status"
                )
                logs = {
                    p.name: p.read_text(errors="replace")[-1500:]
                    for p in replicas.logs.glob("*.log")
                }
                raise AssertionError(f"not drained: {[dict(r) for r in stuck]} {logs}") from None
            rows = await connection.fetch("SELECT status, attempts, locked_by FROM deliveries")
            escalated = await connection.fetchval(
                "SELECT count(*) FROM escalations WHERE state = 'escalated'"
            )
        finally:
            await connection.close()

        assert len(rows) == TOTAL
        assert {r["status"] for r in rows} == {"done"}
        # One attempt each: no delivery was claimed twice (SKIP LOCKED, no expired lease).
        assert {r["attempts"] for r in rows} == {1}
        replica_of = {str(r["locked_by"]).rsplit(":", 1)[0] for r in rows}
        assert len(replica_of) == 2, replica_of  # both replicas did work
        assert escalated == ESCALATIONS
        for ticket_id in tickets:
            comments = (await zendesk.get(f"/api/v2/tickets/{ticket_id}/comments.json")).json()
            notes = [
                c for c in comments["comments"] if not c["public"] and "escalator-ref" in c["body"]
            ]
            replies = [c for c in comments["comments"] if c["public"] and c["author_id"] == 1]
            assert (len(notes), len(replies)) == (1, 1), ticket_id
