"""KBART reader: every real file, its encoding and line endings, concrete values per file."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.readers.kbart import (
    coverage_statement,
    read_eholdings,
    read_kbart_records,
)
from indexer.readers.textlines import detect_encoding, read_lines
from mappings.errors import RecordError
from mappings.schema import EHolding, Record

ANNUAL = "gokb__AnnualReviews_SciencesCollection34_2011-04-27.txt"
CUP_BOOKS_16 = "gokb__CambridgeBooks_EdinburghUniversityPress_utf16.tsv"
CUP_BOOKS_8 = "gokb__CambridgeBooks_EdinburghUniversityPress_utf8.tsv"
SPRINGER = "gokb__Example_Ebook_Package_Original.txt"
ELSEVIER = (
    "gokb__ScienceDirectStandard_Global_EBook-"
    "AgriculturalAndBiologicalSciencesPre-2007_2016-05-23.txt"
)
CUP_JOURNALS = "gokb__journals.cambridge.org_AllTitles_2015-07-14.txt"
GOKB_EXTRA = "gokb__test_rest_initial_access_dates.txt"
BRILL = "abes__BRILL_cde53_mono_print_only_via_onlineID.tsv"
TANDF = "abes__TAYLORANDFRANCIS_FRANCE_LN-ISTEX-EBOOKS-PFEDITEUR_US89_CAS_DOI.tsv"


def holdings(path: Path, library: str = "PKU") -> list[EHolding]:
    items = list(read_eholdings(path, library, "pkg"))
    assert not [i for i in items if isinstance(i, RecordError)]
    return items  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("name", "codec", "bom"),
    [
        (CUP_BOOKS_16, "utf-16-le", 2),
        (CUP_BOOKS_8, "utf-8", 0),
        (ELSEVIER, "utf-8", 3),
        (ANNUAL, "utf-8", 0),
    ],
)
def test_encoding_is_detected_from_the_bytes(kbart_dir: Path, name: str, codec: str, bom: int):
    assert detect_encoding((kbart_dir / name).read_bytes()[:4096]) == (codec, bom)


@pytest.mark.parametrize(
    ("name", "count"),
    [
        (ANNUAL, 47),  # bare CR endings, 111 all-tab filler lines skipped
        (CUP_BOOKS_16, 369),
        (CUP_BOOKS_8, 369),
        (SPRINGER, 100),  # CRLF
        (ELSEVIER, 262),
        (CUP_JOURNALS, 468),
        (GOKB_EXTRA, 4),
        (BRILL, 1),
        (TANDF, 1),
    ],
)
def test_every_line_of_every_real_file_is_read(kbart_dir: Path, name: str, count: int):
    assert len(holdings(kbart_dir / name)) == count


def test_utf16_file_reads_exactly_like_its_utf8_twin(kbart_dir: Path):
    assert holdings(kbart_dir / CUP_BOOKS_16) == holdings(kbart_dir / CUP_BOOKS_8)


def test_bare_cr_phase_one_file(kbart_dir: Path):
    lines = holdings(kbart_dir / ANNUAL)
    first = lines[0]
    assert first.publication_title == "Annual Review of Analytical Chemistry"
    assert (first.print_identifier, first.online_identifier) == ("1936-1327", "1936-1335")
    assert (first.date_first_issue_online, first.num_first_vol_online) == ("2008", "1")
    assert first.publication_type == "serial"  # Phase I has no publication_type column
    ceased = next(e for e in lines if e.print_identifier == "1056-8700")
    assert ceased.publication_title == "Annual Review of Biophysics and Biomolecular Structure"
    assert (ceased.date_last_issue_online, ceased.num_last_vol_online) == ("2007", "36")
    assert ceased.notes == "Title change"  # Phase I coverage_notes -> notes
    assert coverage_statement(ceased) == "1992 v.21 - 2007 v.36"
    # Excel-style quotes around a title with a comma are removed
    assert "Annual Review of Ecology, Evolution and Systematics" in {
        e.publication_title for e in lines
    }
    # lower-case check digit normalised
    biophysics = next(e for e in lines if e.publication_title == "Annual Review of Biophysics")
    assert biophysics.print_identifier == "1936-122X"


def test_utf16_ebook_values(kbart_dir: Path):
    first = holdings(kbart_dir / CUP_BOOKS_16)[0]
    assert first.publication_title == "911 and the War on Terror"
    assert first.publication_type == "monograph"  # "Monograph" in the file
    assert (first.print_identifier, first.online_identifier) == ("9780748633807", "9780748632411")
    assert first.first_author == "Holloway"
    assert first.date_monograph_published_print == "2008-05-19 00:00:00"
    assert first.title_id == "CBO9780748632411"


def test_hyphenated_isbns_crlf_and_doi_title_id(kbart_dir: Path):
    first = holdings(kbart_dir / SPRINGER)[0]
    assert first.publication_title == "Commercial Applications of Ionic Liquids"
    assert (first.print_identifier, first.online_identifier) == ("9783030352448", "9783030352455")
    assert first.doi == "10.1007/978-3-030-35245-5"
    assert first.first_editor == "D'Silva"


def test_bom_file_with_serials_and_monographs(kbart_dir: Path):
    lines = holdings(kbart_dir / ELSEVIER)
    assert lines[0].publication_title.startswith("Advances in Plant Glycosides")
    assert lines[0].online_identifier == "9780444501806"
    serial = lines[1]
    assert (serial.publication_title, serial.publication_type) == (
        "Advances in Plant Pathology",
        "serial",
    )
    assert serial.online_identifier == "0736-4539"
    assert serial.coverage_depth == "Full text"


def test_free_access_and_placeholder_identifiers(kbart_dir: Path):
    lines = holdings(kbart_dir / CUP_JOURNALS)
    free = [e for e in lines if e.is_open]
    assert len(free) == 8
    apsipa = free[0]
    assert apsipa.publication_title == "APSIPA Transactions on Signal and Information Processing"
    assert apsipa.print_identifier == ""  # "n/a" in the file
    assert apsipa.online_identifier == "2048-7703"
    assert lines[0].num_first_issue_online == "01"
    assert lines[0].date_first_issue_online == "1987-02-01"


def test_extra_columns_are_ignored(kbart_dir: Path):
    first = holdings(kbart_dir / GOKB_EXTRA)[0]
    assert first.publication_title == "TestJournalTIPPInit"
    assert first.online_identifier == "1564-6971"


def test_kbart_records_journal_with_holding_and_licensed_link(kbart_dir: Path):
    records = list(read_kbart_records(kbart_dir / CUP_JOURNALS, source="cup", library="PKU"))
    aie = records[0]
    assert isinstance(aie, Record)
    assert (aie.format, aie.title, aie.issn) == ("journal", "AI EDAM", ["0890-0604", "1469-1760"])
    assert aie.holdings[0].library == "PKU"
    assert aie.holdings[0].kind == "electronic"
    assert aie.holdings[0].coverage == "1987-02-01 v.1 no.01 - present"
    link = aie.links[0]
    assert (link.url, link.access, link.library) == (
        "http://journals.cambridge.org/action/displayBackIssues?jid=AIE",
        "licensed",
        "PKU",
    )
    apsipa = next(r for r in records if r.title.startswith("APSIPA"))
    assert apsipa.links[0].access == "open"


def test_kbart_records_books_carry_isbn_doi_year(kbart_dir: Path):
    (brill,) = read_kbart_records(kbart_dir / BRILL, source="brill", library="FDU")
    assert isinstance(brill, Record)
    assert brill.format == "book"
    assert brill.isbn == ["9789004401372", "9789004401501"]
    assert brill.doi == "10.1163/9789004401501"
    assert brill.year == 2020
    assert brill.links[0].url == "https://brill.com/view/title/55098"
    (tandf,) = read_kbart_records(kbart_dir / TANDF, source="tf", library="FDU")
    assert tandf.doi == "10.4324/9780203872932"
    assert tandf.publisher == "Routledge"


def test_record_ids_are_unique_even_when_title_ids_repeat(kbart_dir: Path):
    records = list(read_kbart_records(kbart_dir / ANNUAL, source="ar", library="PKU"))
    ids = [r.source_id for r in records]
    assert len(ids) == len(set(ids)) == 47
    # biophys is the title_id of four successive titles
    assert sum("/biophys|" in i for i in ids) == 4


def test_bad_lines_are_reported_and_the_batch_goes_on(tmp_path: Path, kbart_dir: Path):
    lines = (kbart_dir / CUP_JOURNALS).read_bytes().split(b"\n")
    header, good = lines[0], lines[1:4]
    bad_date = good[0].replace(b"1987-02-01", b"1987-13-01")
    no_title = b"\t" + good[1].split(b"\t", 1)[1]
    bad_embargo = good[2].replace(b"\tfulltext", b"R2 years\tfulltext", 1)
    body = b"\n".join([header, bad_date, no_title, bad_embargo, *good]) + b"\n"
    path = tmp_path / "broken.txt"
    path.write_bytes(body)
    items = list(read_eholdings(path, "PKU", "pkg"))
    errors = [i for i in items if isinstance(i, RecordError)]
    assert [(e.record, e.field) for e in errors] == [
        (2, "date_first_issue_online"),
        (3, "publication_title"),
        (4, "embargo_info"),
    ]
    assert errors[0].offset == len(header) + 1
    assert str(path) in str(errors[0]) and "1987-13-01" in str(errors[0])
    assert len([i for i in items if isinstance(i, EHolding)]) == 3


def test_header_variants_case_spacing_and_missing_columns(tmp_path: Path):
    path = tmp_path / "vendor.tsv"
    path.write_text(
        "Publication Title\tPrint-Identifier\tONLINE_IDENTIFIER\tEmbargo Info\n"
        "Nature\t0028-0836\t1476-4687\tR1Y\n",
        encoding="utf-8",
    )
    (eh,) = read_eholdings(path, "PKU")
    assert isinstance(eh, EHolding)
    assert (eh.publication_title, eh.print_identifier, eh.embargo_info) == (
        "Nature",
        "0028-0836",
        "R1Y",
    )
    assert eh.package == "vendor"
    assert eh.access_type == "P"


def test_not_a_kbart_file(tmp_path: Path):
    path = tmp_path / "x.tsv"
    path.write_text("foo\tbar\n1\t2\n", encoding="utf-8")
    (error,) = read_eholdings(path, "PKU")
    assert isinstance(error, RecordError)
    assert (error.record, error.field) == (1, "header")


def test_utf16_big_endian_and_stray_cp1252_byte(tmp_path: Path):
    text = "publication_title\tprint_identifier\nRevue d’études\t0028-0836\n"
    be = tmp_path / "be.tsv"
    be.write_bytes(b"\xfe\xff" + text.encode("utf-16-be"))
    (eh,) = read_eholdings(be, "PKU")
    assert eh.publication_title == "Revue d’études"
    mixed = tmp_path / "mixed.tsv"
    mixed.write_bytes(text.encode("utf-8") + "Café\t\n".encode("cp1252"))
    titles = [e.publication_title for e in read_eholdings(mixed, "PKU")]
    assert titles == ["Revue d’études", "Café"]


def test_undecodable_line_is_a_record_error(tmp_path: Path):
    path = tmp_path / "bad.tsv"
    path.write_bytes(b"publication_title\nGood\nBad \x81\x8d title\nAlso good\n")
    items = list(read_lines(path))
    assert [type(i).__name__ for i in items] == ["Line", "Line", "RecordError", "Line"]
    assert items[2].record == 3 and items[2].offset == len(b"publication_title\nGood\n")
