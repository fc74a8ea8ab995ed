"""`make run` on a checkout: the service answers /healthz within 10 seconds."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, free_port

pytestmark = pytest.mark.integration


def test_make_run_serves_healthz_within_10_seconds(tmp_path: Path) -> None:
    port, sandbox_port = free_port(), free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "SANDBOX_PORT": str(sandbox_port),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'escalator.db'}",
    }
    log = (tmp_path / "make-run.log").open("wb")
    started = time.monotonic()
    # A process group of its own: make, and the service it starts, stop together.
    process = subprocess.Popen(
        ["make", "run"], cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True
    )
    try:
        answered = None
        while time.monotonic() - started < 10 and process.poll() is None:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            except httpx.TransportError:
                time.sleep(0.1)  # polling a port that is not open yet
                continue
            answered = response
            break
        elapsed = time.monotonic() - started
        assert answered is not None, (tmp_path / "make-run.log").read_text()[-2000:]
        assert answered.status_code == 200 and elapsed < 10
        sandbox = httpx.get(f"http://127.0.0.1:{sandbox_port}/__sandbox/settings", timeout=5)
        assert sandbox.status_code == 200  # the bundled Zendesk runs beside it
        banner = (tmp_path / "make-run.log").read_text()
        assert f"http://127.0.0.1:{port}" in banner and "admin token" in banner
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
