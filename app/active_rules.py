"""The rules in force: the newest version saved through the admin API, else the rules file."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from app import store
from app.rules.config import RulesConfig, RulesError, load_rules, load_rules_file
from app.rules.detect import prepare


@dataclass(frozen=True)
class RulesSnapshot:
    config: RulesConfig
    text: str
    version: int | None  # None: the file, not a saved version
    author: str | None
    saved_at: datetime | None
    source: str


class ActiveRules:
    """Holds the rules every evaluation uses; replicas pick up a newly saved version on refresh."""

    def __init__(self, snapshot: RulesSnapshot) -> None:
        self.snapshot = snapshot

    @classmethod
    def from_file(cls, path: Path) -> ActiveRules:
        config = load_rules_file(path)
        text = path.read_text(encoding="utf-8")
        return cls(RulesSnapshot(config, text, None, None, None, str(path)))

    @property
    def config(self) -> RulesConfig:
        return self.snapshot.config

    async def prepare(self) -> None:
        await _prepared(self.config)

    async def refresh(self, session: AsyncSession) -> None:
        latest = await store.latest_rules(session)
        if latest is None or latest.id == self.snapshot.version:
            return
        try:
            config = load_rules(latest.text)
        except RulesError:
            # Saved versions were validated on save; a schema change could still break one.
            return
        await _prepared(config)
        self.snapshot = RulesSnapshot(
            config, latest.text, latest.id, latest.author, latest.created_at, "database"
        )

    async def save(self, session: AsyncSession, *, text: str, author: str) -> RulesSnapshot:
        config = load_rules(text)  # raises RulesError with one line per problem
        await _prepared(config)
        version = await store.save_rules(session, text=text, author=author)
        self.snapshot = RulesSnapshot(
            config, text, version.id, author, version.created_at, "database"
        )
        return self.snapshot


async def _prepared(config: RulesConfig) -> None:
    """Compile the impact lexicons of rules about to come into force (`prepare`), in a thread
    so the event loop keeps serving meanwhile."""
    await asyncio.to_thread(prepare, config.business_impact)
