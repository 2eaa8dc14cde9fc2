"""router/members_write.py: one member changed, everything else kept, validated before
the atomic replace, serialised writers."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from router.members import SAMPLE_MEMBERS, MembersFile, MembersFileError, load_members
from router.members_write import member_entry, update_member


@pytest.fixture
def path(tmp_path: Path) -> Path:
    target = tmp_path / "members.toml"
    shutil.copy(SAMPLE_MEMBERS, target)
    return target


def test_round_trip_keeps_every_member(path: Path):
    before = load_members(path)
    update_member(path, "211030", {})
    assert load_members(path) == before


def test_change_and_remove(path: Path):
    update_member(path, "211010", {"address": "Haidian"}, {"timeout_days": 7})
    assert member_entry(path, "211010")["address"] == "Haidian"
    assert load_members(path)["211010"].policy.timeout_days == 7
    update_member(path, "211010", {"address": None}, {"timeout_days": None})
    assert "address" not in member_entry(path, "211010")
    assert load_members(path)["211010"].policy.timeout_days == 3  # the default again


def test_invalid_change_leaves_the_file_untouched(path: Path):
    before = path.read_bytes()
    with pytest.raises(MembersFileError) as caught:
        update_member(path, "211010", {"ip_ranges": ["10.0.0.0/99"]}, {"timeout_days": 0})
    problems = "\n".join(caught.value.problems)
    assert "member 211010 (#1), field ip_ranges" in problems
    assert "field policy.timeout_days" in problems
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_unknown_member_and_code_change_are_refused(path: Path):
    with pytest.raises(MembersFileError, match="not in the members file"):
        update_member(path, "999999", {"address": "x"})
    with pytest.raises(MembersFileError, match="field code"):
        update_member(path, "211010", {"code": "211011"})


def test_reloading_readers_see_the_change(path: Path):
    watched = MembersFile(path, check_every=0)
    version = watched.version
    update_member(path, "211010", {"embed_domains": ["lib.pku.edu.cn"]})
    assert watched.members["211010"].embed_domains == ["lib.pku.edu.cn"]
    assert watched.version == version + 1


def test_concurrent_writers_lose_nothing(path: Path):
    codes = list(load_members(path))[:6]

    def write(code: str) -> None:
        update_member(path, code, {"address": f"address of {code}"})

    threads = [threading.Thread(target=write, args=(code,)) for code in codes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    after = load_members(path)
    assert [after[code].address for code in codes] == [f"address of {c}" for c in codes]
