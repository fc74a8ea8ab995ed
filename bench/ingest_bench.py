"""Webhook intake: signed deliveries into a real `escalator serve` (worker off), side by side
with a bare FastAPI endpoint that only answers 202, both under uvicorn on this machine.

    .venv/bin/python bench/ingest_bench.py [--db sqlite|postgres] [--seconds 8] [--rounds 3]

Goals: throughput >= 0.6 x the bare endpoint's, p99 <= 20 ms at 32 connections, peak RSS of the
service process <= 150 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

from _common import (
    ESCALATOR,
    LoadResult,
    Processes,
    comment_delivery,
    database,
    fixed_rate,
    flat_out,
    free_port,
    service_env,
    table,
    verdict,
    wait_http,
)

CONNECTIONS = 32


def deliveries(count: int) -> list[bytes]:
    # Distinct event ids: every request is a new inbox row, not a duplicate.
    return [comment_delivery(100_000 + n % 5_000) for n in range(count)]


async def warm_and_pace(port: int, args: argparse.Namespace) -> LoadResult:
    # Warm-up: connections, imports, the first SQLite pages.
    await flat_out(port, deliveries(300), connections=8, seconds=2)
    return await fixed_rate(
        port, deliveries(int(args.rate * args.seconds)), rate=args.rate, seconds=args.seconds
    )


def pooled(results: list[LoadResult]) -> LoadResult:
    """Several flat-out rounds as one: their requests, time and latencies together."""
    statuses: dict[int, int] = {}
    for r in results:
        for status, n in r.statuses.items():
            statuses[status] = statuses.get(status, 0) + n
    return LoadResult(
        sum(r.sent for r in results),
        sum(r.seconds for r in results),
        [latency for r in results for latency in r.latencies],
        statuses,
    )


async def main(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="escalator-ingest-") as tmp:
        workdir = Path(tmp)
        procs = Processes(workdir)
        try:
            async with database(args.db, workdir) as url:
                bare_port, port = free_port(), free_port()
                bare = procs.start(
                    "bare",
                    [sys.executable, str(Path(__file__).parent / "bare_app.py"), str(bare_port)],
                    {},
                )
                env = service_env(
                    port=port, sandbox_port=free_port(), database_url=url, worker_enabled="false"
                )
                service = procs.start("service", [ESCALATOR, "serve", "--no-sandbox"], env)
                await wait_http(f"http://127.0.0.1:{bare_port}/docs", bare)
                await wait_http(f"http://127.0.0.1:{port}/healthz", service)
                bare_paced = await warm_and_pace(bare_port, args)
                paced = await warm_and_pace(port, args)
                # Flat out in alternating rounds: a shared machine's speed drifts over a run,
                # and each ratio compares two phases measured seconds apart.
                bare_rounds: list[LoadResult] = []
                rounds: list[LoadResult] = []
                for _ in range(args.rounds):
                    for target, results in ((bare_port, bare_rounds), (port, rounds)):
                        results.append(
                            await flat_out(
                                target,
                                deliveries(args.max_requests),
                                connections=CONNECTIONS,
                                seconds=args.seconds,
                            )
                        )
                rss = service.peak_rss_mb()
        finally:
            procs.stop_all()

    ratios = sorted(r.throughput / b.throughput for r, b in zip(rounds, bare_rounds, strict=True))
    ratio = ratios[len(ratios) // 2]
    bare_flat, flat = pooled(bare_rounds), pooled(rounds)
    bad = {s: n for r in (paced, flat) for s, n in r.statuses.items() if s != 202}
    print(
        f"\ningest benchmark, database={args.db}, {args.seconds:.0f}s per phase, "
        f"{args.rounds} alternating flat-out rounds"
    )
    print(
        table(
            ["load", "target", "req/s", "p50 ms", "p99 ms", "non-202"],
            [
                [f"{args.rate:.0f} req/s fixed", "bare 202", bare_paced.throughput,
                 bare_paced.percentile(50), bare_paced.percentile(99), ""],
                [f"{args.rate:.0f} req/s fixed", "escalator", paced.throughput,
                 paced.percentile(50), paced.percentile(99), ""],
                [f"flat out, {CONNECTIONS} conns", "bare 202", bare_flat.throughput,
                 bare_flat.percentile(50), bare_flat.percentile(99), ""],
                [f"flat out, {CONNECTIONS} conns", "escalator", flat.throughput,
                 flat.percentile(50), flat.percentile(99), sum(bad.values())],
            ],
        )
    )  # fmt: skip
    print("\nsummary")
    print(
        table(
            ["figure", "measured", "goal", ""],
            [
                [f"throughput vs bare endpoint ({args.db}), median round",
                 f"{ratio:.2f}x  (rounds: {', '.join(f'{r:.2f}' for r in ratios)})", ">= 0.6x",
                 verdict(ratio >= 0.6)],
                [f"p99 at {CONNECTIONS} connections ({args.db})",
                 f"{flat.percentile(99):.1f} ms", "<= 20 ms", verdict(flat.percentile(99) <= 20)],
                ["peak RSS of the service (VmHWM)", f"{rss:.0f} MB", "<= 150 MB",
                 verdict(rss <= 150)],
            ],
        )
    )  # fmt: skip
    if bad:
        print(f"non-202 answers: {bad}")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each phase")
    parser.add_argument("--rate", type=float, default=200.0, help="fixed-rate phase, req/s")
    parser.add_argument("--max-requests", type=int, default=40_000)
    parser.add_argument("--rounds", type=int, default=3, help="alternating flat-out rounds")
    sys.exit(asyncio.run(main(parser.parse_args())))
