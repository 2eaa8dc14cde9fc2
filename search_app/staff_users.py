"""Account administration and the audit log (issue 7, "Accounts and roles").

A **consortium administrator** manages every account; a **library administrator**
manages the ILL staff and administrators of its own library(ies), never a consortium
administrator; ILL staff manage only their own password. Every change is audited by
:class:`search_app.staff_store.StaffStore`; a refused change shows the form again with
the error next to the field and the input kept (never the password).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.security import check_password_hash

from search_app import auth
from search_app.error_text import localise_error
from search_app.staff_store import ROLES, Account, AccountError

__all__ = ["init_views", "manageable"]


def _admin() -> Account:
    account = auth.current_user()
    if account is None:
        abort(401, _("sign in first"))
    if account.role not in ("consortium_admin", "library_admin"):
        abort(403, _("only administrators manage accounts"))
    return account


def manageable(admin: Account, target: Account) -> bool:
    """May ``admin`` change ``target``?"""
    if admin.role == "consortium_admin":
        return True
    if target.role == "consortium_admin":
        return False
    return bool(target.libraries) and set(target.libraries) <= set(admin.libraries)


def _grantable(admin: Account, role: str, libraries: list[str]) -> None:
    if admin.role == "consortium_admin":
        unknown = [code for code in libraries if code not in auth.member_codes()]
        if unknown:
            raise AccountError(f"{unknown[0]!r} is not a member library", "library")
        return
    if role == "consortium_admin":
        raise AccountError("only a consortium administrator can grant this role", "role")
    if not set(libraries) <= set(admin.libraries):
        raise AccountError("you can only add accounts for your own library", "library")


def _visible_users(admin: Account) -> list[Account]:
    store = auth.get_store()
    if admin.role == "consortium_admin":
        return store.users()
    seen: dict[int, Account] = {}
    for code in admin.libraries:
        for account in store.users(code):
            if manageable(admin, account):
                seen[account.id] = account
    return sorted(seen.values(), key=lambda a: a.username)


def _users_page(admin: Account, status: int = 200, **extra: Any) -> Any:
    page = render_template(
        "staff/users.html",
        users=_visible_users(admin),
        roles=ROLES if admin.role == "consortium_admin" else ROLES[1:],
        libraries=auth.allowed_libraries(admin),
        now=auth.get_store().clock(),
        form=extra.pop("form", {}),
        **extra,
    )
    return page, status


def users() -> Any:
    return _users_page(_admin())


def create_user() -> Any:
    admin = _admin()
    form = {k: request.form.get(k, "").strip() for k in ("username", "display_name", "role")}
    form["library"] = request.form.get("library", "").strip()
    libraries = [form["library"]] if form["library"] else []
    try:
        _grantable(admin, form["role"], libraries)
        account = auth.get_store().create_user(
            form["username"],
            request.form.get("password", ""),
            form["role"],
            libraries,
            actor=admin.username,
            display_name=form["display_name"],
            address=auth.client_address(),
        )
    except AccountError as exc:
        return _users_page(admin, 422, form=form, error=localise_error(exc), error_field=exc.field)
    flash(_("Account %(name)s created.", name=account.username), "success")
    return redirect(url_for("staff.users"))


def change_user(user_id: int, change: str) -> Any:
    """``active`` (0/1), ``unlock``, ``password`` or ``role`` for one account."""
    admin = _admin()
    store = auth.get_store()
    target = store.get(user_id)
    if target is None:
        abort(404, _("no such account"))
    if not manageable(admin, target):
        abort(403, _("your account may not change this account"))
    where = {"actor": admin.username, "address": auth.client_address()}
    try:
        if change == "active":
            if target.id == admin.id:
                raise AccountError("you cannot disable your own account", "active")
            store.set_active(user_id, request.form.get("active") == "1", **where)
        elif change == "unlock":
            store.unlock(user_id, **where)
        elif change == "password":
            store.set_password(user_id, request.form.get("password", ""), **where)
        else:
            role, library = request.form.get("role", ""), request.form.get("library", "").strip()
            libraries = [library] if library else []
            _grantable(admin, role, libraries)
            store.set_role(user_id, role, libraries, **where)
    except AccountError as exc:
        return _users_page(
            admin, 422, error=f"{target.username}: {localise_error(exc)}", error_field=exc.field
        )
    flash(_("Account %(name)s changed.", name=target.username), "success")
    return redirect(url_for("staff.users"))


def audit_log() -> str:
    admin = _admin()
    store = auth.get_store()
    if admin.role == "consortium_admin":
        entries = store.audit_entries()
    else:
        found = {e["seq"]: e for code in admin.libraries for e in store.audit_entries(code)}
        entries = [found[k] for k in sorted(found, reverse=True)]
    return render_template("staff/audit.html", entries=entries)


def own_account() -> Any:
    """Change one's own password (the current one is asked for again)."""
    account = auth.current_user()
    if account is None:
        return redirect(url_for("staff.login", next=request.path))
    if request.method == "GET":
        return render_template("staff/account.html")
    store = auth.get_store()
    if not check_password_hash(store.password_hash(account.id), request.form.get("current", "")):
        return render_template("staff/account.html", error=_("The current password is wrong.")), 422
    try:
        store.set_password(
            account.id,
            request.form.get("password", ""),
            actor=account.username,
            address=auth.client_address(),
        )
    except AccountError as exc:
        return render_template("staff/account.html", error=localise_error(exc)), 422
    refreshed = store.get(account.id)
    assert refreshed is not None
    auth.log_in(refreshed)  # the password change ended every session, this one continues
    flash(_("Your password is changed."), "success")
    return redirect(url_for("staff.index"))


def init_views(bp: Blueprint) -> None:
    admins = auth.require("accounts")
    bp.add_url_rule("/users", "users", admins(users))
    bp.add_url_rule("/users", "create_user", admins(create_user), methods=["POST"])
    bp.add_url_rule(
        "/users/<int:user_id>/<any(active, unlock, password, role):change>",
        "change_user",
        admins(change_user),
        methods=["POST"],
    )
    bp.add_url_rule("/audit", "audit", admins(audit_log))
    bp.add_url_rule("/account", "account", own_account, methods=["GET", "POST"])
