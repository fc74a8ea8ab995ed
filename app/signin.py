"""Browser sign-in: signed session cookies, CSRF tokens and the SSO proxy header (stdlib only).

A session cookie is `base64url(json claims) . base64url(HMAC-SHA256(key, claims))`. It carries a
fingerprint of the token used to sign in, so removing a viewer token or rotating the admin token
ends the sessions made with it, not only new sign-ins.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from app.settings import Settings

SESSION_COOKIE = "escalator_session"
CSRF_COOKIE = "escalator_csrf"
SESSION_SECONDS = 12 * 3600
BrowserRole = Literal["admin", "viewer"]


@dataclass(frozen=True)
class SessionClaims:
    role: BrowserRole
    name: str
    sid: str  # random per sign-in; CSRF tokens are bound to it


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def session_key(settings: Settings) -> bytes:
    """SESSION_SECRET when set, else a key derived from the admin token (rotating it signs
    everyone out)."""
    secret = settings.session_secret.get_secret_value() if settings.session_secret else ""
    if secret:
        return hashlib.sha256(b"escalator-session:" + secret.encode()).digest()
    admin = settings.secret("admin_token")
    return hmac.new(admin.encode(), b"escalator-session-v1", hashlib.sha256).digest()


def _fingerprint(key: bytes, token: str) -> str:
    return hmac.new(key, b"token:" + token.encode(), hashlib.sha256).hexdigest()[:32]


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def role_of_token(settings: Settings, token: str) -> BrowserRole | None:
    """Admin or viewer token; CSM tokens only create escalations, so they cannot sign in."""
    admin = settings.secret("admin_token")
    found: BrowserRole | None = None
    if admin and _same(token, admin):
        found = "admin"
    for viewer in settings.viewer_token_set:
        if _same(token, viewer) and found is None:
            found = "viewer"
    return found


def issue_session(settings: Settings, token: str, *, now: float | None = None) -> str | None:
    """The cookie value for a sign-in with `token`, or None when the token is not valid."""
    role = role_of_token(settings, token)
    if role is None:
        return None
    key = session_key(settings)
    claims = {
        "role": role,
        "name": role,
        "fp": _fingerprint(key, token),
        "sid": secrets.token_urlsafe(16),
        "exp": int((now or time.time()) + SESSION_SECONDS),
    }
    body = _b64(json.dumps(claims, separators=(",", ":")).encode())
    mac = hmac.new(key, body.encode(), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def read_session(
    settings: Settings, cookie: str | None, *, now: float | None = None
) -> SessionClaims | None:
    """The claims of a valid, unexpired cookie whose token is still configured; else None."""
    if not cookie or cookie.count(".") != 1:
        return None
    body, mac = cookie.split(".")
    key = session_key(settings)
    expected = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())
    if not _same(mac, expected):
        return None
    try:
        claims = json.loads(_unb64(body))
    except ValueError:
        return None
    if not isinstance(claims, dict) or int(claims.get("exp", 0)) < (now or time.time()):
        return None
    role = claims.get("role")
    tokens = {settings.secret("admin_token")} if role == "admin" else set(settings.viewer_token_set)
    fp = str(claims.get("fp", ""))
    if role not in ("admin", "viewer") or not any(
        t and _same(fp, _fingerprint(key, t)) for t in tokens
    ):
        return None
    return SessionClaims(role=role, name=str(claims.get("name", role)), sid=str(claims["sid"]))


def csrf_token(settings: Settings, csrf_cookie: str, sid: str) -> str:
    """The form token for a browser: bound to its CSRF cookie and to its session, so a token
    from another browser or an earlier sign-in does not verify."""
    msg = f"csrf|{csrf_cookie}|{sid}".encode()
    return hmac.new(session_key(settings), msg, hashlib.sha256).hexdigest()


def new_csrf_cookie() -> str:
    return secrets.token_urlsafe(24)


def _allowed(email: str, entries: str) -> bool:
    domain = email.rpartition("@")[2]
    for raw in entries.split(","):
        entry = raw.strip().lower()
        if not entry:
            continue
        if "@" in entry.lstrip("@"):
            if _same(email, entry):
                return True
        elif domain and domain == entry.lstrip("@"):
            return True
    return False


def proxy_identity(
    settings: Settings, headers: Mapping[str, str]
) -> tuple[BrowserRole, str] | None:
    """Role and email from the SSO proxy's header. Only safe when the proxy strips that header
    from incoming requests; that is why it is off unless AUTH_PROXY_HEADER is set."""
    if not settings.auth_proxy_header:
        return None
    email = headers.get(settings.auth_proxy_header, "").strip().lower()
    if "@" not in email:
        return None
    if _allowed(email, settings.auth_proxy_admins):
        return "admin", email
    if _allowed(email, settings.auth_proxy_viewers):
        return "viewer", email
    return None
