"""What the rules return: a Decision, and the TicketUpdate a decision turns into."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

Outcome = Literal[
    "escalate",
    "needs_business_impact",
    "not_eligible",
    "outage_deprioritized",
    "already_escalated",
    "ignore",
]
Category = Literal[
    "major_problem",
    "prolonged_outage",
    "recurring_incidents",
    "security_breach",
    "data_loss",
    "business_risk",
]
Basis = Literal["sla_breach", "production_impact", "business_risk"]


class Impact(BaseModel):
    present: bool = False
    categories: list[Category] = Field(default_factory=list)
    # The sentences that carry the impact, as the customer wrote them (after cleaning).
    evidence: list[str] = Field(default_factory=list)
    production: bool = False
    business_risk: bool = False
    language: str | None = None


class SlaAssessment(BaseModel):
    breach_eligible: bool = False
    metric: str = "first_reply_time"
    target_minutes: int | None = None
    elapsed_minutes: int | None = None
    source: Literal["zendesk", "rules", "none"] = "none"
    breach_at: datetime | None = None


class Eligibility(BaseModel):
    contract_valid: bool = False
    contract_expires: date | None = None
    basis: list[Basis] = Field(default_factory=list)
    # When a not-yet-eligible request becomes eligible without anything else changing.
    eligible_at: datetime | None = None


class Decision(BaseModel):
    outcome: Outcome
    reasons: list[str] = Field(default_factory=list)
    impact: Impact = Field(default_factory=Impact)
    sla: SlaAssessment = Field(default_factory=SlaAssessment)
    eligibility: Eligibility = Field(default_factory=Eligibility)
    region: str | None = None
    escalation_address: str | None = None
    incident_id: str | None = None


class FieldValue(BaseModel):
    id: int
    value: Any


class Recipient(BaseModel):
    """An email CC or follower entry as Zendesk's update takes it."""

    user_id: int | None = None
    user_email: str | None = None
    action: Literal["put", "delete"] = "put"


class TicketComment(BaseModel):
    body: str
    # Always sent explicitly: Zendesk's default for API comments is public.
    public: bool


class TicketUpdate(BaseModel):
    """One PUT /api/v2/tickets/{id}; `payload()` is exactly what goes over the wire."""

    ticket_id: int
    additional_tags: list[str] = Field(default_factory=list)
    remove_tags: list[str] = Field(default_factory=list)
    custom_fields: list[FieldValue] = Field(default_factory=list)
    assignee_id: int | None = None
    group_id: int | None = None
    email_ccs: list[Recipient] = Field(default_factory=list)
    followers: list[Recipient] = Field(default_factory=list)
    comment: TicketComment | None = None
    status: str | None = None

    def payload(self, *, updated_stamp: str | None = None) -> dict[str, Any]:
        ticket: dict[str, Any] = self.model_dump(
            exclude={"ticket_id"}, exclude_none=True, exclude_defaults=True
        )
        # exclude_defaults above would also drop `action: "put"` and a `None` field value,
        # both of which Zendesk needs to see, so these lists are dumped on their own.
        for name in ("email_ccs", "followers"):
            if recipients := getattr(self, name):
                ticket[name] = [r.model_dump(exclude_none=True) for r in recipients]
        if self.custom_fields:
            ticket["custom_fields"] = [f.model_dump() for f in self.custom_fields]
        if self.comment is not None:
            ticket["comment"] = self.comment.model_dump()
        if updated_stamp is not None:
            ticket["safe_update"] = True
            ticket["updated_stamp"] = updated_stamp
        return {"ticket": ticket}


class Plan(BaseModel):
    """The writes one decision needs, in order: the escalation update, then the reply, then
    (for an email request) the answer on the email's own ticket."""

    update: TicketUpdate | None = None
    reply: TicketUpdate | None = None
    link: TicketUpdate | None = None
    # Tag that proves the update landed, so a retried write after a lost response is skipped.
    marker_tag: str | None = None
    reply_marker_tag: str | None = None
    link_marker_tag: str | None = None
    # Its one write may go out with other tickets' in one update_many: outage acknowledgements,
    # which come in floods (app/update_batch.py).
    batched: bool = False

    def steps(self) -> list[tuple[str, TicketUpdate, str | None]]:
        """(name, write, marker tag) for each write, in the order they are sent."""
        candidates = [
            ("update", self.update, self.marker_tag),
            ("reply", self.reply, self.reply_marker_tag),
            ("link", self.link, self.link_marker_tag),
        ]
        return [(name, write, marker) for name, write, marker in candidates if write is not None]
