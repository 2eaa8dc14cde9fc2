"""MARC spec parsing and extraction, transforms and normalisation helpers."""

from __future__ import annotations

import pytest

from indexer.marc_spec import MarcRecord, parse_spec
from indexer.normalise import (
    clean_text,
    extract_year,
    marc21_format,
    normalise_language,
    trim_punctuation,
    unimarc_format,
)
from indexer.transforms import get_transform

REC = MarcRecord(
    "01234cam a2200289 a 4500",
    {
        "008": ["990101s1999    nyu           000 0 eng d"],
        "020": [(" ", " ", [("a", "0444897283 (pbk.)"), ("z", "1234567890")])],
        "245": [("1", "0", [("6", "880-01"), ("a", "Title :"), ("b", "sub /"), ("c", "by X.")])],
        "856": [("4", "0", [("u", "http://a.org/1")]), ("4", "2", [("u", "http://toc.org/")])],
        "880": [
            ("1", "0", [("6", "245-01/$1"), ("a", "标题")]),
            (" ", " ", [("6", "260-02/$1"), ("b", "出版社")]),
        ],
    },
)


def test_subfields_join_per_field_and_skip_linkage() -> None:
    assert parse_spec("245ab").extract(REC) == ["Title : sub /"]
    assert parse_spec("245").extract(REC) == ["Title : sub / by X."]
    assert parse_spec("245ab").extract(REC, None) == ["Title :", "sub /"]


def test_positions_on_leader_and_control_fields() -> None:
    assert parse_spec("LDR[06]").extract(REC) == ["a"]
    assert parse_spec("LDR[06-07]").extract(REC) == ["am"]
    assert parse_spec("008[35-37]").extract(REC) == ["eng"]
    assert parse_spec("008[07-10]").extract(REC) == ["1999"]


def test_indicators_select_fields() -> None:
    assert parse_spec("856|40|u").extract(REC) == ["http://a.org/1"]
    assert parse_spec("856|4*|u").extract(REC) == ["http://a.org/1", "http://toc.org/"]
    assert parse_spec("856|_*|u").extract(REC) == []


def test_880_linked_to_tag() -> None:
    assert parse_spec("880@245a").extract(REC) == ["标题"]
    assert parse_spec("880@260b").extract(REC) == ["出版社"]
    assert parse_spec("880@100a").extract(REC) == []


def test_positions_slice_data_field_values() -> None:
    rec = MarcRecord("", {"100": [(" ", " ", [("a", "20020204d1994    em y0chiy0120    ea")])]})
    assert parse_spec("100a[9-12]").extract(rec) == ["1994"]


@pytest.mark.parametrize("bad", ["24", "245$a", "008a", "LDR|4*|", "008[9-3]", "245[", ""])
def test_bad_specs_raise_value_error(bad: str) -> None:
    with pytest.raises(ValueError, match="bad MARC spec"):
        parse_spec(bad)


def test_parse_spec_is_cached() -> None:
    assert parse_spec("650avxyz") is parse_spec("650avxyz")


def test_transforms_chain() -> None:
    isbn = get_transform("normalise_isbn", None)
    assert isbn(["0444897283 (pbk.)", "junk", "978-0-444-89728-2"]) == ["9780444897282"]
    oclc = get_transform("match", r"^\(OCoLC\)")
    assert oclc(["(OCoLC)123", "(DLC)456"]) == ["(OCoLC)123"]
    assert get_transform("default", "book")([]) == ["book"]
    assert get_transform("split_codes", None)(["engfre", "chi"]) == ["eng", "fre", "chi"]
    assert get_transform("map", "languages")(["ZH", "xx"]) == ["chi"]
    assert get_transform("translate", "languages")(["zh", "eng"]) == ["chi", "eng"]
    assert get_transform("slice", "0-3")(["19990101"]) == ["1999"]
    assert get_transform("squeeze_punctuation", None)(["Asimov, , Isaac"]) == ["Asimov, Isaac"]
    with pytest.raises(KeyError):
        get_transform("nope", None)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("The pragmatic programmer :", "The pragmatic programmer"),
        ("Hunt, Andrew.", "Hunt, Andrew"),
        ("Smith, J.", "Smith, J."),
        ("[Beijing]", "Beijing"),
        ("尹一淸.", "尹一淸"),
        ("Da xin shu ju,", "Da xin shu ju"),
        ("汉语 =", "汉语"),
    ],
)
def test_trim_punctuation(raw: str, clean: str) -> None:
    assert trim_punctuation(raw) == clean


@pytest.mark.parametrize(
    ("raw", "year"),
    [
        ("c1999.", 1999),
        ("[199-?]", 1990),
        ("2001-2005", 2001),
        ("19uu", None),
        ("[n.d.]", None),
        ("9780444897282", None),
        ("民国二十年", 1931),
        ("民國3年", 1914),
        ("p1962", 1962),
    ],
)
def test_extract_year(raw: str, year: int | None) -> None:
    assert extract_year(raw) == year


def test_language_codes() -> None:
    assert normalise_language("zh") == "chi"
    assert normalise_language("zho") == "chi"
    assert normalise_language("ENG") == "eng"
    assert normalise_language("und") == ""
    assert normalise_language("Chinese") == "chi"


def test_clean_text_repairs_what_sources_break() -> None:
    assert clean_text("&#x8ECA;&#x8F2A;") == "車輪"
    assert clean_text("\x88L'\x89altra  faccia") == "L'altra faccia"
    assert clean_text("mure\u00c5\u009fene") == "mureşene"


@pytest.mark.parametrize(
    ("leader", "f008", "f007", "thesis", "conference", "expected"),
    [
        ("00000nam a22", " " * 40, [], False, False, "book"),
        ("00000nas a22", " " * 40, [], False, False, "journal"),
        ("00000nab a22", " " * 40, [], False, False, "article"),
        ("00000nam a22", " " * 40, [], True, False, "thesis"),
        ("00000nam a22", " " * 40, [], False, True, "conference"),
        ("00000nam a22", " " * 24 + "t" + " " * 15, [], False, False, "report"),
        ("00000nam a22", " " * 24 + "u" + " " * 15, [], False, False, "standard"),
        ("00000nam a22", " " * 24 + "j" + " " * 15, [], False, False, "patent"),
        ("00000njm a22", " " * 40, [], False, False, "audio"),
        ("00000ngm a22", " " * 33 + "v" + " " * 6, [], False, False, "video"),
        ("00000nem a22", " " * 40, [], False, False, "other"),
    ],
)
def test_marc21_format(leader, f008, f007, thesis, conference, expected) -> None:
    assert marc21_format(leader, f008, [], f007, thesis, conference) == expected


def test_unimarc_format() -> None:
    assert unimarc_format("01576nam0 22", "ak  z   000yy") == "book"
    assert unimarc_format("01576nas0 22", "") == "journal"
    assert unimarc_format("01576nam0 22", "y   m   000yy") == "thesis"
    assert unimarc_format("01576nam0 22", "y   z   1") == "conference"
