"""What an inbox row says, whichever webhook kind delivered it.

Event-subscribed webhooks and the trigger body carry different things; the pipeline reads one
`TicketEvent` and decides from it whether any Zendesk call is needed at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from app.rules.context import Comment

EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")

EventKind = Literal[
    "comment_added",
    "email_ccs_changed",
    "created",
    "status_changed",
    "tags_changed",
    "trigger",
    "csm_request",
    "scheduled",
]


def emails_in(value: Any) -> list[str]:
    """Every address in a string, list or nested object, lower-cased, in order, once."""
    found: list[str] = []

    def walk(item: Any) -> None:
        if isinstance(item, str):
            found.extend(m.lower() for m in EMAIL.findall(item))
        elif isinstance(item, dict):
            for value in item.values():
                walk(value)
        elif isinstance(item, list | tuple):
            for value in item:
                walk(value)

    walk(value)
    return list(dict.fromkeys(found))


def ids_in(value: Any) -> list[int]:
    """User ids in a list of ids or of `{id: …}` objects."""
    ids: list[int] = []
    if isinstance(value, list):
        for item in value:
            raw = item.get("id") if isinstance(item, dict) else item
            if isinstance(raw, int) or (isinstance(raw, str) and raw.isdigit()):
                ids.append(int(raw))
    return ids


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _as_int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _words(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str):
        return value.replace(",", " ").split()
    return []


@dataclass
class TicketEvent:
    kind: EventKind
    ticket_id: int
    sequence_id: str | None = None
    comment: Comment | None = None
    # Addresses the payload says were added to the email CCs (event webhooks).
    added_cc_emails: list[str] = field(default_factory=list)
    added_cc_ids: list[int] = field(default_factory=list)
    # The ticket's whole current CC list (trigger body); None when the payload has none.
    current_cc_emails: list[str] | None = None
    tags: list[str] | None = None
    tags_added: list[str] = field(default_factory=list)
    tags_removed: list[str] = field(default_factory=list)
    status: str | None = None
    previous_status: str | None = None
    actor_id: int | None = None
    via_channel: str | None = None
    recipient: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def cc_change_unresolved(self) -> bool:
        """The CC event names users only by id: a read is needed to know who was added."""
        return self.kind == "email_ccs_changed" and not self.added_cc_emails


def _event_comment(event: dict[str, Any]) -> Comment | None:
    raw = event.get("comment")
    if not isinstance(raw, dict):
        return None
    author = raw.get("author") if isinstance(raw.get("author"), dict) else {}
    assert isinstance(author, dict)
    return Comment(
        id=_as_int(raw.get("id")),
        body=str(raw.get("body") or ""),
        html_body=raw.get("html_body") if isinstance(raw.get("html_body"), str) else None,
        public=_as_bool(raw.get("is_public", raw.get("public"))) is not False,
        author_id=_as_int(author.get("id", raw.get("author_id"))),
        author_is_staff=_as_bool(author.get("is_staff")),
    )


def _sequence_id(payload: dict[str, Any], event: dict[str, Any]) -> str | None:
    for holder in (event.get("meta"), payload.get("meta"), event, payload):
        if isinstance(holder, dict):
            sequence = holder.get("sequence")
            if isinstance(sequence, dict) and sequence.get("id"):
                return str(sequence["id"])
    return None


def parse_event(kind: str, ticket_id: int, payload: dict[str, Any]) -> TicketEvent:
    if kind == "trigger":
        return _parse_trigger(ticket_id, payload)
    if kind in ("csm_request", "scheduled"):
        return TicketEvent(kind=kind, ticket_id=ticket_id, data=payload)  # type: ignore[arg-type]
    short = kind.removeprefix("ticket.")
    detail = payload.get("detail") if isinstance(payload.get("detail"), dict) else {}
    event = payload.get("event") if isinstance(payload.get("event"), dict) else {}
    assert isinstance(detail, dict) and isinstance(event, dict)
    via = detail.get("via") if isinstance(detail.get("via"), dict) else {}
    assert isinstance(via, dict)
    parsed = TicketEvent(
        kind=short,  # type: ignore[arg-type]
        ticket_id=ticket_id,
        sequence_id=_sequence_id(payload, event),
        tags=_words(detail.get("tags")) if "tags" in detail else None,
        status=str(detail["status"]).lower() if detail.get("status") else None,
        actor_id=_as_int(detail.get("actor_id")),
        via_channel=str(via.get("channel")) if via.get("channel") else None,
        recipient=str(detail["recipient"]) if detail.get("recipient") else None,
        data=detail,
    )
    if short == "comment_added":
        parsed.comment = _event_comment(event)
    elif short == "email_ccs_changed":
        # Zendesk names the added users by id (`users_added`); tolerate address lists too.
        added: Any = next(
            (event[k] for k in ("users_added", "added", "added_email_ccs") if k in event), []
        )
        parsed.added_cc_emails = emails_in(added)
        parsed.added_cc_ids = ids_in(added)
    elif short == "status_changed":
        parsed.status = str(event.get("current") or parsed.status or "").lower() or None
        parsed.previous_status = str(event.get("previous") or "").lower() or None
    elif short == "tags_changed":
        parsed.tags_added = _words(event.get("added", event.get("tags_added")))
        parsed.tags_removed = _words(event.get("removed", event.get("tags_removed")))
    return parsed


def _parse_trigger(ticket_id: int, payload: dict[str, Any]) -> TicketEvent:
    raw_comment = payload.get("comment") if isinstance(payload.get("comment"), dict) else {}
    assert isinstance(raw_comment, dict)
    user = payload.get("current_user") if isinstance(payload.get("current_user"), dict) else {}
    assert isinstance(user, dict)
    role = str(user.get("role") or "").lower()
    comment = Comment(
        id=_as_int(raw_comment.get("id")),
        body=str(raw_comment.get("body") or ""),
        public=_as_bool(raw_comment.get("public")) is not False,
        author_id=_as_int(raw_comment.get("author_id") or user.get("id")),
        author_is_staff=(role in ("agent", "admin")) if role else None,
    )
    return TicketEvent(
        kind="trigger",
        ticket_id=ticket_id,
        comment=comment,
        current_cc_emails=emails_in(payload.get("email_ccs")) if "email_ccs" in payload else None,
        tags=_words(payload.get("tags")) if "tags" in payload else None,
        status=str(payload.get("status") or "").lower() or None,
        actor_id=_as_int(user.get("id")),
        via_channel=str(payload.get("via") or "").lower() or None,
        data=payload,
    )
