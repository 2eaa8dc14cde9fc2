"""The members file: the sample consortium, validation errors, reloading."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from router.members import (
    SAMPLE_MEMBERS,
    MembersFile,
    MembersFileError,
    default_members_path,
    expand_dates,
    load_members,
)


def test_sample_consortium_is_big_and_varied(members):
    assert len(members) >= 20
    assert len({m.region for m in members.values()}) >= 5
    assert {m.role for m in members.values()} == {"centre", "service", "member"}
    assert any(not m.policy.lends for m in members.values())
    assert any(not m.policy.loans for m in members.values())
    assert any("post" in m.policy.delivery_methods for m in members.values())
    assert all(m.name_zh and m.name_en and m.lat and m.lon for m in members.values())


def test_member_policy_starts_from_the_defaults(members):
    pku = members["211010"]
    assert pku.policy.timeout_days == 3
    assert pku.policy.payment_methods == ["deposit", "invoice"]
    assert members["273010"].policy.timeout_days == 6


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('role = "centre"', 'role = "boss"', "member 211010 (#1), field role"),
        ("lat = 39.992", "lat = 139.992", "member 211010 (#1), field lat"),
        ('ip_ranges = ["10.1.0.0/16"]', 'ip_ranges = ["10.1.0.300/16"]', "field ip_ranges"),
        ("fees = { article = 8.0", "fees = { pamphlet = 8.0", "field policy.fees.pamphlet"),
        ("processing_days = 1.0", "processing_days = -1", "field policy.processing_days"),
        ('city = "Beijing"', 'ciy = "Beijing"', "member 211010 (#1), field ciy: unknown"),
        ('code = "211030"', 'code = "211010"', "member 211010 (#2), field code: duplicate"),
    ],
)
def test_errors_name_file_member_and_field(members_copy, old, new, expected):
    _edit(members_copy, old, new)
    with pytest.raises(MembersFileError) as caught:
        load_members(members_copy)
    assert str(members_copy) in str(caught.value)
    assert any(expected in problem for problem in caught.value.problems), caught.value.problems


def test_all_problems_are_reported_at_once(members_copy):
    _edit(members_copy, 'role = "centre"', 'role = "boss"')
    _edit(members_copy, 'name_en = "Nankai University Library"', 'name_en = ""')
    with pytest.raises(MembersFileError) as caught:
        load_members(members_copy)
    assert len(caught.value.problems) == 2
    assert "member 212010 (#5), field name_en: required" in caught.value.problems


def test_closed_date_ranges_expand_and_bad_ones_are_refused(members_copy):
    assert len(expand_dates(["2025-01-28/2025-02-04"])) == 8
    _edit(members_copy, '"2025-07-14/2025-07-18"', '"2025-07-18/2025-07-14"')
    with pytest.raises(MembersFileError, match="field policy.closed_dates"):
        load_members(members_copy)


def test_not_toml_is_a_clear_error(tmp_path):
    bad = tmp_path / "members.toml"
    bad.write_text("[[members]\ncode = 1", encoding="utf-8")
    with pytest.raises(MembersFileError, match="not valid TOML"):
        load_members(bad)


def test_reloads_when_the_file_changes_and_keeps_the_last_good_members(members_copy):
    source = MembersFile(members_copy, check_every=0)
    assert source.members["211010"].name_en == "Peking University Library"
    _edit(members_copy, "Peking University Library", "PKU Library")
    stat = members_copy.stat()
    os.utime(members_copy, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert source.members["211010"].name_en == "PKU Library"
    assert source.version == 2
    _edit(members_copy, 'role = "centre"', 'role = "boss"')
    os.utime(members_copy, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000))
    assert source.members["211010"].name_en == "PKU Library"  # broken edit ignored
    assert source.version == 2


def test_default_path_prefers_the_data_dir(tmp_path):
    assert default_members_path({"EFIRST_DATA_DIR": str(tmp_path)}) == SAMPLE_MEMBERS
    (tmp_path / "members.toml").write_bytes(SAMPLE_MEMBERS.read_bytes())
    assert default_members_path({"EFIRST_DATA_DIR": str(tmp_path)}) == tmp_path / "members.toml"
