"""Staff pages for usage reports and fee statements: roles, charts, downloads, errors."""

from __future__ import annotations

import json

from flask.testing import FlaskClient
from stats_testkit import FDU, OPEN_PDF, PKU, THU, at, login

from router.service import Router


def _use_the_portal(client: FlaskClient) -> None:
    assert client.get(f"/search?q=weather&lib={PKU}").status_code == 200
    assert client.get(f"/record/s-book?lib={PKU}").status_code == 200
    assert client.get("/go", query_string={"url": OPEN_PDF, "record": "s-book"}).status_code == 302


def test_sign_in_required(client: FlaskClient):
    response = client.get(f"/staff/lib/{PKU}/usage")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
    assert client.get("/staff/consortium/fees").status_code == 302


def test_library_usage_page_with_charts(client: FlaskClient):
    _use_the_portal(client)
    login(client, "pku")
    response = client.get(f"/staff/lib/{PKU}/usage")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert page.count("<svg") == 5 and "Searches Platform" in page
    assert 'id="usage-table"' in page and "Searches_Platform" in page
    assert "/staff/lib/211010/usage.csv" in page and "/staff/lib/211010/usage.json" in page


def test_title_report_page(client: FlaskClient):
    _use_the_portal(client)
    login(client, "pku")
    page = client.get(f"/staff/lib/{PKU}/usage?report=TR").get_data(as_text=True)
    assert "Weather and climate" in page and "Total_Item_Requests" in page


def test_other_librarys_usage_is_forbidden(client: FlaskClient):
    login(client, "pku")
    assert client.get(f"/staff/lib/{THU}/usage").status_code == 403
    assert client.get(f"/staff/lib/{THU}/usage.csv").status_code == 403
    assert client.get("/staff/consortium/usage").status_code == 403
    assert client.get("/staff/consortium/fees").status_code == 403


def test_downloads(client: FlaskClient):
    _use_the_portal(client)
    login(client, "pku")
    tsv = client.get(f"/staff/lib/{PKU}/usage.tsv?report=PR_P1")
    assert tsv.status_code == 200 and tsv.mimetype == "text/tab-separated-values"
    assert tsv.get_data(as_text=True).startswith("\ufeffReport_Name\tPlatform Usage")
    assert 'filename="PR_P1_211010_' in tsv.headers["Content-Disposition"]
    data = client.get(f"/staff/lib/{PKU}/usage.json?report=PR_P1").get_json()
    performance = data["Report_Items"][0]["Attribute_Performance"][0]["Performance"]
    assert sum(performance["Searches_Platform"].values()) == 1
    assert sum(performance["Total_Item_Requests"].values()) == 1
    assert client.get(f"/staff/lib/{PKU}/usage.xml").status_code == 404


def test_bad_arguments_are_400_naming_them(client: FlaskClient):
    login(client, "pku")
    response = client.get(f"/staff/lib/{PKU}/usage?from=2025-13")
    assert response.status_code == 400 and "from: must be a month" in response.get_data(
        as_text=True
    )
    response = client.get(f"/staff/lib/{PKU}/usage.csv?report=ZZ")
    assert response.status_code == 400 and "report: &#39;ZZ&#39;" in response.get_data(as_text=True)


def test_consortium_usage_for_the_administrator(client: FlaskClient):
    _use_the_portal(client)
    client.get(f"/api/v1/search?q=climate&lib={THU}")
    login(client, "admin")
    page = client.get("/staff/consortium/usage?report=PR_P1").get_data(as_text=True)
    assert "Consortium" in page
    data = json.loads(client.get("/staff/consortium/usage.json?report=PR_P1").get_data())
    performance = data["Report_Items"][0]["Attribute_Performance"][0]["Performance"]
    assert sum(performance["Searches_Platform"].values()) == 2


def _supplied(router: Router, borrower: str, lender: str, fee: float, day: str) -> None:
    made = router.ledger.create(
        borrower=borrower,
        request={"record_id": "s-book", "needs": {"format": "book"}},
        decision={"kind": "lend", "rota": [{"library": lender, "facts": {"fee": fee}}]},
        now=at(f"{day} 09:00:00"),
    )
    router.ledger.apply(made["id"], "shipped", library=lender, now=at(f"{day} 12:00:00"))


def test_fee_statement_pages(client: FlaskClient, router: Router):
    _supplied(router, PKU, THU, 30.0, "2025-03-05")
    _supplied(router, THU, FDU, 25.0, "2025-03-06")
    login(client, "admin")
    page = client.get("/staff/consortium/fees?month=2025-03").get_data(as_text=True)
    assert "pays 30.00" in page and "is credited 25.00" in page and "is credited 5.00" in page
    assert "/staff/consortium/fees/print?month=2025-03" in page
    printable = client.get("/staff/consortium/fees/print?month=2025-03")
    text = printable.get_data(as_text=True)
    assert printable.status_code == 200 and "<style>" not in text and "usage.css" in text
    lines = client.get("/staff/consortium/fees.csv?month=2025-03").get_data(as_text=True)
    assert f"2025-03,{PKU},Peking University Library,0,0.00,1,30.00,-30.00,pays" in lines
    detail = client.get("/staff/consortium/fees-detail.csv?month=2025-03")
    assert detail.mimetype == "text/csv" and len(detail.get_data(as_text=True).splitlines()) == 3
    assert client.get("/staff/consortium/fees?month=March").status_code == 400
