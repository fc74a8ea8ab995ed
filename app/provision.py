"""`escalator zendesk provision`: create or update the Zendesk objects Escalator relies on.

Admin-time only, through zenpy (synchronous and GPLv3, hence the optional `provision` extra and
the lazy import): nothing here is imported by the service's request path. Idempotent: every
object is matched first (fields and views by title, the webhook by name or endpoint, the trigger
by title) and only created when missing or updated when it differs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from app.errors import AppError
from app.provision_plan import (
    FIELD_SPECS,
    JSON,
    TRIGGER_TITLE,
    VIEW_TITLE,
    Step,
    Verb,
    field_conflict,
    field_differences,
    find_by,
    find_event_webhook,
    find_trigger_webhook,
    region_view_title,
    replace_fields_block,
    trigger_differences,
    trigger_spec,
    view_differences,
    view_spec,
    webhook_differences,
    webhook_spec,
)
from app.rules.config import RulesConfig, RulesError, load_rules, load_rules_file
from app.settings import Settings

TRIGGER_BODY_PATH = Path(__file__).parent / "templates" / "zendesk" / "trigger_body.json"
T = TypeVar("T")


class ProvisionError(AppError):
    """Provisioning stopped; the message is one line for the admin (the CLI exits 1)."""


@dataclass
class ProvisionReport:
    zendesk_url: str
    dry_run: bool
    steps: list[Step] = field(default_factory=list)
    field_ids: dict[str, int | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        heading = f"Zendesk {self.zendesk_url}"
        out = [f"{heading} (dry run: nothing was changed)" if self.dry_run else heading]
        out += [f"  {step.line()}" for step in self.steps]
        out.append("Rules file `fields:` section:")
        out.append("  fields:")
        out += [
            f"    {key}: {fid or '(created on a real run)'}" for key, fid in self.field_ids.items()
        ]
        out += self.notes
        return out


# ---- the zenpy boundary ----------------------------------------------------------------------


def _api_message(error: Exception) -> str:
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None)
    try:
        body = response.json() if response is not None else {}
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    # Zendesk answers {"error", "description", "details"} or {"errors": [...]}: take what's there.
    parts = [str(body[k]) for k in ("error", "description") if body.get(k)]
    if body.get("details"):
        parts.append(json.dumps(body["details"]))
    for item in body.get("errors") or []:
        parts.append(str(item.get("detail") or item.get("title") or item))
    text = "; ".join(parts) or str(error) or type(error).__name__
    return f"{status} {text}" if status else text


@contextmanager
def _zenpy_target(base_url: str) -> Iterator[str]:
    """Yield zenpy's subdomain for `base_url`; anything but https://<sub>.zendesk.com (the
    sandbox) is reached through zenpy's ZENPY_FORCE_NETLOC/SCHEME, set only for this call."""
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    if parts.scheme == "https" and host.endswith(".zendesk.com") and not parts.port:
        yield host.removesuffix(".zendesk.com")
        return
    saved = {name: os.environ.get(name) for name in ("ZENPY_FORCE_NETLOC", "ZENPY_FORCE_SCHEME")}
    os.environ["ZENPY_FORCE_NETLOC"] = parts.netloc
    os.environ["ZENPY_FORCE_SCHEME"] = parts.scheme or "http"
    try:
        yield "sandbox"  # zenpy insists on a subdomain even when the netloc is forced
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class ZendeskAdmin:
    """The few admin endpoints provisioning needs, as plain dicts; every zenpy or transport
    error becomes a ProvisionError naming what was being done."""

    def __init__(self, settings: Settings, subdomain: str) -> None:
        try:
            from zenpy import Zenpy
            from zenpy.lib import api_objects
        except ImportError as e:
            raise ProvisionError(
                "zenpy is not installed: pip install 'escalator[provision]'"
            ) from e
        self._objects = api_objects
        self._zenpy = Zenpy(
            subdomain=subdomain,
            email=settings.zendesk_login,
            token=settings.secret("api_token"),
            timeout=settings.zendesk_timeout_seconds,
            disable_cache=True,  # listing right after creating must see the new object
        )
        self._url = settings.zendesk_base_url

    def _call(self, doing: str, fn: Callable[[], T]) -> T:
        import requests
        from zenpy.lib.exception import APIException, ZenpyException

        try:
            return fn()
        except APIException as e:
            status = getattr(getattr(e, "response", None), "status_code", None)
            hint = (
                ": check ZENDESK_EMAIL and ZENDESK_API_TOKEN (an admin's API token)"
                if status in (401, 403)
                else ""
            )
            raise ProvisionError(f"Zendesk refused to {doing}: {_api_message(e)}{hint}") from e
        except requests.RequestException as e:
            raise ProvisionError(f"cannot reach Zendesk at {self._url} to {doing}: {e}") from e
        except ZenpyException as e:
            raise ProvisionError(f"cannot {doing}: {e}") from e

    @staticmethod
    def _dicts(items: Any) -> list[JSON]:
        return [item.to_dict() for item in items]

    def ticket_fields(self) -> list[JSON]:
        return self._call("list ticket fields", lambda: self._dicts(self._zenpy.ticket_fields()))

    def create_ticket_field(self, data: JSON) -> JSON:
        made = self._call(
            f"create ticket field {data['title']!r}",
            lambda: self._zenpy.ticket_fields.create(self._objects.TicketField(**data)),
        )
        result: JSON = made.to_dict()
        return result

    def update_ticket_field(self, field_id: int, data: JSON) -> None:
        self._call(
            f"update ticket field {field_id}",
            lambda: self._zenpy.ticket_fields.update(
                self._objects.TicketField(id=field_id, **data)
            ),
        )

    def views(self) -> list[JSON]:
        return self._call("list views", lambda: self._dicts(self._zenpy.views()))

    def create_view(self, data: JSON) -> JSON:
        made = self._call(
            f"create view {data['title']!r}",
            lambda: self._zenpy.views.create(self._objects.View(**data)),
        )
        result: JSON = made.to_dict()
        return result

    def update_view(self, view_id: int, data: JSON) -> None:
        self._call(
            f"update view {view_id}",
            lambda: self._zenpy.views.update(self._objects.View(id=view_id, **data)),
        )

    def triggers(self) -> list[JSON]:
        return self._call("list triggers", lambda: self._dicts(self._zenpy.triggers()))

    def create_trigger(self, data: JSON) -> JSON:
        made = self._call(
            f"create trigger {data['title']!r}",
            lambda: self._zenpy.triggers.create(self._objects.Trigger(**data)),
        )
        result: JSON = made.to_dict()
        return result

    def update_trigger(self, trigger_id: int, data: JSON) -> None:
        self._call(
            f"update trigger {trigger_id}",
            lambda: self._zenpy.triggers.update(self._objects.Trigger(id=trigger_id, **data)),
        )

    def webhooks(self) -> list[JSON]:
        return self._call("list webhooks", lambda: self._dicts(self._zenpy.webhooks.list()))

    def create_webhook(self, data: JSON) -> JSON:
        made = self._call(
            f"create webhook {data['name']!r}",
            lambda: self._zenpy.webhooks.create(self._objects.Webhook(**data)),
        )
        result: JSON = made.to_dict()
        return result

    def update_webhook(self, webhook_id: str, data: JSON) -> None:
        # zenpy's webhook update sends the whole object (a PUT), which is what we want.
        self._call(
            f"update webhook {webhook_id}",
            lambda: self._zenpy.webhooks.update(webhook_id, self._objects.Webhook(**data)),
        )

    def signing_secret(self, webhook_id: str) -> str:
        found = self._call(
            f"read webhook {webhook_id}'s signing secret",
            lambda: self._zenpy.webhooks.show_secret(webhook_id),
        )
        return str(getattr(found, "secret", "") or "")


# ---- provisioning ----------------------------------------------------------------------------


def _load_rules(path: Path) -> RulesConfig:
    try:
        return load_rules_file(path)
    except RulesError as e:
        raise ProvisionError(f"rules file {path} is invalid: {e.detail}") from e


class _Run:
    """One provisioning pass: each object is planned, then written unless this is a dry run."""

    def __init__(self, admin: ZendeskAdmin, report: ProvisionReport) -> None:
        self.admin = admin
        self.report = report
        self.dry_run = report.dry_run

    def step(self, step: Step) -> None:
        self.report.steps.append(step)

    def fields(self) -> dict[str, int | None]:
        existing = self.admin.ticket_fields()
        found = {spec.key: find_by(existing, "title", spec.title) for spec in FIELD_SPECS}
        # Every conflict is checked before the first write: a half-provisioned account is worse.
        for spec in FIELD_SPECS:
            current = found[spec.key]
            problem = field_conflict(current, spec) if current else None
            if problem:
                raise ProvisionError(problem)
        ids: dict[str, int | None] = {}
        for spec in FIELD_SPECS:
            current = found[spec.key]
            if current is None:
                created = None
                if not self.dry_run:
                    created = self.admin.create_ticket_field(
                        {"title": spec.title, "type": spec.type}
                    )
                ids[spec.key] = int(created["id"]) if created else None
                self.step(Step("create", "ticket field", spec.title, ids[spec.key], spec.type))
                continue
            ids[spec.key] = int(current["id"])
            differences = field_differences(current)
            if differences and not self.dry_run:
                self.admin.update_ticket_field(ids[spec.key] or 0, {"active": True})
            verb: Verb = "update" if differences else "unchanged"
            self.step(Step(verb, "ticket field", spec.title, ids[spec.key], ", ".join(differences)))
        return ids

    def views(self, rules: RulesConfig, status_field_id: int | None) -> None:
        existing = self.admin.views()
        wanted = [view_spec(VIEW_TITLE, group_id=None, status_field_id=status_field_id)]
        wanted += [
            view_spec(
                region_view_title(name), group_id=region.group_id, status_field_id=status_field_id
            )
            for name, region in rules.regions.items()
        ]
        for desired in wanted:
            title = desired["title"]
            current = find_by(existing, "title", title)
            if current is None:
                created = None if self.dry_run else self.admin.create_view(desired)
                self.step(Step("create", "view", title, created["id"] if created else None))
                continue
            differences = view_differences(current, desired)
            if differences and not self.dry_run:
                self.admin.update_view(int(current["id"]), {**desired, "active": True})
            verb: Verb = "update" if differences else "unchanged"
            self.step(Step(verb, "view", title, current["id"], ", ".join(differences)))

    def webhooks(self, endpoint: str) -> tuple[str | None, JSON | None]:
        """The event-subscribed webhook's id, and the trigger-connected one sending to us."""
        existing = self.admin.webhooks()
        desired = webhook_spec(endpoint)
        current = find_event_webhook(existing, endpoint=endpoint)
        if current is None:
            created = None if self.dry_run else self.admin.create_webhook(desired)
            hook_id = str(created["id"]) if created else None
            self.step(Step("create", "webhook", desired["name"], hook_id, endpoint))
        else:
            hook_id = str(current["id"])
            differences = webhook_differences(current, desired)
            if differences and not self.dry_run:
                self.admin.update_webhook(hook_id, desired)
            verb: Verb = "update" if differences else "unchanged"
            self.step(Step(verb, "webhook", desired["name"], hook_id, ", ".join(differences)))
        return hook_id, find_trigger_webhook(existing, endpoint=endpoint)

    def trigger(self, rules: RulesConfig, trigger_hook: JSON | None) -> None:
        if trigger_hook is None:
            # Zendesk cannot connect an event-subscribed webhook to a trigger.
            self.step(
                Step(
                    "skip",
                    "trigger",
                    TRIGGER_TITLE,
                    reason="no trigger-connected webhook sends to this endpoint; the event "
                    "webhook already delivers tag changes",
                )
            )
            return
        desired = trigger_spec(
            webhook_id=str(trigger_hook["id"]),
            body=TRIGGER_BODY_PATH.read_text(encoding="utf-8"),
            tag=rules.csm_request_tag,
        )
        current = find_by(self.admin.triggers(), "title", TRIGGER_TITLE)
        if current is None:
            created = None if self.dry_run else self.admin.create_trigger(desired)
            reason = f"notifies webhook {trigger_hook['id']}"
            self.step(
                Step("create", "trigger", TRIGGER_TITLE, created["id"] if created else None, reason)
            )
            return
        differences = trigger_differences(current, desired)
        if differences and not self.dry_run:
            self.admin.update_trigger(int(current["id"]), {**desired, "active": True})
        verb: Verb = "update" if differences else "unchanged"
        self.step(Step(verb, "trigger", TRIGGER_TITLE, current["id"], ", ".join(differences)))

    def secret_notes(
        self, settings: Settings, hook_id: str | None, trigger_hook: JSON | None
    ) -> None:
        if hook_id is None:
            self.report.notes.append(
                "Webhook signing secret: available after a real run (no webhook exists yet)."
            )
            return
        secret = self.admin.signing_secret(hook_id)
        # A hint only: the full secret would end up in terminal scrollback and CI logs.
        hint = f"{secret[:4]}… ({len(secret)} characters)" if secret else "(empty)"
        url = f"{settings.zendesk_base_url}/api/v2/webhooks/{hook_id}/signing_secret"
        self.report.notes += [
            f"Webhook signing secret: {hint}. Set ZENDESK_WEBHOOK_SECRET to it; read it with:",
            f'  curl -u "$ZENDESK_EMAIL/token:$ZENDESK_API_TOKEN" {url}',
        ]
        if settings.sandbox_mode:
            self.report.notes.append(
                "Sandbox: it sends only through its seeded webhook, signed with the sandbox's "
                "published secret; leave ZENDESK_WEBHOOK_SECRET unset."
            )
        if trigger_hook is not None and str(trigger_hook["id"]) != hook_id:
            self.report.notes.append(
                f"Note: the trigger's webhook {trigger_hook['id']} has its own signing secret; "
                "Escalator verifies only ZENDESK_WEBHOOK_SECRET, so its deliveries verify only if "
                "that webhook's secret is the one you set."
            )


def _write_rules(path: Path, ids: dict[str, int | None], report: ProvisionReport) -> None:
    if report.dry_run or any(fid is None for fid in ids.values()):
        report.notes.append(f"Would write the field ids into {path} (dry run: not written).")
        return
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ProvisionError(f"cannot read {path}: {e}") from e
    updated = replace_fields_block(text, {k: v for k, v in ids.items() if v is not None})
    try:
        load_rules(updated)  # never leave the admins a rules file the service refuses
    except RulesError as e:
        raise ProvisionError(f"{path} would not validate with the new ids: {e.detail}") from e
    if updated == text:
        report.notes.append(f"{path}: field ids already up to date.")
        return
    tmp = path.with_name(f".{path.name}.provision.tmp")
    try:
        tmp.write_text(updated, encoding="utf-8")
        tmp.replace(path)  # atomic: a crash leaves the old file, never half a file
    except OSError as e:
        raise ProvisionError(f"cannot write {path}: {e}") from e
    report.notes.append(f"Wrote the field ids into {path} (comments kept).")


def provision(
    settings: Settings,
    *,
    webhook_url: str | None = None,
    dry_run: bool = False,
    write_rules: Path | None = None,
) -> ProvisionReport:
    """Create or update Escalator's ticket fields, views, webhook and trigger in Zendesk."""
    rules = _load_rules(settings.rules_file)
    endpoint = f"{(webhook_url or settings.service_url).rstrip('/')}/webhooks/zendesk"
    report = ProvisionReport(zendesk_url=settings.zendesk_base_url, dry_run=dry_run)
    with _zenpy_target(settings.zendesk_base_url) as subdomain:
        run = _Run(ZendeskAdmin(settings, subdomain), report)
        ids = run.fields()
        report.field_ids = ids
        run.views(rules, ids["status"])
        hook_id, trigger_hook = run.webhooks(endpoint)
        run.trigger(rules, trigger_hook)
        run.secret_notes(settings, hook_id, trigger_hook)
    if write_rules is not None:
        _write_rules(write_rules, ids, report)
    else:
        report.notes.append(
            f"Put these ids under `fields:` in {settings.rules_file}, or run again with "
            "--write-rules PATH."
        )
    return report
