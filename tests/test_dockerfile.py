"""The Dockerfile's structure (Docker cannot run here): slim base, non-root, health check, and an
entrypoint that is the packaged `escalator serve`."""

from __future__ import annotations

import importlib
import json
import re
import shlex
import tomllib
from pathlib import Path

import pytest

from tests.conftest import ROOT


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        out.append((keyword.upper(), rest.strip()))
    return out


def exec_form(arguments: str) -> list[str]:
    value = json.loads(arguments) if arguments.startswith("[") else shlex.split(arguments)
    assert isinstance(value, list)
    return [str(v) for v in value]


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    return instructions(ROOT / "Dockerfile")


def last(dockerfile: list[tuple[str, str]], keyword: str) -> str:
    found = [args for k, args in dockerfile if k == keyword]
    assert found, f"no {keyword} in the Dockerfile"
    return found[-1]


def test_final_stage_is_a_slim_python_image(dockerfile: list[tuple[str, str]]) -> None:
    image = last(dockerfile, "FROM").split()[0]
    assert re.fullmatch(r"python:3\.1[1-9](\.\d+)?-slim(-\w+)?(@sha256:[0-9a-f]{64})?", image), (
        image
    )


def test_runs_as_a_non_root_user(dockerfile: list[tuple[str, str]]) -> None:
    user = last(dockerfile, "USER").split(":")[0]
    assert user not in ("", "root", "0")
    final_from = max(i for i, (k, _) in enumerate(dockerfile) if k == "FROM")
    user_at = max(i for i, (k, _) in enumerate(dockerfile) if k == "USER")
    assert user_at > final_from  # set in the stage that ships
    # Nothing after USER switches back to root.
    assert all(k != "USER" for k, _ in dockerfile[user_at + 1 :])


def test_has_a_healthcheck_that_probes_healthz(dockerfile: list[tuple[str, str]]) -> None:
    check = last(dockerfile, "HEALTHCHECK")
    assert not check.upper().startswith("NONE")
    assert "CMD" in check and "/healthz" in check


def test_entrypoint_runs_escalator_serve(dockerfile: list[tuple[str, str]]) -> None:
    command = exec_form(last(dockerfile, "ENTRYPOINT")) + exec_form(last(dockerfile, "CMD"))
    assert command[0] == "escalator"
    assert command[1] == "serve"


def test_escalator_is_a_console_script_that_resolves_to_a_function() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    target = project["project"]["scripts"]["escalator"]
    module_name, _, attribute = target.partition(":")
    function = getattr(importlib.import_module(module_name), attribute)
    assert callable(function)


def test_the_image_installs_the_package_and_ships_the_rules_file(
    dockerfile: list[tuple[str, str]],
) -> None:
    runs = " ".join(args for k, args in dockerfile if k == "RUN")
    copies = " ".join(args for k, args in dockerfile if k in ("COPY", "ADD"))
    assert re.search(r"pip install [^&]*\.", runs)  # the project itself, so the script exists
    assert "app" in copies and "pyproject.toml" in copies
    rules = dict(
        item.split("=", 1) for k, a in dockerfile if k == "ENV" for item in shlex.split(a)
    ).get("RULES_FILE")
    assert rules is None or Path(rules).name in copies
