"""`escalator zendesk provision` through zenpy against the sandbox over real HTTP.

zenpy is synchronous, so the sandbox's uvicorn runs in a background thread and the tests are
plain functions.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from app.provision import ProvisionError, provision
from app.provision_plan import EVENT_TYPES, replace_fields_block
from app.rules.config import load_rules_file
from app.sandbox.app import create_sandbox_app
from app.sandbox.state import SandboxState
from app.serve import sandbox_config
from app.settings import Settings
from tests.conftest import ROOT, SANDBOX_AUTH, free_port, make_settings

pytestmark = pytest.mark.integration

REGION_VIEWS = {f"Escalated tickets — {r}" for r in ("EMEA", "AMER", "APAC")}


@dataclass
class Sandbox:
    settings: Settings
    http: httpx.Client
    state: SandboxState

    def get(self, path: str) -> Any:
        response = self.http.get(path)
        response.raise_for_status()
        return response.json()

    def writes(self) -> list[str]:
        return [
            f"{r['method']} {r['path']}"
            for r in self.get("/__sandbox/requests")["requests"]
            if r["method"] not in ("GET", "HEAD")
        ]


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    port = free_port()
    settings = make_settings(tmp_path, sandbox_port=port)
    app = create_sandbox_app(sandbox_config(settings))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    # uvicorn skips signal handlers outside the main thread, so a thread server is safe here.
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "sandbox did not start"
        time.sleep(0.02)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", auth=SANDBOX_AUTH) as http:
            yield Sandbox(settings, http, app.state.sandbox)
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def _inventory(sandbox: Sandbox) -> dict[str, dict[str, Any]]:
    return {
        "fields": {
            f["title"]: f["id"] for f in sandbox.get("/api/v2/ticket_fields")["ticket_fields"]
        },
        "views": {v["title"]: v["id"] for v in sandbox.get("/api/v2/views")["views"]},
        "triggers": {t["title"]: t["id"] for t in sandbox.get("/api/v2/triggers")["triggers"]},
        "webhooks": {h["id"]: h["name"] for h in sandbox.get("/api/v2/webhooks")["webhooks"]},
    }


def test_provision_creates_views_webhook_and_trigger(sandbox: Sandbox) -> None:
    report = provision(sandbox.settings, webhook_url=None, dry_run=False, write_rules=None)

    views = {v["title"]: v for v in sandbox.get("/api/v2/views")["views"]}
    assert set(views) == {"Escalated tickets", *REGION_VIEWS}
    emea = views["Escalated tickets — EMEA"]
    assert {"field": "group_id", "operator": "is", "value": "301"} in emea["all"]
    assert {"field": "current_tags", "operator": "includes", "value": "escalated"} in emea["all"]
    assert emea["output"]["columns"][-1] == 9001  # the escalation status field

    hooks = [h for h in sandbox.get("/api/v2/webhooks")["webhooks"] if h["name"] == "Escalator"]
    assert len(hooks) == 1
    hook = hooks[0]
    assert hook["endpoint"] == f"{sandbox.settings.service_url}/webhooks/zendesk"
    assert sorted(hook["subscriptions"]) == sorted(EVENT_TYPES)
    assert (hook["status"], hook["http_method"], hook["request_format"]) == (
        "active",
        "POST",
        "json",
    )

    (trigger,) = sandbox.get("/api/v2/triggers")["triggers"]
    assert trigger["title"] == "Escalator: CSM escalation request"
    action = trigger["actions"][0]
    # Zendesk cannot connect the event-subscribed webhook to a trigger: the trigger uses the
    # sandbox's trigger-connected one that sends to the same endpoint.
    assert action["field"] == "notification_webhook"
    assert action["value"][0] == "01HSANDBOXESCALATOR0000001"
    assert '"escalator": "trigger-v1"' in action["value"][1]

    lines = "\n".join(report.lines())
    assert 'create webhook "Escalator"' in lines
    assert "status: 9001" in lines
    secret = sandbox.get(f"/api/v2/webhooks/{hook['id']}/signing_secret")["signing_secret"]
    assert secret["secret"] not in lines  # only a hint of the secret is printed
    assert f"{secret['secret'][:4]}… ({len(secret['secret'])} characters)" in lines


def test_provision_creates_missing_ticket_fields(sandbox: Sandbox) -> None:
    sandbox.state.account.ticket_fields.clear()

    report = provision(sandbox.settings, webhook_url=None, dry_run=False, write_rules=None)

    fields = {f["title"]: f for f in sandbox.get("/api/v2/ticket_fields")["ticket_fields"]}
    assert {title: f["type"] for title, f in fields.items()} == {
        "Escalation status": "text",
        "Escalation basis": "text",
        "SLA breach eligible": "checkbox",
        "Business impact": "textarea",
    }
    assert report.field_ids == {
        "status": fields["Escalation status"]["id"],
        "basis": fields["Escalation basis"]["id"],
        "sla_breach_eligible": fields["SLA breach eligible"]["id"],
        "business_impact": fields["Business impact"]["id"],
    }


def test_second_run_changes_nothing(sandbox: Sandbox) -> None:
    provision(sandbox.settings, webhook_url=None, dry_run=False, write_rules=None)
    before = _inventory(sandbox)
    sandbox.http.delete("/__sandbox/requests")

    report = provision(sandbox.settings, webhook_url=None, dry_run=False, write_rules=None)

    assert _inventory(sandbox) == before
    assert sandbox.writes() == []
    assert {step.verb for step in report.steps} == {"unchanged"}


def test_changed_view_and_webhook_are_updated_in_place(sandbox: Sandbox) -> None:
    provision(sandbox.settings, webhook_url=None, dry_run=False, write_rules=None)
    views = {v["title"]: v["id"] for v in sandbox.get("/api/v2/views")["views"]}
    emea_id = views["Escalated tickets — EMEA"]
    sandbox.state.account.rules["views"][emea_id]["all"] = []

    report = provision(
        sandbox.settings, webhook_url="https://esc.example.com/", dry_run=False, write_rules=None
    )

    lines = report.lines()
    assert any(
        f'update view "Escalated tickets — EMEA" (id {emea_id}): conditions differ' in line
        for line in lines
    )
    assert any('update webhook "Escalator"' in line and "endpoint" in line for line in lines)
    emea = sandbox.get(f"/api/v2/views/{emea_id}")["view"]
    assert {"field": "group_id", "operator": "is", "value": "301"} in emea["all"]
    hooks = [h for h in sandbox.get("/api/v2/webhooks")["webhooks"] if h["name"] == "Escalator"]
    assert [h["endpoint"] for h in hooks] == ["https://esc.example.com/webhooks/zendesk"]
    # No trigger-connected webhook sends to the new endpoint, so the trigger is left alone.
    assert any('skip trigger "Escalator: CSM escalation request"' in line for line in lines)


def test_dry_run_writes_nothing_and_prints_the_plan(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.state.account.ticket_fields.pop(9004)
    rules = tmp_path / "rules.yaml"
    shutil.copy(ROOT / "rules.example.yaml", rules)
    original = rules.read_text()

    report = provision(sandbox.settings, webhook_url=None, dry_run=True, write_rules=rules)

    assert sandbox.writes() == []
    assert rules.read_text() == original
    lines = report.lines()
    assert "(dry run: nothing was changed)" in lines[0]
    assert '  create ticket field "Business impact": textarea' in lines
    assert '  unchanged ticket field "Escalation status" (id 9001)' in lines
    assert '  create view "Escalated tickets — APAC"' in lines
    assert any(line.startswith('  create webhook "Escalator"') for line in lines)
    assert _inventory(sandbox)["views"] == {}


def test_write_rules_puts_new_ids_into_the_rules_file(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.state.account.ticket_fields.clear()
    rules = tmp_path / "rules.yaml"
    shutil.copy(ROOT / "rules.example.yaml", rules)

    report = provision(sandbox.settings, webhook_url=None, dry_run=False, write_rules=rules)

    config = load_rules_file(rules)  # still valid
    ids = report.field_ids
    assert config.fields.model_dump() == ids
    assert set(ids.values()).isdisjoint({9001, 9002, 9003, 9004})
    text = rules.read_text()
    assert f"status: {ids['status']}                # escalated | needs_info" in text
    assert "# Escalator rules — owned by the integration admins." in text  # comments kept


def test_bad_credentials_are_a_readable_error(sandbox: Sandbox, tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path, sandbox_port=sandbox.settings.sandbox_port, zendesk_api_token="wrong-token"
    )

    with pytest.raises(ProvisionError) as caught:
        provision(settings, webhook_url=None, dry_run=False, write_rules=None)

    message = str(caught.value)
    assert "401" in message
    assert "ZENDESK_API_TOKEN" in message
    assert "ZENPY_FORCE_NETLOC" not in os.environ  # the override lasts only for the call


def test_unreachable_zendesk_is_a_readable_error(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, sandbox_port=free_port())

    with pytest.raises(ProvisionError, match=r"cannot reach Zendesk at http://127\.0\.0\.1"):
        provision(settings, webhook_url=None, dry_run=True, write_rules=None)


def test_field_of_the_wrong_type_stops_before_any_write(sandbox: Sandbox) -> None:
    sandbox.state.account.ticket_fields[9003]["type"] = "text"

    with pytest.raises(ProvisionError, match=r"SLA breach eligible.*'checkbox'"):
        provision(sandbox.settings, webhook_url=None, dry_run=False, write_rules=None)

    assert sandbox.writes() == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "a: 1\nfields:\n  status: 1   # why\n  basis: 2\n\n# next\nb: 2\n",
            "a: 1\nfields:\n  status: 71  # why\n  basis: 72\n  sla_breach_eligible: 73\n"
            "  business_impact: 74\n\n# next\nb: 2\n",
        ),
        (
            "fields: {status: 1, basis: 2}\nb: 2\n",
            "fields:\n  status: 71\n  basis: 72\n  sla_breach_eligible: 73\n"
            "  business_impact: 74\nb: 2\n",
        ),
        (
            "b: 2",
            "b: 2\n\nfields:\n  status: 71\n  basis: 72\n  sla_breach_eligible: 73\n"
            "  business_impact: 74\n",
        ),
    ],
    ids=["block-with-comments", "flow-style", "missing"],
)
def test_replace_fields_block(text: str, expected: str) -> None:
    ids = {"status": 71, "basis": 72, "sla_breach_eligible": 73, "business_impact": 74}
    assert replace_fields_block(text, ids) == expected
