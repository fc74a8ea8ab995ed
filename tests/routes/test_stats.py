"""KPIs: the numbers /api/stats and the KPI page show for known escalations."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx
from fastapi import FastAPI

from app.models import EscalationEvent, utcnow
from app.stats import median_minutes, outcomes_by_day
from tests.conftest import ADMIN
from tests.routes.test_dashboard import escalation, insert


async def test_stats_need_a_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/stats")).status_code == 401


async def test_stats_on_inserted_escalations(app: FastAPI, client: httpx.AsyncClient) -> None:
    now = utcnow()
    start = now - timedelta(days=2)
    open_emea = escalation(1, acknowledged_at=start + timedelta(minutes=10), escalated_at=start)
    await insert(
        app,
        open_emea,
        escalation(
            2,
            region="AMER",
            organization_id=102,
            organization_name="Globex",
            escalated_at=start,
            acknowledged_at=start + timedelta(minutes=30),
        ),
        escalation(
            3,
            state="closed",
            escalated_at=start,
            acknowledged_at=start + timedelta(minutes=50),
            closed_at=start + timedelta(hours=4),
        ),
        escalation(4, state="not_eligible", outcome="not_eligible", escalated_at=None),
        # Outside the 30-day window: counted as open, but not in the time medians.
        escalation(
            5,
            region="APAC",
            requested_at=now - timedelta(days=90),
            escalated_at=now - timedelta(days=90),
            acknowledged_at=now - timedelta(days=80),
        ),
    )
    await insert(
        app,
        EscalationEvent(
            escalation_id=open_emea.id,
            kind="decided",
            at=now - timedelta(days=1),
            data={"outcome": "escalate"},
        ),
        EscalationEvent(
            escalation_id=open_emea.id,
            kind="decided",
            at=now - timedelta(days=1),
            data={"outcome": "needs_business_impact"},
        ),
        EscalationEvent(
            escalation_id=open_emea.id, kind="decided", at=now, data={"outcome": "escalate"}
        ),
    )
    body = (await client.get("/api/stats", headers=ADMIN)).json()
    assert body["open_total"] == 3
    assert body["open_by_region"] == {"AMER": 1, "APAC": 1, "EMEA": 1}
    assert body["median_minutes_to_acknowledge"] == 30.0  # 10, 30, 50
    assert body["acknowledged_count"] == 3
    assert body["median_minutes_to_close"] == 240.0
    assert body["closed_count"] == 1
    assert body["per_organization"] == [
        {"organization_id": 101, "name": "Acme Europe BV", "count": 3},
        {"organization_id": 102, "name": "Globex", "count": 1},
    ]
    days = body["outcomes_by_day"]
    assert len(days) == 30
    assert days[-1] == {"date": now.date().isoformat(), "counts": {"escalate": 1}}
    assert days[-2]["counts"] == {"escalate": 1, "needs_business_impact": 1}
    assert sum(sum(d["counts"].values()) for d in days) == 3


async def test_kpi_page_draws_svg_charts(app: FastAPI, client: httpx.AsyncClient) -> None:
    await insert(app, escalation(1), escalation(2, region="AMER"))
    html = (await client.get("/kpis")).text
    assert html.count('<svg class="chart" role="img"') == 2  # regions and organisations
    assert "<title>EMEA: 1</title>" in html
    assert 'id="kpi-open">2<' in html
    assert "Outcomes per day, last 30 days: no data yet." in html


async def test_window_is_a_parameter(app: FastAPI, client: httpx.AsyncClient) -> None:
    await insert(app, escalation(1, requested_at=utcnow() - timedelta(days=10)))
    week = (await client.get("/api/stats", params={"days": 7}, headers=ADMIN)).json()
    month = (await client.get("/api/stats", params={"days": 30}, headers=ADMIN)).json()
    assert week["per_organization"] == []
    assert month["per_organization"][0]["count"] == 1
    assert (await client.get("/api/stats", params={"days": 0}, headers=ADMIN)).status_code == 422


def test_median_ignores_unfinished_pairs() -> None:
    t = datetime(2026, 3, 1, tzinfo=UTC)
    pairs = [(t, t + timedelta(minutes=m)) for m in (5, 15, 100, 20)] + [(t, None), (None, t)]
    assert median_minutes(pairs) == 17.5
    assert median_minutes([(t, None)]) is None


def test_outcomes_by_day_keeps_empty_days() -> None:
    t = datetime(2026, 3, 2, 12, tzinfo=UTC)
    days = outcomes_by_day([(t, "escalate"), (t, "escalate")], start=date(2026, 3, 1), days=3)
    assert [d.counts for d in days] == [{}, {"escalate": 2}, {}]
