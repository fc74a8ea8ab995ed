"""Contract validity and SLA-breach eligibility (seed: "When to Initiate an Escalation")."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from app.rules.config import BusinessHours, RulesConfig
from app.rules.context import EvaluationContext, Organization
from app.rules.decision import SlaAssessment


class ContractStatus(NamedTuple):
    valid: bool
    expires: date | None
    reason: str


def as_utc(moment: datetime) -> datetime:
    # Zendesk timestamps carry `Z`; a naive one (hand-written dry-run input) is read as UTC.
    if moment.tzinfo is UTC:
        return moment
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _parse_date(value: object) -> date | None:
    # Text first: that is what Zendesk sends (a str is never a date, so the order is free).
    if isinstance(value, str):
        return _date_of(value)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return None


@lru_cache(maxsize=4096)
def _date_of(text: str) -> date | None:
    # Zendesk date fields are `YYYY-MM-DD`; a full timestamp is cut to its date first.
    text = text.strip()[:10]
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


# The statuses of readable expiry dates, cached like the dates they are made from (typed: a date
# subclass keeps its own type): formatting the reason was a fifth of `contract_status`.
@lru_cache(maxsize=4096, typed=True)
def _expired(expires: date) -> ContractStatus:
    return ContractStatus(False, expires, f"The support contract expired on {expires.isoformat()}.")


@lru_cache(maxsize=4096, typed=True)
def _valid_until(expires: date) -> ContractStatus:
    return ContractStatus(True, expires, f"The support contract is valid until {expires}.")


def contract_status(
    org: Organization | None, rules: RulesConfig, *, now: datetime
) -> ContractStatus:
    """Whether the organisation holds a valid support contract: expiry date ≥ today, where
    today is the date in the rules' time zone (a contract ending "on the 31st" covers the
    whole 31st for the support organisation)."""
    raw = org.organization_fields.get(rules.contract.field) if org is not None else None
    expires = _parse_date(raw)
    if expires is None:
        what = (
            "has no support contract expiry date"
            if raw in (None, "")
            else f"has an unreadable support contract expiry date ({raw!r})"
        )
        subject = "The organisation" if org is not None else "The ticket has no organisation and"
        if rules.contract.when_missing == "allow":
            return ContractStatus(True, None, f"{subject} {what}; the rules allow that.")
        return ContractStatus(False, None, f"{subject} {what}.")
    today = as_utc(now).astimezone(_zone(rules.timezone)).date()
    return _expired(expires) if expires < today else _valid_until(expires)


# --- business-hours clock ----------------------------------------------------------------


def _window(hours: BusinessHours, day: date) -> tuple[datetime, datetime] | None:
    """The UTC interval the support desk is open on local `day`, or None when closed."""
    if day.weekday() not in hours.weekdays() or day in hours.holidays:
        return None
    zone = ZoneInfo(hours.timezone)
    # Built in local time, compared in UTC: aware datetimes sharing a tzinfo subtract by
    # wall clock in Python, which would be an hour off across a DST change.
    start = datetime.combine(day, hours.start, tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day, hours.end, tzinfo=zone).astimezone(UTC)
    return start, end


def _local_day(hours: BusinessHours, moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(hours.timezone)).date()


def business_minutes_between(hours: BusinessHours, start: datetime, end: datetime) -> int:
    """Whole minutes of opening time between two moments."""
    start, end = as_utc(start), as_utc(end)
    if end <= start:
        return 0
    total = timedelta()
    day = _local_day(hours, start)
    last = _local_day(hours, end)
    while day <= last:
        window = _window(hours, day)
        if window is not None:
            lo, hi = max(window[0], start), min(window[1], end)
            if hi > lo:
                total += hi - lo
        day += timedelta(days=1)
    return int(total.total_seconds() // 60)


def add_business_minutes(hours: BusinessHours, start: datetime, minutes: int) -> datetime:
    """The moment `minutes` of opening time after `start` have passed."""
    start = as_utc(start)
    remaining = timedelta(minutes=minutes)
    day = _local_day(hours, start)
    # At least one weekday is open (schema), so holidays are the only way to stall; a year of
    # them is a misconfiguration, not a reason to loop forever.
    for _ in range(3660):
        window = _window(hours, day)
        if window is not None and window[1] > start:
            lo = max(window[0], start)
            available = window[1] - lo
            if remaining <= available:
                return lo + remaining
            remaining -= available
        day += timedelta(days=1)
    raise ValueError("business hours never open")


# --- SLA -------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _minutes(count: int) -> timedelta:
    # `timedelta(minutes=...)` parses keywords, which cost more than the rest of the sum.
    return timedelta(minutes=count)


def assess_sla(ctx: EvaluationContext, rules: RulesConfig) -> SlaAssessment:
    """First-reply SLA: breach-eligible once the target passed without a public agent reply
    (a reply that came late still leaves the SLA breached)."""
    # Each attribute of a pydantic model is read once: their reads are not cheap.
    now = as_utc(ctx.now)
    ticket = ctx.ticket
    sla = rules.sla
    target = sla.first_reply_minutes.for_priority(rules.priority_of(ticket.priority))
    reply_at = ctx.first_public_agent_reply_at
    if reply_at is not None:
        reply_at = as_utc(reply_at)
    created = ticket.created_at
    business = sla.hours == "business"
    elapsed: int | None = None
    if created is not None:
        created = as_utc(created)
        clock_end = min(reply_at, now) if reply_at is not None else now
        if business:
            elapsed = business_minutes_between(sla.business_hours, created, clock_end)
        else:
            elapsed = max(0, int((clock_end - created).total_seconds() // 60))

    zendesk = ctx.zendesk_sla
    if (
        zendesk is not None
        and sla.prefer_zendesk
        and (zendesk.breach_at is not None or zendesk.stage is not None)
    ):
        breach_at = as_utc(zendesk.breach_at) if zendesk.breach_at is not None else None
        # "achieved" means Zendesk saw a reply within target; a paused clock without a
        # breach time has not breached.
        eligible = (
            zendesk.stage != "achieved"
            and breach_at is not None
            and breach_at <= now
            and (reply_at is None or reply_at > breach_at)
        )
        return SlaAssessment(
            breach_eligible=eligible,
            metric=zendesk.metric,
            target_minutes=zendesk.target_minutes or target,
            elapsed_minutes=elapsed,
            source="zendesk",
            breach_at=breach_at,
        )

    if created is None:
        return SlaAssessment(target_minutes=target, source="none")
    if business:
        breach_at = add_business_minutes(sla.business_hours, created, target)
    else:
        breach_at = created + _minutes(target)
    return SlaAssessment(
        breach_eligible=breach_at <= now and (reply_at is None or reply_at > breach_at),
        target_minutes=target,
        elapsed_minutes=elapsed,
        source="rules",
        breach_at=breach_at,
    )
