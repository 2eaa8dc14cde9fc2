"""The e-holdings store (sqlite3) and coverage/embargo decisions, on the real KBART files."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from indexer.eholdings import EHoldingStore, eholding_keys, find_eholdings
from indexer.settings import Settings
from mappings.schema import EHolding

ANNUAL = "gokb__AnnualReviews_SciencesCollection34_2011-04-27.txt"
CUP_JOURNALS = "gokb__journals.cambridge.org_AllTitles_2015-07-14.txt"
SPRINGER = "gokb__Example_Ebook_Package_Original.txt"
TANDF = "abes__TAYLORANDFRANCIS_FRANCE_LN-ISTEX-EBOOKS-PFEDITEUR_US89_CAS_DOI.tsv"


@pytest.fixture
def store(tmp_path: Path, kbart_dir: Path) -> EHoldingStore:
    store = EHoldingStore(tmp_path / "catalog.sqlite3")
    store.load_file(kbart_dir / ANNUAL, "PKU", "annual-reviews")
    store.load_file(kbart_dir / CUP_JOURNALS, "CONSORTIUM", "cup-journals")
    store.load_file(kbart_dir / SPRINGER, "FDU", "springer-2020")
    yield store
    store.close()


def test_database_is_in_wal_mode(store: EHoldingStore):
    conn = sqlite3.connect(store.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_load_counts_and_packages(store: EHoldingStore):
    assert [(p.library, p.package, p.lines) for p in store.packages()] == [
        ("CONSORTIUM", "cup-journals", 468),
        ("FDU", "springer-2020", 100),
        ("PKU", "annual-reviews", 47),
    ]
    assert store.count() == 615
    assert store.count("PKU") == 47


def test_find_by_issn_in_any_form(store: EHoldingStore):
    for form in ("0066-4154", "00664154", "1545-4509", "0066-4154 (PRINT)"):
        (eh,) = store.find(issn=form)
        assert eh.publication_title == "Annual Review of Biochemistry"
        assert (eh.library, eh.package) == ("PKU", "annual-reviews")


def test_find_by_isbn10_isbn13_and_doi(store: EHoldingStore):
    (by13,) = store.find(isbn="978-3-030-35245-5")
    assert by13.publication_title == "Commercial Applications of Ionic Liquids"
    (by_print,) = store.find(isbn="9783030352448")
    assert by_print == by13
    (by_doi,) = store.find(doi="https://doi.org/10.1007/978-3-030-35245-5")
    assert by_doi == by13


def test_find_by_title_key(store: EHoldingStore):
    (eh,) = store.find(title="annual review of ANTHROPOLOGY.")
    assert eh.print_identifier == "0084-6570"


def test_library_filter(store: EHoldingStore):
    assert store.find(issn="0890-0604", library="PKU") == []
    (eh,) = store.find(issn="0890-0604", library=("PKU", "CONSORTIUM"))
    assert eh.publication_title == "AI EDAM"
    assert len(store.find(issn="0890-0604")) == 1


def test_several_keys_one_result_each(store: EHoldingStore):
    found = store.find(issn=["0066-4154", "1545-4509"], title="Annual Review of Biochemistry")
    assert [e.publication_title for e in found] == ["Annual Review of Biochemistry"]


def test_invalid_identifiers_find_nothing(store: EHoldingStore):
    assert store.find(issn="0066-4155") == []
    assert store.find() == []


def test_reload_replaces_the_package(store: EHoldingStore, kbart_dir: Path):
    store.load_file(kbart_dir / TANDF, "PKU", "annual-reviews")
    assert store.count("PKU") == 1
    assert store.find(issn="0066-4154") == []
    (eh,) = store.find(doi="10.4324/9780203872932")
    assert eh.package == "annual-reviews"
    assert store.delete_package("PKU", "annual-reviews") == 1
    assert store.count("PKU") == 0


def test_failed_reload_keeps_the_old_package(store: EHoldingStore):
    def exploding():
        yield EHolding("PKU", "annual-reviews", "New title", print_identifier="0028-0836")
        raise OSError("disk went away")

    with pytest.raises(OSError):
        store.load_package("PKU", "annual-reviews", exploding())
    assert store.count("PKU") == 47
    assert store.find(issn="0028-0836") == []


def test_bad_lines_are_returned_not_stored(tmp_path: Path, kbart_dir: Path):
    text = (kbart_dir / CUP_JOURNALS).read_text(encoding="utf-8").splitlines()
    path = tmp_path / "pkg.txt"
    path.write_text("\n".join([text[0], text[1].replace("1987-02-01", "last year"), text[2]]))
    store = EHoldingStore(tmp_path / "db.sqlite3")
    result = store.load_file(path, "PKU")
    assert (result.package, result.loaded) == ("pkg", 1)
    assert [(e.record, e.field) for e in result.errors] == [(2, "date_first_issue_online")]
    store.close()


def test_readers_in_other_threads(store: EHoldingStore):
    found: list[str] = []

    def lookup():
        found.extend(e.publication_title for e in store.find(issn="0084-6570"))

    threads = [threading.Thread(target=lookup) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert found == ["Annual Review of Anthropology"] * 4


def test_find_eholdings_uses_the_settings_database(tmp_path: Path, kbart_dir: Path):
    settings = Settings(data_dir=tmp_path)
    EHoldingStore(settings.catalog_db).load_file(kbart_dir / ANNUAL, "PKU")
    (eh,) = find_eholdings(issn="1545-4290", settings=settings)
    assert eh.publication_title == "Annual Review of Anthropology"


def test_keys_of_one_eholding():
    eh = EHolding("L", "p", "Nature", print_identifier="0028-0836", doi="10.1038/NATURE")
    assert eholding_keys(eh) == ["issn:0028-0836", "doi:10.1038/nature", "title:nature"]
