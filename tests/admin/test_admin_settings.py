"""Member settings pages: roles, CSRF, validation naming the field, the members file
(written atomically, other members intact, unchanged on failure), audit, reload."""

from __future__ import annotations

import re
from pathlib import Path

from admin_testkit import LIBRARY, OTHER, csrf, login, post

from router.members import SAMPLE_MEMBERS, load_members
from search_app import create_app

SETTINGS = f"/admin/lib/{LIBRARY}/settings"


def _save(client, section: str, data: dict, code: str = LIBRARY):
    return post(
        client, f"/admin/lib/{code}/settings/{section}", data, f"/admin/lib/{code}/settings"
    )


def _errors(response) -> dict[str, str]:
    html = response.get_data(as_text=True)
    return dict(re.findall(r'class="field-error" id="([\w-]+)-error" role="alert">([^<]*)<', html))


NETWORK = {"ip_ranges": "10.1.0.0/16", "embed_domains": "lib.pku.edu.cn"}


def test_signed_out_goes_to_login(client, accounts):
    response = client.get(SETTINGS)
    assert response.status_code == 302
    assert "/staff/login" in response.headers["Location"]


def test_ill_staff_may_not_open_settings(client, accounts):
    login(client, "illstaff")
    assert client.get(SETTINGS).status_code == 403


def test_library_admin_may_not_change_another_library(admin):
    assert admin.get(f"/admin/lib/{OTHER}/settings").status_code == 403
    token = csrf(admin, SETTINGS)
    response = admin.post(
        f"/admin/lib/{OTHER}/settings/network", data={"csrf_token": token, **NETWORK}
    )
    assert response.status_code == 403


def test_consortium_admin_may_change_any_library(client, accounts, members_file):
    login(client, "boss")
    response = _save(client, "network", NETWORK, code=OTHER)
    assert response.status_code == 302
    assert load_members(members_file)[OTHER].embed_domains == ["lib.pku.edu.cn"]


def test_post_without_csrf_token_is_refused(admin, members_file):
    before = members_file.read_bytes()
    response = admin.post(f"/admin/lib/{LIBRARY}/settings/network", data=NETWORK)
    assert response.status_code == 400
    assert "expired or did not come from this site" in response.get_data(as_text=True)
    assert members_file.read_bytes() == before


def test_institution_saved_and_other_members_intact(admin, members_file):
    before = load_members(members_file)
    response = _save(
        admin,
        "institution",
        {
            "name_zh": "北京大学图书馆",
            "name_en": "Peking University Library",
            "address": "5 Yiheyuan Road, Haidian, Beijing",
            "badge_url": "https://lib.pku.edu.cn/badge.png",
        },
    )
    assert response.status_code == 302
    after = load_members(members_file)
    assert after[LIBRARY].address == "5 Yiheyuan Road, Haidian, Beijing"
    assert after[LIBRARY].badge_url == "https://lib.pku.edu.cn/badge.png"
    assert {c: after[c] for c in after if c != LIBRARY} == {
        c: before[c] for c in before if c != LIBRARY
    }
    assert list(after) == list(before)


def test_missing_name_and_bad_badge_url_name_their_fields(admin, members_file):
    before = members_file.read_bytes()
    response = _save(
        admin, "institution", {"name_zh": "", "name_en": "PKU", "badge_url": "javascript:alert(1)"}
    )
    assert response.status_code == 422
    errors = _errors(response)
    assert errors["name_zh"] == "required"
    assert "http://" in errors["badge_url"]
    assert members_file.read_bytes() == before


def test_network_ranges_are_stored_as_cidr(admin, members_file):
    data = {"ip_ranges": "162.105.0.0/16\n10.9.0.0 - 10.9.1.255", "embed_domains": "*.pku.edu.cn"}
    assert _save(admin, "network", data).status_code == 302
    library = load_members(members_file)[LIBRARY]
    assert library.ip_ranges == ["162.105.0.0/16", "10.9.0.0/23"]
    assert library.embed_domains == ["*.pku.edu.cn"]


def test_invalid_cidr_and_domain_name_their_fields(admin, members_file):
    before = members_file.read_bytes()
    data = {"ip_ranges": "10.1.0.0/33\n300.1.1.1", "embed_domains": "evil.com; script-src *"}
    response = _save(admin, "network", data)
    assert response.status_code == 422
    errors = _errors(response)
    assert "10.1.0.0/33" in errors["ip_ranges"] and "300.1.1.1" in errors["ip_ranges"]
    assert "evil.com; script-src *" in errors["embed_domains"]
    assert members_file.read_bytes() == before


def test_embed_domains_reach_the_portal_frame_ancestors(admin, client):
    assert (
        _save(admin, "network", {"ip_ranges": "", "embed_domains": "lib.pku.edu.cn"}).status_code
        == 302
    )
    response = client.get(f"/?embed={LIBRARY}")
    assert "frame-ancestors 'self' lib.pku.edu.cn" in response.headers["Content-Security-Policy"]


def test_resolver_settings_and_invalid_url(admin, members_file):
    bad = _save(admin, "resolver", {"resolver_base_url": "ftp://sfx.example.edu/sfx"})
    assert bad.status_code == 422
    assert "http://" in _errors(bad)["resolver_base_url"]
    good = _save(
        admin,
        "resolver",
        {"resolver_base_url": "https://sfx.pku.edu.cn/sfx", "resolver_link_text": "Find it @ PKU"},
    )
    assert good.status_code == 302
    library = load_members(members_file)[LIBRARY]
    assert (library.resolver_base_url, library.resolver_link_text) == (
        "https://sfx.pku.edu.cn/sfx",
        "Find it @ PKU",
    )
    page = admin.get(SETTINGS).get_data(as_text=True)
    assert 'href="https://sfx.pku.edu.cn/sfx?url_ver=Z39.88-2004' in page
    assert ">Find it @ PKU</a>" in page


def test_live_preview_uses_resolver_outbound(admin):
    response = admin.get(
        f"/admin/lib/{LIBRARY}/resolver/preview",
        query_string={"base_url": "https://sfx.example.edu/sfx?sid=x", "link_text": ""},
    )
    data = response.get_json()
    assert data["url"].startswith("https://sfx.example.edu/sfx?sid=x&url_ver=Z39.88-2004")
    assert "rft.isbn=9780226458083" in data["url"]
    assert data["text"] == "OpenURL Query"
    wrong = admin.get(f"/admin/lib/{LIBRARY}/resolver/preview", query_string={"base_url": "nope"})
    assert wrong.get_json()["url"] == ""
    assert "resolver_base_url" in wrong.get_json()["errors"]


POLICY = {
    "lends": "on",
    "copies": "on",
    "formats": ["book", "article"],
    "fee_article": "12.5",
    "fee_book": "40",
    "delivery_methods": ["electronic", "post"],
    "payment_methods": "deposit, invoice",
    "processing_days": "2",
    "timeout_days": "4",
    "closed_dates": "2025-05-01/2025-05-05\n2025-06-02",
    "ill_contact": "ILL desk",
    "ill_email": "ill@lib.pku.edu.cn",
    "ill_phone": "+86 10 6275 1234",
}


def test_policy_is_what_the_router_loads(admin, members_file, app):
    assert _save(admin, "policy", POLICY).status_code == 302
    library = load_members(members_file)[LIBRARY]
    policy = library.policy
    assert policy.lends and policy.copies and not policy.loans
    assert policy.formats == ["book", "article"]
    assert policy.fees == {"article": 12.5, "book": 40.0}
    assert policy.delivery_methods == ["electronic", "post"]
    assert policy.payment_methods == ["deposit", "invoice"]
    assert (policy.processing_days, policy.timeout_days) == (2.0, 4)
    assert policy.closed_dates == ["2025-05-01/2025-05-05", "2025-06-02"]
    assert (library.ill_contact, library.ill_email, library.ill_phone) == (
        "ILL desk",
        "ill@lib.pku.edu.cn",
        "+86 10 6275 1234",
    )
    with app.app_context():
        from search_app.services import members

        assert members().get(LIBRARY).policy.timeout_days == 4  # reloaded at once


def test_bad_policy_values_name_their_fields(admin, members_file):
    before = members_file.read_bytes()
    bad = {
        **POLICY,
        "formats": ["book", "scroll"],
        "fee_book": "-3",
        "processing_days": "lots",
        "timeout_days": "2.5",
        "closed_dates": "2025-13-01",
        "ill_email": "not-an-address",
        "delivery_methods": ["pigeon"],
    }
    response = _save(admin, "policy", bad)
    assert response.status_code == 422
    errors = _errors(response)
    assert set(errors) >= {
        "formats",
        "fee_book",
        "processing_days",
        "timeout_days",
        "closed_dates",
        "ill_email",
        "delivery_methods",
    }
    assert "scroll" in errors["formats"]
    assert members_file.read_bytes() == before
    # the form comes back with what was typed
    assert 'value="lots"' in response.get_data(as_text=True)


def test_every_change_is_audited(admin, store):
    _save(admin, "network", {"ip_ranges": "10.1.0.0/16\n10.77.0.0/16", "embed_domains": ""})
    entry = store.audit_entries(LIBRARY)[0]
    assert (entry["actor"], entry["action"], entry["library"]) == (
        "libadmin",
        "member.network",
        LIBRARY,
    )
    assert entry["details"]["ip_ranges"] == {
        "old": ["10.1.0.0/16"],
        "new": ["10.1.0.0/16", "10.77.0.0/16"],
    }


def test_failed_change_is_not_audited(admin, store):
    before = len(store.audit_entries(LIBRARY))
    _save(admin, "network", {"ip_ranges": "nonsense", "embed_domains": ""})
    assert len(store.audit_entries(LIBRARY)) == before


def test_bundled_sample_is_never_written(tmp_path: Path, accounts):
    app = create_app(
        {
            "TESTING": True,
            "EFIRST_DATA_DIR": str(tmp_path / "other"),
            "EFIRST_MEMBERS_FILE": str(SAMPLE_MEMBERS),
            "SECRET_KEY": "x",
        }
    )
    from search_app import auth
    from search_app.staff_store import StaffStore

    auth.init_app(app, StaffStore(tmp_path / "ledger.sqlite3"))
    client = app.test_client()
    login(client, "libadmin")
    before = SAMPLE_MEMBERS.read_bytes()
    assert client.get(SETTINGS).status_code == 409
    assert SAMPLE_MEMBERS.read_bytes() == before


def test_pages_speak_chinese_by_default(app, accounts):
    browser = app.test_client()
    login(browser, "libadmin")
    page = browser.get(SETTINGS).get_data(as_text=True)
    assert "图书馆设置" in page and "上传标志" in page
    holdings = browser.get(f"/admin/lib/{LIBRARY}/holdings").get_data(as_text=True)
    assert "上传馆藏" in holdings


def test_staff_pages_link_to_the_settings(admin):
    page = admin.get(f"/staff/lib/{LIBRARY}/").get_data(as_text=True)
    assert f'href="/admin/lib/{LIBRARY}/settings"' in page
