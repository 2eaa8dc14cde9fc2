"""Dublin Core (oai_dc) mapping on real repository responses (Zenodo, DSpace, sickle)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from indexer.readers.dc import map_dc_element, read_dc_records
from mappings.errors import RecordError
from mappings.schema import Record


def dc_records(path: Path) -> list:
    return list(read_dc_records(path, source="repo", library="PKU"))


def test_zenodo_getrecord(oai_dir: Path):
    (record,) = dc_records(oai_dir / "zenodo__GetRecord_oai_dc.xml")
    assert record.source_id == "oai:zenodo.org:10357859"
    assert record.title == "Research Data Management Organiser (RDMO)"
    assert record.authors[:2] == ["Klar, Jochen", "Michaelis, Olaf"]
    assert (record.year, record.publisher) == (2023, "Zenodo")
    assert record.doi == "10.5281/zenodo.10357859"
    assert record.harvested_at == "2023-12-11T17:26:46Z"
    assert [(link.url, link.access) for link in record.links] == [
        ("https://doi.org/10.5281/zenodo.10357859", "open")
    ]


def test_zenodo_article_with_issn_doi_type_language(oai_dir: Path):
    records = dc_records(oai_dir / "zenodo__ListRecords_oai_dc_from_2026-04-01.xml")
    assert len(records) == 50 and all(isinstance(r, Record) for r in records)
    article = next(r for r in records if r.source_id == "oai:zenodo.org:20568304")
    assert article.title.startswith("Evaluating the Predictive Value of Activated Parti")
    assert article.format == "article"  # info:eu-repo/semantics/article
    assert article.issn == ["2583-1887"]  # dc:identifier "issn:2583-1887"
    assert article.doi == "10.58614/jahsm593"
    assert (article.language, article.year) == ("eng", 2025)
    assert [link.url for link in article.links] == [
        "https://doi.org/10.58614/jahsm593",
        "https://www.jpub.org/article-details.php?article-id=246",
    ]


def test_dspace_2003_isbn_handle_contributor_language(oai_dir: Path):
    records = dc_records(oai_dir / "pyoai__dspace_eur_ListRecords_oai_dc_2003.xml")
    assert len(records) == 16
    first = records[0]
    assert first.source_id == "hdl:1765/308"
    assert first.title.startswith("Kijken in het brein")
    assert first.isbn == ["9789058920362"]  # "90-5892-036-4"
    assert first.authors == ["Smidts, A."]  # DSpace 1.x: dc:contributor, no dc:creator
    assert first.links[0].url == "http://hdl.handle.net/1765/308"
    railway = records[2]
    assert (railway.format, railway.language) == ("article", "dut")  # "Article", "nl"


def test_deleted_header_is_a_tombstone(oai_dir: Path):
    deleted, kept = dc_records(oai_dir / "sickle__ListRecords.xml")
    assert (deleted.source_id, deleted.deleted) == ("oai:test.example.com:1585310", True)
    assert kept.title == "Sample Title"
    assert kept.authors == ["John Doe"]  # four identical creators, de-duplicated
    assert kept.publisher == "Sample Publisher"


def test_broken_xml_is_a_record_error(oai_dir: Path):
    (error,) = dc_records(oai_dir / "sickle__ListRecordsBroken.xml")
    assert isinstance(error, RecordError)
    assert "invalid XML at line 1" in str(error)


def test_standalone_dc_with_closed_rights_and_missing_title(tmp_path: Path):
    path = tmp_path / "dc.xml"
    path.write_text(
        """<collection xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"
        xmlns:dc="http://purl.org/dc/elements/1.1/">
        <oai_dc:dc><dc:title>Closed thesis</dc:title><dc:type>Doctoral Thesis</dc:type>
          <dc:identifier>http://hdl.handle.net/1/2</dc:identifier>
          <dc:rights>info:eu-repo/semantics/closedAccess</dc:rights></oai_dc:dc>
        <oai_dc:dc><dc:creator>Nobody</dc:creator></oai_dc:dc>
        </collection>""",
        encoding="utf-8",
    )
    thesis, error = dc_records(path)
    assert (thesis.source_id, thesis.format) == ("http://hdl.handle.net/1/2", "thesis")
    assert thesis.links[0].access == "licensed"
    assert isinstance(error, RecordError)
    assert (error.record, error.field) == (2, "dc:title")


def test_entities_are_not_expanded(tmp_path: Path):
    path = tmp_path / "xxe.xml"
    path.write_text(
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>T &x;</dc:title></oai_dc:dc>',
        encoding="utf-8",
    )
    items = dc_records(path)
    assert all("root:" not in getattr(i, "title", "") for i in items)


def test_map_dc_element_on_a_record_element(oai_dir: Path):
    tree = etree.parse(str(oai_dir / "zenodo__ListRecords_oai_dc_page1.xml"))
    element = tree.find(".//{http://www.openarchives.org/OAI/2.0/}record")
    record = map_dc_element(element, "zenodo", "PKU")
    assert record.source_id == "oai:zenodo.org:8435696"
    assert record.authors == ["Matteo Marchegiani"]


def test_record_without_dc_metadata(oai_dir: Path):
    tree = etree.parse(str(oai_dir / "vufindharvest__alma_ListRecords_marc21.xml"))
    element = tree.find(".//{http://www.openarchives.org/OAI/2.0/}record")
    with pytest.raises(RecordError, match="no oai_dc:dc"):
        map_dc_element(element, "alma")
