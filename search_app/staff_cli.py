"""``efirst staff ...``: staff accounts from the command line (the first account, above all).

::

    efirst staff add-user alice --role consortium_admin
    efirst staff add-user bob --role ill_staff --library 211010
    efirst staff list-users
    efirst staff set-password bob
    efirst staff unlock bob

Passwords are asked for twice without echo, or read from one line of standard input with
``--password-stdin`` (for scripts). Accounts live in ``$EFIRST_DATA_DIR/ledger.sqlite3``;
every change is in the audit log with actor ``cli``.

:func:`create_demo_accounts` is what ``efirst demo`` calls to add demonstration accounts.
"""

from __future__ import annotations

import secrets
import sys
from dataclasses import dataclass

import click

from indexer.settings import Settings
from router.members import MembersFile, default_members_path
from search_app.staff_store import ROLES, AccountError, StaffStore

__all__ = ["DemoAccount", "commands", "create_demo_accounts", "staff"]


def _store(settings: Settings | None = None) -> StaffStore:
    settings = settings or Settings.from_env()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return StaffStore(settings.ledger_db)


def _member_codes(settings: Settings) -> set[str]:
    path = default_members_path({"EFIRST_DATA_DIR": str(settings.data_dir)})
    return set(MembersFile(path).members)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@click.group("staff")
def staff() -> None:
    """Staff accounts for the ILL staff pages (/staff)."""


@staff.command("add-user")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES), help="The account's role.")
@click.option(
    "--library",
    "libraries",
    multiple=True,
    help="Member library code (repeatable; required unless consortium_admin).",
)
@click.option("--name", "display_name", default="", help="The person's name, for the pages.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def add_user(
    username: str, role: str, libraries: tuple[str, ...], display_name: str, password_stdin: bool
) -> None:
    """Create a staff account (the first one: a consortium_admin)."""
    settings = Settings.from_env()
    unknown = sorted(set(libraries) - _member_codes(settings))
    if unknown:
        raise click.BadParameter(f"{unknown[0]!r} is not a member library", param_hint="--library")
    store = _store(settings)
    try:
        account = store.create_user(
            username,
            _password(password_stdin),
            role,
            list(libraries),
            actor="cli",
            display_name=display_name,
        )
    except AccountError as exc:
        raise click.ClickException(f"{exc.field or 'account'}: {exc}") from exc
    finally:
        store.close()
    where = ", ".join(account.libraries) or "all libraries"
    click.echo(f"Created {account.username} ({account.role}, {where}).")


@staff.command("list-users")
def list_users() -> None:
    """List the staff accounts."""
    store = _store()
    for account in store.users():
        state = "active" if account.active else "disabled"
        libraries = ",".join(account.libraries) or "*"
        click.echo(f"{account.username}\t{account.role}\t{libraries}\t{state}")
    store.close()


def _find(store: StaffStore, username: str) -> int:
    account = store.find(username)
    if account is None:
        raise click.ClickException(f"no account {username!r}")
    return account.id


@staff.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def set_password(username: str, password_stdin: bool) -> None:
    """Set an account's password (ends its sessions, lifts a lock-out)."""
    store = _store()
    try:
        store.set_password(_find(store, username), _password(password_stdin), actor="cli")
    except AccountError as exc:
        raise click.ClickException(f"{exc.field or 'account'}: {exc}") from exc
    finally:
        store.close()
    click.echo(f"Password of {username} changed.")


@staff.command("unlock")
@click.argument("username")
def unlock(username: str) -> None:
    """Lift a lock-out after too many failed sign-ins."""
    store = _store()
    try:
        store.unlock(_find(store, username), actor="cli")
    finally:
        store.close()
    click.echo(f"{username} unlocked.")


@dataclass(frozen=True, slots=True)
class DemoAccount:
    username: str
    password: str
    role: str
    library: str


def create_demo_accounts(
    settings: Settings,
    libraries: list[str] | None = None,
    *,
    password: str | None = None,
) -> list[DemoAccount]:
    """Demonstration accounts: ``demo-admin`` (consortium administrator) and, for each of
    ``libraries`` (default: the first three members), ``demo-ill-<code>`` (ILL staff) and
    ``demo-admin-<code>`` (library administrator). Idempotent: existing demo accounts get
    the password again. ``password`` defaults to a fresh random one (print it)."""
    password = password or f"demo-{secrets.token_urlsafe(9)}"
    codes = libraries if libraries is not None else sorted(_member_codes(settings))[:3]
    wanted = [DemoAccount("demo-admin", password, "consortium_admin", "")]
    for code in codes:
        wanted.append(DemoAccount(f"demo-ill-{code}", password, "ill_staff", code))
        wanted.append(DemoAccount(f"demo-admin-{code}", password, "library_admin", code))
    store = _store(settings)
    try:
        for demo in wanted:
            found = store.find(demo.username)
            if found is None:
                libs = [demo.library] if demo.library else []
                store.create_user(demo.username, password, demo.role, libs, actor="demo")
            else:
                store.set_password(found.id, password, actor="demo")
    finally:
        store.close()
    return wanted


commands = [staff]
