"""plan(): the exact Zendesk writes each decision turns into (DESIGN §2 actions, §6 shapes)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.rules.config import RulesConfig
from app.rules.context import EvaluationContext, Incident
from app.rules.decision import Decision, Eligibility, Impact, SlaAssessment
from app.rules.plan import plan, render_template

NOW = datetime(2024, 3, 13, 10, 0, tzinfo=UTC)  # as in conftest
ContextFactory = Callable[..., EvaluationContext]
EVIDENCE = "Our production environment is down and customers cannot place orders."
MARKER = re.compile(r"\n\nescalator-ref: esc-4242-[0-9a-f]{10}$")

SLA = SlaAssessment(
    breach_eligible=True,
    target_minutes=60,
    elapsed_minutes=4320,
    source="rules",
    breach_at=NOW - timedelta(days=3) + timedelta(minutes=60),
)


def decision(outcome: str, **changes: Any) -> Decision:
    values: dict[str, Any] = {
        "outcome": outcome,
        "reasons": ["The support contract is valid until 2030-12-31."],
        "impact": Impact(
            present=True, categories=["major_problem"], evidence=[EVIDENCE], production=True
        ),
        "sla": SLA,
        "eligibility": Eligibility(contract_valid=True, basis=["sla_breach", "production_impact"]),
        "region": "AMER",
        "escalation_address": "escalation@example.com",
    }
    values.update(changes)
    return Decision.model_validate(values)


def with_team_as(rules: RulesConfig, add_as: str) -> RulesConfig:
    team = rules.account_team.model_copy(update={"add_as": add_as})
    return rules.model_copy(update={"account_team": team})


def without_body(payload: dict[str, Any]) -> tuple[dict[str, Any], str]:
    body: str = payload["ticket"]["comment"].pop("body")
    return payload, body


@pytest.mark.parametrize("add_as", ["followers", "email_ccs"])
def test_escalate_is_one_update_in_zendesk_shape(
    rules: RulesConfig, make_ctx: ContextFactory, add_as: str
) -> None:
    result = plan(decision("escalate"), make_ctx(), with_team_as(rules, add_as))
    assert result.update is not None
    payload, body = without_body(result.update.payload(updated_stamp="2024-03-13T09:59:00Z"))
    team = [
        {"user_email": "csm@customer-success.example.com", "action": "put"},
        {"user_email": "ae@example.com", "action": "put"},
    ]
    assert payload == {
        "ticket": {
            "additional_tags": ["escalated", "escalation_reason_major_problem"],
            "custom_fields": [
                {"id": 9001, "value": "escalated"},
                {"id": 9002, "value": "sla_breach,production_impact"},
                {"id": 9003, "value": True},
                {"id": 9004, "value": EVIDENCE},
            ],
            "assignee_id": 202,
            "group_id": 302,
            add_as: team,
            "comment": {"public": False},
            "safe_update": True,
            "updated_stamp": "2024-03-13T09:59:00Z",
        }
    }
    assert result.marker_tag == "escalated"
    assert MARKER.search(body)


def test_internal_note_documents_who_why_impact_sla_and_next_steps(
    rules: RulesConfig, make_ctx: ContextFactory
) -> None:
    result = plan(decision("escalate"), make_ctx(), rules)
    assert result.update is not None and result.update.comment is not None
    body = result.update.comment.body
    for part in [
        "Requested by: jane@customer.example.com via comment",
        "Region: AMER; assigned to AMER Support Manager <amer.manager@example.com>",
        "Basis: sla_breach, production_impact",
        "Categories: major_problem",
        "- The support contract is valid until 2030-12-31.",
        f"> {EVIDENCE}",
        "target 60 min, elapsed 4320 min, breach-eligible: yes",
        # Urgent cadence is 4 h: 10:00 UTC + 4 h = 15:00 in Amsterdam (CET).
        "Next update due by 2024-03-13 15:00 CET.",
    ]:
        assert part in body


def test_acknowledgement_is_a_public_reply_with_its_own_marker(
    rules: RulesConfig, make_ctx: ContextFactory
) -> None:
    result = plan(decision("escalate"), make_ctx(), rules)
    assert result.reply is not None
    payload, body = without_body(result.reply.payload())
    assert payload == {
        "ticket": {"additional_tags": ["escalation_ack_sent"], "comment": {"public": True}}
    }
    assert result.reply_marker_tag == "escalation_ack_sent"
    assert "AMER Support Manager, the support manager for the AMER region" in body
    assert "communication cadence" in body
    assert "solution or a workaround" in body
    assert "escalator-ref" not in body  # markers are for agents, not customers


def test_marker_is_stable_for_the_same_request_and_differs_for_another(
    rules: RulesConfig, make_ctx: ContextFactory
) -> None:
    def marker(ctx: EvaluationContext) -> str:
        update = plan(decision("escalate"), ctx, rules).update
        assert update is not None and update.comment is not None
        return update.comment.body.rsplit("\n", 1)[-1]

    assert marker(make_ctx()) == marker(make_ctx())
    assert marker(make_ctx()) != marker(make_ctx(body="Something else entirely."))


def test_sla_only_escalation_is_tagged_by_its_basis(
    rules: RulesConfig, make_ctx: ContextFactory
) -> None:
    mild = Impact(present=True, evidence=["Our testers find this annoying."])
    d = decision("escalate", impact=mild, eligibility=Eligibility(basis=["sla_breach"]))
    result = plan(d, make_ctx(), rules)
    assert result.update is not None
    assert result.update.additional_tags == ["escalated", "escalation_reason_sla_breach"]


def test_escalate_clears_earlier_answers_and_skips_empty_team_fields(
    rules: RulesConfig, make_ctx: ContextFactory, make_org: Any
) -> None:
    org = make_org(
        csm_email="", account_executive_email=None, partner_manager_email="pm@example.com"
    )
    ctx = make_ctx(ticket={"tags": ["escalation_needs_impact", "vip"]}, org=org)
    result = plan(decision("escalate"), ctx, rules)
    assert result.update is not None
    assert result.update.remove_tags == ["escalation_needs_impact"]
    assert [f.user_email for f in result.update.followers] == ["pm@example.com"]


def test_long_impact_summary_is_cut_to_the_field_limit(
    rules: RulesConfig, make_ctx: ContextFactory
) -> None:
    long = Impact(present=True, production=True, evidence=["Orders fail. " * 200])
    result = plan(decision("escalate", impact=long), make_ctx(), rules)
    assert result.update is not None
    summary = result.update.custom_fields[3].value
    assert len(summary) == 1000 and summary.endswith("…")


@pytest.mark.parametrize(
    ("outcome", "tag", "status", "phrases", "extra"),
    [
        (
            "needs_business_impact",
            "escalation_needs_impact",
            "needs_info",
            ["impact on your business"],
            {},
        ),
        (
            "not_eligible",
            "escalation_not_eligible",
            "not_eligible",
            [
                "- The first-reply SLA has not passed.",
                "- An escalation becomes possible at 2024-03-13 11:59 CET",
            ],
            {
                "reasons": [
                    "The first-reply SLA has not passed.",
                    "An escalation becomes possible at 2024-03-13 11:59 CET if nobody has "
                    "replied by then.",
                ],
                "eligibility": Eligibility(eligible_at=NOW + timedelta(minutes=59)),
            },
        ),
        (
            "outage_deprioritized",
            "escalation_outage",
            "deprioritized",
            ["Cloud Portal unavailable", "https://stspg.io/abc", "subscribe", "stays open"],
            {"incident_id": "inc-1"},
        ),
    ],
)
def test_declined_requests_get_a_public_reply_and_a_tag(
    rules: RulesConfig,
    make_ctx: ContextFactory,
    outcome: str,
    tag: str,
    status: str,
    phrases: list[str],
    extra: dict[str, Any],
) -> None:
    outage = Incident(
        id="inc-1",
        name="Cloud Portal unavailable",
        impact="major",
        shortlink="https://stspg.io/abc",
    )
    result = plan(decision(outcome, **extra), make_ctx(incidents=[outage]), rules)
    assert result.update is None
    assert result.reply is not None
    payload, body = without_body(result.reply.payload())
    assert payload == {
        "ticket": {
            "additional_tags": [tag],
            "custom_fields": [{"id": 9001, "value": status}, {"id": 9003, "value": True}],
            "comment": {"public": True},
        }
    }
    assert result.reply_marker_tag == tag
    # Only outage acknowledgements come in floods worth one update_many for many tickets.
    assert result.batched is (outcome == "outage_deprioritized")
    for phrase in phrases:
        assert phrase in body


def test_already_escalated_adds_an_internal_note_only(
    rules: RulesConfig, make_ctx: ContextFactory
) -> None:
    result = plan(decision("already_escalated"), make_ctx(ticket={"tags": ["escalated"]}), rules)
    assert result.reply is None and result.marker_tag is None
    assert result.update is not None
    payload, body = without_body(result.update.payload())
    assert payload == {"ticket": {"comment": {"public": False}}}
    assert f"> {EVIDENCE}" in body
    assert MARKER.search(body)


def test_ignore_plans_nothing(rules: RulesConfig, make_ctx: ContextFactory) -> None:
    result = plan(Decision(outcome="ignore"), make_ctx(added_email_ccs=[]), rules)
    assert (result.update, result.reply, result.marker_tag, result.reply_marker_tag) == (
        None,
        None,
        None,
        None,
    )


def test_render_template_for_reminders(rules: RulesConfig, make_ctx: ContextFactory) -> None:
    ctx = make_ctx()
    manager = rules.regions["APAC"].manager
    text = render_template(
        rules,
        "reminder",
        ticket=ctx.ticket,
        manager=manager,
        region="APAC",
        cadence_hours=24,
        next_update_due=NOW,
    )
    assert text == (
        "Reminder for APAC Support Manager: the escalation on ticket #4242 (APAC) was due an "
        "update to the customer by 2024-03-13 11:00 CET (agreed cadence: every 24 hours). "
        "Please update the customer.\n"
    )
    with pytest.raises(ValueError, match="unknown template"):
        render_template(rules, "nope")
