"""``efirst router tick``: cron-friendly and idempotent."""

from __future__ import annotations

from click.testing import CliRunner

from mappings.schema import Needs
from router.service import Router
from search_app.cli import main


def test_tick_moves_timed_out_requests_once(tmp_path, monkeypatch, make_item):
    monkeypatch.setenv("EFIRST_DATA_DIR", str(tmp_path))
    router = Router(tmp_path / "ledger.sqlite3")
    created = router.submit("211010", make_item(["211030", "221010"]), Needs(service="loan"), {})
    runner = CliRunner()
    first = runner.invoke(main, ["router", "tick", "--now", "2099-01-01T00:00:00+08:00"])
    assert first.exit_code == 0, first.output
    assert created["id"] in first.stdout
    assert router.ledger.get(created["id"])["lender"] == "221010"
    second = runner.invoke(main, ["router", "tick", "--now", "2099-01-01T00:00:00+08:00"])
    assert second.exit_code == 0 and created["id"] not in second.stdout


def test_tick_rejects_a_naive_time(tmp_path, monkeypatch):
    monkeypatch.setenv("EFIRST_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(main, ["router", "tick", "--now", "2025-01-01T00:00"])
    assert result.exit_code == 2 and "time zone" in result.output


def test_check_reports_members_and_routes(tmp_path, monkeypatch):
    monkeypatch.setenv("EFIRST_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(main, ["router", "check"])
    assert result.exit_code == 0 and "26 members" in result.output
