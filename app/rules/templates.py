"""Comment templates: the default texts, and the one sandboxed Jinja2 setup that renders them.

The rules file is written by integration admins, not developers, so templates run in Jinja2's
sandbox (no attribute tricks reach Python internals) with `StrictUndefined` (a typo fails at
load time instead of sending the customer an empty sentence). Autoescape is off: Zendesk
comment bodies are plain text, and HTML entities would show up literally.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from app.rules.context import Incident, Organization, Ticket
from app.rules.decision import Decision, Eligibility, Impact, SlaAssessment

TemplateName = Literal[
    "acknowledgement",
    "internal_note",
    "needs_business_impact",
    "not_eligible",
    "outage",
    "reminder",
    "already_escalated",
    "email_linked",
    "email_needs_ticket",
]

# Variables every template receives (see `plan.template_variables`); documented in
# rules.example.yaml so admins know what they may use.
TEMPLATE_VARIABLES = (
    "ticket",
    "organization",
    "decision",
    "region",
    "manager",
    "sla",
    "impact",
    "incident",
    "cadence_hours",
    "next_update_due",
    "channel",
    "requested_by",
    "linked_ticket_id",
)

DEFAULT_ACKNOWLEDGEMENT = """\
Hello,

We have received your escalation request for ticket #{{ ticket.id }} and it has been accepted.

{{ manager.name }}, the support manager for the {{ region }} region, is now assigned to this \
ticket and will reach out to you to discuss the details and to agree on a communication \
cadence (we propose an update at least every {{ cadence_hours }} hours; the next one is due \
by {{ next_update_due | local }}). Your account team is included in this conversation.

The escalation stays open until a solution or a workaround that lets your application work \
as intended has been provided.

Kind regards,
Support
"""

DEFAULT_INTERNAL_NOTE = """\
Escalation accepted.

Requested by: {{ requested_by or "unknown" }} via {{ channel }}
Region: {{ region }}; assigned to {{ manager.name }} <{{ manager.email }}>
Basis: {{ decision.eligibility.basis | join(", ") or "none" }}
Categories: {{ impact.categories | join(", ") or "none" }}
Contract: {% if decision.eligibility.contract_expires %}valid until \
{{ decision.eligibility.contract_expires }}{% else %}valid (no expiry recorded){% endif %}

Why:
{% for reason in decision.reasons %}- {{ reason }}
{% endfor %}
Business impact, as stated by the customer:
{% for line in impact.evidence %}> {{ line }}
{% else %}> (none quoted)
{% endfor %}
SLA ({{ sla.metric }}, source: {{ sla.source }}): target {{ sla.target_minutes or "n/a" }} min, \
elapsed {{ sla.elapsed_minutes if sla.elapsed_minutes is not none else "n/a" }} min, \
breach-eligible: {{ "yes" if sla.breach_eligible else "no" }}\
{% if sla.breach_at %} (target time {{ sla.breach_at | local }}){% endif %}

Next steps:
- {{ manager.name }} reaches out to the customer to discuss the ticket and agree a \
communication cadence (default every {{ cadence_hours }} h).
- Next update due by {{ next_update_due | local }}.
- The escalation closes once a solution or workaround is provided.
"""

DEFAULT_NEEDS_BUSINESS_IMPACT = """\
Hello,

Thank you for your escalation request for ticket #{{ ticket.id }}. To escalate a ticket we \
need to understand the impact on your business. Please reply to this ticket describing:

- what is affected (for example your production environment, end users, orders or data);
- how severe it is and since when;
- any deadline or business risk involved.

As soon as we have this information we will review the escalation.

Kind regards,
Support
"""

DEFAULT_NOT_ELIGIBLE = """\
Hello,

Thank you for your escalation request for ticket #{{ ticket.id }}. We are unable to escalate \
this ticket at this moment:
{% for reason in decision.reasons %}
- {{ reason }}{% endfor %}

Our support team continues to work on your ticket in the meantime.

Kind regards,
Support
"""

DEFAULT_OUTAGE = """\
Hello,

Thank you for your escalation request for ticket #{{ ticket.id }}. Your issue is related to \
an ongoing platform incident that we are aware of and actively working on:

{{ incident.name }}{% if incident.shortlink %}
{{ incident.shortlink }}{% endif %}

Please subscribe to the incident on our status page to receive updates. Because this is a \
known issue, the escalation is deprioritised, but this ticket stays open until the incident \
is resolved. Feel free to reach out by phone or on this ticket for a status update.

Kind regards,
Support
"""

DEFAULT_REMINDER = """\
Reminder for {{ manager.name }}: the escalation on ticket #{{ ticket.id }} ({{ region }}) was \
due an update to the customer by {{ next_update_due | local }} (agreed cadence: every \
{{ cadence_hours }} hours). Please update the customer.
"""

DEFAULT_ALREADY_ESCALATED = """\
Additional escalation request on an already escalated ticket \
(by {{ requested_by or "unknown" }} via {{ channel }}); no second escalation was opened.
{% if impact.evidence %}
Business impact added by the customer:
{% for line in impact.evidence %}> {{ line }}
{% endfor %}{% endif %}"""

DEFAULT_EMAIL_LINKED = """\
Hello,

Thank you for your email. We have added it to your support ticket #{{ linked_ticket_id }}, \
where the escalation is handled; please continue the conversation there so that everyone \
involved sees the whole history. This email request is now closed.

Kind regards,
Support
"""

DEFAULT_EMAIL_NEEDS_TICKET = """\
Hello,

Thank you for your email. Escalations start from an existing support ticket, so that every \
team involved works from one consolidated history. We could not find a ticket of yours in \
this email: please reply with the number of the support ticket you want to escalate (for \
example "ticket #12345"), the reason for escalating and the business impact. If you have no \
ticket yet, please submit one first.

Kind regards,
Support
"""

DEFAULT_TEMPLATES: dict[TemplateName, str] = {
    "acknowledgement": DEFAULT_ACKNOWLEDGEMENT,
    "internal_note": DEFAULT_INTERNAL_NOTE,
    "needs_business_impact": DEFAULT_NEEDS_BUSINESS_IMPACT,
    "not_eligible": DEFAULT_NOT_ELIGIBLE,
    "outage": DEFAULT_OUTAGE,
    "reminder": DEFAULT_REMINDER,
    "already_escalated": DEFAULT_ALREADY_ESCALATED,
    "email_linked": DEFAULT_EMAIL_LINKED,
    "email_needs_ticket": DEFAULT_EMAIL_NEEDS_TICKET,
}


def _local_filter(timezone: str) -> Any:
    zone = ZoneInfo(timezone)

    def local(value: datetime | None) -> str:
        # Customers read times in the support organisation's zone, with the zone named.
        if value is None:
            return "n/a"
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")

    return local


@lru_cache(maxsize=64)
def _environment(timezone: str) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True
    )
    env.filters["local"] = _local_filter(timezone)
    return env


@lru_cache(maxsize=256)
def compile_template(text: str, *, timezone: str = "UTC") -> Template:
    """Compile once per (text, zone); raises jinja2.TemplateError on bad syntax."""
    return _environment(timezone).from_string(text)


def render_text(text: str, variables: dict[str, Any], *, timezone: str = "UTC") -> str:
    return compile_template(text, timezone=timezone).render(**variables).strip() + "\n"


def sample_variables(name: str) -> dict[str, Any]:
    """Realistic variables for a load-time test render, so an undefined name is caught when
    the rules file is validated rather than when a customer is waiting for a reply."""
    now = datetime(2024, 1, 15, 10, 0, tzinfo=UTC)
    impact = Impact(
        present=True,
        categories=["major_problem"],
        evidence=["Production is down."],
        production=True,
    )
    sla = SlaAssessment(
        breach_eligible=True,
        target_minutes=60,
        elapsed_minutes=90,
        source="rules",
        breach_at=now - timedelta(minutes=30),
    )
    decision = Decision(
        outcome="escalate",
        reasons=["Sample reason."],
        impact=impact,
        sla=sla,
        eligibility=Eligibility(contract_valid=True, basis=["sla_breach"], eligible_at=now),
        region="EMEA",
    )
    # Imported here: config imports this module, and the manager model lives there.
    from app.rules.config import RegionalManager

    incident = (
        Incident(id="inc1", name="Sample incident", impact="major", shortlink="https://stspg.io/x")
        if name == "outage"
        else None
    )
    return {
        "ticket": Ticket(id=1, subject="Sample", priority="high", created_at=now),
        "organization": Organization(id=1, name="Sample Org"),
        "decision": decision,
        "region": "EMEA",
        "manager": RegionalManager(id=1, email="manager@example.com", name="Manager"),
        "sla": sla,
        "impact": impact,
        "incident": incident,
        "cadence_hours": 24,
        "next_update_due": now + timedelta(hours=24),
        "channel": "comment",
        "requested_by": "customer@example.com",
        "linked_ticket_id": 1001,
    }


def check_template(name: str, text: str) -> str | None:
    """Why `text` cannot serve as template `name`, or None when it compiles and renders."""
    try:
        render_text(text, sample_variables(name))
    except TemplateError as e:
        line = getattr(e, "lineno", None)
        where = f" (line {line})" if line else ""
        return f"template error: {e.message or e}{where}"
    return None
