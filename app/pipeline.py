"""One delivery through context → evaluate → plan → apply.

Zendesk calls are spent only where the payload cannot answer: a comment that is not an
escalation request costs none; a request costs one read (ticket with sideloads) and at most two
writes (the escalation update, then the customer reply).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

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
    added_email_ccs,
    comment_of,
)
from app.db import transaction
from app.events import TicketEvent, parse_event
from app.models import Delivery, Escalation, utcnow
from app.rules.config import RulesConfig
from app.rules.context import Channel, Comment, EvaluationContext, Incident, Ticket
from app.rules.decision import Decision, Plan, TicketUpdate
from app.rules.evaluate import evaluate, matched_escalation_address
from app.rules.plan import plan as plan_writes
from app.worker import PermanentError

log = structlog.get_logger()

# States in which the escalation is live and a new request only adds to it.
OPEN_STATES = frozenset({"escalated", "acknowledged"})
STATE_OF_OUTCOME = {
    "escalate": "escalated",
    "needs_business_impact": "needs_info",
    "not_eligible": "not_eligible",
    "outage_deprioritized": "deprioritized",
}
MAX_CONFLICTS = 3
REF = re.compile(r"escalator-ref: [\w-]+")


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
        self._escalation_users: dict[str, int] = {}

    async def __call__(self, delivery: Delivery) -> str:
        if delivery.ticket_id is None:
            return "ignore"
        event = parse_event(delivery.kind, delivery.ticket_id, delivery.payload)
        async with transaction(self.sessions) as session:
            escalation = await store.get_escalation(session, event.ticket_id)
        if escalation is not None and _unfinished(escalation, delivery.id):
            return await self._resume(delivery, escalation)
        request = await self.screen(event, escalation)
        if request is None:
            return "ignore"
        return await self._evaluate_and_apply(delivery, event, request, escalation)

    # -- screening: decided from the payload alone, no Zendesk call -------------------------

    async def screen(self, event: TicketEvent, escalation: Escalation | None) -> Request | None:
        rules = self.rules.config
        pending = escalation is not None and escalation.state == "needs_info"
        if event.kind == "email_ccs_changed":
            if event.added_cc_emails:
                if not matched_escalation_address(event.added_cc_emails, rules):
                    return None
                return Request(channel="comment", added_email_ccs=event.added_cc_emails)
            if not event.added_cc_ids:
                return None  # only removals
            known, complete = await self._escalation_user_ids()
            if not known.intersection(event.added_cc_ids) and complete:
                return None
            return Request(channel="comment")
        if event.kind == "comment_added":
            # Event webhooks carry no CC list: a CC added with this comment arrives as its own
            # email_ccs_changed event, which is the one that triggers the read.
            if pending and event.comment is not None and event.comment.author_is_staff is not True:
                return Request(channel="comment", comment=event.comment, continues_pending=True)
            return None
        if event.kind == "trigger":
            if pending and event.comment is not None and event.comment.author_is_staff is not True:
                return Request(channel="comment", comment=event.comment, continues_pending=True)
            if event.current_cc_emails is None:
                return Request(channel="comment")  # a body without CCs: the audit must tell
            if not matched_escalation_address(event.current_cc_emails, rules):
                return None
            if escalation is not None:
                # The address stays in the CCs after the request that added it; later
                # comments on the ticket are not new requests.
                return None
            return Request(channel="comment")
        return None

    async def _escalation_user_ids(self) -> tuple[set[int], bool]:
        """Zendesk user ids of the escalation addresses (CC events name users by id only), and
        whether every address's id is known. Ids are learnt from reads and from `warm()`; a user's
        id never changes, so they are kept for the process's life."""
        addresses = [str(a).lower() for a in self.rules.config.escalation_addresses]
        complete = all(a in self._escalation_users for a in addresses)
        return set(self._escalation_users.values()), complete

    def _learn_users(self, snapshot: TicketSnapshot) -> None:
        addresses = {str(a).lower() for a in self.rules.config.escalation_addresses}
        for user in snapshot.users.values():
            if user.email and user.email.lower() in addresses:
                self._escalation_users[user.email.lower()] = user.id

    async def warm(self) -> None:
        """Look the escalation addresses' users up once at start, outside any delivery, so
        the first CC change to someone else already costs no call."""
        for address in self.rules.config.escalation_addresses:
            try:
                user = await self.zendesk.find_user_by_email(str(address).lower())
            except Exception as e:  # Zendesk down at start: learnt from the first read instead
                log.warning("pipeline.warm_failed", error=str(e))
                return
            if user is not None and user.email:
                self._escalation_users[user.email.lower()] = user.id

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
        comment, added = self._request_evidence(snapshot, event, request)
        if comment is None and added is None:
            return "ignore"
        if request.continues_pending and escalation is not None:
            # The original CC is on record; this comment only has to supply the impact.
            added = [escalation.applied.get("escalation_address") or rules.escalation_addresses[0]]
        ctx = await self._context(
            snapshot,
            comment=comment,
            added=added or [],
            channel=request.channel,
            requested_by=request.requested_by,
            escalation=None if request.continues_pending else escalation,
        )
        decision = evaluate(ctx, rules)
        if decision.outcome == "ignore":
            metrics.ESCALATION_OUTCOMES.labels(outcome="ignore").inc()
            return "ignore"
        plan = plan_writes(decision, ctx, rules)
        escalation_id = await self._record_decision(delivery, ctx, decision, plan)
        await self._write(delivery, escalation_id, snapshot, ctx, plan)
        metrics.ESCALATION_OUTCOMES.labels(outcome=decision.outcome).inc()
        return decision.outcome

    async def _read(self, ticket_id: int) -> TicketSnapshot:
        try:
            return await self.zendesk.get_ticket_context(ticket_id)
        except ZendeskNotFound as e:
            raise PermanentError(f"ticket {ticket_id} not found in Zendesk (deleted?)") from e

    def _request_evidence(
        self, snapshot: TicketSnapshot, event: TicketEvent, request: Request
    ) -> tuple[Comment | None, list[str] | None]:
        """The comment that made the request and the CCs it added, from the latest audit."""
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

    async def _context(
        self,
        snapshot: TicketSnapshot,
        *,
        comment: Comment | None,
        added: list[str],
        channel: Channel,
        requested_by: str | None,
        escalation: Escalation | None,
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
            now=self.clock(),
        )

    async def _incidents(self) -> list[Incident]:
        if self.statuspage is None:
            return []
        return await self.statuspage.unresolved_incidents()

    # -- recording ------------------------------------------------------------------------

    async def _record_decision(
        self, delivery: Delivery, ctx: EvaluationContext, decision: Decision, plan: Plan
    ) -> int:
        """Store the decision and the plan before any write, so a crash resumes this plan."""
        now = self.clock()
        rules = self.rules.config
        async with transaction(self.sessions) as session:
            escalation = await store.lock_escalation(session, ctx.ticket.id)
            if escalation is None:
                escalation = Escalation(
                    ticket_id=ctx.ticket.id, state="requested", outcome=decision.outcome
                )
                session.add(escalation)
            _describe(escalation, ctx)
            if decision.outcome != "already_escalated":
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
            if decision.outcome == "escalate":
                update = plan.update
                escalation.escalated_at = now
                escalation.closed_at = None
                escalation.close_reason = None
                if update is not None:
                    escalation.manager_id = update.assignee_id
                    escalation.group_id = update.group_id
                hours = rules.cadence_hours.for_priority(_priority(ctx, rules))
                escalation.next_update_due_at = now + timedelta(hours=hours)
            escalation.applied = {
                "delivery_id": delivery.id,
                "plan": plan.model_dump(mode="json"),
                "tags_before": sorted(ctx.ticket.tags),
                "escalation_address": decision.escalation_address
                or escalation.applied.get("escalation_address"),
                "update": plan.update is None,
                "reply": plan.reply is None,
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
            )
            return escalation.id

    # -- writing --------------------------------------------------------------------------

    async def _write(
        self,
        delivery: Delivery,
        escalation_id: int,
        snapshot: TicketSnapshot,
        ctx: EvaluationContext,
        plan: Plan,
    ) -> None:
        stamp: str | None = snapshot.updated_stamp
        tags_before = set(ctx.ticket.tags)
        for step in ("update", "reply"):
            update: TicketUpdate | None = getattr(plan, step)
            if update is None:
                continue
            marker = plan.marker_tag if step == "update" else plan.reply_marker_tag
            stamp, after = await self._write_once(
                update, stamp=stamp, marker=marker, tags_before=tags_before
            )
            team = _added_people(ctx.ticket, after, update) if step == "update" else None
            await self._mark_applied(escalation_id, delivery.id, step, update, team=team)

    async def _write_once(
        self,
        update: TicketUpdate,
        *,
        stamp: str | None,
        marker: str | None,
        tags_before: set[str],
    ) -> tuple[str | None, Ticket]:
        """Send one safe_update; on 409 reload and, unless the ticket shows the write already
        landed (a retry after a lost answer), send it again against the fresh stamp.
        Returns the ticket's new stamp for the next write, and the ticket after the write."""
        for _ in range(MAX_CONFLICTS):
            try:
                ticket = await self.zendesk.update_ticket(
                    update.ticket_id, update.payload(updated_stamp=stamp)
                )
                # Zendesk's own format: whole seconds, `Z`.
                new_stamp = (
                    ticket.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ") if ticket.updated_at else None
                )
                return new_stamp, ticket
            except ZendeskConflict:
                fresh = await self._read(update.ticket_id)
                if _landed(fresh, update, marker=marker, tags_before=tags_before):
                    return fresh.updated_stamp, fresh.ticket
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
            await store.add_event(
                session,
                escalation,
                "zendesk_update" if step == "update" else "reply_sent",
                delivery_id=delivery_id,
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
        snapshot = await self._read(escalation.ticket_id)
        tags_before = set(escalation.applied.get("tags_before", []))
        stamp: str | None = snapshot.updated_stamp
        for step in ("update", "reply"):
            update: TicketUpdate | None = getattr(plan, step)
            if update is None or escalation.applied.get(step):
                continue
            marker = plan.marker_tag if step == "update" else plan.reply_marker_tag
            team: list[int] | None = None
            if not _landed(snapshot, update, marker=marker, tags_before=tags_before):
                stamp, after = await self._write_once(
                    update, stamp=stamp, marker=marker, tags_before=tags_before
                )
                team = _added_people(snapshot.ticket, after, update) if step == "update" else None
            await self._mark_applied(escalation.id, delivery.id, step, update, team=team)
        return escalation.outcome


def _unfinished(escalation: Escalation, delivery_id: int) -> bool:
    applied = escalation.applied
    return (
        applied.get("delivery_id") == delivery_id
        and "plan" in applied
        and not (applied.get("update") and applied.get("reply"))
    )


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


def _priority(ctx: EvaluationContext, rules: RulesConfig) -> Any:
    priority = ctx.ticket.priority
    return (
        priority if priority in ("urgent", "high", "normal", "low") else rules.sla.default_priority
    )
