"""Async Zendesk Support API client: one httpx client, typed errors, retries, rate limiting.

Everything Escalator reads from or writes to Zendesk goes through `ZendeskClient`, so the call
budget (DESIGN §3: at most one read and one write per escalation) is enforced in one place.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Iterable, Mapping
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Generic, Self, TypeVar
from urllib.parse import urlsplit

import httpx
import structlog
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from app import __version__
from app.clients.ratelimit import Clock, Sleep, ZendeskRateLimiter
from app.errors import AppError
from app.metrics import ZENDESK_CALLS, ZENDESK_RATE_LIMITED
from app.rules.context import Comment, Organization, Ticket, ZendeskModel, ZendeskSla

log = structlog.get_logger(__name__)

JSON = dict[str, Any]

# Zendesk caps cursor pages and bulk updates at 100.
# https://developer.zendesk.com/api-reference/introduction/pagination/
PAGE_SIZE = 100
UPDATE_MANY_MAX_IDS = 100
# Never sleep longer than this on one Retry-After; past it the worker's own backoff is the better
# place to wait (it does not hold a worker slot).
MAX_RETRY_AFTER_SECONDS = 60.0
_DETAIL_MAX = 300

# The sideloads that make one GET enough for an escalation.
# https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#sideloads
# https://developer.zendesk.com/documentation/api-basics/working-with-data/side-loading/
TICKET_CONTEXT_INCLUDE = "users,organizations,last_audits,metric_sets,slas"

STAFF_ROLES = frozenset({"agent", "admin"})


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class ZendeskError(AppError):
    """Zendesk refused or failed a call. `.transient` says whether trying later may succeed."""

    # From our API's point of view a Zendesk failure is a bad gateway unless a subclass knows more.
    status_code = 502
    transient = False

    def __init__(self, detail: str, *, http_status: int | None = None) -> None:
        super().__init__(detail[:_DETAIL_MAX])
        self.http_status = http_status


class ZendeskAuthError(ZendeskError):
    """401: the API token or email is wrong (our configuration, not the caller's request)."""


class ZendeskForbidden(ZendeskAuthError):
    """403: authenticated, but the user may not do this (role, plan or IP restriction)."""


class ZendeskNotFound(ZendeskError):
    status_code = 404


class ZendeskConflict(ZendeskError):
    """409: a `safe_update` lost the race; reload the ticket and plan again."""

    status_code = 409


class ZendeskUnprocessable(ZendeskError):
    """422: Zendesk rejected the content (e.g. an assignee who is not an agent)."""

    status_code = 422


class ZendeskRateLimited(ZendeskError):
    status_code = 503
    transient = True

    def __init__(
        self, detail: str, *, http_status: int | None = 429, retry_after: float | None = None
    ) -> None:
        super().__init__(detail, http_status=http_status)
        self.retry_after = retry_after


class ZendeskUnavailable(ZendeskError):
    """5xx, timeout or transport failure.

    `maybe_applied` is False only when the request provably never reached Zendesk (connect
    failures); otherwise a write may or may not have landed.
    """

    status_code = 503
    transient = True

    def __init__(
        self, detail: str, *, http_status: int | None = None, maybe_applied: bool = True
    ) -> None:
        super().__init__(detail, http_status=http_status)
        self.maybe_applied = maybe_applied


# --------------------------------------------------------------------------------------------
# Client-side models (what app.rules.context does not need)
# --------------------------------------------------------------------------------------------


class ZendeskUser(ZendeskModel):
    id: int
    name: str = ""
    email: str | None = None
    role: str | None = None  # "end-user", "agent" or "admin"
    organization_id: int | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES


class AuditEvent(BaseModel):
    """One event of an audit; unknown types and fields are kept, not rejected.

    https://developer.zendesk.com/documentation/ticketing/reference-guides/ticket-audit-events-reference/
    """

    model_config = ConfigDict(extra="allow")

    id: int | None = None
    type: str = ""
    # Create / Change
    field_name: str | None = None
    value: Any = None
    previous_value: Any = None
    # Comment
    body: str | None = None
    html_body: str | None = None
    public: bool | None = None
    author_id: int | None = None
    # EmailCcChange
    previous_email_ccs: list[Any] | None = None
    current_email_ccs: list[Any] | None = None
    email_ccs: list[Any] | None = None


class Audit(ZendeskModel):
    id: int
    ticket_id: int | None = None
    author_id: int | None = None
    created_at: datetime | None = None
    events: list[AuditEvent] = Field(default_factory=list)


class MinutesPair(ZendeskModel):
    calendar: int | None = None
    business: int | None = None


class TicketMetricSet(ZendeskModel):
    """https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_metrics/"""

    ticket_id: int | None = None
    replies: int | None = None
    reply_time_in_minutes: MinutesPair | None = None
    first_resolution_time_in_minutes: MinutesPair | None = None
    latest_comment_added_at: datetime | None = None
    initially_assigned_at: datetime | None = None
    solved_at: datetime | None = None
    created_at: datetime | None = None


class JobStatus(ZendeskModel):
    """https://developer.zendesk.com/api-reference/ticketing/ticket-management/job_statuses/"""

    id: str
    status: str = "queued"  # queued, working, failed, completed
    url: str | None = None
    total: int | None = None
    progress: int | None = None
    message: str | None = None
    results: list[dict[str, Any]] | None = None


class TicketSnapshot(BaseModel):
    """Everything one escalation needs, from a single GET with sideloads."""

    ticket: Ticket
    organization: Organization | None = None
    users: dict[int, ZendeskUser] = Field(default_factory=dict)
    last_audit: Audit | None = None
    zendesk_sla: ZendeskSla | None = None
    first_public_agent_reply_at: datetime | None = None
    metric_set: TicketMetricSet | None = None
    # `updated_at` byte for byte as Zendesk sent it: safe_update compares it with the stored
    # timestamp, so a re-serialised datetime could differ in format and always conflict.
    updated_stamp: str


# --------------------------------------------------------------------------------------------
# Pure parsing helpers
# --------------------------------------------------------------------------------------------

_ANGLE_ADDR = re.compile(r"<\s*([^<>\s]+@[^<>\s]+)\s*>")
_CC_FIELDS = frozenset({"email_ccs", "email_cc_ids", "collaborator_ids", "collaborators"})


def _email_of(entry: object, users: Mapping[int, ZendeskUser]) -> str | None:
    """An address from an id, "addr", "Name <addr>" or {id, email, name}; None if unknown."""
    if isinstance(entry, bool):
        return None
    if isinstance(entry, int):
        user = users.get(entry)
        return user.email.lower() if user and user.email else None
    if isinstance(entry, str):
        text = entry.strip()
        if text.isdigit():
            return _email_of(int(text), users)
        match = _ANGLE_ADDR.search(text)
        if match:
            return match.group(1).lower()
        return text.lower() if "@" in text else None
    if isinstance(entry, Mapping):
        for key in ("email", "user_email", "address"):
            email = entry.get(key)
            if isinstance(email, str) and email:
                return _email_of(email, users)
        for key in ("id", "user_id"):
            user_id = entry.get(key)
            if user_id is not None:
                return _email_of(user_id, users)
    return None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, str):
        # Some Change events render list fields as one separated string.
        if "<" in value:
            return [f"<{addr}>" for addr in _ANGLE_ADDR.findall(value)]
        return [part for part in re.split(r"[,;\s]+", value) if part]
    return [value]


def _emails(entries: Iterable[Any], users: Mapping[int, ZendeskUser]) -> list[str]:
    out: list[str] = []
    for entry in entries:
        email = _email_of(entry, users)
        if email and email not in out:
            out.append(email)
    return out


def added_email_ccs(audit: Audit | None, users: Mapping[int, ZendeskUser]) -> list[str]:
    """Addresses this audit added to the ticket's email CCs, lower-cased, in order.

    Zendesk records a CC change as an `EmailCcChange` event (`previous_email_ccs`,
    `current_email_ccs`) on accounts with the CCs-and-followers experience, and as a
    `Change`/`Create` of `collaborator_ids` (or `email_cc_ids`) on older ones; entries may be
    user ids, addresses, "Name <addr>" strings or user objects. Unknown event types are ignored,
    as Zendesk asks: "Events may be added at any time".
    https://developer.zendesk.com/documentation/ticketing/reference-guides/ticket-audit-events-reference/
    """
    if audit is None:
        return []
    added: list[str] = []
    for event in audit.events:
        if event.type == "EmailCcChange":
            # The reference names the field `current_email_ccs`; accept `email_ccs` too.
            current = event.current_email_ccs
            if current is None:
                current = event.email_ccs
            before = set(_emails(event.previous_email_ccs or [], users))
            after = _emails(current or [], users)
        elif event.type in {"Change", "Create"} and event.field_name in _CC_FIELDS:
            before = set(_emails(_as_list(event.previous_value), users))
            after = _emails(_as_list(event.value), users)
        else:
            continue
        for email in after:
            if email not in before and email not in added:
                added.append(email)
    return added


def comment_of(
    audit: Audit | None, users: Mapping[int, ZendeskUser] | None = None
) -> Comment | None:
    """The comment this audit added, if any; `author_is_staff` from the author's role when known."""
    if audit is None:
        return None
    for event in audit.events:
        if event.type not in {"Comment", "VoiceComment"}:
            continue
        author_id = event.author_id if event.author_id is not None else audit.author_id
        author = (users or {}).get(author_id) if author_id is not None else None
        return Comment(
            id=event.id,
            body=event.body or "",
            html_body=event.html_body,
            public=True if event.public is None else event.public,
            author_id=author_id,
            author_is_staff=author.is_staff if author and author.role else None,
            created_at=audit.created_at,
        )
    return None


def _first_reply_at(ticket: Ticket, metric_set: TicketMetricSet | None) -> datetime | None:
    """When an agent first replied publicly, from the ticket's metric set.

    Zendesk exposes no first-reply timestamp, only `reply_time_in_minutes` (created → first
    public agent reply, null until someone replies) and a `replies` count; the timestamp is
    created_at + calendar minutes, exact to the minute.
    https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_metrics/
    """
    if metric_set is None or not metric_set.replies:
        return None
    minutes = (
        metric_set.reply_time_in_minutes.calendar if metric_set.reply_time_in_minutes else None
    )
    created = ticket.created_at or metric_set.created_at
    if minutes is None or created is None:
        return None
    return created + timedelta(minutes=minutes)


def _first_reply_sla(raw_ticket: JSON) -> ZendeskSla | None:
    """The first-reply policy metric from the `slas` sideload (nested in the ticket).

    Shape: `"slas": {"policy_metrics": [{"breach_at", "stage", "metric", "hours"}]}` (or
    "minutes"/"days" instead of "hours").
    The hours/minutes figure is the countdown Zendesk's SLA badge shows (time left or overdue),
    not the policy target, so `target_minutes` stays unset; `breach_at` is what decides.
    https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#sideloads
    """
    slas = raw_ticket.get("slas")
    metrics = slas.get("policy_metrics") if isinstance(slas, Mapping) else None
    if not isinstance(metrics, list):
        return None
    for metric in metrics:
        if isinstance(metric, Mapping) and metric.get("metric") == "first_reply_time":
            try:
                return ZendeskSla(
                    metric="first_reply_time",
                    breach_at=metric.get("breach_at"),
                    stage=metric.get("stage"),
                )
            except ValidationError:
                log.warning("zendesk.sla_unparsed", metric=metric)
                return None
    return None


def _list_of_dicts(value: Any) -> list[JSON]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def parse_ticket_context(body: JSON) -> TicketSnapshot:
    """Turn `GET /api/v2/tickets/{id}?include=…` into a snapshot; every sideload is optional.

    Top-level sideloads: `users`, `organizations`, and the last audit as `audits` (accepted as
    `last_audits` too). `metric_sets` arrives as `ticket.metric_set` (or a top-level
    `metric_sets` list on list endpoints); `slas` as `ticket.slas`.
    """
    raw_ticket = body.get("ticket")
    if not isinstance(raw_ticket, dict):
        raise ZendeskError("Zendesk returned no ticket in the response")
    try:
        ticket = Ticket.model_validate(raw_ticket)
    except ValidationError as e:
        raise ZendeskError(f"Zendesk ticket did not parse: {e.error_count()} errors") from e

    users: dict[int, ZendeskUser] = {}
    for raw in _list_of_dicts(body.get("users")):
        try:
            user = ZendeskUser.model_validate(raw)
        except ValidationError:
            continue
        users[user.id] = user

    organization: Organization | None = None
    for raw in _list_of_dicts(body.get("organizations")):
        if raw.get("id") == ticket.organization_id:
            organization = Organization.model_validate(raw)

    audits: list[Audit] = []
    for key in ("audits", "last_audits"):
        for source in (body.get(key), raw_ticket.get(key)):
            audits.extend(Audit.model_validate(raw) for raw in _list_of_dicts(source))
    audits = [a for a in audits if a.ticket_id in (None, ticket.id)]
    last_audit = max(
        audits, key=lambda a: (a.created_at is not None, a.created_at, a.id), default=None
    )

    metric_raw: Any = raw_ticket.get("metric_set")
    if not isinstance(metric_raw, dict):
        metric_raw = next(
            (m for m in _list_of_dicts(body.get("metric_sets")) if m.get("ticket_id") == ticket.id),
            None,
        )
    metric_set = TicketMetricSet.model_validate(metric_raw) if metric_raw else None

    updated_stamp = raw_ticket.get("updated_at")
    return TicketSnapshot(
        ticket=ticket,
        organization=organization,
        users=users,
        last_audit=last_audit,
        zendesk_sla=_first_reply_sla(raw_ticket),
        first_public_agent_reply_at=_first_reply_at(ticket, metric_set),
        metric_set=metric_set,
        updated_stamp=updated_stamp if isinstance(updated_stamp, str) else "",
    )


def describe_error_body(response: httpx.Response) -> str:
    """A one-line message from any of Zendesk's error shapes, or the raw text.

    Seen shapes: `{"error": "RecordNotFound", "description": "Not found"}`,
    `{"error": "RecordInvalid", "description": …, "details": {field: [{"description", "error"}]}}`,
    `{"error": {"title": …, "message": …}}`, `{"errors": [{"title"|"code", "detail"|"message"}]}`.
    """
    try:
        body = response.json()
    except ValueError:
        text = " ".join(response.text.split())
        return text[:200] or response.reason_phrase
    if not isinstance(body, dict):
        return str(body)[:200]
    parts: list[str] = []
    error = body.get("error")
    if isinstance(error, dict):
        parts.extend(str(error[k]) for k in ("title", "message") if error.get(k))
    elif error:
        parts.append(str(error))
    description = body.get("description")
    if description:
        parts.append(str(description))
    details = _render_details(body.get("details"))
    errors = body.get("errors")
    if isinstance(errors, list):
        for item in errors:
            if isinstance(item, dict):
                label = item.get("title") or item.get("code")
                said = item.get("detail") or item.get("message") or item.get("description")
                parts.append(": ".join(str(x) for x in (label, said) if x))
            else:
                parts.append(str(item))
    message = ": ".join(p for p in parts if p) or response.reason_phrase
    return f"{message} ({details})" if details else message


def _render_details(details: Any) -> str:
    """`{"assignee_id": [{"description": "Assignee is not valid"}]}` → `assignee_id: Assignee …`."""
    if not isinstance(details, dict):
        return ""
    rendered: list[str] = []
    for field, items in details.items():
        for item in items if isinstance(items, list) else [items]:
            if isinstance(item, dict):
                text = item.get("description") or item.get("error") or item.get("message")
            else:
                text = item
            rendered.append(f"{field}: {text}")
    return "; ".join(rendered)


def _retry_after(headers: Mapping[str, str]) -> float | None:
    for name in ("retry-after", "ratelimit-reset"):
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            return max(0.0, float(raw))
        except ValueError:
            continue  # an HTTP-date Retry-After; Zendesk sends seconds, fall back to backoff
    return None


def _is_replay_safe(method: str, body: JSON | None) -> bool:
    """May this request be sent again after an ambiguous failure (5xx, read timeout)?

    GETs, yes. A PUT with `safe_update` and `updated_stamp` but no comment, yes: if the first
    one landed, the replay answers 409, and its tags and fields are idempotent anyway.
    https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#protecting-against-ticket-update-collisions
    With a comment, no: the stamp has whole-second resolution, so a first write that landed in
    the second the ticket was read leaves the stamp unchanged and the replay adds the comment
    again. That write goes back to the worker, whose retry reloads the ticket and sends it
    only if it did not land. Anything else could duplicate a comment or a ticket.
    """
    if method == "GET":
        return True
    ticket = (body or {}).get("ticket")
    return (
        method == "PUT"
        and isinstance(ticket, dict)
        and ticket.get("safe_update") is True
        and "comment" not in ticket
    )


# --------------------------------------------------------------------------------------------
# TTL cache with request coalescing
# --------------------------------------------------------------------------------------------

V = TypeVar("V")


class TtlCache(Generic[V]):
    """In-memory cache; concurrent misses for one key share a single load."""

    def __init__(self, ttl_seconds: float, *, clock: Clock = time.monotonic) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._values: dict[Hashable, tuple[float, V]] = {}
        self._inflight: dict[Hashable, asyncio.Task[V]] = {}

    def put(self, key: Hashable, value: V) -> None:
        if self._ttl > 0:
            self._values[key] = (self._clock() + self._ttl, value)

    def peek(self, key: Hashable) -> tuple[bool, V | None]:
        hit = self._values.get(key)
        if hit is None:
            return False, None
        if hit[0] <= self._clock():
            del self._values[key]
            return False, None
        return True, hit[1]

    async def get_or_load(self, key: Hashable, load: Callable[[], Awaitable[V]]) -> V:
        found, value = self.peek(key)
        if found:
            return value  # type: ignore[return-value]  # found ⇒ value is a V (may be None)
        task = self._inflight.get(key)
        if task is None:

            async def run() -> V:
                try:
                    result = await load()
                    self.put(key, result)
                    return result
                finally:
                    self._inflight.pop(key, None)

            task = asyncio.create_task(run())
            self._inflight[key] = task
        # shield: one caller being cancelled must not cancel the load the others wait for.
        return await asyncio.shield(task)

    def clear(self) -> None:
        self._values.clear()


# --------------------------------------------------------------------------------------------
# Client
# --------------------------------------------------------------------------------------------

M = TypeVar("M", bound=BaseModel)


class ZendeskClient:
    """Zendesk Support API over one `httpx.AsyncClient`; build in lifespan, `aclose()` on exit."""

    def __init__(
        self,
        *,
        base_url: str,
        email: str,
        api_token: str,
        timeout_seconds: float = 10,
        requests_per_minute: int = 400,
        updates_per_minute: int = 100,
        window_seconds: float = 60.0,
        cache_ttl_seconds: float = 300,
        max_retries: int = 5,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._base = httpx.URL(base_url.rstrip("/"))
        self._http = httpx.AsyncClient(
            base_url=self._base,
            # API-token auth: "{email}/token" as the user name.
            # https://developer.zendesk.com/api-reference/introduction/security-and-auth/
            auth=httpx.BasicAuth(f"{email}/token", api_token),
            timeout=httpx.Timeout(timeout_seconds, connect=min(5.0, timeout_seconds)),
            headers={"User-Agent": f"escalator/{__version__}", "Accept": "application/json"},
            transport=transport,
        )
        self._sleep = sleep
        self._max_retries = max_retries
        self._limiter = ZendeskRateLimiter(
            requests_per_minute=requests_per_minute,
            updates_per_minute=updates_per_minute,
            window_seconds=window_seconds,
            clock=clock,
            sleep=sleep,
        )
        self._backoff = wait_exponential_jitter(multiplier=0.5, max=30, jitter=1)
        self._calls: Counter[tuple[str, str]] = Counter()
        self._orgs: TtlCache[Organization] = TtlCache(cache_ttl_seconds, clock=clock)
        self._users: TtlCache[ZendeskUser] = TtlCache(cache_ttl_seconds, clock=clock)
        self._users_by_email: TtlCache[ZendeskUser | None] = TtlCache(
            cache_ttl_seconds, clock=clock
        )

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

    @property
    def calls(self) -> Counter[tuple[str, str]]:
        """Requests sent (retries included), by (method, endpoint template)."""
        return self._calls

    @property
    def limiter(self) -> ZendeskRateLimiter:
        return self._limiter

    # -- transport, errors, retries ----------------------------------------------------------

    async def _attempt(
        self,
        method: str,
        template: str,
        url: str,
        *,
        params: Mapping[str, str | int] | None,
        body: JSON | None,
        is_update: bool,
    ) -> httpx.Response:
        await self._limiter.acquire(is_update=is_update)
        self._calls[(method, template)] += 1
        try:
            response = await self._http.request(method, url, params=params, json=body)
        except httpx.HTTPError as e:
            ZENDESK_CALLS.labels(method, template, "error").inc()
            # A request that never connected cannot have been applied; any later failure might.
            never_sent = isinstance(
                e, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout
            )
            kind = "timed out" if isinstance(e, httpx.TimeoutException) else type(e).__name__
            raise ZendeskUnavailable(
                f"Zendesk {method} {template}: {kind}", maybe_applied=not never_sent
            ) from e
        status = response.status_code
        ZENDESK_CALLS.labels(method, template, str(status)).inc()
        self._limiter.observe(response.headers)
        if status < 400:
            return response
        raise self._error_for(method, template, response)

    def _error_for(self, method: str, template: str, response: httpx.Response) -> ZendeskError:
        """The one place that turns a Zendesk error response into a typed error."""
        status = response.status_code
        detail = f"Zendesk {status} on {method} {template}: {describe_error_body(response)}"
        if status == 429:
            ZENDESK_RATE_LIMITED.inc()
            retry_after = _retry_after(response.headers)
            if retry_after is not None:
                # Hold every caller, not just this one: the budget is per account.
                self._limiter.pause(min(retry_after, MAX_RETRY_AFTER_SECONDS))
            return ZendeskRateLimited(detail, retry_after=retry_after)
        if status >= 500:
            return ZendeskUnavailable(detail, http_status=status)
        if status == 422:
            # The field-level details are the useful part for an admin reading the deliveries list.
            try:
                rendered = _render_details(response.json().get("details"))
            except (ValueError, AttributeError):
                rendered = ""
            if rendered:
                detail = f"Zendesk rejected {method} {template}: {rendered}"
        error_cls: type[ZendeskError] = {
            401: ZendeskAuthError,
            403: ZendeskForbidden,
            404: ZendeskNotFound,
            409: ZendeskConflict,
            422: ZendeskUnprocessable,
        }.get(status, ZendeskError)
        return error_cls(detail, http_status=status)

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, ZendeskRateLimited) and error.retry_after is not None:
            return min(error.retry_after, MAX_RETRY_AFTER_SECONDS)
        return float(self._backoff(state))

    async def _send(
        self,
        method: str,
        template: str,
        *,
        url: str | None = None,
        params: Mapping[str, str | int] | None = None,
        body: JSON | None = None,
        is_update: bool = False,
        replay_safe: bool | None = None,
        **path: int | str,
    ) -> httpx.Response:
        target = url if url is not None else template.format(**path)
        safe = _is_replay_safe(method, body) if replay_safe is None else replay_safe

        def should_retry(error: BaseException) -> bool:
            # A 429 was not applied, so even a comment write may go again.
            if isinstance(error, ZendeskRateLimited):
                return True
            if isinstance(error, ZendeskUnavailable):
                return safe or not error.maybe_applied
            return False

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._max_retries + 1),
            wait=self._wait,
            retry=retry_if_exception(should_retry),
            sleep=self._sleep,
            reraise=True,
            before_sleep=lambda state: log.info(
                "zendesk.retry",
                method=method,
                endpoint=template,
                attempt=state.attempt_number,
                wait=round(state.upcoming_sleep, 3),
                error=str(state.outcome.exception()) if state.outcome else None,
            ),
        )
        async for attempt in retrying:
            with attempt:
                return await self._attempt(
                    method, template, target, params=params, body=body, is_update=is_update
                )
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    async def _json(self, method: str, template: str, **kwargs: Any) -> JSON:
        response = await self._send(method, template, **kwargs)
        if response.status_code == 204 or not response.content:
            return {}
        try:
            body = response.json()
        except ValueError as e:
            raise ZendeskError(
                f"Zendesk {method} {template}: response is not JSON",
                http_status=response.status_code,
            ) from e
        if not isinstance(body, dict):
            raise ZendeskError(f"Zendesk {method} {template}: unexpected response shape")
        return body

    @staticmethod
    def _model(model: type[M], body: JSON, key: str, what: str) -> M:
        raw = body.get(key)
        if not isinstance(raw, dict):
            raise ZendeskError(f"Zendesk response has no {key!r} for {what}")
        try:
            return model.model_validate(raw)
        except ValidationError as e:
            raise ZendeskError(
                f"Zendesk {key} for {what} did not parse: {e.error_count()} errors"
            ) from e

    async def _paginate(
        self, template: str, key: str, model: type[M], **path: int
    ) -> AsyncIterator[M]:
        """Cursor pagination: follow `links.next` while `meta.has_more`.

        https://developer.zendesk.com/api-reference/introduction/pagination/
        """
        url: str | None = None
        params: Mapping[str, str | int] | None = {"page[size]": PAGE_SIZE}
        seen: set[str] = set()
        while True:
            body = await self._json("GET", template, url=url, params=params, **path)
            for raw in _list_of_dicts(body.get(key)):
                yield model.model_validate(raw)
            meta = body.get("meta")
            links = body.get("links")
            next_url = links.get("next") if isinstance(links, dict) else None
            if not (isinstance(meta, dict) and meta.get("has_more") and isinstance(next_url, str)):
                return
            # The next link carries our credentials along; only ever follow it to our own host.
            if urlsplit(next_url).netloc not in ("", self._base.netloc.decode()):
                raise ZendeskError(f"Zendesk pagination pointed to another host: {next_url}")
            # A next link that repeats would page forever.
            if next_url in seen:
                raise ZendeskError(f"Zendesk pagination repeated a page on {template}")
            seen.add(next_url)
            url, params = next_url, None

    # -- tickets -----------------------------------------------------------------------------

    async def get_ticket_context(self, ticket_id: int) -> TicketSnapshot:
        """The single read of an escalation: ticket + users, org, last audit, metrics, SLA."""
        body = await self._json(
            "GET",
            "/api/v2/tickets/{id}",
            params={"include": TICKET_CONTEXT_INCLUDE},
            id=ticket_id,
        )
        snapshot = parse_ticket_context(body)
        # Prime the caches with what came for free, so later lookups cost nothing.
        for user in snapshot.users.values():
            self._users.put(user.id, user)
        if snapshot.organization is not None:
            self._orgs.put(snapshot.organization.id, snapshot.organization)
        return snapshot

    async def get_ticket(self, ticket_id: int) -> Ticket:
        body = await self._json("GET", "/api/v2/tickets/{id}", id=ticket_id)
        return self._model(Ticket, body, "ticket", f"ticket {ticket_id}")

    async def update_ticket(self, ticket_id: int, payload: JSON) -> Ticket:
        """PUT `TicketUpdate.payload()`; under safe_update a lost race is `ZendeskConflict`."""
        body = await self._json(
            "PUT", "/api/v2/tickets/{id}", body=_wrap_ticket(payload), is_update=True, id=ticket_id
        )
        return self._model(Ticket, body, "ticket", f"ticket {ticket_id}")

    async def create_ticket(self, payload: JSON) -> Ticket:
        body = await self._json(
            "POST", "/api/v2/tickets", body=_wrap_ticket(payload), is_update=True
        )
        return self._model(Ticket, body, "ticket", "the new ticket")

    def list_audits(self, ticket_id: int) -> AsyncIterator[Audit]:
        return self._paginate("/api/v2/tickets/{id}/audits", "audits", Audit, id=ticket_id)

    def list_comments(self, ticket_id: int) -> AsyncIterator[Comment]:
        return self._paginate("/api/v2/tickets/{id}/comments", "comments", Comment, id=ticket_id)

    async def update_many(self, ticket_ids: list[int], ticket: JSON) -> list[JobStatus]:
        """Bulk update, ≤100 ids per call (split beyond); one job status per call.

        https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#update-many-tickets
        """
        jobs: list[JobStatus] = []
        ids = list(dict.fromkeys(ticket_ids))
        # Setting fields/tags is idempotent; a bulk comment is not, so it is not replayed.
        safe = "comment" not in ticket
        for start in range(0, len(ids), UPDATE_MANY_MAX_IDS):
            chunk = ids[start : start + UPDATE_MANY_MAX_IDS]
            body = await self._json(
                "PUT",
                "/api/v2/tickets/update_many",
                params={"ids": ",".join(str(i) for i in chunk)},
                body={"ticket": ticket},
                is_update=True,
                replay_safe=safe,
            )
            jobs.append(self._model(JobStatus, body, "job_status", "update_many"))
        return jobs

    async def update_many_tickets(self, tickets: list[JSON]) -> JobStatus:
        """Batch update: each ticket object carries its own `id` and changes (≤100 a call);
        Zendesk applies them in a background job, reported through the job status.

        https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#update-many-tickets
        """
        if not 0 < len(tickets) <= UPDATE_MANY_MAX_IDS:
            raise ValueError(f"update_many takes 1 to {UPDATE_MANY_MAX_IDS} tickets")
        body = await self._json(
            "PUT",
            "/api/v2/tickets/update_many",
            body={"tickets": tickets},
            is_update=True,
            # A comment in a replayed batch could land twice; tags and fields could not.
            replay_safe=not any("comment" in t for t in tickets),
        )
        return self._model(JobStatus, body, "job_status", "update_many")

    async def get_job_status(self, job_id: str) -> JobStatus:
        body = await self._json("GET", "/api/v2/job_statuses/{id}", id=job_id)
        return self._model(JobStatus, body, "job_status", f"job {job_id}")

    # -- organisations and users (cached) ----------------------------------------------------

    async def get_organization(self, org_id: int) -> Organization:
        async def load() -> Organization:
            body = await self._json("GET", "/api/v2/organizations/{id}", id=org_id)
            return self._model(Organization, body, "organization", f"organization {org_id}")

        return await self._orgs.get_or_load(org_id, load)

    async def get_user(self, user_id: int) -> ZendeskUser:
        async def load() -> ZendeskUser:
            body = await self._json("GET", "/api/v2/users/{id}", id=user_id)
            return self._model(ZendeskUser, body, "user", f"user {user_id}")

        return await self._users.get_or_load(user_id, load)

    async def find_user_by_email(self, email: str) -> ZendeskUser | None:
        """Exact (case-insensitive) address match; `query` also matches partially, so filter."""
        wanted = email.strip().lower()

        async def load() -> ZendeskUser | None:
            body = await self._json("GET", "/api/v2/users/search", params={"query": wanted})
            for raw in _list_of_dicts(body.get("users")):
                if str(raw.get("email") or "").lower() == wanted:
                    user = ZendeskUser.model_validate(raw)
                    self._users.put(user.id, user)
                    return user
            return None

        return await self._users_by_email.get_or_load(wanted, load)

    async def check_auth(self) -> ZendeskUser:
        """`GET /api/v2/users/me` for readiness.

        Zendesk answers an unauthenticated /users/me with 200 and an anonymous user (id null),
        so a missing id counts as an auth failure too.
        """
        body = await self._json("GET", "/api/v2/users/me")
        raw = body.get("user")
        if not isinstance(raw, dict) or raw.get("id") is None:
            raise ZendeskAuthError("Zendesk did not recognise the API credentials", http_status=200)
        return ZendeskUser.model_validate(raw)


def _wrap_ticket(payload: JSON) -> JSON:
    """Accept `{"ticket": {...}}` (what `TicketUpdate.payload()` returns) or the bare ticket."""
    return payload if "ticket" in payload else {"ticket": payload}
