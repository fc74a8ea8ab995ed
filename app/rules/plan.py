"""Turn a Decision into the exact Zendesk writes (DESIGN §2 "Actions on escalate", §6)."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from app.rules.config import RulesConfig
from app.rules.context import EvaluationContext, Organization
from app.rules.decision import Decision, FieldValue, Plan, Recipient, TicketComment, TicketUpdate
from app.rules.eligibility import as_utc
from app.rules.templates import DEFAULT_TEMPLATES, render_text

ESCALATED_TAG = "escalated"
ACK_TAG = "escalation_ack_sent"
NEEDS_IMPACT_TAG = "escalation_needs_impact"
NOT_ELIGIBLE_TAG = "escalation_not_eligible"
OUTAGE_TAG = "escalation_outage"
CLOSED_TAG = "escalation_closed"
# Tags of earlier, non-final answers: a later state replaces them so views stay truthful.
PENDING_TAGS = (NEEDS_IMPACT_TAG, NOT_ELIGIBLE_TAG, OUTAGE_TAG)
IMPACT_SUMMARY_LIMIT = 1000
MARKER_PREFIX = "escalator-ref:"

# Values written to the escalation-status custom field (a dropdown Escalator provisions).
STATUS_ESCALATED = "escalated"
STATUS_NEEDS_INFO = "needs_info"
STATUS_NOT_ELIGIBLE = "not_eligible"
STATUS_DEPRIORITIZED = "deprioritized"


def render_template(rules: RulesConfig, name: str, **variables: Any) -> str:
    """Render the rules file's template `name` (one of `DEFAULT_TEMPLATES`)."""
    if name not in DEFAULT_TEMPLATES:
        raise ValueError(f"unknown template {name!r}")
    text: str = getattr(rules.templates, name)
    return render_text(text, variables, timezone=rules.timezone)


def template_variables(
    decision: Decision, ctx: EvaluationContext, rules: RulesConfig
) -> dict[str, Any]:
    """The variables every template gets (listed in rules.example.yaml)."""
    region = decision.region if decision.region in rules.regions else rules.default_region
    cadence = rules.cadence_hours.for_priority(rules.priority_of(ctx.ticket.priority))
    incident = next((i for i in ctx.incidents if i.id == decision.incident_id), None)
    requested_by = ctx.requested_by
    if requested_by is None and ctx.comment is not None and ctx.comment.author_id is not None:
        requested_by = f"user {ctx.comment.author_id}"
    return {
        "ticket": ctx.ticket,
        # Templates may say `organization.name` without guarding against a missing org.
        "organization": ctx.organization or Organization(id=0, name=""),
        "decision": decision,
        "region": region,
        "manager": rules.regions[region].manager,
        "sla": decision.sla,
        "impact": decision.impact,
        "incident": incident,
        "cadence_hours": cadence,
        "next_update_due": as_utc(ctx.now) + timedelta(hours=cadence),
        "channel": ctx.channel,
        "requested_by": requested_by,
        "linked_ticket_id": ctx.linked_ticket_id,
    }


def escalation_ref(decision: Decision, ctx: EvaluationContext) -> str:
    """A marker that is the same for the same request, so a retried write is recognisable
    in the ticket's comments even when the response to the first attempt was lost."""
    inputs = {
        "ticket": ctx.ticket.id,
        "channel": ctx.channel,
        "comment_id": ctx.comment.id if ctx.comment else None,
        "body": ctx.comment.body if ctx.comment else None,
        "requested_by": ctx.requested_by,
        "outcome": decision.outcome,
    }
    digest = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:10]
    return f"esc-{ctx.ticket.id}-{digest}"


def impact_summary(decision: Decision) -> str:
    summary = " ".join(decision.impact.evidence)
    if len(summary) > IMPACT_SUMMARY_LIMIT:
        summary = summary[: IMPACT_SUMMARY_LIMIT - 1].rstrip() + "…"
    return summary


def _reason_tags(decision: Decision) -> list[str]:
    reasons: list[str] = list(decision.impact.categories)
    if not reasons:
        # Nothing classified (typically an SLA-only escalation): tag the basis instead.
        reasons = list(decision.eligibility.basis)
    return [f"escalation_reason_{r}" for r in dict.fromkeys(reasons)]


def _account_team(ctx: EvaluationContext, rules: RulesConfig) -> list[Recipient]:
    fields = ctx.organization.organization_fields if ctx.organization else {}
    emails: dict[str, str] = {}
    for name in rules.account_team.fields():
        value = fields.get(name)
        if isinstance(value, str) and "@" in value:
            emails.setdefault(value.strip().casefold(), value.strip())
    return [Recipient(user_email=email, action="put") for email in emails.values()]


def _present(ctx: EvaluationContext, tags: tuple[str, ...]) -> list[str]:
    return [tag for tag in tags if tag in ctx.ticket.tags]


def _with_marker(body: str, ref: str, ctx: EvaluationContext | None = None) -> str:
    # Links are added here rather than in the templates, so an admin's own template still
    # tells the manager about related tickets and the email the request came from.
    links: list[str] = []
    if ctx is not None and ctx.channel == "email" and ctx.linked_ticket_id is not None:
        links.append(f"Requested by email: ticket #{ctx.linked_ticket_id}.")
    if ctx is not None and ctx.related_tickets:
        related = ", ".join(f"#{t}" for t in ctx.related_tickets)
        links.append(f"Related escalations of this organisation: {related}.")
    extra = "\n".join(links)
    return f"{body.rstrip()}\n\n{extra + chr(10) + chr(10) if extra else ''}{MARKER_PREFIX} {ref}"


def _status_fields(rules: RulesConfig, decision: Decision, status: str) -> list[FieldValue]:
    # SLA-breach eligibility is recorded on every answered request, not only escalations.
    return [
        FieldValue(id=rules.fields.status, value=status),
        FieldValue(id=rules.fields.sla_breach_eligible, value=decision.sla.breach_eligible),
    ]


def plan(decision: Decision, ctx: EvaluationContext, rules: RulesConfig) -> Plan:
    """The writes for `decision`: at most one escalation update and one customer reply."""
    ticket_id = ctx.ticket.id
    if decision.outcome == "ignore":
        return Plan()
    variables = template_variables(decision, ctx, rules)
    ref = escalation_ref(decision, ctx)

    if decision.outcome == "escalate":
        region = variables["region"]
        team = _account_team(ctx, rules)
        update = TicketUpdate(
            ticket_id=ticket_id,
            additional_tags=[ESCALATED_TAG, *_reason_tags(decision)],
            remove_tags=_present(ctx, (*PENDING_TAGS, CLOSED_TAG, ACK_TAG, rules.csm_request_tag)),
            custom_fields=[
                FieldValue(id=rules.fields.status, value=STATUS_ESCALATED),
                FieldValue(id=rules.fields.basis, value=",".join(decision.eligibility.basis)),
                FieldValue(id=rules.fields.sla_breach_eligible, value=decision.sla.breach_eligible),
                FieldValue(id=rules.fields.business_impact, value=impact_summary(decision)),
            ],
            assignee_id=rules.regions[region].manager.id,
            group_id=rules.regions[region].group_id,
            followers=team if rules.account_team.add_as == "followers" else [],
            email_ccs=team if rules.account_team.add_as == "email_ccs" else [],
            comment=TicketComment(
                body=_with_marker(render_template(rules, "internal_note", **variables), ref, ctx),
                public=False,
            ),
        )
        reply = TicketUpdate(
            ticket_id=ticket_id,
            additional_tags=[ACK_TAG],
            comment=TicketComment(
                body=render_template(rules, "acknowledgement", **variables), public=True
            ),
        )
        return Plan(update=update, reply=reply, marker_tag=ESCALATED_TAG, reply_marker_tag=ACK_TAG)

    if decision.outcome == "already_escalated":
        note = render_template(rules, "already_escalated", **variables)
        return Plan(
            update=TicketUpdate(
                ticket_id=ticket_id,
                # The macro's tag is consumed, so the CSM can request again later.
                remove_tags=_present(ctx, (rules.csm_request_tag,)),
                comment=TicketComment(body=_with_marker(note, ref, ctx), public=False),
            )
        )

    template, tag, status = {
        "needs_business_impact": ("needs_business_impact", NEEDS_IMPACT_TAG, STATUS_NEEDS_INFO),
        "not_eligible": ("not_eligible", NOT_ELIGIBLE_TAG, STATUS_NOT_ELIGIBLE),
        "outage_deprioritized": ("outage", OUTAGE_TAG, STATUS_DEPRIORITIZED),
    }[decision.outcome]
    # Never sets `status`: an outage keeps the ticket open until the incident is resolved.
    reply = TicketUpdate(
        ticket_id=ticket_id,
        additional_tags=[tag],
        remove_tags=[t for t in _present(ctx, (*PENDING_TAGS, rules.csm_request_tag)) if t != tag],
        custom_fields=_status_fields(rules, decision, status),
        comment=TicketComment(body=render_template(rules, template, **variables), public=True),
    )
    return Plan(
        reply=reply, reply_marker_tag=tag, batched=decision.outcome == "outage_deprioritized"
    )
