"""Zendesk webhook intake: verify, store in the inbox, answer 202. Nothing slow happens here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel

from app import intake, metrics
from app.deps import InboxDep, SettingsDep, WorkerDep
from app.errors import AppError, PayloadTooLarge, error_responses
from app.models import utcnow

router = APIRouter(tags=["webhooks"])


class DeliveryAccepted(BaseModel):
    delivery_id: int | None
    duplicate: bool
    ignored: bool = False


async def verified_body(request: Request, settings: SettingsDep) -> bytes:
    """The raw body, only once its size and Zendesk signature check out (fails closed)."""
    limit = settings.webhook_max_bytes
    try:
        declared = int(request.headers.get("content-length", "0"))
    except ValueError:
        declared = 0
    if declared > limit:
        metrics.DELIVERIES_REJECTED.labels(reason="too_large").inc()
        raise PayloadTooLarge(f"body larger than {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:  # a chunked body has no content-length to trust
            metrics.DELIVERIES_REJECTED.labels(reason="too_large").inc()
            raise PayloadTooLarge(f"body larger than {limit} bytes")
    try:
        intake.verify_signature(
            secret=settings.secret("webhook_secret"),
            signature=request.headers.get(intake.SIGNATURE_HEADER),
            timestamp=request.headers.get(intake.TIMESTAMP_HEADER),
            body=bytes(body),
            now=utcnow(),
            tolerance_seconds=settings.webhook_tolerance_seconds,
        )
    except AppError as e:
        metrics.DELIVERIES_REJECTED.labels(reason=e.extra.get("reason", "signature")).inc()
        raise
    return bytes(body)


def own_user_id(request: Request) -> int | None:
    """Escalator's Zendesk user, once known: events it caused itself need no processing."""
    pipeline = getattr(request.app.state, "pipeline", None)
    return getattr(pipeline, "self_id", None)


@router.post(
    "/webhooks/zendesk",
    status_code=202,
    response_model=DeliveryAccepted,
    responses=error_responses(400, 401, 413),
)
async def receive_zendesk_webhook(
    request: Request,
    body: Annotated[bytes, Depends(verified_body)],
    inbox: InboxDep,
    worker: WorkerDep,
) -> Response:
    """Accept a signed Zendesk webhook into the inbox (202; duplicates are recognised)."""
    incoming = intake.to_delivery(body, request.headers, own_user_id=own_user_id(request))
    if incoming is None:
        return _accepted(DeliveryAccepted(delivery_id=None, duplicate=False, ignored=True))
    accepted = await inbox.accept(incoming)
    if accepted.duplicate:
        metrics.DELIVERIES_DUPLICATE.inc()
    else:
        metrics.DELIVERIES_RECEIVED.labels(kind=incoming.kind).inc()
        if worker is not None:
            worker.wake()
    return _accepted(
        DeliveryAccepted(delivery_id=accepted.delivery_id, duplicate=accepted.duplicate)
    )


def _accepted(answer: DeliveryAccepted) -> Response:
    # Serialised by pydantic directly: this is the hottest path, and FastAPI's response-model
    # round trip (validate, encode, dump) was a noticeable share of each request.
    return Response(answer.model_dump_json(), status_code=202, media_type="application/json")
