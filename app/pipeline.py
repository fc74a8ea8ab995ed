"""One delivery through context → evaluate → plan → apply, plus the escalation's lifecycle.

Zendesk calls are spent only where the payload cannot answer: a comment that is not an
escalation request costs none; a request costs one read (ticket with sideloads) and at most two
writes (the escalation update, then the customer reply). Lifecycle events (an agent's update,
closure) are mostly bookkeeping in the database.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import metrics, store
from app.active_rules import ActiveRules
from app.clients.statuspage import StatuspageClient
from app.clients.zendesk import (
    Audit,
    TicketSnapshot,
    ZendeskClient,
    ZendeskConflict,
    ZendeskNotFound,
    ZendeskUnprocessable,
    ZendeskUser,
    added_email_ccs,
    comment_of,
)
from app.db import transaction
from app.events import TicketEvent, emails_in, parse_event
from app.models import Delivery, Escalation, utcnow
from app.rules.context import Channel, Comment, EvaluationContext, Incident, Ticket
from app.rules.decision import Decision, FieldValue, Plan, TicketComment, TicketUpdate
from app.rules.detect import clean_text, find_ticket_references
from app.rules.evaluate import evaluate, matched_escalation_address
from app.rules.plan import plan as plan_writes
from app.rules.plan import render_template, template_variables
from app.update_batch import UpdateBatcher
from app.worker import PermanentError

log = structlog.get_logger()

# States in which the escalation is live and a new request only adds to it.
OPEN_STATES = frozenset({"escalated", "acknowledged"})
# States that wait for something and may be evaluated again.
WAITING_STATES = frozenset({"needs_info", "not_eligible", "deprioritized"})
STATE_OF_OUTCOME = {
    "escalate": "escalated",
    "needs_business_impact": "needs_info",
    "not_eligible": "not_eligible",
    "outage_deprioritized": "deprioritized",
}
SOLVED = frozenset({"solved", "closed"})
EMAIL_CHANNELS = frozenset({"email", "mail"})
CLOSED_TAG = "escalation_closed"
EMAIL_LINKED_TAG = "escalation_email_linked"
EMAIL_NEEDS_TICKET_TAG = "escalation_email_needs_ticket"
MAX_CONFLICTS = 3
REF = re.compile(r"escalator-ref: [\w:.+-]+")


@dataclass
class Request:
    """An escalation request the payload shows or suggests; the read confirms it."""

    channel: Channel
    comment: Comment | None = None
    # The CC change is already known from the payload (email_ccs_changed with addresses).
    added_email_ccs: list[str] | None = None
    # Continue a request that waits for the business impact: no second CC needed.
    continues_pending: bool = False
    requested_by: str | None = None
    # A CSM's macro: the reason and impact are in the latest internal note.
    from_macro: bool = False


@dataclass
class Writes:
    """The tickets' stamps and tags as the writes go, so each safe_update uses the latest."""

    stamps: dict[int, str | None] = field(default_factory=dict)
    tags_before: dict[int, set[str]] = field(default_factory=dict)
    snapshots: dict[int, TicketSnapshot] = field(default_factory=dict)
    # Tickets where a write turned out to have landed already: another run of the same plan got
    # there first, so each later write to them is checked against a fresh read before it goes.
    raced: set[int] = field(default_factory=set)


class Pipeline:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        zendesk: ZendeskClient,
        rules: ActiveRules,
        statuspage: StatuspageClient | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.zendesk = zendesk
        self.rules = rules
        self.statuspage = statuspage
        self.clock = clock
        self.batcher = UpdateBatcher(zendesk)
        self._escalation_users: dict[str, int] = {}
        self.self_id: int | None = None

    async def __call__(self, delivery: Delivery) -> str:
        if delivery.ticket_id is None:
            return "ignore"
        event = parse_event(delivery.kind, delivery.ticket_id, delivery.payload)
        async with transaction(self.sessions) as session:
            escalation = await store.get_escalation(session, event.ticket_id)
        if escalation is not None and _unfinished(escalation, delivery.id):
            return await self._resume(delivery, escalation)
        if event.kind == "scheduled":
            return await self._scheduled(delivery, event, escalation)
        if event.kind == "csm_request":
            api_request = Request(
                channel="csm",
                comment=Comment(body=str(event.data.get("text", ""))),
                requested_by=str(event.data.get("requested_by") or "") or None,
            )
            return await self._evaluate_and_apply(delivery, event, api_request, escalation)
        observed = await self._observe(delivery, event, escalation)
        request = await self.screen(event, escalation)
        if request is None:
            return observed or "ignore"
        if request.channel == "email":
            return await self._email_request(delivery, event)
        return await self._evaluate_and_apply(delivery, event, request, escalation)

    # -- screening: decided from the payload alone, no Zendesk call -------------------------

    async def screen(self, event: TicketEvent, escalation: Escalation | None) -> Request | None:
        rules = self.rules.config
        pending = escalation is not None and escalation.state == "needs_info"
        is_open = escalation is not None and escalation.state in OPEN_STATES
        customer = event.comment is not None and event.comment.author_is_staff is not True
        if event.kind == "email_ccs_changed":
            if event.added_cc_emails:
                if not matched_escalation_address(event.added_cc_emails, rules):
                    return None
                return Request(channel="comment", added_email_ccs=event.added_cc_emails)
            if not event.added_cc_ids:
                return None  # only removals
            known, complete = self._escalation_user_ids()
            if not known.intersection(event.added_cc_ids) and complete:
                return None
            return Request(channel="comment")
        if event.kind == "comment_added":
            # Event webhooks carry no CC list: a CC added with this comment arrives as its own
            # email_ccs_changed event, which is the one that triggers the read.
            if pending and customer:
                return Request(channel="comment", comment=event.comment, continues_pending=True)
            return None
        if event.kind == "created":
            if (event.via_channel or "").lower() in EMAIL_CHANNELS and escalation is None:
                return Request(channel="email")
            return None
        if event.kind == "tags_changed":
            if rules.csm_request_tag in event.tags_added and not is_open:
                return Request(channel="csm", from_macro=True)
            return None
        if event.kind == "trigger":
            return self._screen_trigger(event, escalation, pending=pending, customer=customer)
        return None

    def _screen_trigger(
        self, event: TicketEvent, escalation: Escalation | None, *, pending: bool, customer: bool
    ) -> Request | None:
        rules = self.rules.config
        if pending and customer:
            return Request(channel="comment", comment=event.comment, continues_pending=True)
        tags = event.tags or []
        if rules.csm_request_tag in tags and (
            escalation is None or escalation.state not in OPEN_STATES
        ):
            return Request(channel="csm", from_macro=True)
        emailed = (event.via_channel or "").lower() in EMAIL_CHANNELS and escalation is None
        if emailed and not {EMAIL_LINKED_TAG, EMAIL_NEEDS_TICKET_TAG} & set(tags):
            return Request(channel="email")
        if event.current_cc_emails is None:
            return Request(channel="comment")  # a body without CCs: the audit must tell
        if not matched_escalation_address(event.current_cc_emails, rules):
            return None
        if escalation is not None:
            # The address stays in the CCs after the request that added it; later comments
            # on the ticket are not new requests.
            return None
        return Request(channel="comment")

    def _escalation_user_ids(self) -> tuple[set[int], bool]:
        """Zendesk user ids of the escalation addresses (CC events name users by id only), and
        whether every address's id is known. Ids are learnt from reads and from `warm()`; a
        user's id never changes, so they are kept for the process's life."""
        addresses = [str(a).lower() for a in self.rules.config.escalation_addresses]
        complete = all(a in self._escalation_users for a in addresses)
        return set(self._escalation_users.values()), complete

    def _learn_users(self, snapshot: TicketSnapshot) -> None:
        addresses = {str(a).lower() for a in self.rules.config.escalation_addresses}
        for user in snapshot.users.values():
            if user.email and user.email.lower() in addresses:
                self._escalation_users[user.email.lower()] = user.id

    async def warm(self) -> None:
        """Look up our own user and the escalation addresses' users once at start, outside
        any delivery, so the first CC change to someone else already costs no call."""
        try:
            self.self_id = (await self.zendesk.check_auth()).id
            for address in self.rules.config.escalation_addresses:
                user = await self.zendesk.find_user_by_email(str(address).lower())
                if user is not None and user.email:
                    self._escalation_users[user.email.lower()] = user.id
        except Exception as e:  # Zendesk down at start: learnt from the first read instead
            log.warning("pipeline.warm_failed", error=str(e))

    # -- lifecycle: agent updates, acknowledgement, closure, reopening -----------------------

    async def _observe(
        self, delivery: Delivery, event: TicketEvent, escalation: Escalation | None
    ) -> str | None:
        if escalation is None:
            return None
        rules = self.rules.config
        status = _status(event.status)
        tags = set(event.tags or [])
        live = escalation.state in OPEN_STATES | WAITING_STATES
        if event.kind in ("status_changed", "trigger") and status in SOLVED and live:
            return await self._close(delivery, escalation, "solution provided (ticket solved)")
        workaround = rules.workaround_tag in (
            event.tags_added if event.kind == "tags_changed" else tags
        )
        if workaround and escalation.state in OPEN_STATES:
            return await self._close(delivery, escalation, "workaround provided")
        reopened = status is not None and status not in SOLVED
        if (
            reopened
            and event.kind in ("status_changed", "trigger")
            and escalation.state == "closed"
            and (escalation.close_reason or "").startswith("solution provided")
            and (
                (event.kind == "status_changed" and _status(event.previous_status) in SOLVED)
                or event.kind == "trigger"
            )
        ):
            return await self._reopen(delivery, escalation)
        comment = event.comment
        if (
            event.kind in ("comment_added", "trigger")
            and comment is not None
            and comment.public
            and comment.author_is_staff is True
            and comment.author_id != self.self_id
            and escalation.state in OPEN_STATES
        ):
            await self._agent_updated(delivery, escalation, comment.author_id)
            return "agent_update"
        return None

    async def _agent_updated(
        self, delivery: Delivery, escalation: Escalation, author_id: int | None
    ) -> None:
        """A public agent reply: the cadence restarts; the manager's first one acknowledges."""
        now = self.clock()
        async with transaction(self.sessions) as session:
            row = await store.lock_escalation(session, escalation.ticket_id)
            if row is None:
                return
            hours = self.rules.config.cadence_hours.for_priority(
                self.rules.config.priority_of(row.priority)
            )
            row.next_update_due_at = now + timedelta(hours=hours)
            by_manager = row.manager_id is None or author_id == row.manager_id
            if row.acknowledged_at is None and by_manager:
                row.acknowledged_at = now
                row.state = "acknowledged"
                minutes = _minutes(row.escalated_at, now)
                await store.add_event(
                    session,
                    row,
                    "acknowledged",
                    delivery_id=delivery.id,
                    by=author_id,
                    minutes_to_acknowledge=minutes,
                )
            else:
                await store.add_event(
                    session, row, "agent_update", delivery_id=delivery.id, by=author_id
                )

    async def _close(self, delivery: Delivery, escalation: Escalation, reason: str) -> str:
        rules = self.rules.config
        # Tags and a field value are idempotent, so no read and no safe_update are needed;
        # a closed (archived) ticket cannot be updated at all, hence the tolerance.
        update = TicketUpdate(
            ticket_id=escalation.ticket_id,
            additional_tags=[CLOSED_TAG],
            custom_fields=[FieldValue(id=rules.fields.status, value="closed")],
        )
        try:
            await self.zendesk.update_ticket(escalation.ticket_id, update.payload())
        except (ZendeskUnprocessable, ZendeskNotFound) as e:
            log.info("escalation.close_not_tagged", reason=e.detail)
        now = self.clock()
        async with transaction(self.sessions) as session:
            row = await store.lock_escalation(session, escalation.ticket_id)
            if row is None or row.state == "closed":
                return "closed"
            row.state = "closed"
            row.closed_at = now
            row.close_reason = reason
            await store.add_event(
                session,
                row,
                "closed",
                delivery_id=delivery.id,
                reason=reason,
                minutes_to_acknowledge=_minutes(row.escalated_at, row.acknowledged_at),
                minutes_to_close=_minutes(row.escalated_at or row.requested_at, now),
            )
        return "closed"

    async def _reopen(self, delivery: Delivery, escalation: Escalation) -> str:
        rules = self.rules.config
        update = TicketUpdate(
            ticket_id=escalation.ticket_id,
            remove_tags=[CLOSED_TAG],
            custom_fields=[FieldValue(id=rules.fields.status, value="escalated")],
        )
        await self.zendesk.update_ticket(escalation.ticket_id, update.payload())
        now = self.clock()
        async with transaction(self.sessions) as session:
            row = await store.lock_escalation(session, escalation.ticket_id)
            if row is None or row.state != "closed":
                return "reopened"
            row.state = "acknowledged" if row.acknowledged_at else "escalated"
            row.closed_at = None
            row.close_reason = None
            hours = rules.cadence_hours.for_priority(rules.priority_of(row.priority))
            row.next_update_due_at = now + timedelta(hours=hours)
            await store.add_event(session, row, "reopened", delivery_id=delivery.id)
        return "reopened"

    # -- evaluation -----------------------------------------------------------------------

    async def _evaluate_and_apply(
        self,
        delivery: Delivery,
        event: TicketEvent,
        request: Request,
        escalation: Escalation | None,
    ) -> str:
        snapshot = await self._read(event.ticket_id)
        self._learn_users(snapshot)
        rules = self.rules.config
        comment, added = await self._request_evidence(snapshot, event, request)
        if comment is None and added is None:
            return "ignore"
        if request.continues_pending and escalation is not None:
            # The original CC is on record; this comment only has to supply the impact.
            added = [escalation.request.get("address") or str(rules.escalation_addresses[0])]
        requested_by = request.requested_by
        if requested_by is None and comment is not None and comment.author_id in snapshot.users:
            # The author came with the read's users sideload: a name beats "user 401".
            requested_by = _who(snapshot.users[comment.author_id])
        ctx = await self._context(
            snapshot,
            comment=comment,
            added=added or [],
            channel=request.channel,
            requested_by=requested_by,
            escalation=None if request.continues_pending else escalation,
        )
        return await self._decide_and_apply(delivery, snapshot, ctx)

    async def _decide_and_apply(
        self,
        delivery: Delivery,
        snapshot: TicketSnapshot,
        ctx: EvaluationContext,
        *,
        link: Callable[[Decision], TicketUpdate | None] | None = None,
        link_snapshot: TicketSnapshot | None = None,
    ) -> str:
        decision = evaluate(ctx, self.rules.config)
        metrics.ESCALATION_OUTCOMES.labels(outcome=decision.outcome).inc()
        if decision.outcome == "ignore":
            return "ignore"
        plan = plan_writes(decision, ctx, self.rules.config)
        if link is not None:
            plan = plan.model_copy(
                update={"link": link(decision), "link_marker_tag": EMAIL_LINKED_TAG}
            )
        writes = Writes()
        for snap in (snapshot, link_snapshot):
            if snap is not None:
                writes.stamps[snap.ticket.id] = snap.updated_stamp
                writes.tags_before[snap.ticket.id] = set(snap.ticket.tags)
                writes.snapshots[snap.ticket.id] = snap
        escalation_id = await self._record_decision(delivery, ctx, decision, plan, writes)
        await self._apply(delivery, escalation_id, plan, writes)
        return decision.outcome

    async def _read(self, ticket_id: int) -> TicketSnapshot:
        try:
            return await self.zendesk.get_ticket_context(ticket_id)
        except ZendeskNotFound as e:
            raise PermanentError(f"ticket {ticket_id} not found in Zendesk (deleted?)") from e

    async def _request_evidence(
        self, snapshot: TicketSnapshot, event: TicketEvent, request: Request
    ) -> tuple[Comment | None, list[str] | None]:
        """The comment that made the request and the CCs it added, from the latest audit."""
        if request.channel == "csm":
            if not request.from_macro:
                return request.comment, []
            return await self._latest_internal_note(snapshot), []
        audit = _audit_for(snapshot.last_audit, event)
        comment = request.comment
        added = request.added_email_ccs
        if audit is not None:
            comment = comment_of(audit, snapshot.users) or comment
            if added is None:
                added = added_email_ccs(audit, snapshot.users)
        elif request.continues_pending:
            return comment, []
        elif added is None:
            # The latest audit is not this request's (another update came in between), and the
            # payload does not name the CCs: nothing proves this comment added the address.
            return None, None
        return comment, added

    async def _latest_internal_note(self, snapshot: TicketSnapshot) -> Comment | None:
        """The CSM macro puts reason and impact in an internal note, usually in the same update
        as the tag (then the read already has it); otherwise the comments are listed."""
        if snapshot.last_audit is not None:
            note = comment_of(snapshot.last_audit, snapshot.users)
            if note is not None and not note.public:
                return note
        latest: Comment | None = None
        async for comment in self.zendesk.list_comments(snapshot.ticket.id):
            if not comment.public:
                latest = comment
        return latest

    async def _context(
        self,
        snapshot: TicketSnapshot,
        *,
        comment: Comment | None,
        added: list[str],
        channel: Channel,
        requested_by: str | None,
        escalation: Escalation | None,
        linked_ticket_id: int | None = None,
    ) -> EvaluationContext:
        organization = snapshot.organization
        if organization is None and snapshot.ticket.organization_id is not None:
            organization = await self.zendesk.get_organization(snapshot.ticket.organization_id)
        return EvaluationContext(
            ticket=snapshot.ticket,
            organization=organization,
            comment=comment,
            added_email_ccs=added,
            channel=channel,
            requested_by=requested_by,
            first_public_agent_reply_at=snapshot.first_public_agent_reply_at,
            zendesk_sla=snapshot.zendesk_sla,
            incidents=await self._incidents(),
            open_escalation=escalation is not None and escalation.state in OPEN_STATES,
            related_tickets=await self._related(snapshot.ticket),
            linked_ticket_id=linked_ticket_id,
            now=self.clock(),
        )

    async def _related(self, ticket: Ticket) -> list[int]:
        if ticket.organization_id is None:
            return []
        window = timedelta(days=self.rules.config.recurring.window_days)
        async with self.sessions() as session:
            return await store.recent_escalated_tickets(
                session,
                organization_id=ticket.organization_id,
                since=self.clock() - window,
                excluding=ticket.id,
            )

    async def _incidents(self) -> list[Incident]:
        if self.statuspage is None:
            return []
        return await self.statuspage.unresolved_incidents()

    # -- email requests ("Via Email") -------------------------------------------------------

    async def _email_request(self, delivery: Delivery, event: TicketEvent) -> str:
        """An email to the escalation address is a new ticket; it escalates the ticket it
        names, when its sender may, and is answered and solved. Without one, it is answered
        with a request for the ticket number and nothing is escalated."""
        rules = self.rules.config
        email = await self._read(event.ticket_id)
        ticket = email.ticket
        addressed = [
            ticket.recipient or "",
            *emails_in([u.email for u in email.users.values() if u.id in ticket.email_cc_ids]),
        ]
        if not matched_escalation_address([a for a in addressed if a], rules):
            return "ignore"
        sender = email.users.get(ticket.requester_id or -1)
        note = comment_of(email.last_audit, email.users) if email.last_audit else None
        body = note.body if note is not None else ticket.description or ""
        text = clean_text(body, note.html_body if note else None)
        original: TicketSnapshot | None = None
        for number in find_ticket_references(ticket.subject or "", text)[:3]:
            if number == ticket.id:
                continue
            try:
                candidate = await self._read(number)
            except PermanentError:
                continue
            if sender is not None and _may_escalate(sender, candidate.ticket):
                original = candidate
                break
        if original is None:
            return await self._ask_for_ticket_number(delivery, email)
        ctx = await self._context(
            original,
            comment=Comment(
                body=body,
                html_body=note.html_body if note else None,
                author_id=sender.id if sender else None,
            ),
            added=[],
            channel="email",
            requested_by=_who(sender) if sender else None,
            escalation=await self._escalation_of(original.ticket.id),
            linked_ticket_id=ticket.id,
        )

        def link(decision: Decision) -> TicketUpdate:
            variables = template_variables(decision, ctx, rules)
            variables["ticket"] = ticket
            variables["linked_ticket_id"] = original.ticket.id if original else None
            return TicketUpdate(
                ticket_id=ticket.id,
                additional_tags=[EMAIL_LINKED_TAG],
                status="solved",
                comment=TicketComment(
                    body=render_template(rules, "email_linked", **variables), public=True
                ),
            )

        return await self._decide_and_apply(delivery, original, ctx, link=link, link_snapshot=email)

    async def _ask_for_ticket_number(self, delivery: Delivery, email: TicketSnapshot) -> str:
        rules = self.rules.config
        ctx = EvaluationContext(ticket=email.ticket, channel="email", now=self.clock())
        variables = template_variables(Decision(outcome="ignore"), ctx, rules)
        update = TicketUpdate(
            ticket_id=email.ticket.id,
            additional_tags=[EMAIL_NEEDS_TICKET_TAG],
            status="pending",
            comment=TicketComment(
                body=render_template(rules, "email_needs_ticket", **variables), public=True
            ),
        )
        await self._write_once(
            update,
            stamp=email.updated_stamp,
            marker=EMAIL_NEEDS_TICKET_TAG,
            tags_before=set(email.ticket.tags),
        )
        metrics.ESCALATION_OUTCOMES.labels(outcome="email_needs_ticket").inc()
        return "email_needs_ticket"

    async def _escalation_of(self, ticket_id: int) -> Escalation | None:
        async with self.sessions() as session:
            return await store.get_escalation(session, ticket_id)

    # -- scheduled work: reminders and re-evaluations ------------------------------------

    async def _scheduled(
        self, delivery: Delivery, event: TicketEvent, escalation: Escalation | None
    ) -> str:
        if escalation is None:
            return "stale"
        job = event.data.get("job")
        if job == "reminder":
            return await self._remind(delivery, escalation, str(event.data.get("due", "")))
        if job == "reevaluate" and escalation.state in WAITING_STATES:
            return await self._reevaluate(delivery, escalation)
        return "stale"

    async def _remind(self, delivery: Delivery, escalation: Escalation, due: str) -> str:
        """The customer's update is overdue: remind the manager once per cadence period."""
        if escalation.state not in OPEN_STATES or escalation.next_update_due_at is None:
            return "stale"
        if escalation.next_update_due_at.isoformat() != due:
            return "stale"  # an agent updated the customer meanwhile
        rules = self.rules.config
        snapshot = await self._read(escalation.ticket_id)
        region = escalation.region if escalation.region in rules.regions else rules.default_region
        body = render_template(
            rules,
            "reminder",
            ticket=snapshot.ticket,
            manager=rules.regions[region].manager,
            region=region,
            cadence_hours=rules.cadence_hours.for_priority(rules.priority_of(escalation.priority)),
            next_update_due=escalation.next_update_due_at,
        )
        ref = f"escalator-ref: reminder-{escalation.ticket_id}-{due}"
        update = TicketUpdate(
            ticket_id=escalation.ticket_id,
            comment=TicketComment(body=f"{body.rstrip()}\n\n{ref}", public=False),
        )
        if not _landed(snapshot, update, marker=None, tags_before=set()):
            await self._write_once(
                update, stamp=snapshot.updated_stamp, marker=None, tags_before=set()
            )
        now = self.clock()
        async with transaction(self.sessions) as session:
            row = await store.lock_escalation(session, escalation.ticket_id)
            if row is not None:
                hours = rules.cadence_hours.for_priority(rules.priority_of(row.priority))
                row.last_reminder_at = now
                row.next_update_due_at = now + timedelta(hours=hours)
                await store.add_event(
                    session, row, "reminder", delivery_id=delivery.id, overdue_since=due
                )
        return "reminder"

    async def _reevaluate(self, delivery: Delivery, escalation: Escalation) -> str:
        """Evaluate a waiting request again (outage resolved, SLA passed) with what the
        customer originally wrote: nobody has to ask twice."""
        request = escalation.request
        snapshot = await self._read(escalation.ticket_id)
        comment = Comment.model_validate(request["comment"]) if request.get("comment") else None
        ctx = await self._context(
            snapshot,
            comment=comment,
            added=list(request.get("added", [])),
            channel=request.get("channel", escalation.channel),
            requested_by=request.get("requested_by"),
            escalation=None,
            linked_ticket_id=request.get("linked_ticket_id"),
        )
        decision = evaluate(ctx, self.rules.config)
        if STATE_OF_OUTCOME.get(decision.outcome) == escalation.state:
            # Same answer as before: the customer already has it; only the record changes.
            async with transaction(self.sessions) as session:
                row = await store.lock_escalation(session, escalation.ticket_id)
                if row is not None:
                    row.eligible_at = decision.eligibility.eligible_at
                    await store.add_event(
                        session,
                        row,
                        "reevaluated",
                        delivery_id=delivery.id,
                        outcome=decision.outcome,
                        reasons=decision.reasons,
                    )
            return decision.outcome
        return await self._decide_and_apply(delivery, snapshot, ctx)

    # -- recording ------------------------------------------------------------------------

    async def _record_decision(
        self,
        delivery: Delivery,
        ctx: EvaluationContext,
        decision: Decision,
        plan: Plan,
        writes: Writes,
    ) -> int:
        """Store the decision and the plan before any write, so a crash resumes this plan."""
        now = self.clock()
        rules = self.rules.config
        async with transaction(self.sessions) as session:
            escalation = await store.lock_escalation(session, ctx.ticket.id)
            if escalation is None:
                escalation = Escalation(
                    ticket_id=ctx.ticket.id,
                    state="requested",
                    outcome=decision.outcome,
                    request={},
                    applied={},
                    account_team=[],
                )
                session.add(escalation)
            _describe(escalation, ctx)
            if decision.outcome != "already_escalated":
                _record_outcome(escalation, ctx, decision, now)
            if decision.outcome == "escalate":
                update = plan.update
                escalation.escalated_at = now
                escalation.closed_at = None
                escalation.close_reason = None
                escalation.acknowledged_at = None
                if update is not None:
                    escalation.manager_id = update.assignee_id
                    escalation.group_id = update.group_id
                hours = rules.cadence_hours.for_priority(rules.priority_of(ctx.ticket.priority))
                escalation.next_update_due_at = now + timedelta(hours=hours)
            escalation.applied = {
                "delivery_id": delivery.id,
                "plan": plan.model_dump(mode="json"),
                "tags_before": {str(k): sorted(v) for k, v in writes.tags_before.items()},
                **{name: False for name, _, _ in plan.steps()},
            }
            await session.flush()
            await store.add_event(
                session,
                escalation,
                "decided",
                delivery_id=delivery.id,
                outcome=decision.outcome,
                reasons=decision.reasons,
                categories=list(decision.impact.categories),
                evidence=decision.impact.evidence,
                basis=list(decision.eligibility.basis),
                sla=decision.sla.model_dump(mode="json"),
                channel=ctx.channel,
                related_tickets=ctx.related_tickets,
                linked_ticket_id=ctx.linked_ticket_id,
            )
            return escalation.id

    # -- writing --------------------------------------------------------------------------

    async def _apply(
        self, delivery: Delivery, escalation_id: int, plan: Plan, writes: Writes
    ) -> None:
        for step, update, marker in plan.steps():
            ticket_id = update.ticket_id
            if plan.batched and ticket_id in writes.stamps:
                await self.batcher.send(update, stamp=writes.stamps[ticket_id])
                await self._mark_applied(escalation_id, delivery.id, step, update)
                continue
            if ticket_id not in writes.stamps:
                snapshot = await self._read(ticket_id)
                writes.stamps[ticket_id] = snapshot.updated_stamp
                writes.tags_before.setdefault(ticket_id, set(snapshot.ticket.tags))
                writes.snapshots[ticket_id] = snapshot
            before = writes.snapshots.get(ticket_id)
            tags_before = writes.tags_before.get(ticket_id, set())
            if ticket_id in writes.raced:
                fresh = await self._read(ticket_id)
                writes.stamps[ticket_id] = fresh.updated_stamp
                if _landed(fresh, update, marker=marker, tags_before=tags_before):
                    await self._mark_applied(escalation_id, delivery.id, step, update)
                    continue
            stamp, after, landed = await self._write_once(
                update, stamp=writes.stamps[ticket_id], marker=marker, tags_before=tags_before
            )
            if landed:
                writes.raced.add(ticket_id)
            writes.stamps[ticket_id] = stamp
            team = (
                _added_people(before.ticket, after, update)
                if step == "update" and before is not None
                else None
            )
            await self._mark_applied(escalation_id, delivery.id, step, update, team=team)

    async def _write_once(
        self,
        update: TicketUpdate,
        *,
        stamp: str | None,
        marker: str | None,
        tags_before: set[str],
    ) -> tuple[str | None, Ticket, bool]:
        """Send one safe_update; on 409 reload and, unless the ticket shows the write already
        landed (a retry after a lost answer), send it again against the fresh stamp.
        Returns the ticket's new stamp for the next write, the ticket after the write, and
        whether the write had landed already."""
        for _ in range(MAX_CONFLICTS):
            try:
                ticket = await self.zendesk.update_ticket(
                    update.ticket_id, update.payload(updated_stamp=stamp)
                )
                # Zendesk's own format: whole seconds, `Z`.
                new_stamp = (
                    ticket.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ") if ticket.updated_at else None
                )
                return new_stamp, ticket, False
            except ZendeskConflict:
                fresh = await self._read(update.ticket_id)
                if _landed(fresh, update, marker=marker, tags_before=tags_before):
                    return fresh.updated_stamp, fresh.ticket, True
                stamp = fresh.updated_stamp
            except ZendeskUnprocessable as e:
                raise PermanentError(f"Zendesk refused the update: {e.detail}") from e
            except ZendeskNotFound as e:
                raise PermanentError(f"ticket {update.ticket_id} not found in Zendesk") from e
        raise ZendeskConflict(
            f"ticket {update.ticket_id} kept changing; {MAX_CONFLICTS} conflicting writes"
        )

    async def _mark_applied(
        self,
        escalation_id: int,
        delivery_id: int,
        step: str,
        update: TicketUpdate,
        *,
        team: list[int] | None = None,
    ) -> None:
        async with transaction(self.sessions) as session:
            escalation = await session.get(Escalation, escalation_id)
            assert escalation is not None
            escalation.applied = {**escalation.applied, step: True}
            if team:
                escalation.account_team = team
            kind = {"update": "zendesk_update", "reply": "reply_sent", "link": "email_linked"}
            await store.add_event(
                session,
                escalation,
                kind[step],
                delivery_id=delivery_id,
                ticket_id=update.ticket_id,
                tags=update.additional_tags,
                assignee_id=update.assignee_id,
                group_id=update.group_id,
                public=update.comment.public if update.comment else None,
                fields={str(f.id): f.value for f in update.custom_fields},
                account_team=[
                    r.user_email or r.user_id for r in [*update.followers, *update.email_ccs]
                ],
            )

    async def _resume(self, delivery: Delivery, escalation: Escalation) -> str:
        """A retry of a delivery whose plan was stored: finish it without repeating a write."""
        plan = Plan.model_validate(escalation.applied["plan"])
        stored = escalation.applied.get("tags_before", {})
        writes = Writes(tags_before={int(k): set(v) for k, v in stored.items()})
        for step, update, marker in plan.steps():
            if escalation.applied.get(step):
                continue
            ticket_id = update.ticket_id
            snapshot = writes.snapshots.get(ticket_id) or await self._read(ticket_id)
            writes.snapshots[ticket_id] = snapshot
            stamp = writes.stamps.get(ticket_id, snapshot.updated_stamp)
            tags_before = writes.tags_before.get(ticket_id, set())
            team: list[int] | None = None
            if not _landed(snapshot, update, marker=marker, tags_before=tags_before):
                stamp, after, _ = await self._write_once(
                    update, stamp=stamp, marker=marker, tags_before=tags_before
                )
                if step == "update":
                    team = _added_people(snapshot.ticket, after, update)
            writes.stamps[ticket_id] = stamp
            await self._mark_applied(escalation.id, delivery.id, step, update, team=team)
        return escalation.outcome


def _record_outcome(
    escalation: Escalation, ctx: EvaluationContext, decision: Decision, now: datetime
) -> None:
    escalation.outcome = decision.outcome
    escalation.state = STATE_OF_OUTCOME[decision.outcome]
    escalation.channel = ctx.channel
    escalation.requested_at = escalation.requested_at or now
    escalation.basis = list(decision.eligibility.basis)
    escalation.categories = list(decision.impact.categories)
    escalation.evidence = list(decision.impact.evidence)
    escalation.reasons = list(decision.reasons)
    escalation.sla_breach_eligible = decision.sla.breach_eligible
    escalation.sla_target_minutes = decision.sla.target_minutes
    escalation.sla_elapsed_minutes = decision.sla.elapsed_minutes
    escalation.region = decision.region
    escalation.incident_id = decision.incident_id
    escalation.eligible_at = decision.eligibility.eligible_at
    escalation.requested_by = ctx.requested_by or _author(ctx)
    # Kept so the scheduler can evaluate the same request again (outage over, SLA passed).
    escalation.request = {
        "comment": ctx.comment.model_dump(mode="json") if ctx.comment else None,
        "channel": ctx.channel,
        "added": ctx.added_email_ccs,
        "address": decision.escalation_address or escalation.request.get("address"),
        "requested_by": ctx.requested_by,
        "linked_ticket_id": ctx.linked_ticket_id,
    }


def _unfinished(escalation: Escalation, delivery_id: int) -> bool:
    applied = escalation.applied
    if applied.get("delivery_id") != delivery_id or "plan" not in applied:
        return False
    steps = [name for name in ("update", "reply", "link") if name in applied]
    return not all(applied[name] for name in steps)


def _audit_for(audit: Audit | None, event: TicketEvent) -> Audit | None:
    """The latest audit, if it is the one this event came from."""
    if audit is None:
        return None
    comment_id = event.comment.id if event.comment else None
    if comment_id is None:
        return audit
    for item in audit.events:
        if item.type == "Comment" and item.id == comment_id:
            return audit
    return None


def _landed(
    snapshot: TicketSnapshot, update: TicketUpdate, *, marker: str | None, tags_before: set[str]
) -> bool:
    """Whether a write whose response was lost is already on the ticket."""
    if marker and marker not in tags_before and marker in snapshot.ticket.tags:
        return True
    if update.comment is None or snapshot.last_audit is None:
        return False
    wanted = update.comment.body.strip()
    ref = REF.search(wanted)
    for item in snapshot.last_audit.events:
        body = (item.body or "").strip()
        if item.type == "Comment" and (body == wanted or (ref and ref.group(0) in body)):
            return True
    return False


def _may_escalate(sender: ZendeskUser, ticket: Ticket) -> bool:
    """Seed: the requester, a CC or a colleague from the same organisation may escalate."""
    return (
        sender.id == ticket.requester_id
        or sender.id in ticket.email_cc_ids
        or (sender.organization_id is not None and sender.organization_id == ticket.organization_id)
    )


def _added_people(before: Ticket, after: Ticket, update: TicketUpdate) -> list[int]:
    """User ids the update put on the ticket as followers or CCs: Zendesk resolved the account
    team's addresses for us, so no user lookup is spent on them."""
    if update.followers:
        return sorted(set(after.follower_ids) - set(before.follower_ids))
    if update.email_ccs:
        return sorted(set(after.email_cc_ids) - set(before.email_cc_ids))
    return []


def _describe(escalation: Escalation, ctx: EvaluationContext) -> None:
    escalation.subject = (ctx.ticket.subject or "")[:500] or None
    escalation.priority = ctx.ticket.priority
    escalation.organization_id = ctx.ticket.organization_id
    if ctx.organization is not None:
        escalation.organization_name = ctx.organization.name[:300]


def _author(ctx: EvaluationContext) -> str | None:
    if ctx.comment is not None and ctx.comment.author_id is not None:
        return f"user {ctx.comment.author_id}"
    return None


def _who(user: ZendeskUser) -> str:
    return f"{user.name} <{user.email}>" if user.email else user.name or f"user {user.id}"


def _status(value: str | None) -> str | None:
    """Zendesk spells statuses "OPEN" in events and "Open" in placeholders."""
    return value.strip().lower().replace("-", "") if value else None


def _minutes(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(0, int((end - start).total_seconds() // 60))
