"""The MARC 21 mapping on real records: concrete titles (CJK too), ISBNs, years, links,
holdings and formats."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.readers import read_records
from mappings.errors import RecordError
from mappings.schema import Record, to_dict

MARC = Path(__file__).resolve().parents[1] / "fixtures" / "marc21"


def records(name: str, library: str = "LIB") -> list[Record]:
    out = list(read_records(MARC / name, source="test", library=library))
    assert all(isinstance(r, Record) for r in out), [str(r) for r in out]
    return out  # type: ignore[return-value]


def one(name: str) -> Record:
    (record,) = records(name)
    return record


def test_chinese_880_vernacular_linked_to_romanised_fields() -> None:
    rec = one("openlibrary__880_alternate_script.mrc")
    assert rec.source_id == "ocn613515810"
    assert rec.title == "Qiaobusi de mi mi ri ji"
    assert rec.title_vernacular == ["乔布斯的秘密日记"]
    assert rec.authors == ["Lyons, Daniel, 1960-", "Liu, Ning"]
    assert rec.authors_vernacular == ["刘宁"]
    assert (rec.publisher, rec.place, rec.year) == ("Zhong xin chu ban she", "Beijing Shi", 2010)
    assert rec.isbn == ["9787508617725"]
    assert rec.oclc == ["613515810"]
    assert rec.language == "chi"
    assert rec.edition == "Di 1 ban"
    assert "Jobs, Steve, 1955-2011" in rec.subjects


def test_oclc_connexion_utf8_export() -> None:
    rec = one("marc4j__oclc_63111280_export_as_UTF8_from_connexion.mrc")
    assert rec.title == "Riben min su, xin yang, yi neng, yu Zhongguo wen hua"
    assert rec.title_vernacular == ["日本民俗·信仰·藝能·與中國文化"]
    assert rec.authors_vernacular == ["葉漢鰲, 1952-"]
    assert rec.oclc == ["63111280"]
    assert rec.isbn == ["9789867271037"]


def test_yaz_cjk_collection() -> None:
    recs = records("yaz__marccol1.u8.mrc")
    assert len(recs) == 19
    assert (recs[0].title, recs[0].title_vernacular, recs[0].year) == (
        "Handa shishi",
        ["半田 市誌"],
        1968,
    )
    assert recs[1].title_vernacular == ["歷叢"]
    assert recs[3].title_vernacular == ["整党 学习 材料"]


def test_marc8_and_utf8_versions_give_the_same_record() -> None:
    marc8 = to_dict(one("pymarc__marc8.mrc"))
    utf8 = to_dict(one("pymarc__utf8_with_leader_flag.mrc"))
    misdeclared = to_dict(one("pymarc__utf8_without_leader_flag.mrc"))
    assert marc8 == utf8 == misdeclared
    assert marc8["alt_titles"] == ["De la solitude à la communauté"]
    assert (marc8["title"], marc8["year"], marc8["lccn"]) == (
        "Escape from loneliness",
        1962,
        ["61014599"],
    )


def test_marc8_cjk_eacc_and_ncr_escapes() -> None:
    rec = one("yaz__marc12.mrc")
    assert rec.title_vernacular == ["车票去哪儿了"]
    assert rec.isbn == ["9787572101014"]
    mangled = list(read_records(MARC / "marc4j__chinese_mangled_multibyte.mrc", source="t"))
    assert [r.title_vernacular for r in mangled[1:]] == [["車輪滾滾"]] * 3  # type: ignore[union-attr]


def test_marc8_cyrillic_and_arabic_880() -> None:
    assert one("yaz__marc9.mrc").title_vernacular == ["قضاء الأسرة : مجلة متخصصة"]
    cyrillic = records("marc4j__cyrillic_capital_e.mrc")[0]
    assert cyrillic.title_vernacular == ["Вор, шпион и убийца"]


def test_multiple_isbns_and_cancelled_020z_kept_out() -> None:
    assert one("pymarc__multi_isbn.mrc").isbn == ["9780914378280", "9780914378297", "9780914378266"]
    koha = one("modrs__koha-chatham.xml")
    assert koha.isbn == ["9781498510592"]  # 020 $z 9781498510608 is not this book's ISBN
    assert (koha.oclc, koha.lccn) == (["936082941"], ["2015039112"])


def test_isbn10_with_qualifier_becomes_isbn13() -> None:
    rec = one("openlibrary__lc_0444897283.mrc")
    assert rec.isbn == ["9780444897282"]
    assert rec.format == "conference"
    assert rec.year == 1992
    assert rec.publisher == "North-Holland"


def test_links_open_and_licensed() -> None:
    toc = one("openlibrary__isbn_9781419594069_meta.mrc").links
    assert [(link.url, link.access, link.label) for link in toc] == [
        ("http://www.loc.gov/catdir/toc/fy0906/2008300006.html", "open", "Table of contents only")
    ]
    talis = one("openlibrary__talis_856.mrc").links
    assert [link.url for link in talis] == [
        "http://bibpurl.oclc.org/web/451",
        "http://www.us-israel.org/jsource/myths/cover.html",
    ]
    assert {(link.access, link.library) for link in talis} == {("licensed", "LIB")}


def test_related_resource_links_856_42_are_not_full_text() -> None:
    recs = list(read_records(MARC / "marc4j__sample1a.xml", source="t"))
    bib = [r for r in recs if isinstance(r, Record)]
    assert bib[0].title == "Seven financial conspiracies which have enslaved the American people"
    assert all(r.links == [] for r in bib)  # only 856 42 "Request" links there


def test_serial_with_issn_and_two_links() -> None:
    rec = one("openlibrary__ithaca_two_856u.mrc")
    assert (rec.format, rec.issn, rec.title) == ("journal", ["0068-1075"], "Britain")
    assert len(rec.links) == 2
    assert one("qacat__marcxml.xml").issn == ["1940-5758"]


def test_holdings_852_koha_952_and_opac_xml() -> None:
    koha = one("modrs__koha-chatham.xml").holdings
    assert [(h.library, h.location, h.call_number) for h in koha] == [
        ("LIB", "CIRC2", "580.1 G733v")
    ]
    alma = one("modrs__alma-princeton.xml").holdings  # 852 and OPAC <holding>: one copy
    assert [(h.location, h.call_number) for h in alma] == [("firestone stacks", "HG2481 .C42 1997")]
    sierra = one("modrs__sierra-laroche.xml").holdings
    assert [(h.location, h.call_number, h.status) for h in sierra] == [
        ("Circulation", "813.54 P648my 2003", "AVAILABLE")
    ]
    folio = one("modrs__folio-not-requestable.xml").holdings
    assert [h.call_number for h in folio] == ["CB19 .G69 2021", "CB19 .G69 2021"]


def test_sru_responses_with_many_records() -> None:
    anbd = records("modrs__anbd_sample.xml")
    assert [r.title for r in anbd][:2] == [
        "Ready player two",
        "Gender, masculinity and video gaming : analysing Reddit's r/gaming community",
    ]
    assert anbd[0].isbn == ["9781780897448"]
    assert records("modrs__alma-princeton-notfound.xml") == []
    dp2 = records("dp2__sample_marcxml.xml")
    assert len(dp2) == 10
    assert dp2[1].title == "'08中国改革跟踪报告"
    assert dp2[0].format == "article"


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("pymarc__batch.xml", "audio"),
        ("marc4j__loongboonmee.mrc", "video"),
        ("openlibrary__880_arabic_french_many_linkages.mrc", "conference"),
        ("marc4j__chabon-loc.mrc", "book"),
        ("yaz__marc9.mrc", "journal"),
    ],
)
def test_formats(name: str, fmt: str) -> None:
    assert records(name)[0].format == fmt


def test_record_without_title_and_id_fallback() -> None:
    rec = one("openlibrary__talis_no_title.mrc")
    assert rec.title == ""
    assert rec.year == 1895


def test_same_record_binary_and_marcxml() -> None:
    binary = to_dict(one("openlibrary__warofrebellionco1473unit_meta.mrc"))
    xml = to_dict(one("openlibrary__warofrebellionco1473unit_marc.xml"))
    assert binary["title"] == xml["title"]
    assert binary["title"].startswith("The War of the Rebellion : a compilation")
    assert binary["year"] == xml["year"] == 1880


def test_holdings_records_in_a_collection_are_rejected_with_reason() -> None:
    out = list(read_records(MARC / "marc4j__sample1a.xml", source="t"))
    rejects = [r for r in out if isinstance(r, RecordError)]
    assert len(rejects) == 5
    assert "MARC holdings record" in rejects[0].reason
    assert rejects[0].record == 2


def test_a_members_catalogue_record_without_items_is_that_members_print_copy():
    path = MARC / "pymarc__marc8.mrc"
    [record] = list(read_records(path, source="nju", library="223010"))
    assert [(h.library, h.kind) for h in record.holdings] == [("223010", "print")]
    [anonymous] = list(read_records(path, source="nju"))
    assert anonymous.holdings == []


def test_oclc_numbers_with_ocm_ocn_prefixes_inside_the_oclc_org_code():
    from pymarc import Field, Subfield
    from pymarc import Record as MarcRecord

    from indexer.readers import map_marc_record

    marc = MarcRecord()
    marc.add_field(Field(tag="245", indicators=["0", "0"], subfields=[Subfield("a", "T")]))
    for value in ["(OCoLC)ocm41106989", "(OCoLC)ocn814388508", "(OCoLC)12345", "(DLC)99"]:
        marc.add_field(Field(tag="035", indicators=[" ", " "], subfields=[Subfield("a", value)]))
    assert map_marc_record(marc).oclc == ["41106989", "814388508", "12345"]
