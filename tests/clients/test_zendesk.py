"""ZendeskClient against respx mocks: auth, error mapping, retries, limits, cache, parsing."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from app import __version__
from app.clients.zendesk import (
    Audit,
    ZendeskAuthError,
    ZendeskClient,
    ZendeskConflict,
    ZendeskError,
    ZendeskForbidden,
    ZendeskNotFound,
    ZendeskRateLimited,
    ZendeskUnavailable,
    ZendeskUnprocessable,
    ZendeskUser,
    added_email_ccs,
    comment_of,
    parse_ticket_context,
)
from app.metrics import ZENDESK_CALLS
from tests.conftest import ZENDESK_BASE, FakeClock

BASE = ZENDESK_BASE
FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "ticket_context.json").read_text())


def ticket_json(ticket_id: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "ticket": {
            "id": ticket_id,
            "status": "open",
            "updated_at": "2024-05-06T13:15:42Z",
            **extra,
        }
    }


# -- headers ---------------------------------------------------------------------------------


async def test_sends_token_auth_user_agent_and_accept(zd: ZendeskClient, mock: respx.MockRouter):
    route = mock.get("/api/v2/users/me").respond(
        json={"user": {"id": 9, "name": "Bot", "email": "bot@vendor.example", "role": "admin"}}
    )
    me = await zd.check_auth()
    request = route.calls.last.request
    expected = base64.b64encode(b"bot@vendor.example/token:tok123").decode()
    assert request.headers["Authorization"] == f"Basic {expected}"
    assert request.headers["User-Agent"] == f"escalator/{__version__}"
    assert request.headers["Accept"] == "application/json"
    assert me.id == 9 and me.is_staff


async def test_check_auth_rejects_anonymous_user(zd: ZendeskClient, mock: respx.MockRouter):
    # Zendesk answers /users/me without valid credentials with 200 and an anonymous user.
    mock.get("/api/v2/users/me").respond(json={"user": {"id": None, "name": "Anonymous user"}})
    with pytest.raises(ZendeskAuthError):
        await zd.check_auth()


# -- error mapping ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "error_cls", "fragment"),
    [
        (401, {"error": "Couldn't authenticate you"}, ZendeskAuthError, "Couldn't authenticate"),
        (
            403,
            {"error": {"title": "Forbidden", "message": "You do not have access"}},
            ZendeskForbidden,
            "You do not have access",
        ),
        (
            404,
            {"error": "RecordNotFound", "description": "Not found"},
            ZendeskNotFound,
            "RecordNotFound: Not found",
        ),
        (
            409,
            {"error": "UpdateConflict", "description": "Ticket changed"},
            ZendeskConflict,
            "UpdateConflict",
        ),
        (
            400,
            {"errors": [{"title": "Invalid", "detail": "page[size] must be ≤ 100"}]},
            ZendeskError,
            "page[size] must be",
        ),
        (404, "<html><body>Not here</body></html>", ZendeskNotFound, "Not here"),
    ],
)
async def test_error_statuses_map_to_typed_errors(
    zd: ZendeskClient,
    mock: respx.MockRouter,
    status: int,
    body: Any,
    error_cls: type[ZendeskError],
    fragment: str,
):
    response = (
        httpx.Response(status, json=body)
        if isinstance(body, dict)
        else httpx.Response(status, text=body)
    )
    mock.get("/api/v2/tickets/5").mock(return_value=response)
    with pytest.raises(error_cls) as info:
        await zd.get_ticket(5)
    error = info.value
    assert type(error) is error_cls
    assert fragment in error.detail
    assert "/api/v2/tickets/{id}" in error.detail
    assert error.http_status == status
    assert error.transient is False
    assert zd.calls[("GET", "/api/v2/tickets/{id}")] == 1  # a 4xx is never retried


async def test_422_detail_renders_field_errors(zd: ZendeskClient, mock: respx.MockRouter):
    mock.put("/api/v2/tickets/5").respond(
        422,
        json={
            "error": "RecordInvalid",
            "description": "Record validation errors",
            "details": {
                "assignee_id": [{"description": "is not valid", "error": "InvalidValue"}],
                "base": [{"description": "Group must be set", "error": "BlankValue"}],
            },
        },
    )
    with pytest.raises(ZendeskUnprocessable) as info:
        await zd.update_ticket(5, {"ticket": {"assignee_id": 1}})
    assert "assignee_id: is not valid" in info.value.detail
    assert "base: Group must be set" in info.value.detail
    assert info.value.status_code == 422


async def test_conflict_on_safe_update(zd: ZendeskClient, mock: respx.MockRouter):
    route = mock.put("/api/v2/tickets/5").respond(
        409, json={"error": "UpdateConflict", "description": "Safe Update prevented the update"}
    )
    payload = {"ticket": {"safe_update": True, "updated_stamp": "2024-05-06T13:15:42Z"}}
    with pytest.raises(ZendeskConflict):
        await zd.update_ticket(5, payload)
    assert json.loads(route.calls.last.request.content) == payload


async def test_counts_metrics_with_path_template(zd: ZendeskClient, mock: respx.MockRouter):
    mock.get("/api/v2/tickets/77").respond(json=ticket_json(77))
    sample = ZENDESK_CALLS.labels("GET", "/api/v2/tickets/{id}", "200")
    before = sample._value.get()
    await zd.get_ticket(77)
    assert sample._value.get() == before + 1


# -- retries ---------------------------------------------------------------------------------


async def test_429_waits_retry_after_then_succeeds(
    zd: ZendeskClient, mock: respx.MockRouter, clock: FakeClock
):
    route = mock.get("/api/v2/tickets/5")
    route.side_effect = [
        httpx.Response(429, headers={"Retry-After": "7"}, json={"error": "TooManyRequests"}),
        httpx.Response(200, json=ticket_json(5)),
    ]
    ticket = await zd.get_ticket(5)
    assert ticket.id == 5
    assert route.call_count == 2
    # 7 s from the header, however the sleep is split between retry wait and limiter pause.
    assert sum(clock.sleeps) == pytest.approx(7)
    assert 7 in clock.sleeps


async def test_429_is_retried_even_for_a_comment_write(
    zd: ZendeskClient, mock: respx.MockRouter, clock: FakeClock
):
    # A 429 means Zendesk did not apply the request, so replaying a plain write is safe.
    route = mock.put("/api/v2/tickets/5")
    route.side_effect = [
        httpx.Response(429, headers={"Retry-After": "2"}),
        httpx.Response(200, json=ticket_json(5)),
    ]
    await zd.update_ticket(5, {"ticket": {"comment": {"body": "hi", "public": False}}})
    assert route.call_count == 2


async def test_429_gives_up_as_rate_limited(zd: ZendeskClient, mock: respx.MockRouter):
    route = mock.get("/api/v2/tickets/5").respond(429, headers={"Retry-After": "1"})
    with pytest.raises(ZendeskRateLimited) as info:
        await zd.get_ticket(5)
    assert info.value.transient is True
    assert info.value.retry_after == 1
    assert route.call_count == 4  # 1 + max_retries


async def test_retry_after_is_capped(zd: ZendeskClient, mock: respx.MockRouter, clock: FakeClock):
    route = mock.get("/api/v2/tickets/5")
    route.side_effect = [
        httpx.Response(429, headers={"Retry-After": "3600"}),
        httpx.Response(200, json=ticket_json(5)),
    ]
    await zd.get_ticket(5)
    assert max(clock.sleeps) == 60


async def test_5xx_retried_on_get(zd: ZendeskClient, mock: respx.MockRouter, clock: FakeClock):
    route = mock.get("/api/v2/tickets/5")
    route.side_effect = [
        httpx.Response(503, text="upstream unavailable"),
        httpx.Response(502),
        httpx.Response(200, json=ticket_json(5)),
    ]
    assert (await zd.get_ticket(5)).id == 5
    assert route.call_count == 3
    assert len(clock.sleeps) == 2 and all(0 < s <= 31 for s in clock.sleeps)


async def test_5xx_retried_on_safe_update_put(zd: ZendeskClient, mock: respx.MockRouter):
    route = mock.put("/api/v2/tickets/5")
    route.side_effect = [httpx.Response(500), httpx.Response(200, json=ticket_json(5))]
    payload = {
        "ticket": {
            "additional_tags": ["escalated"],
            "safe_update": True,
            "updated_stamp": "2024-05-06T13:15:42Z",
        }
    }
    await zd.update_ticket(5, payload)
    assert route.call_count == 2


async def test_5xx_not_replayed_on_safe_update_with_a_comment(
    zd: ZendeskClient, mock: respx.MockRouter
):
    # The stamp has whole-second resolution: a first write that landed within the second of
    # the read leaves it unchanged, and a replay would add the comment twice.
    route = mock.put("/api/v2/tickets/5")
    route.side_effect = [httpx.Response(500), httpx.Response(200, json=ticket_json(5))]
    payload = {
        "ticket": {
            "additional_tags": ["escalated"],
            "comment": {"body": "note", "public": False},
            "safe_update": True,
            "updated_stamp": "2024-05-06T13:15:42Z",
        }
    }
    with pytest.raises(ZendeskUnavailable) as info:
        await zd.update_ticket(5, payload)
    assert route.call_count == 1
    assert info.value.maybe_applied is True


async def test_5xx_not_retried_on_plain_comment_write(zd: ZendeskClient, mock: respx.MockRouter):
    # Without safe_update a replay could post the comment twice: give up and let the worker
    # reload the ticket and decide.
    route = mock.put("/api/v2/tickets/5").respond(500)
    with pytest.raises(ZendeskUnavailable) as info:
        await zd.update_ticket(5, {"ticket": {"comment": {"body": "hi", "public": True}}})
    assert route.call_count == 1
    assert info.value.transient is True
    assert info.value.maybe_applied is True


async def test_5xx_not_retried_on_create(zd: ZendeskClient, mock: respx.MockRouter):
    route = mock.post("/api/v2/tickets").respond(503)
    with pytest.raises(ZendeskUnavailable):
        await zd.create_ticket({"subject": "x", "comment": {"body": "y"}})
    assert route.call_count == 1


async def test_read_timeout_not_retried_on_plain_write(zd: ZendeskClient, mock: respx.MockRouter):
    route = mock.put("/api/v2/tickets/5")
    route.side_effect = httpx.ReadTimeout("slow")
    with pytest.raises(ZendeskUnavailable) as info:
        await zd.update_ticket(5, {"ticket": {"comment": {"body": "hi", "public": True}}})
    assert route.call_count == 1
    assert "timed out" in info.value.detail
    assert isinstance(info.value.__cause__, httpx.ReadTimeout)


async def test_transport_error_retried_on_get(zd: ZendeskClient, mock: respx.MockRouter):
    route = mock.get("/api/v2/tickets/5")
    route.side_effect = [
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("reset"),
        httpx.Response(200, json=ticket_json(5)),
    ]
    assert (await zd.get_ticket(5)).id == 5
    assert route.call_count == 3


async def test_connect_error_retried_even_for_plain_write(
    zd: ZendeskClient, mock: respx.MockRouter
):
    # A connection that never opened cannot have applied anything.
    route = mock.put("/api/v2/tickets/5")
    route.side_effect = [httpx.ConnectError("refused"), httpx.Response(200, json=ticket_json(5))]
    await zd.update_ticket(5, {"ticket": {"comment": {"body": "hi", "public": True}}})
    assert route.call_count == 2


async def test_transport_errors_exhausted_become_unavailable(
    zd: ZendeskClient, mock: respx.MockRouter
):
    route = mock.get("/api/v2/tickets/5")
    route.side_effect = httpx.ConnectError("refused")
    with pytest.raises(ZendeskUnavailable) as info:
        await zd.get_ticket(5)
    assert route.call_count == 4
    assert info.value.transient is True
    assert isinstance(info.value.__cause__, httpx.ConnectError)


# -- client-side rate limiting ---------------------------------------------------------------


async def test_limiter_queues_burst_of_updates(clock: FakeClock):
    started: list[float] = []

    def record(request: httpx.Request) -> httpx.Response:
        started.append(clock.now)
        return httpx.Response(200, json=ticket_json(1))

    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        mock.put(path__regex=r"/api/v2/tickets/\d+").mock(side_effect=record)
        async with ZendeskClient(
            base_url=BASE,
            email="bot@vendor.example",
            api_token="t",
            updates_per_minute=2,
            window_seconds=60,
            clock=clock,
            sleep=clock.sleep,
        ) as zd:
            await asyncio.gather(
                *(zd.update_ticket(i, {"ticket": {"status": "open"}}) for i in range(5))
            )
    assert started == [1000.0, 1000.0, 1060.0, 1060.0, 1120.0]


async def test_limiter_caps_all_requests(clock: FakeClock):
    started: list[float] = []

    def record(request: httpx.Request) -> httpx.Response:
        started.append(clock.now)
        return httpx.Response(200, json=ticket_json(1))

    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        mock.get(path__regex=r"/api/v2/tickets/\d+").mock(side_effect=record)
        async with ZendeskClient(
            base_url=BASE,
            email="b@v.example",
            api_token="t",
            requests_per_minute=3,
            window_seconds=10,
            clock=clock,
            sleep=clock.sleep,
        ) as zd:
            await asyncio.gather(*(zd.get_ticket(i) for i in range(4)))
    assert started == [1000.0, 1000.0, 1000.0, 1010.0]


async def test_remaining_zero_pauses_next_call(
    zd: ZendeskClient, mock: respx.MockRouter, clock: FakeClock
):
    started: list[float] = []

    def record(request: httpx.Request) -> httpx.Response:
        started.append(clock.now)
        headers = {"ratelimit-remaining": "0", "ratelimit-reset": "12"} if len(started) == 1 else {}
        return httpx.Response(200, json=ticket_json(1), headers=headers)

    mock.get("/api/v2/tickets/1").mock(side_effect=record)
    await zd.get_ticket(1)
    await zd.get_ticket(1)
    assert started == [1000.0, 1012.0]


# -- cache -----------------------------------------------------------------------------------


async def test_organization_cached_with_ttl(
    zd: ZendeskClient, mock: respx.MockRouter, clock: FakeClock
):
    route = mock.get("/api/v2/organizations/9").respond(
        json={"organization": {"id": 9, "name": "Customer Corp"}}
    )
    assert (await zd.get_organization(9)).name == "Customer Corp"
    await zd.get_organization(9)
    assert route.call_count == 1
    clock.now += 301  # past the default 300 s TTL
    await zd.get_organization(9)
    assert route.call_count == 2


async def test_concurrent_lookups_share_one_request(zd: ZendeskClient, mock: respx.MockRouter):
    gate = asyncio.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        await gate.wait()
        return httpx.Response(200, json={"user": {"id": 3, "name": "A", "role": "agent"}})

    route = mock.get("/api/v2/users/3").mock(side_effect=slow)
    tasks = [asyncio.create_task(zd.get_user(3)) for _ in range(5)]
    await asyncio.sleep(0.01)
    gate.set()
    users = await asyncio.gather(*tasks)
    assert {u.id for u in users} == {3}
    assert route.call_count == 1


async def test_failed_lookup_is_not_cached(zd: ZendeskClient, mock: respx.MockRouter):
    route = mock.get("/api/v2/users/3")
    route.side_effect = [
        httpx.Response(404, json={"error": "RecordNotFound", "description": "Not found"}),
        httpx.Response(200, json={"user": {"id": 3, "name": "A"}}),
    ]
    with pytest.raises(ZendeskNotFound):
        await zd.get_user(3)
    assert (await zd.get_user(3)).id == 3


async def test_find_user_by_email_exact_match_and_cached(zd: ZendeskClient, mock: respx.MockRouter):
    route = mock.get("/api/v2/users/search", params={"query": "chris@vendor.example"}).respond(
        json={
            "users": [
                {"id": 1, "name": "Chris Jr", "email": "chris@vendor.example.org"},
                {"id": 2, "name": "Chris", "email": "Chris@Vendor.example", "role": "agent"},
            ]
        }
    )
    user = await zd.find_user_by_email("Chris@vendor.example")
    assert user is not None and user.id == 2
    assert await zd.find_user_by_email("chris@vendor.example") == user
    assert route.call_count == 1
    # The search also primed the by-id cache.
    assert (await zd.get_user(2)).id == 2


async def test_find_user_by_email_none(zd: ZendeskClient, mock: respx.MockRouter):
    mock.get("/api/v2/users/search").respond(json={"users": [], "count": 0})
    assert await zd.find_user_by_email("nobody@example.com") is None


# -- ticket context --------------------------------------------------------------------------


async def test_get_ticket_context_parses_sideloads(zd: ZendeskClient, mock: respx.MockRouter):
    route = mock.get("/api/v2/tickets/35436").respond(json=FIXTURE)
    snap = await zd.get_ticket_context(35436)

    include = route.calls.last.request.url.params["include"]
    assert set(include.split(",")) == {
        "users",
        "organizations",
        "last_audits",
        "metric_sets",
        "slas",
    }
    assert snap.ticket.id == 35436 and snap.ticket.priority == "urgent"
    assert snap.updated_stamp == "2024-05-06T13:15:42Z"
    assert snap.organization is not None
    assert snap.organization.organization_fields["region"] == "emea"
    assert snap.users[35334].role == "agent"
    assert snap.last_audit is not None and snap.last_audit.id == 2127301143
    assert snap.zendesk_sla is not None
    assert snap.zendesk_sla.stage == "achieved"
    assert snap.zendesk_sla.breach_at == datetime(2024, 5, 6, 10, 0, tzinfo=UTC)
    # created 09:00 + 95 calendar minutes to first reply
    assert snap.first_public_agent_reply_at == datetime(2024, 5, 6, 10, 35, tzinfo=UTC)

    assert added_email_ccs(snap.last_audit, snap.users) == ["escalation@vendor.example"]
    comment = comment_of(snap.last_audit, snap.users)
    assert comment is not None
    assert comment.body.startswith("Escalating:")
    assert comment.author_id == 20978392 and comment.author_is_staff is False
    assert comment.public is True


async def test_ticket_context_primes_caches(zd: ZendeskClient, mock: respx.MockRouter):
    mock.get("/api/v2/tickets/35436").respond(json=FIXTURE)
    await zd.get_ticket_context(35436)
    # No routes for these: a request would fail the test.
    assert (await zd.get_organization(509974)).name == "Customer Corp"
    assert (await zd.get_user(235323)).email == "smith@vendor.example"


def test_ticket_context_tolerates_missing_sideloads():
    snap = parse_ticket_context(
        {"ticket": {"id": 4, "status": "new", "updated_at": "2024-01-01T00:00:00Z"}}
    )
    assert snap.organization is None and snap.users == {} and snap.last_audit is None
    assert snap.zendesk_sla is None and snap.first_public_agent_reply_at is None
    assert snap.updated_stamp == "2024-01-01T00:00:00Z"


def test_no_reply_yet_means_no_first_reply_time():
    body = {
        "ticket": {
            "id": 4,
            "created_at": "2024-01-01T00:00:00Z",
            "updated_at": "2024-01-01T00:00:00Z",
            "metric_set": {"replies": 0, "reply_time_in_minutes": {"calendar": None}},
            "slas": {"policy_metrics": [{"metric": "first_reply_time", "stage": "active",
                                         "breach_at": "2024-01-01T04:00:00Z", "hours": 3}]},
        }
    }  # fmt: skip
    snap = parse_ticket_context(body)
    assert snap.first_public_agent_reply_at is None
    assert snap.zendesk_sla is not None and snap.zendesk_sla.stage == "active"


def test_ticket_context_accepts_top_level_metric_sets_and_last_audits_key():
    body = {
        "ticket": {
            "id": 4,
            "created_at": "2024-01-01T00:00:00Z",
            "updated_at": "2024-01-01T02:00:00Z",
        },
        "metric_sets": [{"ticket_id": 4, "replies": 1, "reply_time_in_minutes": {"calendar": 30}}],
        "last_audits": [
            {"id": 1, "ticket_id": 4, "created_at": "2024-01-01T00:00:00Z", "events": []},
            {"id": 2, "ticket_id": 4, "created_at": "2024-01-01T01:00:00Z", "events": []},
        ],
    }
    snap = parse_ticket_context(body)
    assert snap.first_public_agent_reply_at == datetime(2024, 1, 1, 0, 30, tzinfo=UTC)
    assert snap.last_audit is not None and snap.last_audit.id == 2


# -- audit parsing ---------------------------------------------------------------------------

USERS = {
    11: ZendeskUser(id=11, name="Esc", email="Escalation@Vendor.example", role="end-user"),
    12: ZendeskUser(id=12, name="CSM", email="csm@vendor.example", role="agent"),
}


def audit(*events: dict[str, Any], author_id: int = 12) -> Audit:
    return Audit.model_validate({"id": 1, "author_id": author_id, "events": list(events)})


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        pytest.param(
            {"type": "EmailCcChange", "previous_email_ccs": ["csm@vendor.example"],
             "current_email_ccs": ["csm@vendor.example", "escalation@vendor.example"]},
            ["escalation@vendor.example"], id="email-cc-change-addresses",
        ),
        pytest.param(
            {"type": "EmailCcChange", "previous_email_ccs": [],
             "current_email_ccs": ["Escalation Team <Escalation@Vendor.example>"]},
            ["escalation@vendor.example"], id="email-cc-change-name-addr",
        ),
        pytest.param(
            {"type": "EmailCcChange", "previous_email_ccs": [{"id": 12}],
             "email_ccs": [{"id": 12}, {"id": 11, "name": "Esc"}]},
            ["escalation@vendor.example"], id="email-cc-change-objects-email_ccs-key",
        ),
        pytest.param(
            {"type": "EmailCcChange", "previous_email_ccs": [12], "current_email_ccs": [12, 11]},
            ["escalation@vendor.example"], id="email-cc-change-ids",
        ),
        pytest.param(
            {"type": "Change", "field_name": "collaborator_ids",
             "previous_value": ["12"], "value": ["12", "11"]},
            ["escalation@vendor.example"], id="change-collaborator-ids-strings",
        ),
        pytest.param(
            {"type": "Change", "field_name": "email_cc_ids", "previous_value": None, "value": [11]},
            ["escalation@vendor.example"], id="change-email-cc-ids",
        ),
        pytest.param(
            {"type": "Change", "field_name": "email_ccs", "previous_value": [],
             "value": [{"id": 99, "email": "new@customer.example", "name": "New"}]},
            ["new@customer.example"], id="change-email-ccs-objects",
        ),
        pytest.param(
            {"type": "Create", "field_name": "collaborator_ids", "value": "11 12"},
            ["escalation@vendor.example", "csm@vendor.example"], id="create-space-separated",
        ),
        pytest.param(
            {"type": "EmailCcChange", "previous_email_ccs": ["a@x.example", "b@x.example"],
             "current_email_ccs": ["a@x.example"]},
            [], id="removal-adds-nothing",
        ),
        pytest.param(
            {"type": "Change", "field_name": "collaborator_ids", "previous_value": [],
             "value": [404]},
            [], id="unknown-id-skipped",
        ),
        pytest.param(
            {"type": "Change", "field_name": "status", "previous_value": "new", "value": "open"},
            [], id="other-field",
        ),
        pytest.param({"type": "FutureEvent", "email_ccs": ["x@y.example"]}, [], id="unknown-type"),
        pytest.param(
            {"type": "CC", "recipients": [11]}, [], id="cc-notification-is-not-a-change",
        ),
    ],
)  # fmt: skip
def test_added_email_ccs(event: dict[str, Any], expected: list[str]):
    assert added_email_ccs(audit(event), USERS) == expected


def test_added_email_ccs_none_and_dedup():
    assert added_email_ccs(None, USERS) == []
    both = audit(
        {"type": "EmailCcChange", "previous_email_ccs": [], "current_email_ccs": [11]},
        {"type": "Change", "field_name": "collaborator_ids", "previous_value": [], "value": [11]},
    )
    assert added_email_ccs(both, USERS) == ["escalation@vendor.example"]


def test_comment_of():
    a = audit(
        {"type": "Change", "field_name": "status", "value": "open"},
        {"type": "Comment", "id": 5, "body": "internal", "public": False, "author_id": 12},
    )
    comment = comment_of(a, USERS)
    assert comment is not None
    assert (comment.id, comment.body, comment.public) == (5, "internal", False)
    assert comment.author_is_staff is True
    # Author unknown → staff-ness unknown, left for the pipeline.
    unknown = comment_of(audit({"type": "Comment", "body": "x"}, author_id=999), USERS)
    assert unknown is not None and unknown.author_id == 999 and unknown.author_is_staff is None
    assert comment_of(audit({"type": "Change", "field_name": "tags"}), USERS) is None
    assert comment_of(None) is None


# -- pagination and bulk ---------------------------------------------------------------------


async def test_list_audits_follows_cursor_links(zd: ZendeskClient, mock: respx.MockRouter):
    page2_url = f"{BASE}/api/v2/tickets/5/audits?page%5Bafter%5D=abc&page%5Bsize%5D=100"
    # respx matches params as a subset, so the more specific route goes first.
    second = mock.get("/api/v2/tickets/5/audits", params={"page[after]": "abc"}).respond(
        json={
            "audits": [{"id": 3, "events": []}],
            "meta": {"has_more": False},
            "links": {"next": None},
        }
    )
    first = mock.get("/api/v2/tickets/5/audits", params={"page[size]": "100"}).respond(
        json={
            "audits": [{"id": 1, "events": []}, {"id": 2, "events": []}],
            "meta": {"has_more": True, "after_cursor": "abc"},
            "links": {"next": page2_url},
        }
    )
    ids = [a.id async for a in zd.list_audits(5)]
    assert ids == [1, 2, 3]
    assert first.call_count == 1 and second.call_count == 1
    assert zd.calls[("GET", "/api/v2/tickets/{id}/audits")] == 2


async def test_pagination_refuses_foreign_host(zd: ZendeskClient, mock: respx.MockRouter):
    mock.get("/api/v2/tickets/5/comments").respond(
        json={
            "comments": [{"id": 1, "body": "hi"}],
            "meta": {"has_more": True},
            "links": {"next": "https://evil.example/steal"},
        }
    )
    seen = []
    with pytest.raises(ZendeskError, match="another host"):
        async for c in zd.list_comments(5):
            seen.append(c.id)
    assert seen == [1]


async def test_pagination_stops_on_repeated_next_link(zd: ZendeskClient, mock: respx.MockRouter):
    mock.get("/api/v2/tickets/5/comments").respond(
        json={
            "comments": [],
            "meta": {"has_more": True},
            "links": {"next": f"{BASE}/api/v2/tickets/5/comments?page%5Bafter%5D=same"},
        }
    )
    with pytest.raises(ZendeskError, match="repeated"):
        _ = [c async for c in zd.list_comments(5)]


async def test_update_many_splits_over_100_ids(zd: ZendeskClient, mock: respx.MockRouter):
    bodies: list[tuple[str, Any]] = []

    def record(request: httpx.Request) -> httpx.Response:
        bodies.append((request.url.params["ids"], json.loads(request.content)))
        return httpx.Response(
            200, json={"job_status": {"id": f"j{len(bodies)}", "status": "queued"}}
        )

    mock.put("/api/v2/tickets/update_many").mock(side_effect=record)
    jobs = await zd.update_many(list(range(1, 251)), {"additional_tags": ["escalated"]})
    assert [j.id for j in jobs] == ["j1", "j2", "j3"]
    assert [len(ids.split(",")) for ids, _ in bodies] == [100, 100, 50]
    assert bodies[0][0].startswith("1,2,3,")
    assert all(b == {"ticket": {"additional_tags": ["escalated"]}} for _, b in bodies)


async def test_get_job_status(zd: ZendeskClient, mock: respx.MockRouter):
    mock.get("/api/v2/job_statuses/abc").respond(
        json={"job_status": {"id": "abc", "status": "completed", "total": 2, "progress": 2,
                             "results": [{"id": 1, "success": True}]}}
    )  # fmt: skip
    job = await zd.get_job_status("abc")
    assert job.status == "completed" and job.results == [{"id": 1, "success": True}]


async def test_create_ticket_wraps_bare_payload(zd: ZendeskClient, mock: respx.MockRouter):
    route = mock.post("/api/v2/tickets").respond(201, json=ticket_json(9, subject="Hi"))
    ticket = await zd.create_ticket({"subject": "Hi", "comment": {"body": "x"}})
    assert ticket.id == 9
    assert json.loads(route.calls.last.request.content) == {
        "ticket": {"subject": "Hi", "comment": {"body": "x"}}
    }
    assert zd.calls[("POST", "/api/v2/tickets")] == 1


async def test_unexpected_body_is_an_error(zd: ZendeskClient, mock: respx.MockRouter):
    mock.get("/api/v2/tickets/5").respond(200, text="<html>maintenance</html>")
    with pytest.raises(ZendeskError, match="not JSON"):
        await zd.get_ticket(5)


def test_unparseable_ticket_is_a_zendesk_error():
    with pytest.raises(ZendeskError, match="did not parse"):
        parse_ticket_context({"ticket": {"id": "not-a-number"}})
