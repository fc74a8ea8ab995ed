"""openapi.yaml is the published contract: rendered from the app so the two cannot drift."""

from __future__ import annotations

import yaml

from app.main import create_app
from app.settings import Settings


def render() -> str:
    app = create_app(Settings(_env_file=None))
    return yaml.safe_dump(app.openapi(), sort_keys=False, allow_unicode=True, width=100)
