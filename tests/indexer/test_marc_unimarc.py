"""UNIMARC and CNMARC mappings on real records (ISO 2709 and CNMARC XML from SRU)."""

from __future__ import annotations

from pathlib import Path

from indexer.readers import read_records
from mappings.schema import Record

UNIMARC = Path(__file__).resolve().parents[1] / "fixtures" / "unimarc"


def records(name: str) -> list[Record]:
    out = list(read_records(UNIMARC / name, source="test", library="BNU"))
    assert all(isinstance(r, Record) for r in out), [str(r) for r in out]
    return out  # type: ignore[return-value]


def test_cnmarc_xml_from_sru() -> None:
    recs = records("dp2__sample_cnmarcxml.xml")
    assert len(recs) == 10
    first = recs[0]
    assert first.source_id == "990002180740203961"
    assert first.title == "'94中国发展报告"
    assert first.isbn == ["9787503717444"]  # 010 $a 7-5037-1744-0 (price $d CNY68.00 ignored)
    assert first.year == 1994
    assert (first.publisher, first.place, first.language) == ("中国统计出版社", "北京", "chi")
    assert first.authors == ["叶震", "李强", "国家统计局"]
    assert "'94Zhong Guo Fa Zhan Bao Gao" in first.alt_titles  # pinyin 200 $A
    assert first.subjects[:3] == ["经济发展", "概况", "中国"]
    assert [(h.library, h.location, h.call_number, h.status) for h in first.holdings] == [
        ("BNU", "中文库本书—A-H(主馆六层)", "F124 26", "available"),
        ("BNU", "中文预约书—1986-1995(主馆地下二层戊区)", "F124 26", "available"),
    ]
    assert recs[1].title == "'95中国发展报告"
    assert recs[1].isbn == ["9787503720208"]


def test_unimarc_serials_with_issn() -> None:
    recs = records("qacat__serial.bnr.1993.mrc")
    assert len(recs) == 11
    assert {r.format for r in recs} == {"journal"}
    first = recs[0]
    assert first.issn == ["1221-8472"]
    assert first.title == "24 ore mureşene : cotidian independent de informaţie"  # repaired
    assert first.year == 1993
    assert sum(bool(r.issn) for r in recs) >= 5


def test_unimarc_italian_sbn_with_non_sort_markers() -> None:
    (rec,) = records("pymarc__testunimarc.mrc")
    assert rec.title == "L'altra faccia della spirale"  # NSB/NSE markers dropped
    assert rec.isbn == ["9788804406822"]
    assert rec.authors[0] == "Asimov, Isaac"
    assert (rec.publisher, rec.place, rec.year) == ("A. Mondadori", "Milano", 1996)
    assert rec.language == "ita"


def test_unimarc_bncf_batch() -> None:
    recs = records("bncf__data.mrc")
    assert recs[0].title == "Lo Stato innovatore : sfatare il mito del pubblico contro il privato"
    assert recs[0].isbn == ["9788858111703"]
    assert recs[0].authors[0] == "Mazzucato, Mariana"
    assert recs[0].year == 2014
