"""Property-based fuzzing of every operation in the served OpenAPI document: no server errors,
and every answer matches the documented status codes, content types and schemas."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import ADMIN, ROOT, free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ESCALATOR = str(Path(sys.executable).parent / "escalator")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`escalator serve` with its sandbox Zendesk, as a newcomer runs it."""
    tmp = tmp_path_factory.mktemp("schemathesis")
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "SANDBOX_PORT": str(free_port()),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'escalator.db'}",
        "RULES_FILE": str(ROOT / "rules.example.yaml"),
        "LOG_LEVEL": "WARNING",
    }
    with (tmp / "serve.log").open("ab") as log:
        process = subprocess.Popen([ESCALATOR, "serve"], env=env, cwd=ROOT, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, (tmp / "serve.log").read_text()
            assert time.monotonic() < deadline, "service did not start"
            time.sleep(0.1)  # polling a subprocess that has a deadline above
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


# The published contract (tests/test_openapi.py keeps it equal to what the app serves). Loaded
# at import so each operation is its own test; schemathesis' `from_fixture` does not run under
# pytest 9, so the operations are driven through their Hypothesis strategies directly.
SCHEMA = schemathesis.openapi.from_path(ROOT / "openapi.yaml")
OPERATIONS = {op.label: op for op in (r.ok() for r in SCHEMA.get_all_operations())}  # type: ignore[union-attr]


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_every_operation_honours_its_contract(served: str, label: str) -> None:
    operation = OPERATIONS[label]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def check(case: Any) -> None:
        case.call_and_validate(base_url=served, headers=ADMIN, checks=CHECKS)

    check()
