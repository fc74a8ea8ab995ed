"""Group commit for the inbox: webhook requests that arrive together share one insert.

SQLite has one writer at a time; one transaction per request made 32 concurrent requests queue
on the database lock (and sleep in its busy handler). Here a single flusher writes whatever has
accumulated while the previous batch was written, and each request is answered once its row is
durable. PostgreSQL gains the same: fewer commits, fewer round trips.

A batch is one statement on a connection the writer keeps for itself, in autocommit mode (one
statement is atomic on its own): on SQLite a plain `sqlite3` connection in a thread of its
own, so a batch costs one hand-off to that thread; on PostgreSQL the asyncpg connection under
a pooled one, so a batch costs one round trip. Pool checkout, SQLAlchemy's transaction
handling and aiosqlite's hand-off per call used to cost more than the insert.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app import db, store
from app.store import Accepted, IncomingDelivery

MAX_BATCH = 500


class _Inbox(Protocol):
    async def write(self, batch: list[IncomingDelivery]) -> list[Accepted]: ...

    async def reset(self) -> None: ...

    async def close(self) -> None: ...


class _SqliteInbox:
    def __init__(self, engine: AsyncEngine) -> None:
        self._url = engine.url.render_as_string(hide_password=False)
        self._dialect = engine.dialect
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="inbox")
        self._connection: sqlite3.Connection | None = None  # used in that thread only

    async def write(self, batch: list[IncomingDelivery]) -> list[Accepted]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, self._write, batch)

    def _write(self, batch: list[IncomingDelivery]) -> list[Accepted]:
        if self._connection is None:
            self._connection = db.connect_sqlite(self._url)
        return store.accept_deliveries_sqlite(self._connection, batch, self._dialect)

    async def reset(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._thread, self._close)

    async def close(self) -> None:
        await self.reset()
        self._thread.shutdown()

    def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()


class _PostgresInbox:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None

    async def write(self, batch: list[IncomingDelivery]) -> list[Accepted]:
        if self._connection is None:
            self._connection = await self._engine.connect()
        driver = (await self._connection.get_raw_connection()).driver_connection
        assert driver is not None  # an open connection
        # Used outside SQLAlchemy's transactions: each statement commits on its own.
        return await store.accept_deliveries_postgres(driver, batch, self._engine.dialect)

    async def reset(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            # After a failure the connection may be broken (database restarted): drop it.
            with contextlib.suppress(Exception):
                await connection.invalidate()
            with contextlib.suppress(Exception):
                await connection.close()

    async def close(self) -> None:
        await self.reset()


class InboxWriter:
    def __init__(self, engine: AsyncEngine) -> None:
        self._inbox: _Inbox = (
            _SqliteInbox(engine) if engine.dialect.name == "sqlite" else _PostgresInbox(engine)
        )
        self._waiting: list[tuple[IncomingDelivery, asyncio.Future[Accepted]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def accept(self, incoming: IncomingDelivery) -> Accepted:
        """Store one delivery (deduplicated); returns once it is committed."""
        future: asyncio.Future[Accepted] = asyncio.get_running_loop().create_future()
        self._waiting.append((incoming, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
            try:
                results = await self._inbox.write([i for i, _ in batch])
            except Exception as e:  # every waiting request learns it was not stored
                with contextlib.suppress(Exception):
                    await self._inbox.reset()
                for _, future in batch:
                    if not future.done():
                        future.set_exception(e)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)

    async def aclose(self) -> None:
        if self._flusher is not None:
            with contextlib.suppress(Exception):
                await self._flusher
        await self._inbox.close()
