"""`efirst demo`: the bundled sample consortium loads, searches, and re-loads idempotently."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.backends import SearchQuery, open_backend
from indexer.eholdings import EHoldingStore
from indexer.settings import Settings
from search_app.cli import main


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(main, ["demo"], env={"EFIRST_DATA_DIR": str(data_dir)})
    assert result.exit_code == 0, result.output
    return data_dir


def _search(data_dir: Path, **kwargs: object) -> list[dict]:
    backend = open_backend(Settings(data_dir=data_dir))
    try:
        return [hit.doc for hit in backend.search(SearchQuery(**kwargs)).hits]  # type: ignore[arg-type]
    finally:
        backend.close()


def test_demo_writes_editable_members_and_network_files(demo_dir: Path) -> None:
    assert "211010" in (demo_dir / "members.toml").read_text(encoding="utf-8")
    assert (demo_dir / "network.toml").is_file()


def test_demo_finds_chinese_records_in_simplified_and_traditional(demo_dir: Path) -> None:
    simplified = _search(demo_dir, text="中国", limit=50)
    traditional = _search(demo_dir, text="中國", limit=50)
    assert simplified
    assert {d["id"] for d in simplified} == {d["id"] for d in traditional}


def test_same_record_in_marc8_and_utf8_from_two_members_is_one_cluster(demo_dir: Path) -> None:
    # pymarc__marc8.mrc (member 223010) and pymarc__utf8_with_leader_flag.mrc (222010)
    hits = _search(demo_dir, fields={"title": "Escape from loneliness"}, limit=50)
    assert len(hits) == 1
    libraries = {h["library"] for h in hits[0]["holdings"]}
    assert {"223010", "222010"} <= libraries


def test_demo_loads_kbart_packages_and_licensed_links(demo_dir: Path) -> None:
    store = EHoldingStore(Settings(data_dir=demo_dir).catalog_db)
    try:
        annual = store.find(issn="0084-6570")  # Annual Review of Anthropology
    finally:
        store.close()
    assert [(e.library, e.package) for e in annual] == [("211010", "annual-reviews-sciences")]
    docs = _search(demo_dir, fields={"issn": "0084-6570"})
    urls = [link["url"] for link in docs[0]["links"]] if docs else []
    assert any(url.startswith("http://www.annualreviews.org") for url in urls)


def test_demo_is_idempotent(demo_dir: Path) -> None:
    before = CliRunner().invoke(
        main, ["search", "the", "--json", "--limit", "5"], env={"EFIRST_DATA_DIR": str(demo_dir)}
    )
    again = CliRunner().invoke(main, ["demo"], env={"EFIRST_DATA_DIR": str(demo_dir)})
    assert again.exit_code == 0, again.output
    after = CliRunner().invoke(
        main, ["search", "the", "--json", "--limit", "5"], env={"EFIRST_DATA_DIR": str(demo_dir)}
    )
    assert json.loads(before.output) == json.loads(after.output)
    assert json.loads(after.output)["total"] > 0


def test_demo_creates_staff_accounts_with_the_printed_password(tmp_path: Path) -> None:
    from search_app.staff_store import StaffStore

    env = {"EFIRST_DATA_DIR": str(tmp_path), "EFIRST_DEMO_PASSWORD": "demo-pass-123"}
    result = CliRunner().invoke(main, ["demo"], env=env)
    assert result.exit_code == 0, result.output
    assert "demo-ill-211040 (ill_staff for 211040)" in result.output
    assert "password for these accounts: demo-pass-123" in result.output
    store = StaffStore(Settings(data_dir=tmp_path).ledger_db)
    try:
        account = store.authenticate("demo-ill-211040", "demo-pass-123")
    finally:
        store.close()
    assert account is not None and account.role == "ill_staff"
