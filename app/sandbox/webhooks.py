"""Webhook emission the way Zendesk does it: after the change, asynchronously, signed, retried.

Two kinds, chosen by `webhook_mode`:
- "event": one event-subscribed webhook per ticket event (envelope with `detail` and `event`),
  https://developer.zendesk.com/api-reference/webhooks/event-types/ticket-events/
- "trigger": a trigger's "Notify webhook" action with the JSON body in
  `app/templates/zendesk/trigger_body.json`, placeholders rendered,
  https://support.zendesk.com/hc/en-us/articles/4408886858138
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from app.sandbox.config import SandboxConfig
from app.sandbox.store import JSON, Account, Change, Ticket, User, iso

TRIGGER_BODY_PATH = (
    Path(__file__).resolve().parent.parent / "templates" / "zendesk" / "trigger_body.json"
)
EVENT_PREFIX = "zen:event-type:ticket."
# Attempts per delivery and the pause before each retry (seconds). Zendesk retries failed
# deliveries a few times too; the exact schedule is not public.
RETRY_DELAYS = (0.1, 0.3, 0.9)
SEND_TIMEOUT = 10.0


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """base64(HMAC-SHA256(secret as UTF-8 text, timestamp + body)).

    https://developer.zendesk.com/documentation/webhooks/verifying/
    """
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _nanos(moment: datetime) -> str:
    # Zendesk's envelope `time` carries nanoseconds: 2025-01-08T10:12:07.672717030Z
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


def _id(value: int | None) -> str | None:
    # Ids in the event `detail` are strings, as in Zendesk's examples.
    return None if value is None else str(value)


def _upper(value: str | None) -> str | None:
    # Zendesk's examples spell enum values upper-case in event payloads: "OPEN", "LOW", "TASK".
    return None if value is None else value.upper()


def _event_channel(ticket: Ticket) -> str:
    # The REST API says "api"/"email"; event payloads say "web_service"/"mail".
    channel = str(ticket.via["channel"])
    return {"api": "web_service", "email": "mail"}.get(channel, channel)


def ticket_detail(ticket: Ticket, actor_id: int) -> JSON:
    return {
        "actor_id": str(actor_id),
        "assignee_id": _id(ticket.assignee_id),
        "brand_id": "1",
        "created_at": iso(ticket.created_at),
        "custom_status": None,
        "description": ticket.description,
        "external_id": None,
        "form_id": "1",
        "group_id": _id(ticket.group_id),
        "id": str(ticket.id),
        "is_public": ticket.is_public,
        "organization_id": _id(ticket.organization_id),
        "priority": _upper(ticket.priority),
        "requester_id": str(ticket.requester_id),
        "status": _upper(ticket.status),
        "subject": ticket.subject,
        "submitter_id": str(ticket.submitter_id),
        "tags": list(ticket.tags),
        "type": _upper(ticket.type),
        "updated_at": iso(ticket.updated_at),
        "via": {"channel": _event_channel(ticket)},
    }


def event_payloads(account: Account, change: Change, account_id: int) -> list[tuple[str, JSON]]:
    """One (type, envelope) per ticket event of one change; all share one sequence id."""
    ticket = change.ticket
    events: list[tuple[str, JSON]] = []
    if change.created:
        events.append(("created", {}))
    if change.comment is not None:
        author = account.users.get(change.comment.author_id)
        events.append(
            (
                "comment_added",
                {
                    "comment": {
                        "author": {
                            "id": str(change.comment.author_id),
                            "is_staff": bool(author and author.is_staff),
                            "name": author.name if author else "",
                        },
                        "body": change.comment.body,
                        "html_body": change.comment.html_body,
                        "id": str(change.comment.id),
                        "is_public": change.comment.public,
                    }
                },
            )
        )
    if change.cc_added or change.cc_removed:
        events.append(
            (
                "email_ccs_changed",
                {
                    "users_added": [str(u) for u in change.cc_added],
                    "users_removed": [str(u) for u in change.cc_removed],
                },
            )
        )
    if not change.created and change.previous_status != ticket.status:
        events.append(
            (
                "status_changed",
                {"current": _upper(ticket.status), "previous": _upper(change.previous_status)},
            )
        )
    if not change.created and (change.tags_added or change.tags_removed):
        events.append(
            ("tags_changed", {"tags_added": change.tags_added, "tags_removed": change.tags_removed})
        )
    sequence = uuid.uuid4().hex.upper()
    detail = ticket_detail(ticket, change.actor_id)
    now = datetime.now(UTC)
    out = []
    for position, (kind, event) in enumerate(events, start=1):
        # `meta.sequence` ties together the events of one action.
        event["meta"] = {"sequence": {"id": sequence, "position": position}}
        out.append(
            (
                kind,
                {
                    "account_id": account_id,
                    "detail": detail,
                    "event": event,
                    "id": str(uuid.uuid4()),
                    "subject": f"zen:ticket:{ticket.id}",
                    "time": _nanos(now),
                    "type": EVENT_PREFIX + kind,
                    "zendesk_event_version": "2022-11-06",
                },
            )
        )
    return out


# ---- trigger bodies -------------------------------------------------------------------------

_STATUS_TITLES = {"hold": "On-hold"}
_VIA_TITLES = {"api": "Web Service", "email": "Mail", "web": "Web form"}
_ROLE_TITLES = {"admin": "Admin", "agent": "Agent", "end-user": "End user"}
_CC_LOOP = re.compile(
    r"\{%-?\s*for\s+(\w+)\s+in\s+ticket\.ccs\s*-?%\}(.*?)\{%-?\s*endfor\s*-?%\}", re.S
)
_PLACEHOLDER = re.compile(r"\{\{\s*([\w.]+)\s*\}\}")


def _json_text(value: str) -> str:
    """A value escaped for use inside a JSON string, so a comment cannot break the body."""
    return json.dumps(value)[1:-1]


def placeholder_values(account: Account, change: Change) -> dict[str, str]:
    ticket = change.ticket
    current: User | None = account.users.get(change.actor_id)
    latest = ticket.comments[-1] if ticket.comments else None
    values: dict[str, str] = {
        "ticket.id": str(ticket.id),
        "ticket.title": ticket.subject,
        "ticket.description": ticket.description,
        "ticket.status": _STATUS_TITLES.get(ticket.status, ticket.status.capitalize()),
        "ticket.priority": (ticket.priority or "-").capitalize(),
        "ticket.tags": " ".join(ticket.tags),
        "ticket.via": _VIA_TITLES.get(str(ticket.via["channel"]), str(ticket.via["channel"])),
        "ticket.organization.id": _id(ticket.organization_id) or "",
        "ticket.requester.id": str(ticket.requester_id),
        "ticket.requester.email": account.users[ticket.requester_id].email,
        "ticket.assignee.id": _id(ticket.assignee_id) or "",
        "ticket.group.id": _id(ticket.group_id) or "",
        "ticket.updated_at_with_timestamp": iso(ticket.updated_at),
        "ticket.created_at_with_timestamp": iso(ticket.created_at),
        "ticket.email_cc_names": ", ".join(account.users[u].name for u in ticket.email_cc_ids),
        "ticket.latest_comment": latest.body if latest else "",
        "ticket.latest_comment.value": latest.body if latest else "",
        "ticket.latest_comment.id": str(latest.id) if latest else "",
        "ticket.latest_comment.is_public": str(latest.public).lower() if latest else "",
        "ticket.latest_comment.author.id": str(latest.author_id) if latest else "",
        "current_user.id": str(current.id) if current else "",
        "current_user.email": current.email if current else "",
        "current_user.name": current.name if current else "",
        "current_user.role": _ROLE_TITLES.get(current.role, current.role) if current else "",
    }
    for fid, value in ticket.custom_fields.items():
        values[f"ticket.ticket_field_{fid}"] = "" if value is None else str(value)
    return values


def render_trigger_body(template: str, account: Account, change: Change) -> str:
    """Substitute the placeholders the sandbox knows; unknown ones render empty, as in Zendesk."""
    ccs = [account.users[u] for u in change.ticket.email_cc_ids]

    def loop(match: re.Match[str]) -> str:
        var, inner = match.group(1), match.group(2)
        parts = []
        for cc in ccs:
            part = re.sub(r"\{\{\s*" + var + r"\.email\s*\}\}", _json_text(cc.email), inner)
            part = re.sub(r"\{\{\s*" + var + r"\.name\s*\}\}", _json_text(cc.name), part)
            parts.append(part)
        return "".join(parts)

    values = placeholder_values(account, change)
    rendered = _CC_LOOP.sub(loop, template)
    return _PLACEHOLDER.sub(lambda m: _json_text(values.get(m.group(1), "")), rendered)


# ---- delivery -------------------------------------------------------------------------------


@dataclass
class Delivery:
    invocation_id: str
    type: str
    ticket_id: int
    url: str
    body: bytes


class WebhookEmitter:
    """A few sender tasks, each with its own queue; a ticket always maps to the same one, so
    one ticket's deliveries leave in the order they happened while different tickets' go out
    side by side (as Zendesk's do: one serial sender would make the simulator the bottleneck)."""

    SENDERS = 8

    def __init__(self, config: SandboxConfig, webhook_id: str) -> None:
        self.config = config
        self.webhook_id = webhook_id
        self.deliveries: list[JSON] = []
        self._queues: list[asyncio.Queue[Delivery]] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._client: httpx.AsyncClient | None = None
        self._in_flight = 0

    @property
    def pending(self) -> int:
        """Webhooks queued or being sent: tests wait for 0 instead of guessing a delay."""
        return sum(q.qsize() for q in self._queues) + self._in_flight

    def emit(self, account: Account, change: Change) -> None:
        """Queue the webhooks of one change. Never waits: the API response goes first."""
        url = self.config.webhook_url
        if not url:
            return
        if self.config.webhook_mode == "trigger":
            # A typical "Notify webhook" trigger fires when a comment is present.
            if change.comment is None:
                return
            template = TRIGGER_BODY_PATH.read_text(encoding="utf-8")
            body = render_trigger_body(template, account, change).encode()
            self._put(Delivery(str(uuid.uuid4()), "trigger", change.ticket.id, url, body))
            return
        for kind, payload in event_payloads(account, change, self.config.account_id):
            body = json.dumps(payload, separators=(",", ":")).encode()
            self._put(Delivery(str(uuid.uuid4()), EVENT_PREFIX + kind, change.ticket.id, url, body))

    def _put(self, delivery: Delivery) -> None:
        if not self._queues:
            self._queues = [asyncio.Queue() for _ in range(self.SENDERS)]
        if not self._tasks or any(t.done() for t in self._tasks):
            loop = asyncio.get_running_loop()
            for task in self._tasks:
                task.cancel()
            self._tasks = [loop.create_task(self._run(q)) for q in self._queues]
        self._queues[(delivery.ticket_id or 0) % self.SENDERS].put_nowait(delivery)

    def clear(self) -> None:
        self.deliveries.clear()
        for queue in self._queues:
            while not queue.empty():
                queue.get_nowait()

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _run(self, queue: asyncio.Queue[Delivery]) -> None:
        while True:
            delivery = await queue.get()
            self._in_flight += 1
            try:
                await self._deliver(delivery)
            finally:
                self._in_flight -= 1

    async def _deliver(self, delivery: Delivery) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=SEND_TIMEOUT)
        for attempt, delay in enumerate((0.0, *RETRY_DELAYS), start=1):
            if delay:
                await asyncio.sleep(delay)
            record: JSON = {
                "id": delivery.invocation_id,
                "type": delivery.type,
                "ticket_id": delivery.ticket_id,
                "attempt": attempt,
                "url": delivery.url,
                "payload": json.loads(delivery.body),
            }
            try:
                response = await self._client.post(
                    delivery.url, content=delivery.body, headers=self._headers(delivery)
                )
            except httpx.HTTPError as e:
                record.update(error=f"{type(e).__name__}: {e}", time=iso(datetime.now(UTC)))
                self.deliveries.append(record)
                continue
            record.update(status_code=response.status_code, time=iso(datetime.now(UTC)))
            self.deliveries.append(record)
            if response.status_code < 500:
                return

    def _headers(self, delivery: Delivery) -> dict[str, str]:
        # A retry is signed again with a fresh timestamp but keeps its invocation id.
        timestamp = iso(datetime.now(UTC))
        return {
            "Content-Type": "application/json",
            "User-Agent": "Zendesk Webhook (sandbox)",
            "X-Zendesk-Webhook-Signature": sign(
                self.config.webhook_secret, timestamp, delivery.body
            ),
            "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
            "x-zendesk-account-id": str(self.config.account_id),
            "x-zendesk-webhook-id": self.webhook_id,
            "x-zendesk-webhook-invocation-id": delivery.invocation_id,
        }
