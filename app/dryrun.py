"""The dry-run: evaluate a hand-written ticket and comment against some rules; no Zendesk call."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.rules.config import RulesConfig, load_rules
from app.rules.context import Comment, EvaluationContext, Incident, Organization, Ticket, ZendeskSla
from app.rules.decision import Eligibility, Impact, Outcome, SlaAssessment
from app.rules.evaluate import evaluate
from app.rules.plan import plan


class DryRunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ticket: Ticket
    organization: Organization | None = None
    comment: Comment | None = None
    added_email_ccs: list[str] = Field(default_factory=list)
    channel: str = "comment"
    first_public_agent_reply_at: datetime | None = None
    zendesk_sla: ZendeskSla | None = None
    incidents: list[Incident] = Field(default_factory=list)
    now: datetime | None = None
    rules: str | None = Field(default=None, description="YAML to try instead of the active rules")


class DryRunPlan(BaseModel):
    update: dict[str, Any] | None
    reply: dict[str, Any] | None


class DryRunResult(BaseModel):
    outcome: Outcome
    reasons: list[str]
    impact: Impact
    sla: SlaAssessment
    eligibility: Eligibility
    region: str | None
    plan: DryRunPlan


def dry_run(request: DryRunRequest, *, active: RulesConfig, now: datetime) -> DryRunResult:
    rules = load_rules(request.rules) if request.rules is not None else active
    ctx = EvaluationContext(
        ticket=request.ticket,
        organization=request.organization,
        comment=request.comment,
        added_email_ccs=request.added_email_ccs,
        channel="email"
        if request.channel == "email"
        else "csm"
        if request.channel == "csm"
        else "comment",
        first_public_agent_reply_at=request.first_public_agent_reply_at,
        zendesk_sla=request.zendesk_sla,
        incidents=request.incidents,
        now=request.now or now,
    )
    decision = evaluate(ctx, rules)
    writes = plan(decision, ctx, rules)
    return DryRunResult(
        outcome=decision.outcome,
        reasons=decision.reasons,
        impact=decision.impact,
        sla=decision.sla,
        eligibility=decision.eligibility,
        region=decision.region,
        plan=DryRunPlan(
            update=writes.update.payload() if writes.update else None,
            reply=writes.reply.payload() if writes.reply else None,
        ),
    )
