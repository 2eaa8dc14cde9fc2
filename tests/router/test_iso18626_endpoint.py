"""``POST /iso18626`` with the real sample messages (tests/fixtures/iso18626, see SOURCES.md)."""

from __future__ import annotations

import pytest
from iso_testkit import FIXTURES, confirmation_of, make_app, make_router, write_members

from router.iso18626 import Agency, read_message, request_message
from router.iso18626_inbound import request_id_for


@pytest.fixture
def router(tmp_path, clock):
    # The test client posts from 127.0.0.1: allowed for the sample messages' agencies
    # (keys and refusals: test_iso18626_auth.py).
    members = write_members(tmp_path / "members.toml", allow=["127.0.0.1/32"])
    return make_router(tmp_path, members, clock)


@pytest.fixture
def client(router):
    return make_app(router).test_client()


def post(client, data: bytes):
    response = client.post("/iso18626", data=data, content_type="application/xml")
    assert response.mimetype == "application/xml"
    answer = confirmation_of(response.data)
    assert response.status_code == (200 if answer["status"] == "OK" else 400)
    return answer


def sample(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def lend_request(router, request_id, borrower="211010", rota=("211030", "221010"), service="loan"):
    decision = {
        "kind": "lend",
        "rota": [{"library": code, "score": 0.5} for code in rota],
        "excluded": [],
        "explanation": [],
    }
    return router.ledger.create(
        borrower=borrower, request={}, decision=decision, service=service, request_id=request_id
    )


# -- request ----------------------------------------------------------------------------


def test_new_request_creates_a_lending_request_with_the_addressed_lender(client, router):
    answer = post(client, sample("circill__NewRequest.xml"))
    assert answer == {
        "kind": "requestConfirmation",
        "status": "OK",
        "request_id": "168166854",
        "error_type": "",
        "error": "",
        "echo": "",
    }
    message = read_message(sample("circill__NewRequest.xml"))
    stored = router.ledger.get(request_id_for(message))
    assert (stored["borrower"], stored["lender"]) == ("211030", "211010")
    assert stored["state"] == "RequestReceived" and stored["service"] == "loan"
    citation = stored["request"]["citation"]
    assert citation["btitle"] == "Harry Potter and the Half-Blood Prince"
    assert citation["isbn"] == ["9780439784542"]
    assert stored["request"]["needs"]["needed_by"] == "2021-04-02"
    assert stored["request"]["iso18626"]["requesting_request_id"] == "168166854"


def test_a_repeated_request_is_confirmed_and_recorded_once(client, router):
    for _ in range(2):
        assert post(client, sample("circill__NewRequest.xml"))["status"] == "OK"
    assert len(router.ledger.list_requests()) == 1
    stored = router.ledger.list_requests()[0]
    assert [e["type"] for e in router.ledger.get(stored["id"])["events"]] == ["created", "sent"]


def test_crosslink_request_is_accepted(client, router):
    assert post(client, sample("crosslink__request-loaned.xml"))["status"] == "OK"
    (stored,) = router.ledger.list_requests()
    assert (stored["borrower"], stored["lender"], stored["service"]) == ("211030", "211010", "loan")


def test_request_between_one_library_and_itself_is_refused(client, router):
    answer = post(client, sample("circill__RequestSample1.xml"))
    assert (answer["status"], answer["error_type"]) == ("ERROR", "UnrecognisedDataValue")
    assert "same library (211010)" in answer["error"]
    assert router.ledger.list_requests() == []


def test_unknown_requesting_agency_is_named(client, router):
    data = sample("circill__NewRequest.xml").replace(b"OCLC-BCDEF", b"XX-NOBODY")
    answer = post(client, data)
    assert answer["error_type"] == "UnrecognisedDataValue"
    assert "requestingAgencyId ISIL:XX-NOBODY is not a member library" in answer["error"]
    assert router.ledger.list_requests() == []


def test_request_to_the_consortium_is_routed_by_the_router(client, router):
    data = request_message(
        supplying=Agency("ISIL", "CASHL"),
        requesting=Agency("ISIL", "OCLC-ABCDE"),
        request_id="r-77",
        citation={"btitle": "Modern Chinese history", "isbn": ["9787101003048"]},
        service="loan",
    )
    assert post(client, data)["status"] == "OK"
    (summary,) = router.ledger.list_requests()
    stored = router.ledger.get(summary["id"])
    assert stored["borrower"] == "211010"
    assert stored["request"]["iso18626"]["role"] == "broker"
    assert stored["kind"] in ("lend", "none")


# -- supplyingAgencyMessage -------------------------------------------------------------


def test_refusal_moves_the_request_to_the_next_lender(client, router):
    lend_request(router, "Requesting-ID-3")
    answer = post(client, sample("circill__SupplyingAgencyMessageRefused.xml"))
    assert answer["kind"] == "supplyingAgencyMessageConfirmation"
    assert (answer["status"], answer["echo"]) == ("OK", "RequestResponse")
    stored = router.ledger.get("Requesting-ID-3")
    assert stored["lender"] == "221010" and stored["state"] == "RequestReceived"
    refused = [e for e in stored["events"] if e["type"] == "refused"]
    assert refused[0]["library"] == "211030" and "NotHeld" in refused[0]["reason"]


def test_refusal_by_the_last_lender_ends_unfilled_and_repeats_change_nothing(client, router):
    lend_request(router, "Requesting-ID-3", rota=("211030",))
    for _ in range(2):
        assert post(client, sample("circill__SupplyingAgencyMessageRefused.xml"))["status"] == "OK"
    stored = router.ledger.get("Requesting-ID-3")
    assert stored["state"] == "Unfilled" and stored["purchase_suggestion"]
    assert [e["type"] for e in stored["events"]].count("refused") == 1


@pytest.mark.parametrize(
    ("name", "request_id"),
    [
        ("circill__SupplyingAgencyMessageLoaned.xml", "Requesting-ID-2"),
        ("crosslink__supmsg-ok.xml", "6ad1ff2e-bab2-4978-b064-656c0e67ebd6"),
    ],
)
def test_loaned_ships_the_loan(client, router, name, request_id):
    lend_request(router, request_id)
    assert post(client, sample(name))["status"] == "OK"
    stored = router.ledger.get(request_id)
    assert (stored["state"], stored["lender"]) == ("Loaned", "211030")


def test_overdue_after_loaned(client, router):
    lend_request(router, "Requesting-ID-6")
    router.event("Requesting-ID-6", "shipped", library="211030")
    assert post(client, sample("circill__SupplyingAgencyMessageOverdue.xml"))["status"] == "OK"
    assert router.ledger.get("Requesting-ID-6")["state"] == "Overdue"


@pytest.mark.parametrize(
    ("name", "request_id", "echo"),
    [
        ("circill__SupplyingAgencyMessageRenewYes.xml", "Requesting-ID-2", "RenewResponse"),
        ("circill__SupplyingAgencyMessageCancelYes.xml", "Requesting-ID-4", "CancelResponse"),
        ("circill__SupplyingAgencyMessageShippedCopy.xml", "Requesting-ID-1234", "RenewResponse"),
    ],
)
def test_answers_that_change_nothing_are_recorded_on_the_timeline(
    client, router, name, request_id, echo
):
    lend_request(router, request_id)
    router.event(request_id, "shipped", library="211030")
    answer = post(client, sample(name))
    assert (answer["status"], answer["echo"]) == ("OK", echo)
    stored = router.ledger.get(request_id)
    assert stored["state"] == "Loaned"
    note = stored["events"][-1]
    assert note["type"] == "iso18626_supplyingAgencyMessage" and note["reason"].startswith(echo)


def test_message_for_an_unknown_request_is_an_error(client):
    answer = post(client, sample("circill__SupplyingAgencyMessageRefused.xml"))
    assert answer["error_type"] == "UnrecognisedDataValue"
    assert "requestingAgencyRequestId 'Requesting-ID-3': no such request" in answer["error"]


def test_message_from_a_library_that_does_not_hold_the_request_is_an_error(client, router):
    lend_request(router, "Requesting-ID-3", rota=("221010", "211030"))
    answer = post(client, sample("circill__SupplyingAgencyMessageRefused.xml"))
    assert answer["error_type"] == "UnrecognisedDataValue"
    assert "211030 cannot send this event" in answer["error"]
    assert router.ledger.get("Requesting-ID-3")["lender"] == "221010"


# -- requestingAgencyMessage ------------------------------------------------------------


def lender_side(client, router, name):
    """A request received from the borrower whose message ``name`` then acts on it."""
    message = read_message(sample(name))
    data = request_message(
        supplying=message.supplying,
        requesting=message.requesting,
        request_id=message.requesting_request_id,
        citation={"btitle": "A book"},
        service="loan",
    )
    assert post(client, data)["status"] == "OK"
    return request_id_for(message)


def test_cancel_cancels_the_request(client, router):
    request_id = lender_side(client, router, "circill__RequestingAgencyMessageCancel.xml")
    answer = post(client, sample("circill__RequestingAgencyMessageCancel.xml"))
    assert (answer["kind"], answer["status"], answer["echo"]) == (
        "requestingAgencyMessageConfirmation",
        "OK",
        "Cancel",
    )
    assert router.ledger.get(request_id)["state"] == "Cancelled"


def test_crosslink_cancel(client, router):
    request_id = lender_side(client, router, "crosslink__reqmsg-ok.xml")
    assert post(client, sample("crosslink__reqmsg-ok.xml"))["status"] == "OK"
    assert router.ledger.get(request_id)["state"] == "Cancelled"


def test_received_and_renew(client, router):
    request_id = lender_side(client, router, "circill__RequestingAgencyMessageReceived.xml")
    router.event(request_id, "shipped", library="211010")
    assert post(client, sample("circill__RequestingAgencyMessageReceived.xml"))["status"] == "OK"
    assert router.ledger.get(request_id)["events"][-1]["type"] == "received"
    assert post(client, sample("circill__RequestingAgencyMessageRenew.xml"))["status"] == "OK"
    last = router.ledger.get(request_id)["events"][-1]
    assert last["type"] == "iso18626_requestingAgencyMessage" and last["reason"] == "Renew."


def test_cancel_after_shipping_is_an_error_naming_the_state(client, router):
    request_id = lender_side(client, router, "circill__RequestingAgencyMessageCancel.xml")
    router.event(request_id, "shipped", library="211010")
    answer = post(client, sample("circill__RequestingAgencyMessageCancel.xml"))
    assert answer["error_type"] == "UnrecognisedDataValue"
    assert "state Loaned" in answer["error"]


# -- bad messages -----------------------------------------------------------------------


def test_invalid_status_value_is_badly_formed_and_names_it(client):
    answer = post(client, sample("crosslink__supmsg-invalid-status.xml"))
    assert answer["kind"] == "supplyingAgencyMessageConfirmation"
    assert answer["error_type"] == "BadlyFormedMessage"
    assert "line 27" in answer["error"] and "WeCouldLoan" in answer["error"]


def test_broken_xml(client):
    data = sample("circill__NewRequest.xml")[:700]
    answer = post(client, data)
    assert answer["error_type"] == "BadlyFormedMessage"
    assert answer["error"].startswith("not well-formed XML")


@pytest.mark.parametrize(
    "name", ["modrs__request_allfields.xml", "modrs__supplyingAgencyMessage_allfields.xml"]
)
def test_wrong_root_element(client, name):
    answer = post(client, sample(name))
    assert answer["error_type"] == "BadlyFormedMessage"
    assert "the root element is" in answer["error"] and "not ISO18626Message" in answer["error"]


@pytest.mark.parametrize(
    ("name", "element"),
    [
        ("modrs__patronRequest.xml", "requestedDeliveryInfo"),
        ("modrs__supplyingAgencyMessage_statusChange.xml", "URL"),
    ],
)
def test_messages_not_valid_against_v1_2_are_refused(client, router, name, element):
    answer = post(client, sample(name))
    assert answer["error_type"] == "BadlyFormedMessage"
    assert element in answer["error"]
    assert router.ledger.list_requests() == []


def test_a_confirmation_is_not_a_message(client):
    answer = post(client, sample("circill__RequestConfirmationSample1.xml"))
    assert answer["error_type"] == "UnsupportedActionType"


@pytest.mark.parametrize(
    "data",
    [b"", b"not xml at all", b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'],
)
def test_garbage_gets_a_request_error_confirmation(client, data):
    answer = post(client, data)
    assert (answer["kind"], answer["error_type"]) == ("requestConfirmation", "BadlyFormedMessage")
