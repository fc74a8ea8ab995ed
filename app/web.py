"""What every HTML page shares: templates, security headers, page sign-in and CSRF checks."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape

from app import signin
from app.deps import Principal, SettingsDep, principal_of
from app.settings import Settings

HERE = Path(__file__).resolve().parent
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})

# Autoescape everything: every subject, evidence sentence and organisation name came from a
# customer, and must render as text in a manager's browser.
templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)

SECURITY_HEADERS = {
    # No inline script or style at all: even markup that escaped escaping cannot run.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def _fmt_time(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def _fmt_minutes(value: float | None) -> str:
    if value is None:
        return "—"
    minutes = round(value)
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    return f"{hours // 24} d {hours % 24} h"


templates.filters["when"] = _fmt_time
templates.filters["duration"] = _fmt_minutes


class PageError(Exception):
    """An HTML page cannot be shown: rendered as a page, not as JSON."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


class SignInRequired(Exception):
    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def sandbox_open(settings: Settings) -> bool:
    """The sandbox on a loopback address: demo data only this machine can reach."""
    return settings.sandbox_mode and settings.host in LOOPBACK


def safe_next(target: str | None) -> str:
    """Only same-site paths: `next=https://evil.example` must not become an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc and "\\" not in target else "/"


def page_principal(request: Request, settings: Settings) -> Principal | None:
    principal = principal_of(request, settings, browser=True)
    if principal is None and sandbox_open(settings):
        return Principal(role="admin", name="sandbox")
    return principal


async def require_page_viewer(request: Request, settings: SettingsDep) -> Principal:
    principal = page_principal(request, settings)
    if principal is None:
        raise SignInRequired(
            request.url.path + (f"?{request.url.query}" if request.url.query else "")
        )
    if principal.role == "csm":
        raise PageError(403, "CSM tokens may only create escalations.")
    return principal


async def require_page_admin(request: Request, settings: SettingsDep) -> Principal:
    principal = await require_page_viewer(request, settings)
    if principal.role != "admin":
        raise PageError(403, "This page is for integration admins.")
    return principal


def _csrf_pair(request: Request, settings: Settings) -> tuple[str, str]:
    """(CSRF cookie, form token) for this browser; a new cookie when it has none yet."""
    cookie = request.cookies.get(signin.CSRF_COOKIE) or signin.new_csrf_cookie()
    claims = signin.read_session(settings, request.cookies.get(signin.SESSION_COOKIE))
    return cookie, signin.csrf_token(settings, cookie, claims.sid if claims else "")


async def check_csrf(request: Request, settings: SettingsDep) -> None:
    """Double-submit: the form's token must match the CSRF cookie and the session it came with.
    A Bearer caller needs none: browsers never attach that header on their own."""
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return
    form = await request.form()
    sent = form.get("csrf")
    cookie = request.cookies.get(signin.CSRF_COOKIE)
    if not isinstance(sent, str) or not cookie:
        raise PageError(403, "The form's CSRF token is missing; reload the page and try again.")
    _, expected = _csrf_pair(request, settings)
    if not hmac.compare_digest(sent.encode(), expected.encode()):
        raise PageError(403, "The form's CSRF token is wrong; reload the page and try again.")


PageViewer = Annotated[Principal, Depends(require_page_viewer)]
PageAdmin = Annotated[Principal, Depends(require_page_admin)]
CsrfChecked = Depends(check_csrf)


def secure_cookies(request: Request, settings: Settings) -> bool:
    return request.url.scheme == "https" or settings.service_url.startswith("https://")


def render(
    request: Request,
    template: str,
    *,
    principal: Principal | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A page with the security headers, a CSRF token for its forms, and the sandbox banner."""
    settings: Settings = request.app.state.settings
    cookie, token = _csrf_pair(request, settings)
    html = templates.get_template(template).render(
        request=request,
        principal=principal,
        csrf=token,
        sandbox=settings.sandbox_mode,
        zendesk_url=settings.zendesk_base_url,
        **context,
    )
    response = HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)
    if request.cookies.get(signin.CSRF_COOKIE) != cookie:
        response.set_cookie(
            signin.CSRF_COOKIE,
            cookie,
            httponly=True,
            samesite="strict",
            secure=secure_cookies(request, settings),
            path="/",
        )
    return response


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})


async def _page_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PageError)
    settings: Settings = request.app.state.settings
    return render(
        request,
        "error.html",
        principal=page_principal(request, settings),
        status_code=exc.status_code,
        message=exc.message,
    )


async def _sign_in_required(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    return see_other(f"/login?next={quote(exc.next_url, safe='')}")


def install(app: FastAPI) -> None:
    """Mount the pages, their JSON stats API and static files on the app."""
    from app.routes import admin_ui, auth, dashboard, stats

    app.add_exception_handler(PageError, _page_error)
    app.add_exception_handler(SignInRequired, _sign_in_required)
    app.include_router(auth.router)
    app.include_router(dashboard.router)
    app.include_router(admin_ui.router)
    app.include_router(stats.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
