"""Vendor CSV/Excel title lists through a column mapping (mappings/sources/vendor_csv*.toml)."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from indexer.map import get_mapping
from indexer.readers.tabular import column_key, read_rows, read_tabular_records
from mappings.errors import MappingError, RecordError
from mappings.loader import load_mapping
from mappings.schema import Record

SPRINGER_CSV = "vendor__springer_ebooks_semicolon.csv"


def records(path: Path, mapping: str = "vendor_csv", library: str = "PKU") -> list:
    return list(read_tabular_records(path, source="vendor", library=library, mapping=mapping))


def test_semicolon_bom_csv_with_vendor_example_mapping(kbart_dir: Path):
    items = records(kbart_dir / SPRINGER_CSV, "vendor_csv_springer_example")
    assert len(items) == 12 and all(isinstance(r, Record) for r in items)
    first = items[0]
    assert first.title == "Commercial Applications of Ionic Liquids"
    assert first.authors == ["Shiflett", "D'Silva"]
    assert first.isbn == ["9783030352448", "9783030352455"]
    assert (first.year, first.format, first.doi) == (2020, "book", "10.1007/978-3-030-35245-5")
    assert first.subjects == ["Chemistry and Materials Science"]
    assert first.source_id == "10.1007/978-3-030-35245-5"  # id_column = DOI
    assert (first.links[0].url, first.links[0].access, first.links[0].library) == (
        "http://link.springer.com/10.1007/978-3-030-35245-5",
        "licensed",
        "PKU",
    )
    assert first.holdings[0].kind == "electronic"
    assert first.holdings[0].library == "PKU"


def test_required_field_missing_is_a_record_error(tmp_path: Path, kbart_dir: Path):
    text = (kbart_dir / SPRINGER_CSV).read_bytes().replace(b";;978-981-10-1855-8;", b";;;")
    path = tmp_path / "list.csv"
    path.write_bytes(text)
    items = records(path, "vendor_csv_springer_example")
    errors = [i for i in items if isinstance(i, RecordError)]
    assert len(errors) == 1
    assert errors[0].record == 4 and errors[0].path == str(path)
    assert errors[0].field == "isbn, eisbn"
    assert "no isbn" in str(errors[0])
    assert len(items) == 12


def test_excel_workbook_with_numeric_isbns_and_dates(tmp_path: Path):
    book = Workbook()
    sheet = book.active
    sheet.title = "Titles"
    sheet.append(["Title", "Authors", "Publisher", "Publication Year", "ISBN", "eISBN", "URL"])
    sheet.append(
        [
            "911 and the War on Terror",
            "Holloway",
            "Edinburgh University Press",
            datetime.datetime(2008, 5, 19),
            9780748633807,
            9780748632411.0,
            "http://universitypublishingonline.org/edinburgh/ebook.jsf?bid=CBO9780748632411",
        ]
    )
    sheet.append([None] * 7)
    sheet.append(["", "Nobody", "", 2001, None, None, None])
    path = tmp_path / "titles.xlsx"
    book.save(path)
    items = records(path)
    first, error = items
    assert isinstance(first, Record)
    assert first.title == "911 and the War on Terror"
    assert first.isbn == ["9780748633807", "9780748632411"]
    assert first.year == 2008
    assert first.source_id == "9780748633807"
    assert first.links[0].url.endswith("CBO9780748632411")
    assert isinstance(error, RecordError)
    assert (error.record, error.field) == (4, "title")


def test_excel_missing_sheet_and_broken_workbook(tmp_path: Path):
    book = Workbook()
    book.active.append(["Title"])
    path = tmp_path / "a.xlsx"
    book.save(path)
    (error,) = read_rows(path, sheet="Nope")
    assert isinstance(error, RecordError) and "Nope" in str(error)
    broken = tmp_path / "b.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    (error,) = read_rows(broken)
    assert isinstance(error, RecordError) and str(broken) in str(error)


@pytest.mark.parametrize("sep", [",", "\t", "|"])
def test_delimiter_is_detected(tmp_path: Path, sep: str):
    path = tmp_path / "list.txt"
    path.write_text(
        sep.join(["Journal Title", "Print ISSN", "Online ISSN", "URL"])
        + "\n"
        + sep.join(["AI EDAM", "0890-0604", "1469-1760", "http://journals.cambridge.org/AIE"])
        + "\n",
        encoding="utf-8",
    )
    (record,) = records(path)
    assert (record.title, record.issn) == ("AI EDAM", ["0890-0604", "1469-1760"])
    assert record.source_id == "0890-0604"


def test_quoted_newline_keeps_row_numbers_right(tmp_path: Path):
    path = tmp_path / "list.csv"
    path.write_text(
        'Title,ISBN\n"A title\nover two lines",9780748633807\n,9780748632411\n', encoding="utf-8"
    )
    first, error = records(path)
    assert first.title == "A title over two lines"
    assert isinstance(error, RecordError) and error.record == 4


def test_windows_1252_export(tmp_path: Path):
    path = tmp_path / "list.csv"
    path.write_bytes("Title;Publisher\nÉtudes rurales;Éditions de l’EHESS\n".encode("cp1252"))
    (record,) = records(path)
    assert (record.title, record.publisher) == ("Études rurales", "Éditions de l’EHESS")


def test_column_key():
    assert column_key("\ufeffPrint ISBN ") == "print_isbn"
    assert column_key("E-ISSN", {"e_issn": "eissn"}) == "eissn"


@pytest.mark.parametrize("name", ["kbart", "vendor_csv", "vendor_csv_springer_example"])
def test_shipped_mappings_load(name: str):
    assert get_mapping(name).reader == "tabular"


def test_bad_column_mapping_names_file_and_field(tmp_path: Path):
    path = tmp_path / "bad.toml"
    path.write_text(
        'reader = "tabular"\n[fields.title]\ncolumn = "Title"\ntransforms = ["no_such"]\n',
        encoding="utf-8",
    )
    from indexer.map import IndexerCompiler

    with pytest.raises(MappingError, match=r"bad\.toml: fields\.title: unknown transform"):
        load_mapping(path, IndexerCompiler())
