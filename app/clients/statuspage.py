"""Atlassian Statuspage client: is a platform outage going on right now?

Escalator decides on *unresolved incidents*, not on the page's overall indicator: the indicator
also turns yellow for scheduled maintenance, and an incident names the affected components,
which is what the acknowledgement links to.
https://developer.statuspage.io/ (public API: GET /api/v2/incidents/unresolved.json)
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import Any, Self

import httpx
import structlog
from pydantic import ValidationError

from app import __version__
from app.clients.ratelimit import Clock
from app.errors import AppError
from app.rules.context import Incident

log = structlog.get_logger(__name__)

UNRESOLVED_PATH = "/api/v2/incidents/unresolved.json"


class StatuspageError(AppError):
    status_code = 502

    def __init__(self, detail: str, *, transient: bool, http_status: int | None = None) -> None:
        super().__init__(detail)
        self.transient = transient
        self.http_status = http_status


def parse_incidents(body: Any) -> list[Incident]:
    """`{"incidents": [{id, name, status, impact, shortlink, components: [{name}]}]}`."""
    if not isinstance(body, dict) or not isinstance(body.get("incidents"), list):
        raise StatuspageError("Statuspage answered without an incidents list", transient=True)
    incidents: list[Incident] = []
    for raw in body["incidents"]:
        if not isinstance(raw, dict):
            continue
        if raw.get("status") in {"resolved", "postmortem", "completed"}:
            continue  # the endpoint should not return these; be sure anyway
        components = [
            c["name"]
            for c in raw.get("components") or []
            if isinstance(c, dict) and isinstance(c.get("name"), str)
        ]
        try:
            incidents.append(
                Incident.model_validate(
                    {
                        "id": str(raw.get("id", "")),
                        "name": raw.get("name") or "",
                        "status": raw.get("status") or "investigating",
                        "impact": raw.get("impact") or "none",
                        "shortlink": raw.get("shortlink"),
                        "components": components,
                    }
                )
            )
        except ValidationError:
            log.warning("statuspage.incident_unparsed", incident_id=raw.get("id"))
    return incidents


class StatuspageClient:
    """Unresolved incidents, cached for `cache_ttl_seconds`; the last good answer on error."""

    def __init__(
        self,
        *,
        base_url: str,
        timeout_seconds: float = 5.0,
        cache_ttl_seconds: float = 60.0,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=httpx.Timeout(timeout_seconds),
            headers={"User-Agent": f"escalator/{__version__}", "Accept": "application/json"},
            transport=transport,
        )
        self._ttl = cache_ttl_seconds
        self._clock = clock
        self._cached: list[Incident] | None = None
        self._fetched_at = 0.0

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def unresolved_incidents(self) -> list[Incident]:
        """Current unresolved incidents; a stale list beats none when Statuspage is down."""
        now = self._clock()
        if self._cached is not None and now - self._fetched_at < self._ttl:
            return list(self._cached)
        try:
            incidents = await self._fetch()
        except StatuspageError as e:
            if self._cached is None:
                raise
            log.warning(
                "statuspage.stale",
                error=e.detail,
                age_seconds=round(now - self._fetched_at, 1),
            )
            return list(self._cached)
        self._cached, self._fetched_at = incidents, now
        return list(incidents)

    async def _fetch(self) -> list[Incident]:
        try:
            response = await self._http.get(UNRESOLVED_PATH)
        except httpx.HTTPError as e:
            raise StatuspageError(
                f"Statuspage unreachable: {type(e).__name__}", transient=True
            ) from e
        status = response.status_code
        if status >= 400:
            raise StatuspageError(
                f"Statuspage answered {status}",
                transient=status == 429 or status >= 500,
                http_status=status,
            )
        try:
            body = response.json()
        except ValueError as e:
            raise StatuspageError("Statuspage answered non-JSON", transient=True) from e
        return parse_incidents(body)
