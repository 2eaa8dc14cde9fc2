"""``efirst router ...``: the scheduler tick and a look at members, routes and requests."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from indexer.settings import Settings
from mappings.errors import RoutingError
from router.api_keys import ApiKeyError
from router.import_schedule import run_due
from router.imports import Imports, Profile, run_import
from router.service import Router
from router.track import load_states

__all__ = ["commands", "router_group"]


def _router(members: str | None, network: str | None) -> Router:
    settings = Settings.from_env()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return Router(settings.ledger_db, members=members, network_path=network)


@click.group("router")
@click.option("--members", type=click.Path(exists=True, dir_okay=False), help="members file")
@click.option("--network", type=click.Path(exists=True, dir_okay=False), help="network file")
@click.pass_context
def router_group(ctx: click.Context, members: str | None, network: str | None) -> None:
    """Document-delivery routing: timeouts, members, delivery routes, requests."""
    ctx.obj = {"members": members, "network": network}


@router_group.command("tick")
@click.option("--now", help="the moment to apply timeouts at (ISO 8601; default: now)")
@click.pass_obj
def tick(obj: dict[str, str | None], now: str | None) -> None:
    """Move every request whose lender did not answer in time to its next lender, and
    retry ISO 18626 messages that could not be delivered.

    Idempotent and safe to run from cron as often as you like (e.g. every 10 minutes).
    """
    moment = _moment(now)
    try:
        router = _router(obj["members"], obj["network"])
        moved = router.tick(moment)
    except RoutingError as exc:
        raise click.ClickException(str(exc)) from exc
    for request_id in moved:
        state = router.ledger.get(request_id)
        click.echo(f"{request_id}\t{state['state']}\t{state['lender'] or '-'}")
    click.echo(f"{len(moved)} request(s) moved on after a timeout", err=True)


@router_group.command("check")
@click.pass_obj
def check(obj: dict[str, str | None]) -> None:
    """Validate the members and network files and print the member count."""
    try:
        router = _router(obj["members"], obj["network"])
        ctx = router.context()
    except RoutingError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"{len(ctx.profiles)} members ({router.members_file.path}), "
        f"{len(ctx.table)} member-to-member routes ({Path(router.network_path)})"
    )


@router_group.command("show")
@click.argument("request_id")
@click.pass_obj
def show(obj: dict[str, str | None], request_id: str) -> None:
    """Print one request (JSON), with its rota and timeline."""
    try:
        data = _router(obj["members"], obj["network"]).ledger.get(request_id)
    except RoutingError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@router_group.command("profile")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--system", default="", help="e.g. Alma, Libris, FOLIO")
@click.option("--base-url", required=True, help="the external system's API base URL")
@click.option("--library", required=True, help="our library code (borrower when none given)")
@click.option("--api-key", default="", envvar="EFIRST_IMPORT_API_KEY")
@click.option("--active/--inactive", default=True)
@click.option("--harvest-from", default="", help="YYYY-MM-DD: import requests since")
@click.option("--schedule", type=click.Choice(["daily", "weekly"]), default="daily")
@click.pass_obj
def profile(obj: dict[str, str | None], code: str, **fields: object) -> None:
    """Create or update the integration profile CODE."""
    try:
        Imports(_router(obj["members"], obj["network"])).save_profile(Profile(code, **fields))  # type: ignore[arg-type]
    except RoutingError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"profile {code} saved")


@router_group.command("map-code")
@click.argument("profile_code")
@click.argument("external_code")
@click.argument("library")
@click.pass_obj
def map_code(
    obj: dict[str, str | None], profile_code: str, external_code: str, library: str
) -> None:
    """Map the external system's library code EXTERNAL_CODE to member LIBRARY."""
    try:
        Imports(_router(obj["members"], obj["network"])).map_code(
            profile_code, external_code, library
        )
    except RoutingError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{profile_code}: {external_code} -> {library}")


def _moment(now: str | None) -> datetime | None:
    if not now:
        return None
    try:
        moment = datetime.fromisoformat(now)
    except ValueError:
        raise click.BadParameter("not an ISO 8601 date-time", param_hint="--now") from None
    if moment.tzinfo is None:
        raise click.BadParameter("give a time zone, e.g. +08:00", param_hint="--now")
    return moment


@router_group.command("import")
@click.argument("profile_code", required=False)
@click.option("--due", is_flag=True, help="run every active profile whose schedule is due")
@click.option("--now", help="with --due: the moment to decide at (ISO 8601; default: now)")
@click.option("--json", "as_json", is_flag=True, help="print the run as JSON")
@click.pass_obj
def import_requests(
    obj: dict[str, str | None],
    profile_code: str | None,
    due: bool,
    now: str | None,
    as_json: bool,
) -> None:
    """Import requests from the external system of PROFILE_CODE; prints the run.

    With --due instead of a profile: run each active profile whose schedule (daily or
    weekly, on the consortium's calendar) has no completed run yet; idempotent, for cron.
    """
    if due == bool(profile_code):
        raise click.UsageError("give either PROFILE_CODE or --due")
    try:
        router = _router(obj["members"], obj["network"])
        runs = run_due(router, _moment(now)) if due else [run_import(router, profile_code or "")]
    except RoutingError as exc:
        raise click.ClickException(str(exc)) from exc
    for run in runs:
        _print_run(run, as_json)
    if due:
        click.echo(f"{len(runs)} profile(s) were due", err=True)
    if any(run["status"] == "failed" for run in runs):
        raise SystemExit(1)


def _print_run(run: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(run, ensure_ascii=False, indent=2))
    else:
        for item in run["items"]:
            click.echo(
                f"{item['external_id']}\t{item['status']}\t{item['request_id'] or '-'}"
                f"\t{item['reason']}"
            )
    click.echo(
        f"run {run['id']} {run['status']}: {run['imported']} imported, {run['rejected']}"
        f" rejected, {run['duplicates']} already imported {run['error']}".rstrip(),
        err=True,
    )


@router_group.command("states-doc")
@click.option(
    "--output", type=click.Path(dir_okay=False), help="write here (default: standard output)"
)
def states_doc(output: str | None) -> None:
    """Write docs/states.md from router/states.toml (states, events, diagram)."""
    text = load_states().to_markdown()
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


@router_group.group("api-key")
def api_key() -> None:
    """API keys for machine clients of the HTTP API (Authorization: Bearer <key>)."""


def _key_owner(router: Router, library: str) -> None:
    if library != router.members_file.consortium.code and library not in (
        router.members_file.members
    ):
        raise click.BadParameter(
            f"{library!r} is neither a member nor the consortium"
            f" ({router.members_file.consortium.code})",
            param_hint="LIBRARY",
        )


@api_key.command("create")
@click.argument("library")
@click.option("--label", default="", help="what the key is for (shown by list)")
@click.pass_obj
def api_key_create(obj: dict[str, str | None], library: str, label: str) -> None:
    """Make a key acting for LIBRARY (the consortium code: every member); prints it once."""
    router = _router(obj["members"], obj["network"])
    _key_owner(router, library)
    click.echo(router.api_keys.create(library, label))
    click.echo("store this key now: only its hash is kept", err=True)


@api_key.command("revoke")
@click.argument("library")
@click.option("--key-id", help="revoke only this key (default: every key of LIBRARY)")
@click.pass_obj
def api_key_revoke(obj: dict[str, str | None], library: str, key_id: str | None) -> None:
    """Revoke LIBRARY's API keys (or the one --key-id)."""
    try:
        count = _router(obj["members"], obj["network"]).api_keys.revoke(library, key_id)
    except ApiKeyError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{count} key(s) of {library} revoked")


@api_key.command("list")
@click.argument("library", required=False)
@click.pass_obj
def api_key_list(obj: dict[str, str | None], library: str | None) -> None:
    """List the keys (of LIBRARY): key id, library, created, revoked, label."""
    for key in _router(obj["members"], obj["network"]).api_keys.keys(library):
        click.echo(
            f"{key.key_id}\t{key.library}\t{key.created_at}\t{key.revoked_at or '-'}\t{key.label}"
        )


commands = [router_group]
