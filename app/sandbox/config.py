"""Settings of one sandbox Zendesk account."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

WebhookMode = Literal["event", "trigger"]


@dataclass
class SandboxConfig:
    """What a sandbox needs to know; every field but the credentials can change at run time."""

    email: str
    api_token: str
    webhook_url: str | None
    webhook_secret: str
    webhook_mode: WebhookMode = "event"
    requests_per_minute: int = 700
    # Zendesk's "Update Ticket" endpoint limit per account, separate from the plan limit.
    # https://developer.zendesk.com/api-reference/introduction/rate-limits/
    updates_per_minute: int = 100
    # The length of a rate-limit "minute", so tests can use a short window.
    rate_window_seconds: float = 60.0
    latency_ms: int = 0
    subdomain: str = "sandbox"
    account_id: int = 9000001
