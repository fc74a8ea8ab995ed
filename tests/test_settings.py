"""Settings: sandbox defaults, and refusing to run a real Zendesk on placeholder secrets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.settings import ConfigError, Settings

REAL = {
    "zendesk_subdomain": "acme",
    "zendesk_email": "ops@acme.example",
    "zendesk_api_token": "a-real-looking-api-token",
    "zendesk_webhook_secret": "whsec-real-looking-secret",
    "admin_token": "admin-token-of-sufficient-length",
}


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


def test_no_zendesk_means_sandbox_mode_with_published_secrets() -> None:
    s = settings()
    assert s.sandbox_mode
    assert s.zendesk_base_url == "http://127.0.0.1:8001"
    assert s.secret("webhook_secret") == "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="
    s.check_startable()


def test_subdomain_becomes_the_zendesk_url() -> None:
    s = settings(**REAL)
    assert not s.sandbox_mode
    assert s.zendesk_base_url == "https://acme.zendesk.com"
    s.check_startable()


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"zendesk_webhook_secret": None}, "ZENDESK_WEBHOOK_SECRET is missing or a placeholder"),
        ({"zendesk_webhook_secret": "changeme"}, "ZENDESK_WEBHOOK_SECRET is missing"),
        ({"zendesk_api_token": ""}, "ZENDESK_API_TOKEN is missing or a placeholder"),
        ({"admin_token": "secret"}, "ADMIN_TOKEN is missing or a placeholder"),
        ({"admin_token": "short-token"}, "ADMIN_TOKEN must be at least 16 characters"),
        ({"zendesk_email": None}, "ZENDESK_EMAIL is required"),
    ],
)
def test_real_zendesk_refuses_missing_or_placeholder_secrets(
    override: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        settings(**{**REAL, **override}).check_startable()


def test_real_mode_never_falls_back_to_sandbox_secrets() -> None:
    s = settings(**{**REAL, "zendesk_webhook_secret": None})
    assert s.secret("webhook_secret") == ""


def test_serve_refuses_to_start_with_a_one_line_reason(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "ZENDESK_SUBDOMAIN": "acme",
        "ZENDESK_EMAIL": "ops@acme.example",
        "ZENDESK_API_TOKEN": "changeme",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}",
    }
    escalator = str(Path(sys.executable).parent / "escalator")
    result = subprocess.run(
        [escalator, "serve"], env=env, capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "configuration error: ZENDESK_API_TOKEN is missing or a placeholder; set a real value"
    )
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("url", ["sqlite+aiosqlite://", "sqlite+aiosqlite:///:memory:"])
def test_in_memory_sqlite_is_refused_because_it_loses_the_inbox(url: str) -> None:
    with pytest.raises(ConfigError, match="in-memory SQLite"):
        settings(database_url=url).check_startable()
