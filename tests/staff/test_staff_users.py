"""Account administration, the audit log, one's own password, and the CLI."""

from __future__ import annotations

from click.testing import CliRunner
from staff_testkit import PASSWORD, login, post_form

from indexer.settings import Settings
from search_app.cli import main
from search_app.staff_cli import create_demo_accounts
from search_app.staff_store import StaffStore

NEW = "a brand new passphrase"


def test_library_admin_creates_ill_staff_for_its_library(client, accounts, store):
    login(client, "libadmin")
    form = {"username": "carol", "password": NEW, "role": "ill_staff", "library": "211010"}
    response = post_form(client, "/staff/users", "/staff/users", form)
    assert response.status_code == 302
    carol = store.find("carol")
    assert carol.role == "ill_staff" and carol.libraries == ("211010",)
    entry = store.audit_entries("211010")[0]
    assert (entry["actor"], entry["action"], entry["target"]) == (
        "libadmin",
        "user.create",
        "carol",
    )
    assert login(client, "carol", NEW).status_code == 302


def test_library_admin_cannot_grant_other_libraries_or_consortium_roles(client, accounts, store):
    login(client, "libadmin")
    for form, message in (
        ({"role": "ill_staff", "library": "211030"}, "only add accounts for your own library"),
        ({"role": "consortium_admin", "library": ""}, "only a consortium administrator"),
    ):
        data = {"username": "mallory", "password": NEW, **form}
        response = post_form(client, "/staff/users", "/staff/users", data)
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert message in html and 'value="mallory"' in html and NEW not in html
    assert store.find("mallory") is None
    lender_id = accounts["lender"].id  # staff of another library: not its to change
    denied = post_form(client, "/staff/users", f"/staff/users/{lender_id}/active", {"active": "0"})
    assert denied.status_code == 403 and store.find("lend").active


def test_weak_password_is_refused_with_the_form_kept(client, accounts, store):
    login(client, "admin")
    data = {"username": "dave", "password": "short", "role": "ill_staff", "library": "211030"}
    response = post_form(client, "/staff/users", "/staff/users", data)
    assert response.status_code == 422
    assert "at least 10 characters" in response.get_data(as_text=True)
    assert store.find("dave") is None


def test_consortium_admin_changes_role_password_and_disables(client, accounts, store):
    login(client, "admin")
    uid = accounts["lender"].id
    role = {"role": "library_admin", "library": "211030"}
    assert post_form(client, "/staff/users", f"/staff/users/{uid}/role", role).status_code == 302
    assert store.find("lend").role == "library_admin"
    pw = {"password": NEW}
    assert post_form(client, "/staff/users", f"/staff/users/{uid}/password", pw).status_code == 302
    off = {"active": "0"}
    assert post_form(client, "/staff/users", f"/staff/users/{uid}/active", off).status_code == 302
    assert not store.find("lend").active
    actions = [e["action"] for e in store.audit_entries()[:3]]
    assert actions == ["user.disable", "user.password", "user.role"]
    assert store.audit_entries()[2]["details"] == {
        "from": ["ill_staff", "211030"],
        "to": ["library_admin", "211030"],
    }
    own = {"active": "0"}
    selfie = post_form(client, "/staff/users", f"/staff/users/{accounts['admin'].id}/active", own)
    assert selfie.status_code == 422 and store.find("admin").active


def test_audit_page_lists_changes(client, accounts):
    login(client, "admin")
    html = client.get("/staff/audit").get_data(as_text=True)
    assert html.count("user.create") == 5


def test_change_own_password(client, accounts, store):
    login(client, "bor")
    wrong = post_form(
        client, "/staff/account", "/staff/account", {"current": "nope", "password": NEW}
    )
    assert wrong.status_code == 422
    ok = post_form(
        client, "/staff/account", "/staff/account", {"current": PASSWORD, "password": NEW}
    )
    assert ok.status_code == 302
    assert client.get("/staff/lib/211010/").status_code == 200  # this session goes on
    assert store.authenticate("bor", NEW) is not None


def test_cli_add_user_list_and_unlock(tmp_path):
    env = {"EFIRST_DATA_DIR": str(tmp_path)}
    runner = CliRunner()
    result = runner.invoke(
        main,
        ["staff", "add-user", "root", "--role", "consortium_admin", "--password-stdin"],
        input=PASSWORD + "\n",
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert "Created root (consortium_admin, all libraries)." in result.output
    bad = runner.invoke(
        main,
        ["staff", "add-user", "x1", "--role", "ill_staff", "--library", "999999"],
        input=PASSWORD + "\n",
        env=env,
    )
    assert bad.exit_code == 2 and "'999999' is not a member library" in bad.output
    weak = runner.invoke(
        main,
        [
            "staff",
            "add-user",
            "x2",
            "--role",
            "ill_staff",
            "--library",
            "211010",
            "--password-stdin",
        ],
        input="short\n",
        env=env,
    )
    assert weak.exit_code == 1 and "password: the password needs at least 10" in weak.output
    listed = runner.invoke(main, ["staff", "list-users"], env=env)
    assert listed.output == "root\tconsortium_admin\t*\tactive\n"
    store = StaffStore(tmp_path / "ledger.sqlite3")
    assert store.authenticate("root", PASSWORD) is not None
    assert store.audit_entries()[0]["actor"] == "cli"
    assert runner.invoke(main, ["staff", "unlock", "nobody"], env=env).exit_code == 1


def test_demo_accounts_are_idempotent(tmp_path):
    settings = Settings(tmp_path)
    first = create_demo_accounts(settings, ["211010"], password=NEW)
    again = create_demo_accounts(settings, ["211010"])
    assert [a.username for a in first] == ["demo-admin", "demo-ill-211010", "demo-admin-211010"]
    store = StaffStore(settings.ledger_db)
    assert len(store.users()) == 3
    assert store.authenticate("demo-ill-211010", again[0].password) is not None
