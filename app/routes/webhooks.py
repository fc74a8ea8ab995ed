"""Zendesk webhook intake: verify, store in the inbox, answer 202. Nothing slow happens here."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel
from starlette.datastructures import State
from starlette.types import Receive, Scope, Send

from app import intake, metrics
from app.errors import AppError, PayloadTooLarge, error_response, error_responses
from app.inbox import InboxWriter
from app.models import utcnow
from app.worker import Worker

router = APIRouter(tags=["webhooks"])
WEBHOOK_PATH = "/webhooks/zendesk"


class DeliveryAccepted(BaseModel):
    delivery_id: int | None
    duplicate: bool
    ignored: bool = False


async def read_body(receive: Receive, content_length: str | None, limit: int) -> bytes:
    """The raw body, refused (413) past `limit` bytes, declared or streamed."""
    try:
        declared = int(content_length or "0")
    except ValueError:
        declared = 0
    if declared > limit:
        metrics.DELIVERIES_REJECTED.labels(reason="too_large").inc()
        raise PayloadTooLarge(f"body larger than {limit} bytes")
    received = b""
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        received += message.get("body", b"")
        more = message.get("more_body", False)
        if len(received) > limit:  # a chunked body has no content-length to trust
            metrics.DELIVERIES_REJECTED.labels(reason="too_large").inc()
            raise PayloadTooLarge(f"body larger than {limit} bytes")
    return received


async def accept(state: State, headers: Mapping[str, str], body: bytes) -> DeliveryAccepted:
    """Verify a webhook's signature (fails closed) and store it in the inbox."""
    settings = state.settings
    try:
        intake.verify_signature(
            secret=settings.secret("webhook_secret"),
            signature=headers.get(intake.SIGNATURE_HEADER),
            timestamp=headers.get(intake.TIMESTAMP_HEADER),
            body=body,
            now=utcnow(),
            tolerance_seconds=settings.webhook_tolerance_seconds,
        )
    except AppError as e:
        metrics.DELIVERIES_REJECTED.labels(reason=e.extra.get("reason", "signature")).inc()
        raise
    # Escalator's own Zendesk user, once known: events it caused itself need no processing.
    own_user_id = getattr(getattr(state, "pipeline", None), "self_id", None)
    incoming = intake.to_delivery(body, headers, own_user_id=own_user_id)
    if incoming is None:
        return DeliveryAccepted(delivery_id=None, duplicate=False, ignored=True)
    inbox: InboxWriter = state.inbox
    accepted = await inbox.accept(incoming)
    if accepted.duplicate:
        metrics.DELIVERIES_DUPLICATE.inc()
    else:
        metrics.DELIVERIES_RECEIVED.labels(kind=incoming.kind).inc()
        worker: Worker | None = state.worker
        if worker is not None:
            worker.wake()
    return DeliveryAccepted(delivery_id=accepted.delivery_id, duplicate=accepted.duplicate)


@router.post(
    WEBHOOK_PATH,
    status_code=202,
    response_model=DeliveryAccepted,
    responses=error_responses(400, 401, 413),
)
async def receive_zendesk_webhook(request: Request) -> Response:
    """Accept a signed Zendesk webhook into the inbox (202; duplicates are recognised)."""
    # Reached through the router only when `serve_webhook` does not take the request (under a
    # root path); it is also the OpenAPI operation.
    state = request.app.state
    limit = state.settings.webhook_max_bytes
    body = await read_body(request.receive, request.headers.get("content-length"), limit)
    answer = await accept(state, request.headers, body)
    return Response(answer.model_dump_json(), status_code=202, media_type="application/json")


def is_webhook(scope: Scope) -> bool:
    return (
        scope["type"] == "http"
        and scope["path"] == WEBHOOK_PATH
        and scope["method"] == "POST"
        and not scope.get("root_path")
    )


async def serve_webhook(state: State, scope: Scope, receive: Receive, send: Send) -> None:
    """`POST /webhooks/zendesk` as a plain ASGI call, ahead of all of FastAPI (see
    `app.main.Escalator`).

    Zendesk posts every ticket event here, so this is most of the service's traffic. FastAPI's
    layers (its telemetry and body-limit middleware, Starlette's error middleware, route
    matching over ~40 routes, request and response objects) cost more than verifying and
    storing a delivery. Errors still go through the one error family; anything unexpected is
    answered 500 and re-raised for the server to log, as Starlette's error middleware does."""
    started = False

    async def respond(status: int, body: bytes) -> None:
        nonlocal started
        started = True
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    # ASGI header names are lower case; the first of a repeated header wins, as in Starlette.
    headers: dict[str, str] = {}
    for name, value in scope["headers"]:
        headers.setdefault(name.decode("latin-1"), value.decode("latin-1"))
    try:
        limit = state.settings.webhook_max_bytes
        body = await read_body(receive, headers.get("content-length"), limit)
        answer = await accept(state, headers, body)
        await respond(202, answer.model_dump_json().encode())
    except AppError as e:
        error = error_response(e)
        await respond(error.status_code, bytes(error.body))
    except Exception:
        if not started:
            await respond(500, _INTERNAL_ERROR)
        raise


_INTERNAL_ERROR = b'{"error":"InternalServerError","detail":"unexpected error"}'
