"""The rules file: the example is valid, and every mistake an admin makes reads as `path: why`."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest
import yaml

from app.rules.config import RulesConfig, RulesError, load_rules, load_rules_file
from app.rules.templates import DEFAULT_TEMPLATES

EXAMPLE = Path(__file__).resolve().parents[2] / "rules.example.yaml"

MINIMAL = """\
escalation_addresses: [escalation@example.com]
regions:
  EMEA:
    manager: {id: 201, email: emea.manager@example.com, name: Emma}
    group_id: 301
fields: {status: 9001, basis: 9002, sla_breach_eligible: 9003, business_impact: 9004}
"""


def errors(text: str) -> list[str]:
    with pytest.raises(RulesError) as caught:
        load_rules(text)
    return caught.value.lines


def test_example_file_is_valid_and_matches_the_seeded_sandbox() -> None:
    rules = load_rules_file(EXAMPLE)
    assert [str(a) for a in rules.escalation_addresses] == ["escalation@example.com"]
    assert {
        name: (r.manager.id, str(r.manager.email), r.group_id) for name, r in rules.regions.items()
    } == {
        "EMEA": (201, "emea.manager@example.com", 301),
        "AMER": (202, "amer.manager@example.com", 302),
        "APAC": (203, "apac.manager@example.com", 303),
    }
    assert rules.default_region == "EMEA"
    assert (rules.fields.status, rules.fields.basis) == (9001, 9002)
    assert (rules.fields.sla_breach_eligible, rules.fields.business_impact) == (9003, 9004)
    assert rules.sla.first_reply_minutes.urgent == 60
    assert rules.sla.business_hours.start == time(9, 0)
    assert rules.sla.business_hours.end == time(17, 0)
    assert rules.cadence_hours.low == 72
    assert rules.outage.min_impact == "major"
    assert (rules.recurring.window_days, rules.recurring.threshold) == (30, 3)
    assert rules.csm_request_tag == "escalation_csm_request"
    assert rules.workaround_tag == "workaround_provided"


def test_example_file_spells_out_every_template() -> None:
    # The example is the admins' starting point: it must show every text, not rely on defaults.
    data = yaml.safe_load(EXAMPLE.read_text())
    assert set(data["templates"]) == set(DEFAULT_TEMPLATES)


def test_minimal_file_gets_the_documented_defaults() -> None:
    rules = load_rules(MINIMAL)
    assert isinstance(rules, RulesConfig)
    assert rules.account_team.add_as == "followers"
    assert rules.contract.when_missing == "deny"
    assert rules.sla.hours == "calendar"
    assert rules.sla.prefer_zendesk is True


def without(text: str, line: str) -> str:
    assert line in text
    return text.replace(line, "")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            MINIMAL.replace(
                "    manager: {id: 201, email: emea.manager@example.com, name: Emma}\n", ""
            ),
            ["regions.EMEA.manager: field required"],
            id="missing-manager",
        ),
        pytest.param(
            MINIMAL.replace("[escalation@example.com]", "[not-an-address, ok@example.com]"),
            ["escalation_addresses[0]: not an email address"],
            id="bad-email",
        ),
        pytest.param(
            MINIMAL.replace("[escalation@example.com]", "[]"),
            ["escalation_addresses: must have at least 1 item(s)"],
            id="no-address",
        ),
        pytest.param(
            MINIMAL + "unknown_key: 1\n", ["unknown_key: extra field not permitted"], id="top-extra"
        ),
        pytest.param(
            MINIMAL + "sla: {business_hours: {tz: UTC}}\n",
            ["sla.business_hours.tz: extra field not permitted"],
            id="deep-extra",
        ),
        pytest.param(
            MINIMAL.replace("group_id: 301", "group_id: 301\n    colour: red"),
            ["regions.EMEA.colour: extra field not permitted"],
            id="region-extra",
        ),
        pytest.param(
            MINIMAL + "business_impact: {langs: [en]}\n",
            ["business_impact.langs: extra field not permitted"],
            id="impact-extra",
        ),
        pytest.param(
            MINIMAL.replace("group_id: 301", "group_id: three"),
            ["regions.EMEA.group_id: must be a whole number"],
            id="not-int",
        ),
        pytest.param(
            MINIMAL + "account_team: {add_as: cc}\n",
            ["account_team.add_as: must be one of: followers or email_ccs"],
            id="literal",
        ),
        pytest.param(
            MINIMAL + "sla: {business_hours: {days: [mon, funday]}}\n",
            ["sla.business_hours.days[1]: must be one of: mon, tue, wed, thu, fri, sat or sun"],
            id="weekday",
        ),
        pytest.param(
            MINIMAL + "sla: {business_hours: {start: '17:00', end: '09:00'}}\n",
            ["sla.business_hours: end must be later than start"],
            id="hours-order",
        ),
        pytest.param(
            MINIMAL + "timezone: Mars/Olympus\n",
            ["timezone: unknown time zone 'Mars/Olympus'"],
            id="zone",
        ),
        pytest.param(
            MINIMAL + "sla: {first_reply_minutes: {urgent: 0}}\n",
            ["sla.first_reply_minutes.urgent: must be greater than 0"],
            id="positive",
        ),
        pytest.param(
            MINIMAL + "default_region: LATAM\n",
            ["default_region 'LATAM' is not one of: EMEA"],
            id="default-region",
        ),
        pytest.param(
            without(
                MINIMAL,
                "fields: {status: 9001, basis: 9002, sla_breach_eligible: 9003, "
                "business_impact: 9004}\n",
            ),
            ["fields: field required"],
            id="no-fields",
        ),
        pytest.param(
            MINIMAL
            + "templates:\n  acknowledgement: 'Hi {{ manger.name }}'\n  outage: '{% if %}'\n",
            [
                "templates.acknowledgement: template error: 'manger' is undefined",
                "templates.outage: template error: "
                "Expected an expression, got 'end of statement block' (line 1)",
            ],
            id="templates",
        ),
        pytest.param(
            MINIMAL + "templates: {reminder: '{{ incident.name }}'}\n",
            ["templates.reminder: template error: 'None' has no attribute 'name'"],
            id="incident-only-in-outage",
        ),
    ],
)
def test_schema_errors_read_as_path_and_reason(text: str, expected: list[str]) -> None:
    assert errors(text) == expected


def test_several_problems_are_all_reported() -> None:
    text = MINIMAL.replace("group_id: 301", "group_id: x") + "extra: 1\n"
    assert errors(text) == [
        "regions.EMEA.group_id: must be a whole number",
        "extra: extra field not permitted",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: b: c\n", "line 1: mapping values are not allowed here"),
        (
            MINIMAL + "sla:\n  hours: business\n   prefer_zendesk: true: x\n",
            "line 9: mapping values are not allowed here",
        ),
        ("regions: [EMEA\n", "line 2: expected ',' or ']', but got '<stream end>'"),
        (MINIMAL + "regions: {}\n", "line 7: duplicate key 'regions'"),
        ("", "the rules file is empty"),
        ("# only a comment\n", "the rules file is empty"),
        ("- escalation@example.com\n", "the rules file must be a mapping of keys, not a list"),
        ("just text\n", "the rules file must be a mapping of keys, not a str"),
    ],
)
def test_unreadable_yaml_is_one_line(text: str, expected: str) -> None:
    assert errors(text) == [expected]


def test_unquoted_clock_times_are_times_not_base_60_numbers() -> None:
    # Plain YAML 1.1 would read 17:00 as 1020 and pydantic would take that as 00:17.
    rules = load_rules(MINIMAL + "sla: {business_hours: {start: 08:30, end: 17:00}}\n")
    assert rules.sla.business_hours.start == time(8, 30)
    assert rules.sla.business_hours.end == time(17, 0)


def test_missing_file_is_a_rules_error(tmp_path: Path) -> None:
    missing = tmp_path / "rules.yaml"
    with pytest.raises(RulesError) as caught:
        load_rules_file(missing)
    assert caught.value.lines == [f"{missing}: file not found"]


def test_rules_error_is_an_unprocessable_app_error() -> None:
    error = RulesError(["a: b", "c: d"])
    assert error.status_code == 422
    assert error.detail == "a: b; c: d"
