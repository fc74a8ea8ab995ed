"""Admin pages: rules with history and diffs, edit and save, dry-run, and the inbox's deliveries."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from app import admin_views, store
from app.deps import RulesDep, SessionDep, WorkerDep, ZendeskDep
from app.dryrun import dry_run
from app.errors import AppError
from app.models import utcnow
from app.rules.config import RulesError, load_rules
from app.web import CsrfChecked, PageAdmin, PageError, render, see_other

router = APIRouter(prefix="/admin/ui", include_in_schema=False)


@router.get("", response_class=HTMLResponse)
async def admin_home() -> RedirectResponse:
    """The rules page is the admin's start page."""
    return see_other("/admin/ui/rules")


@router.get("/rules", response_class=HTMLResponse)
async def rules_page(
    request: Request, principal: PageAdmin, rules: RulesDep, session: SessionDep
) -> HTMLResponse:
    """The rules in force, an editor, and the saved versions."""
    await rules.refresh(session)
    history = await store.rules_history(session)
    return render(
        request,
        "admin_rules.html",
        principal=principal,
        snapshot=rules.snapshot,
        history=history,
        text=rules.snapshot.text,
    )


@router.post("/rules", dependencies=[CsrfChecked], response_class=HTMLResponse)
async def save_rules(
    request: Request,
    principal: PageAdmin,
    rules: RulesDep,
    session: SessionDep,
    text: Annotated[str, Form(max_length=500_000)],
    action: Annotated[Literal["validate", "save"], Form()] = "validate",
) -> HTMLResponse:
    """Validate the edited rules, and save them as a new version when asked."""
    errors: list[str] = []
    try:
        if action == "save":
            await rules.save(session, text=text, author=principal.name)
        else:
            load_rules(text)
    except RulesError as e:
        errors = e.lines
    history = await store.rules_history(session)
    return render(
        request,
        "admin_rules.html",
        principal=principal,
        snapshot=rules.snapshot,
        history=history,
        text=text,
        errors=errors,
        action=action,
        status_code=422 if errors else 200,
    )


@router.get("/rules/diff", response_class=HTMLResponse)
async def rules_diff(
    request: Request,
    principal: PageAdmin,
    rules: RulesDep,
    session: SessionDep,
    old: Annotated[str, Query(alias="from", max_length=20)],
    new: Annotated[str, Query(alias="to", max_length=20)],
) -> HTMLResponse:
    """A unified diff between two rules versions (or the rules file)."""
    before = await admin_views.version_text(session, rules, old)
    after = await admin_views.version_text(session, rules, new)
    if before is None or after is None:
        raise PageError(404, "No such rules version.")
    lines = admin_views.diff_lines(
        before, after, old_name=f"version {old}", new_name=f"version {new}"
    )
    return render(request, "admin_diff.html", principal=principal, lines=lines, old=old, new=new)


@router.get("/dry-run", response_class=HTMLResponse)
async def dry_run_page(
    request: Request, principal: PageAdmin, rules: RulesDep, session: SessionDep
) -> HTMLResponse:
    """The dry-run form."""
    choices = await _org_choices(rules, session)
    return render(
        request,
        "admin_dryrun.html",
        principal=principal,
        form=admin_views.DryRunForm(),
        choices=choices,
    )


@router.post("/dry-run", dependencies=[CsrfChecked], response_class=HTMLResponse)
async def dry_run_submit(
    request: Request,
    principal: PageAdmin,
    rules: RulesDep,
    session: SessionDep,
    zendesk: ZendeskDep,
    form: Annotated[admin_views.DryRunForm, Form()],
) -> HTMLResponse:
    """Evaluate the pasted comment as the pipeline would; nothing is written to Zendesk."""
    now = utcnow()
    error, result = None, None
    try:
        org = await admin_views.organization_for(
            form.organization, rules=rules.config, zendesk=zendesk, now=now
        )
        req = admin_views.dry_run_request(form, organization=org, rules=rules.config, now=now)
        result = dry_run(req, active=rules.config, now=now)
    except (admin_views.OrganizationUnavailable, AppError) as e:
        error = str(e)
    update = json.dumps(result.plan.update, indent=2) if result and result.plan.update else None
    reply = json.dumps(result.plan.reply, indent=2) if result and result.plan.reply else None
    return render(
        request,
        "admin_dryrun.html",
        principal=principal,
        form=form,
        result=result,
        update=update,
        reply=reply,
        error=error,
        choices=await _org_choices(rules, session),
    )


async def _org_choices(rules: RulesDep, session: SessionDep) -> list[tuple[str, str]]:
    return [
        *admin_views.example_organizations(rules.config),
        *await admin_views.known_organizations(session),
    ]


@router.get("/deliveries", response_class=HTMLResponse)
async def deliveries_page(
    request: Request,
    principal: PageAdmin,
    session: SessionDep,
    status: Annotated[Literal["", "pending", "processing", "done", "dead"], Query()] = "",
    replayed: Annotated[int | None, Query()] = None,
) -> HTMLResponse:
    """Inbox rows by status, with their errors and a replay button."""
    rows = await store.list_deliveries(session, status=status or None, limit=100)
    counts = await store.delivery_counts(session)
    return render(
        request,
        "admin_deliveries.html",
        principal=principal,
        rows=rows,
        counts=counts,
        status=status,
        replayed=replayed,
    )


@router.post("/deliveries/{delivery_id}/replay", dependencies=[CsrfChecked])
async def replay(
    delivery_id: int, _: PageAdmin, session: SessionDep, worker: WorkerDep
) -> RedirectResponse:
    """Queue a dead or finished delivery again, then show the list."""
    await store.replay_delivery(session, delivery_id)
    await session.commit()
    if worker is not None:
        worker.wake()
    return see_other(f"/admin/ui/deliveries?replayed={delivery_id}")
