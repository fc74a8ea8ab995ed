"""Clients for the external APIs Escalator talks to (Zendesk, Statuspage)."""

from app.clients.statuspage import StatuspageClient, StatuspageError
from app.clients.zendesk import (
    Audit,
    AuditEvent,
    JobStatus,
    TicketSnapshot,
    ZendeskAuthError,
    ZendeskClient,
    ZendeskConflict,
    ZendeskError,
    ZendeskForbidden,
    ZendeskNotFound,
    ZendeskRateLimited,
    ZendeskUnavailable,
    ZendeskUnprocessable,
    ZendeskUser,
    added_email_ccs,
    comment_of,
)

__all__ = [
    "Audit",
    "AuditEvent",
    "JobStatus",
    "StatuspageClient",
    "StatuspageError",
    "TicketSnapshot",
    "ZendeskAuthError",
    "ZendeskClient",
    "ZendeskConflict",
    "ZendeskError",
    "ZendeskForbidden",
    "ZendeskNotFound",
    "ZendeskRateLimited",
    "ZendeskUnavailable",
    "ZendeskUnprocessable",
    "ZendeskUser",
    "added_email_ccs",
    "comment_of",
]
