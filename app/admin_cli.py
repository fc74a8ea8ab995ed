"""Database-side admin commands for the CLI (the service need not be running)."""

from __future__ import annotations

import typer

from app import db, store
from app.errors import AppError
from app.settings import Settings


async def list_deliveries(settings: Settings, *, status: str | None, limit: int) -> None:
    await db.upgrade(settings.database_url)
    engine = db.create_engine(settings.database_url)
    try:
        async with db.transaction(db.session_factory(engine)) as session:
            rows = await store.list_deliveries(session, status=status, limit=limit)
        typer.echo(f"{'id':>6}  {'status':<10} {'kind':<26} {'ticket':>7}  {'att':>3}  error")
        for d in rows:
            typer.echo(
                f"{d.id:>6}  {d.status:<10} {d.kind:<26} {d.ticket_id or '-':>7}  "
                f"{d.attempts:>3}  {(d.last_error or '')[:80]}"
            )
    finally:
        await engine.dispose()


async def replay(settings: Settings, delivery_id: int) -> int:
    await db.upgrade(settings.database_url)
    engine = db.create_engine(settings.database_url)
    try:
        async with db.transaction(db.session_factory(engine)) as session:
            await store.replay_delivery(session, delivery_id)
    except AppError as e:
        typer.echo(e.detail, err=True)
        return 1
    finally:
        await engine.dispose()
    typer.echo(f"delivery {delivery_id} queued again")
    return 0
