"""Webhook intake: Zendesk's signature check and turning a verified body into an inbox row.

Pure functions: the route reads the request and calls these.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from app.errors import BadRequest, Unauthorized
from app.store import IncomingDelivery

SIGNATURE_HEADER = "x-zendesk-webhook-signature"
TIMESTAMP_HEADER = "x-zendesk-webhook-signature-timestamp"
INVOCATION_HEADER = "x-zendesk-webhook-invocation-id"
EVENT_PREFIX = "zen:event-type:"
TRIGGER_MARKER = "trigger-v1"

# The event types the pipeline acts on; others are acknowledged and dropped.
HANDLED_EVENTS = frozenset(
    {
        "ticket.comment_added",
        "ticket.email_ccs_changed",
        "ticket.created",
        "ticket.status_changed",
        "ticket.tags_changed",
    }
)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Zendesk's scheme: base64(HMAC-SHA256(secret as UTF-8 text, timestamp + body)).
    https://developer.zendesk.com/documentation/webhooks/verifying/"""
    digest = hmac.digest(secret.encode(), timestamp.encode() + body, "sha256")
    return base64.b64encode(digest).decode()


def parse_timestamp(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("timestamp without a zone")
    return parsed.astimezone(UTC)


def verify_signature(
    *,
    secret: str,
    signature: str | None,
    timestamp: str | None,
    body: bytes,
    now: datetime,
    tolerance_seconds: int,
) -> None:
    """Raise Unauthorized unless the body was signed with `secret` within the tolerance."""
    # An empty secret verifies against an empty key, which anyone can forge.
    if not secret:
        raise Unauthorized("webhook secret not configured", reason="no_secret")
    if not signature or not timestamp:
        raise Unauthorized("missing signature headers", reason="missing_headers")
    try:
        signed_at = parse_timestamp(timestamp)
    except ValueError:
        raise Unauthorized("unparseable signature timestamp", reason="bad_timestamp") from None
    if abs((now - signed_at).total_seconds()) > tolerance_seconds:
        raise Unauthorized("signature timestamp outside the allowed window", reason="stale")
    expected = sign(secret, timestamp, body)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        raise Unauthorized("signature does not match", reason="bad_signature")


def _reject_constant(name: str) -> Any:
    # NaN and Infinity are not JSON: PostgreSQL's json type refuses them, and the body is stored
    # as received.
    raise ValueError(f"{name} is not a JSON value")


def _ticket_id(value: Any) -> int | None:
    try:
        ticket_id = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return ticket_id if ticket_id > 0 else None


def to_delivery(
    body: bytes, headers: Mapping[str, str], *, own_user_id: int | None = None
) -> IncomingDelivery | None:
    """The inbox row for a verified body, or None for an event Escalator does not use: an
    unhandled type, or the echo of Escalator's own write (its API user is the actor)."""
    try:
        text = body.decode("utf-8-sig")  # Zendesk sends UTF-8
        payload = json.loads(text, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as e:
        raise BadRequest(f"body is not valid JSON: {e}") from None
    if not isinstance(payload, dict):
        raise BadRequest("body must be a JSON object")
    invocation = headers.get(INVOCATION_HEADER)
    event_type = payload.get("type")
    if isinstance(event_type, str) and event_type.startswith(EVENT_PREFIX):
        kind = event_type.removeprefix(EVENT_PREFIX)
        if kind not in HANDLED_EVENTS:
            return None
        detail = payload.get("detail")
        ticket_id = _ticket_id(detail.get("id")) if isinstance(detail, dict) else None
        if ticket_id is None:
            raise BadRequest("event has no detail.id")
        assert isinstance(detail, dict)
        if own_user_id is not None and _ticket_id(detail.get("actor_id")) == own_user_id:
            return None
        # The event id is stable across Zendesk's retries of the same event.
        key = payload.get("id") or invocation
    elif payload.get("escalator") == TRIGGER_MARKER:
        kind = "trigger"
        ticket_id = _ticket_id(payload.get("ticket_id"))
        if ticket_id is None:
            raise BadRequest("trigger body has no ticket_id")
        user = payload.get("current_user")
        own = own_user_id is not None and isinstance(user, dict)
        if own and _ticket_id(user.get("id")) == own_user_id:  # type: ignore[union-attr]
            return None
        key = invocation
    else:
        raise BadRequest(
            "unrecognised body: expected a Zendesk event (type zen:event-type:…) "
            f'or the trigger body ("escalator": "{TRIGGER_MARKER}")'
        )
    if not key:
        # Without an id, an identical body is the best identity a retry has.
        key = "sha256:" + hashlib.sha256(body).hexdigest()
    return IncomingDelivery(
        dedupe_key=f"zendesk:{str(key)[:180]}",
        kind=kind,
        ticket_id=ticket_id,
        payload=payload,
        payload_json=text,
    )


def csm_delivery(
    *,
    ticket_id: int,
    reason: str,
    business_impact: str,
    requested_by: str,
    idempotency_key: str | None,
) -> IncomingDelivery:
    """A CSM's escalation request as an inbox row. Without an Idempotency-Key every call is a
    new request; with one, a client's retry is recognised."""
    text = f"{reason.strip()}\n\n{business_impact.strip()}"
    key = idempotency_key or hashlib.sha256(os.urandom(16)).hexdigest()
    return IncomingDelivery(
        dedupe_key=f"csm:{key[:180]}",
        kind="csm_request",
        ticket_id=ticket_id,
        payload={"text": text, "requested_by": requested_by},
    )
