"""The monthly ILL fee statement: charges from a real ledger, netting between three
libraries (amounts computed by hand), CSV and printable HTML."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from stats_testkit import FDU, PKU, THU, at

from router.fees import Transfer, balances_csv, charges_csv, fee_statement
from router.ledger import Ledger
from router.members import SAMPLE_MEMBERS, load_members
from search_app.fees_html import fee_statement_html

A, B, C = PKU, THU, FDU
HOSTILE = '<script>alert("fee")</script>'


def _lend(
    ledger: Ledger, borrower: str, rota: list[tuple[str, float | None]], when: str, *,
    service: str = "copy", title: str = "A title",
) -> str:  # fmt: skip
    entries: list[dict[str, Any]] = []
    for library, fee in rota:
        entry: dict[str, Any] = {"library": library, "score": 0.5}
        if fee is not None:
            entry["facts"] = {"fee": fee, "shipping": 3.0}
        entries.append(entry)
    asked = {"citation": {"atitle": title}, "needs": {"format": "article", "service": service}}
    made = ledger.create(borrower=borrower, request=asked, service=service, now=at(when),
                         decision={"kind": "lend", "rota": entries})  # fmt: skip
    return made["id"]


def _ship(ledger: Ledger, request_id: str, lender: str, when: str) -> None:
    assert ledger.apply(request_id, "shipped", library=lender, now=at(when))["lender"] in (
        lender,
        None,
    )


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    book = Ledger(tmp_path / "ledger.sqlite3")
    one = _lend(book, A, [(B, 10.0)], "2025-03-03 09:00:00", title=HOSTILE)
    _ship(book, one, B, "2025-03-05 10:00:00")
    two = _lend(book, A, [(C, 25.0)], "2025-03-03 09:00:00", service="loan")
    _ship(book, two, C, "2025-03-06 10:00:00")
    three = _lend(book, B, [(C, 12.5)], "2025-03-04 09:00:00")
    _ship(book, three, C, "2025-03-07 10:00:00")
    four = _lend(book, C, [(A, 5.25)], "2025-03-04 09:00:00")
    _ship(book, four, A, "2025-03-08 10:00:00")
    # refused by the first lender, shipped by the second (its fee rounds half up)
    five = _lend(book, B, [(C, 8.0), (A, 8.005)], "2025-03-04 09:00:00")
    book.apply(five, "refused", library=C, reason="missing", now=at("2025-03-05 09:00:00"))
    _ship(book, five, A, "2025-03-10 10:00:00")
    # re-routed by staff to a library with no recorded fee: A's policy fee for articles
    six = _lend(book, C, [(B, 10.0)], "2025-03-04 09:00:00")
    book.apply(six, "reroute", library=C, to_library=A, now=at("2025-03-05 09:00:00"))
    _ship(book, six, A, "2025-03-11 10:00:00")
    # not in March's statement: shipped in April, in February, or cancelled
    seven = _lend(book, A, [(B, 10.0)], "2025-03-28 09:00:00")
    _ship(book, seven, B, "2025-04-01 00:00:01")
    eight = _lend(book, A, [(B, 10.0)], "2025-02-27 09:00:00")
    _ship(book, eight, B, "2025-02-28 23:59:59")
    nine = _lend(book, A, [(B, 10.0)], "2025-03-03 09:00:00")
    book.apply(nine, "cancelled", library=A, now=at("2025-03-04 09:00:00"))
    return book


@pytest.fixture
def policies() -> dict[str, Any]:
    return {code: lib.policy for code, lib in load_members(SAMPLE_MEMBERS).items()}


def test_charges(ledger: Ledger, policies: dict[str, Any]):
    statement = fee_statement(ledger, "2025-03", policies)
    found = [(c.borrower, c.lender, c.fee, c.fee_source) for c in statement.charges]
    assert found == [
        (A, B, Decimal("10.00"), "decision"),
        (A, C, Decimal("25.00"), "decision"),
        (B, C, Decimal("12.50"), "decision"),
        (C, A, Decimal("5.25"), "decision"),
        (B, A, Decimal("8.01"), "decision"),
        (C, A, Decimal("8.00"), "policy"),
    ]
    assert statement.total == Decimal("68.76")
    assert statement.charges[1].service == "loan"


def test_netting_between_three_libraries(ledger: Ledger, policies: dict[str, Any]):
    statement = fee_statement(ledger, "2025-03", policies)
    balances = {b.library: (b.lent, b.credit, b.borrowed, b.debit, b.net, b.position)
                for b in statement.balances}  # fmt: skip
    assert balances == {
        A: (3, Decimal("21.26"), 2, Decimal("35.00"), Decimal("-13.74"), "pays"),
        B: (1, Decimal("10.00"), 2, Decimal("20.51"), Decimal("-10.51"), "pays"),
        C: (2, Decimal("37.50"), 2, Decimal("13.25"), Decimal("24.25"), "credited"),
    }
    assert sum(b.net for b in statement.balances) == 0
    assert statement.collected == Decimal("24.25")
    assert statement.transfers == [
        Transfer(A, B, Decimal("1.99")),
        Transfer(A, C, Decimal("11.75")),
        Transfer(B, C, Decimal("12.50")),
    ]


def test_without_policies_a_rerouted_supply_has_no_fee(ledger: Ledger):
    statement = fee_statement(ledger, "2025-03")
    assert statement.charges[-1].fee_source == "none"
    assert statement.charges[-1].fee == Decimal("0.00")


def test_quiet_month_lists_the_members_asked_for(ledger: Ledger):
    statement = fee_statement(ledger, "2025-05", libraries=[A, B])
    assert [(b.library, b.net, b.position) for b in statement.balances] == [
        (A, Decimal("0.00"), "even"),
        (B, Decimal("0.00"), "even"),
    ]
    assert statement.charges == [] and statement.transfers == []


def test_balances_csv(ledger: Ledger, policies: dict[str, Any]):
    text = balances_csv(fee_statement(ledger, "2025-03", policies), {A: "Peking"})
    assert text.startswith("\ufeffmonth,library,name,lent,credit,borrowed,debit,net,position")
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    assert [(r["library"], r["net"], r["position"]) for r in rows] == [
        (A, "-13.74", "pays"),
        (B, "-10.51", "pays"),
        (C, "24.25", "credited"),
        ("*", "0.00", ""),
    ]
    assert rows[0]["name"] == "Peking" and rows[3]["credit"] == "68.76"


def test_charges_csv(ledger: Ledger, policies: dict[str, Any]):
    rows = list(csv.DictReader(io.StringIO(charges_csv(fee_statement(ledger, "2025-03",
                                                                     policies))[1:])))  # fmt: skip
    assert len(rows) == 6
    assert rows[0]["title"] == HOSTILE and rows[0]["fee"] == "10.00"
    assert rows[5]["fee_source"] == "policy" and rows[5]["shipped_at"].startswith("2025-03-11")


def test_printable_html(ledger: Ledger, policies: dict[str, Any]):
    html = fee_statement_html(fee_statement(ledger, "2025-03", policies), {A: "Peking"}, "CASHL")
    assert html.startswith("<!doctype html>")
    assert "<style>" in html and "@media print" in html
    assert 'id="balance-211010"' in html and "pays 13.74" in html
    assert "is credited 24.25" in html and "68.76" in html
    assert HOSTILE not in html and "&lt;script&gt;" in html
