"""One error family; one handler renders every expected failure as JSON."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel


class AppError(Exception):
    """An expected failure with the HTTP status a client should see."""

    status_code = 400

    def __init__(self, detail: str, *, status_code: int | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        if status_code is not None:
            self.status_code = status_code
        self.extra = extra


class BadRequest(AppError):
    status_code = 400


class Unauthorized(AppError):
    status_code = 401


class Forbidden(AppError):
    status_code = 403


class NotFound(AppError):
    status_code = 404


class Conflict(AppError):
    status_code = 409


class PayloadTooLarge(AppError):
    status_code = 413


class Unprocessable(AppError):
    status_code = 422


class ServiceUnavailable(AppError):
    status_code = 503


class ErrorBody(BaseModel):
    """What every error response carries (the one handler in app.main renders it)."""

    error: str
    detail: str
    # Rules-file problems, one `path: message` line each.
    lines: list[str] | None = None
    # Request validation problems: where and what.
    errors: list[dict[str, Any]] | None = None


def error_response(exc: AppError) -> JSONResponse:
    """The JSON answer for an expected failure (`ErrorBody`)."""
    body: dict[str, Any] = {"error": type(exc).__name__, "detail": exc.detail}
    body.update({k: v for k, v in exc.extra.items() if k != "reason"})
    return JSONResponse(jsonable_encoder(body), status_code=exc.status_code)


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for the error statuses a route can answer."""
    return {code: {"model": ErrorBody, "description": HTTPStatus(code).phrase} for code in codes}


# Ids are 64-bit in Zendesk and in the database; larger numbers are a 422, not an overflow.
MAX_ID = 2**63 - 1
