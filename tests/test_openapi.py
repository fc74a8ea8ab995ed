"""openapi.yaml is the published contract: it must equal what the app serves."""

from __future__ import annotations

from pathlib import Path

import yaml

from app.openapi import render


def test_openapi_yaml_equals_what_the_app_serves(repo_root: Path) -> None:
    published = (repo_root / "openapi.yaml").read_text(encoding="utf-8")
    assert yaml.safe_load(published) == yaml.safe_load(render()), (
        "openapi.yaml is out of date: run `escalator openapi`"
    )


def test_contract_names_the_stable_interfaces(repo_root: Path) -> None:
    paths = yaml.safe_load((repo_root / "openapi.yaml").read_text(encoding="utf-8"))["paths"]
    for path, method in [
        ("/webhooks/zendesk", "post"),
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/metrics", "get"),
        ("/api/escalations", "get"),
        ("/api/escalations/{ticket_id}", "get"),
        ("/admin/rules", "get"),
        ("/admin/rules", "put"),
        ("/admin/rules/dry-run", "post"),
        ("/admin/deliveries", "get"),
        ("/admin/deliveries/{delivery_id}/replay", "post"),
    ]:
        assert method in paths.get(path, {}), f"{method.upper()} {path} missing"
