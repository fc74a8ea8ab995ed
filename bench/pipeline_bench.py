"""N escalations through the sandbox Zendesk (100 ms latency, the Update Ticket limit of 100 per
"minute") against a "straightforward integration" baseline run on the same sandbox settings.

    .venv/bin/python bench/pipeline_bench.py [--db sqlite|postgres] [-n 300] [--window 2]

The "minute" is shrunk to --window seconds on both the sandbox and the service
(ZENDESK_RATE_WINDOW_SECONDS), so the rate-limit minimum drain = writes / 100 x window.
Goals: drain <= 1.1 x that minimum; <= 1 read + 2 writes per escalation; 0 calls per ordinary
comment.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from _common import (
    ESCALATION_CC,
    IMPACT,
    SANDBOX_AUTH,
    Processes,
    comment_delivery,
    database,
    running_stack,
    table,
    verdict,
    wait_until,
)

UPDATES_PER_MINUTE = 100
REQUESTS_PER_MINUTE = 700  # Zendesk Enterprise
LATENCY_MS = 100
CONCURRENCY = 8  # the baseline integration's parallelism


async def create_tickets(zendesk: httpx.AsyncClient, n: int, *, tag: str) -> list[int]:
    gate = asyncio.Semaphore(32)

    async def one(i: int) -> int:
        async with gate:
            response = await zendesk.post(
                "/api/v2/tickets.json",
                json={
                    "ticket": {
                        "subject": f"{tag} outage {i}",
                        "comment": {"body": IMPACT, "public": True},
                        "requester_id": 401,
                        "priority": "urgent",
                        "email_ccs": ESCALATION_CC,
                    }
                },
            )
            response.raise_for_status()
            ticket_id: int = response.json()["ticket"]["id"]
            return ticket_id

    return list(await asyncio.gather(*(one(i) for i in range(n))))


def calls_of(log: list[dict[str, Any]], agent: str) -> dict[str, int]:
    mine = [r for r in log if str(r.get("user_agent") or "").startswith(agent)]
    return {
        "reads": sum(r["method"] == "GET" and r["status"] != 429 for r in mine),
        "writes": sum(r["method"] in ("PUT", "POST") and r["status"] != 429 for r in mine),
        "429": sum(r["status"] == 429 for r in mine),
        "all": len(mine),
    }


async def webhooks_sent(zendesk: httpx.AsyncClient, started: float) -> float:
    async def none_pending() -> bool:
        return not (await zendesk.get("/__sandbox/webhook_deliveries")).json()["pending"]

    await wait_until(none_pending, timeout=300, interval=0.05)
    return time.perf_counter() - started


async def drained(zendesk: httpx.AsyncClient, service: httpx.AsyncClient) -> bool:
    if (await zendesk.get("/__sandbox/webhook_deliveries")).json()["pending"]:
        return False
    counts = (await service.get("/admin/deliveries")).json()["counts"]
    return bool(counts["pending"] == 0 and counts["processing"] == 0)


# ---- the baseline: what a first integration typically does ----------------------------------


class StraightforwardIntegration:
    """Reads everything it might need, then one PUT per change; waits out 429s."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        while True:
            response = await self.client.request(method, path, **kwargs)
            if response.status_code == 429:
                await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
                continue
            response.raise_for_status()
            data: dict[str, Any] = response.json()
            return data

    async def escalate(self, ticket_id: int) -> None:
        ticket = (await self.call("GET", f"/api/v2/tickets/{ticket_id}.json"))["ticket"]
        org = (await self.call("GET", f"/api/v2/organizations/{ticket['organization_id']}.json"))[
            "organization"
        ]
        fields = org.get("organization_fields") or {}
        team = []
        for key in ("csm_email", "partner_manager_email", "account_executive_email"):
            found = await self.call(
                "GET", "/api/v2/users/search.json", params={"query": f"email:{fields.get(key)}"}
            )
            team += [u["id"] for u in found.get("users", [])]
        await self.call("GET", f"/api/v2/tickets/{ticket_id}/audits.json")
        changes: list[dict[str, Any]] = [
            {"additional_tags": ["escalated", "escalation_reason_major_problem"]},
            {"assignee_id": 201, "group_id": 301},
            {"custom_fields": [{"id": 9001, "value": "escalated"}]},
            {"custom_fields": [{"id": 9002, "value": "production_impact"}]},
            {"custom_fields": [{"id": 9003, "value": False}]},
            {"custom_fields": [{"id": 9004, "value": IMPACT[:200]}]},
            {"followers": [{"user_id": u, "action": "put"} for u in team]},
            {"comment": {"body": "Escalated: production impact.", "public": False}},
            {"comment": {"body": "We have escalated your ticket.", "public": True}},
        ]
        for change in changes:
            await self.call("PUT", f"/api/v2/tickets/{ticket_id}.json", json={"ticket": change})


async def run_baseline(zendesk_url: str, n: int) -> float:
    async with (
        httpx.AsyncClient(base_url=zendesk_url, auth=SANDBOX_AUTH, timeout=60) as zendesk,
        httpx.AsyncClient(
            base_url=zendesk_url,
            auth=SANDBOX_AUTH,
            timeout=60,
            headers={"User-Agent": "baseline/1"},
        ) as client,
    ):
        started = time.perf_counter()
        tickets = await create_tickets(zendesk, n, tag="baseline")
        integration = StraightforwardIntegration(client)
        queue: asyncio.Queue[int] = asyncio.Queue()
        for t in tickets:
            queue.put_nowait(t)

        async def worker() -> None:
            while not queue.empty():
                await integration.escalate(queue.get_nowait())

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return time.perf_counter() - started


def sandbox_settings(window: float) -> dict[str, Any]:
    return {
        "latency_ms": LATENCY_MS,
        "updates_per_minute": UPDATES_PER_MINUTE,
        "requests_per_minute": REQUESTS_PER_MINUTE,
        "rate_window_seconds": window,
    }


def service_settings(window: float, worker_concurrency: int) -> dict[str, Any]:
    return {
        "zendesk_updates_per_minute": UPDATES_PER_MINUTE,
        "zendesk_requests_per_minute": REQUESTS_PER_MINUTE,
        "zendesk_rate_window_seconds": window,
        "worker_concurrency": worker_concurrency,
    }


async def main(args: argparse.Namespace) -> int:
    window, n = args.window, args.n
    with tempfile.TemporaryDirectory(prefix="escalator-pipeline-") as tmp:
        workdir = Path(tmp)
        procs = Processes(workdir)
        try:
            async with (
                database(args.db, workdir) as url,
                running_stack(
                    procs,
                    database_url=url,
                    sandbox_settings=sandbox_settings(window),
                    service_settings=service_settings(window, args.worker_concurrency),
                ) as stack,
            ):
                zd, service, zendesk_url, svc = (
                    stack.zendesk,
                    stack.service,
                    stack.zendesk_url,
                    stack.service_process,
                )
                started = time.perf_counter()
                tickets = await create_tickets(zd, n, tag="service")
                # When the sandbox had sent its last webhook: it sends them one at a time,
                # so this bounds how early the service could have finished.
                webhooks_seconds = await webhooks_sent(zd, started)
                await wait_until(lambda: drained(zd, service), timeout=60 + 10 * n / 100 * window)
                service_seconds = time.perf_counter() - started
                log = (await zd.get("/__sandbox/requests")).json()["requests"]
                service_calls = calls_of(log, "escalator/")
                dead = (await service.get("/admin/deliveries")).json()["counts"]["dead"]
                escalated = 0
                for ticket_id in tickets[:: max(1, n // 20)]:  # a sample of 20
                    t = (await zd.get(f"/api/v2/tickets/{ticket_id}.json")).json()["ticket"]
                    escalated += "escalated" in t["tags"]

                # Ordinary comments: the payload shows they are not escalations.
                await zd.delete("/__sandbox/requests")
                ordinary = 200
                gate = asyncio.Semaphore(16)

                async def post(i: int) -> None:
                    raw = comment_delivery(tickets[i % len(tickets)])
                    head, _, body = raw.partition(b"\r\n\r\n")
                    headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n")[1:])
                    async with gate:
                        await service.post("/webhooks/zendesk", content=body, headers=headers)

                await asyncio.gather(*(post(i) for i in range(ordinary)))
                await wait_until(lambda: drained(zd, service), timeout=60)
                log = (await zd.get("/__sandbox/requests")).json()["requests"]
                ordinary_calls = calls_of(log, "escalator/")["all"]

                svc.stop()
                await zd.post("/__sandbox/settings", json={"webhook_url": None})
                await asyncio.sleep(window)  # an empty rate window for the baseline
                await zd.delete("/__sandbox/requests")
                baseline_seconds = await run_baseline(zendesk_url, n)
                log = (await zd.get("/__sandbox/requests")).json()["requests"]
                baseline_calls = calls_of(log, "baseline/")
        finally:
            procs.stop_all()

    service_min = (service_calls["writes"]) / UPDATES_PER_MINUTE * window
    ideal_min = 2 * n / UPDATES_PER_MINUTE * window
    baseline_min = baseline_calls["writes"] / UPDATES_PER_MINUTE * window
    per = {k: v / n for k, v in service_calls.items()}
    base_per = {k: v / n for k, v in baseline_calls.items()}
    print(
        f"\npipeline benchmark: {n} escalations, database={args.db}, sandbox latency "
        f"{LATENCY_MS} ms, {UPDATES_PER_MINUTE} updates and {REQUESTS_PER_MINUTE} requests "
        f"per {window:g}s window, worker concurrency {args.worker_concurrency} "
        f"(baseline {CONCURRENCY})"
    )
    print(
        table(
            ["integration", "drain s", "rate-limit min s", "drain / min", "reads/esc",
             "writes/esc", "429s"],
            [
                ["escalator", service_seconds, service_min, service_seconds / service_min,
                 per["reads"], per["writes"], service_calls["429"]],
                ["straightforward baseline", baseline_seconds, baseline_min,
                 baseline_seconds / baseline_min, base_per["reads"], base_per["writes"],
                 baseline_calls["429"]],
            ],
        )
    )  # fmt: skip
    print("\nsummary")
    print(
        table(
            ["figure", "measured", "goal", ""],
            [
                ["drain / rate-limit minimum (escalator)",
                 f"{service_seconds / service_min:.2f}x", "<= 1.1x",
                 verdict(service_seconds / service_min <= 1.1)],
                ["Zendesk calls per escalation",
                 f"{per['reads']:.2f} reads + {per['writes']:.2f} writes", "<= 1 + 2",
                 verdict(per["reads"] <= 1 and per["writes"] <= 2)],
                ["Zendesk calls per ordinary comment", f"{ordinary_calls / ordinary:.2f}", "0",
                 verdict(ordinary_calls == 0)],
                ["calls vs baseline", f"{service_calls['all'] / baseline_calls['all']:.2f}x",
                 "", ""],
                ["drain time vs baseline", f"{service_seconds / baseline_seconds:.2f}x", "", ""],
                ["escalated (sample of 20) / dead deliveries", f"{escalated} / {dead}",
                 "20 / 0", verdict(escalated == len(tickets[:: max(1, n // 20)]) and not dead)],
            ],
        )
    )  # fmt: skip
    print(f"(ideal minimum at 2 writes per escalation: {ideal_min:.1f}s)")
    print(f"(the sandbox had sent its last webhook {webhooks_seconds:.1f}s after the start)")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("-n", type=int, default=300, help="escalations")
    parser.add_argument("--window", type=float, default=2.0, help="seconds per rate 'minute'")
    parser.add_argument("--worker-concurrency", type=int, default=CONCURRENCY)
    sys.exit(asyncio.run(main(parser.parse_args())))
