"""Shared fixtures for the pure rules: the example rules file and a context builder."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.rules.config import RulesConfig, load_rules_file
from app.rules.context import Comment, EvaluationContext, Organization, Ticket

EXAMPLE = Path(__file__).resolve().parents[2] / "rules.example.yaml"

# A Wednesday, 10:00 UTC (11:00 in Amsterdam): inside business hours, far from DST changes.
NOW = datetime(2024, 3, 13, 10, 0, tzinfo=UTC)

IMPACT_TEXT = "Our production environment is down and customers cannot place orders."

# Test modules cannot import this file reliably (other test folders have a conftest too), so
# they repeat NOW and take the builders below as fixtures.
ContextFactory = Callable[..., EvaluationContext]


@pytest.fixture
def rules() -> RulesConfig:
    return load_rules_file(EXAMPLE)


@pytest.fixture
def now() -> datetime:
    return NOW


def organization(**fields: Any) -> Organization:
    """An AMER customer with a valid contract and two of three account-team emails."""
    base: dict[str, Any] = {
        "region": "AMER",
        "support_contract_expires": "2030-12-31",
        "csm_email": "csm@customer-success.example.com",
        "partner_manager_email": "",
        "account_executive_email": "ae@example.com",
    }
    base.update(fields)
    return Organization(id=77, name="Acme", organization_fields=base)


@pytest.fixture
def make_org() -> Callable[..., Organization]:
    return organization


@pytest.fixture
def make_ctx() -> ContextFactory:
    """A comment that CCs the escalation address on an urgent, three-day-old ticket that
    nobody answered; tests override what they are about."""

    def build(
        *,
        body: str = IMPACT_TEXT,
        ticket: dict[str, Any] | None = None,
        org: Organization | str | None = "default",
        **overrides: Any,
    ) -> EvaluationContext:
        ticket_data: dict[str, Any] = {
            "id": 4242,
            "subject": "Checkout broken",
            "priority": "urgent",
            "created_at": NOW - timedelta(days=3),
            "tags": [],
            "organization_id": 77,
        }
        ticket_data.update(ticket or {})
        values: dict[str, Any] = {
            "ticket": Ticket(**ticket_data),
            "organization": organization() if org == "default" else org,
            "comment": Comment(id=9001, body=body, author_id=555, public=True),
            "added_email_ccs": ["escalation@example.com"],
            "channel": "comment",
            "requested_by": "jane@customer.example.com",
            "now": NOW,
        }
        values.update(overrides)
        return EvaluationContext(**values)

    return build
