"""Webhooks leave after the change, signed like Zendesk's, in both modes, retried on 5xx."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import httpx

from tests.conftest import wait_for
from tests.sandbox.conftest import SECRET, MakeSandbox, Received, Receiver


def assert_signed(received: Received) -> None:
    headers = received.headers
    stamp = headers["x-zendesk-webhook-signature-timestamp"]
    expected = base64.b64encode(
        hmac.new(SECRET.encode(), stamp.encode() + received.body, hashlib.sha256).digest()
    ).decode()
    assert hmac.compare_digest(headers["x-zendesk-webhook-signature"], expected)
    assert stamp.endswith("Z") and len(stamp) == len("2021-03-25T05:09:27Z")
    assert headers["x-zendesk-account-id"] == "9000001"
    assert headers["x-zendesk-webhook-id"]
    assert headers["x-zendesk-webhook-invocation-id"]


async def test_event_mode_one_signed_webhook_per_event_sharing_a_sequence(
    make_sandbox: MakeSandbox, receiver: Receiver
) -> None:
    zd: httpx.AsyncClient = make_sandbox(webhook_url=receiver.url)
    response = await zd.put(
        "/api/v2/tickets/1001.json",
        json={
            "ticket": {
                "comment": {"body": "Please escalate", "public": True, "author_id": 401},
                "email_ccs": [{"user_email": "escalation@example.com", "action": "put"}],
                "additional_tags": ["vip"],
                "status": "pending",
            }
        },
    )
    assert response.status_code == 200
    got = await wait_for(lambda: len(receiver.received) >= 4 and receiver.received)
    for item in got:
        assert_signed(item)
    payloads = [r.json for r in got]
    types = [p["type"].removeprefix("zen:event-type:ticket.") for p in payloads]
    assert types == ["comment_added", "email_ccs_changed", "status_changed", "tags_changed"]
    sequences = {p["event"]["meta"]["sequence"]["id"] for p in payloads}
    assert len(sequences) == 1
    assert len({r.headers["x-zendesk-webhook-invocation-id"] for r in got}) == 4
    comment, ccs, status, tags = (p["event"] for p in payloads)
    assert comment["comment"]["body"] == "Please escalate"
    assert comment["comment"]["is_public"] is True
    assert comment["comment"]["author"] == {"id": "401", "is_staff": False, "name": "Olivia Ops"}
    escalation = (await zd.get("/api/v2/users/search?query=escalation@example.com")).json()
    assert ccs["users_added"] == [str(escalation["users"][0]["id"])]
    assert ccs["users_removed"] == []
    assert (status["current"], status["previous"]) == ("PENDING", "OPEN")
    assert (tags["tags_added"], tags["tags_removed"]) == (["vip"], [])
    detail = payloads[0]["detail"]
    ids = (detail["id"], detail["organization_id"], detail["requester_id"])
    assert ids == ("1001", "101", "401")
    assert detail["via"] == {"channel": "mail"}
    assert payloads[0]["subject"] == "zen:ticket:1001"
    assert payloads[0]["zendesk_event_version"] == "2022-11-06"
    deliveries = (await zd.get("/__sandbox/webhook_deliveries")).json()["deliveries"]
    assert [d["status_code"] for d in deliveries] == [202] * 4


async def test_event_mode_creation_sends_created_then_comment_added(
    make_sandbox: MakeSandbox, receiver: Receiver
) -> None:
    zd: httpx.AsyncClient = make_sandbox(webhook_url=receiver.url)
    await zd.post(
        "/__sandbox/inbound_email",
        json={
            "from": "ops@acme.example",
            "to": ["escalation@example.com"],
            "subject": "Escalate #1001",
            "body": "Business impact: orders blocked",
        },
    )
    got = await wait_for(lambda: len(receiver.received) >= 2 and receiver.received)
    types = [r.json["type"] for r in got]
    assert types == ["zen:event-type:ticket.created", "zen:event-type:ticket.comment_added"]
    assert got[1].json["event"]["comment"]["body"] == "Business impact: orders blocked"
    assert got[0].json["detail"]["status"] == "NEW"


async def test_failed_delivery_is_retried_with_the_same_invocation_id(
    make_sandbox: MakeSandbox, receiver: Receiver
) -> None:
    receiver.fail_next = 1
    zd: httpx.AsyncClient = make_sandbox(webhook_url=receiver.url)
    await zd.put(
        "/api/v2/tickets/1002.json", json={"ticket": {"comment": {"body": "hi", "public": True}}}
    )
    got = await wait_for(lambda: len(receiver.received) >= 2 and receiver.received)
    ids = [r.headers["x-zendesk-webhook-invocation-id"] for r in got]
    assert ids[0] == ids[1]
    deliveries = (await zd.get("/__sandbox/webhook_deliveries")).json()["deliveries"]
    assert [(d["attempt"], d["status_code"]) for d in deliveries] == [(1, 500), (2, 202)]


async def test_trigger_mode_renders_the_trigger_body(
    make_sandbox: MakeSandbox, receiver: Receiver
) -> None:
    zd: httpx.AsyncClient = make_sandbox(webhook_url=receiver.url, webhook_mode="trigger")
    tricky = 'He said "escalate"\nnow \\ please'
    await zd.put(
        "/api/v2/tickets/1001.json",
        json={
            "ticket": {
                "comment": {"body": tricky, "public": False},
                "email_ccs": [{"user_id": 211, "action": "put"}],
                "additional_tags": ["vip"],
            }
        },
    )
    # An update without a comment does not match the trigger.
    await zd.put("/api/v2/tickets/1001.json", json={"ticket": {"additional_tags": ["more"]}})
    await zd.put(
        "/api/v2/tickets/1002.json", json={"ticket": {"comment": {"body": "two", "public": True}}}
    )
    got = await wait_for(lambda: len(receiver.received) >= 2 and receiver.received)
    assert len(got) == 2
    assert_signed(got[0])
    body: dict[str, Any] = got[0].json
    assert body["escalator"] == "trigger-v1"
    assert (body["ticket_id"], body["status"], body["priority"]) == ("1001", "Open", "Urgent")
    assert body["tags"] == "vip"
    assert body["email_ccs"].split() == ["csm.emea@example.com"]
    assert (body["organization_id"], body["requester_id"], body["via"]) == ("101", "401", "Mail")
    assert body["comment"]["body"] == tricky
    assert (body["comment"]["public"], body["comment"]["author_id"]) == ("false", "1")
    assert body["current_user"] == {"id": "1", "email": "escalator@example.com", "role": "Admin"}
    ticket = (await zd.get("/api/v2/tickets/1001.json")).json()["ticket"]
    comments = (await zd.get("/api/v2/tickets/1001/comments.json")).json()["comments"]
    assert body["comment"]["id"] == str(comments[1]["id"])
    assert body["updated_at"] < ticket["updated_at"]  # the later tag-only update moved it on
    assert json.loads(got[1].body)["ticket_id"] == "1002"


async def test_no_webhook_url_sends_nothing(zd: httpx.AsyncClient) -> None:
    await zd.put(
        "/api/v2/tickets/1001.json", json={"ticket": {"comment": {"body": "x", "public": True}}}
    )
    assert (await zd.get("/__sandbox/webhook_deliveries")).json()["deliveries"] == []
