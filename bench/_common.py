"""Shared pieces of the benchmarks: processes, databases, a lean HTTP/1.1 load client, tables.

The load client writes pre-signed requests on keep-alive sockets instead of using httpx: on a
2-core machine httpx's own CPU cost would cap the figures before the server does, and the
bare-endpoint baseline would then measure the client, not the server.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python bench/x.py` from a fresh clone
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from app.intake import sign  # noqa: E402
from app.settings import (  # noqa: E402
    SANDBOX_ADMIN_TOKEN,
    SANDBOX_API_TOKEN,
    SANDBOX_EMAIL,
    SANDBOX_WEBHOOK_SECRET,
)

ESCALATOR = str(Path(sys.executable).parent / "escalator")
ADMIN = {"Authorization": f"Bearer {SANDBOX_ADMIN_TOKEN}"}
SANDBOX_AUTH = (f"{SANDBOX_EMAIL}/token", SANDBOX_API_TOKEN)
IMPACT = (
    "Our production environment has been down since 08:00 and none of our customers can "
    "place orders. We are losing revenue every hour."
)
ESCALATION_CC = [{"user_email": "escalation@example.com", "action": "put"}]
PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# ---- databases ------------------------------------------------------------------------------


@asynccontextmanager
async def database(kind: str, workdir: Path) -> AsyncIterator[str]:
    """A DATABASE_URL for one run: a file under `workdir`, or a PostgreSQL database dropped
    afterwards."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        return
    import asyncpg  # type: ignore[import-untyped]

    name = f"escalator_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        admin = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


# ---- processes ------------------------------------------------------------------------------


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def peak_rss_mb(self) -> float:
        """VmHWM: the resident set's high-water mark since the process started."""
        status = Path(f"/proc/{self.popen.pid}/status").read_text()
        match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
        return int(match.group(1)) / 1024 if match else float("nan")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


@dataclass
class Processes:
    workdir: Path
    running: list[Process] = field(default_factory=list)

    def start(self, name: str, args: Sequence[str], env: dict[str, str]) -> Process:
        log = self.workdir / f"{name}.log"
        with log.open("ab") as out:
            popen = subprocess.Popen(
                list(args), env={**os.environ, **env}, cwd=ROOT, stdout=out, stderr=out
            )
        process = Process(name, popen, log)
        self.running.append(process)
        return process

    def stop_all(self) -> None:
        for process in reversed(self.running):
            process.stop()
        self.running.clear()


async def wait_until(
    condition: Callable[[], Any], *, timeout: float, interval: float = 0.1, what: str = ""
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what or 'condition'} not met within {timeout}s")
        await asyncio.sleep(interval)


async def wait_http(url: str, process: Process | None = None, timeout: float = 30) -> None:
    async with httpx.AsyncClient(timeout=2) as client:

        async def up() -> bool:
            if process is not None and process.popen.poll() is not None:
                tail = process.log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{process.name} exited early:\n{tail}")
            try:
                return (await client.get(url)).status_code < 500
            except httpx.TransportError:
                return False

        await wait_until(up, timeout=timeout, what=f"{url} up")


def service_env(
    *, port: int, sandbox_port: int, database_url: str, **extra: str | int | float
) -> dict[str, str]:
    env = {
        "PORT": str(port),
        "SANDBOX_PORT": str(sandbox_port),
        "DATABASE_URL": database_url,
        "RULES_FILE": str(ROOT / "rules.example.yaml"),
        "LOG_LEVEL": "WARNING",
        "STATUSPAGE_URL": f"http://127.0.0.1:{sandbox_port}/statuspage",
    }
    env.update({k.upper(): str(v) for k, v in extra.items()})
    return env


# ---- signed deliveries and a lean HTTP/1.1 client -------------------------------------------


def comment_delivery(ticket_id: int, body: str = "Any update on this?") -> bytes:
    """A signed `ticket.comment_added` request (full HTTP/1.1 bytes) for POST /webhooks/zendesk."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    payload = {
        "account_id": 9000001,
        "id": str(uuid.uuid4()),
        "subject": f"zen:ticket:{ticket_id}",
        "time": now,
        "type": "zen:event-type:ticket.comment_added",
        "zendesk_event_version": "2022-11-06",
        "detail": {"id": str(ticket_id), "status": "OPEN", "priority": "NORMAL", "tags": []},
        "event": {
            "comment": {
                "id": str(ticket_id * 10),
                "body": body,
                "is_public": True,
                "author": {"id": "401", "is_staff": False, "name": "Customer"},
            }
        },
    }
    data = json.dumps(payload, separators=(",", ":")).encode()
    headers = {
        "Host": "127.0.0.1",
        "Content-Type": "application/json",
        "Content-Length": str(len(data)),
        "X-Zendesk-Webhook-Signature": sign(SANDBOX_WEBHOOK_SECRET, now, data),
        "X-Zendesk-Webhook-Signature-Timestamp": now,
        "X-Zendesk-Webhook-Id": "01HBENCH",
        "X-Zendesk-Account-Id": "9000001",
        "X-Zendesk-Webhook-Invocation-Id": uuid.uuid4().hex,
    }
    head = "POST /webhooks/zendesk HTTP/1.1\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in headers.items()
    )
    return head.encode() + b"\r\n" + data


_LENGTH = re.compile(rb"(?i)\r\ncontent-length:\s*(\d+)")


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def send(self, raw: bytes) -> int:
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        match = _LENGTH.search(head)
        if match:
            await self.reader.readexactly(int(match.group(1)))
        return int(head[9:12])

    def close(self) -> None:
        self.writer.close()


@dataclass
class LoadResult:
    sent: int
    seconds: float
    latencies: list[float]
    statuses: dict[int, int]

    @property
    def throughput(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


async def flat_out(
    port: int, requests: Iterable[bytes], *, connections: int, seconds: float
) -> LoadResult:
    """Each connection sends its next request as soon as the last one is answered."""
    source = iter(requests)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    conns = [await Connection.open(port) for _ in range(connections)]
    start = time.perf_counter()
    deadline = start + seconds

    async def run(conn: Connection) -> None:
        for raw in source:
            if time.perf_counter() >= deadline:
                return
            sent_at = time.perf_counter()
            status = await conn.send(raw)
            latencies.append(time.perf_counter() - sent_at)
            statuses[status] = statuses.get(status, 0) + 1

    await asyncio.gather(*(run(c) for c in conns))
    elapsed = time.perf_counter() - start
    for c in conns:
        c.close()
    return LoadResult(len(latencies), elapsed, latencies, statuses)


async def fixed_rate(
    port: int, requests: Iterable[bytes], *, rate: float, seconds: float, connections: int = 32
) -> LoadResult:
    """Open-loop: request i is due at i/rate; latency counts from when it was due, so a slow
    server cannot hide its queueing (no coordinated omission)."""
    source = iter(requests)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(connections):
        idle.put_nowait(await Connection.open(port))
    start = time.perf_counter()
    total = int(rate * seconds)

    async def one(raw: bytes, due: float) -> None:
        conn = await idle.get()
        try:
            status = await conn.send(raw)
        finally:
            idle.put_nowait(conn)
        latencies.append(time.perf_counter() - due)
        statuses[status] = statuses.get(status, 0) + 1

    tasks = []
    for i, raw in zip(range(total), source, strict=False):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(raw, due)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    while not idle.empty():
        idle.get_nowait().close()
    return LoadResult(len(latencies), elapsed, latencies, statuses)


# ---- output ---------------------------------------------------------------------------------


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table, so the summary pastes straight into the README."""

    def cell(value: object) -> str:
        if isinstance(value, float):
            return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
        return str(value)

    cells = [[cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in cells
    ]
    return "\n".join([line, rule, *body])


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


@dataclass
class BenchStack:
    """`escalator sandbox` and `escalator serve --no-sandbox` as separate processes."""

    zendesk: httpx.AsyncClient
    service: httpx.AsyncClient
    zendesk_url: str
    service_process: Process


@asynccontextmanager
async def running_stack(
    procs: Processes,
    *,
    database_url: str,
    sandbox_settings: dict[str, Any],
    service_settings: dict[str, Any],
    before_service: Callable[[httpx.AsyncClient], Any] | None = None,
) -> AsyncIterator[BenchStack]:
    """Start the sandbox with `sandbox_settings`, run `before_service` against it (e.g. open an
    outage), then start the service and wait until its start-up lookups are done, so what is
    measured afterwards is only what the benchmark's traffic costs."""
    port, sandbox_port = free_port(), free_port()
    env = service_env(
        port=port, sandbox_port=sandbox_port, database_url=database_url, **service_settings
    )
    sandbox = procs.start("sandbox", [ESCALATOR, "sandbox"], env)
    zendesk_url = f"http://127.0.0.1:{sandbox_port}"
    await wait_http(f"{zendesk_url}/__sandbox/settings", sandbox)
    async with (
        httpx.AsyncClient(base_url=zendesk_url, auth=SANDBOX_AUTH, timeout=60) as zendesk,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=ADMIN, timeout=60) as svc,
    ):
        (await zendesk.post("/__sandbox/settings", json=sandbox_settings)).raise_for_status()
        if before_service is not None:
            await before_service(zendesk)
        process = procs.start("service", [ESCALATOR, "serve", "--no-sandbox"], env)
        await wait_http(f"http://127.0.0.1:{port}/healthz", process)

        async def warmed() -> bool:
            # The service looks its escalation users up once at start (users/search last).
            log = (await zendesk.get("/__sandbox/requests")).json()["requests"]
            return any(
                r["path"].startswith("/api/v2/users/search")
                and str(r.get("user_agent", "")).startswith("escalator/")
                for r in log
            )

        await wait_until(warmed, timeout=30)
        await zendesk.delete("/__sandbox/requests")
        yield BenchStack(zendesk, svc, zendesk_url, process)
