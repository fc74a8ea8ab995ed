"""After real traffic through `escalator serve`, /metrics shows what operators page on, and
the JSON logs carry delivery and ticket ids but never comment text or secrets."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import ROOT, comment_event, free_port, signed, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ESCALATOR = str(Path(sys.executable).parent / "escalator")
WEBHOOK_SECRET = "obs-webhook-secret-5f1c9a7e"
API_TOKEN = "obs-api-token-0d93b1e2"
ADMIN_TOKEN = "obs-admin-token-8c4e2f6a1b"
# Comment text that must stay in Zendesk: customers write personal data into comments.
PRIVATE = "Customer card ending 4242 and home address 12 Elm Street"
IMPACT = (
    f"Production is down for all our stores and customers cannot pay. Revenue is lost. {PRIVATE}"
)


class Service:
    def __init__(self, tmp: Path) -> None:
        self.port, self.sandbox_port = free_port(), free_port()
        self.stderr = tmp / "stderr.log"
        env = {
            **os.environ,
            "PORT": str(self.port),
            "SANDBOX_PORT": str(self.sandbox_port),
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'escalator.db'}",
            "RULES_FILE": str(ROOT / "rules.example.yaml"),
            "LOG_LEVEL": "INFO",
            "LOG_FORMAT": "json",
            "ZENDESK_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "ZENDESK_API_TOKEN": API_TOKEN,
            "ADMIN_TOKEN": ADMIN_TOKEN,
            "ZENDESK_TIMEOUT_SECONDS": "1",
            "WORKER_POLL_SECONDS": "0.05",
            "WORKER_BACKOFF_BASE_SECONDS": "0.05",
            "WORKER_BACKOFF_MAX_SECONDS": "0.2",
            "WORKER_MAX_ATTEMPTS": "2",
        }
        with self.stderr.open("ab") as err, (tmp / "stdout.log").open("ab") as out:
            # The sandbox banner on stdout names the sandbox credentials on purpose; logs go
            # to stderr, and those are what is checked here.
            self.process = subprocess.Popen(
                [ESCALATOR, "serve"], env=env, cwd=ROOT, stdout=out, stderr=err
            )

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    running = Service(tmp_path)
    yield running
    running.stop()


def samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    return [
        (s.name, s.labels, s.value)
        for family in text_string_to_metric_families(text)
        for s in family.samples
    ]


def total(found: list[tuple[str, dict[str, str], float]], name: str, **labels: str) -> float:
    return sum(
        value
        for n, have, value in found
        if n == name and all(have.get(k) == v for k, v in labels.items())
    )


async def test_metrics_and_logs_after_real_traffic(service: Service) -> None:
    base = f"http://127.0.0.1:{service.port}"
    zendesk_url = f"http://127.0.0.1:{service.sandbox_port}"
    auth = ("escalator@example.com/token", API_TOKEN)
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with (
        httpx.AsyncClient(base_url=base, headers=admin, timeout=30) as api,
        httpx.AsyncClient(base_url=zendesk_url, auth=auth, timeout=30) as zendesk,
    ):

        async def up() -> bool:
            assert service.process.poll() is None, service.stderr.read_text()[-2000:]
            try:
                return (await api.get("/healthz")).status_code == 200
            except httpx.TransportError:
                return False

        await wait_for(up, timeout=30)

        async def settled() -> bool:
            if (await zendesk.get("/__sandbox/webhook_deliveries")).json()["pending"]:
                return False
            counts = (await api.get("/admin/deliveries")).json()["counts"]
            return bool(counts["pending"] == 0 and counts["processing"] == 0)

        # One 429 on the service's first ticket update, honoured through Retry-After.
        await zendesk.post(
            "/__sandbox/faults",
            json={
                "method": "PUT",
                "path": r"/tickets/\d+$",
                "status": 429,
                "count": 1,
                "retry_after": 1,
                "user_agent": "^escalator/",
            },
        )
        created = await zendesk.post(
            "/api/v2/tickets.json",
            json={
                "ticket": {
                    "subject": "Checkout down",
                    "comment": {"body": IMPACT, "public": True},
                    "requester_id": 401,
                    "priority": "urgent",
                    "email_ccs": [{"user_email": "escalation@example.com", "action": "put"}],
                }
            },
        )
        ticket_id = created.json()["ticket"]["id"]

        # A duplicate, a forged signature, and a delivery for a ticket Zendesk no longer has.
        event = comment_event(ticket_id, body=PRIVATE, event_id="obs-dup")
        for _ in range(2):
            body, headers = signed(event, secret=WEBHOOK_SECRET)
            assert (await api.post("/webhooks/zendesk", content=body, headers=headers)).is_success
        body, headers = signed(comment_event(ticket_id), secret="not-the-secret")
        assert (
            await api.post("/webhooks/zendesk", content=body, headers=headers)
        ).status_code == 401
        gone = {
            "type": "zen:event-type:ticket.email_ccs_changed",
            "id": "obs-gone",
            "detail": {"id": "987654", "status": "OPEN"},
            "event": {"users_added": ["123"], "users_removed": []},
        }
        body, headers = signed(gone, secret=WEBHOOK_SECRET)
        assert (await api.post("/webhooks/zendesk", content=body, headers=headers)).is_success
        await wait_for(settled, timeout=60)

        found = samples((await api.get("/metrics")).text)

    assert total(found, "escalator_deliveries_received_total", kind="ticket.comment_added") >= 2
    assert total(found, "escalator_deliveries_duplicate_total") >= 1
    assert total(found, "escalator_deliveries_rejected_total", reason="bad_signature") == 1
    assert any(n == "escalator_queue_depth" for n, _, _ in found)
    assert total(found, "escalator_delivery_processing_seconds_count") >= 4
    assert any(n == "escalator_delivery_processing_seconds_bucket" for n, _, _ in found)
    assert total(found, "escalator_escalation_outcomes_total", outcome="escalate") == 1
    calls = [labels for n, labels, v in found if n == "escalator_zendesk_calls_total" and v]
    assert {"method", "endpoint", "status"} <= set(calls[0])
    assert {c["status"] for c in calls} >= {"200", "429"}
    assert total(found, "escalator_zendesk_429_total") >= 1
    assert total(found, "escalator_deliveries_dead_total") == 1

    service.stop()  # flush everything the process wrote
    text = service.stderr.read_text()
    records: list[dict[str, Any]] = []
    for line in text.splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # uvicorn's own lines are plain text
    processed = [r for r in records if r.get("event") == "delivery.processed"]
    assert processed, text[-2000:]
    assert all("delivery_id" in r and "ticket_id" in r for r in processed)
    assert any(r["ticket_id"] == ticket_id for r in processed)
    for secret in (PRIVATE, "Customer card", WEBHOOK_SECRET, API_TOKEN, ADMIN_TOKEN):
        assert secret not in text, f"{secret!r} leaked into the logs"
