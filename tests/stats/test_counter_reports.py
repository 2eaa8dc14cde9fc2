"""COUNTER-style reports on seeded events: numbers computed by hand, header rows and
JSON shape checked against COUNTER's own R5.1 samples (tests/fixtures/counter)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from stats_testkit import PKU, THU, at

from router.ledger import Ledger
from search_app.counter import Report, build_report
from search_app.counter_format import HEADER_ROWS, report_json, report_table
from search_app.usage_store import TitleInfo, UsageEvent, UsageStore

FIXTURES = Path(__file__).parents[1] / "fixtures" / "counter"
MONTHS = ["2025-01", "2025-02", "2025-03"]
CREATED = at("2025-04-02 08:00:00")


def _event(kind: str, when: str, session: str, record: str = "", **extra: Any) -> UsageEvent:
    return UsageEvent(kind, extra.pop("library", PKU), record, session, at=at(when), **extra)


SEEDED = [
    # January: three searches, record views with a double click, two clicks, a denial
    _event("search", "2025-01-05 10:00:00", "s1"),
    _event("search", "2025-01-05 10:01:00", "s1"),
    _event("search", "2025-01-05 10:02:00", "s1"),
    _event("search", "2025-01-05 10:02:00", "s9", library=THU),
    _event("investigation", "2025-01-05 10:00:00", "s1", "s-book"),
    _event("investigation", "2025-01-05 10:00:20", "s1", "s-book"),  # double click
    _event("investigation", "2025-01-05 10:05:00", "s1", "s-book"),
    _event("investigation", "2025-01-05 11:00:00", "s2", "s-book"),
    _event("request", "2025-01-05 10:06:00", "s1", "s-book"),
    _event("request", "2025-01-05 11:01:00", "s2", "s-book", access="Open"),
    _event("denial", "2025-01-06 09:00:00", "s3", "s-jnl"),
    _event("investigation", "2025-01-07 09:00:00", "s9", "s-jnl", library=THU),
    # February: a double click on a journal, another session, one search
    _event("request", "2025-02-01 12:00:00", "s1", "s-jnl"),
    _event("request", "2025-02-01 12:00:10", "s1", "s-jnl"),  # double click
    _event("request", "2025-02-02 12:00:00", "s4", "s-jnl"),
    _event("search", "2025-02-03 12:00:00", "s4"),
    # outside the period
    _event("search", "2024-12-31 23:59:59", "s0"),
    _event("request", "2025-04-01 00:00:00", "s0", "s-jnl"),
]


@pytest.fixture
def store(tmp_path: Path) -> UsageStore:
    usage = UsageStore(tmp_path / "usage.sqlite3")
    usage.add_many(SEEDED)
    usage.remember_title(TitleInfo("s-book", "Weather and climate", "Book", "Routledge",
                                   isbn="9780415271714", yop="2001"))  # fmt: skip
    usage.remember_title(TitleInfo("s-jnl", "Journal of climate history", "Journal",
                                   print_issn="1234-5679", yop="1999"))  # fmt: skip
    return usage


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    book = Ledger(tmp_path / "ledger.sqlite3")
    lend = {"kind": "lend", "rota": [{"library": THU, "score": 1.0}]}
    book.create(borrower=PKU, request={"record_id": "s-book"}, decision=lend,
                now=at("2025-03-10 08:00:00"))  # fmt: skip
    book.create(borrower=PKU, request={"record_id": "s-book"}, decision={"kind": "fulltext"},
                now=at("2025-03-11 08:00:00"))  # fmt: skip
    book.create(borrower=THU, request={"record_id": "s-jnl"}, decision={"kind": "none"},
                now=at("2025-03-12 08:00:00"))  # fmt: skip
    return book


def report(report_id: str, store: UsageStore, ledger: Ledger | None = None, **kw: Any) -> Report:
    kw.setdefault("library", PKU)
    return build_report(
        report_id, store, first="2025-01", last="2025-03", ledger=ledger, now=CREATED, **kw
    )


def table(built: Report) -> dict[tuple[str, ...], list[int]]:
    """Report rows as {(title or platform, attributes..., metric): [total, jan, feb, mar]}."""
    found = {}
    for row in built.rows:
        name = row.item.title if row.item else built.platform
        key = (name, *row.attributes.values(), row.metric)
        found[key] = [row.total, *(row.months[m] for m in MONTHS)]
    return found


def test_platform_report(store: UsageStore, ledger: Ledger):
    assert table(report("PR", store, ledger)) == {
        ("efirst", "Regular", "Searches_Platform"): [4, 3, 1, 0],
        ("efirst", "Regular", "Total_Item_Investigations"): [7, 5, 2, 0],
        ("efirst", "Regular", "Total_Item_Requests"): [4, 2, 2, 0],
        ("efirst", "Regular", "Unique_Item_Investigations"): [5, 3, 2, 0],
        ("efirst", "Regular", "Unique_Item_Requests"): [4, 2, 2, 0],
        ("efirst", "Regular", "Unique_Title_Investigations"): [5, 3, 2, 0],
        ("efirst", "Regular", "Unique_Title_Requests"): [4, 2, 2, 0],
        ("efirst", "Regular", "No_License"): [1, 1, 0, 0],
        ("efirst", "Regular", "ILL_Requests"): [1, 0, 0, 1],
    }


def test_platform_usage_standard_view(store: UsageStore, ledger: Ledger):
    assert table(report("PR_P1", store, ledger)) == {
        ("efirst", "Searches_Platform"): [4, 3, 1, 0],
        ("efirst", "Total_Item_Requests"): [4, 2, 2, 0],
        ("efirst", "Unique_Item_Requests"): [4, 2, 2, 0],
        ("efirst", "Unique_Title_Requests"): [4, 2, 2, 0],
    }


def test_every_library_together(store: UsageStore):
    rows = table(report("PR_P1", store, library=None))
    assert rows[("efirst", "Searches_Platform")] == [5, 4, 1, 0]


def test_title_report(store: UsageStore, ledger: Ledger):
    book, jnl = "Weather and climate", "Journal of climate history"
    controlled = (book, "Book", "2001", "Controlled", "Regular")
    opened = (book, "Book", "2001", "Open", "Regular")
    journal = (jnl, "Journal", "1999", "Controlled", "Regular")
    assert table(report("TR", store, ledger)) == {
        (*opened, "Total_Item_Investigations"): [1, 1, 0, 0],
        (*opened, "Total_Item_Requests"): [1, 1, 0, 0],
        (*opened, "Unique_Item_Investigations"): [1, 1, 0, 0],
        (*opened, "Unique_Item_Requests"): [1, 1, 0, 0],
        (*opened, "Unique_Title_Investigations"): [1, 1, 0, 0],
        (*opened, "Unique_Title_Requests"): [1, 1, 0, 0],
        (*controlled, "Total_Item_Investigations"): [4, 4, 0, 0],
        (*controlled, "Total_Item_Requests"): [1, 1, 0, 0],
        (*controlled, "Unique_Item_Investigations"): [2, 2, 0, 0],
        (*controlled, "Unique_Item_Requests"): [1, 1, 0, 0],
        (*controlled, "Unique_Title_Investigations"): [2, 2, 0, 0],
        (*controlled, "Unique_Title_Requests"): [1, 1, 0, 0],
        (*controlled, "ILL_Requests"): [1, 0, 0, 1],
        (*journal, "Total_Item_Investigations"): [2, 0, 2, 0],
        (*journal, "Total_Item_Requests"): [2, 0, 2, 0],
        (*journal, "Unique_Item_Investigations"): [2, 0, 2, 0],
        (*journal, "Unique_Item_Requests"): [2, 0, 2, 0],
        (*journal, "Unique_Title_Investigations"): [2, 0, 2, 0],
        (*journal, "Unique_Title_Requests"): [2, 0, 2, 0],
        (*journal, "No_License"): [1, 1, 0, 0],
    }


def test_book_and_journal_standard_views(store: UsageStore):
    assert table(report("TR_B1", store)) == {
        ("Weather and climate", "2001", "Total_Item_Requests"): [1, 1, 0, 0],
        ("Weather and climate", "2001", "Unique_Title_Requests"): [1, 1, 0, 0],
    }
    assert table(report("TR_J1", store)) == {
        ("Journal of climate history", "Total_Item_Requests"): [2, 0, 2, 0],
        ("Journal of climate history", "Unique_Item_Requests"): [2, 0, 2, 0],
    }
    assert table(report("TR_J2", store)) == {
        ("Journal of climate history", "No_License"): [1, 1, 0, 0],
    }
    assert table(report("TR_B2", store)) == {}


def test_unknown_titles_are_looked_up_and_kept(tmp_path: Path):
    usage = UsageStore(tmp_path / "u.sqlite3")
    usage.add(_event("investigation", "2025-01-05 10:00:00", "s1", "c-9"))
    payload = {"id": "c-9", "title": "Looked up", "format": "book", "year": 1990}
    built = report("TR", usage, lookup={"c-9": payload}.get)
    assert built.rows[0].item.title == "Looked up"
    assert usage.titles(["c-9"])["c-9"].data_type == "Book"


def test_bad_arguments_name_the_option(store: UsageStore):
    with pytest.raises(ValueError, match="report: 'XX'"):
        build_report("XX", store, first="2025-01", last="2025-02")
    with pytest.raises(ValueError, match="from: must be a month"):
        build_report("PR", store, first="2025-13", last="2025-02")
    with pytest.raises(ValueError, match="to: 2024-01 must not be before"):
        build_report("PR", store, first="2025-01", last="2024-01")


def test_no_usage_is_an_exception(store: UsageStore):
    built = build_report("PR", store, first="2020-01", last="2020-02", now=CREATED)
    assert built.rows == [] and built.exceptions == [
        (3030, "No Usage Available for Requested Dates")
    ]
    assert report("PR", store).exceptions == []
    current = build_report("PR", store, first="2025-01", last="2025-04", now=CREATED)
    assert (3040, "Partial Data Returned") in current.exceptions


# -- formats, against COUNTER's own samples ---------------------------------------------------


def _sample_tsv() -> list[list[str]]:
    text = (FIXTURES / "ermusage__TR_sample_r51.tsv").read_text(encoding="utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter="\t"))


def test_tabular_header_matches_the_counter_sample(store: UsageStore):
    sample = _sample_tsv()
    text = report_table(report("TR", store, institution_id="CASHL:211010"), "\t")
    assert text.startswith("\ufeffReport_Name\tTitle Report\t")
    ours = list(csv.reader(io.StringIO(text[1:]), delimiter="\t"))
    assert [r[0] for r in ours[:13]] == [r[0] for r in sample[:13]] == list(HEADER_ROWS)
    assert set(ours[13]) == {""} and set(sample[13]) == {""}
    assert ours[14][:16] == sample[14][:16]  # Title ... Metric_Type, Reporting_Period_Total
    assert ours[14][16:] == ["Jan-2025", "Feb-2025", "Mar-2025"]
    assert all(len(row) == len(ours[14]) for row in ours)
    header = {row[0]: row[1] for row in ours[:13]}
    assert header["Report_ID"] == "TR" and header["Release"] == sample[2][1] == "5.1"
    assert header["Reporting_Period"] == "Begin_Date=2025-01-01; End_Date=2025-03-31"
    assert (
        header["Report_Attributes"] == "Attributes_To_Show=Data_Type|YOP|Access_Type|Access_Method"
    )
    assert header["Institution_ID"] == "Proprietary:CASHL:211010"
    assert header["Created"] == "2025-04-02T08:00:00Z"


def test_standard_view_header_and_csv(store: UsageStore):
    text = report_table(report("TR_B1", store), ",")
    rows = list(csv.reader(io.StringIO(text[1:])))
    header = {row[0]: row[1] for row in rows[:13]}
    assert header["Report_Name"] == "Book Requests (Controlled)"
    assert header["Metric_Types"] == "Total_Item_Requests; Unique_Title_Requests"
    assert (
        header["Report_Filters"] == "Data_Type=Book; Access_Type=Controlled; Access_Method=Regular"
    )
    assert header["Report_Attributes"] == ""
    assert rows[14][-6:] == ["YOP", "Metric_Type", "Reporting_Period_Total", "Jan-2025",
                             "Feb-2025", "Mar-2025"]  # fmt: skip
    assert rows[15] == ["Weather and climate", "Routledge", "", "efirst", "", "efirst:s-book",
                        "9780415271714", "", "", "", "2001", "Total_Item_Requests", "1", "1",
                        "0", "0"]  # fmt: skip
    assert "\r\n" in text


def test_json_has_the_sushi_shape(store: UsageStore, ledger: Ledger):
    sample = json.loads((FIXTURES / "ermusage__DR_sample_r51.json").read_text(encoding="utf-8"))
    data = report_json(report("TR", store, ledger, institution_id="CASHL:211010"))
    json.dumps(data)  # serialisable as is
    header = data["Report_Header"]
    assert set(header) <= set(sample["Report_Header"]) | {"Exceptions"}
    assert header["Release"] == sample["Report_Header"]["Release"]
    assert header["Report_Filters"] == {"Begin_Date": "2025-01-01", "End_Date": "2025-03-31"}
    assert header["Institution_ID"] == {"Proprietary": ["CASHL:211010"]}
    assert set(sample["Report_Items"][0]) >= {"Platform", "Item_ID", "Attribute_Performance"}
    [journal] = [i for i in data["Report_Items"] if i["Title"] == "Journal of climate history"]
    assert journal["Item_ID"] == {"Proprietary": "efirst:s-jnl", "Print_ISSN": "1234-5679"}
    [block] = journal["Attribute_Performance"]
    assert block["Data_Type"] == "Journal" and block["Access_Type"] == "Controlled"
    assert block["Performance"]["Total_Item_Requests"] == {"2025-02": 2}
    assert block["Performance"]["No_License"] == {"2025-01": 1}
    sample_block = sample["Report_Items"][0]["Attribute_Performance"][0]["Performance"]
    assert all(isinstance(v, int) for months in sample_block.values() for v in months.values())
    [book] = [i for i in data["Report_Items"] if i["Title"] == "Weather and climate"]
    assert [b["Access_Type"] for b in book["Attribute_Performance"]] == ["Controlled", "Open"]


def test_json_standard_view_filters(store: UsageStore):
    data = report_json(report("PR_P1", store))
    filters = data["Report_Header"]["Report_Filters"]
    assert filters["Access_Method"] == ["Regular"]
    assert filters["Metric_Type"] == [
        "Searches_Platform", "Total_Item_Requests", "Unique_Item_Requests", "Unique_Title_Requests"
    ]  # fmt: skip
    assert "Report_Attributes" not in data["Report_Header"]
    [item] = data["Report_Items"]
    assert item["Platform"] == "efirst"
    assert item["Attribute_Performance"][0]["Performance"]["Searches_Platform"] == {
        "2025-01": 3,
        "2025-02": 1,
    }
