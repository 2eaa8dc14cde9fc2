"""The request pages: queues, the decision explained, actions through the ledger, "what if"."""

from __future__ import annotations

import re

from staff_testkit import csrf, login, new_request, post_form

from mappings.schema import Needs
from router.rank import Weights
from router.whatif import item_for


def _page(client, code, rid):
    return f"/staff/lib/{code}/requests/{rid}"


def _act(client, code, rid, **data):
    return post_form(client, _page(client, code, rid), _page(client, code, rid) + "/events", data)


def test_queues_show_lending_and_borrowing_sides(client, accounts):
    req = new_request(client)
    login(client, "lend")
    lending = client.get("/staff/lib/211030/").get_data(as_text=True)
    assert f"/staff/lib/211030/requests/{req['id']}" in lending
    assert "RequestReceived" in lending
    client.post("/staff/logout", data={"csrf_token": csrf(client, "/staff/lib/211030/")})
    login(client, "bor")
    borrowing = client.get("/staff/lib/211010/").get_data(as_text=True)
    section = borrowing.split('id="borrowing-h"')[1]
    assert f"/staff/lib/211010/requests/{req['id']}" in section


def test_request_page_explains_the_decision(client, accounts):
    req = new_request(client)
    login(client, "bor")
    html = client.get(_page(client, "211010", req["id"])).get_data(as_text=True)
    # the rota with score components, the current position, the excluded library and why
    rota = html.split('class="staff-table rota"')[1].split("</table>")[0]
    assert rota.index("211030") < rota.index("221010")
    for component in ("cost", "time", "turnaround", "fill_rate", "load", "partner"):
        assert f'<th scope="col">{component}</th>' in rota
    assert 'class="current"' in rota
    excluded = html.split('class="staff-table excluded"')[1].split("</table>")[0]
    assert "252010" in excluded and "does not lend to other libraries" in excluded
    assert "rota position 1 of 2" in html
    timeline = html.split('class="timeline"')[1]
    assert timeline.index(">created<") < timeline.index(">sent<")


def test_lender_refuses_with_a_reason_and_the_request_moves_on(client, accounts, store, router):
    req = new_request(client)
    login(client, "lend")
    response = _act(client, "211030", req["id"], type="refused", reason="in use")
    assert response.status_code == 302
    stored = router.ledger.get(req["id"])
    assert stored["lender"] == "221010" and stored["state"] == "RequestReceived"
    refused = [e for e in stored["events"] if e["type"] == "refused"]
    assert refused[0]["library"] == "211030" and refused[0]["reason"] == "in use"
    entry = store.audit_entries("211030")[0]
    assert (entry["actor"], entry["action"], entry["target"]) == (
        "lend",
        "request.refused",
        req["id"],
    )
    assert entry["details"]["reason"] == "in use" and entry["details"]["to"] == "RequestReceived"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Done: the request is now RequestReceived." in page


def test_refusal_without_reason_is_refused_and_keeps_the_request(client, accounts, router):
    req = new_request(client)
    login(client, "lend")
    response = _act(client, "211030", req["id"], type="refused", reason="")
    assert response.status_code == 422
    assert "a refusal needs a reason" in response.get_data(as_text=True)
    assert router.ledger.get(req["id"])["lender"] == "211030"


def test_event_that_does_not_fit_the_state_is_a_clear_409(client, accounts, router):
    req = new_request(client)
    login(client, "bor")
    response = _act(client, "211010", req["id"], type="returned", reason="keep this note")
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "does not apply to a request in state RequestReceived" in html
    assert 'value="keep this note"' in html  # the input is kept
    stored = router.ledger.get(req["id"])
    assert stored["state"] == "RequestReceived" and len(stored["events"]) == 2


def test_borrower_cannot_send_a_lender_event(client, accounts, router):
    req = new_request(client)
    login(client, "bor")
    response = _act(client, "211010", req["id"], type="will_supply")
    assert response.status_code == 403
    assert "only the current lender can" in response.get_data(as_text=True)
    assert router.ledger.get(req["id"])["state"] == "RequestReceived"


def test_resubmitted_form_changes_the_request_once(client, accounts, router):
    req = new_request(client)
    login(client, "lend")
    page = _page(client, "211030", req["id"])
    html = client.get(page).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    nonce = re.search(r'name="nonce" value="([^"]+)"', html).group(1)
    form = {"csrf_token": token, "nonce": nonce, "type": "refused", "reason": "lost"}
    assert client.post(page + "/events", data=form).status_code == 302
    assert router.ledger.get(req["id"])["lender"] == "221010"
    client.post(page + "/events", data=form)  # the same form again: no second refusal
    stored = router.ledger.get(req["id"])
    assert stored["lender"] == "221010"
    assert [e["type"] for e in stored["events"]].count("refused") == 1


def test_loan_lifecycle_supply_ship_receive_return(client, accounts, router):
    req = new_request(client, service="loan")
    login(client, "lend")
    assert _act(client, "211030", req["id"], type="will_supply").status_code == 302
    assert _act(client, "211030", req["id"], type="shipped").status_code == 302
    assert router.ledger.get(req["id"])["state"] == "Loaned"
    login(client, "bor")
    assert _act(client, "211010", req["id"], type="received").status_code == 302
    assert _act(client, "211010", req["id"], type="returned").status_code == 302
    stored = router.ledger.get(req["id"])
    assert stored["state"] == "LoanCompleted"
    assert [e["type"] for e in stored["events"]] == [
        "created",
        "sent",
        "will_supply",
        "shipped",
        "received",
        "returned",
    ]


def test_borrower_cancels(client, accounts, router):
    req = new_request(client)
    login(client, "bor")
    assert _act(client, "211010", req["id"], type="cancelled", reason="patron").status_code == 302
    assert router.ledger.get(req["id"])["state"] == "Cancelled"


def test_manual_reroute_sends_to_the_chosen_library(client, accounts, router):
    req = new_request(client)
    login(client, "bor")
    response = _act(client, "211010", req["id"], type="reroute", to_library="241010", reason="x")
    assert response.status_code == 302
    stored = router.ledger.get(req["id"])
    assert stored["lender"] == "241010"
    assert stored["rota"][0]["status"] == "skipped"
    bad = _act(client, "211010", req["id"], type="reroute", to_library="999999")
    assert bad.status_code == 422 and "choose the member library" in bad.get_data(as_text=True)


def test_other_library_cannot_see_the_request(client, accounts):
    req = new_request(client)
    login(client, "lend")  # 211030 is in the rota: may see it
    assert client.get(_page(client, "211030", req["id"])).status_code == 200
    assert client.get(_page(client, "211010", req["id"])).status_code == 403  # not its library
    assert client.get(_page(client, "211030", "no-such-id")).status_code == 404


def test_consortium_admin_acts_for_the_lender_after_switching(client, accounts, router):
    req = new_request(client)
    login(client, "admin")
    switched = post_form(client, "/staff/lib/211010/", "/staff/switch", {"library": "211030"})
    assert switched.headers["Location"].endswith("/staff/lib/211030/")
    assert _act(client, "211030", req["id"], type="refused", reason="busy").status_code == 302
    assert router.ledger.get(req["id"])["lender"] == "221010"


def test_what_if_rescoring(client, accounts, router):
    req = new_request(client, record_id="c-many")
    login(client, "bor")
    url = _page(client, "211010", req["id"]) + "/whatif"
    same = client.get(url)
    assert same.status_code == 200
    assert "The order stays the same" in same.get_data(as_text=True)
    # only cost counts: the order must equal the router's own decision under those weights
    weights = {"cost": 1, "time": 0, "turnaround": 0, "fill_rate": 0, "load": 0, "partner": 0}
    html = client.get(url, query_string=weights).get_data(as_text=True)
    assert "The order changes with these weights." in html
    table = html.split('class="staff-table rescored"')[1].split("</table>")[0]
    shown = re.findall(r"\((\d{6})\)</td>", table)
    stored = router.ledger.get(req["id"])
    needs_item = item_for(router, stored)
    expected = router.decide(
        needs_item, "211010", Needs(format="book", service="loan"), weights=Weights(**weights)
    )
    assert shown == [e.library for e in expected.rota]
    assert len(shown) >= 3


def test_what_if_bad_weight_names_the_field(client, accounts):
    req = new_request(client, record_id="c-many")
    login(client, "bor")
    url = _page(client, "211010", req["id"]) + "/whatif"
    response = client.get(url, query_string={"cost": "-1"})
    assert response.status_code == 400
    assert "weights.cost: must be a number &gt;= 0" in response.get_data(as_text=True)
    response = client.get(url, query_string={"time": "fast"})
    assert response.status_code == 400 and "weights.time" in response.get_data(as_text=True)


def test_staff_navigation_reaches_usage_suggestions_and_fees(client, accounts):
    login(client, "lend")
    page = client.get("/staff/lib/211030/").get_data(as_text=True)
    assert "/staff/lib/211030/usage" in page
    assert "/staff/lib/211030/suggestions" in page
    assert "/staff/consortium/fees" not in page  # consortium pages: administrators only
    login(client, "admin")
    admin_page = client.get("/staff/lib/211030/").get_data(as_text=True)
    assert "/staff/consortium/fees" in admin_page


def test_current_lender_of_a_copy_request_is_offered_the_delivery_upload(client, accounts):
    copy = new_request(client, service="copy")
    loan = new_request(client, service="loan")
    lender = copy["decision"]["rota"][0]["library"]  # the first lender of the rota has it now
    assert lender == "221010"  # copies: Fudan ranks first in the sample consortium
    login(client, "lend2")
    copy_page = client.get(_page(client, lender, copy["id"])).get_data(as_text=True)
    assert f"/staff/lib/{lender}/requests/{copy['id']}/delivery" in copy_page
    loan_lender = loan["decision"]["rota"][0]["library"]
    login(client, "admin")
    loan_page = client.get(_page(client, loan_lender, loan["id"])).get_data(as_text=True)
    assert f"/requests/{loan['id']}/delivery" not in loan_page
    login(client, "bor")  # the borrower's staff do not upload
    borrower_page = client.get(_page(client, "211010", copy["id"])).get_data(as_text=True)
    assert "/delivery" not in borrower_page
