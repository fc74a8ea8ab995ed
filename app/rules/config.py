"""The rules file: the YAML integration admins own, its schema, and readable load errors.

Every section forbids unknown keys: a misspelt key (`escalation_adresses`) would otherwise be
ignored silently and the service would run on defaults the admin never chose.
"""

from __future__ import annotations

import re
from datetime import date, time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    PositiveInt,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from app.errors import AppError
from app.rules.detect import ImpactSettings
from app.rules.templates import DEFAULT_TEMPLATES, check_template

Priority = Literal["urgent", "high", "normal", "low"]
IncidentImpact = Literal["none", "minor", "major", "critical"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class RulesError(AppError):
    """The rules file is unusable; `lines` holds one `path: message` per problem."""

    status_code = 422

    def __init__(self, lines: list[str]) -> None:
        super().__init__("; ".join(lines), lines=lines)
        self.lines = lines


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ValueError(f"unknown time zone {value!r}") from e
    return value


class RegionalManager(Section):
    """The support manager who owns escalations of one region (seed step 6)."""

    id: int
    email: EmailStr
    name: str


class Region(Section):
    manager: RegionalManager
    group_id: int


class AccountTeam(Section):
    """Organisation fields holding the account team's emails (seed: "What Happens")."""

    csm_email: str | None = "csm_email"
    partner_manager_email: str | None = "partner_manager_email"
    account_executive_email: str | None = "account_executive_email"
    # Followers must be agents in Zendesk; email CCs may be anyone (e.g. partner managers).
    add_as: Literal["followers", "email_ccs"] = "followers"

    def fields(self) -> list[str]:
        names = (self.csm_email, self.partner_manager_email, self.account_executive_email)
        return [name for name in names if name]


class Contract(Section):
    field: str = "support_contract_expires"
    # What an organisation without an expiry date gets: most accounts record one, so a gap
    # usually means a prospect or a data problem, hence deny by default.
    when_missing: Literal["allow", "deny"] = "deny"


class PriorityMinutes(Section):
    urgent: PositiveInt = 60
    high: PositiveInt = 240
    normal: PositiveInt = 480
    low: PositiveInt = 1440

    def for_priority(self, priority: Priority) -> int:
        value: int = getattr(self, priority)
        return value


class PriorityHours(Section):
    urgent: PositiveInt = 4
    high: PositiveInt = 24
    normal: PositiveInt = 48
    low: PositiveInt = 72

    def for_priority(self, priority: Priority) -> int:
        value: int = getattr(self, priority)
        return value


class BusinessHours(Section):
    timezone: str = "Europe/Amsterdam"
    days: list[Weekday] = Field(default_factory=lambda: list(WEEKDAYS[:5]), min_length=1)
    start: time = time(9, 0)
    end: time = time(17, 0)
    holidays: list[date] = Field(default_factory=list)

    _zone = field_validator("timezone")(_check_zone)

    @model_validator(mode="after")
    def _end_after_start(self) -> BusinessHours:
        if self.end <= self.start:
            raise ValueError("end must be later than start")
        return self

    def weekdays(self) -> set[int]:
        return {WEEKDAYS.index(day) for day in self.days}


class Sla(Section):
    first_reply_minutes: PriorityMinutes = Field(default_factory=PriorityMinutes)
    default_priority: Priority = "normal"
    hours: Literal["calendar", "business"] = "calendar"
    business_hours: BusinessHours = Field(default_factory=BusinessHours)
    # Zendesk's own SLA clock knows pauses and policies the rules file cannot see.
    prefer_zendesk: bool = True


class Fields(Section):
    """Zendesk custom ticket field ids Escalator writes."""

    status: int
    basis: int
    sla_breach_eligible: int
    business_impact: int


class Templates(Section):
    acknowledgement: str = DEFAULT_TEMPLATES["acknowledgement"]
    internal_note: str = DEFAULT_TEMPLATES["internal_note"]
    needs_business_impact: str = DEFAULT_TEMPLATES["needs_business_impact"]
    not_eligible: str = DEFAULT_TEMPLATES["not_eligible"]
    outage: str = DEFAULT_TEMPLATES["outage"]
    reminder: str = DEFAULT_TEMPLATES["reminder"]
    already_escalated: str = DEFAULT_TEMPLATES["already_escalated"]
    email_linked: str = DEFAULT_TEMPLATES["email_linked"]
    email_needs_ticket: str = DEFAULT_TEMPLATES["email_needs_ticket"]

    @field_validator("*")
    @classmethod
    def _renders(cls, text: str, info: ValidationInfo) -> str:
        # A field validator (not a model one) so every broken template gets its own line.
        problem = check_template(str(info.field_name), text)
        if problem:
            raise ValueError(problem)
        return text


class Outage(Section):
    # Incidents below this Statuspage impact do not deprioritise an escalation.
    min_impact: IncidentImpact = "major"
    # Statuspage component names; empty means any component counts.
    components: list[str] = Field(default_factory=list)


class Recurring(Section):
    window_days: PositiveInt = 30
    threshold: PositiveInt = 3


class RulesConfig(Section):
    escalation_addresses: list[EmailStr] = Field(min_length=1)
    # The support organisation's zone: contract expiry dates are days in this zone.
    timezone: str = "Europe/Amsterdam"
    business_impact: ImpactSettings = Field(default_factory=ImpactSettings)
    # Organisation field that holds the region; unknown or empty values use default_region.
    region_field: str = "region"
    default_region: str = "EMEA"
    regions: dict[str, Region] = Field(min_length=1)
    account_team: AccountTeam = Field(default_factory=AccountTeam)
    contract: Contract = Field(default_factory=Contract)
    sla: Sla = Field(default_factory=Sla)
    fields: Fields
    templates: Templates = Field(default_factory=Templates)
    cadence_hours: PriorityHours = Field(default_factory=PriorityHours)
    outage: Outage = Field(default_factory=Outage)
    recurring: Recurring = Field(default_factory=Recurring)
    csm_request_tag: str = "escalation_csm_request"
    workaround_tag: str = "workaround_provided"

    _zone = field_validator("timezone")(_check_zone)

    @model_validator(mode="after")
    def _default_region_exists(self) -> RulesConfig:
        if self.default_region not in self.regions:
            known = ", ".join(self.regions)
            raise ValueError(f"default_region {self.default_region!r} is not one of: {known}")
        return self

    def region_named(self, value: object) -> str:
        """The configured region an organisation field value names, else the default."""
        if isinstance(value, str):
            wanted = value.strip().casefold()
            for name in self.regions:
                if name.casefold() == wanted:
                    return name
        return self.default_region

    def priority_of(self, priority: str | None) -> Priority:
        for known in ("urgent", "high", "normal", "low"):
            if priority == known:
                return known
        return self.sla.default_priority


# --- loading ---------------------------------------------------------------------------


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys: PyYAML keeps the last one silently, so a
    pasted second `regions:` block would wipe the first without a word."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)

# YAML 1.1 reads `17:00` as the base-60 integer 1020, which pydantic would then take as 00:17.
# Integers here are plain decimals only, so business hours can be written unquoted.
_INT_TAG = "tag:yaml.org,2002:int"
_UniqueKeyLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _INT_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_UniqueKeyLoader.add_implicit_resolver(
    _INT_TAG, re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"), list("-+0123456789")
)


def _path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part == "[key]":
            # pydantic marks a bad mapping key this way; the key itself is the previous part.
            continue
        else:
            path += f".{part}" if path else str(part)
    return path


def _message(error: ErrorDetails) -> str:
    kind = error["type"]
    ctx = error.get("ctx", {})
    msg = error["msg"]
    if kind == "missing":
        return "field required"
    if kind == "extra_forbidden":
        return "extra field not permitted"
    if kind == "value_error":
        if "email address" in msg:
            return "not an email address"
        return msg.removeprefix("Value error, ")
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "must be a whole number"
    if kind in ("bool_parsing", "bool_type"):
        return "must be true or false"
    if kind in ("string_type",):
        return "must be text"
    if kind in ("list_type",):
        return "must be a list"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "must be a mapping"
    if kind == "literal_error":
        return f"must be one of: {ctx.get('expected', '')}".replace("'", "")
    if kind == "too_short":
        return f"must have at least {ctx.get('min_length')} item(s)"
    if kind == "greater_than":
        return f"must be greater than {ctx.get('gt')}"
    if kind.startswith("time_"):
        return "must be a time like 09:00"
    if kind.startswith("date_"):
        return "must be a date like 2025-12-31"
    return msg[:1].lower() + msg[1:]


def _lines(error: ValidationError) -> list[str]:
    lines = []
    for detail in error.errors():
        path = _path(tuple(detail["loc"]))
        message = _message(detail)
        lines.append(f"{path}: {message}" if path else message)
    return lines


def load_rules(text: str) -> RulesConfig:
    """Parse and validate rules YAML; raise RulesError with one `path: message` per problem."""
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise RulesError([f"{where}{e.problem or e.context or 'invalid YAML'}"]) from e
    except yaml.YAMLError as e:
        raise RulesError([f"invalid YAML: {e}"]) from e
    if data is None:
        raise RulesError(["the rules file is empty"])
    if not isinstance(data, dict):
        raise RulesError([f"the rules file must be a mapping of keys, not a {type(data).__name__}"])
    try:
        return RulesConfig.model_validate(data)
    except ValidationError as e:
        raise RulesError(_lines(e)) from e


def load_rules_file(path: str | Path) -> RulesConfig:
    """Read and validate a rules file; a missing or unreadable file is a RulesError too."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise RulesError([f"{path}: file not found"]) from e
    except (OSError, UnicodeDecodeError) as e:
        raise RulesError([f"{path}: cannot read: {e}"]) from e
    return load_rules(text)
