"""Dates and counts are written the reader's way (Babel), in both languages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from delivery_testkit import LENDER, login
from flask import Flask
from flask.testing import FlaskClient

from search_app.i18n import utc_datetime
from search_app.templating import number


def test_utc_moments_in_chinese_and_english(app: Flask) -> None:
    moment = datetime(2025, 3, 3, 9, 5, 7, tzinfo=UTC)
    with app.test_request_context("/?lang=zh_CN"):
        assert utc_datetime(moment) == "2025年3月3日 09:05"
        assert utc_datetime(moment.isoformat(), seconds=True) == "2025年3月3日 09:05:07"
        assert number(1234567) == "1,234,567"
    with app.test_request_context("/?lang=en"):
        assert utc_datetime("2025-03-03T09:05:07+00:00") == "Mar 3, 2025 9:05\u202fAM"


def test_other_time_zones_are_shown_in_utc_and_bad_text_is_kept(app: Flask) -> None:
    beijing = datetime(2025, 3, 3, 17, 5, tzinfo=timezone(timedelta(hours=8)))
    with app.test_request_context("/?lang=zh_CN"):
        assert utc_datetime(beijing) == "2025年3月3日 09:05"
        assert utc_datetime("not a date") == "not a date"
        assert utc_datetime(None) == ""


def test_staff_request_page_dates_in_chinese(app: Flask, client: FlaskClient) -> None:
    made = app.test_client().post(
        "/api/v1/requests",
        json={"library": "211010", "record_id": "c-1", "needs": {"service": "copy"}},
    )
    login(client, "lend")
    page = client.get(f"/staff/lib/{LENDER}/requests/{made.get_json()['id']}")
    text = page.get_data(as_text=True)
    assert "2025年3月3日 09:00" in text  # the clock of the tests' ledger
    assert "T09:00" not in text.split("<time", 1)[1].split(">", 1)[1].split("<", 1)[0]
