"""Statistics on a seeded ledger: numbers, period, CSV export, SVG chart, roles."""

from __future__ import annotations

import csv
import io

import pytest
from staff_testkit import login, new_request

from router.ill_stats import NO_LENDER, Period, collect

HOSTILE = "<script>alert(1)</script>"


@pytest.fixture
def seeded(client, router, clock):
    """Six requests of 211010, all created on Monday 09:00, answered over the week (the
    rota order depends on the lenders' load, so each event goes to the lender asked now):

    r1 copy, first lender ships after 1 day                 -> CopyCompleted (1 day)
    r2 copy, first refuses, second ships on day 4           -> CopyCompleted (4 days)
    r3 copy, first refuses (hostile text), second refuses   -> Unfilled
    r4 copy, cancelled by the borrower                      -> Cancelled
    r5 nobody lends it                                      -> Unfilled (no lender)
    r6 copy, first lender ships after 12 hours              -> CopyCompleted (0.5 day)
    """
    ids = [new_request(client, service="copy")["id"] for _ in range(4)]
    ids.append(new_request(client, record_id="c-none", service="copy")["id"])
    ids.append(new_request(client, service="copy")["id"])
    r1, r2, r3, r4, r5, r6 = ids

    def lender(rid):
        return router.ledger.get(rid)["lender"]

    router.event(r4, "cancelled", library="211010", reason="patron left")
    clock.advance(hours=12)
    router.event(r6, "shipped", library=lender(r6))
    clock.advance(hours=12)
    router.event(r1, "shipped", library=lender(r1))
    router.event(r2, "refused", library=lender(r2), reason="in use")
    router.event(r3, "refused", library=lender(r3), reason=HOSTILE)
    clock.advance(days=1)
    router.event(r3, "refused", library=lender(r3), reason="not on shelf")
    clock.advance(days=2)
    router.event(r2, "shipped", library=lender(r2))
    return ids


def _rota_counts(router, ids, library):
    """What the ledger's rotas say about ``library`` as a lender (counted independently)."""
    counts = {}
    for rid in ids:
        for entry in router.ledger.get(rid)["rota"]:
            if entry["library"] == library and entry["status"] not in ("waiting", "skipped"):
                counts[entry["status"]] = counts.get(entry["status"], 0) + 1
    return counts


def test_numbers_per_library(router, seeded):
    stats = collect(router.ledger)
    borrower = stats["211010"]
    assert borrower.by_state == {"CopyCompleted": 3, "Unfilled": 2, "Cancelled": 1}
    assert (borrower.requests, borrower.filled, borrower.unfilled) == (6, 3, 2)
    assert (borrower.cancelled, borrower.open) == (1, 0)
    assert borrower.fill_rate == 0.6
    assert borrower.turnaround_mean == 1.83  # (0.5 + 1 + 4) / 3
    assert borrower.turnaround_median == 1.0
    assert borrower.unfilled_reasons == {HOSTILE: 1, "not on shelf": 1, NO_LENDER: 1}
    lenders = [stats[code] for code in ("211030", "221010")]
    for code, lender in zip(("211030", "221010"), lenders, strict=True):
        assert lender.lending == _rota_counts(router, seeded, code)
    assert sum(x.lending["supplied"] for x in lenders) == 3  # r1, r2, r6
    assert sum(x.lending["refused"] for x in lenders) == 3
    assert sum(x.lending["cancelled"] for x in lenders) == 1
    merged = lenders[0].refusal_reasons + lenders[1].refusal_reasons
    assert merged == {"in use": 1, HOSTILE: 1, "not on shelf": 1}
    assert sorted(lenders[0].lending_days + lenders[1].lending_days) == [0.5, 1.0, 3.0]


def test_period_filters_by_creation_day(router, seeded):
    from datetime import date

    assert collect(router.ledger, Period(date(2025, 3, 4), None)) == {}
    assert collect(router.ledger, Period(None, date(2025, 3, 3)))["211010"].requests == 6


def test_library_page_shows_numbers_and_charts(client, accounts, seeded):
    login(client, "bor")
    response = client.get("/staff/lib/211010/stats")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<dd id="requests">6</dd>' in html
    assert '<dd id="fill-rate">60.0 %</dd>' in html
    assert '<dd id="turnaround-mean">1.83 days</dd>' in html
    assert '<dd id="turnaround-median">1.0 days</dd>' in html
    assert html.count("<svg") == 2
    state_chart = html.split("<svg")[1]
    assert state_chart.count("<rect") == 3  # one bar per state
    assert HOSTILE not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_library_csv_export(client, accounts, seeded):
    login(client, "bor")
    response = client.get("/staff/lib/211010/stats.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "ill-stats-211010.csv" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    assert len(rows) == 1
    row = rows[0]
    assert row["library"] == "211010" and row["name"] == "Peking University Library"
    assert (row["requests"], row["filled"], row["unfilled"], row["cancelled"]) == (
        "6",
        "3",
        "2",
        "1",
    )
    assert row["fill_rate"] == "0.6" and row["turnaround_median_days"] == "1.0"
    assert row["lending_asked"] == "0" and row["lender_fill_rate"] == ""


def test_consortium_page_and_csv(client, accounts, router, seeded):
    login(client, "admin")
    page = client.get("/staff/consortium/stats")
    assert page.status_code == 200
    assert page.get_data(as_text=True).count("<svg") == 3
    text = client.get("/staff/consortium/stats.csv").get_data(as_text=True)
    rows = {r["library"]: r for r in csv.DictReader(io.StringIO(text[1:]))}
    assert len(rows) == 27  # 26 sample members + the consortium line
    for code in ("211030", "221010"):
        counts = _rota_counts(router, seeded, code)
        supplied, refused = counts.get("supplied", 0), counts.get("refused", 0)
        assert rows[code]["lending_supplied"] == str(supplied)
        assert float(rows[code]["lender_fill_rate"]) == round(supplied / (supplied + refused), 4)
    assert rows["*"]["requests"] == "6" and rows["*"]["fill_rate"] == "0.6"
    assert rows["282010"]["requests"] == "0"
    limited = client.get("/staff/consortium/stats.csv?from=2025-03-04").get_data(as_text=True)
    assert {r["library"]: r for r in csv.DictReader(io.StringIO(limited[1:]))}["*"][
        "requests"
    ] == "0"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2025-13-01", "from: must be a date YYYY-MM-DD"),
        ("to=yesterday", "to: must be a date YYYY-MM-DD"),
        ("from=2025-03-05&to=2025-03-01", "from: must not be after to"),
    ],
)
def test_bad_period_is_400_naming_the_argument(client, accounts, query, message):
    login(client, "bor")
    response = client.get(f"/staff/lib/211010/stats?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
