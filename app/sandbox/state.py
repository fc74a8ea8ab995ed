"""The sandbox's run-time state beyond the account: settings, request log, faults, rate limits."""

from __future__ import annotations

import asyncio
import math
import re
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime

from app.sandbox.config import SandboxConfig
from app.sandbox.store import JSON, Account, Change, iso
from app.sandbox.webhooks import WebhookEmitter

SEEDED_WEBHOOK_ID = "01HSANDBOXESCALATOR0000001"
SETTINGS = (
    "latency_ms",
    "webhook_mode",
    "webhook_url",
    "requests_per_minute",
    "updates_per_minute",
    "rate_window_seconds",
)


@dataclass
class Fault:
    path: re.Pattern[str]
    count: int
    method: str | None = None
    status: int | None = None
    retry_after: int | None = None
    delay_ms: int = 0
    # Only requests whose User-Agent matches, so a test's own calls can pass a fault meant for
    # the service.
    user_agent: re.Pattern[str] | None = None

    def matches(self, method: str, path: str, user_agent: str = "") -> bool:
        return (
            (self.method is None or self.method == method)
            and bool(self.path.search(path))
            and (self.user_agent is None or bool(self.user_agent.search(user_agent)))
        )

    def to_json(self) -> JSON:
        return {
            "method": self.method,
            "path": self.path.pattern,
            "status": self.status,
            "count": self.count,
            "retry_after": self.retry_after,
            "delay_ms": self.delay_ms,
            "user_agent": self.user_agent.pattern if self.user_agent else None,
        }


@dataclass
class SlidingWindow:
    """Request times within the last window; the limit applies to their number."""

    hits: deque[float] = field(default_factory=deque)

    def _prune(self, now: float, window: float) -> None:
        while self.hits and self.hits[0] <= now - window:
            self.hits.popleft()

    def remaining(self, now: float, window: float, limit: int) -> int:
        self._prune(now, window)
        return max(0, limit - len(self.hits))

    def reset_in(self, now: float, window: float) -> int:
        """Whole seconds (at least 1) until the oldest counted request leaves the window."""
        if not self.hits:
            return max(1, math.ceil(window))
        return max(1, math.ceil(self.hits[0] + window - now))

    def take(self, now: float, window: float, limit: int) -> bool:
        if self.remaining(now, window, limit) <= 0:
            return False
        self.hits.append(now)
        return True

    def clear(self) -> None:
        self.hits.clear()


@dataclass
class Outage:
    id: str
    name: str
    impact: str
    components: list[JSON]
    created_at: datetime

    def to_json(self, base: str) -> JSON:
        stamp = iso(self.created_at)
        return {
            "id": self.id,
            "name": self.name,
            "status": "investigating",
            "impact": self.impact,
            "shortlink": f"{base}/statuspage/incidents/{self.id}",
            "created_at": stamp,
            "updated_at": stamp,
            "started_at": stamp,
            "monitoring_at": None,
            "resolved_at": None,
            "page_id": "sandboxpage01",
            "components": [
                {**c, "status": "major_outage", "created_at": stamp, "updated_at": stamp}
                for c in self.components
            ],
            "incident_updates": [
                {
                    "id": f"{self.id}-u1",
                    "incident_id": self.id,
                    "status": "investigating",
                    "body": f"We are investigating: {self.name}",
                    "created_at": stamp,
                    "updated_at": stamp,
                    "display_at": stamp,
                }
            ],
        }


class SandboxState:
    """Everything one sandbox app holds; `reset` returns it to the seeded account."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.account = Account(
            api_email=config.email,
            webhook_url=config.webhook_url,
            webhook_secret=config.webhook_secret,
        )
        self.emitter = WebhookEmitter(config, SEEDED_WEBHOOK_ID)
        self.requests: list[JSON] = []
        self.faults: list[Fault] = []
        self.outages: list[Outage] = []
        self.all_requests = SlidingWindow()
        self.updates = SlidingWindow()
        # One change at a time: handlers are sync between awaits, but faults and
        # inbound email mix awaits with writes.
        self.lock = asyncio.Lock()

    def reset(self) -> None:
        self.account.reset()
        self.emitter.clear()
        self.requests.clear()
        self.faults.clear()
        self.outages.clear()
        self.all_requests.clear()
        self.updates.clear()

    def emit(self, change: Change) -> None:
        self.emitter.emit(self.account, change)

    def settings(self) -> JSON:
        return {name: getattr(self.config, name) for name in SETTINGS}

    def update_settings(self, data: JSON) -> JSON:
        errors: dict[str, str] = {}
        for name, value in data.items():
            if name not in SETTINGS:
                errors[name] = "unknown setting"
            elif name == "webhook_mode" and value not in ("event", "trigger"):
                errors[name] = "must be 'event' or 'trigger'"
            elif name == "webhook_url" and value is not None and not isinstance(value, str):
                errors[name] = "must be a URL or null"
            elif name in ("latency_ms", "requests_per_minute", "updates_per_minute") and (
                not isinstance(value, int) or value < 0
            ):
                errors[name] = "must be a non-negative integer"
            elif name == "rate_window_seconds" and (
                not isinstance(value, int | float) or value <= 0
            ):
                errors[name] = "must be a positive number"
        if errors:
            return {"errors": errors}
        for name, value in data.items():
            setattr(self.config, name, value)
        if "webhook_url" in data:
            self.account.webhook_url = data["webhook_url"]
        return self.settings()

    def add_fault(self, data: JSON) -> Fault:
        status = data.get("status")
        if status is not None and int(status) not in (409, 429, 500, 502, 503, 504):
            raise ValueError("status must be one of 409, 429, 500, 502, 503, 504")
        if status is None and not data.get("delay_ms"):
            raise ValueError("a fault needs a status or a delay_ms")
        fault = Fault(
            path=re.compile(str(data.get("path") or ".*")),
            count=int(data.get("count", 1)),
            method=str(data["method"]).upper() if data.get("method") else None,
            status=int(status) if status is not None else None,
            retry_after=int(data["retry_after"]) if data.get("retry_after") is not None else None,
            delay_ms=int(data.get("delay_ms") or 0),
            user_agent=re.compile(str(data["user_agent"])) if data.get("user_agent") else None,
        )
        self.faults.append(fault)
        return fault

    def take_fault(self, method: str, path: str, user_agent: str = "") -> Fault | None:
        for fault in self.faults:
            if fault.count > 0 and fault.matches(method, path, user_agent):
                fault.count -= 1
                if fault.count <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def log_request(self, entry: JSON) -> None:
        self.requests.append(entry)

    def open_outage(self, data: JSON) -> Outage:
        components = []
        for item in data.get("components") or []:
            if isinstance(item, dict):
                components.append(
                    {
                        "id": str(item.get("id") or uuid.uuid4().hex[:12]),
                        "name": str(item.get("name", "")),
                    }
                )
            else:
                components.append({"id": uuid.uuid4().hex[:12], "name": str(item)})
        impact = str(data.get("impact") or "major")
        if impact not in ("none", "minor", "major", "critical"):
            raise ValueError("impact must be none, minor, major or critical")
        outage = Outage(
            id=uuid.uuid4().hex[:12],
            name=str(data.get("name") or "Platform outage"),
            impact=impact,
            components=components,
            created_at=datetime.now(UTC).replace(microsecond=0),
        )
        self.outages.append(outage)
        return outage


def monotonic() -> float:
    return time.monotonic()


def stamp_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
