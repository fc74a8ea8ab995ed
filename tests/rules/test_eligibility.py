"""Contract validity and first-reply SLA-breach eligibility."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from app.rules.config import RulesConfig
from app.rules.context import EvaluationContext, Organization, ZendeskSla
from app.rules.eligibility import (
    add_business_minutes,
    assess_sla,
    business_minutes_between,
    contract_status,
)

NOW = datetime(2024, 3, 13, 10, 0, tzinfo=UTC)  # as in conftest: Wednesday 11:00 Amsterdam
ContextFactory = Callable[..., EvaluationContext]
OrgFactory = Callable[..., Organization]


def with_sla(rules: RulesConfig, **changes: Any) -> RulesConfig:
    return rules.model_copy(update={"sla": rules.sla.model_copy(update=changes)})


def with_contract(rules: RulesConfig, when_missing: str) -> RulesConfig:
    contract = rules.contract.model_copy(update={"when_missing": when_missing})
    return rules.model_copy(update={"contract": contract})


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- contract ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expires", "now", "valid"),
    [
        ("2030-12-31", NOW, True),
        ("2024-03-13", NOW, True),  # expires today: still covered today
        ("2024-03-12", NOW, False),
        ("2024-03-13T00:00:00Z", NOW, True),
        # 23:30 UTC on the 13th is already the 14th in Amsterdam (the rules' zone).
        ("2024-03-13", utc(2024, 3, 13, 23, 30), False),
        ("2024-03-14", utc(2024, 3, 13, 23, 30), True),
    ],
)
def test_contract_valid_until_its_expiry_day_in_the_rules_zone(
    rules: RulesConfig, make_org: OrgFactory, expires: str, now: datetime, valid: bool
) -> None:
    org = make_org(support_contract_expires=expires)
    status = contract_status(org, rules, now=now)
    assert status.valid is valid
    assert status.expires == date.fromisoformat(expires[:10])


def test_expired_contract_reason_names_the_date(rules: RulesConfig, make_org: OrgFactory) -> None:
    status = contract_status(make_org(support_contract_expires="2023-06-30"), rules, now=NOW)
    assert status == (False, date(2023, 6, 30), "The support contract expired on 2023-06-30.")


@pytest.mark.parametrize(
    ("fields", "when_missing", "valid", "reason_part"),
    [
        ({"support_contract_expires": None}, "deny", False, "no support contract"),
        ({"support_contract_expires": ""}, "allow", True, "the rules allow that"),
        ({"support_contract_expires": "soon"}, "deny", False, "unreadable"),
        ({}, "allow", True, "no support contract"),
        (None, "deny", False, "no organisation"),
    ],
)
def test_missing_contract_follows_when_missing(
    rules: RulesConfig,
    fields: dict[str, Any] | None,
    when_missing: str,
    valid: bool,
    reason_part: str,
) -> None:
    org = Organization(id=1, organization_fields=fields) if fields is not None else None
    status = contract_status(org, with_contract(rules, when_missing), now=NOW)
    assert status.valid is valid
    assert status.expires is None
    assert reason_part in status.reason


# --- SLA on the calendar clock -----------------------------------------------------------


@pytest.mark.parametrize(
    ("priority", "age", "reply_after", "eligible", "elapsed"),
    [
        ("urgent", timedelta(days=3), None, True, 3 * 24 * 60),
        ("urgent", timedelta(minutes=1), None, False, 1),
        ("urgent", timedelta(minutes=60), None, True, 60),  # exactly at the target
        ("urgent", timedelta(days=3), timedelta(minutes=30), False, 30),  # answered in time
        ("urgent", timedelta(days=3), timedelta(minutes=90), True, 90),  # answered late
        ("low", timedelta(hours=23), None, False, 23 * 60),
        ("low", timedelta(hours=25), None, True, 25 * 60),
        (None, timedelta(hours=7), None, False, 7 * 60),  # default priority normal: 8 h
        (None, timedelta(hours=9), None, True, 9 * 60),
    ],
)
def test_calendar_first_reply_target(
    rules: RulesConfig,
    make_ctx: ContextFactory,
    priority: str | None,
    age: timedelta,
    reply_after: timedelta | None,
    eligible: bool,
    elapsed: int,
) -> None:
    created = NOW - age
    ctx = make_ctx(
        ticket={"priority": priority, "created_at": created},
        first_public_agent_reply_at=created + reply_after if reply_after else None,
    )
    sla = assess_sla(ctx, rules)
    target = rules.sla.first_reply_minutes.for_priority(rules.priority_of(priority))
    assert (sla.breach_eligible, sla.elapsed_minutes, sla.source) == (eligible, elapsed, "rules")
    assert sla.target_minutes == target
    assert sla.breach_at == created + timedelta(minutes=target)


def test_no_creation_time_and_no_zendesk_sla_assesses_nothing(
    rules: RulesConfig, make_ctx: ContextFactory
) -> None:
    sla = assess_sla(make_ctx(ticket={"created_at": None}), rules)
    assert (sla.breach_eligible, sla.source, sla.breach_at) == (False, "none", None)


# --- SLA on business hours (Mon–Fri 09:00–17:00 Europe/Amsterdam) ------------------------


@pytest.mark.parametrize(
    ("created", "minutes", "breach_at"),
    [
        # Friday 16:30 CET + 8 h: 30 min on Friday, 7.5 h on Monday → Monday 16:30 CET.
        (utc(2024, 1, 12, 15, 30), 480, utc(2024, 1, 15, 15, 30)),
        # Created on Saturday: the clock starts Monday 09:00 CET.
        (utc(2024, 1, 13, 12, 0), 60, utc(2024, 1, 15, 9, 0)),
        # Created Tuesday 06:00 CET, before opening: 09:00 + 4 h.
        (utc(2024, 1, 16, 5, 0), 240, utc(2024, 1, 16, 12, 0)),
        # Created after closing on Wednesday: Thursday 10:00 CET.
        (utc(2024, 1, 17, 18, 0), 60, utc(2024, 1, 18, 9, 0)),
        # Across the spring DST change: Friday 16:00 CET (1 h), Monday 09:00 CEST + 1 h.
        (utc(2024, 3, 29, 15, 0), 120, utc(2024, 4, 1, 8, 0)),
        # A target longer than one day spans several days.
        (utc(2024, 1, 15, 8, 0), 1440, utc(2024, 1, 17, 16, 0)),
    ],
)
def test_business_hours_target_moment(
    rules: RulesConfig, created: datetime, minutes: int, breach_at: datetime
) -> None:
    assert add_business_minutes(rules.sla.business_hours, created, minutes) == breach_at


def test_business_minutes_skip_nights_weekends_and_holidays(rules: RulesConfig) -> None:
    hours = rules.sla.business_hours
    friday_4pm, monday_10am = utc(2024, 1, 12, 15, 0), utc(2024, 1, 15, 9, 0)
    assert business_minutes_between(hours, friday_4pm, monday_10am) == 60 + 60
    assert business_minutes_between(hours, monday_10am, friday_4pm) == 0
    with_holiday = hours.model_copy(update={"holidays": [date(2024, 1, 15)]})
    assert business_minutes_between(with_holiday, friday_4pm, monday_10am) == 60
    assert add_business_minutes(with_holiday, friday_4pm, 120) == utc(2024, 1, 16, 9, 0)


@pytest.mark.parametrize(
    ("now", "eligible", "elapsed"),
    [
        (utc(2024, 1, 13, 12, 0), False, 30),  # Saturday: the clock stands still
        (utc(2024, 1, 15, 15, 29), False, 479),  # Monday, a minute before the target
        (utc(2024, 1, 15, 15, 30), True, 480),
    ],
)
def test_business_hours_ticket_over_the_weekend(
    rules: RulesConfig, make_ctx: ContextFactory, now: datetime, eligible: bool, elapsed: int
) -> None:
    ctx = make_ctx(ticket={"priority": "normal", "created_at": utc(2024, 1, 12, 15, 30)}, now=now)
    sla = assess_sla(ctx, with_sla(rules, hours="business"))
    assert (sla.breach_eligible, sla.elapsed_minutes) == (eligible, elapsed)
    assert sla.breach_at == utc(2024, 1, 15, 15, 30)


# --- Zendesk's own SLA -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zendesk", "prefer", "eligible", "source"),
    [
        # Zendesk says breached although the rules' clock (1-minute-old ticket) would not.
        (
            ZendeskSla(target_minutes=30, breach_at=NOW - timedelta(minutes=1), stage="active"),
            True,
            True,
            "zendesk",
        ),
        (
            ZendeskSla(target_minutes=30, breach_at=NOW + timedelta(minutes=5), stage="active"),
            True,
            False,
            "zendesk",
        ),
        (
            ZendeskSla(target_minutes=30, breach_at=NOW - timedelta(hours=1), stage="achieved"),
            True,
            False,
            "zendesk",
        ),
        (ZendeskSla(stage="paused"), True, False, "zendesk"),
        (
            ZendeskSla(target_minutes=30, breach_at=NOW - timedelta(minutes=1), stage="active"),
            False,
            False,
            "rules",
        ),
        (ZendeskSla(target_minutes=30), True, False, "rules"),  # nothing to go on: fall back
    ],
)
def test_zendesk_sla_is_preferred_when_present(
    rules: RulesConfig,
    make_ctx: ContextFactory,
    zendesk: ZendeskSla,
    prefer: bool,
    eligible: bool,
    source: str,
) -> None:
    ctx = make_ctx(ticket={"created_at": NOW - timedelta(minutes=1)}, zendesk_sla=zendesk)
    sla = assess_sla(ctx, with_sla(rules, prefer_zendesk=prefer))
    assert (sla.breach_eligible, sla.source) == (eligible, source)
    if source == "zendesk":
        assert sla.breach_at == zendesk.breach_at
        assert sla.target_minutes == (zendesk.target_minutes or 60)
