"""evaluate(): DESIGN §2 validation, one outcome per situation.

Detection is another module's job; these tests pin `detect_impact` to a chosen Impact so they
are about the eligibility logic only (the comments are still realistic impact statements).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.rules import evaluate as evaluate_module
from app.rules.config import RulesConfig
from app.rules.context import EvaluationContext, Incident, Organization
from app.rules.decision import Impact
from app.rules.detect import ImpactSettings
from app.rules.evaluate import evaluate

NOW = datetime(2024, 3, 13, 10, 0, tzinfo=UTC)  # as in conftest
ContextFactory = Callable[..., EvaluationContext]

PRODUCTION = Impact(
    present=True,
    categories=["major_problem"],
    evidence=["Our production environment is down and customers cannot place orders."],
    production=True,
)
BUSINESS_RISK = Impact(
    present=True,
    categories=["business_risk"],
    evidence=["If this is not fixed by Friday our launch with 2,000 users is at risk."],
    business_risk=True,
)
# Impact stated, but neither production nor a high business risk ("it annoys our testers").
MILD = Impact(present=True, evidence=["Our testers find this annoying."])
NONE = Impact()


@pytest.fixture
def detected(monkeypatch: pytest.MonkeyPatch) -> Callable[[Impact], list[str]]:
    """Pin what the detector finds; returns the texts it was asked about."""

    def pin(impact: Impact) -> list[str]:
        seen: list[str] = []

        def fake(text: str, *, settings: ImpactSettings | None = None) -> Impact:
            seen.append(text)
            return impact

        monkeypatch.setattr(evaluate_module, "detect_impact", fake)
        return seen

    return pin


# --- intake ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ccs",
    [
        [],
        ["someone@example.com"],
        ["escalation@example.org"],
        ["Escalation Desk <support@example.com>"],
    ],
)
def test_comment_without_the_escalation_cc_is_ignored(
    rules: RulesConfig, make_ctx: ContextFactory, detected: Any, ccs: list[str]
) -> None:
    detected(PRODUCTION)
    decision = evaluate(make_ctx(added_email_ccs=ccs), rules)
    assert decision.outcome == "ignore"
    assert decision.reasons == ["No escalation address added to the CCs."]


@pytest.mark.parametrize(
    "cc",
    [
        "escalation@example.com",
        "Escalation Desk <ESCALATION@Example.com>",
        "  ESCALATION@EXAMPLE.COM ",
        '"Desk, Escalation" <escalation@example.com>',
    ],
)
def test_escalation_cc_in_any_spelling_is_a_request(
    rules: RulesConfig, make_ctx: ContextFactory, detected: Any, cc: str
) -> None:
    detected(PRODUCTION)
    decision = evaluate(make_ctx(added_email_ccs=["other@example.com", cc]), rules)
    assert decision.outcome == "escalate"
    assert decision.escalation_address == "escalation@example.com"


@pytest.mark.parametrize("channel", ["email", "csm"])
def test_email_and_csm_requests_need_no_cc(
    rules: RulesConfig, make_ctx: ContextFactory, detected: Any, channel: str
) -> None:
    detected(PRODUCTION)
    decision = evaluate(make_ctx(channel=channel, added_email_ccs=[]), rules)
    assert decision.outcome == "escalate"


def test_detector_gets_the_cleaned_comment(
    rules: RulesConfig, make_ctx: ContextFactory, detected: Any
) -> None:
    seen = detected(PRODUCTION)
    evaluate(make_ctx(body="Production is down."), rules)
    assert seen == ["Production is down."]


# --- already escalated -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tags", "open_escalation", "outcome"),
    [
        (["escalated"], False, "already_escalated"),
        (["vip"], True, "already_escalated"),
        # A closed escalation can be requested again.
        (["escalated", "escalation_closed"], False, "escalate"),
    ],
)
def test_second_request_on_an_escalated_ticket(
    rules: RulesConfig,
    make_ctx: ContextFactory,
    detected: Any,
    tags: list[str],
    open_escalation: bool,
    outcome: str,
) -> None:
    detected(PRODUCTION)
    ctx = make_ctx(ticket={"tags": tags}, open_escalation=open_escalation)
    decision = evaluate(ctx, rules)
    assert decision.outcome == outcome
    # The new impact is reported either way, so it can be added to the record.
    assert decision.impact == PRODUCTION


def test_already_escalated_wins_over_an_expired_contract(
    rules: RulesConfig, make_ctx: ContextFactory, make_org: Any, detected: Any
) -> None:
    detected(PRODUCTION)
    ctx = make_ctx(
        ticket={"tags": ["escalated"]}, org=make_org(support_contract_expires="2020-01-01")
    )
    assert evaluate(ctx, rules).outcome == "already_escalated"


# --- validation --------------------------------------------------------------------------


def test_expired_contract_is_not_eligible_and_says_when_it_expired(
    rules: RulesConfig, make_ctx: ContextFactory, make_org: Any, detected: Any
) -> None:
    detected(PRODUCTION)
    ctx = make_ctx(org=make_org(support_contract_expires="2024-02-29"))
    decision = evaluate(ctx, rules)
    assert decision.outcome == "not_eligible"
    assert decision.reasons == ["The support contract expired on 2024-02-29."]
    assert decision.eligibility.contract_valid is False
    assert decision.eligibility.eligible_at is None


def test_missing_contract_is_not_eligible_by_default(
    rules: RulesConfig, make_ctx: ContextFactory, detected: Any
) -> None:
    detected(PRODUCTION)
    decision = evaluate(make_ctx(org=Organization(id=1, organization_fields={})), rules)
    assert decision.outcome == "not_eligible"
    assert "no support contract expiry date" in decision.reasons[0]


def test_no_stated_impact_asks_for_it_even_when_the_sla_passed(
    rules: RulesConfig, make_ctx: ContextFactory, detected: Any
) -> None:
    detected(NONE)
    decision = evaluate(make_ctx(body="Please escalate this."), rules)
    assert decision.outcome == "needs_business_impact"
    assert decision.sla.breach_eligible is True


@pytest.mark.parametrize(
    ("impact", "age", "outcome", "basis"),
    [
        (MILD, timedelta(days=3), "escalate", ["sla_breach"]),
        (PRODUCTION, timedelta(minutes=1), "escalate", ["production_impact"]),
        (PRODUCTION, timedelta(days=3), "escalate", ["sla_breach", "production_impact"]),
        (BUSINESS_RISK, timedelta(minutes=1), "escalate", ["business_risk"]),
        (
            Impact(present=True, categories=["data_loss"], evidence=["We lost records."]),
            timedelta(minutes=1),
            "escalate",
            ["production_impact"],
        ),
        (MILD, timedelta(minutes=1), "not_eligible", []),
    ],
)
def test_basis_of_the_escalation(
    rules: RulesConfig,
    make_ctx: ContextFactory,
    detected: Any,
    impact: Impact,
    age: timedelta,
    outcome: str,
    basis: list[str],
) -> None:
    detected(impact)
    decision = evaluate(make_ctx(ticket={"created_at": NOW - age}), rules)
    assert decision.outcome == outcome
    assert decision.eligibility.basis == basis
    assert decision.eligibility.contract_valid is True


def test_urgent_ticket_three_days_unanswered_is_breach_eligible(
    rules: RulesConfig, make_ctx: ContextFactory, detected: Any
) -> None:
    detected(MILD)
    created = NOW - timedelta(days=3)
    decision = evaluate(make_ctx(ticket={"priority": "urgent", "created_at": created}), rules)
    assert decision.sla.breach_eligible is True
    assert decision.sla.elapsed_minutes == 3 * 24 * 60
    assert decision.sla.breach_at == created + timedelta(minutes=60)


def test_urgent_ticket_a_minute_old_says_when_escalation_becomes_possible(
    rules: RulesConfig, make_ctx: ContextFactory, detected: Any
) -> None:
    detected(MILD)
    created = NOW - timedelta(minutes=1)
    decision = evaluate(make_ctx(ticket={"priority": "urgent", "created_at": created}), rules)
    assert decision.outcome == "not_eligible"
    assert decision.sla.breach_eligible is False
    assert decision.eligibility.eligible_at == created + timedelta(minutes=60)
    assert decision.reasons[-1] == (
        "An escalation becomes possible at 2024-03-13 11:59 CET if nobody has replied by then."
    )


def test_answered_ticket_without_impact_basis_never_becomes_eligible_by_time(
    rules: RulesConfig, make_ctx: ContextFactory, detected: Any
) -> None:
    detected(MILD)
    ctx = make_ctx(
        ticket={"created_at": NOW - timedelta(minutes=1)},
        first_public_agent_reply_at=NOW,
    )
    decision = evaluate(ctx, rules)
    assert decision.outcome == "not_eligible"
    assert decision.eligibility.eligible_at is None


def test_sla_is_assessed_even_for_ignored_comments(
    rules: RulesConfig, make_ctx: ContextFactory, detected: Any
) -> None:
    detected(NONE)
    decision = evaluate(make_ctx(added_email_ccs=[]), rules)
    assert decision.outcome == "ignore"
    assert decision.sla.breach_eligible is True


# --- outages -----------------------------------------------------------------------------


def incident(
    impact: str, *, components: list[str] | None = None, status: str = "identified"
) -> Incident:
    return Incident(
        id=f"inc-{impact}",
        name=f"{impact} incident",
        impact=impact,
        status=status,
        shortlink="https://stspg.io/abc",
        components=components or ["Cloud Portal"],
    )


def with_outage(rules: RulesConfig, **changes: Any) -> RulesConfig:
    return rules.model_copy(update={"outage": rules.outage.model_copy(update=changes)})


@pytest.mark.parametrize(
    ("incidents", "components", "outcome", "incident_id"),
    [
        ([incident("major")], [], "outage_deprioritized", "inc-major"),
        ([incident("critical")], [], "outage_deprioritized", "inc-critical"),
        ([incident("minor")], [], "escalate", None),
        ([incident("minor"), incident("critical")], [], "outage_deprioritized", "inc-critical"),
        ([incident("major", status="resolved")], [], "escalate", None),
        ([incident("major")], ["Runtime"], "escalate", None),
        (
            [incident("major", components=["Runtime", "EU"])],
            ["runtime"],
            "outage_deprioritized",
            "inc-major",
        ),
    ],
)
def test_ongoing_outage_deprioritizes(
    rules: RulesConfig,
    make_ctx: ContextFactory,
    detected: Any,
    incidents: list[Incident],
    components: list[str],
    outcome: str,
    incident_id: str | None,
) -> None:
    detected(PRODUCTION)
    decision = evaluate(make_ctx(incidents=incidents), with_outage(rules, components=components))
    assert (decision.outcome, decision.incident_id) == (outcome, incident_id)


def test_outage_threshold_is_configurable(
    rules: RulesConfig, make_ctx: ContextFactory, detected: Any
) -> None:
    detected(PRODUCTION)
    ctx = make_ctx(incidents=[incident("minor")])
    assert evaluate(ctx, with_outage(rules, min_impact="minor")).outcome == "outage_deprioritized"


# --- region --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "expected"),
    [("AMER", "AMER"), ("apac", "APAC"), (" Emea ", "EMEA"), ("LATAM", "EMEA"), (None, "EMEA")],
)
def test_region_from_the_organisation_or_the_default(
    rules: RulesConfig,
    make_ctx: ContextFactory,
    make_org: Any,
    detected: Any,
    region: str | None,
    expected: str,
) -> None:
    detected(PRODUCTION)
    decision = evaluate(make_ctx(org=make_org(region=region)), rules)
    assert decision.region == expected


def test_escalate_reasons_are_sentences(
    rules: RulesConfig, make_ctx: ContextFactory, detected: Any
) -> None:
    detected(PRODUCTION)
    decision = evaluate(make_ctx(), rules)
    assert decision.reasons == [
        "The support contract is valid until 2030-12-31.",
        "The first-reply SLA passed without a public reply from support.",
        "The customer reports tangible impact on production.",
        "Reasons classified as: major problem.",
    ]
