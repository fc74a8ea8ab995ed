"""Replicas that start together migrate one database without tripping over each other."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.postgres


def test_three_processes_migrating_at_once_all_succeed(pg_url: str) -> None:
    code = f"from app import db; db.upgrade_sync({pg_url!r})"
    procs = [
        subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    results = [(p.wait(timeout=60), p.stderr.read() if p.stderr else "") for p in procs]
    assert [code for code, _ in results] == [0, 0, 0], [err[-500:] for _, err in results]
