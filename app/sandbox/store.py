"""In-memory Zendesk account: objects, the ticket update rules, audits and their JSON shapes.

No HTTP here: routes call these functions and turn `ZendeskError` into Zendesk's error bodies.
"""

from __future__ import annotations

import html
import itertools
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

JSON = dict[str, Any]

STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
AGENT_ROLES = ("agent", "admin")
API_USER_ID = 1
# First-reply targets (minutes) of the seeded SLA policy.
SLA_TARGETS = {"urgent": 60, "high": 240, "normal": 480, "low": 1440}


class ZendeskError(Exception):
    """A failure rendered with Zendesk's own status and body."""

    def __init__(self, status: int, body: JSON, headers: dict[str, str] | None = None) -> None:
        super().__init__(body.get("error", "error"))
        self.status = status
        self.body = body
        self.headers = headers or {}


def not_found() -> ZendeskError:
    return ZendeskError(404, {"error": "RecordNotFound", "description": "Not found"})


def invalid(details: dict[str, list[JSON]]) -> ZendeskError:
    return ZendeskError(
        422,
        {"error": "RecordInvalid", "description": "Record validation errors", "details": details},
    )


def field_error(name: str, description: str, error: str = "InvalidValue") -> dict[str, list[JSON]]:
    return {name: [{"description": description, "error": error}]}


# The body Zendesk answers a `safe_update` with when the ticket changed meanwhile.
# https://developer.zendesk.com/documentation/ticketing/managing-tickets/creating-and-updating-tickets/#protecting-against-ticket-update-collisions
UPDATE_CONFLICT: JSON = {
    "error": "UpdateConflict",
    "description": "Safe Update prevented the update due to outdated ticket data. "
    "Please fetch the latest ticket data and try again.",
}


def iso(moment: datetime) -> str:
    """Zendesk's timestamp format: UTC, whole seconds, `Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def normalize_tag(tag: str) -> str:
    # Zendesk stores tags lower-case with spaces turned into underscores.
    return re.sub(r"\s+", "_", tag.strip()).lower()


def merge_tags(current: list[str], extra: list[str]) -> list[str]:
    out = list(current)
    for tag in extra:
        norm = normalize_tag(tag)
        if norm and norm not in out:
            out.append(norm)
    return out


@dataclass
class User:
    id: int
    name: str
    email: str
    role: str
    organization_id: int | None = None
    default_group_id: int | None = None
    group_ids: list[int] = field(default_factory=list)
    created_at: datetime = field(default_factory=utcnow)

    @property
    def is_staff(self) -> bool:
        return self.role in AGENT_ROLES

    def to_json(self, base: str) -> JSON:
        return {
            "id": self.id,
            "url": f"{base}/api/v2/users/{self.id}.json",
            "name": self.name,
            "email": self.email,
            "role": self.role,
            "role_type": None,
            "organization_id": self.organization_id,
            "default_group_id": self.default_group_id,
            "active": True,
            "verified": True,
            "suspended": False,
            "shared": False,
            "time_zone": "UTC",
            "locale": "en-US",
            "tags": [],
            "user_fields": {},
            "created_at": iso(self.created_at),
            "updated_at": iso(self.created_at),
        }

    def cc_json(self) -> JSON:
        return {"id": self.id, "email": self.email, "name": self.name}


@dataclass
class Comment:
    id: int
    audit_id: int
    author_id: int
    body: str
    html_body: str
    public: bool
    created_at: datetime
    via: JSON

    def to_json(self) -> JSON:
        return {
            "id": self.id,
            "type": "Comment",
            "author_id": self.author_id,
            "body": self.body,
            "html_body": self.html_body,
            "plain_body": self.body,
            "public": self.public,
            "attachments": [],
            "audit_id": self.audit_id,
            "via": self.via,
            "created_at": iso(self.created_at),
            "metadata": {"system": {}, "custom": {}},
        }


@dataclass
class Audit:
    id: int
    ticket_id: int
    author_id: int
    created_at: datetime
    via: JSON
    events: list[JSON]

    def to_json(self) -> JSON:
        return {
            "id": self.id,
            "ticket_id": self.ticket_id,
            "created_at": iso(self.created_at),
            "author_id": self.author_id,
            "metadata": {"system": {}, "custom": {}},
            "via": self.via,
            "events": self.events,
        }


@dataclass
class Ticket:
    id: int
    subject: str
    description: str
    status: str
    priority: str | None
    requester_id: int
    submitter_id: int
    organization_id: int | None
    created_at: datetime
    updated_at: datetime
    via: JSON
    recipient: str | None = None
    type: str | None = None
    assignee_id: int | None = None
    group_id: int | None = None
    tags: list[str] = field(default_factory=list)
    email_cc_ids: list[int] = field(default_factory=list)
    follower_ids: list[int] = field(default_factory=list)
    custom_fields: dict[int, Any] = field(default_factory=dict)
    comments: list[Comment] = field(default_factory=list)
    audits: list[Audit] = field(default_factory=list)
    is_public: bool = True


@dataclass
class Change:
    """What one create/update did, for the webhook emitter."""

    ticket: Ticket
    audit: Audit
    actor_id: int
    created: bool = False
    comment: Comment | None = None
    cc_added: list[int] = field(default_factory=list)
    cc_removed: list[int] = field(default_factory=list)
    tags_added: list[str] = field(default_factory=list)
    tags_removed: list[str] = field(default_factory=list)
    previous_status: str | None = None


def via_api() -> JSON:
    return {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}}


def via_email(sender: User, recipient: str) -> JSON:
    return {
        "channel": "email",
        "source": {
            "from": {"address": sender.email, "name": sender.name},
            "to": {"address": recipient, "name": "Support"},
            "rel": None,
        },
    }


def html_of(body: str) -> str:
    escaped = html.escape(body).replace("\n", "<br>")
    return f'<div class="zd-comment" dir="auto">{escaped}</div>'


def text_of(html_body: str) -> str:
    text = re.sub(r"<br\s*/?>", "\n", html_body)
    return html.unescape(re.sub(r"<[^>]+>", "", text)).strip()


class Account:
    """Every object of one sandbox account. Rebuilt from scratch by `reset`."""

    def __init__(self, *, api_email: str, webhook_url: str | None, webhook_secret: str) -> None:
        self.api_email = api_email
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.reset()

    # ---- seed -----------------------------------------------------------------------------

    def reset(self) -> None:
        self.started_at = utcnow()
        self.users: dict[int, User] = {}
        self.organizations: dict[int, JSON] = {}
        self.groups: dict[int, JSON] = {}
        self.ticket_fields: dict[int, JSON] = {}
        self.tickets: dict[int, Ticket] = {}
        self.rules: dict[str, dict[Any, JSON]] = {"views": {}, "triggers": {}, "macros": {}}
        self.webhooks: dict[str, JSON] = {}
        self.job_statuses: dict[str, JSON] = {}
        self._ids = {
            "user": itertools.count(10001),
            "ticket": itertools.count(1005),
            "comment": itertools.count(50001),
            "audit": itertools.count(70001),
            "event": itertools.count(90001),
            "ticket_field": itertools.count(9101),
            "rule": itertools.count(360001),
            "org": itertools.count(1001),
        }
        self._seed()

    def next_id(self, kind: str) -> int:
        return next(self._ids[kind])

    def _seed(self) -> None:
        start = self.started_at
        for gid, name in ((300, "Support"), (301, "Escalations EMEA"), (302, "Escalations AMER")):
            self._add_group(gid, name)
        self._add_group(303, "Escalations APAC")
        self._add_user(1, "Escalator", self.api_email, "admin", group=300)
        managers = (
            (201, "emea.manager@example.com", "Eva Jansen", 301),
            (202, "amer.manager@example.com", "Alex Miller", 302),
            (203, "apac.manager@example.com", "Aiko Tanaka", 303),
        )
        for uid, email, name, gid in managers:
            self._add_user(uid, name, email, "agent", group=gid)
        self._add_user(210, "Sam Support", "engineer@example.com", "agent", group=300)
        team = (
            (211, "csm.emea@example.com", "Clara Schmidt"),
            (212, "pm.emea@example.com", "Pieter Mulder"),
            (213, "ae.emea@example.com", "Amelie Dubois"),
            (214, "csm.amer@example.com", "Chris Morgan"),
            (215, "pm.amer@example.com", "Pat Martinez"),
            (216, "ae.amer@example.com", "Avery Evans"),
            (217, "csm.apac@example.com", "Chen Wei"),
            (218, "pm.apac@example.com", "Priya Menon"),
            (219, "ae.apac@example.com", "Akira Endo"),
        )
        for uid, email, name in team:
            self._add_user(uid, name, email, "agent", group=300)
        orgs = (
            (101, "Acme Europe BV", "EMEA", "2030-12-31", "emea"),
            (102, "Globex Corporation", "AMER", "2030-12-31", "amer"),
            (103, "Initech Pacific", "APAC", "2030-12-31", "apac"),
            (104, "Umbrella Legacy", "EMEA", "2024-01-31", "emea"),
        )
        for oid, name, region, expires, key in orgs:
            self.organizations[oid] = {
                "id": oid,
                "name": name,
                "domain_names": [],
                "details": "",
                "notes": "",
                "group_id": None,
                "shared_tickets": False,
                "shared_comments": False,
                "tags": [],
                "external_id": None,
                "created_at": iso(start - timedelta(days=365)),
                "updated_at": iso(start - timedelta(days=30)),
                "organization_fields": {
                    "region": region,
                    "support_contract_expires": expires,
                    "csm_email": f"csm.{key}@example.com",
                    "partner_manager_email": f"pm.{key}@example.com",
                    "account_executive_email": f"ae.{key}@example.com",
                },
            }
        customers = (
            (401, "Olivia Ops", "ops@acme.example", 101),
            (402, "Ian Tech", "it@globex.example", 102),
            (403, "Suki Port", "support@initech.example", 103),
            (404, "Adam Min", "admin@umbrella.example", 104),
        )
        for uid, name, email, oid in customers:
            self._add_user(uid, name, email, "end-user", org=oid)
        fields = (
            (9001, "Escalation status", "text"),
            (9002, "Escalation basis", "text"),
            (9003, "SLA breach eligible", "checkbox"),
            (9004, "Business impact", "textarea"),
        )
        for fid, title, ftype in fields:
            self.ticket_fields[fid] = self._field_json(fid, {"title": title, "type": ftype})
        self.webhooks["01HSANDBOXESCALATOR0000001"] = {
            "id": "01HSANDBOXESCALATOR0000001",
            "name": "Escalator (sandbox)",
            "status": "active",
            "subscriptions": ["conditional_ticket_events"],
            "http_method": "POST",
            "request_format": "json",
            "authentication": None,
            "created_at": iso(start),
            "created_by": str(API_USER_ID),
            "updated_at": iso(start),
            "updated_by": str(API_USER_ID),
            "description": "Sends ticket comments to Escalator",
        }
        self._seed_tickets(start)

    def _seed_tickets(self, start: datetime) -> None:
        seeds = (
            (
                1001,
                401,
                "urgent",
                timedelta(days=3),
                "open",
                "Production app down after upgrade",
                "Since the upgrade this morning our production app returns errors for all users.",
            ),
            (
                1002,
                402,
                "normal",
                timedelta(minutes=1),
                "new",
                "Question about invoice layout",
                "Can we change the layout of the invoices we receive?",
            ),
            (
                1003,
                404,
                "high",
                timedelta(days=2),
                "open",
                "Reports fail to export",
                "Exporting monthly reports fails with a timeout.",
            ),
            (
                1004,
                403,
                "high",
                timedelta(hours=10),
                "open",
                "Intermittent login failures",
                "Some of our users cannot log in since yesterday.",
            ),
        )
        for tid, requester_id, priority, age, status, subject, body in seeds:
            requester = self.users[requester_id]
            created = start - age
            ticket = Ticket(
                id=tid,
                subject=subject,
                description=body,
                status=status,
                priority=priority,
                requester_id=requester_id,
                submitter_id=requester_id,
                organization_id=requester.organization_id,
                created_at=created,
                updated_at=created,
                via=via_email(requester, "support@sandbox.example"),
                recipient="support@sandbox.example",
                type="incident",
            )
            self.tickets[tid] = ticket
            audit = self._new_audit(ticket, requester_id, created, ticket.via)
            comment = self._add_comment(ticket, audit, requester_id, body, None, True, created)
            audit.events.extend(self._create_events(ticket, audit))
            audit.events.insert(0, self._comment_event(comment))
        reply_at = start - timedelta(hours=9)
        ticket = self.tickets[1004]
        ticket.assignee_id, ticket.group_id = 210, 300
        audit = self._new_audit(ticket, 210, reply_at, via_api())
        comment = self._add_comment(
            ticket, audit, 210, "We are looking into the login failures.", None, True, reply_at
        )
        audit.events.append(self._comment_event(comment))
        ticket.updated_at = reply_at

    def _add_group(self, gid: int, name: str) -> None:
        stamp = iso(self.started_at - timedelta(days=365))
        self.groups[gid] = {
            "id": gid,
            "name": name,
            "description": "",
            "default": gid == 300,
            "deleted": False,
            "is_public": True,
            "created_at": stamp,
            "updated_at": stamp,
        }

    def _add_user(
        self,
        uid: int,
        name: str,
        email: str,
        role: str,
        *,
        group: int | None = None,
        org: int | None = None,
    ) -> User:
        user = User(
            id=uid,
            name=name,
            email=email,
            role=role,
            organization_id=org,
            default_group_id=group,
            group_ids=[group] if group else [],
            created_at=self.started_at - timedelta(days=400),
        )
        self.users[uid] = user
        return user

    # ---- users ----------------------------------------------------------------------------

    def user(self, uid: int) -> User:
        found = self.users.get(uid)
        if found is None:
            raise not_found()
        return found

    def user_by_email(self, email: str) -> User | None:
        wanted = email.strip().lower()
        return next((u for u in self.users.values() if u.email.lower() == wanted), None)

    def find_or_create_end_user(self, email: str, name: str | None = None) -> User:
        """Like Zendesk, an unknown address becomes a new end user."""
        existing = self.user_by_email(email)
        if existing is not None:
            return existing
        uid = self.next_id("user")
        user = User(
            id=uid,
            name=name or email.split("@")[0],
            email=email.strip().lower(),
            role="end-user",
            organization_id=self._org_for_domain(email),
        )
        self.users[uid] = user
        return user

    def _org_for_domain(self, email: str) -> int | None:
        domain = email.rsplit("@", 1)[-1].lower()
        for org in self.organizations.values():
            if domain in org.get("domain_names", []):
                return int(org["id"])
        return None

    def create_user(self, data: JSON) -> User:
        email = str(data.get("email") or "").strip()
        name = str(data.get("name") or "").strip()
        if not name:
            raise invalid(field_error("name", "Name: cannot be blank", "BlankValue"))
        if email and self.user_by_email(email) is not None:
            raise invalid(
                field_error(
                    "email",
                    f"Email: {email} is already being used by another user",
                    "DuplicateValue",
                )
            )
        role = str(data.get("role") or "end-user")
        if role not in ("end-user", *AGENT_ROLES):
            raise invalid(field_error("role", "Role: is invalid"))
        uid = self.next_id("user")
        org = data.get("organization_id")
        group = data.get("default_group_id")
        user = User(
            id=uid,
            name=name,
            email=email.lower(),
            role=role,
            organization_id=int(org) if org else None,
            default_group_id=int(group) if group else None,
            group_ids=[int(group)] if group else [],
        )
        self.users[uid] = user
        return user

    # ---- tickets --------------------------------------------------------------------------

    def ticket(self, tid: int) -> Ticket:
        found = self.tickets.get(tid)
        if found is None:
            raise not_found()
        return found

    def _stamp(self, ticket: Ticket | None) -> datetime:
        """A new `updated_at`, strictly later than the last one, so every stamp is unique."""
        now = utcnow()
        if ticket is not None and now <= ticket.updated_at:
            return ticket.updated_at + timedelta(seconds=1)
        return now

    def _new_audit(self, ticket: Ticket, author_id: int, at: datetime, via: JSON) -> Audit:
        audit = Audit(self.next_id("audit"), ticket.id, author_id, at, via, [])
        ticket.audits.append(audit)
        return audit

    def _add_comment(
        self,
        ticket: Ticket,
        audit: Audit,
        author_id: int,
        body: str,
        html_body: str | None,
        public: bool,
        at: datetime,
    ) -> Comment:
        comment = Comment(
            id=self.next_id("comment"),
            audit_id=audit.id,
            author_id=author_id,
            body=body,
            html_body=html_body or html_of(body),
            public=public,
            created_at=at,
            via=audit.via,
        )
        ticket.comments.append(comment)
        return comment

    def _comment_event(self, comment: Comment) -> JSON:
        event = comment.to_json()
        event.pop("created_at")
        event.pop("metadata")
        event.pop("via")
        return event

    def _event(self, kind: str, name: str, value: Any, previous: Any = None) -> JSON:
        event: JSON = {
            "id": self.next_id("event"),
            "type": kind,
            "field_name": name,
            "value": value,
        }
        if kind == "Change":
            event["previous_value"] = previous
        return event

    def _create_events(self, ticket: Ticket, audit: Audit) -> list[JSON]:
        events = [
            self._event("Create", "subject", ticket.subject),
            self._event("Create", "status", ticket.status),
            self._event("Create", "priority", ticket.priority),
            self._event("Create", "requester_id", str(ticket.requester_id)),
        ]
        if ticket.tags:
            events.append(self._event("Create", "tags", list(ticket.tags)))
        for name in ("assignee_id", "group_id", "organization_id"):
            value = getattr(ticket, name)
            if value is not None:
                events.append(self._event("Create", name, str(value)))
        return events

    def _cc_event(self, before: list[int], after: list[int]) -> JSON:
        # Zendesk records an email-CC change as its own audit event type; see
        # https://developer.zendesk.com/documentation/ticketing/reference-guides/ticket-audit-events-reference/
        return {
            "id": self.next_id("event"),
            "type": "EmailCcChange",
            "previous_email_ccs": [self.users[u].cc_json() for u in before],
            "current_email_ccs": [self.users[u].cc_json() for u in after],
        }

    def create_ticket(
        self,
        data: JSON,
        *,
        actor_id: int = API_USER_ID,
        via: JSON | None = None,
        recipient: str | None = None,
    ) -> Change:
        requester = self._requester(data)
        comment_data = data.get("comment") or {}
        body, html_body = self._comment_text(comment_data)
        if not body and data.get("description"):
            body = str(data["description"])
        if not body:
            raise invalid(field_error("description", "Description: cannot be blank", "BlankValue"))
        status = str(data.get("status") or "new")
        priority = data.get("priority")
        self._check_enum("status", status, STATUSES)
        if priority is not None:
            self._check_enum("priority", priority, PRIORITIES)
        org_id = data.get("organization_id", requester.organization_id)
        if org_id is not None and int(org_id) not in self.organizations:
            raise invalid(field_error("organization_id", "Organization: is invalid"))
        assignee_id, group_id = self._assignment(data, None)
        if assignee_id is not None and status == "new":
            status = "open"
        custom = self._custom_fields(data.get("custom_fields") or data.get("fields"))
        now = utcnow()
        ticket = Ticket(
            id=self.next_id("ticket"),
            subject=str(data.get("subject") or body.splitlines()[0][:80]),
            description=body,
            status=status,
            priority=str(priority) if priority else None,
            requester_id=requester.id,
            submitter_id=actor_id if via is None else requester.id,
            organization_id=int(org_id) if org_id is not None else None,
            created_at=now,
            updated_at=now,
            via=via or via_api(),
            recipient=recipient or data.get("recipient"),
            type=data.get("type"),
            assignee_id=assignee_id,
            group_id=group_id,
            tags=merge_tags([], list(data.get("tags") or [])),
            custom_fields=custom,
        )
        self.tickets[ticket.id] = ticket
        audit = self._new_audit(ticket, actor_id, now, ticket.via)
        author = int(comment_data.get("author_id") or requester.id)
        public = bool(comment_data.get("public", True))
        ticket.is_public = public
        comment = self._add_comment(ticket, audit, author, body, html_body, public, now)
        audit.events.append(self._comment_event(comment))
        audit.events.extend(self._create_events(ticket, audit))
        change = Change(ticket, audit, actor_id, created=True, comment=comment)
        ccs = self._resolve_ccs(data, ticket)
        if ccs:
            ticket.email_cc_ids = ccs
            audit.events.append(self._cc_event([], ccs))
            change.cc_added = list(ccs)
        change.tags_added = list(ticket.tags)
        return change

    def _requester(self, data: JSON) -> User:
        if data.get("requester_id") is not None:
            rid = int(data["requester_id"])
            if rid not in self.users:
                raise invalid(field_error("requester_id", "Requester: is invalid"))
            return self.users[rid]
        requester = data.get("requester")
        if isinstance(requester, dict) and requester.get("email"):
            return self.find_or_create_end_user(str(requester["email"]), requester.get("name"))
        return self.users[API_USER_ID]

    def _comment_text(self, comment: JSON) -> tuple[str, str | None]:
        html_body = comment.get("html_body")
        body = comment.get("body")
        if body is None and html_body:
            body = text_of(str(html_body))
        return str(body or ""), str(html_body) if html_body else None

    def _check_enum(self, name: str, value: Any, allowed: tuple[str, ...]) -> None:
        if value not in allowed:
            raise invalid(field_error(name, f"{name.capitalize()}: {value} is not valid"))

    def _assignment(self, data: JSON, ticket: Ticket | None) -> tuple[int | None, int | None]:
        assignee_id = ticket.assignee_id if ticket else None
        group_id = ticket.group_id if ticket else None
        if "group_id" in data:
            group_id = int(data["group_id"]) if data["group_id"] is not None else None
            if group_id is not None and group_id not in self.groups:
                raise invalid(field_error("group_id", "Group: is invalid"))
        if "assignee_id" in data:
            assignee_id = int(data["assignee_id"]) if data["assignee_id"] is not None else None
            if assignee_id is not None:
                assignee = self.users.get(assignee_id)
                if assignee is None:
                    raise invalid(field_error("assignee_id", "Assignee: is invalid"))
                if not assignee.is_staff:
                    raise invalid(field_error("assignee_id", "Assignee: is not an agent"))
                if "group_id" not in data or group_id is None:
                    # Zendesk puts the ticket in the assignee's default group.
                    group_id = assignee.default_group_id
                elif group_id not in assignee.group_ids and assignee.role != "admin":
                    raise invalid(
                        field_error("assignee_id", "Assignee: is not a member of the group")
                    )
        return assignee_id, group_id

    def _custom_fields(self, entries: Any, current: dict[int, Any] | None = None) -> dict[int, Any]:
        out = dict(current or {})
        for entry in entries or []:
            fid = int(entry.get("id", 0))
            if fid not in self.ticket_fields:
                raise invalid(field_error("custom_fields", f"Ticket field {fid}: is invalid"))
            out[fid] = entry.get("value")
        return out

    def _resolve_user_ref(self, entry: Any, *, create: bool, field_name: str) -> User:
        if isinstance(entry, int | str) and str(entry).isdigit():
            entry = {"user_id": int(entry)}
        if not isinstance(entry, dict):
            raise invalid(field_error(field_name, f"{field_name}: is invalid"))
        if entry.get("user_id") is not None:
            user = self.users.get(int(entry["user_id"]))
            if user is None:
                raise invalid(field_error(field_name, f"User {entry['user_id']}: is invalid"))
            return user
        email = entry.get("user_email")
        if not email:
            raise invalid(field_error(field_name, f"{field_name}: user_id or user_email needed"))
        found = self.user_by_email(str(email))
        if found is not None:
            return found
        if not create:
            raise invalid(field_error(field_name, f"User {email}: is invalid"))
        return self.find_or_create_end_user(str(email), entry.get("user_name"))

    def _resolve_ccs(self, data: JSON, ticket: Ticket) -> list[int]:
        ccs = list(ticket.email_cc_ids)
        for entry in data.get("email_ccs") or []:
            user = self._resolve_user_ref(entry, create=True, field_name="email_ccs")
            action = entry.get("action", "put") if isinstance(entry, dict) else "put"
            if action == "delete":
                ccs = [u for u in ccs if u != user.id]
            elif user.id != ticket.requester_id and user.id not in ccs:
                # The requester is never their own CC; Zendesk drops it silently.
                ccs.append(user.id)
        for uid in data.get("email_cc_ids") or []:
            if int(uid) in self.users and int(uid) not in ccs:
                ccs.append(int(uid))
        return ccs

    def update_ticket(self, tid: int, data: JSON, *, actor_id: int = API_USER_ID) -> Change:
        """Apply one `PUT /tickets/{id}` body. Validates everything before changing anything."""
        ticket = self.ticket(tid)
        if data.get("safe_update") in (True, "true"):
            self._check_stamp(ticket, data.get("updated_stamp"))
        status = data.get("status")
        if status is not None:
            self._check_enum("status", status, STATUSES)
        if data.get("priority") is not None:
            self._check_enum("priority", data["priority"], PRIORITIES)
        assignee_id, group_id = self._assignment(data, ticket)
        custom = self._custom_fields(
            data.get("custom_fields") or data.get("fields"), ticket.custom_fields
        )
        followers = self._followers(data, ticket)
        snapshot_users = set(self.users)
        try:
            ccs = self._resolve_ccs(data, ticket)
        except ZendeskError:
            for uid in set(self.users) - snapshot_users:
                del self.users[uid]
            raise
        comment_data = data.get("comment") or {}
        body, html_body = self._comment_text(comment_data) if comment_data else ("", None)

        now = self._stamp(ticket)
        audit = self._new_audit(ticket, actor_id, now, via_api())
        change = Change(ticket, audit, actor_id, previous_status=ticket.status)
        if body:
            author = int(comment_data.get("author_id") or actor_id)
            public = bool(comment_data.get("public", True))
            comment = self._add_comment(ticket, audit, author, body, html_body, public, now)
            audit.events.append(self._comment_event(comment))
            change.comment = comment
        tags = self._new_tags(data, ticket.tags)
        if tags != ticket.tags:
            audit.events.append(self._event("Change", "tags", tags, list(ticket.tags)))
            change.tags_added = [t for t in tags if t not in ticket.tags]
            change.tags_removed = [t for t in ticket.tags if t not in tags]
            ticket.tags = tags
        if status is None and ticket.status == "new" and assignee_id is not None:
            status = "open"
        for name, value in (
            ("status", status),
            ("priority", data.get("priority")),
            ("subject", data.get("subject")),
            ("type", data.get("type")),
        ):
            if value is not None and value != getattr(ticket, name):
                audit.events.append(self._event("Change", name, value, getattr(ticket, name)))
                setattr(ticket, name, value)
        for name, new_id in (("assignee_id", assignee_id), ("group_id", group_id)):
            old_id = getattr(ticket, name)
            if new_id != old_id:
                audit.events.append(
                    self._event(
                        "Change",
                        name,
                        None if new_id is None else str(new_id),
                        None if old_id is None else str(old_id),
                    )
                )
                setattr(ticket, name, new_id)
        for fid, value in custom.items():
            if ticket.custom_fields.get(fid) != value:
                audit.events.append(
                    self._event("Change", str(fid), value, ticket.custom_fields.get(fid))
                )
        ticket.custom_fields = custom
        if ccs != ticket.email_cc_ids:
            audit.events.append(self._cc_event(ticket.email_cc_ids, ccs))
            change.cc_added = [u for u in ccs if u not in ticket.email_cc_ids]
            change.cc_removed = [u for u in ticket.email_cc_ids if u not in ccs]
            ticket.email_cc_ids = ccs
        if followers != ticket.follower_ids:
            audit.events.append(
                {
                    "id": self.next_id("event"),
                    "type": "FollowerChange",
                    "previous_followers": [self.users[u].email for u in ticket.follower_ids],
                    "current_followers": [self.users[u].email for u in followers],
                }
            )
            ticket.follower_ids = followers
        ticket.updated_at = now
        return change

    def _check_stamp(self, ticket: Ticket, stamp: Any) -> None:
        if not stamp:
            raise invalid(
                field_error("updated_stamp", "Updated stamp: cannot be blank", "BlankValue")
            )
        try:
            when = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
        except ValueError as e:
            raise ZendeskError(409, dict(UPDATE_CONFLICT)) from e
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        if when.replace(microsecond=0) != ticket.updated_at:
            raise ZendeskError(409, dict(UPDATE_CONFLICT))

    def _new_tags(self, data: JSON, current: list[str]) -> list[str]:
        tags = list(current)
        if data.get("tags") is not None:
            tags = merge_tags([], list(data["tags"]))
        if data.get("additional_tags"):
            tags = merge_tags(tags, list(data["additional_tags"]))
        if data.get("remove_tags"):
            drop = {normalize_tag(t) for t in data["remove_tags"]}
            tags = [t for t in tags if t not in drop]
        return tags

    def _followers(self, data: JSON, ticket: Ticket) -> list[int]:
        followers = list(ticket.follower_ids)
        for entry in data.get("followers") or []:
            user = self._resolve_user_ref(entry, create=False, field_name="followers")
            if not user.is_staff:
                raise invalid(field_error("followers", f"User {user.id}: is not an agent"))
            action = entry.get("action", "put") if isinstance(entry, dict) else "put"
            if action == "delete":
                followers = [u for u in followers if u != user.id]
            elif user.id not in followers:
                followers.append(user.id)
        return followers

    def agent_internal_note(self, tid: int, body: str, author_id: int = 210) -> Change:
        """What a human agent's concurrent edit looks like: an internal note."""
        return self.update_ticket(
            tid,
            {"comment": {"body": body, "public": False, "author_id": author_id}},
            actor_id=author_id,
        )

    # ---- JSON -----------------------------------------------------------------------------

    def ticket_json(self, ticket: Ticket, base: str) -> JSON:
        custom = [
            {"id": fid, "value": ticket.custom_fields.get(fid)}
            for fid in sorted(self.ticket_fields)
        ]
        return {
            "id": ticket.id,
            "url": f"{base}/api/v2/tickets/{ticket.id}.json",
            "external_id": None,
            "via": ticket.via,
            "created_at": iso(ticket.created_at),
            "updated_at": iso(ticket.updated_at),
            "type": ticket.type,
            "subject": ticket.subject,
            "raw_subject": ticket.subject,
            "description": ticket.description,
            "priority": ticket.priority,
            "status": ticket.status,
            "recipient": ticket.recipient,
            "requester_id": ticket.requester_id,
            "submitter_id": ticket.submitter_id,
            "assignee_id": ticket.assignee_id,
            "organization_id": ticket.organization_id,
            "group_id": ticket.group_id,
            "collaborator_ids": list(dict.fromkeys(ticket.email_cc_ids + ticket.follower_ids)),
            "follower_ids": list(ticket.follower_ids),
            "email_cc_ids": list(ticket.email_cc_ids),
            "forum_topic_id": None,
            "problem_id": None,
            "has_incidents": False,
            "is_public": ticket.is_public,
            "due_at": None,
            "tags": list(ticket.tags),
            "custom_fields": custom,
            "fields": custom,
            "satisfaction_rating": None,
            "sharing_agreement_ids": [],
            "followup_ids": [],
            "brand_id": 1,
            "allow_channelback": False,
            "allow_attachments": True,
            "from_messaging_channel": False,
        }

    def first_reply(self, ticket: Ticket) -> Comment | None:
        """The first public comment by an agent: what Zendesk's first-reply metric measures."""
        for comment in ticket.comments[1:]:
            author = self.users.get(comment.author_id)
            if comment.public and author is not None and author.is_staff:
                return comment
        return None

    def metric_set(self, ticket: Ticket, base: str) -> JSON:
        # Shape of https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_metrics/
        reply = self.first_reply(ticket)
        replies = sum(
            1
            for c in ticket.comments[1:]
            if c.public and self.users.get(c.author_id, User(0, "", "", "end-user")).is_staff
        )
        reply_minutes: int | None = None
        if reply is not None:
            reply_minutes = int((reply.created_at - ticket.created_at).total_seconds() // 60)
        solved = ticket.status in ("solved", "closed")
        return {
            "id": ticket.id + 3_000_000,
            "url": f"{base}/api/v2/ticket_metrics/{ticket.id + 3_000_000}.json",
            "ticket_id": ticket.id,
            "created_at": iso(ticket.created_at),
            "updated_at": iso(ticket.updated_at),
            "group_stations": 1 if ticket.group_id else 0,
            "assignee_stations": 1 if ticket.assignee_id else 0,
            "reopens": 0,
            "replies": replies,
            "assignee_updated_at": None,
            "requester_updated_at": iso(ticket.created_at),
            "status_updated_at": iso(ticket.updated_at),
            "initially_assigned_at": None,
            "assigned_at": None,
            "solved_at": iso(ticket.updated_at) if solved else None,
            "latest_comment_added_at": iso(ticket.comments[-1].created_at),
            "reply_time_in_minutes": {"calendar": reply_minutes, "business": reply_minutes},
            "first_resolution_time_in_minutes": {"calendar": None, "business": None},
            "full_resolution_time_in_minutes": {"calendar": None, "business": None},
            "agent_wait_time_in_minutes": {"calendar": None, "business": None},
            "requester_wait_time_in_minutes": {"calendar": None, "business": None},
            "on_hold_time_in_minutes": {"calendar": 0, "business": 0},
        }

    def slas(self, ticket: Ticket, now: datetime) -> JSON:
        """The `slas` sideload, embedded in the ticket like Zendesk does.

        https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#sideloads
        """
        if ticket.priority not in SLA_TARGETS:
            return {"policy_metrics": []}
        breach_at = ticket.created_at + timedelta(minutes=SLA_TARGETS[ticket.priority])
        metric: JSON = {"breach_at": iso(breach_at), "metric": "first_reply_time"}
        if self.first_reply(ticket) is not None:
            metric["stage"] = "achieved"
        else:
            metric["stage"] = "active"
            # Time left before the breach; negative once breached. Zendesk gives minutes under
            # an hour and hours above.
            left = int((breach_at - now).total_seconds() // 60)
            if abs(left) < 60:
                metric["minutes"] = left
            else:
                metric["hours"] = int(left / 60)
        return {"policy_metrics": [metric]}

    def sla_policies_json(self, base: str) -> JSON:
        stamp = iso(self.started_at - timedelta(days=365))
        policy = {
            "id": 25,
            "url": f"{base}/api/v2/slas/policies/25.json",
            "title": "Standard support",
            "description": "First reply targets by priority",
            "position": 1,
            "filter": {"all": [], "any": []},
            "policy_metrics": [
                {"priority": p, "metric": "first_reply_time", "target": t, "business_hours": False}
                for p, t in SLA_TARGETS.items()
            ],
            "created_at": stamp,
            "updated_at": stamp,
        }
        return {"sla_policies": [policy], "next_page": None, "previous_page": None, "count": 1}

    def _field_json(self, fid: int, data: JSON) -> JSON:
        stamp = iso(self.started_at)
        return {
            "id": fid,
            "type": data.get("type", "text"),
            "title": data.get("title", ""),
            "raw_title": data.get("title", ""),
            "description": data.get("description", ""),
            "position": data.get("position", 0),
            "active": data.get("active", True),
            "required": data.get("required", False),
            "visible_in_portal": data.get("visible_in_portal", False),
            "editable_in_portal": data.get("editable_in_portal", False),
            "tag": data.get("tag"),
            "custom_field_options": data.get("custom_field_options", []),
            "removable": True,
            "created_at": stamp,
            "updated_at": stamp,
        }

    def create_ticket_field(self, data: JSON) -> JSON:
        if not data.get("title") or not data.get("type"):
            raise invalid(field_error("title", "Title: cannot be blank", "BlankValue"))
        fid = self.next_id("ticket_field")
        self.ticket_fields[fid] = self._field_json(fid, data)
        return self.ticket_fields[fid]

    def update_ticket_field(self, fid: int, data: JSON) -> JSON:
        current = self.ticket_fields.get(fid)
        if current is None:
            raise not_found()
        current.update({k: v for k, v in data.items() if k not in ("id", "created_at")})
        current["updated_at"] = iso(utcnow())
        return current

    def organization_json(self, oid: int, base: str) -> JSON:
        org = self.organizations.get(oid)
        if org is None:
            raise not_found()
        return {**org, "url": f"{base}/api/v2/organizations/{oid}.json"}
