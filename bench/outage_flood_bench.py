"""1,000 escalation requests while a platform outage is open: every one is acknowledged and
deprioritised. How long the flood takes to drain, and what it costs in Zendesk calls.

    .venv/bin/python bench/outage_flood_bench.py [--db sqlite|postgres] [-n 1000] [--window 1]

Same sandbox settings as pipeline_bench (100 ms latency, 100 updates per "minute" shrunk to
--window seconds); the rate-limit minimum drain = writes / 100 x window.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import httpx
from _common import (
    Processes,
    database,
    running_stack,
    table,
    wait_until,
)
from pipeline_bench import (
    LATENCY_MS,
    UPDATES_PER_MINUTE,
    calls_of,
    create_tickets,
    drained,
    sandbox_settings,
    service_settings,
)


async def main(args: argparse.Namespace) -> int:
    window, n = args.window, args.n
    with tempfile.TemporaryDirectory(prefix="escalator-outage-") as tmp:
        workdir = Path(tmp)
        procs = Processes(workdir)
        try:

            async def open_outage(zendesk: httpx.AsyncClient) -> None:
                outage = {"name": "DB cluster degraded", "impact": "major"}
                (await zendesk.post("/__sandbox/outage", json=outage)).raise_for_status()

            async with (
                database(args.db, workdir) as url,
                running_stack(
                    procs,
                    database_url=url,
                    sandbox_settings=sandbox_settings(window),
                    service_settings=service_settings(window, args.worker_concurrency),
                    before_service=open_outage,
                ) as stack,
            ):
                zd, service = stack.zendesk, stack.service
                started = time.perf_counter()
                await create_tickets(zd, n, tag="flood")
                await wait_until(lambda: drained(zd, service), timeout=120 + 10 * n / 100 * window)
                seconds = time.perf_counter() - started
                log = (await zd.get("/__sandbox/requests")).json()["requests"]
                calls = calls_of(log, "escalator/")
                counts = (await service.get("/admin/deliveries")).json()["counts"]
                states: dict[str, int] = {}
                cursor = None
                while True:
                    query = "/api/escalations?limit=200" + (f"&cursor={cursor}" if cursor else "")
                    page = (await service.get(query)).json()
                    for e in page["escalations"]:
                        states[e["state"]] = states.get(e["state"], 0) + 1
                    cursor = page.get("next_cursor")
                    if not cursor:
                        break
                update_many = sum("update_many" in r["path"] for r in log)
        finally:
            procs.stop_all()

    minimum = calls["writes"] / UPDATES_PER_MINUTE * window
    print(
        f"\noutage flood: {n} escalation requests during a major incident, database={args.db}, "
        f"sandbox latency {LATENCY_MS} ms, {UPDATES_PER_MINUTE} updates per {window:g}s window"
    )
    print(
        table(
            ["figure", "measured"],
            [
                ["drain time", f"{seconds:.1f} s"],
                ["rate-limit minimum for the writes made", f"{minimum:.1f} s"],
                ["drain / minimum", f"{seconds / minimum:.2f}x" if minimum else "n/a"],
                ["reads per escalation", f"{calls['reads'] / n:.2f}"],
                ["writes per escalation", f"{calls['writes'] / n:.2f}"],
                ["update_many calls", update_many],
                ["429 answers", calls["429"]],
                ["escalation states", ", ".join(f"{k}={v}" for k, v in sorted(states.items()))],
                ["deliveries done / dead", f"{counts['done']} / {counts['dead']}"],
            ],
        )
    )
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("-n", type=int, default=1000, help="escalation requests")
    parser.add_argument("--window", type=float, default=1.0, help="seconds per rate 'minute'")
    parser.add_argument("--worker-concurrency", type=int, default=32)
    sys.exit(asyncio.run(main(parser.parse_args())))
