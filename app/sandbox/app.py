"""The sandbox FastAPI app: Zendesk's API paths, a Statuspage API and `/__sandbox` controls."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from email.utils import parseaddr
from typing import Annotated, Any
from urllib.parse import urlencode

import uvicorn
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.sandbox.config import SandboxConfig
from app.sandbox.state import SEEDED_WEBHOOK_ID, SandboxState, monotonic, stamp_now
from app.sandbox.store import (
    API_USER_ID,
    JSON,
    UPDATE_CONFLICT,
    Ticket,
    ZendeskError,
    iso,
    not_found,
    utcnow,
    via_email,
)

UPDATE_PATH = re.compile(r"^/api/v2/tickets/(\d+|update_many)$")
TICKET_PATH = re.compile(r"/api/v2/tickets/(\d+)")
UNAUTHORIZED: JSON = {"error": "Couldn't authenticate you"}
RATE_LIMITED: JSON = {
    "error": "APIRateLimitExceeded",
    "description": "Number of allowed API requests per minute exceeded",
}
FAULT_BODIES: dict[int, JSON] = {
    409: UPDATE_CONFLICT,
    429: RATE_LIMITED,
    500: {"error": "InternalError", "description": "Something went wrong (sandbox fault)"},
    502: {"error": "BadGateway", "description": "Bad gateway (sandbox fault)"},
    503: {"error": "ServiceUnavailable", "description": "Temporarily unavailable (sandbox fault)"},
    504: {"error": "GatewayTimeout", "description": "Gateway timeout (sandbox fault)"},
}


def get_state(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state


StateDep = Annotated[SandboxState, Depends(get_state)]


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def body_of(request: Request) -> JSON:
    raw = await request.body()
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError as e:
        raise ZendeskError(400, {"error": "InvalidJSON", "description": str(e)}) from e
    if not isinstance(data, dict):
        raise ZendeskError(400, {"error": "InvalidJSON", "description": "expected an object"})
    return data


def ids_param(request: Request) -> list[int]:
    raw = request.query_params.get("ids", "")
    return [int(part) for part in raw.split(",") if part.strip().isdigit()]


# ---- cursor pagination ----------------------------------------------------------------------
# https://developer.zendesk.com/api-reference/introduction/pagination/


def _cursor(index: int) -> str:
    return base64.urlsafe_b64encode(f"i:{index}".encode()).decode()


def _uncursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        return int(text.removeprefix("i:"))
    except (ValueError, binascii.Error, UnicodeDecodeError) as e:
        raise ZendeskError(
            400, {"error": "InvalidPaginationParameter", "description": "invalid cursor"}
        ) from e


def paginate(request: Request, key: str, items: list[JSON]) -> JSON:
    query = request.query_params
    raw_size = query.get("page[size]") or query.get("per_page") or "100"
    if not raw_size.isdigit() or not 1 <= int(raw_size) <= 100:
        raise ZendeskError(
            400,
            {"error": "InvalidPaginationParameter", "description": "page[size] must be 1..100"},
        )
    size = int(raw_size)
    start = _uncursor(query["page[after]"]) if query.get("page[after]") else 0
    page = items[start : start + size]
    has_more = start + size < len(items)
    after = _cursor(start + len(page)) if page else None
    before = _cursor(start) if start else None
    next_link = None
    if has_more and after:
        params = {k: v for k, v in query.items() if k != "page[after]"}
        params.update({"page[size]": str(size), "page[after]": after})
        next_link = f"{base_url(request)}{request.url.path}.json?{urlencode(params)}"
    return {
        key: page,
        "meta": {"has_more": has_more, "after_cursor": after, "before_cursor": before},
        "links": {"next": next_link, "prev": None},
        "count": len(items),
    }


# ---- middleware -----------------------------------------------------------------------------


def _authorized(request: Request, config: SandboxConfig) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        given = base64.b64decode(encoded, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return False
    expected = f"{config.email}/token:{config.api_token}"
    return hmac.compare_digest(given.encode(), expected.encode())


def _rate_headers(state: SandboxState, now: float) -> dict[str, str]:
    config = state.config
    window = config.rate_window_seconds
    remaining = state.all_requests.remaining(now, window, config.requests_per_minute)
    return {
        "X-Rate-Limit": str(config.requests_per_minute),
        "X-Rate-Limit-Remaining": str(remaining),
        "ratelimit-limit": str(config.requests_per_minute),
        "ratelimit-remaining": str(remaining),
        "ratelimit-reset": str(state.all_requests.reset_in(now, window)),
    }


async def _guard(
    request: Request, state: SandboxState, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Zendesk's gates in order: auth, account rate limit, Update Ticket limit; then faults."""
    config = state.config
    path = request.scope["path"]
    if config.latency_ms:
        await asyncio.sleep(config.latency_ms / 1000)
    if not _authorized(request, config):
        return JSONResponse(UNAUTHORIZED, status_code=401)
    now = monotonic()
    window = config.rate_window_seconds
    if not state.all_requests.take(now, window, config.requests_per_minute):
        retry = state.all_requests.reset_in(now, window)
        return JSONResponse(RATE_LIMITED, status_code=429, headers={"Retry-After": str(retry)})
    # https://developer.zendesk.com/api-reference/introduction/rate-limits/ ("Update Ticket")
    is_update = request.method == "PUT" and UPDATE_PATH.match(path) is not None
    if is_update and not state.updates.take(now, window, config.updates_per_minute):
        retry = state.updates.reset_in(now, window)
        return JSONResponse(RATE_LIMITED, status_code=429, headers={"Retry-After": str(retry)})
    fault = state.take_fault(request.method, path, request.headers.get("user-agent", ""))
    if fault is not None:
        if fault.delay_ms:
            await asyncio.sleep(fault.delay_ms / 1000)
        if fault.status is not None:
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
            if fault.status == 409:
                _concurrent_agent_edit(state, path)
            return JSONResponse(
                FAULT_BODIES[fault.status], status_code=fault.status, headers=headers
            )
    return await call_next(request)


def _concurrent_agent_edit(state: SandboxState, path: str) -> None:
    """A 409 fault behaves like a real collision: an agent changed the ticket meanwhile."""
    match = TICKET_PATH.search(path)
    if match and int(match.group(1)) in state.account.tickets:
        change = state.account.agent_internal_note(
            int(match.group(1)), "Checking in on this one (concurrent agent edit)."
        )
        state.emit(change)


def install_middleware(app: FastAPI) -> None:
    @app.middleware("http")
    async def sandbox_gate(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        original = request.scope["path"]
        # Zendesk accepts every path with or without `.json`.
        if original.endswith(".json"):
            request.scope["path"] = original[: -len(".json")]
            request.scope["raw_path"] = request.scope["path"].encode()
        if not request.scope["path"].startswith("/api/v2"):
            return await call_next(request)
        state = get_state(request)
        response = await _guard(request, state, call_next)
        response.headers.update(_rate_headers(state, monotonic()))
        state.log_request(
            {
                "method": request.method,
                "path": original,
                "query": request.url.query,
                "status": response.status_code,
                "user_agent": request.headers.get("user-agent"),
                "time": stamp_now(),
            }
        )
        return response


# ---- Zendesk API ----------------------------------------------------------------------------

api = APIRouter(prefix="/api/v2")


def _ticket_out(state: SandboxState, ticket: Ticket, request: Request) -> JSON:
    return state.account.ticket_json(ticket, base_url(request))


@api.get("/tickets")
async def list_tickets(request: Request, state: StateDep) -> JSON:
    """List tickets (cursor pagination)."""
    items = [_ticket_out(state, t, request) for _, t in sorted(state.account.tickets.items())]
    return paginate(request, "tickets", items)


@api.post("/tickets", status_code=201)
async def create_ticket(request: Request, state: StateDep) -> JSON:
    """Create a ticket."""
    data = (await body_of(request)).get("ticket") or {}
    change = state.account.create_ticket(data, actor_id=_acting_user(data, create=True))
    state.emit(change)
    return {"ticket": _ticket_out(state, change.ticket, request), "audit": change.audit.to_json()}


@api.get("/tickets/show_many")
async def show_many_tickets(request: Request, state: StateDep) -> JSON:
    """Show several tickets."""
    tickets = [state.account.tickets[i] for i in ids_param(request) if i in state.account.tickets]
    return {"tickets": [_ticket_out(state, t, request) for t in tickets]}


@api.put("/tickets/update_many")
async def update_many(request: Request, state: StateDep) -> JSON:
    """Bulk update; runs at once and reports through a job status."""
    data = await body_of(request)
    if isinstance(data.get("tickets"), list):
        jobs = [(int(t.get("id", 0)), t) for t in data["tickets"] if isinstance(t, dict)]
    else:
        jobs = [(tid, data.get("ticket") or {}) for tid in ids_param(request)]
    results = []
    for tid, changes in jobs:
        body = {k: v for k, v in changes.items() if k != "id"}
        try:
            change = state.account.update_ticket(tid, body)
        except ZendeskError as e:
            results.append({"id": tid, "success": False, "status": "Failed", "errors": e.body})
            continue
        state.emit(change)
        results.append({"id": tid, "action": "update", "success": True, "status": "Updated"})
    job_id = f"V3-{len(state.account.job_statuses) + 1:08x}"
    url = f"{base_url(request)}/api/v2/job_statuses/{job_id}.json"
    state.account.job_statuses[job_id] = {
        "id": job_id,
        "url": url,
        "job_type": "bulk_update",
        "total": len(jobs),
        "progress": len(jobs),
        "status": "completed",
        "message": f"Completed at {iso(utcnow())}",
        "results": results,
    }
    return {
        "job_status": {
            **state.account.job_statuses[job_id],
            "status": "queued",
            "progress": None,
            "message": None,
            "results": None,
        }
    }


@api.get("/job_statuses/{job_id}")
async def show_job_status(job_id: str, state: StateDep) -> JSON:
    """Show a job status."""
    job = state.account.job_statuses.get(job_id)
    if job is None:
        raise not_found()
    return {"job_status": job}


@api.get("/tickets/{tid}")
async def show_ticket(tid: int, request: Request, state: StateDep) -> JSON:
    """Show a ticket, with Zendesk's sideloads."""
    account = state.account
    ticket = account.ticket(tid)
    base = base_url(request)
    include = {p.strip() for p in request.query_params.get("include", "").split(",") if p.strip()}
    out: JSON = {"ticket": account.ticket_json(ticket, base)}
    if "users" in include:
        ids = [ticket.requester_id, ticket.submitter_id, ticket.assignee_id]
        ids += ticket.email_cc_ids + ticket.follower_ids
        unique = [i for i in dict.fromkeys(ids) if i is not None and i in account.users]
        out["users"] = [account.users[i].to_json(base) for i in unique]
    if "organizations" in include:
        orgs = [ticket.organization_id] if ticket.organization_id else []
        out["organizations"] = [account.organization_json(o, base) for o in orgs]
    if "groups" in include:
        out["groups"] = [account.groups[ticket.group_id]] if ticket.group_id else []
    if "last_audits" in include:
        out["last_audits"] = [ticket.audits[-1].to_json()] if ticket.audits else []
    if "metric_sets" in include:
        out["metric_sets"] = [account.metric_set(ticket, base)]
    if "slas" in include:
        out["ticket"]["slas"] = account.slas(ticket, utcnow())
    return out


def _acting_user(data: JSON, *, create: bool = False) -> int:
    """Who the change is by. Tests and the demo play customers and agents through the one API
    token (in Zendesk each would use the web or their own credentials), so a comment's named
    author, or a new ticket's requester, is taken as the actor; otherwise the API user is."""
    comment = data.get("comment")
    if isinstance(comment, dict) and comment.get("author_id"):
        return int(comment["author_id"])
    if create and data.get("requester_id"):
        return int(data["requester_id"])
    return API_USER_ID


@api.put("/tickets/{tid}")
async def update_ticket(tid: int, request: Request, state: StateDep) -> JSON:
    """Update a ticket (comment, tags, CCs, fields, assignment; `safe_update`)."""
    data = await body_of(request)
    ticket_data = dict(data.get("ticket") or {})
    for key in ("safe_update", "updated_stamp"):
        # Accepted both inside `ticket` (documented) and at the top level (tags endpoint style).
        if key in data and key not in ticket_data:
            ticket_data[key] = data[key]
    change = state.account.update_ticket(tid, ticket_data, actor_id=_acting_user(ticket_data))
    state.emit(change)
    return {"ticket": _ticket_out(state, change.ticket, request), "audit": change.audit.to_json()}


@api.get("/tickets/{tid}/comments")
async def list_comments(tid: int, request: Request, state: StateDep) -> JSON:
    """List a ticket's comments (cursor pagination)."""
    ticket = state.account.ticket(tid)
    return paginate(request, "comments", [c.to_json() for c in ticket.comments])


@api.get("/tickets/{tid}/audits")
async def list_audits(tid: int, request: Request, state: StateDep) -> JSON:
    """List a ticket's audits, oldest first (cursor pagination)."""
    ticket = state.account.ticket(tid)
    return paginate(request, "audits", [a.to_json() for a in ticket.audits])


@api.get("/tickets/{tid}/audits/{audit_id}")
async def show_audit(tid: int, audit_id: int, state: StateDep) -> JSON:
    """Show one audit."""
    ticket = state.account.ticket(tid)
    audit = next((a for a in ticket.audits if a.id == audit_id), None)
    if audit is None:
        raise not_found()
    return {"audit": audit.to_json()}


@api.get("/tickets/{tid}/metrics")
async def ticket_metrics(tid: int, request: Request, state: StateDep) -> JSON:
    """Show a ticket's metric set."""
    ticket = state.account.ticket(tid)
    return {"ticket_metric": state.account.metric_set(ticket, base_url(request))}


@api.get("/users")
async def list_users(request: Request, state: StateDep) -> JSON:
    """List users (cursor pagination)."""
    base = base_url(request)
    users = [u.to_json(base) for _, u in sorted(state.account.users.items())]
    return paginate(request, "users", users)


@api.get("/users/me")
async def me(request: Request, state: StateDep) -> JSON:
    """The authenticated API user."""
    return {"user": state.account.users[API_USER_ID].to_json(base_url(request))}


@api.get("/users/search")
async def search_users(request: Request, state: StateDep) -> JSON:
    """Search users by email (`query=x@y` or `query=email:x@y`) or name."""
    query = request.query_params.get("query") or request.query_params.get("email") or ""
    term = query.removeprefix("email:").strip().strip('"').lower()
    base = base_url(request)
    found = [
        u.to_json(base)
        for _, u in sorted(state.account.users.items())
        if term and (u.email.lower() == term or (":" not in query and term in u.name.lower()))
    ]
    return {"users": found, "next_page": None, "previous_page": None, "count": len(found)}


@api.get("/users/show_many")
async def show_many_users(request: Request, state: StateDep) -> JSON:
    """Show several users."""
    base = base_url(request)
    users = state.account.users
    return {"users": [users[i].to_json(base) for i in ids_param(request) if i in users]}


@api.get("/users/{uid}")
async def show_user(uid: int, request: Request, state: StateDep) -> JSON:
    """Show a user."""
    return {"user": state.account.user(uid).to_json(base_url(request))}


@api.post("/users", status_code=201)
async def create_user(request: Request, state: StateDep) -> JSON:
    """Create a user."""
    data = (await body_of(request)).get("user") or {}
    return {"user": state.account.create_user(data).to_json(base_url(request))}


@api.get("/organizations")
async def list_organizations(request: Request, state: StateDep) -> JSON:
    """List organizations (cursor pagination)."""
    base = base_url(request)
    orgs = [state.account.organization_json(o, base) for o in sorted(state.account.organizations)]
    return paginate(request, "organizations", orgs)


@api.get("/organizations/show_many")
async def show_many_organizations(request: Request, state: StateDep) -> JSON:
    """Show several organizations."""
    base = base_url(request)
    known = state.account.organizations
    orgs = [state.account.organization_json(o, base) for o in ids_param(request) if o in known]
    return {"organizations": orgs}


@api.get("/organizations/{oid}")
async def show_organization(oid: int, request: Request, state: StateDep) -> JSON:
    """Show an organization with its `organization_fields`."""
    return {"organization": state.account.organization_json(oid, base_url(request))}


@api.get("/groups")
async def list_groups(request: Request, state: StateDep) -> JSON:
    """List groups."""
    return paginate(request, "groups", [g for _, g in sorted(state.account.groups.items())])


@api.get("/groups/{gid}")
async def show_group(gid: int, state: StateDep) -> JSON:
    """Show a group."""
    group = state.account.groups.get(gid)
    if group is None:
        raise not_found()
    return {"group": group}


@api.get("/ticket_fields")
async def list_ticket_fields(state: StateDep) -> JSON:
    """List ticket fields."""
    fields = [f for _, f in sorted(state.account.ticket_fields.items())]
    return {"ticket_fields": fields, "next_page": None, "previous_page": None, "count": len(fields)}


@api.post("/ticket_fields", status_code=201)
async def create_ticket_field(request: Request, state: StateDep) -> JSON:
    """Create a ticket field."""
    data = (await body_of(request)).get("ticket_field") or {}
    return {"ticket_field": state.account.create_ticket_field(data)}


@api.get("/ticket_fields/{fid}")
async def show_ticket_field(fid: int, state: StateDep) -> JSON:
    """Show a ticket field."""
    found = state.account.ticket_fields.get(fid)
    if found is None:
        raise not_found()
    return {"ticket_field": found}


@api.put("/ticket_fields/{fid}")
async def update_ticket_field(fid: int, request: Request, state: StateDep) -> JSON:
    """Update a ticket field."""
    data = (await body_of(request)).get("ticket_field") or {}
    return {"ticket_field": state.account.update_ticket_field(fid, data)}


@api.get("/slas/policies")
async def sla_policies(request: Request, state: StateDep) -> JSON:
    """List SLA policies (one seeded, first-reply targets by priority)."""
    return state.account.sla_policies_json(base_url(request))


# Views, triggers and macros are stored as posted: the sandbox does not run them.
def _register_rule_routes(plural: str, singular: str) -> None:
    async def list_rules(state: StateDep) -> JSON:
        items = [r for _, r in sorted(state.account.rules[plural].items())]
        return {plural: items, "next_page": None, "previous_page": None, "count": len(items)}

    async def create_rule(request: Request, state: StateDep) -> JSON:
        data = (await body_of(request)).get(singular) or {}
        if not data.get("title"):
            raise ZendeskError(
                422,
                {
                    "error": "RecordInvalid",
                    "description": "Record validation errors",
                    "details": {
                        "title": [{"description": "Title: cannot be blank", "error": "BlankValue"}]
                    },
                },
            )
        rid = state.account.next_id("rule")
        stamp = iso(utcnow())
        rule = {
            "active": True,
            "position": rid,
            **data,
            "id": rid,
            "created_at": stamp,
            "updated_at": stamp,
        }
        rule["url"] = f"{base_url(request)}/api/v2/{plural}/{rid}.json"
        state.account.rules[plural][rid] = rule
        return {singular: rule}

    async def show_rule(rid: int, state: StateDep) -> JSON:
        rule = state.account.rules[plural].get(rid)
        if rule is None:
            raise not_found()
        return {singular: rule}

    async def update_rule(rid: int, request: Request, state: StateDep) -> JSON:
        rule = state.account.rules[plural].get(rid)
        if rule is None:
            raise not_found()
        data = (await body_of(request)).get(singular) or {}
        rule.update({k: v for k, v in data.items() if k not in ("id", "created_at")})
        rule["updated_at"] = iso(utcnow())
        return {singular: rule}

    api.add_api_route(f"/{plural}", list_rules, methods=["GET"], summary=f"List {plural}")
    api.add_api_route(f"/{plural}", create_rule, methods=["POST"], status_code=201)
    api.add_api_route(f"/{plural}/{{rid}}", show_rule, methods=["GET"])
    api.add_api_route(f"/{plural}/{{rid}}", update_rule, methods=["PUT"])


for _plural, _singular in (("views", "view"), ("triggers", "trigger"), ("macros", "macro")):
    _register_rule_routes(_plural, _singular)


def _webhook_out(state: SandboxState, hook: JSON) -> JSON:
    endpoint = state.config.webhook_url if hook["id"] == SEEDED_WEBHOOK_ID else hook["endpoint"]
    return {**hook, "endpoint": endpoint or ""}


@api.get("/webhooks")
async def list_webhooks(request: Request, state: StateDep) -> JSON:
    """List webhooks (cursor pagination)."""
    hooks = [_webhook_out(state, h) for h in state.account.webhooks.values()]
    return paginate(request, "webhooks", hooks)


@api.post("/webhooks", status_code=201)
async def create_webhook(request: Request, state: StateDep) -> JSON:
    """Create a webhook. The sandbox only sends through the seeded one."""
    data = (await body_of(request)).get("webhook") or {}
    missing = [k for k in ("name", "endpoint") if not data.get(k)]
    if missing:
        raise ZendeskError(
            400,
            {
                "errors": [
                    {"code": "InvalidInput", "title": "Invalid input", "detail": f"{k} is required"}
                    for k in missing
                ]
            },
        )
    hook_id = f"01HSANDBOX{len(state.account.webhooks) + 1:016d}"
    stamp = iso(utcnow())
    hook = {
        "status": "active",
        "http_method": "POST",
        "request_format": "json",
        "subscriptions": ["conditional_ticket_events"],
        "authentication": None,
        **{k: v for k, v in data.items() if k != "signing_secret"},
        "id": hook_id,
        "created_at": stamp,
        "created_by": str(API_USER_ID),
        "updated_at": stamp,
        "updated_by": str(API_USER_ID),
    }
    state.account.webhooks[hook_id] = hook
    return {"webhook": _webhook_out(state, hook)}


@api.get("/webhooks/{hook_id}")
async def show_webhook(hook_id: str, state: StateDep) -> JSON:
    """Show a webhook."""
    hook = state.account.webhooks.get(hook_id)
    if hook is None:
        raise not_found()
    return {"webhook": _webhook_out(state, hook)}


@api.api_route("/webhooks/{hook_id}", methods=["PUT", "PATCH"], status_code=204)
async def update_webhook(hook_id: str, request: Request, state: StateDep) -> Response:
    """Update a webhook; Zendesk answers 204. The seeded one's endpoint is `webhook_url`."""
    hook = state.account.webhooks.get(hook_id)
    if hook is None:
        raise not_found()
    data = (await body_of(request)).get("webhook") or {}
    hook.update({k: v for k, v in data.items() if k not in ("id", "created_at", "signing_secret")})
    hook["updated_at"] = iso(utcnow())
    if hook_id == SEEDED_WEBHOOK_ID and "endpoint" in data:
        state.update_settings({"webhook_url": data["endpoint"]})
    return Response(status_code=204)


@api.get("/webhooks/{hook_id}/signing_secret")
async def webhook_secret(hook_id: str, state: StateDep) -> JSON:
    """Show a webhook's signing secret."""
    if hook_id not in state.account.webhooks:
        raise not_found()
    secret = state.config.webhook_secret
    if hook_id != SEEDED_WEBHOOK_ID:
        secret = base64.b64encode(f"sandbox-{hook_id}".encode()).decode()
    return {"signing_secret": {"algorithm": "SHA256", "secret": secret}}


# ---- Statuspage -----------------------------------------------------------------------------

statuspage = APIRouter(prefix="/statuspage/api/v2")


def _page(request: Request) -> JSON:
    return {
        "id": "sandboxpage01",
        "name": "Sandbox Platform",
        "url": f"{base_url(request)}/statuspage",
        "time_zone": "Etc/UTC",
        "updated_at": iso(utcnow()),
    }


@statuspage.get("/incidents/unresolved")
async def unresolved_incidents(request: Request, state: StateDep) -> JSON:
    """Unresolved incidents, as Atlassian Statuspage's public API."""
    base = base_url(request)
    return {"page": _page(request), "incidents": [o.to_json(base) for o in state.outages]}


@statuspage.get("/status")
async def page_status(request: Request, state: StateDep) -> JSON:
    """The page's overall indicator."""
    worst = max((o.impact for o in state.outages), key=_IMPACTS.index, default="none")
    description = "All Systems Operational" if worst == "none" else "Service disruption"
    return {"page": _page(request), "status": {"indicator": worst, "description": description}}


_IMPACTS = ["none", "minor", "major", "critical"]


# ---- sandbox controls -----------------------------------------------------------------------

control = APIRouter(prefix="/__sandbox")


def _bad(message: str) -> JSONResponse:
    return JSONResponse({"error": "BadRequest", "description": message}, status_code=400)


@control.get("/requests")
async def requests_log(state: StateDep) -> JSON:
    """Every /api/v2 request received."""
    return {"requests": state.requests}


@control.delete("/requests", status_code=204)
async def clear_requests(state: StateDep) -> Response:
    """Forget the request log."""
    state.requests.clear()
    return Response(status_code=204)


@control.get("/faults")
async def list_faults(state: StateDep) -> JSON:
    """Pending faults."""
    return {"faults": [f.to_json() for f in state.faults]}


@control.post("/faults", status_code=201, response_model=None)
async def add_fault(request: Request, state: StateDep) -> JSON | JSONResponse:
    """Make the next N matching requests fail or stall."""
    try:
        fault = state.add_fault(await body_of(request))
    except (ValueError, re.error) as e:
        return _bad(str(e))
    return {"fault": fault.to_json()}


@control.delete("/faults", status_code=204)
async def clear_faults(state: StateDep) -> Response:
    """Drop pending faults."""
    state.faults.clear()
    return Response(status_code=204)


@control.get("/settings")
async def show_settings(state: StateDep) -> JSON:
    """Current settings."""
    return {"settings": state.settings()}


@control.post("/settings", response_model=None)
async def change_settings(request: Request, state: StateDep) -> JSON | JSONResponse:
    """Change some settings."""
    result = state.update_settings(await body_of(request))
    if "errors" in result:
        return JSONResponse({"error": "BadRequest", **result}, status_code=400)
    return {"settings": result}


@control.post("/reset")
async def reset(state: StateDep) -> JSON:
    """Back to the seeded account; settings are kept."""
    state.reset()
    return {"reset": True, "settings": state.settings()}


@control.post("/outage", status_code=201, response_model=None)
async def open_outage(request: Request, state: StateDep) -> JSON | JSONResponse:
    """Open a Statuspage incident."""
    try:
        outage = state.open_outage(await body_of(request))
    except ValueError as e:
        return _bad(str(e))
    return {"incident": outage.to_json(base_url(request))}


@control.delete("/outage", status_code=204)
async def resolve_outages(state: StateDep) -> Response:
    """Resolve every open incident."""
    state.outages.clear()
    return Response(status_code=204)


@control.post("/inbound_email", status_code=201, response_model=None)
async def inbound_email(request: Request, state: StateDep) -> JSON | JSONResponse:
    """A ticket created by Zendesk's email channel, with its webhooks."""
    data = await body_of(request)
    name, sender_email = parseaddr(str(data.get("from") or ""))
    to = [parseaddr(str(a))[1] for a in data.get("to") or []]
    if not sender_email or not to or not all(to):
        return _bad("'from' and at least one 'to' address are required")
    account = state.account
    sender = account.find_or_create_end_user(sender_email, name or None)
    ccs = []
    for raw in data.get("cc") or []:
        cc_name, cc_email = parseaddr(str(raw))
        if cc_email and cc_email.lower() not in {a.lower() for a in to}:
            ccs.append({"user_email": cc_email, "user_name": cc_name or None, "action": "put"})
    ticket_data = {
        "requester_id": sender.id,
        "subject": data.get("subject") or "",
        "comment": {"body": str(data.get("body") or ""), "public": True},
        "email_ccs": ccs,
    }
    change = account.create_ticket(
        ticket_data, actor_id=sender.id, via=via_email(sender, to[0]), recipient=to[0]
    )
    state.emit(change)
    return {"ticket": _ticket_out(state, change.ticket, request)}


@control.get("/webhook_deliveries")
async def webhook_deliveries(state: StateDep) -> JSON:
    """Every webhook send attempt (a retry repeats the invocation id), and how many are still
    queued or in flight."""
    return {"deliveries": state.emitter.deliveries, "pending": state.emitter.pending}


@control.delete("/webhook_deliveries", status_code=204)
async def clear_deliveries(state: StateDep) -> Response:
    """Forget sent webhooks."""
    state.emitter.deliveries.clear()
    return Response(status_code=204)


# ---- factory --------------------------------------------------------------------------------


def create_sandbox_app(config: SandboxConfig) -> FastAPI:
    """A fresh sandbox account served as a FastAPI app; all state lives in `app.state.sandbox`."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await sandbox.emitter.aclose()

    sandbox = SandboxState(config)
    app = FastAPI(title="Escalator sandbox (Zendesk simulator)", lifespan=lifespan)
    app.state.sandbox = sandbox

    @app.exception_handler(ZendeskError)
    async def zendesk_error(request: Request, exc: ZendeskError) -> JSONResponse:
        return JSONResponse(exc.body, status_code=exc.status, headers=exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            return JSONResponse(not_found().body, status_code=404)
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def bad_parameter(request: Request, exc: RequestValidationError) -> JSONResponse:
        # A non-numeric id in the path is a record Zendesk cannot find.
        return JSONResponse(not_found().body, status_code=404)

    install_middleware(app)
    app.include_router(api)
    app.include_router(statuspage)
    app.include_router(control)
    return app


async def serve_sandbox(config: SandboxConfig, host: str = "127.0.0.1", port: int = 8001) -> None:
    """Serve a sandbox with uvicorn until cancelled."""
    server = uvicorn.Server(
        uvicorn.Config(create_sandbox_app(config), host=host, port=port, log_level="warning")
    )
    await server.serve()


def sandbox_config_from(values: dict[str, Any]) -> SandboxConfig:
    """A config from a plain mapping (CLI, env), ignoring unknown keys."""
    known = set(SandboxConfig.__dataclass_fields__)
    return SandboxConfig(**{k: v for k, v in values.items() if k in known})
