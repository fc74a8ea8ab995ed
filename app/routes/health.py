"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import Literal

import structlog
from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import text

from app import metrics, store
from app.deps import SessionDep, ZendeskDep

router = APIRouter(tags=["health"])
log = structlog.get_logger()


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ok", "unavailable"]
    database: str
    zendesk: str


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """The process is up."""
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
async def readyz(session: SessionDep, zendesk: ZendeskDep, response: Response) -> Readiness:
    """Ready when the database answers and Zendesk accepts our credentials."""
    database = zendesk_state = "ok"
    try:
        await session.execute(text("SELECT 1"))
    except Exception as e:
        database = f"error: {type(e).__name__}"
    try:
        await zendesk.check_auth()
    except Exception as e:
        detail = getattr(e, "detail", None) or type(e).__name__
        zendesk_state = f"unreachable: {detail}"
        log.warning("readyz.zendesk_unreachable", reason=str(detail))
    ok = database == "ok" and zendesk_state == "ok"
    if not ok:
        response.status_code = 503
    return Readiness(status="ok" if ok else "unavailable", database=database, zendesk=zendesk_state)


@router.get("/metrics", response_class=Response)
async def prometheus_metrics(session: SessionDep) -> Response:
    """Prometheus text exposition."""
    counts = await store.delivery_counts(session)
    metrics.QUEUE_DEPTH.set(counts["pending"] + counts["processing"])
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
