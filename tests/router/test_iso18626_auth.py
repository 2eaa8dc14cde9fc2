"""Who may post to ``/iso18626``: an API key of the member the message speaks for, or an
address in that member's ``iso18626_allow``; anything else is an ERROR confirmation with
401 / 403 that says why, and changes nothing."""

from __future__ import annotations

import pytest
from iso_testkit import FIXTURES, confirmation_of, make_app, make_router, write_members

from mappings.schema import Library
from router.iso18626 import Agency, supplying_message
from router.iso18626_auth import outbound_headers
from router.members import MembersFileError, load_members

NEW_REQUEST = (FIXTURES / "circill__NewRequest.xml").read_bytes()  # 211030 asks 211010
BORROWER, LENDER = "211030", "211010"


@pytest.fixture
def router(tmp_path, clock):
    members = write_members(tmp_path / "members.toml", allow=["10.1.2.0/24"])
    return make_router(tmp_path, members, clock)


@pytest.fixture
def client(router):
    return make_app(router).test_client()


def post(client, data: bytes = NEW_REQUEST, key: str | None = None, address: str = "127.0.0.1"):
    headers = {"Authorization": key if key.startswith("Basic") else f"Bearer {key}"} if key else {}
    response = client.post(
        "/iso18626",
        data=data,
        content_type="application/xml",
        headers=headers,
        environ_base={"REMOTE_ADDR": address},
    )
    assert response.mimetype == "application/xml"
    return response, confirmation_of(response.data)


def test_no_credentials_is_401_naming_what_to_send(client, router):
    response, answer = post(client)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert (answer["status"], answer["error_type"]) == ("ERROR", "UnrecognisedDataValue")
    assert (
        "no credentials for requestingAgencyId ISIL:OCLC-BCDEF (member 211030)" in (answer["error"])
    )
    assert "iso18626_allow (not 127.0.0.1)" in answer["error"]
    assert router.ledger.list_requests() == []


def test_the_key_of_the_requesting_member_is_accepted_and_recorded(client, router):
    key = router.api_keys.create(BORROWER)
    response, answer = post(client, key=key)
    assert (response.status_code, answer["status"]) == (200, "OK")
    (created,) = router.ledger.list_requests()
    first = router.ledger.get(created["id"])["events"][0]
    assert first["by"] == {"kind": "iso18626", "name": "ISIL:OCLC-BCDEF"}


def test_another_agencys_key_is_403_and_changes_nothing(client, router):
    key = router.api_keys.create(LENDER)  # the addressee's key, not the requester's
    response, answer = post(client, key=key)
    assert response.status_code == 403
    assert answer["status"] == "ERROR"
    assert f"belongs to {LENDER}, not to {BORROWER} (ISIL:OCLC-BCDEF)" in answer["error"]
    assert key.split("_", 2)[2] not in answer["error"]  # never echo the secret
    assert router.ledger.list_requests() == []


@pytest.mark.parametrize("mangle", ["revoked", "unknown", "basic"])
def test_a_bad_key_is_401_even_from_an_allowed_address(client, router, mangle):
    key = router.api_keys.create(BORROWER)
    if mangle == "revoked":
        router.api_keys.revoke(BORROWER)
    elif mangle == "unknown":
        key = key[:-4] + "AAAA"
    else:
        key = "Basic dXNlcjpwYXNz"
    response, answer = post(client, key=key, address="10.1.2.3")
    assert response.status_code == 401 and answer["status"] == "ERROR"
    assert "API key" in answer["error"] or "Bearer" in answer["error"]
    assert router.ledger.list_requests() == []


def test_an_allowlisted_address_needs_no_key(client, router):
    response, answer = post(client, address="10.1.2.3")
    assert (response.status_code, answer["status"]) == (200, "OK")
    assert len(router.ledger.list_requests()) == 1


def test_an_address_outside_the_allowlist_is_refused(client, router):
    response, answer = post(client, address="10.1.3.1")
    assert response.status_code == 401
    assert "not 10.1.3.1" in answer["error"]


def test_the_consortium_key_speaks_for_every_member(client, router):
    key = router.api_keys.create(router.members_file.consortium.code)
    assert post(client, key=key)[0].status_code == 200


def test_an_unknown_agency_is_still_a_plain_data_error(client, router):
    response, answer = post(client, NEW_REQUEST.replace(b"OCLC-BCDEF", b"XX-NOBODY"))
    assert response.status_code == 400
    assert "requestingAgencyId ISIL:XX-NOBODY is not a member library" in answer["error"]


def test_a_supplying_message_must_come_from_the_supplier(client, router):
    decision = {"kind": "lend", "rota": [{"library": LENDER, "score": 0.5}], "excluded": []}
    router.ledger.create(borrower=BORROWER, request={}, decision=decision, request_id="r-9")
    message = supplying_message(
        supplying=Agency("ISIL", "OCLC-ABCDE"),  # 211010, the lender
        requesting=Agency("ISIL", "OCLC-BCDEF"),
        requesting_request_id="r-9",
        supplying_request_id="s-1",
        status="WillSupply",
        reason_for_message="RequestResponse",
    )
    response, answer = post(client, message, key=router.api_keys.create(BORROWER))
    assert response.status_code == 403 and "not to 211010" in answer["error"]
    assert router.ledger.get("r-9")["state"] == "RequestReceived"

    response, answer = post(client, message, key=router.api_keys.create(LENDER))
    assert (response.status_code, answer["status"]) == (200, "OK")
    stored = router.ledger.get("r-9")
    assert stored["state"] == "WillSupply"
    assert stored["events"][-1]["by"] == {"kind": "iso18626", "name": "ISIL:OCLC-ABCDE"}


# -- the members file and outgoing headers ------------------------------------------------


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('iso18626_allow = ["10.0.0.0/33"]', "iso18626_allow: '10.0.0.0/33' is not an IP"),
        ('iso18626_key_env = "efk_0123456789ab_secret"', "iso18626_key_env: this is an API key"),
        ('iso18626_key_env = "MY KEY"', "is not an environment variable name"),
    ],
)
def test_the_members_file_checks_the_iso18626_settings(tmp_path, line, problem):
    path = write_members(tmp_path / "members.toml")
    text = path.read_text(encoding="utf-8").replace(
        'code = "211010"\n', f'code = "211010"\n{line}\n', 1
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MembersFileError) as caught:
        load_members(path)
    assert any("member 211010" in p and problem in p for p in caught.value.problems)


def test_outbound_headers_carry_our_key_only_when_configured():
    peer = Library("211030", "复旦", "Fudan", iso18626_key_env="ISO18626_KEY_211030")
    env = {"ISO18626_KEY_211030": "efk_0123456789ab_" + "A" * 43}
    assert outbound_headers(peer, env)["Authorization"] == f"Bearer {env['ISO18626_KEY_211030']}"
    assert "Authorization" not in outbound_headers(peer, {})
    assert "Authorization" not in outbound_headers(Library("1", "a", "b"), env)
    assert outbound_headers(None, env)["Content-Type"].startswith("application/xml")
