"""Zendesk webhook intake: verify, store in the inbox, answer 202. Nothing slow happens here."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel
from starlette.types import ASGIApp, Receive, Scope, Send

from app import intake, metrics
from app.errors import AppError, PayloadTooLarge, error_response, error_responses
from app.inbox import InboxWriter
from app.models import utcnow
from app.settings import Settings
from app.worker import Worker

router = APIRouter(tags=["webhooks"])
WEBHOOK_PATH = "/webhooks/zendesk"


class DeliveryAccepted(BaseModel):
    delivery_id: int | None
    duplicate: bool
    ignored: bool = False


async def verified_body(request: Request, settings: Settings) -> bytes:
    """The raw body, only once its size and Zendesk signature check out (fails closed)."""
    limit = settings.webhook_max_bytes
    try:
        declared = int(request.headers.get("content-length", "0"))
    except ValueError:
        declared = 0
    if declared > limit:
        metrics.DELIVERIES_REJECTED.labels(reason="too_large").inc()
        raise PayloadTooLarge(f"body larger than {limit} bytes")
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > limit:  # a chunked body has no content-length to trust
            metrics.DELIVERIES_REJECTED.labels(reason="too_large").inc()
            raise PayloadTooLarge(f"body larger than {limit} bytes")
    body = bytes(received)
    try:
        intake.verify_signature(
            secret=settings.secret("webhook_secret"),
            signature=request.headers.get(intake.SIGNATURE_HEADER),
            timestamp=request.headers.get(intake.TIMESTAMP_HEADER),
            body=body,
            now=utcnow(),
            tolerance_seconds=settings.webhook_tolerance_seconds,
        )
    except AppError as e:
        metrics.DELIVERIES_REJECTED.labels(reason=e.extra.get("reason", "signature")).inc()
        raise
    return body


@router.post(
    WEBHOOK_PATH,
    status_code=202,
    response_model=DeliveryAccepted,
    responses=error_responses(400, 401, 413),
)
async def receive_zendesk_webhook(request: Request) -> Response:
    """Accept a signed Zendesk webhook into the inbox (202; duplicates are recognised)."""
    # The busiest route reads the app's state directly: FastAPI's dependency resolution was
    # a fifth of each request's time here.
    state = request.app.state
    body = await verified_body(request, state.settings)
    # Escalator's own Zendesk user, once known: events it caused itself need no processing.
    own_user_id = getattr(getattr(state, "pipeline", None), "self_id", None)
    incoming = intake.to_delivery(body, request.headers, own_user_id=own_user_id)
    if incoming is None:
        return _accepted(DeliveryAccepted(delivery_id=None, duplicate=False, ignored=True))
    inbox: InboxWriter = state.inbox
    accepted = await inbox.accept(incoming)
    if accepted.duplicate:
        metrics.DELIVERIES_DUPLICATE.inc()
    else:
        metrics.DELIVERIES_RECEIVED.labels(kind=incoming.kind).inc()
        worker: Worker | None = state.worker
        if worker is not None:
            worker.wake()
    return _accepted(
        DeliveryAccepted(delivery_id=accepted.delivery_id, duplicate=accepted.duplicate)
    )


class WebhookFastPath:
    """Serves `POST /webhooks/zendesk` ahead of the router, with the route's own function.

    Zendesk posts every ticket event here, so this is most of the service's traffic. Route
    matching over the app's ~40 routes, FastAPI's request wrappers and its exception middleware
    cost more than verifying and storing a delivery; here a webhook skips them. The route stays
    registered: it is the OpenAPI operation, and other paths still go through the router.
    Unexpected errors still reach the outer ServerErrorMiddleware (a 500, logged)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] != WEBHOOK_PATH
            or scope["method"] != "POST"
            or scope.get("root_path")
        ):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await receive_zendesk_webhook(request)
        except AppError as e:
            response = error_response(e)
        await response(scope, receive, send)


def _accepted(answer: DeliveryAccepted) -> Response:
    # Serialised by pydantic directly: this is the hottest path, and FastAPI's response-model
    # round trip (validate, encode, dump) was a noticeable share of each request.
    return Response(answer.model_dump_json(), status_code=202, media_type="application/json")
