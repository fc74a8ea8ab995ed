"""One evaluation of an escalation request: DESIGN §2 "Validation", as a pure function."""

from __future__ import annotations

from collections.abc import Mapping
from email.utils import parseaddr
from functools import lru_cache
from zoneinfo import ZoneInfo

from app.rules.config import RulesConfig
from app.rules.context import EvaluationContext, Incident
from app.rules.decision import Basis, Decision, Eligibility, Impact, Outcome, SlaAssessment
from app.rules.detect import clean_text, detect_impact
from app.rules.eligibility import as_utc, assess_sla, contract_status

INCIDENT_IMPACT_ORDER = ("none", "minor", "major", "critical")
# The seed's incident-like reasons: each one is "tangible impact to production".
PRODUCTION_CATEGORIES = frozenset(
    {"major_problem", "prolonged_outage", "data_loss", "security_breach", "recurring_incidents"}
)


# `parseaddr` is a hand-written tokenizer costing ~20µs a call; CC lists repeat the same few
# addresses, so parsed forms are cached (bounded: CCs come from customers).
@lru_cache(maxsize=4096)
def _address(text: str) -> str:
    """`Escalation Desk <ESCALATION@Example.com>` → `escalation@example.com`."""
    _, addr = parseaddr(text)
    return (addr or text).strip().casefold()


@lru_cache(maxsize=16)
def _configured_addresses(addresses: tuple[str, ...]) -> Mapping[str, str]:
    return {_address(a): a for a in addresses}


def matched_escalation_address(candidates: list[str], rules: RulesConfig) -> str | None:
    """The configured escalation address among `candidates` (case-insensitive), if any."""
    configured = _configured_addresses(tuple(map(str, rules.escalation_addresses)))
    for candidate in candidates:
        found = configured.get(_address(candidate))
        if found is not None:
            return found
    return None


def _rank(impact: str) -> int:
    return INCIDENT_IMPACT_ORDER.index(impact) if impact in INCIDENT_IMPACT_ORDER else 0


def relevant_incident(incidents: list[Incident], rules: RulesConfig) -> Incident | None:
    """The most severe unresolved incident that is big enough (and on a watched component)
    to deprioritise an escalation."""
    if not incidents:  # the usual case: no outage, nothing to compute
        return None
    wanted = {c.casefold() for c in rules.outage.components}
    floor = _rank(rules.outage.min_impact)
    matches = [
        incident
        for incident in incidents
        if incident.status not in ("resolved", "postmortem")
        and _rank(incident.impact) >= floor
        and (not wanted or any(c.casefold() in wanted for c in incident.components))
    ]
    return max(matches, key=lambda i: _rank(i.impact), default=None)


def basis_of(impact: Impact, sla: SlaAssessment) -> list[Basis]:
    basis: list[Basis] = []
    if sla.breach_eligible:
        basis.append("sla_breach")
    if impact.production or PRODUCTION_CATEGORIES.intersection(impact.categories):
        basis.append("production_impact")
    if impact.business_risk or "business_risk" in impact.categories:
        basis.append("business_risk")
    return basis


def _is_escalated(ctx: EvaluationContext) -> bool:
    tags = ctx.ticket.tags
    return ctx.open_escalation or ("escalated" in tags and "escalation_closed" not in tags)


def _comment_text(ctx: EvaluationContext) -> str:
    comment = ctx.comment
    if comment is None:
        return ""
    return clean_text(comment.body, comment.html_body)


def evaluate(ctx: EvaluationContext, rules: RulesConfig) -> Decision:
    """Decide what to do with one escalation request (or a comment that may be one)."""
    # Computed even for a comment that is not a request: it is cheap and pure, and the
    # dry-run shows the SLA position of any ticket.
    sla = assess_sla(ctx, rules)
    if ctx.channel == "comment":
        address = matched_escalation_address(ctx.added_email_ccs, rules)
        if address is None:
            return Decision(
                outcome="ignore", reasons=["No escalation address added to the CCs."], sla=sla
            )
    else:
        # Email and CSM requests are escalation requests by how they arrive.
        address = matched_escalation_address(
            [ctx.ticket.recipient] if ctx.ticket.recipient else [], rules
        )

    impact = _with_recurrence(
        detect_impact(_comment_text(ctx), settings=rules.business_impact), ctx, rules
    )
    organization = ctx.organization
    contract = contract_status(organization, rules, now=ctx.now)
    org_fields = organization.organization_fields if organization else {}
    region = rules.region_named(org_fields.get(rules.region_field))
    basis = basis_of(impact, sla)
    eligibility = Eligibility(
        contract_valid=contract.valid, contract_expires=contract.expires, basis=basis
    )

    def decide(outcome: Outcome, reasons: list[str], incident_id: str | None = None) -> Decision:
        return Decision(
            outcome=outcome,
            reasons=reasons,
            impact=impact,
            sla=sla,
            eligibility=eligibility,
            region=region,
            escalation_address=address,
            incident_id=incident_id,
        )

    if _is_escalated(ctx):
        return decide(
            "already_escalated",
            ["The ticket is already escalated; the request is added to the existing record."],
        )
    if not contract.valid:
        return decide("not_eligible", [contract.reason])
    if not impact.present:
        return decide(
            "needs_business_impact",
            ["The request does not describe the business impact, which an escalation needs."],
        )
    if not basis:
        reasons = [
            "The first-reply SLA has not passed and no production impact or high business "
            "risk was described."
        ]
        now = as_utc(ctx.now)
        if (
            sla.breach_at is not None
            and sla.breach_at > now
            and ctx.first_public_agent_reply_at is None
        ):
            eligibility.eligible_at = sla.breach_at
            when = sla.breach_at.astimezone(ZoneInfo(rules.timezone)).strftime("%Y-%m-%d %H:%M %Z")
            reasons.append(
                f"An escalation becomes possible at {when} if nobody has replied by then."
            )
        return decide("not_eligible", reasons)

    incident = relevant_incident(ctx.incidents, rules)
    if incident is not None:
        return decide(
            "outage_deprioritized",
            [
                f"A platform incident is ongoing ({incident.name}, impact {incident.impact}); "
                "the ticket stays open and the escalation is deprioritised."
            ],
            incident_id=incident.id,
        )

    reasons = _escalation_reasons(contract.reason, basis, impact)
    if "recurring_incidents" in impact.categories and ctx.related_tickets:
        related = ", ".join(f"#{t}" for t in ctx.related_tickets)
        reasons.append(
            f"{len(ctx.related_tickets) + 1} escalations from this organisation within "
            f"{rules.recurring.window_days} days (related: {related})."
        )
    return decide("escalate", reasons)


def _with_recurrence(impact: Impact, ctx: EvaluationContext, rules: RulesConfig) -> Impact:
    """Seed: "frequently recurring or multiple related ... incidents". An organisation that
    escalates again within the window, with impact stated, is flagged recurring."""
    if not impact.present or len(ctx.related_tickets) + 1 < rules.recurring.threshold:
        return impact
    if "recurring_incidents" in impact.categories:
        return impact
    return impact.model_copy(update={"categories": [*impact.categories, "recurring_incidents"]})


def _escalation_reasons(contract_reason: str, basis: list[Basis], impact: Impact) -> list[str]:
    reasons = [contract_reason]
    if "sla_breach" in basis:
        reasons.append("The first-reply SLA passed without a public reply from support.")
    if "production_impact" in basis:
        reasons.append("The customer reports tangible impact on production.")
    if "business_risk" in basis:
        reasons.append("The customer reports a high risk to business operations.")
    if impact.categories:
        named = ", ".join(c.replace("_", " ") for c in impact.categories)
        reasons.append(f"Reasons classified as: {named}.")
    return reasons
