"""A fresh PostgreSQL database per test on 127.0.0.1:5432, dropped afterwards.

Locally the tests skip when PostgreSQL is unreachable; under CI (`CI=true`) they fail instead,
so a broken database service cannot turn the suite green by skipping it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import asyncpg  # type: ignore[import-untyped]
import pytest

PG_HOST = os.environ.get("PGHOST", "127.0.0.1")
PG_PORT = int(os.environ.get("PGPORT", "5432"))
PG_USER = os.environ.get("PGUSER", "postgres")
ADMIN_DSN = f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/postgres"


async def _admin_connection() -> asyncpg.Connection:
    try:
        return await asyncpg.connect(ADMIN_DSN, timeout=5)
    except (OSError, asyncpg.PostgresError) as e:
        reason = f"PostgreSQL unreachable at {PG_HOST}:{PG_PORT} ({type(e).__name__}: {e})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; CI=true requires it", pytrace=False)
        pytest.skip(reason)


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """`postgresql+asyncpg://…` of an empty database that exists for this test only."""
    name = f"escalator_test_{uuid.uuid4().hex[:12]}"
    admin = await _admin_connection()
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        admin = await _admin_connection()
        try:
            # FORCE ends sessions a killed service process may have left behind.
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
