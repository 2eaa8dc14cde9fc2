"""``efirst router import --due``: integration profiles run on their schedule (daily or
weekly, on the consortium's calendar), idempotently, against a JSON endpoint on
127.0.0.1, with a clock the tests move by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from flask import Flask, jsonify, request
from iso_testkit import free_port, make_router, serve
from router_testkit import FakeClock

from router.import_schedule import run_due
from router.imports import Imports, Profile
from router.members import SAMPLE_MEMBERS
from search_app.cli import main

# Thursday 6 March 2025, 10:00 in Beijing.
THURSDAY = datetime(2025, 3, 6, 2, 0, tzinfo=UTC)


def external_app(calls: list[str], fail: list[bool]) -> Flask:
    app = Flask("external")

    @app.get("/api/requests")
    def requests_since():
        calls.append(request.args.get("since", ""))
        if fail and fail[0]:
            return "down for maintenance", 503
        return jsonify({"requests": [{"id": f"R-{len(calls)}", "citation": {"btitle": "X"}}]})

    return app


@pytest.fixture
def external():
    calls: list[str] = []
    fail: list[bool] = [False]
    port = free_port()
    with serve(external_app(calls, fail), port) as url:
        yield f"{url}/api", calls, fail


@pytest.fixture
def clock():
    return FakeClock(THURSDAY)


@pytest.fixture
def router(tmp_path, clock):
    return make_router(tmp_path, SAMPLE_MEMBERS, clock)


def add_profile(router, url, code="DAILY", schedule="daily", active=True):
    Imports(router).save_profile(
        Profile(code, code.title(), url, "211010", schedule=schedule, active=active)
    )


def ran(runs):
    return [(run["profile"], run["status"]) for run in runs]


def test_a_daily_profile_runs_once_per_local_day(router, clock, external):
    url, calls, _ = external
    add_profile(router, url)
    assert ran(run_due(router)) == [("DAILY", "completed")]
    clock.advance(hours=13)  # 23:00 in Beijing, same day: not due
    assert run_due(router) == []
    clock.advance(hours=1, minutes=1)  # 00:01 next day in Beijing (still Thursday in UTC)
    assert ran(run_due(router)) == [("DAILY", "completed")]
    assert run_due(router) == []
    assert len(calls) == 2


def test_a_weekly_profile_runs_once_per_iso_week(router, clock, external):
    url, calls, _ = external
    add_profile(router, url, "WEEKLY", "weekly")
    assert ran(run_due(router)) == [("WEEKLY", "completed")]
    clock.advance(days=3)  # Sunday, same week
    assert run_due(router) == []
    clock.advance(days=1)  # Monday: a new week
    assert ran(run_due(router)) == [("WEEKLY", "completed")]
    assert len(calls) == 2


def test_inactive_profiles_never_run(router, external):
    add_profile(router, external[0], active=False)
    assert run_due(router) == []
    assert external[1] == []


def test_a_failed_run_is_retried_after_an_hour_not_at_every_tick(router, clock, external):
    url, calls, fail = external
    add_profile(router, url)
    fail[0] = True
    assert ran(run_due(router)) == [("DAILY", "failed")]
    clock.advance(minutes=30)
    assert run_due(router) == []
    fail[0] = False
    clock.advance(minutes=31)
    assert ran(run_due(router)) == [("DAILY", "completed")]
    assert len(calls) == 2


def test_a_run_in_progress_blocks_a_second_worker(router, clock, external):
    url, calls, _ = external
    add_profile(router, url)
    with router.ledger._write() as conn:  # another worker claimed it a minute ago
        conn.execute(
            "INSERT INTO import_runs (profile, started_at) VALUES ('DAILY', ?)",
            ("2025-03-06T01:59:00.000000+00:00",),
        )
    assert run_due(router) == []
    clock.advance(hours=7)  # the other worker died long ago: its claim is stale
    assert ran(run_due(router)) == [("DAILY", "completed")]
    assert len(calls) == 1


def test_cli_import_due(tmp_path, monkeypatch, external):
    monkeypatch.setenv("EFIRST_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    made = runner.invoke(
        main,
        [
            "router",
            "profile",
            "DAILY",
            "--name",
            "D",
            "--base-url",
            external[0],
            "--library",
            "211010",
        ],
    )
    assert made.exit_code == 0, made.output
    first = runner.invoke(main, ["router", "import", "--due", "--now", "2025-03-06T10:00+08:00"])
    assert first.exit_code == 0, first.output
    assert "R-1\timported" in first.stdout and "1 profile(s) were due" in first.stderr
    again = runner.invoke(main, ["router", "import", "--due", "--now", "2025-03-06T23:59+08:00"])
    assert again.exit_code == 0 and "0 profile(s) were due" in again.stderr
    both = runner.invoke(main, ["router", "import", "DAILY", "--due"])
    assert both.exit_code == 2 and "either PROFILE_CODE or --due" in both.output
