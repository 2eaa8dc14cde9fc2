"""``efirst router ...``: the scheduler tick and a look at members, routes and requests."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click

from indexer.settings import Settings
from mappings.errors import RoutingError
from router.service import Router

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
    """Move every request whose lender did not answer in time to its next lender.

    Idempotent and safe to run from cron as often as you like (e.g. every 10 minutes).
    """
    moment = None
    if now:
        try:
            moment = datetime.fromisoformat(now)
        except ValueError:
            raise click.BadParameter("not an ISO 8601 date-time", param_hint="--now") from None
        if moment.tzinfo is None:
            raise click.BadParameter("give a time zone, e.g. +08:00", param_hint="--now")
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


commands = [router_group]
