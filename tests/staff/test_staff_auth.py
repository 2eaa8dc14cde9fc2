"""Signing in: hashing, CSRF, roles, lock-out, sessions ending, safe redirects."""

from __future__ import annotations

import sqlite3

import pytest
from staff_testkit import PASSWORD, csrf, login, new_request, post_form

from search_app.staff_store import AccountError, LockedOut, StaffStore


def test_passwords_are_stored_only_as_scrypt_hashes(tmp_path):
    store = StaffStore(tmp_path / "staff.sqlite3")  # the production default
    account = store.create_user("alice", PASSWORD, "consortium_admin", actor="test")
    stored = store.password_hash(account.id)
    assert stored.startswith("scrypt:") and PASSWORD not in stored
    store.close()
    for path in tmp_path.iterdir():  # not in the database file, its WAL or anywhere else
        assert PASSWORD.encode() not in path.read_bytes()
    assert store.authenticate("alice", PASSWORD) is not None
    assert store.authenticate("ALICE ", PASSWORD) is not None  # names are case-insensitive
    assert store.authenticate("alice", PASSWORD + "x") is None


@pytest.mark.parametrize(
    ("username", "password", "role", "libraries", "field"),
    [
        ("a", PASSWORD, "ill_staff", ["211010"], "username"),
        ("bad name", PASSWORD, "ill_staff", ["211010"], "username"),
        ("bob", PASSWORD, "librarian", ["211010"], "role"),
        ("bob", PASSWORD, "ill_staff", [], "library"),
        ("bob", "short", "ill_staff", ["211010"], "password"),
        ("bob", "bob-is-my-password", "ill_staff", ["211010"], "password"),
        ("bob", "aaaaaaaaaaaa", "ill_staff", ["211010"], "password"),
    ],
)
def test_bad_account_input_names_the_field(store, username, password, role, libraries, field):
    with pytest.raises(AccountError) as caught:
        store.create_user(username, password, role, libraries, actor="test")
    assert caught.value.field == field
    assert store.users() == []  # nothing half-created


def test_duplicate_user_name_is_refused(store, accounts):
    with pytest.raises(AccountError, match="taken"):
        store.create_user("BOR", PASSWORD, "ill_staff", ["211010"], actor="test")


def test_login_and_logout(client, accounts):
    assert client.get("/staff/lib/211010/").status_code == 302  # not signed in: to the login
    response = login(client, "bor")
    assert response.status_code == 302
    assert client.get("/staff/").headers["Location"].endswith("/staff/lib/211010/")
    assert client.get("/staff/lib/211010/").status_code == 200
    token = csrf(client, "/staff/lib/211010/")
    assert client.post("/staff/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/staff/lib/211010/").status_code == 302


def test_wrong_password_is_401_and_names_nothing(client, accounts):
    for name in ("bor", "nobody"):
        response = login(client, name, "wrong password!")
        assert response.status_code == 401
        assert "Wrong user name or password." in response.get_data(as_text=True)


def test_login_without_csrf_token_is_400(client, accounts):
    data = {"username": "bor", "password": PASSWORD}
    response = client.post("/staff/login", data=data, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "did not come from this site" in response.get_data(as_text=True)
    assert client.get("/staff/lib/211010/").status_code == 302  # not signed in


def test_action_without_csrf_token_is_400_and_changes_nothing(client, accounts, router):
    req = new_request(client)
    login(client, "lend")
    response = client.post(
        f"/staff/lib/211030/requests/{req['id']}/events",
        data={"type": "refused", "reason": "x", "nonce": "n1"},
    )
    assert response.status_code == 400
    forged = client.post(
        f"/staff/lib/211030/requests/{req['id']}/events",
        data={"type": "refused", "reason": "x", "nonce": "n1", "csrf_token": "forged"},
    )
    assert forged.status_code == 400
    assert router.ledger.get(req["id"])["lender"] == "211030"


def test_lock_out_after_five_failures_in_fifteen_minutes(client, accounts, store, clock):
    for _ in range(4):
        assert login(client, "bor", "wrong password!").status_code == 401
    locked = login(client, "bor", "wrong password!")
    assert locked.status_code == 429
    assert "locked until 2025-03-03 09:15" in locked.get_data(as_text=True)
    assert login(client, "bor").status_code == 429  # even the right password
    entry = store.audit_entries()[0]
    assert (entry["actor"], entry["action"], entry["target"]) == ("system", "user.lock", "bor")
    clock.advance(minutes=16)
    assert login(client, "bor").status_code == 302


def test_failures_spread_out_do_not_lock(accounts, store, clock):
    for _ in range(8):
        assert store.authenticate("bor", "wrong password!") is None
        clock.advance(minutes=4)  # never five within 15 minutes
    assert store.authenticate("bor", PASSWORD) is not None


def test_a_success_resets_the_failure_count(accounts, store):
    for _ in range(4):
        store.authenticate("bor", "wrong password!")
    assert store.authenticate("bor", PASSWORD) is not None
    for _ in range(4):
        assert store.authenticate("bor", "wrong password!") is None
    with pytest.raises(LockedOut):
        store.authenticate("bor", "wrong password!")


def test_admin_unlocks_early(client, accounts, store):
    for _ in range(5):
        login(client, "bor", "wrong password!")
    assert store.find("bor").locked(store.clock())
    login(client, "admin")
    user_id = accounts["borrower"].id
    response = post_form(client, "/staff/users", f"/staff/users/{user_id}/unlock", {})
    assert response.status_code == 302
    assert not store.find("bor").locked(store.clock())
    assert store.audit_entries()[0]["action"] == "user.unlock"
    assert login(client, "bor").status_code == 302


@pytest.mark.parametrize(
    ("user", "path"),
    [
        ("bor", "/staff/lib/211030/"),  # another library's queues
        ("bor", "/staff/lib/211030/stats"),
        ("bor", "/staff/lib/211030/stats.csv"),
        ("bor", "/staff/consortium/stats"),  # consortium admins only
        ("bor", "/staff/consortium/stats.csv"),
        ("bor", "/staff/users"),  # administrators only
        ("bor", "/staff/audit"),
        ("libadmin", "/staff/lib/211030/"),
        ("libadmin", "/staff/consortium/stats"),
        ("admin", "/staff/lib/999999/"),  # not a member
    ],
)
def test_wrong_role_or_library_is_403(client, accounts, user, path):
    login(client, user)
    assert client.get(path).status_code == 403


def test_library_staff_cannot_switch_to_another_library(client, accounts):
    login(client, "bor")
    response = post_form(client, "/staff/lib/211010/", "/staff/switch", {"library": "211030"})
    assert response.status_code == 403


def test_disabling_an_account_ends_its_session(app, client, accounts, store):
    login(client, "bor")
    assert client.get("/staff/lib/211010/").status_code == 200
    store.set_active(accounts["borrower"].id, False, actor="test")
    assert client.get("/staff/lib/211010/").status_code == 302
    assert login(client, "bor").status_code == 401


def test_login_does_not_redirect_off_site(client, accounts):
    token = csrf(client)
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = client.post(
            "/staff/login",
            data={"username": "bor", "password": PASSWORD, "csrf_token": token, "next": target},
        )
        assert response.headers["Location"] == "/staff/"
        client.post("/staff/logout", data={"csrf_token": csrf(client, "/staff/account")})
        token = csrf(client)


def test_staff_pages_are_not_cached(client, accounts):
    login(client, "bor")
    assert client.get("/staff/lib/211010/").headers["Cache-Control"] == "no-store"


def test_accounts_share_the_ledger_file_without_touching_its_tables(tmp_path, router):
    tables = {
        row[0]
        for row in sqlite3.connect(router.ledger.path).execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
        )
    }
    assert {"requests", "rota", "events", "staff_users", "audit"} <= tables


def test_pages_speak_chinese_by_default(app, accounts):
    browser = app.test_client()  # no Accept-Language: the app's default, zh_CN
    html = browser.get("/staff/login").get_data(as_text=True)
    assert "馆员登录" in html and "用户名" in html
    wrong = login(browser, "bor", "wrong password!")
    assert "用户名或密码错误。" in wrong.get_data(as_text=True)
