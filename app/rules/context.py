"""What the rules see: Zendesk objects as plain, typed data, plus the moment of evaluation."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Channel = Literal["comment", "email", "csm"]


class ZendeskModel(BaseModel):
    # Zendesk adds fields over time; the rules only read the ones named here.
    model_config = ConfigDict(extra="ignore")


class CustomFieldValue(ZendeskModel):
    id: int
    value: Any = None


class Via(ZendeskModel):
    channel: str | None = None


class Ticket(ZendeskModel):
    id: int
    subject: str | None = None
    description: str | None = None
    status: str = "open"
    priority: str | None = None
    type: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    tags: list[str] = Field(default_factory=list)
    organization_id: int | None = None
    requester_id: int | None = None
    submitter_id: int | None = None
    assignee_id: int | None = None
    group_id: int | None = None
    email_cc_ids: list[int] = Field(default_factory=list)
    follower_ids: list[int] = Field(default_factory=list)
    custom_fields: list[CustomFieldValue] = Field(default_factory=list)
    recipient: str | None = None
    via: Via | None = None


class Organization(ZendeskModel):
    id: int
    name: str = ""
    organization_fields: dict[str, Any] = Field(default_factory=dict)


class Comment(ZendeskModel):
    id: int | None = None
    body: str = ""
    html_body: str | None = None
    public: bool = True
    author_id: int | None = None
    # None when the payload does not say; the pipeline fills it from the author's role.
    author_is_staff: bool | None = None
    created_at: datetime | None = None


class ZendeskSla(ZendeskModel):
    """Zendesk's own first-reply SLA for the ticket, when an SLA policy applies."""

    metric: str = "first_reply_time"
    target_minutes: int | None = None
    breach_at: datetime | None = None
    # "active" (clock running), "paused", "achieved" (replied in time) as Zendesk reports it.
    stage: str | None = None


class Incident(ZendeskModel):
    """An unresolved Statuspage incident."""

    id: str
    name: str
    status: str = "investigating"
    impact: str = "none"
    shortlink: str | None = None
    components: list[str] = Field(default_factory=list)


class EvaluationContext(BaseModel):
    """Everything one evaluation needs, gathered by the pipeline (or given to the dry-run)."""

    ticket: Ticket
    organization: Organization | None = None
    comment: Comment | None = None
    # Addresses this comment/update added to the ticket's email CCs (audit or payload).
    added_email_ccs: list[str] = Field(default_factory=list)
    channel: Channel = "comment"
    requested_by: str | None = None
    # When an agent first replied publicly; None while nobody has.
    first_public_agent_reply_at: datetime | None = None
    zendesk_sla: ZendeskSla | None = None
    incidents: list[Incident] = Field(default_factory=list)
    # Escalator already holds an open escalation for this ticket.
    open_escalation: bool = False
    # Other tickets of the organisation escalated within the rules' recurring window.
    related_tickets: list[int] = Field(default_factory=list)
    # The other ticket of an email request: the email ticket on the escalated one.
    linked_ticket_id: int | None = None
    now: datetime
