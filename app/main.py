"""The FastAPI app: lifespan wiring (database, clients, rules, worker) and routers."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from app import __version__, db, web
from app.active_rules import ActiveRules
from app.clients.statuspage import StatuspageClient
from app.clients.zendesk import ZendeskClient
from app.errors import AppError, ErrorBody, error_response
from app.inbox import InboxWriter
from app.logging import configure_logging
from app.pipeline import Pipeline
from app.routes import admin, escalations, health, webhooks
from app.scheduler import Scheduler
from app.settings import Settings, get_settings
from app.worker import Worker

log = structlog.get_logger()


def build_zendesk(settings: Settings) -> ZendeskClient:
    return ZendeskClient(
        base_url=settings.zendesk_base_url,
        email=settings.zendesk_login,
        api_token=settings.secret("api_token"),
        timeout_seconds=settings.zendesk_timeout_seconds,
        requests_per_minute=settings.zendesk_requests_per_minute,
        updates_per_minute=settings.zendesk_updates_per_minute,
        window_seconds=settings.zendesk_rate_window_seconds,
        cache_ttl_seconds=settings.cache_ttl_seconds,
    )


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    settings.check_startable()
    await db.upgrade(settings.database_url)
    engine = db.create_engine(settings.database_url)
    sessions = db.session_factory(engine)
    rules = ActiveRules.from_file(settings.rules_file)
    async with sessions() as session:
        await rules.refresh(session)
    await rules.prepare()
    zendesk = build_zendesk(settings)
    statuspage_url = settings.statuspage_base_url
    statuspage = (
        StatuspageClient(
            base_url=statuspage_url, cache_ttl_seconds=settings.statuspage_cache_seconds
        )
        if statuspage_url
        else None
    )
    pipeline = Pipeline(sessions=sessions, zendesk=zendesk, rules=rules, statuspage=statuspage)
    app.state.sessions = sessions
    app.state.inbox = InboxWriter(engine)
    app.state.zendesk = zendesk
    app.state.statuspage = statuspage
    app.state.rules = rules
    app.state.pipeline = pipeline
    app.state.worker = None
    app.state.scheduler = None
    warming: asyncio.Task[None] | None = None
    scheduler: Scheduler | None = None
    if settings.worker_enabled:

        async def refresh_rules() -> None:
            async with sessions() as session:
                await rules.refresh(session)

        worker = Worker(
            sessions=sessions, process=pipeline, settings=settings, on_idle=refresh_rules
        )
        worker.start()
        app.state.worker = worker
        warming = asyncio.create_task(pipeline.warm())
        scheduler = Scheduler(
            sessions=sessions,
            rules=rules,
            statuspage=statuspage,
            interval_seconds=settings.scheduler_interval_seconds,
            wake=worker.wake,
        )
        scheduler.start()
        app.state.scheduler = scheduler
    # Start-up objects (app, models, rules) live for the whole process: taking them out of the
    # collector's view keeps full collections short, which is what a webhook's p99 sees.
    gc.collect()
    gc.freeze()
    log.info(
        "service.started",
        version=__version__,
        sandbox=settings.sandbox_mode,
        zendesk=settings.zendesk_base_url,
        database=engine.url.render_as_string(hide_password=True),
    )
    try:
        yield
    finally:
        if warming is not None:
            warming.cancel()
        if scheduler is not None:
            await scheduler.stop()
        if app.state.worker is not None:
            await app.state.worker.stop()
        await pipeline.batcher.aclose()
        await app.state.inbox.aclose()
        await zendesk.aclose()
        if statuspage is not None:
            await statuspage.aclose()
        await engine.dispose()


async def app_error_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return error_response(exc)


async def validation_error_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in exc.errors()
    ]
    detail = "; ".join(
        f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}" for e in errors
    )
    return JSONResponse(
        {"error": "ValidationError", "detail": detail, "errors": errors}, status_code=422
    )


def _published_openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI documents 422 as its own `HTTPValidationError`; this app answers every error
    with `ErrorBody` (one handler), so the contract says that instead."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, summary=app.summary, routes=app.routes
    )
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("ErrorBody", ErrorBody.model_json_schema())
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)

    def swap(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("$ref") == "#/components/schemas/HTTPValidationError":
                node["$ref"] = "#/components/schemas/ErrorBody"
            for value in node.values():
                swap(value)
        elif isinstance(node, list):
            for value in node:
                swap(value)

    swap(schema["paths"])
    app.openapi_schema = schema
    return schema


class Escalator(FastAPI):
    """The app: FastAPI, except that Zendesk's webhooks are served ahead of FastAPI's own
    layers (`webhooks.serve_webhook`). The route stays registered as the OpenAPI operation."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if webhooks.is_webhook(scope):
            await webhooks.serve_webhook(self.state, scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_format)
    app = Escalator(
        title="Escalator",
        version=__version__,
        summary="Runs a support organisation's escalation process on Zendesk.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.openapi = lambda: _published_openapi(app)  # type: ignore[method-assign]
    app.add_exception_handler(AppError, app_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.include_router(health.router)
    app.include_router(webhooks.router)
    app.include_router(admin.router)
    app.include_router(escalations.router)
    web.install(app)  # dashboard, admin pages, /api/stats, sign-in, static files
    return app
