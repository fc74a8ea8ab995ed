"""POST /webhooks/zendesk: signature, shape, size, dedupe — and never a 500 on bad input."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from app.models import Delivery
from tests.conftest import ADMIN, Signer, comment_event, signed

URL = "/webhooks/zendesk"


async def inbox_rows(app: FastAPI) -> int:
    async with app.state.sessions() as session:
        count: int = await session.scalar(select(func.count()).select_from(Delivery)) or 0
        return count


def stamp(offset: timedelta) -> str:
    return (datetime.now(UTC) + offset).strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_signed_delivery_is_accepted(client: httpx.AsyncClient, app: FastAPI) -> None:
    body, headers = signed(comment_event())
    response = await client.post(URL, content=body, headers=headers)
    assert response.status_code == 202
    assert response.json()["duplicate"] is False
    assert isinstance(response.json()["delivery_id"], int)
    assert await inbox_rows(app) == 1


async def test_same_delivery_twice_is_a_duplicate(client: httpx.AsyncClient, app: FastAPI) -> None:
    event = comment_event(event_id="evt-1")
    first = await client.post(URL, content=(s := signed(event))[0], headers=s[1])
    # Zendesk's retry: same event id, new invocation id and signature timestamp.
    again_body, again_headers = signed(event)
    second = await client.post(URL, content=again_body, headers=again_headers)
    assert second.status_code == 202
    assert second.json() == {
        "delivery_id": first.json()["delivery_id"],
        "duplicate": True,
        "ignored": False,
    }
    assert await inbox_rows(app) == 1


async def test_trigger_body_dedupes_on_invocation_id(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    trigger = {"escalator": "trigger-v1", "ticket_id": "1001", "email_ccs": "", "tags": "vip"}
    for _ in range(3):
        body, headers = signed(trigger, invocation_id="inv-42")
        response = await client.post(URL, content=body, headers=headers)
        assert response.status_code == 202
    assert await inbox_rows(app) == 1


async def test_200_concurrent_copies_make_one_row(client: httpx.AsyncClient, app: FastAPI) -> None:
    event = comment_event(event_id="storm")
    copies = [signed(event) for _ in range(200)]
    responses = await asyncio.gather(
        *(client.post(URL, content=body, headers=headers) for body, headers in copies)
    )
    assert {r.status_code for r in responses} == {202}
    assert sum(not r.json()["duplicate"] for r in responses) == 1
    assert len({r.json()["delivery_id"] for r in responses}) == 1
    assert await inbox_rows(app) == 1


def _tampered() -> tuple[bytes, dict[str, str]]:
    body, headers = signed(comment_event())
    return body.replace(b"Any update", b"Any UPDATE"), headers


def _no_headers() -> tuple[bytes, dict[str, str]]:
    return json.dumps(comment_event()).encode(), {"content-type": "application/json"}


def _bad_signature() -> tuple[bytes, dict[str, str]]:
    body, headers = signed(comment_event())
    headers["x-zendesk-webhook-signature"] = "bm90IGEgc2lnbmF0dXJl"
    return body, headers


def _missing_timestamp() -> tuple[bytes, dict[str, str]]:
    body, headers = signed(comment_event())
    del headers["x-zendesk-webhook-signature-timestamp"]
    return body, headers


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(_no_headers, id="no-headers"),
        pytest.param(_bad_signature, id="bad-signature"),
        pytest.param(_missing_timestamp, id="no-timestamp"),
        pytest.param(lambda: signed(comment_event(), secret="wrong-secret"), id="wrong-secret"),
        pytest.param(_tampered, id="tampered-body"),
        pytest.param(
            lambda: signed(comment_event(), timestamp=stamp(-timedelta(minutes=10))), id="stale"
        ),
        pytest.param(
            lambda: signed(comment_event(), timestamp=stamp(timedelta(minutes=10))), id="future"
        ),
        pytest.param(
            lambda: signed(comment_event(), timestamp="yesterday at noon"), id="unparseable"
        ),
        pytest.param(
            lambda: signed(comment_event(), timestamp="2026-11-27T10:00:00"), id="no-zone"
        ),
    ],
)
async def test_unverifiable_deliveries_are_401(
    client: httpx.AsyncClient, app: FastAPI, make: Signer
) -> None:
    body, headers = make()
    response = await client.post(URL, content=body, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "Unauthorized"
    assert await inbox_rows(app) == 0


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2, 3]", "JSON object"),
        (b"", "not valid JSON"),
        (b'"a string"', "JSON object"),
        (b'{"hello": "world"}', "unrecognised body"),
        (b'{"type": "zen:event-type:ticket.comment_added", "detail": {}}', "detail.id"),
        # Not JSON, and the body is stored as received: PostgreSQL's json type refuses it.
        (b'{"type": "zen:event-type:ticket.comment_added", "detail": {"id": NaN}}', "NaN"),
        (b"\xff\xfe\x00garbage", "not valid JSON"),
    ],
)
async def test_malformed_bodies_are_400(
    client: httpx.AsyncClient, app: FastAPI, raw: bytes, detail: str
) -> None:
    body, headers = signed(None, raw=raw)
    response = await client.post(URL, content=body, headers=headers)
    assert response.status_code == 400
    assert detail in response.json()["detail"]
    assert await inbox_rows(app) == 0


async def test_oversized_body_is_413(client: httpx.AsyncClient, app: FastAPI) -> None:
    event = comment_event(body="x" * (2 * 1024 * 1024))
    body, headers = signed(event)
    response = await client.post(URL, content=body, headers=headers)
    assert response.status_code == 413
    assert response.json()["error"] == "PayloadTooLarge"
    assert await inbox_rows(app) == 0


async def test_oversized_chunked_body_is_413(client: httpx.AsyncClient) -> None:
    body, headers = signed(comment_event(body="y" * (300 * 1024)))

    async def chunks():  # type: ignore[no-untyped-def]
        for start in range(0, len(body), 65536):
            yield body[start : start + 65536]

    response = await client.post(URL, content=chunks(), headers=headers)
    assert response.status_code == 413


async def test_unused_event_types_are_acknowledged_and_dropped(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    event = comment_event()
    event["type"] = "zen:event-type:ticket.brand_changed"
    body, headers = signed(event)
    response = await client.post(URL, content=body, headers=headers)
    assert response.status_code == 202
    assert response.json() == {"delivery_id": None, "duplicate": False, "ignored": True}
    assert await inbox_rows(app) == 0


async def test_accepted_delivery_is_listed_for_admins(client: httpx.AsyncClient) -> None:
    body, headers = signed(comment_event(ticket_id=1234))
    accepted = (await client.post(URL, content=body, headers=headers)).json()
    listing = await client.get("/admin/deliveries", params={"status": "pending"}, headers=ADMIN)
    assert listing.status_code == 200
    rows = listing.json()["deliveries"]
    assert [(r["id"], r["ticket_id"], r["kind"]) for r in rows] == [
        (accepted["delivery_id"], 1234, "ticket.comment_added")
    ]
    assert listing.json()["counts"]["pending"] == 1


@pytest.mark.parametrize(("actor", "stored"), [("1", False), ("401", True)])
async def test_echoes_of_escalators_own_writes_are_not_stored(
    client: httpx.AsyncClient, app: FastAPI, actor: str, stored: bool
) -> None:
    app.state.pipeline.self_id = 1  # learnt from /users/me at start
    event = comment_event()
    event["detail"]["actor_id"] = actor
    body, headers = signed(event)
    response = await client.post(URL, content=body, headers=headers)
    assert response.status_code == 202
    assert response.json()["ignored"] is not stored
    assert await inbox_rows(app) == int(stored)


async def test_webhooks_are_served_ahead_of_fastapis_layers(
    client: httpx.AsyncClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The busiest path skips FastAPI's middleware stack and router (see `Escalator`)."""
    await client.get("/healthz")  # builds the stack
    stack = app.middleware_stack
    calls: list[str] = []

    async def counting(scope, receive, send):  # type: ignore[no-untyped-def]
        calls.append(scope["path"])
        assert stack is not None
        await stack(scope, receive, send)

    monkeypatch.setattr(app, "middleware_stack", counting)
    body, headers = signed(comment_event())
    assert (await client.post(URL, content=body, headers=headers)).status_code == 202
    assert (await client.get("/healthz")).status_code == 200
    assert calls == ["/healthz"]


async def test_the_router_route_accepts_the_same_deliveries(app: FastAPI) -> None:
    """Under a root path the router serves the webhook: same answers, same inbox."""
    transport = httpx.ASGITransport(app=app, root_path="/escalator")
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as routed:
        body, headers = signed(comment_event(event_id="evt-routed"))
        first = await routed.post("/escalator" + URL, content=body, headers=headers)
        again = await routed.post("/escalator" + URL, content=body, headers=headers)
        unsigned = await routed.post("/escalator" + URL, content=body)
    assert first.status_code == 202 and first.json()["duplicate"] is False
    assert again.json() == {**first.json(), "duplicate": True}
    assert unsigned.status_code == 401 and unsigned.json()["error"] == "Unauthorized"
    assert await inbox_rows(app) == 1


async def test_an_unexpected_failure_is_a_json_500(
    client: httpx.AsyncClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(_: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(app.state.inbox, "accept", broken)
    body, headers = signed(comment_event())
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as quiet:
        response = await quiet.post(URL, content=body, headers=headers)
    assert response.status_code == 500
    assert response.json()["error"] == "InternalServerError"
