"""Named dependencies routes declare: settings, sessions, clients, auth."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import signin
from app.active_rules import ActiveRules
from app.clients.zendesk import ZendeskClient
from app.errors import Forbidden, Unauthorized
from app.settings import Settings
from app.worker import Worker


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the route returns, rolled back on error."""
    sessions: async_sessionmaker[AsyncSession] = request.app.state.sessions
    async with sessions() as session, session.begin():
        yield session


async def get_zendesk(request: Request) -> ZendeskClient:
    zendesk: ZendeskClient = request.app.state.zendesk
    return zendesk


async def get_rules(request: Request) -> ActiveRules:
    rules: ActiveRules = request.app.state.rules
    return rules


async def get_worker(request: Request) -> Worker | None:
    worker: Worker | None = request.app.state.worker
    return worker


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
ZendeskDep = Annotated[ZendeskClient, Depends(get_zendesk)]
RulesDep = Annotated[ActiveRules, Depends(get_rules)]
WorkerDep = Annotated[Worker | None, Depends(get_worker)]

Role = Literal["admin", "viewer", "csm"]


@dataclass(frozen=True)
class Principal:
    role: Role
    name: str


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _matches(token: str, candidates: frozenset[str] | set[str]) -> bool:
    # compare_digest against every candidate: the time taken does not reveal which one matched.
    found = False
    for candidate in candidates:
        found |= hmac.compare_digest(token.encode(), candidate.encode())
    return found


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def principal_of(
    request: Request, settings: Settings, *, browser: bool = False
) -> Principal | None:
    """Who is calling: a Bearer token (admin, viewer or CSM tokens), else the session cookie or
    the SSO proxy's header.

    Browsers attach cookies and proxy headers to cross-site form posts too, so those only
    authorise safe methods here; HTML forms, which check a CSRF token, pass `browser=True`.
    """
    token = _bearer(request)
    if token is not None:
        return _token_principal(token, settings)
    if not browser and request.method not in SAFE_METHODS:
        return None
    claims = signin.read_session(settings, request.cookies.get(signin.SESSION_COOKIE))
    if claims is not None:
        return Principal(role=claims.role, name=claims.name)
    proxied = signin.proxy_identity(settings, request.headers)
    if proxied is not None:
        return Principal(role=proxied[0], name=proxied[1])
    return None


def _token_principal(token: str, settings: Settings) -> Principal | None:
    admin = settings.secret("admin_token")
    if admin and _matches(token, {admin}):
        return Principal(role="admin", name="admin")
    if _matches(token, settings.viewer_token_set):
        return Principal(role="viewer", name="viewer")
    if _matches(token, settings.csm_tokens):
        return Principal(role="csm", name=f"csm:{token[:4]}…")
    return None


async def require_admin(request: Request, settings: SettingsDep) -> Principal:
    principal = principal_of(request, settings)
    if principal is None:
        raise Unauthorized("admin token required (Authorization: Bearer <ADMIN_TOKEN>)")
    if principal.role != "admin":
        raise Forbidden("this needs the admin token")
    return principal


async def require_viewer(request: Request, settings: SettingsDep) -> Principal:
    principal = principal_of(request, settings)
    if principal is None:
        raise Unauthorized("token required (Authorization: Bearer <token>)")
    if principal.role == "csm":
        raise Forbidden("CSM tokens may only create escalations")
    return principal


async def require_csm(request: Request, settings: SettingsDep) -> Principal:
    # Bearer only: a browser's cookie must not be able to file escalations cross-site.
    principal = principal_of(request, settings)
    if principal is None:
        raise Unauthorized("CSM token required (Authorization: Bearer <token>)")
    if principal.role not in ("csm", "admin"):
        raise Forbidden("this needs a CSM token (CSM_API_TOKENS) or the admin token")
    return principal


AdminDep = Annotated[Principal, Depends(require_admin)]
ViewerDep = Annotated[Principal, Depends(require_viewer)]
CsmDep = Annotated[Principal, Depends(require_csm)]
