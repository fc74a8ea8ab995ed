"""The sandbox speaks Zendesk's API: shapes, errors, update rules, audits, pagination."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.sandbox.conftest import EMAIL, TOKEN

NOT_FOUND = {"error": "RecordNotFound", "description": "Not found"}


async def put(zd: httpx.AsyncClient, tid: int, ticket: dict[str, Any]) -> httpx.Response:
    return await zd.put(f"/api/v2/tickets/{tid}.json", json={"ticket": ticket})


@pytest.mark.parametrize(
    "auth",
    [None, (f"{EMAIL}/token", "wrong"), (EMAIL, TOKEN), ("other@example.com/token", TOKEN)],
)
async def test_bad_credentials_get_zendesks_401(zd: httpx.AsyncClient, auth: Any) -> None:
    response = await zd.get("/api/v2/tickets/1001.json", auth=auth)
    assert response.status_code == 401
    assert response.json() == {"error": "Couldn't authenticate you"}


async def test_controls_and_statuspage_need_no_auth(zd: httpx.AsyncClient) -> None:
    assert (await zd.get("/__sandbox/settings", auth=None)).status_code == 200
    page = await zd.get("/statuspage/api/v2/incidents/unresolved.json", auth=None)
    assert page.status_code == 200


async def test_seeded_ticket_with_and_without_json_suffix(zd: httpx.AsyncClient) -> None:
    with_suffix = (await zd.get("/api/v2/tickets/1001.json")).json()["ticket"]
    without = (await zd.get("/api/v2/tickets/1001")).json()["ticket"]
    assert with_suffix == without
    assert with_suffix["subject"] == "Production app down after upgrade"
    assert (with_suffix["requester_id"], with_suffix["organization_id"]) == (401, 101)
    assert (with_suffix["priority"], with_suffix["status"]) == ("urgent", "open")
    for key in ("email_cc_ids", "follower_ids", "collaborator_ids", "custom_fields", "via"):
        assert key in with_suffix


@pytest.mark.parametrize(
    "path", ["/api/v2/tickets/999999.json", "/api/v2/users/5", "/api/v2/tickets/abc", "/api/v2/x"]
)
async def test_missing_records_get_zendesks_404(zd: httpx.AsyncClient, path: str) -> None:
    response = await zd.get(path)
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"assignee_id": 999}, "assignee_id"),
        ({"assignee_id": 401}, "assignee_id"),  # an end user cannot be assigned
        ({"group_id": 999}, "group_id"),
        ({"custom_fields": [{"id": 123, "value": "x"}]}, "custom_fields"),
        ({"status": "bogus"}, "status"),
    ],
)
async def test_invalid_updates_get_zendesks_422_and_change_nothing(
    zd: httpx.AsyncClient, change: dict[str, Any], field: str
) -> None:
    before = (await zd.get("/api/v2/tickets/1001.json")).json()["ticket"]
    response = await put(zd, 1001, {**change, "comment": {"body": "x", "public": False}})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "RecordInvalid"
    assert body["description"] == "Record validation errors"
    assert {"description", "error"} <= set(body["details"][field][0])
    assert (await zd.get("/api/v2/tickets/1001.json")).json()["ticket"] == before


async def test_safe_update_conflicts_on_a_stale_stamp(zd: httpx.AsyncClient) -> None:
    stamp = (await zd.get("/api/v2/tickets/1002.json")).json()["ticket"]["updated_at"]
    first = await put(zd, 1002, {"safe_update": True, "updated_stamp": stamp, "priority": "high"})
    assert first.status_code == 200
    new_stamp = first.json()["ticket"]["updated_at"]
    assert new_stamp > stamp
    stale = await put(zd, 1002, {"safe_update": True, "updated_stamp": stamp, "priority": "low"})
    assert stale.status_code == 409
    assert stale.json()["error"] == "UpdateConflict"
    fresh = await put(zd, 1002, {"safe_update": True, "updated_stamp": new_stamp, "tags": ["a"]})
    assert fresh.status_code == 200


async def test_updated_at_strictly_increases_within_one_second(zd: httpx.AsyncClient) -> None:
    stamps = []
    for n in range(3):
        response = await put(zd, 1003, {"comment": {"body": f"note {n}", "public": False}})
        stamps.append(response.json()["ticket"]["updated_at"])
    assert stamps == sorted(set(stamps))


async def test_tags_add_remove_and_replace(zd: httpx.AsyncClient) -> None:
    added = await put(zd, 1001, {"additional_tags": ["escalated", "Escalation Reason"]})
    assert added.json()["ticket"]["tags"] == ["escalated", "escalation_reason"]
    removed = await put(zd, 1001, {"remove_tags": ["escalated"]})
    assert removed.json()["ticket"]["tags"] == ["escalation_reason"]
    replaced = await put(zd, 1001, {"tags": ["one", "two"]})
    assert replaced.json()["ticket"]["tags"] == ["one", "two"]
    change = replaced.json()["audit"]["events"][0]
    assert change == {
        "id": change["id"],
        "type": "Change",
        "field_name": "tags",
        "value": ["one", "two"],
        "previous_value": ["escalation_reason"],
    }


async def test_email_ccs_put_and_delete_and_unknown_address_becomes_a_user(
    zd: httpx.AsyncClient,
) -> None:
    response = await put(
        zd,
        1001,
        {
            "comment": {"body": "Escalating, see CC", "public": True, "author_id": 401},
            "email_ccs": [
                {"user_email": "escalation@example.com", "user_name": "Escalations"},
                {"user_id": 211, "action": "put"},
            ],
        },
    )
    assert response.status_code == 200
    ticket = response.json()["ticket"]
    found = (await zd.get("/api/v2/users/search.json?query=email:escalation@example.com")).json()
    new_user = found["users"][0]
    assert new_user["role"] == "end-user"
    assert ticket["email_cc_ids"] == [new_user["id"], 211]
    events = response.json()["audit"]["events"]
    comment = next(e for e in events if e["type"] == "Comment")
    assert (comment["author_id"], comment["public"]) == (401, True)
    cc_change = next(e for e in events if e["type"] == "EmailCcChange")
    assert cc_change["previous_email_ccs"] == []
    assert [c["email"] for c in cc_change["current_email_ccs"]] == [
        "escalation@example.com",
        "csm.emea@example.com",
    ]
    deleted = await put(zd, 1001, {"email_ccs": [{"user_id": 211, "action": "delete"}]})
    assert deleted.json()["ticket"]["email_cc_ids"] == [new_user["id"]]


async def test_assignment_followers_and_custom_fields(zd: httpx.AsyncClient) -> None:
    response = await put(
        zd,
        1002,
        {
            "assignee_id": 202,
            "group_id": 302,
            "followers": [{"user_email": "csm.amer@example.com", "action": "put"}],
            "custom_fields": [{"id": 9001, "value": "escalated"}, {"id": 9003, "value": True}],
        },
    )
    ticket = response.json()["ticket"]
    assert (ticket["assignee_id"], ticket["group_id"], ticket["status"]) == (202, 302, "open")
    assert ticket["follower_ids"] == [214]
    values = {f["id"]: f["value"] for f in ticket["custom_fields"]}
    assert values[9001] == "escalated" and values[9003] is True


async def test_audits_cursor_pagination(zd: httpx.AsyncClient) -> None:
    for n in range(4):
        await put(zd, 1002, {"comment": {"body": f"update {n}", "public": False}})
    seen: list[int] = []
    url: str | None = "/api/v2/tickets/1002/audits.json?page[size]=2"
    pages = 0
    while url:
        body = (await zd.get(url)).json()
        seen += [a["id"] for a in body["audits"]]
        assert len(body["audits"]) <= 2
        url = body["links"]["next"] if body["meta"]["has_more"] else None
        pages += 1
    assert pages == 3 and len(seen) == 5 and seen == sorted(seen)
    too_big = await zd.get("/api/v2/tickets/1002/audits.json?page[size]=101")
    assert too_big.status_code == 400


async def test_sideloads(zd: httpx.AsyncClient) -> None:
    include = "users,organizations,groups,last_audits,metric_sets,slas"
    body = (await zd.get(f"/api/v2/tickets/1001.json?include={include}")).json()
    assert body["organizations"][0]["organization_fields"]["region"] == "EMEA"
    assert {u["id"] for u in body["users"]} == {401}
    assert body["groups"] == []
    assert body["last_audits"][0]["ticket_id"] == 1001
    assert body["metric_sets"][0]["replies"] == 0
    assert body["metric_sets"][0]["reply_time_in_minutes"] == {"calendar": None, "business": None}
    sla = body["ticket"]["slas"]["policy_metrics"][0]
    assert (sla["metric"], sla["stage"]) == ("first_reply_time", "active")
    assert sla["hours"] < 0  # urgent, created 3 days ago: breached

    replied = (await zd.get(f"/api/v2/tickets/1004?include={include}")).json()
    assert replied["metric_sets"][0]["replies"] == 1
    assert replied["metric_sets"][0]["reply_time_in_minutes"]["calendar"] == 60
    assert replied["ticket"]["slas"]["policy_metrics"][0]["stage"] == "achieved"
    metrics = (await zd.get("/api/v2/tickets/1004/metrics.json")).json()["ticket_metric"]
    assert metrics["replies"] == 1


async def test_create_ticket_with_new_requester_and_list(zd: httpx.AsyncClient) -> None:
    response = await zd.post(
        "/api/v2/tickets.json",
        json={
            "ticket": {
                "subject": "New one",
                "requester": {"name": "New Person", "email": "new@acme.example"},
                "comment": {"body": "Hello", "public": True},
                "priority": "high",
                "tags": ["x"],
            }
        },
    )
    assert response.status_code == 201
    ticket = response.json()["ticket"]
    assert ticket["id"] == 1005
    assert ticket["description"] == "Hello"
    comments = (await zd.get("/api/v2/tickets/1005/comments.json")).json()["comments"]
    assert comments[0]["author_id"] == ticket["requester_id"]
    listed = (await zd.get("/api/v2/tickets.json")).json()["tickets"]
    assert [t["id"] for t in listed] == [1001, 1002, 1003, 1004, 1005]


async def test_update_many_reports_through_a_job_status(zd: httpx.AsyncClient) -> None:
    response = await zd.put(
        "/api/v2/tickets/update_many.json?ids=1001,1002",
        json={"ticket": {"additional_tags": ["bulk"]}},
    )
    job = response.json()["job_status"]
    done = (await zd.get(f"/api/v2/job_statuses/{job['id']}.json")).json()["job_status"]
    assert done["status"] == "completed"
    assert [r["id"] for r in done["results"]] == [1001, 1002]
    for tid in (1001, 1002):
        assert "bulk" in (await zd.get(f"/api/v2/tickets/{tid}")).json()["ticket"]["tags"]


async def test_users_orgs_groups_and_admin_objects(zd: httpx.AsyncClient) -> None:
    me = (await zd.get("/api/v2/users/me.json")).json()["user"]
    assert (me["id"], me["role"]) == (1, "admin")
    found = (await zd.get("/api/v2/users/search.json?query=emea.manager@example.com")).json()
    assert found["users"][0]["id"] == 201
    many = (await zd.get("/api/v2/users/show_many.json?ids=201,202,9")).json()["users"]
    assert [u["name"] for u in many] == ["Eva Jansen", "Alex Miller"]
    org = (await zd.get("/api/v2/organizations/104.json")).json()["organization"]
    assert org["organization_fields"]["support_contract_expires"] == "2024-01-31"
    groups = (await zd.get("/api/v2/groups.json")).json()["groups"]
    assert [g["id"] for g in groups] == [300, 301, 302, 303]
    sla = (await zd.get("/api/v2/slas/policies.json")).json()["sla_policies"][0]
    assert {m["priority"]: m["target"] for m in sla["policy_metrics"]}["urgent"] == 60
    hooks = (await zd.get("/api/v2/webhooks.json")).json()["webhooks"]
    assert hooks[0]["name"] == "Escalator (sandbox)"
    secret = (await zd.get(f"/api/v2/webhooks/{hooks[0]['id']}/signing_secret.json")).json()
    assert secret["signing_secret"]["algorithm"] == "SHA256"
    view = await zd.post(
        "/api/v2/views.json", json={"view": {"title": "Escalated", "all": [], "output": {}}}
    )
    assert view.status_code == 201
    field = await zd.post(
        "/api/v2/ticket_fields.json", json={"ticket_field": {"type": "text", "title": "New"}}
    )
    assert field.status_code == 201
    fid = field.json()["ticket_field"]["id"]
    assert (await zd.get(f"/api/v2/ticket_fields/{fid}")).json()["ticket_field"]["title"] == "New"
