"""The `escalator` command."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from app import __version__
from app.settings import ConfigError, Settings, get_settings

cli = typer.Typer(
    no_args_is_help=True, add_completion=False, help="Escalator: escalations on Zendesk."
)
rules_cli = typer.Typer(no_args_is_help=True, help="Validate and try out rules files.")
db_cli = typer.Typer(no_args_is_help=True, help="Database migrations.")
deliveries_cli = typer.Typer(no_args_is_help=True, help="Inspect and replay the inbox.")
zendesk_cli = typer.Typer(no_args_is_help=True, help="Set up Zendesk for Escalator.")
cli.add_typer(rules_cli, name="rules")
cli.add_typer(db_cli, name="db")
cli.add_typer(deliveries_cli, name="deliveries")
cli.add_typer(zendesk_cli, name="zendesk")


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def load_settings() -> Settings:
    try:
        settings = get_settings()
        settings.check_startable()
    except ConfigError as e:
        fail(f"configuration error: {e}", 2)
    except ValueError as e:  # pydantic's ValidationError: a malformed environment variable
        first = str(e).splitlines()
        fail("configuration error: " + " ".join(first[:3]), 2)
    return settings


@cli.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


@cli.command()
def serve(
    sandbox: Annotated[
        bool | None,
        typer.Option(
            "--sandbox/--no-sandbox",
            help="Also run the sandbox Zendesk (default: when no Zendesk is configured).",
        ),
    ] = None,
) -> None:
    """Run the service (and the sandbox Zendesk when no Zendesk account is configured)."""
    from app.serve import run_server
    from app.serve import serve as run

    settings = load_settings()
    with_sandbox = settings.sandbox_mode if sandbox is None else sandbox
    if settings.sandbox_mode:
        _print_sandbox_banner(settings, with_sandbox=with_sandbox)
    else:
        typer.echo(f"Escalator {__version__} on {settings.service_url} → {settings.zendesk_url}")
    with contextlib.suppress(KeyboardInterrupt):
        run_server(run(settings, with_sandbox=with_sandbox))


def _print_sandbox_banner(settings: Settings, *, with_sandbox: bool) -> None:
    sandbox = settings.zendesk_base_url
    auth = f"{settings.zendesk_login}/token:{settings.secret('api_token')}"
    comment = {
        "ticket": {
            "comment": {
                "body": "Our production environment is down since this morning and customers "
                "cannot place orders. We are losing revenue every hour.",
                "public": True,
                "author_id": 401,
            },
            "email_ccs": [{"user_email": "escalation@example.com", "action": "put"}],
        }
    }
    lines = [
        f"Escalator {__version__} (sandbox mode: no Zendesk account configured)",
        f"  service    {settings.service_url}    (dashboard, API, /healthz)",
        f"  sandbox    {sandbox}    (simulated Zendesk)",
        f"  requests   {sandbox}/__sandbox/requests    (every API call the service made)",
        f"  admin token  {settings.secret('admin_token')}",
        "",
        "Escalate seeded ticket 1001 as its customer would (CC the escalation address):",
        f"  curl -s -u '{auth}' -X PUT {sandbox}/api/v2/tickets/1001.json \\",
        "    -H 'Content-Type: application/json' \\",
        f"    -d '{json.dumps(comment)}'",
        "Then see it:",
        f"  curl -s {settings.service_url}/api/escalations/1001 \\",
        f"    -H 'Authorization: Bearer {settings.secret('admin_token')}'",
        "",
    ]
    if not with_sandbox:
        lines.insert(2, "  (sandbox not started here: run `escalator sandbox` separately)")
    typer.echo("\n".join(lines))


@cli.command("sandbox")
def sandbox_command(
    port: Annotated[int | None, typer.Option(help="Port (default SANDBOX_PORT).")] = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
) -> None:
    """Run the sandbox Zendesk alone (for tests that restart the service)."""
    from app.serve import run_server, serve_sandbox

    settings = get_settings()
    typer.echo(f"sandbox Zendesk on http://{host}:{port or settings.sandbox_port}")
    with contextlib.suppress(KeyboardInterrupt):
        run_server(serve_sandbox(settings, host=host, port=port or settings.sandbox_port))


@cli.command()
def demo() -> None:
    """Play a short escalation scenario against an in-process sandbox and print what happened."""
    from app.demo import run_demo

    sys.exit(asyncio.run(run_demo()))


@cli.command()
def openapi(
    output: Annotated[Path, typer.Option(help="Where to write the contract.")] = Path(
        "openapi.yaml"
    ),
    check: Annotated[bool, typer.Option("--check", help="Exit 1 if the file differs.")] = False,
) -> None:
    """Write (or check) openapi.yaml from what the app serves."""
    from app.openapi import render

    text = render()
    if check:
        current = output.read_text(encoding="utf-8") if output.exists() else ""
        if current != text:
            fail(f"{output} is out of date: run `escalator openapi`")
        typer.echo(f"{output} is current")
        return
    output.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {output}")


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations."""
    from app.db import upgrade_sync

    settings = load_settings()
    upgrade_sync(settings.database_url)
    typer.echo("database up to date")


@rules_cli.command("validate")
def rules_validate(file: Annotated[Path, typer.Argument(help="Rules YAML file.")]) -> None:
    """Check a rules file: exit 0 and 'valid', or 1 and one line per error."""
    from app.rules.config import RulesError, load_rules_file

    try:
        load_rules_file(file)
    except RulesError as e:
        for line in e.lines:
            typer.echo(line)
        raise typer.Exit(1) from None
    typer.echo("valid")


@rules_cli.command("dry-run")
def rules_dry_run(
    request: Annotated[
        Path, typer.Argument(help="JSON file with the dry-run request ('-' for stdin).")
    ],
    rules: Annotated[Path | None, typer.Option(help="Rules file (default RULES_FILE).")] = None,
) -> None:
    """Evaluate a ticket and comment as the service would, without calling Zendesk."""
    from pydantic import ValidationError

    from app.dryrun import DryRunRequest, dry_run
    from app.models import utcnow
    from app.rules.config import RulesError, load_rules_file

    try:
        raw = sys.stdin.read() if str(request) == "-" else request.read_text(encoding="utf-8")
        parsed = DryRunRequest.model_validate_json(raw)
        active = load_rules_file(rules or get_settings().rules_file)
        result = dry_run(parsed, active=active, now=utcnow())
    except OSError as e:
        fail(f"cannot read {request}: {e.strerror}")
    except ValidationError as e:
        fail(
            "invalid request: "
            + "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}"
                for err in e.errors()
            )
        )
    except RulesError as e:
        fail("\n".join(e.lines))
    typer.echo(result.model_dump_json(indent=2))


@deliveries_cli.command("list")
def deliveries_list(
    status: Annotated[str | None, typer.Option(help="pending, processing, done or dead.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 20,
) -> None:
    """List inbox deliveries, newest first."""
    from app.admin_cli import list_deliveries

    asyncio.run(list_deliveries(load_settings(), status=status, limit=limit))


@deliveries_cli.command("replay")
def deliveries_replay(delivery_id: Annotated[int, typer.Argument()]) -> None:
    """Re-queue one delivery (the running service picks it up)."""
    from app.admin_cli import replay

    code = asyncio.run(replay(load_settings(), delivery_id))
    raise typer.Exit(code)


@zendesk_cli.command("provision")
def zendesk_provision(
    webhook_url: Annotated[
        str | None, typer.Option(help="Where Zendesk reaches Escalator (default PUBLIC_URL).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the plan; change nothing.")
    ] = False,
    write_rules: Annotated[
        Path | None, typer.Option(help="Write the custom field ids into this rules file.")
    ] = None,
) -> None:
    """Create or update the ticket fields, views, webhook and trigger Escalator needs."""
    try:
        from app.provision import ProvisionError, provision
    except ImportError:  # zenpy lives in the optional `provision` extra
        fail("provisioning needs the provision extra: pip install 'escalator[provision]'")
    try:
        report = provision(
            get_settings(), webhook_url=webhook_url, dry_run=dry_run, write_rules=write_rules
        )
    except ProvisionError as e:
        fail(f"error: {e.detail}")
    typer.echo("\n".join(report.lines()))


def main() -> None:
    cli()
