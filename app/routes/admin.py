"""Admin API: rules, dry-run, and the inbox's deliveries. Bearer ADMIN_TOKEN."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel

from app import store
from app.deps import AdminDep, RulesDep, SessionDep, WorkerDep
from app.dryrun import DryRunRequest, DryRunResult, dry_run
from app.errors import MAX_ID, BadRequest, error_responses
from app.models import Delivery, utcnow

router = APIRouter(prefix="/admin", tags=["admin"], responses=error_responses(401, 403, 422))

DeliveryStatus = Literal["pending", "processing", "done", "dead"]


class DeliveryOut(BaseModel):
    id: int
    kind: str
    ticket_id: int | None
    status: str
    attempts: int
    outcome: str | None
    last_error: str | None
    received_at: datetime
    next_attempt_at: datetime
    processed_at: datetime | None

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryOut:
        return cls.model_validate(delivery, from_attributes=True)


class DeliveryList(BaseModel):
    deliveries: list[DeliveryOut]
    counts: dict[str, int]


class RulesOut(BaseModel):
    version: int | None
    source: str
    author: str | None
    saved_at: datetime | None
    text: str
    rules: dict[str, Any]


class RulesVersionOut(BaseModel):
    version: int
    author: str
    saved_at: datetime


class RulesHistory(BaseModel):
    versions: list[RulesVersionOut]


@router.get("/deliveries", response_model=DeliveryList)
async def list_deliveries(
    _: AdminDep,
    session: SessionDep,
    status: Annotated[DeliveryStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> DeliveryList:
    """Inbox rows, newest first, optionally by status."""
    rows = await store.list_deliveries(session, status=status, limit=limit)
    counts = await store.delivery_counts(session)
    return DeliveryList(deliveries=[DeliveryOut.of(d) for d in rows], counts=counts)


@router.post(
    "/deliveries/{delivery_id}/replay",
    response_model=DeliveryOut,
    responses=error_responses(404, 409),
)
async def replay_delivery(
    delivery_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    _: AdminDep,
    session: SessionDep,
    worker: WorkerDep,
) -> DeliveryOut:
    """Queue a dead (or finished) delivery again with a fresh attempt budget."""
    delivery = await store.replay_delivery(session, delivery_id)
    await session.commit()
    if worker is not None:
        worker.wake()
    return DeliveryOut.of(delivery)


def _rules_out(rules: RulesDep) -> RulesOut:
    snap = rules.snapshot
    return RulesOut(
        version=snap.version,
        source=snap.source,
        author=snap.author,
        saved_at=snap.saved_at,
        text=snap.text,
        rules=snap.config.model_dump(mode="json"),
    )


@router.get("/rules", response_model=RulesOut)
async def get_rules(_: AdminDep, rules: RulesDep, session: SessionDep) -> RulesOut:
    """The rules in force and their version."""
    await rules.refresh(session)
    return _rules_out(rules)


async def rules_text(request: Request) -> str:
    """The YAML to save: a raw YAML body, or JSON `{"text": "..."}` (what the admin page sends)."""
    raw = await request.body()
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("rules must be UTF-8 text") from None
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            parsed = json.loads(decoded)
        except json.JSONDecodeError as e:
            raise BadRequest(f"body is not valid JSON: {e}") from None
        if not isinstance(parsed, dict) or not isinstance(parsed.get("text"), str):
            raise BadRequest('JSON body must be {"text": "<rules YAML>"}')
        decoded = parsed["text"]
    return decoded


RULES_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/yaml": {"schema": {"type": "string"}},
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["text"],
                    "properties": {"text": {"type": "string"}},
                }
            },
        },
    }
}


@router.put(
    "/rules", response_model=RulesOut, openapi_extra=RULES_BODY, responses=error_responses(400)
)
async def put_rules(
    principal: AdminDep,
    rules: RulesDep,
    session: SessionDep,
    text: Annotated[str, Depends(rules_text)],
) -> RulesOut:
    """Validate and save a new rules version (422 lists each error as `path: message`)."""
    await rules.save(session, text=text, author=principal.name)
    return _rules_out(rules)


@router.get("/rules/history", response_model=RulesHistory)
async def rules_history(_: AdminDep, session: SessionDep) -> RulesHistory:
    """Saved rules versions, newest first."""
    versions = await store.rules_history(session)
    return RulesHistory(
        versions=[
            RulesVersionOut(version=v.id, author=v.author, saved_at=v.created_at) for v in versions
        ]
    )


@router.post("/rules/dry-run", response_model=DryRunResult)
async def dry_run_rules(request: DryRunRequest, _: AdminDep, rules: RulesDep) -> DryRunResult:
    """Evaluate a ticket and comment as the pipeline would, without calling Zendesk."""
    return dry_run(request, active=rules.config, now=utcnow())
