"""Escalations API: what managers and the dashboard read."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from app import intake, metrics, store
from app.deps import CsmDep, SessionDep, ViewerDep, WorkerDep
from app.errors import MAX_ID, BadRequest, NotFound, error_responses
from app.models import Escalation, EscalationEvent

router = APIRouter(prefix="/api", tags=["escalations"], responses=error_responses(401, 403, 422))


class EventOut(BaseModel):
    id: int
    kind: str
    at: datetime
    delivery_id: int | None
    data: dict[str, Any]

    @classmethod
    def of(cls, event: EscalationEvent) -> EventOut:
        return cls.model_validate(event, from_attributes=True)


class EscalationOut(BaseModel):
    ticket_id: int
    state: str
    outcome: str
    channel: str
    subject: str | None
    priority: str | None
    organization_id: int | None
    organization_name: str | None
    region: str | None
    manager_id: int | None
    group_id: int | None
    account_team: list[Any]
    basis: list[str]
    categories: list[str]
    evidence: list[str]
    reasons: list[str]
    sla_breach_eligible: bool
    sla_target_minutes: int | None
    sla_elapsed_minutes: int | None
    requested_by: str | None
    incident_id: str | None
    eligible_at: datetime | None
    requested_at: datetime
    escalated_at: datetime | None
    acknowledged_at: datetime | None
    next_update_due_at: datetime | None
    last_reminder_at: datetime | None
    closed_at: datetime | None
    close_reason: str | None
    updated_at: datetime

    @classmethod
    def of(cls, escalation: Escalation) -> EscalationOut:
        return cls.model_validate(escalation, from_attributes=True)


class EscalationDetail(EscalationOut):
    events: list[EventOut]


class EscalationPage(BaseModel):
    escalations: list[EscalationOut]
    next_cursor: str | None


@router.get("/escalations", response_model=EscalationPage, responses=error_responses(400))
async def list_escalations(
    _: ViewerDep,
    session: SessionDep,
    state: Annotated[str | None, Query(max_length=20)] = None,
    region: Annotated[str | None, Query(max_length=40)] = None,
    manager_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    organization_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=40)] = None,
) -> EscalationPage:
    """Escalations, newest first, with filters and cursor pagination."""
    before: int | None = None
    if cursor is not None:
        if not cursor.isdigit():
            raise BadRequest("cursor must be the next_cursor of a previous page")
        before = int(cursor)
    rows = await store.list_escalations(
        session,
        state=state,
        region=region,
        manager_id=manager_id,
        organization_id=organization_id,
        limit=limit + 1,
        before_id=before,
    )
    page = rows[:limit]
    next_cursor = str(page[-1].id) if len(rows) > limit else None
    return EscalationPage(escalations=[EscalationOut.of(e) for e in page], next_cursor=next_cursor)


@router.get(
    "/escalations/{ticket_id}", response_model=EscalationDetail, responses=error_responses(404)
)
async def get_escalation(
    ticket_id: Annotated[int, Path(ge=1, le=MAX_ID)], _: ViewerDep, session: SessionDep
) -> EscalationDetail:
    """One ticket's escalation with its timeline."""
    escalation = await store.get_escalation(session, ticket_id)
    if escalation is None:
        raise NotFound(f"no escalation for ticket {ticket_id}")
    events = await store.events_of(session, escalation.id)
    return EscalationDetail(
        **EscalationOut.of(escalation).model_dump(), events=[EventOut.of(e) for e in events]
    )


class CsmEscalationRequest(BaseModel):
    """Seed: "Via Your Customer Success Manager" — the CSM relays reason and business impact."""

    model_config = ConfigDict(extra="forbid")

    ticket_id: int = Field(gt=0, le=MAX_ID)
    reason: str = Field(min_length=3, max_length=10_000)
    business_impact: str = Field(min_length=3, max_length=10_000)
    requested_by: str = Field(min_length=3, max_length=300)


class EscalationRequested(BaseModel):
    delivery_id: int
    duplicate: bool


@router.post("/escalations", status_code=202, response_model=EscalationRequested)
async def request_escalation(
    body: CsmEscalationRequest,
    _: CsmDep,
    session: SessionDep,
    worker: WorkerDep,
    idempotency_key: Annotated[str | None, Header(max_length=180)] = None,
) -> EscalationRequested:
    """Escalate a ticket on a customer's behalf; evaluated like any request (202, queued)."""
    incoming = intake.csm_delivery(
        ticket_id=body.ticket_id,
        reason=body.reason,
        business_impact=body.business_impact,
        requested_by=body.requested_by,
        idempotency_key=idempotency_key,
    )
    accepted = await store.accept_delivery(session, incoming)
    await session.commit()
    if not accepted.duplicate:
        metrics.DELIVERIES_RECEIVED.labels(kind="csm_request").inc()
        if worker is not None:
            worker.wake()
    return EscalationRequested(delivery_id=accepted.delivery_id, duplicate=accepted.duplicate)
