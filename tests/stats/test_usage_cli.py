"""``efirst usage report|fees|ill`` on a seeded data dir; ``efirst stats`` is untouched."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from stats_testkit import FDU, PKU, THU, at

from router.ledger import Ledger
from search_app.cli import main
from search_app.usage_store import TitleInfo, UsageEvent, UsageStore


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    usage = UsageStore(tmp_path / "usage.sqlite3")
    usage.add_many(
        [
            UsageEvent("search", PKU, "", "s1", at=at("2025-01-05 10:00:00")),
            UsageEvent("search", THU, "", "s2", at=at("2025-01-05 10:00:00")),
            UsageEvent("request", PKU, "s-book", "s1", at=at("2025-02-05 10:00:00")),
            UsageEvent("denial", PKU, "s-book", "s3", at=at("2025-02-06 10:00:00")),
        ]
    )
    usage.remember_title(TitleInfo("s-book", "Weather and climate", "Book", yop="2001"))
    usage.close()
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    for borrower, lender, fee in ((PKU, THU, 10.0), (THU, FDU, 4.5)):
        made = ledger.create(
            borrower=borrower,
            request={"record_id": "s-book", "needs": {"format": "article"}},
            decision={"kind": "lend", "rota": [{"library": lender, "facts": {"fee": fee}}]},
            now=at("2025-03-03 09:00:00"),
        )
        ledger.apply(made["id"], "shipped", library=lender, now=at("2025-03-04 09:00:00"))
    ledger.close()
    return tmp_path


def run(data_dir: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env={"EFIRST_DATA_DIR": str(data_dir)})
    return result.exit_code, result.output


def test_platform_report_tsv(data_dir: Path):
    code, out = run(data_dir, "usage", "report", "--report", "PR_P1", "--library", PKU,
                    "--from", "2025-01", "--to", "2025-03", "--format", "tsv")  # fmt: skip
    assert code == 0, out
    rows = list(csv.reader(io.StringIO(out.lstrip("\ufeff")), delimiter="\t"))
    header = {row[0]: row[1] for row in rows[:13]}
    assert header["Institution_Name"] == "Peking University Library"
    assert header["Institution_ID"].startswith("Proprietary:") and header[
        "Institution_ID"
    ].endswith(f":{PKU}")
    body = {row[1]: row[2:] for row in rows[15:]}
    assert body == {
        "Searches_Platform": ["1", "1", "0", "0"],
        "Total_Item_Requests": ["1", "0", "1", "0"],
        "Unique_Item_Requests": ["1", "0", "1", "0"],
        "Unique_Title_Requests": ["1", "0", "1", "0"],
    }


def test_title_report_json_to_a_file(data_dir: Path, tmp_path: Path):
    target = tmp_path / "tr.json"
    code, out = run(data_dir, "usage", "report", "--report", "tr", "--from", "2025-02",
                    "--to", "2025-02", "--format", "json", "-o", str(target))  # fmt: skip
    assert code == 0, out
    data = json.loads(target.read_text(encoding="utf-8"))
    [item] = data["Report_Items"]
    assert item["Title"] == "Weather and climate"
    performance = item["Attribute_Performance"][0]["Performance"]
    assert performance["No_License"] == {"2025-02": 1}
    assert performance["Total_Item_Requests"] == {"2025-02": 1}


def test_report_bad_input(data_dir: Path):
    code, out = run(data_dir, "usage", "report", "--report", "PR", "--from", "2025-1x",
                    "--to", "2025-02")  # fmt: skip
    assert code == 2 and "from: must be a month YYYY-MM" in out
    code, out = run(data_dir, "usage", "report", "--report", "PR", "--library", "nope",
                    "--from", "2025-01", "--to", "2025-02")  # fmt: skip
    assert code == 2 and "no member library 'nope'" in out
    code, out = run(data_dir, "usage", "report", "--report", "XR", "--from", "2025-01",
                    "--to", "2025-02")  # fmt: skip
    assert code == 2 and "XR" in out


def test_fees_csv_and_detail(data_dir: Path):
    code, out = run(data_dir, "usage", "fees", "--month", "2025-03", "--format", "csv")
    assert code == 0, out
    rows = list(csv.DictReader(io.StringIO(out.lstrip("\ufeff"))))
    assert [r["position"] for r in rows] == ["pays", "credited", "credited", ""]
    nets = {r["library"]: r["net"] for r in rows}
    assert nets == {PKU: "-10.00", THU: "5.50", FDU: "4.50", "*": "0.00"}
    code, out = run(data_dir, "usage", "fees", "--month", "2025-03", "--detail")
    assert code == 0 and len(out.splitlines()) == 3  # heading + two charges


def test_fees_html(data_dir: Path, tmp_path: Path):
    target = tmp_path / "fees.html"
    code, out = run(data_dir, "usage", "fees", "--month", "2025-03", "--format", "html",
                    "--output", str(target))  # fmt: skip
    assert code == 0, out
    html = target.read_text(encoding="utf-8")
    assert "ILL fee statement 2025-03" in html and "pays 10.00" in html


def test_fees_bad_month_and_missing_ledger(data_dir: Path, tmp_path: Path):
    code, out = run(data_dir, "usage", "fees", "--month", "March")
    assert code == 2 and "--month" in out
    code, out = run(tmp_path / "empty", "usage", "fees", "--month", "2025-03")
    assert code == 1 and "no request ledger" in out


def test_ill_statistics_with_balance(data_dir: Path):
    code, out = run(data_dir, "usage", "ill", "--from", "2025-03-01", "--to", "2025-03-31")
    assert code == 0, out
    rows = {r["library"]: r for r in csv.DictReader(io.StringIO(out))}
    assert (rows[PKU]["borrowed_filled"], rows[PKU]["lent_supplied"]) == ("1", "0")
    assert rows[PKU]["lending_balance"] == "-1" and rows[PKU]["fill_rate"] == "1.0"
    assert rows[THU]["lending_balance"] == "0" and rows[FDU]["lending_balance"] == "1"
    assert rows["*"]["requests"] == "2"
    code, out = run(data_dir, "usage", "ill", "--format", "json", "--from", "2025-13-01")
    assert code == 2 and "--from" in out


def test_stats_command_is_still_the_indexers():
    stats = CliRunner().invoke(main, ["stats", "--help"])
    assert stats.exit_code == 0 and "de-duplication vetoes" in stats.output
    assert isinstance(main.commands["stats"], click.Command)
    assert not isinstance(main.commands["stats"], click.Group)
    assert set(main.commands["usage"].commands) == {"report", "fees", "ill"}
