"""Group commit for the inbox: webhook requests that arrive together share one insert.

SQLite has one writer at a time; one transaction per request made 32 concurrent requests queue
on the database lock (and sleep in its busy handler). Here a flusher writes whatever has
accumulated while the previous batch was written, and each request is answered once its row is
durable. PostgreSQL gains the same: fewer commits, fewer round trips.

A batch is one statement (atomic on its own) on a connection the writer keeps for itself, in
autocommit mode. Pool checkout, SQLAlchemy's transaction handling and aiosqlite's hand-off
per call used to cost more than the insert itself (bench/ingest_bench.py):

- SQLite: a plain `sqlite3` connection used on the event loop, which never waits for the write
  lock (busy timeout 0). A batch takes well under a millisecond there, while handing it to a
  thread took ~4 ms, mostly waiting for the GIL, and 32 connections waiting on their commits
  are bound by that latency. When another writer (the worker, a second process) holds the
  lock, the batch goes to a thread that waits for it instead. Checkpoints (copying the WAL into
  the database, with fsyncs) run in that thread too, so the loop never stalls on one.
- PostgreSQL: the asyncpg connection under a pooled one; a batch is one round trip. (Several
  batches in flight at once, on several connections, measured slower: smaller batches, more
  commits.)
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app import db, store
from app.store import Accepted, IncomingDelivery

MAX_BATCH = 500
# Rows between two checkpoints of the SQLite WAL (about 2-3 pages a row).
CHECKPOINT_ROWS = 1000


class _Inbox(Protocol):
    async def write(self, batch: list[IncomingDelivery]) -> list[Accepted]:
        """Store a batch; on failure the connection used is dropped, not reused."""
        ...

    async def close(self) -> None: ...


class _SqliteInbox:
    def __init__(self, engine: AsyncEngine) -> None:
        self._url = engine.url.render_as_string(hide_password=False)
        self._dialect = engine.dialect
        self._connection: sqlite3.Connection | None = None  # on the loop; never waits
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="inbox")
        self._waiting_connection: sqlite3.Connection | None = None  # in that thread only
        self._rows_since_checkpoint = 0
        self._checkpoint: Future[None] | None = None

    async def write(self, batch: list[IncomingDelivery]) -> list[Accepted]:
        try:
            if self._connection is None:
                self._connection = db.connect_sqlite(self._url, on_event_loop=True)
            accepted = store.accept_deliveries_sqlite(self._connection, batch, self._dialect)
        except sqlite3.OperationalError as e:
            if e.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
                self._drop_connection()
                raise
            loop = asyncio.get_running_loop()
            accepted = await loop.run_in_executor(self._thread, self._write_waiting, batch)
        except Exception:
            self._drop_connection()
            raise
        self._rows_since_checkpoint += len(batch)
        if self._rows_since_checkpoint >= CHECKPOINT_ROWS and (
            self._checkpoint is None or self._checkpoint.done()
        ):
            self._rows_since_checkpoint = 0
            self._checkpoint = self._thread.submit(self._run_checkpoint)
        return accepted

    def _drop_connection(self) -> None:
        _close_quietly(self._connection)
        self._connection = None

    def _waiting(self) -> sqlite3.Connection:
        if self._waiting_connection is None:
            self._waiting_connection = db.connect_sqlite(self._url)
        return self._waiting_connection

    def _write_waiting(self, batch: list[IncomingDelivery]) -> list[Accepted]:
        try:
            return store.accept_deliveries_sqlite(self._waiting(), batch, self._dialect)
        except Exception:
            self._close_waiting()
            raise

    def _run_checkpoint(self) -> None:
        # PASSIVE: copies what it can without blocking the writers.
        try:
            self._waiting().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error:
            self._close_waiting()  # the next checkpoint or busy batch reconnects

    def _close_waiting(self) -> None:
        _close_quietly(self._waiting_connection)
        self._waiting_connection = None

    async def close(self) -> None:
        self._drop_connection()
        await asyncio.get_running_loop().run_in_executor(self._thread, self._close_waiting)
        self._thread.shutdown()


def _close_quietly(connection: sqlite3.Connection | None) -> None:
    if connection is not None:
        with contextlib.suppress(sqlite3.Error):
            connection.close()


class _PostgresInbox:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None

    async def write(self, batch: list[IncomingDelivery]) -> list[Accepted]:
        connection = self._connection or await self._engine.connect()
        self._connection = None
        try:
            driver = (await connection.get_raw_connection()).driver_connection
            assert driver is not None  # an open connection
            # Used outside SQLAlchemy's transactions: each statement commits on its own.
            accepted = await store.accept_deliveries_postgres(driver, batch, self._engine.dialect)
        except BaseException:
            # It may be broken (database restarted): drop it, the next batch connects anew.
            with contextlib.suppress(Exception):
                await connection.invalidate()
            with contextlib.suppress(Exception):
                await connection.close()
            raise
        self._connection = connection
        return accepted

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.close()


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
