"""What the admin pages compute: rules diffs and the dry-run form's request."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.active_rules import ActiveRules
from app.clients.zendesk import ZendeskClient, ZendeskError
from app.dryrun import DryRunRequest
from app.models import Escalation, RulesVersion
from app.rules.config import RulesConfig
from app.rules.context import Comment, Organization, Ticket

DiffKind = Literal["add", "del", "hunk", "file", "same"]


@dataclass(frozen=True)
class DiffLine:
    kind: DiffKind
    text: str


async def version_text(session: AsyncSession, rules: ActiveRules, version: str) -> str | None:
    """A saved version's YAML by id, or `file` for the rules file the service started with."""
    if version == "file":
        return _file_text(rules)
    if not version.isdigit():
        return None
    row = await session.get(RulesVersion, int(version))
    return row.text if row else None


def _file_text(rules: ActiveRules) -> str | None:
    # The file is only kept in memory while no saved version replaced it.
    return rules.snapshot.text if rules.snapshot.version is None else None


def diff_lines(old: str, new: str, *, old_name: str, new_name: str) -> list[DiffLine]:
    lines: list[DiffLine] = []
    for line in difflib.unified_diff(
        old.splitlines(), new.splitlines(), fromfile=old_name, tofile=new_name, lineterm=""
    ):
        if line.startswith(("---", "+++")):
            lines.append(DiffLine("file", line))
        elif line.startswith("@@"):
            lines.append(DiffLine("hunk", line))
        elif line.startswith("+"):
            lines.append(DiffLine("add", line))
        elif line.startswith("-"):
            lines.append(DiffLine("del", line))
        else:
            lines.append(DiffLine("same", line))
    return lines


class DryRunForm(BaseModel):
    """The admin page's dry-run form, before it becomes a DryRunRequest."""

    comment: str = Field(default="", max_length=20_000)
    organization: str = Field(default="", max_length=60)
    subject: str = Field(default="", max_length=500)
    priority: Literal["urgent", "high", "normal", "low"] = "urgent"
    hours_open: float = Field(default=2.0, ge=0, le=24 * 365)
    ticket_id: int = Field(default=1, ge=1)
    cc_escalation: bool = True


def example_organizations(rules: RulesConfig) -> list[tuple[str, str]]:
    """(value, label) choices needing no Zendesk call: one customer per region, plus the cases
    the rules treat specially."""
    choices = [(f"region:{name}", f"Customer in {name} (valid contract)") for name in rules.regions]
    choices += [("expired", "Customer with an expired contract"), ("none", "No organisation")]
    return choices


async def known_organizations(session: AsyncSession) -> list[tuple[str, str]]:
    """Organisations seen in escalations, looked up in Zendesk when picked."""
    rows = await session.execute(
        select(Escalation.organization_id, Escalation.organization_name)
        .where(Escalation.organization_id.is_not(None))
        .distinct()
        .order_by(Escalation.organization_name)
        .limit(200)
    )
    return [(f"zendesk:{oid}", f"{name or oid} (from Zendesk)") for oid, name in rows.tuples()]


class OrganizationUnavailable(Exception):
    pass


async def organization_for(
    choice: str, *, rules: RulesConfig, zendesk: ZendeskClient, now: datetime
) -> Organization | None:
    if choice.startswith("zendesk:") and choice[8:].isdigit():
        try:
            return await zendesk.get_organization(int(choice[8:]))
        except ZendeskError as e:
            raise OrganizationUnavailable(f"Zendesk could not load that organisation: {e}") from e
    if choice == "none" or not choice:
        return None
    expired = choice == "expired"
    region = choice.removeprefix("region:") if not expired else rules.default_region
    expires = (now - timedelta(days=30)) if expired else (now + timedelta(days=365))
    return Organization(
        id=1,
        name=f"Example customer ({region})",
        organization_fields={
            rules.region_field: region,
            rules.contract.field: expires.date().isoformat(),
        },
    )


def dry_run_request(
    form: DryRunForm, *, organization: Organization | None, rules: RulesConfig, now: datetime
) -> DryRunRequest:
    """A comment on a ticket, as the pipeline would see it when it arrives."""
    return DryRunRequest(
        ticket=Ticket(
            id=form.ticket_id,
            subject=form.subject or None,
            priority=form.priority,
            created_at=now - timedelta(hours=form.hours_open),
            organization_id=organization.id if organization else None,
        ),
        organization=organization,
        comment=Comment(body=form.comment, public=True, author_is_staff=False),
        added_email_ccs=[str(rules.escalation_addresses[0])] if form.cc_escalation else [],
        now=now,
    )
