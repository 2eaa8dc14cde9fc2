"""OpenURL parsing (resolver.kev, resolver.openurl, resolver.ctx_xml) over real logged strings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mappings.errors import MappingError
from mappings.identifiers import normalise_doi, normalise_isbn
from resolver.ctx_xml import parse_context_objects
from resolver.kev import decode_value, split_kev
from resolver.openurl import (
    JSON_FIELDS,
    TABLE_PATH,
    citation_json,
    is_usable,
    load_table,
    normalise_date,
    parse_openurl,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "openurl"
EXPECTED = json.loads((FIXTURES / "openurl_expected_extraction.json").read_text("utf-8"))


def corpus_lines() -> list[tuple[str, int, str]]:
    lines = []
    for path in sorted(FIXTURES.glob("*.txt")):
        for number, line in enumerate(path.read_text("utf-8").split("\n"), 1):
            if line.strip():
                lines.append((path.name, number, line))
    return lines


CORPUS = corpus_lines()


def test_corpus_is_complete() -> None:
    assert len(CORPUS) == 135


@pytest.mark.parametrize(("name", "number", "line"), CORPUS, ids=[f"{n}:{i}" for n, i, _ in CORPUS])
def test_every_corpus_line_parses_to_json(name: str, number: int, line: str) -> None:
    parsed = parse_openurl(line)
    data = citation_json(parsed.citation)
    assert tuple(data) == JSON_FIELDS
    json.dumps(data, ensure_ascii=False).encode("utf-8")  # no lone surrogates
    assert parsed.version in ("0.1", "1.0", "hybrid")


def _actual(line: str) -> dict[str, object]:
    parsed = parse_openurl(line)
    cit = parsed.citation
    return {
        "openurl_version": parsed.version,
        "genre": cit.genre or None,
        "issn": cit.issn[0] if cit.issn else None,
        "eissn": cit.issn[1] if len(cit.issn) > 1 else None,
        "isbn": cit.isbn[0] if cit.isbn else None,
        "volume": cit.volume or None,
        "issue": cit.issue or None,
        "spage": cit.spage or None,
        "epage": cit.epage or None,
        "date": cit.date or None,
        "doi": cit.doi or None,
        "pmid": cit.pmid or None,
    }


CASES = EXPECTED["cases"]


@pytest.mark.parametrize("case", CASES, ids=[f"{c['file']}:{c['line']}" for c in CASES])
def test_expected_extraction(case: dict[str, object]) -> None:
    path = FIXTURES / Path(str(case["file"])).name
    line = path.read_text("utf-8").split("\n")[int(str(case["line"])) - 1]
    expected = dict(case["expected"])  # type: ignore[call-overload]
    # Our citation carries ISBN-13 and lower-case DOIs (the indexer's normal form).
    if expected["isbn"]:
        expected["isbn"] = normalise_isbn(expected["isbn"])
    if expected["doi"]:
        expected["doi"] = normalise_doi(expected["doi"])
    assert _actual(line) == expected, case.get("notes")


def test_bare_ampersand_stays_in_value_and_logger_equals_dropped() -> None:
    pairs = dict(split_kev("rft.pub=Haworth+Maltreatment+&+Trauma+Press=&rft.spage=335"))
    assert pairs == {"rft.pub": "Haworth Maltreatment & Trauma Press", "rft.spage": "335"}


def test_amp_entity_separators_and_host_prefix() -> None:
    pairs = split_kev("https://x.org/openurl??genre=book&amp;isbn=0262531283&amp;date=1995")
    assert pairs == [("genre", "book"), ("isbn", "0262531283"), ("date", "1995")]


def test_json_and_percent_u_escapes_and_surrogates() -> None:
    assert decode_value("Zo\\u00e9") == "Zoé"
    assert decode_value("Zo%u00E9") == "Zoé"
    assert decode_value("\\ud83d\\ude00 ok") == "\U0001f600 ok"
    assert decode_value("lone \\ud800 surrogate") == "lone surrogate"


def test_latin1_percent_escapes_fall_back_to_cp1252() -> None:
    assert decode_value("Caf%E9") == "Café"


def test_rfe_identifiers_are_not_referent_data() -> None:
    citation = parse_openurl("url_ver=Z39.88-2004&rft.btitle=A&rfe.isbn=0262531283").citation
    assert citation.isbn == []
    assert citation.btitle == "A"


def test_issn_suffixes_split_print_first() -> None:
    citation = parse_openurl("issn=1538-4772(ELECTRONIC),10983007(PRINT)&title=J").citation
    assert citation.issn == ["1098-3007", "1538-4772"]
    assert citation.jtitle == "J"


def test_invalid_issn_dropped() -> None:
    assert parse_openurl("issn=12345678&title=x").citation.issn == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2004-05", "2004-05"),
        ("Spring 2003", "2003"),
        ("2003-2004", "2003"),
        ("20181211", "2018-12-11"),
        ("2008-8-26", "2008-08-26"),
        ("1994; 1998", "1994"),
        ("2021-13-01", "2021"),
        ("n.d.", ""),
        ("0099", ""),
    ],
)
def test_normalise_date(value: str, expected: str) -> None:
    assert normalise_date(value) == expected


@pytest.mark.parametrize(
    ("query", "spage", "epage"),
    [
        ("pages=123-45", "123", "145"),
        ("pages=732-4", "732", "734"),
        ("spage=Ahead of Print&pages=Ahead of Print", "", ""),
        ("spage=e1002&epage=No", "e1002", ""),
        ("rft.spage=410&rft.epage=+&rft.pages=410-+", "410", ""),
        ("spage=12&pages=100-110", "12", ""),
    ],
)
def test_pages(query: str, spage: str, epage: str) -> None:
    citation = parse_openurl(query + "&title=x").citation
    assert (citation.spage, citation.epage) == (spage, epage)


def test_title_goes_to_book_or_journal() -> None:
    assert parse_openurl("genre=book&title=B").citation.btitle == "B"
    assert parse_openurl("genre=article&title=J").citation.jtitle == "J"
    assert parse_openurl("isbn=0262531283&title=B").citation.btitle == "B"
    fmt = "rft_val_fmt=info:ofi/fmt:kev:mtx:journal&rft.isbn=0262531283&rft.title=J"
    assert parse_openurl(fmt).citation.jtitle == "J"


def test_authors_composed_and_deduplicated() -> None:
    query = "rft.aulast=Yang&rft.aufirst=Xue&rft.au=Yang,+Xue&rft.au=Zhang,+Wenzhong"
    assert parse_openurl(query).citation.authors == ["Yang, Xue", "Zhang, Wenzhong"]


def test_identifiers_from_ids_and_prefixes() -> None:
    citation = parse_openurl(
        "rft_id=info:oclcnum/ocm0012345&rft_id=urn:isbn:0262531283&id=pmid:&id=doi:10.1000/X"
    ).citation
    assert (citation.oclc, citation.isbn, citation.pmid, citation.doi) == (
        "12345",
        ["9780262531283"],
        "",
        "10.1000/x",
    )


@pytest.mark.parametrize("text", ["", "????", "&&&", "sid=foo", "foo", "=x", "a=&b=", "%%%"])
def test_nothing_usable(text: str) -> None:
    assert not is_usable(parse_openurl(text).citation)


@given(st.text(max_size=300))
def test_arbitrary_text_never_raises(text: str) -> None:
    parsed = parse_openurl(text)
    json.dumps(citation_json(parsed.citation), ensure_ascii=False).encode("utf-8")


@given(st.lists(st.tuples(st.sampled_from(sorted(load_table().v01_keys)), st.text(max_size=40))))
def test_arbitrary_known_keys_never_raise(pairs: list[tuple[str, str]]) -> None:
    from urllib.parse import urlencode

    assert parse_openurl(urlencode(pairs)).version in ("0.1", "")


def test_broken_table_names_file_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "openurl.toml"
    text = TABLE_PATH.read_text("utf-8")
    bad.write_text(text.replace('kind = "lower"', 'kind = "nonsense"'), "utf-8")
    with pytest.raises(MappingError, match=r"openurl.toml: fields.genre: unknown kind"):
        load_table(bad)


def test_xml_context_objects() -> None:
    (yu,) = parse_context_objects((FIXTURES / "openurl_gem__yu.xml").read_bytes())
    assert yu.citation.doi == "10.1364/ol.29.000017"
    assert yu.citation.pmid == "14719646"
    assert yu.citation.issn == ["0146-9592"]
    assert yu.citation.authors == ["Yu, Qinrong", "Bao, Xiaoyi", "Chen, Liang"]
    (dc,) = parse_context_objects((FIXTURES / "openurl_gem__dc_ctx.xml").read_bytes())
    assert dc.citation.doi == "10.1086/508789"
    assert dc.citation.atitle.startswith("Resurrection and Appropriation")
    (marc,) = parse_context_objects((FIXTURES / "openurl_gem__marc_ctx.xml").read_bytes())
    assert (marc.citation.btitle, marc.citation.isbn) == ("Arithmetic", ["9780152038656"])


def test_xml_garbage_gives_nothing() -> None:
    assert parse_context_objects(b"<not really xml") == []
    assert parse_context_objects(b"") == []
