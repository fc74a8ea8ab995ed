"""Managers' pages: open escalations, one escalation's timeline, and the KPIs."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from app import charts, dashboard, stats
from app.deps import RulesDep, SessionDep
from app.models import utcnow
from app.web import PageError, PageViewer, render

router = APIRouter(include_in_schema=False)


def filters_of(
    state: Annotated[str, Query(max_length=20)] = "open",
    region: Annotated[str | None, Query(max_length=40)] = None,
    manager_id: Annotated[str | None, Query(max_length=20)] = None,
    sort: Annotated[dashboard.SortKey, Query()] = "age",
    order: Annotated[Literal["asc", "desc"], Query()] = "asc",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> dashboard.Filters:
    """The dashboard's query string; empty select values mean "any"."""
    if state not in (*dashboard.STATES, "open", "all"):
        state = "open"
    return dashboard.Filters(
        state=state,
        region=region or None,
        manager_id=int(manager_id) if manager_id and manager_id.isdigit() else None,
        sort=sort,
        descending=order == "desc",
        page=page,
    )


FiltersDep = Annotated[dashboard.Filters, Depends(filters_of)]


@router.get("/", response_class=HTMLResponse)
async def dashboard_page(
    request: Request,
    principal: PageViewer,
    session: SessionDep,
    rules: RulesDep,
    filters: FiltersDep,
) -> HTMLResponse:
    """Open escalations with filters, sorting and pages."""
    page = await dashboard.list_page(session, filters)
    regions = sorted({*rules.config.regions, *await dashboard.regions_in_use(session)})
    return render(
        request,
        "dashboard.html",
        principal=principal,
        page=page,
        regions=regions,
        managers=dashboard.manager_names(rules.config),
        states=dashboard.STATES,
        now=utcnow(),
        age=dashboard.age_minutes,
        overdue=dashboard.overdue,
    )


@router.get("/escalations/{ticket_id}", response_class=HTMLResponse)
async def escalation_page(
    request: Request, ticket_id: int, principal: PageViewer, session: SessionDep, rules: RulesDep
) -> HTMLResponse:
    """One escalation and its timeline with the evidence sentences."""
    escalation = await dashboard.get(session, ticket_id)
    if escalation is None:
        raise PageError(404, f"Ticket {ticket_id} has no escalation.")
    events = await dashboard.timeline(session, escalation.id)
    return render(
        request,
        "escalation.html",
        principal=principal,
        e=escalation,
        timeline=dashboard.timeline_entries(escalation, events),
        managers=dashboard.manager_names(rules.config),
        now=utcnow(),
        overdue=dashboard.overdue,
    )


@router.get("/kpis", response_class=HTMLResponse)
async def kpis_page(
    request: Request,
    principal: PageViewer,
    session: SessionDep,
    days: Annotated[int, Query(ge=7, le=365)] = 30,
) -> HTMLResponse:
    """KPIs with server-rendered SVG charts."""
    figures = await stats.compute(session, now=utcnow(), window_days=days)
    return render(
        request, "kpis.html", principal=principal, stats=figures, charts=charts_of(figures)
    )


def charts_of(figures: stats.Stats) -> dict[str, object]:
    series = sorted({name for day in figures.outcomes_by_day for name in day.counts})
    return {
        "regions": charts.bar_chart(
            "Open escalations by region", list(figures.open_by_region.items())
        ),
        "organizations": charts.bar_chart(
            f"Escalations per organisation, last {figures.window_days} days",
            [(o.name, o.count) for o in figures.per_organization],
        ),
        "outcomes": charts.stacked_columns(
            f"Outcomes per day, last {figures.window_days} days",
            [(d.date.strftime("%b %d"), d.counts) for d in figures.outcomes_by_day],
            series=series,
        ),
    }
