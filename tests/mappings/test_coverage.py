"""KBART coverage rules (mappings.coverage): ranges, open ends, volumes, embargoes."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mappings.coverage import covers, embargo_boundary, parse_embargo
from mappings.errors import RecordError
from mappings.schema import EHolding

TODAY = date(2024, 6, 15)


def line(**fields: str) -> EHolding:
    return EHolding(library="LIB", package="pkg", publication_title="Journal", **fields)


# --- parse_embargo ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ("", 0)),
        ("   ", ("", 0)),
        ("R1Y", ("R", 365)),
        ("P2Y", ("P", 730)),
        ("R6M", ("R", 180)),
        ("p30d", ("P", 30)),
        (" R 12 M ", ("R", 360)),
        ("P10Y;R1Y", ("P", 3650)),
    ],
)
def test_parse_embargo(text: str, expected: tuple[str, int]) -> None:
    assert parse_embargo(text) == expected


@pytest.mark.parametrize("text", ["1Y", "R1W", "RY", "embargo", "R-1Y"])
def test_parse_embargo_rejects_garbage_naming_the_field(text: str) -> None:
    with pytest.raises(RecordError, match="embargo_info") as info:
        parse_embargo(text)
    assert isinstance(info.value, ValueError)


def test_boundaries_are_calendar_units() -> None:
    assert embargo_boundary(1, "Y", TODAY) == date(2024, 1, 1)
    assert embargo_boundary(2, "Y", TODAY) == date(2023, 1, 1)
    assert embargo_boundary(1, "M", TODAY) == date(2024, 6, 1)
    assert embargo_boundary(6, "M", TODAY) == date(2024, 1, 1)
    assert embargo_boundary(7, "M", TODAY) == date(2023, 12, 1)
    assert embargo_boundary(30, "D", TODAY) == date(2024, 5, 17)


# --- date ranges ----------------------------------------------------------------------


def test_closed_date_range() -> None:
    held = line(date_first_issue_online="1953-01-01", date_last_issue_online="1998-10-01")
    assert not covers(held, year=1952, today=TODAY)
    assert covers(held, year=1953, today=TODAY)
    assert covers(held, year=1998, today=TODAY)
    assert not covers(held, year=1999, today=TODAY)


def test_open_ended_range_runs_to_today() -> None:
    held = line(date_first_issue_online="1987-02-01")
    assert covers(held, year=2024, today=TODAY)
    assert not covers(held, year=1986, today=TODAY)


def test_no_dates_no_volumes_covers_everything() -> None:
    assert covers(line(), year=1800, today=TODAY)


def test_unknown_year_is_not_excluded_by_dates() -> None:
    held = line(date_first_issue_online="2000", date_last_issue_online="2001")
    assert covers(held, year=None, today=TODAY)


def test_month_precision_last_date_includes_whole_month() -> None:
    held = line(date_last_issue_online="2001-06")
    assert covers(held, year=2001, today=TODAY)
    assert not covers(held, year=2002, today=TODAY)


def test_unreadable_dates_are_open() -> None:
    held = line(date_first_issue_online="n/a", date_last_issue_online="unknown")
    assert covers(held, year=1900, today=TODAY)


# --- volumes and issues ---------------------------------------------------------------


def test_volume_only_coverage() -> None:
    held = line(num_first_vol_online="5", num_last_vol_online="10")
    assert not covers(held, year=None, volume="4")
    assert covers(held, year=None, volume="5")
    assert covers(held, year=2020, volume="10", today=TODAY)
    assert not covers(held, year=None, volume="11")


def test_volume_unknown_in_citation_is_not_excluded() -> None:
    assert covers(line(num_first_vol_online="5"), year=None, volume="")


def test_issue_bounds_apply_only_in_boundary_volumes() -> None:
    held = line(
        num_first_vol_online="2",
        num_first_issue_online="3",
        num_last_vol_online="47",
        num_last_issue_online="3-4",
    )
    assert not covers(held, year=None, volume="2", issue="2")
    assert covers(held, year=None, volume="2", issue="3")
    assert covers(held, year=None, volume="3", issue="1")
    assert covers(held, year=None, volume="47", issue="4")
    assert not covers(held, year=None, volume="47", issue="5")


def test_dates_and_volumes_must_both_allow() -> None:
    held = line(date_first_issue_online="1990", num_first_vol_online="10")
    assert not covers(held, year=1995, volume="9", today=TODAY)
    assert not covers(held, year=1989, volume="12", today=TODAY)
    assert covers(held, year=1995, volume="12", today=TODAY)


# --- embargoes ------------------------------------------------------------------------


def test_moving_wall_hides_recent_years() -> None:
    held = line(date_first_issue_online="1990", embargo_info="R2Y")
    assert covers(held, year=2022, today=TODAY)
    assert not covers(held, year=2023, today=TODAY)
    assert not covers(held, year=2024, today=TODAY)


def test_p_embargo_shows_only_recent_years() -> None:
    held = line(embargo_info="P1Y")
    assert covers(held, year=2024, today=TODAY)
    assert not covers(held, year=2023, today=TODAY)


def test_month_embargo_year_partially_available_counts() -> None:
    held = line(embargo_info="R6M")  # wall at 2024-01-01: 2023 available, 2024 not
    assert covers(held, year=2023, today=TODAY)
    assert not covers(held, year=2024, today=TODAY)
    held = line(embargo_info="R3M")  # wall at 2024-04-01: part of 2024 available
    assert covers(held, year=2024, today=TODAY)


def test_combined_embargo() -> None:
    held = line(embargo_info="P10Y;R1Y")
    assert covers(held, year=2023, today=TODAY)
    assert not covers(held, year=2024, today=TODAY)
    assert not covers(held, year=2014, today=TODAY)
    assert covers(held, year=2015, today=TODAY)


def test_garbage_embargo_is_ignored_not_fatal() -> None:
    assert covers(line(embargo_info="see notes"), year=2024, today=TODAY)


# --- properties -----------------------------------------------------------------------

years = st.integers(min_value=1, max_value=9998)
todays = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))
amounts = st.integers(min_value=1, max_value=200)


@given(first=years, last=years, year=years)
def test_year_range_property(first: int, last: int, year: int) -> None:
    held = line(date_first_issue_online=f"{first:04d}", date_last_issue_online=f"{last:04d}")
    assert covers(held, year=year, today=TODAY) == (first <= year <= last)


@given(year=years, today=todays, amount=amounts)
def test_year_embargoes_r_and_p_are_complementary(year: int, today: date, amount: int) -> None:
    moving_wall = covers(line(embargo_info=f"R{amount}Y"), year=year, today=today)
    only_recent = covers(line(embargo_info=f"P{amount}Y"), year=year, today=today)
    assert moving_wall != only_recent
    assert moving_wall == (year <= today.year - amount)


@given(
    year=years,
    today=todays,
    amount=st.integers(min_value=0, max_value=5000),
    unit=st.sampled_from("DMY"),
)
def test_moving_wall_hides_the_future_and_keeps_the_old(
    year: int, today: date, amount: int, unit: str
) -> None:
    result = covers(line(embargo_info=f"R{amount}{unit}"), year=year, today=today)
    if year > today.year:
        assert result is False
    elif year < today.year - amount - 1:
        assert result is True


@given(today=todays, amount=st.integers(min_value=1, max_value=24))
def test_month_moving_wall_in_the_current_year(today: date, amount: int) -> None:
    held = line(embargo_info=f"R{amount}M")
    assert covers(held, year=today.year, today=today) == (amount < today.month)


@given(
    first=st.integers(min_value=0, max_value=300),
    span=st.integers(min_value=0, max_value=300),
    volume=st.integers(min_value=0, max_value=700),
)
def test_volume_range_property(first: int, span: int, volume: int) -> None:
    held = line(num_first_vol_online=str(first), num_last_vol_online=str(first + span))
    assert covers(held, year=None, volume=str(volume)) == (first <= volume <= first + span)


@given(
    volume=st.text(max_size=12),
    issue=st.text(max_size=12),
    first=st.text(max_size=12),
    embargo=st.text(max_size=8),
    year=st.none() | st.integers(min_value=-5, max_value=20000),
)
def test_arbitrary_kbart_values_never_crash(
    volume: str, issue: str, first: str, embargo: str, year: int | None
) -> None:
    held = line(
        date_first_issue_online=first,
        num_first_vol_online=first,
        num_first_issue_online=first,
        embargo_info=embargo,
    )
    assert covers(held, year=year, volume=volume, issue=issue, today=TODAY) in (True, False)
