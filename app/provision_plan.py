"""What `escalator zendesk provision` wants in Zendesk, and how that differs from what is there.

Pure: plain dicts in (as Zendesk's API returns them), specs and differences out. The zenpy calls
live in `app/provision.py`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

JSON = dict[str, Any]

TRIGGER_CONNECTED = "conditional_ticket_events"
EVENT_TYPES = tuple(
    f"zen:event-type:ticket.{name}"
    for name in ("comment_added", "email_ccs_changed", "created", "status_changed", "tags_changed")
)
WEBHOOK_NAME = "Escalator"
VIEW_TITLE = "Escalated tickets"
TRIGGER_TITLE = "Escalator: CSM escalation request"
# `nice_id` is the ticket id column in the Views API; Zendesk allows at most 10 columns.
VIEW_COLUMNS: tuple[str, ...] = (
    "nice_id",
    "subject",
    "requester",
    "organization",
    "assignee",
    "group",
    "priority",
    "updated",
)


@dataclass(frozen=True)
class FieldSpec:
    key: str  # the rules file's `fields:` key
    title: str
    type: str


FIELD_SPECS: tuple[FieldSpec, ...] = (
    FieldSpec("status", "Escalation status", "text"),
    FieldSpec("basis", "Escalation basis", "text"),
    FieldSpec("sla_breach_eligible", "SLA breach eligible", "checkbox"),
    FieldSpec("business_impact", "Business impact", "textarea"),
)

Verb = Literal["create", "update", "unchanged", "skip"]


@dataclass(frozen=True)
class Step:
    """One line of the plan: what happens (or happened) to one Zendesk object."""

    verb: Verb
    kind: str
    name: str
    object_id: int | str | None = None
    reason: str = ""

    def line(self) -> str:
        text = f'{self.verb} {self.kind} "{self.name}"'
        if self.object_id is not None:
            text += f" (id {self.object_id})"
        return f"{text}: {self.reason}" if self.reason else text


# ---- ticket fields ---------------------------------------------------------------------------


def _first(*groups: list[JSON]) -> JSON | None:
    return next((items[0] for items in groups if items), None)


def find_by(items: list[JSON], key: str, value: str) -> JSON | None:
    """The first item whose `key` equals `value`, preferring active ones (Zendesk keeps
    deactivated duplicates around, and reviving one beats creating a third)."""
    matches = [item for item in items if str(item.get(key) or "").strip() == value]
    active = [item for item in matches if item.get("active", True)]
    return _first(active, matches)


def field_conflict(existing: JSON, spec: FieldSpec) -> str | None:
    """Zendesk cannot change a field's type, so a same-titled field of another type blocks us."""
    if existing.get("type") == spec.type:
        return None
    return (
        f'ticket field "{spec.title}" (id {existing.get("id")}) is of type '
        f"{existing.get('type')!r}, Escalator needs {spec.type!r}: rename or delete it in "
        "Admin Center, then run provisioning again"
    )


def field_differences(existing: JSON) -> list[str]:
    return [] if existing.get("active", True) else ["inactive"]


# ---- views -----------------------------------------------------------------------------------


def _condition(field: str, operator: str, value: Any) -> JSON:
    return {"field": field, "operator": operator, "value": value}


def view_spec(title: str, *, group_id: int | None, status_field_id: int | None) -> JSON:
    conditions = [
        _condition("current_tags", "includes", "escalated"),
        _condition("status", "less_than", "solved"),
    ]
    if group_id is not None:
        conditions.append(_condition("group_id", "is", str(group_id)))
    columns: list[str | int] = list(VIEW_COLUMNS)
    if status_field_id is not None:
        columns.append(status_field_id)
    return {"title": title, "all": conditions, "any": [], "output": {"columns": columns}}


def region_view_title(region: str) -> str:
    return f"{VIEW_TITLE} — {region}"


def _condition_set(raw: list[JSON] | None) -> set[tuple[str, str, str]]:
    # Zendesk echoes values as strings ("301"); compare as text, ignoring order.
    return {(str(c.get("field")), str(c.get("operator")), str(c.get("value"))) for c in raw or []}


def _conditions(rule: JSON) -> tuple[set[tuple[str, str, str]], set[tuple[str, str, str]]]:
    """`all`/`any` of a view or trigger: Zendesk answers `conditions: {all, any}`; what was
    posted (and what the sandbox stores) has them at the top level."""
    nested = rule.get("conditions") or {}
    return (
        _condition_set(nested.get("all") or rule.get("all")),
        _condition_set(nested.get("any") or rule.get("any")),
    )


def _columns(view: JSON) -> list[str] | None:
    """Column ids, from `output.columns` (posted shape) or `execution.columns` (Zendesk's
    answer, `{id, title}` objects); None when the view shows neither."""
    output = view.get("output") or {}
    if output.get("columns"):
        return [str(c) for c in output["columns"]]
    execution = view.get("execution") or {}
    if execution.get("columns"):
        return [str(c.get("id") if isinstance(c, dict) else c) for c in execution["columns"]]
    return None


def view_differences(existing: JSON, desired: JSON) -> list[str]:
    differences = []
    if _conditions(existing) != _conditions(desired):
        differences.append("conditions differ")
    columns = _columns(existing)
    if columns is not None and columns != _columns(desired):
        differences.append("columns differ")
    if not existing.get("active", True):
        differences.append("inactive")
    return differences


# ---- webhook ---------------------------------------------------------------------------------


def webhook_spec(endpoint: str) -> JSON:
    return {
        "name": WEBHOOK_NAME,
        "endpoint": endpoint,
        "http_method": "POST",
        "request_format": "json",
        "status": "active",
        "subscriptions": list(EVENT_TYPES),
    }


def is_trigger_connected(hook: JSON) -> bool:
    return TRIGGER_CONNECTED in (hook.get("subscriptions") or [])


def find_event_webhook(hooks: list[JSON], *, endpoint: str) -> JSON | None:
    """Ours, by name, else by endpoint. Zendesk cannot switch a webhook between trigger-connected
    and event-subscribed, so a trigger-connected match is never ours to update."""
    candidates = [h for h in hooks if not is_trigger_connected(h)]
    by_name = [h for h in candidates if h.get("name") == WEBHOOK_NAME]
    by_endpoint = [h for h in candidates if h.get("endpoint") == endpoint]
    return _first(by_name, by_endpoint)


def find_trigger_webhook(hooks: list[JSON], *, endpoint: str) -> JSON | None:
    """A trigger-connected webhook sending to Escalator, if the account has one."""
    matches = [h for h in hooks if is_trigger_connected(h) and h.get("endpoint") == endpoint]
    return _first(matches)


def webhook_differences(existing: JSON, desired: JSON) -> list[str]:
    differing = []
    for key, value in desired.items():
        current = existing.get(key)
        if key == "subscriptions":
            current, value = sorted(current or []), sorted(value)
        if current != value:
            differing.append(key)
    return [f"{', '.join(differing)} differ"] if differing else []


# ---- trigger ---------------------------------------------------------------------------------


def trigger_spec(*, webhook_id: str, body: str, tag: str) -> JSON:
    return {
        "title": TRIGGER_TITLE,
        "conditions": {"all": [_condition("current_tags", "includes", tag)], "any": []},
        "actions": [{"field": "notification_webhook", "value": [webhook_id, body]}],
    }


def _webhook_action(trigger: JSON) -> tuple[str, Any] | None:
    for action in trigger.get("actions") or []:
        value = action.get("value")
        if action.get("field") == "notification_webhook" and isinstance(value, list):
            if len(value) != 2:
                return None
            try:
                # Bodies are compared as JSON: Zendesk may reformat the text it stores.
                return str(value[0]), json.loads(value[1])
            except (TypeError, ValueError):
                return str(value[0]), value[1]
    return None


def trigger_differences(existing: JSON, desired: JSON) -> list[str]:
    differences = []
    if _conditions(existing) != _conditions(desired):
        differences.append("conditions differ")
    if _webhook_action(existing) != _webhook_action(desired):
        differences.append("webhook action differs")
    if not existing.get("active", True):
        differences.append("inactive")
    return differences


# ---- rules file ------------------------------------------------------------------------------

_TOP_FIELDS = re.compile(r"^fields:[ \t]*(?P<rest>.*)$")
_KEY_LINE = re.compile(
    r"^(?P<indent>[ \t]+)(?P<key>\w+)(?P<sep>[ \t]*:[ \t]*)(?P<value>[^#\s]*)"
    r"(?P<gap>[ \t]*)(?P<comment>#.*)?$"
)


def _block_line(key: str, value: int, indent: str = "  ") -> str:
    return f"{indent}{key}: {value}\n"


def replace_fields_block(text: str, ids: dict[str, int]) -> str:
    """`text` with the `fields:` section's ids replaced, by text so the admins' comments stay.

    Keys are rewritten in place (keeping each comment's column where the new value fits);
    missing keys are added; a flow-style `fields: {...}` becomes a block; no section at all is
    appended at the end.
    """
    lines = text.splitlines(keepends=True)
    heads = [(i, m) for i, line in enumerate(lines) if (m := _TOP_FIELDS.match(line))]
    if not heads:
        tail = "" if not text or text.endswith("\n") else "\n"
        block = "".join(_block_line(k, v) for k, v in ids.items())
        return f"{text}{tail}\nfields:\n{block}"
    start, head_match = heads[0]
    rest = head_match["rest"]
    if rest.strip() and not rest.strip().startswith("#"):
        # Flow style (`fields: {status: 1}`): a block replaces the line.
        block = "".join(_block_line(k, v) for k, v in ids.items())
        return "".join([*lines[:start], "fields:\n", block, *lines[start + 1 :]])
    end = start + 1
    last_content = start
    while end < len(lines) and (not lines[end].strip() or lines[end][0] in " \t"):
        if lines[end].strip():
            last_content = end
        end += 1
    block_lines = lines[start + 1 : last_content + 1]
    seen: set[str] = set()
    indent = "  "
    for i, line in enumerate(block_lines):
        match = _KEY_LINE.match(line.rstrip("\n"))
        if not match or match["key"] not in ids:
            continue
        key = match["key"]
        seen.add(key)
        indent = match["indent"]
        head = f"{indent}{key}{match['sep']}{ids[key]}"
        if match["comment"]:
            old_width = len(match["indent"] + key + match["sep"] + match["value"] + match["gap"])
            head = head.ljust(old_width) if len(head) < old_width else head + " "
            head += match["comment"]
        block_lines[i] = head + "\n"
    missing = [_block_line(k, v, indent) for k, v in ids.items() if k not in seen]
    return "".join([*lines[: start + 1], *block_lines, *missing, *lines[last_content + 1 :]])
