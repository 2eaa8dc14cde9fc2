"""Business days counted on the consortium's calendar (its time zone), around midnight."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from router_testkit import FakeClock

from router.business_days import add_business_days
from router.members import MembersFileError, load_consortium
from router.network import SAMPLE_NETWORK
from router.service import Router

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Friday 17:00 UTC is already Saturday 01:00 in Beijing.
FRIDAY_EVENING_UTC = datetime(2025, 3, 7, 17, 0, tzinfo=UTC)


def test_a_request_sent_after_midnight_in_beijing_was_sent_on_saturday():
    deadline = add_business_days(FRIDAY_EVENING_UTC, 1, tz=SHANGHAI)
    assert deadline == datetime(2025, 3, 10, 1, 0, tzinfo=SHANGHAI)  # Monday 01:00 local
    assert deadline.astimezone(UTC) == datetime(2025, 3, 9, 17, 0, tzinfo=UTC)


def test_on_utc_dates_the_same_moment_is_still_friday():
    deadline = add_business_days(FRIDAY_EVENING_UTC, 1, tz=UTC)
    assert deadline == datetime(2025, 3, 10, 17, 0, tzinfo=UTC)


def test_closed_dates_are_local_days():
    # Sunday 16:30 UTC is Monday 00:30 in Beijing; Monday 10 March is closed there.
    start = datetime(2025, 3, 9, 16, 30, tzinfo=UTC)
    deadline = add_business_days(start, 1, frozenset({date(2025, 3, 10)}), tz=SHANGHAI)
    assert deadline == datetime(2025, 3, 11, 0, 30, tzinfo=SHANGHAI)


def test_one_minute_before_local_midnight_counts_from_that_day():
    start = datetime(2025, 3, 6, 15, 59, tzinfo=UTC)  # Thursday 23:59 in Beijing
    assert add_business_days(start, 1, tz=SHANGHAI) == datetime(2025, 3, 7, 23, 59, tzinfo=SHANGHAI)


def _members(tmp_path, timezone: str | None):
    text = (SAMPLE_NETWORK.parent / "members.toml").read_text(encoding="utf-8")
    text = text.replace(
        'timezone = "Asia/Shanghai"', "" if timezone is None else f'timezone = "{timezone}"'
    )
    path = tmp_path / "members.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _router(tmp_path, members, clock):
    return Router(
        tmp_path / "ledger.sqlite3", members=members, network_path=SAMPLE_NETWORK, clock=clock
    )


def test_the_consortium_time_zone_defaults_to_shanghai(tmp_path):
    assert load_consortium(_members(tmp_path, None)).timezone == "Asia/Shanghai"


def test_a_bad_time_zone_names_the_field(tmp_path):
    with pytest.raises(MembersFileError, match=r"field timezone: 'Mars/Olympus'"):
        load_consortium(_members(tmp_path, "Mars/Olympus"))


@pytest.mark.parametrize(
    ("timezone", "expected"),
    [
        # Saturday 01:00 local: Mon, Tue, Wed -> Wednesday 01:00 local = Tuesday 17:00 UTC
        ("Asia/Shanghai", datetime(2025, 3, 11, 17, 0, tzinfo=UTC)),
        # Friday 17:00: Mon, Tue, Wed -> Wednesday 17:00 UTC
        ("UTC", datetime(2025, 3, 12, 17, 0, tzinfo=UTC)),
        # Friday 12:00 EST -> Wednesday 12:00 EDT (summer time began on Sunday 9 March)
        ("America/New_York", datetime(2025, 3, 12, 16, 0, tzinfo=UTC)),
    ],
)
def test_router_deadlines_use_the_consortium_calendar(tmp_path, timezone, expected):
    router = _router(tmp_path, _members(tmp_path, timezone), FakeClock(FRIDAY_EVENING_UTC))
    deadline = router.deadline_for("211030", FRIDAY_EVENING_UTC)  # 3 business days
    assert deadline.astimezone(UTC) == expected


def test_router_today_is_the_local_date(tmp_path):
    sunday_utc = datetime(2025, 3, 2, 16, 30, tzinfo=UTC)  # Monday 00:30 in Beijing
    router = _router(tmp_path, _members(tmp_path, None), FakeClock(sunday_utc))
    assert router.today() == date(2025, 3, 3)
    utc_router = _router(tmp_path / "u", _members(tmp_path, "UTC"), FakeClock(sunday_utc))
    assert utc_router.today() == date(2025, 3, 2)
