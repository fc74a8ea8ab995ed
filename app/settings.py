"""One Settings object, read from the environment and `.env`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

# Values that mean "nobody set this": refusing them outside sandbox mode keeps a copy-pasted
# example from becoming a production secret.
PLACEHOLDERS = frozenset({"", "changeme", "change-me", "secret", "placeholder", "xxx", "todo"})
SANDBOX_EMAIL = "escalator@example.com"
SANDBOX_API_TOKEN = "sandbox-api-token"  # noqa: S105 - the sandbox's own, published credential
SANDBOX_WEBHOOK_SECRET = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="  # noqa: S105 - Zendesk's doc example
SANDBOX_ADMIN_TOKEN = "sandbox-admin-token"  # noqa: S105


class ConfigError(Exception):
    """The configuration cannot run; the message is one line for the operator."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    sandbox_port: int = 8001
    public_url: str | None = None  # where Zendesk reaches this service; default http://host:port
    database_url: str = "sqlite+aiosqlite:///./var/escalator.db"

    zendesk_url: str | None = None
    zendesk_subdomain: str | None = None
    zendesk_email: str | None = None
    zendesk_api_token: SecretStr | None = None
    zendesk_webhook_secret: SecretStr | None = None
    zendesk_requests_per_minute: int = Field(default=400, ge=1)
    zendesk_updates_per_minute: int = Field(default=100, ge=1)
    zendesk_timeout_seconds: float = Field(default=10.0, gt=0)
    # Zendesk counts per minute; tests and benchmarks shrink the window to run quickly.
    zendesk_rate_window_seconds: float = Field(default=60.0, gt=0)

    statuspage_url: str | None = None
    statuspage_cache_seconds: float = Field(default=60.0, ge=0)

    admin_token: SecretStr | None = None
    viewer_tokens: str = ""
    csm_api_tokens: str = ""
    session_secret: SecretStr | None = None
    auth_proxy_header: str | None = None
    # Comma lists of emails or domains (`example.com`) the SSO proxy's header may name, per role.
    auth_proxy_admins: str = ""
    auth_proxy_viewers: str = ""

    rules_file: Path = Path("rules.example.yaml")
    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "json"

    webhook_max_bytes: int = 256 * 1024
    webhook_tolerance_seconds: int = 300
    worker_enabled: bool = True
    worker_concurrency: int = Field(default=32, ge=1)
    worker_poll_seconds: float = Field(default=0.2, gt=0)
    worker_lease_seconds: int = Field(default=60, ge=1)
    worker_max_attempts: int = Field(default=8, ge=1)
    worker_backoff_base_seconds: float = Field(default=1.0, ge=0)
    worker_backoff_max_seconds: float = Field(default=300.0, ge=0)
    scheduler_interval_seconds: float = Field(default=30.0, gt=0)
    cache_ttl_seconds: int = Field(default=300, ge=0)

    @model_validator(mode="after")
    def _normalise(self) -> Settings:
        # A dead worker's write may still be in flight for a timeout after its last lease
        # renewal (every third of a lease): the lease must outlast it, or the delivery is
        # resumed before that write lands and the write is sent twice.
        if self.worker_lease_seconds < 2 * self.zendesk_timeout_seconds:
            raise ValueError(
                "WORKER_LEASE_SECONDS must be at least twice ZENDESK_TIMEOUT_SECONDS "
                f"({self.worker_lease_seconds} < 2 x {self.zendesk_timeout_seconds})"
            )
        if self.zendesk_url:
            self.zendesk_url = self.zendesk_url.rstrip("/")
        elif self.zendesk_subdomain:
            self.zendesk_url = f"https://{self.zendesk_subdomain}.zendesk.com"
        return self

    @property
    def sandbox_mode(self) -> bool:
        """No Zendesk account configured: run against the bundled simulator."""
        return not self.zendesk_url

    @property
    def zendesk_base_url(self) -> str:
        return self.zendesk_url or f"http://127.0.0.1:{self.sandbox_port}"

    @property
    def service_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def statuspage_base_url(self) -> str | None:
        if self.statuspage_url:
            return self.statuspage_url.rstrip("/")
        return f"{self.zendesk_base_url}/statuspage" if self.sandbox_mode else None

    def secret(self, name: Literal["api_token", "webhook_secret", "admin_token"]) -> str:
        """The secret's value, falling back to the sandbox's published one in sandbox mode."""
        value = {
            "api_token": self.zendesk_api_token,
            "webhook_secret": self.zendesk_webhook_secret,
            "admin_token": self.admin_token,
        }[name]
        if value is not None and value.get_secret_value():
            return value.get_secret_value()
        if self.sandbox_mode:
            return {
                "api_token": SANDBOX_API_TOKEN,
                "webhook_secret": SANDBOX_WEBHOOK_SECRET,
                "admin_token": SANDBOX_ADMIN_TOKEN,
            }[name]
        return ""

    @property
    def zendesk_login(self) -> str:
        return self.zendesk_email or (SANDBOX_EMAIL if self.sandbox_mode else "")

    @property
    def csm_tokens(self) -> frozenset[str]:
        return frozenset(t.strip() for t in self.csm_api_tokens.split(",") if t.strip())

    @property
    def viewer_token_set(self) -> frozenset[str]:
        return frozenset(t.strip() for t in self.viewer_tokens.split(",") if t.strip())

    def check_startable(self) -> None:
        """Refuse to run on a database that would lose the inbox, or against a real Zendesk
        with a missing or placeholder secret."""
        url = make_url(self.database_url)
        if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
            raise ConfigError(
                "DATABASE_URL: an in-memory SQLite database loses every accepted delivery on "
                "restart; give it a file (sqlite+aiosqlite:///path/escalator.db)"
            )
        if self.sandbox_mode:
            return
        if not self.zendesk_email:
            raise ConfigError("ZENDESK_EMAIL is required when ZENDESK_URL/ZENDESK_SUBDOMAIN is set")
        checks = {
            "ZENDESK_API_TOKEN": self.zendesk_api_token,
            "ZENDESK_WEBHOOK_SECRET": self.zendesk_webhook_secret,
            "ADMIN_TOKEN": self.admin_token,
        }
        for env_name, value in checks.items():
            raw = value.get_secret_value() if value is not None else ""
            if raw.strip().lower() in PLACEHOLDERS:
                raise ConfigError(f"{env_name} is missing or a placeholder; set a real value")
            if env_name == "ADMIN_TOKEN" and len(raw) < 16:
                raise ConfigError("ADMIN_TOKEN must be at least 16 characters")


@lru_cache
def get_settings() -> Settings:
    return Settings()
