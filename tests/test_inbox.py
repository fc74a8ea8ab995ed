"""The group-commit inbox writer on SQLite: rows stored exactly as the ORM stores them,
dedupe within and across batches, and recovery after a failed batch. (PostgreSQL: the same in
tests/postgres/test_inbox.py.)"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app import db, store
from app.inbox import InboxWriter
from app.models import utcnow
from app.store import IncomingDelivery


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'inbox.db'}"
    await db.upgrade(url)
    engine = db.create_engine(url)
    yield engine
    await engine.dispose()


def delivery(key: str, ticket_id: int = 7, **payload: Any) -> IncomingDelivery:
    return IncomingDelivery(
        f"zendesk:{key}", "ticket.comment_added", ticket_id, {"n": key, **payload}
    )


async def stored(engine: AsyncEngine) -> list[dict[str, Any]]:
    async with engine.connect() as connection:
        rows = await connection.execute(text("SELECT * FROM deliveries ORDER BY id"))
        return [dict(row._mapping) for row in rows]


async def test_rows_are_stored_as_the_orm_stores_them(engine: AsyncEngine) -> None:
    sessions = db.session_factory(engine)
    async with db.transaction(sessions) as session:
        await store.accept_delivery(session, delivery("orm", body="é ✓"))
    writer = InboxWriter(engine)
    body = '{"n": "raw", "body": "\\u00e9 \\u2713"}'
    await writer.accept(
        IncomingDelivery("zendesk:raw", "ticket.comment_added", 7, {"n": "raw"}, payload_json=body)
    )
    await writer.accept(delivery("dict", body="é ✓"))
    await writer.aclose()

    orm, raw, from_dict = await stored(engine)
    # Same time format (the worker compares them as text), same JSON serialisation.
    time_format = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$")
    for row in (orm, raw, from_dict):
        assert time_format.match(row["received_at"]), row["received_at"]
        assert time_format.match(row["next_attempt_at"])
        assert (row["status"], row["attempts"], row["kind"]) == (
            "pending",
            0,
            "ticket.comment_added",
        )
    assert raw["payload"] == body  # the verified body as received
    assert from_dict["payload"] == orm["payload"].replace('"orm"', '"dict"')

    # And the worker claims what the writer stored.
    async with db.transaction(sessions) as session:
        claimed = await store.claim_due(
            session, worker="w", limit=10, lease_seconds=30, now=utcnow() + timedelta(seconds=1)
        )
        assert [d.payload["n"] for d in claimed] == ["orm"]  # one ticket: oldest first


async def test_concurrent_copies_are_stored_once_within_and_across_batches(
    engine: AsyncEngine,
) -> None:
    writer = InboxWriter(engine)
    first = await writer.accept(delivery("known", ticket_id=1))
    incoming = [delivery(f"k{n % 20}", ticket_id=n) for n in range(200)]
    incoming += [delivery("known", ticket_id=1)] * 5
    results = await asyncio.gather(*(writer.accept(i) for i in incoming))
    await writer.aclose()

    assert sum(not r.duplicate for r in results) == 20
    ids: dict[str, set[int]] = {}
    for i, r in zip(incoming, results, strict=True):
        ids.setdefault(i.dedupe_key, set()).add(r.delivery_id)
    assert all(len(v) == 1 for v in ids.values())
    assert ids["zendesk:known"] == {first.delivery_id}
    assert all(r.duplicate for r in results[-5:])
    assert len(await stored(engine)) == 21


async def test_a_failed_batch_fails_its_requests_and_the_next_one_is_stored(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = InboxWriter(engine)
    real = store.accept_deliveries_sqlite
    calls = 0

    def fail_once(*args: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise OSError("disk I/O error")
        return real(*args)

    monkeypatch.setattr(store, "accept_deliveries_sqlite", fail_once)
    with pytest.raises(OSError, match="disk I/O"):
        await writer.accept(delivery("lost"))
    accepted = await writer.accept(delivery("kept"))
    await writer.aclose()
    assert not accepted.duplicate
    assert [row["dedupe_key"] for row in await stored(engine)] == ["zendesk:kept"]


async def test_while_another_writer_holds_the_lock_the_batch_waits_off_the_event_loop(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    writer = InboxWriter(engine)
    await writer.accept(delivery("first"))  # the writer's own connection is open
    blocker = sqlite3.connect(tmp_path / "inbox.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # the worker, or another process, writing
    try:
        waiting = asyncio.create_task(writer.accept(delivery("second")))
        for _ in range(20):  # the loop keeps running while the batch waits for the lock
            await asyncio.sleep(0)
        assert not waiting.done()
    finally:
        blocker.execute("COMMIT")
        blocker.close()
    accepted = await waiting
    await writer.aclose()
    assert not accepted.duplicate
    assert [row["dedupe_key"] for row in await stored(engine)] == [
        "zendesk:first",
        "zendesk:second",
    ]
