"""The `escalator` command: rules validate / dry-run, openapi check — clear messages, exit codes,
never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

ESCALATOR = str(Path(sys.executable).parent / "escalator")


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ESCALATOR, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )


def test_validate_the_example_rules() -> None:
    result = run("rules", "validate", "rules.example.yaml")
    assert (result.returncode, result.stdout.strip()) == (0, "valid")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            (ROOT / "rules.example.yaml")
            .read_text()
            .replace(
                "    manager: {id: 201, email: emea.manager@example.com, "
                "name: EMEA Support Manager}\n",
                "",
            ),
            ["regions.EMEA.manager: field required"],
        ),
        (
            (ROOT / "rules.example.yaml")
            .read_text()
            .replace("  - escalation@example.com", "  - not-an-address")
            + "unknown_key: 1\n",
            [
                "escalation_addresses[0]: not an email address",
                "unknown_key: extra field not permitted",
            ],
        ),
        ("regions:\n  EMEA: [\n", ["line "]),
    ],
    ids=["missing-manager", "bad-address-and-unknown-key", "invalid-yaml"],
)
def test_validate_names_each_error_with_its_path(
    tmp_path: Path, text: str, expected: list[str]
) -> None:
    broken = tmp_path / "rules.yaml"
    broken.write_text(text)
    result = run("rules", "validate", str(broken))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    for wanted in expected:
        assert any(line.startswith(wanted) for line in lines), (wanted, lines)
    assert "Traceback" not in result.stdout + result.stderr


def test_validate_a_missing_file_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    result = run("rules", "validate", str(tmp_path / "nope.yaml"))
    assert result.returncode == 1
    assert "not found" in result.stdout
    assert "Traceback" not in result.stderr


def test_dry_run_from_stdin_prints_the_decision() -> None:
    request = {
        "ticket": {"id": 7, "priority": "urgent", "created_at": "2026-11-24T08:00:00Z"},
        "organization": {
            "id": 101,
            "name": "Acme",
            "organization_fields": {"region": "AMER", "support_contract_expires": "2030-01-01"},
        },
        "comment": {"body": "Production is down, customers cannot log in."},
        "added_email_ccs": ["escalation@example.com"],
        "now": "2026-11-27T08:00:00Z",
    }
    result = run("rules", "dry-run", "-", stdin=json.dumps(request))
    assert result.returncode == 0, result.stderr
    decision = json.loads(result.stdout)
    assert decision["outcome"] == "escalate"
    assert decision["sla"]["breach_eligible"] is True
    assert decision["plan"]["update"]["ticket"]["assignee_id"] == 202


@pytest.mark.parametrize("stdin", ["{not json", '{"ticket": {}}', "[]"])
def test_dry_run_bad_request_is_a_one_line_error(stdin: str) -> None:
    result = run("rules", "dry-run", "-", stdin=stdin)
    assert result.returncode == 1
    assert result.stderr.startswith("invalid request:")
    assert "Traceback" not in result.stderr


def test_openapi_check_passes_on_the_committed_contract() -> None:
    result = run("openapi", "--check")
    assert result.returncode == 0, result.stderr
