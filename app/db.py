"""Engine, sessions and migrations glue for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

# Inside the package so an installed (non-editable) service still finds its migrations.
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _prepare_sqlite_path(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


# WAL lets readers (dashboard, admin) run while the worker writes; busy_timeout makes a second
# writer (process or connection) wait for the write lock instead of failing. A checkpoint
# (WAL → database, with two fsyncs) every 4,000 pages instead of SQLite's 1,000: with the
# inbox's random-key inserts the default's fsync pairs were half the cost of each row.
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA wal_autocheckpoint=4000",
    "PRAGMA busy_timeout=30000",
    "PRAGMA foreign_keys=ON",
)


def _apply_sqlite_pragmas(dbapi_connection: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def sqlite_path(url: str) -> str:
    """The database file of a SQLite URL."""
    database = make_url(url).database
    if not database or database == ":memory:":
        raise ValueError("an in-memory SQLite database cannot be shared between connections")
    return database


def connect_sqlite(url: str, *, on_event_loop: bool = False) -> sqlite3.Connection:
    """A plain `sqlite3` connection to the engine's database, in autocommit mode, with the
    engine's pragmas (for the inbox writer). `on_event_loop`: it must never block, so it
    neither waits for the write lock (SQLITE_BUSY at once) nor runs checkpoints."""
    connection = sqlite3.connect(sqlite_path(url), isolation_level=None)
    _apply_sqlite_pragmas(connection)
    if on_event_loop:
        connection.execute("PRAGMA busy_timeout=0")
        connection.execute("PRAGMA wal_autocheckpoint=0")
    return connection


def create_engine(url: str) -> AsyncEngine:
    if is_sqlite(url):
        _prepare_sqlite_path(url)
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            _apply_sqlite_pragmas(dbapi_connection)

        return engine
    return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessions() as session, session.begin():
        yield session


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


# Any fixed number: the PostgreSQL advisory lock that serialises migrations across replicas.
MIGRATION_LOCK_KEY = 0x45534341  # "ESCA"


def upgrade_sync(url: str, revision: str = "head") -> None:
    if is_sqlite(url):
        _prepare_sqlite_path(url)
        command.upgrade(alembic_config(url), revision)
        return
    # Replicas starting together would otherwise both run CREATE TABLE and one would crash
    # with a unique violation in pg_type.
    asyncio.run(_upgrade_locked(url, revision))


async def _upgrade_locked(url: str, revision: str) -> None:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await connection.execute(
                text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
            try:
                # Alembic's env runs its own event loop, so it gets a thread.
                await asyncio.to_thread(command.upgrade, alembic_config(url), revision)
            finally:
                await connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
    finally:
        await engine.dispose()


async def upgrade(url: str) -> None:
    """Apply migrations; Alembic's env runs its own event loop, so it gets a thread."""
    await asyncio.to_thread(upgrade_sync, url)
