"""StatuspageClient: unresolved incidents, cached, stale-on-error."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import respx

from app import __version__
from app.clients.statuspage import StatuspageClient, StatuspageError, parse_incidents
from tests.conftest import FakeClock

BASE = "https://status.example.com"
PATH = "/api/v2/incidents/unresolved.json"

# Shaped like the public Statuspage API's example response.
UNRESOLVED = {
    "page": {
        "id": "y2j98763l56x",
        "name": "Example",
        "url": BASE,
        "updated_at": "2024-05-06T09:10:00Z",
    },
    "incidents": [
        {
            "id": "p31zjtct2jer",
            "name": "Checkout API errors in EU",
            "status": "identified",
            "impact": "major",
            "shortlink": "http://stspg.io/p31zjtct2jer",
            "created_at": "2024-05-06T08:45:00Z",
            "incident_updates": [{"id": "h1", "status": "identified", "body": "Fix in progress"}],
            "components": [
                {"id": "c1", "name": "Checkout API", "status": "major_outage"},
                {"id": "c2", "name": "EU region", "status": "partial_outage"},
            ],
        },
        {"id": "q2", "name": "Slow dashboards", "status": "investigating", "impact": "minor"},
    ],
}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(now=0.0)


@pytest.fixture
async def sp(clock: FakeClock) -> AsyncIterator[StatuspageClient]:
    async with StatuspageClient(base_url=BASE, cache_ttl_seconds=60, clock=clock) as client:
        yield client


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        yield router


async def test_parses_unresolved_incidents(sp: StatuspageClient, mock: respx.MockRouter):
    route = mock.get(PATH).respond(json=UNRESOLVED)
    incidents = await sp.unresolved_incidents()
    assert [i.id for i in incidents] == ["p31zjtct2jer", "q2"]
    first = incidents[0]
    assert (first.status, first.impact) == ("identified", "major")
    assert first.components == ["Checkout API", "EU region"]
    assert first.shortlink == "http://stspg.io/p31zjtct2jer"
    assert incidents[1].components == []
    assert route.calls.last.request.headers["User-Agent"] == f"escalator/{__version__}"


async def test_no_incidents_means_no_outage(sp: StatuspageClient, mock: respx.MockRouter):
    mock.get(PATH).respond(json={"page": {}, "incidents": []})
    assert await sp.unresolved_incidents() == []


async def test_cached_for_ttl(sp: StatuspageClient, mock: respx.MockRouter, clock: FakeClock):
    route = mock.get(PATH).respond(json=UNRESOLVED)
    await sp.unresolved_incidents()
    clock.now = 59
    await sp.unresolved_incidents()
    assert route.call_count == 1
    clock.now = 61
    await sp.unresolved_incidents()
    assert route.call_count == 2


async def test_stale_value_served_on_error(
    sp: StatuspageClient, mock: respx.MockRouter, clock: FakeClock
):
    route = mock.get(PATH)
    route.side_effect = [httpx.Response(200, json=UNRESOLVED), httpx.ConnectError("down")]
    fresh = await sp.unresolved_incidents()
    clock.now = 120
    assert await sp.unresolved_incidents() == fresh
    assert route.call_count == 2


@pytest.mark.parametrize(
    ("response", "transient"),
    [
        (httpx.Response(503), True),
        (httpx.Response(429), True),
        (httpx.Response(404), False),
        (httpx.Response(200, text="<html>oops</html>"), True),
        (httpx.Response(200, json={"status": "ok"}), True),
    ],
)
async def test_error_without_cache_raises(
    sp: StatuspageClient, mock: respx.MockRouter, response: httpx.Response, transient: bool
):
    mock.get(PATH).mock(return_value=response)
    with pytest.raises(StatuspageError) as info:
        await sp.unresolved_incidents()
    assert info.value.transient is transient


async def test_transport_error_is_wrapped(sp: StatuspageClient, mock: respx.MockRouter):
    mock.get(PATH).mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(StatuspageError) as info:
        await sp.unresolved_incidents()
    assert info.value.transient is True
    assert isinstance(info.value.__cause__, httpx.ReadTimeout)


def test_parse_skips_resolved_and_garbage():
    incidents = parse_incidents(
        {
            "incidents": [
                {"id": "a", "name": "x", "status": "resolved"},
                "junk",
                {"id": "b", "name": "y"},
            ]
        }
    )
    assert [i.id for i in incidents] == ["b"]


async def test_result_is_a_copy(sp: StatuspageClient, mock: respx.MockRouter):
    mock.get(PATH).respond(json=UNRESOLVED)
    first = await sp.unresolved_incidents()
    first.clear()
    assert len(await sp.unresolved_incidents()) == 2
    await asyncio.sleep(0)
