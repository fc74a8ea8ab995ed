"""Sign-in and sign-out for the dashboard: a token form that sets a signed session cookie."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from app import signin
from app.deps import SettingsDep
from app.settings import Settings
from app.web import CsrfChecked, page_principal, render, safe_next, secure_cookies, see_other

router = APIRouter(include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
async def login_page(
    request: Request, settings: SettingsDep, next: Annotated[str, Query(max_length=500)] = "/"
) -> HTMLResponse:
    """The token sign-in form."""
    principal = page_principal(request, settings)
    return render(request, "login.html", principal=principal, next=safe_next(next))


@router.post("/login", dependencies=[CsrfChecked], response_model=None)
async def login(
    request: Request,
    settings: SettingsDep,
    token: Annotated[str, Form(max_length=500)],
    next: Annotated[str, Form(max_length=500)] = "/",
) -> HTMLResponse | RedirectResponse:
    """Check the token and set the session cookie."""
    cookie = signin.issue_session(settings, token.strip())
    if cookie is None:
        return render(
            request,
            "login.html",
            next=safe_next(next),
            status_code=401,
            error="That token is not an admin or viewer token.",
        )
    return _with_session(see_other(safe_next(next)), request, settings, cookie)


@router.post("/logout", dependencies=[CsrfChecked])
async def logout() -> RedirectResponse:
    """Forget the session cookie."""
    response = see_other("/login")
    response.delete_cookie(signin.SESSION_COOKIE, path="/")
    return response


def _with_session(
    response: RedirectResponse, request: Request, settings: Settings, cookie: str
) -> RedirectResponse:
    # HttpOnly: page scripts never need it; Lax: sent on top-level navigation from a Zendesk
    # link but not on cross-site posts.
    response.set_cookie(
        signin.SESSION_COOKIE,
        cookie,
        max_age=signin.SESSION_SECONDS,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request, settings),
        path="/",
    )
    return response
