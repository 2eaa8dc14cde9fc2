"""The compiled mapper (:mod:`indexer.map_compile`) gives what the rule-by-rule
interpreter (:func:`indexer.map.map_marc_interpreted`) gives, record for record.

Checked on every MARC fixture with every shipped MARC mapping (so also records read with
the "wrong" mapping, which exercise odd paths), and on hand-made records through a
mapping that uses every feature the compiler writes out: indicators, positions, ``each``,
separators, the leader, 880 linkage, ``default:``, int and bool fields, transforms it
inlines and transforms it only calls, an extractor, links and two holdings rules.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from indexer.map import IndexerCompiler, get_mapping, map_marc, map_marc_interpreted
from indexer.map_compile import compile_marc, mapper_source
from indexer.marc_spec import MarcRecord
from indexer.normalise import (
    _BRACKETED,
    _LEADING,
    _PERIOD_AFTER_WORD,
    _TRAILING,
    _TRAILING_FULLWIDTH,
    _keep_group,
    trim_punctuation,
)
from indexer.readers.marc import decode_iso2709, iter_raw_chunks
from indexer.transforms import TRANSFORMS, TransformEntry
from mappings.errors import MappingError, RecordError
from mappings.loader import load_mapping
from mappings.schema import to_dict

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ISO2709 = sorted((FIXTURES / "marc21").glob("*.mrc")) + sorted((FIXTURES / "unimarc").glob("*.mrc"))


def _outcome(func, rec: MarcRecord, mapping, library: str = "LIB"):
    rec._linked = None  # each run builds its own 880 index
    try:
        return to_dict(func(rec, mapping, "src", library))
    except (RecordError, MappingError) as exc:
        return (type(exc).__name__, str(exc))


def _decoded(path: Path, flavour: str) -> list[MarcRecord]:
    out = []
    for chunk in iter_raw_chunks(path):
        if isinstance(chunk, RecordError):
            continue
        try:
            out.append(decode_iso2709(chunk.data, flavour))
        except ValueError:
            continue
    return out


@pytest.mark.parametrize("name", ["marc21", "unimarc", "cnmarc"])
def test_compiled_equals_interpreted_on_every_fixture(name: str) -> None:
    mapping = get_mapping(name)
    assert compile_marc(mapping) is not None
    flavour = "marc21" if name == "marc21" else "unimarc"
    seen = 0
    for path in ISO2709:
        for rec in _decoded(path, flavour):
            for library in ("LIB", ""):
                compiled = _outcome(map_marc, rec, mapping, library)
                assert compiled == _outcome(map_marc_interpreted, rec, mapping, library), (
                    f"{path.name}: {rec!r}"
                )
            seen += 1
    assert seen > 500


MAPPING = r"""
reader = "marc"
[settings.non_bibliographic]
z = "an authority record"

[fields.source_id]
marc = "001"
transforms = ["trim", "first"]

[fields.format]
extractor = "marc21_format"

[fields.title]
marc = ["245|1*|ab", "245|0_|a", "880@245ab"]
separator = " : "
transforms = ["clean", "trim_punctuation", "first"]

[fields.alt_titles]
marc = ["246", "880@246", "LDR[05-07]"]
transforms = ["lower", "squeeze_punctuation", "unique"]

[fields.authors]
marc = ["100a", "700ab"]
each = true
transforms = ["trim_punctuation", "unique", "first"]

[fields.publisher]
marc = ["260b"]
transforms = ["trim_punctuation", "default:unknown publisher"]

[fields.place]
marc = ["260a"]
transforms = ["default:nowhere", "trim_punctuation"]

[fields.year]
marc = ["008[07-10]", "260c"]
transforms = ["year", "first"]

[fields.edition]
marc = ["250a[0-2]", "008[35]"]

[fields.subjects]
marc = ["650ax", "650|*7|2", "653"]
each = true
transforms = ["split:--", "unique"]

[fields.language]
marc = ["008[35-37]", "041a"]
transforms = ["split_codes", "language", "first"]

[fields.series]
marc = ["490a", "830a"]
separator = ""
transforms = ["translate:languages", "join: / "]

[fields.summary]
marc = ["520a"]
transforms = ["trim", "lower"]

[fields.issue]
marc = ["260b"]  # the value publisher reads, without its transforms

[fields.journal_title]
marc = ["773|_*|t"]

[fields.deleted]
marc = ["999d"]

[fields.isbn]
marc = ["020a"]
each = true
transforms = ["normalise_isbn"]

[fields.local_ids]
marc = ["035a"]
transforms = ["upper_for_test"]

[links]
marc = ["856|4*|u", "880@856u"]
label = "y3"
access = "7"
open_value = "0"
exclude_ind2 = "2"

[[holdings]]
marc = "852"
location = ["b", "a"]
call_number = ["hi"]
status = ["z"]

[[holdings]]
marc = "952"
location = ["c"]
call_number = ["o"]
coverage = ["v"]
url = ["u"]
"""


def _rec(leader: str = "00000nam a2200000 a 4500", **fields) -> MarcRecord:
    return MarcRecord(leader, {tag.lstrip("_"): values for tag, values in fields.items()})


def _df(ind1: str, ind2: str, *subs: str) -> tuple[str, str, list[tuple[str, str]]]:
    return (ind1, ind2, [(s[0], s[1:]) for s in subs])


RECORDS = [
    _rec(),
    _rec("00000nzm a2200000 a 4500", _001=["x"]),
    _rec(
        _001=["  id 1  ", "second"],
        _008=["181107s2018    enk           000 0 fre d"],
        _245=[_df("1", "0", "aThe title :", "bsub /", "cby someone."), _df("0", " ", "aOther")],
        _246=[_df(" ", " ", "aVariant,  ,", "6880-01", "8x", "bMORE")],
        _880=[
            _df(" ", " ", "6245-01/$1", "a中文題名 :", "b副題"),
            _df(" ", " ", "6246-02", "a異題"),
            _df(" ", " ", "6856-03", "uhttps://example.org/v", "yVernacular link"),
            "a control-looking 880",
        ],
        _100=[_df("1", " ", "aAusten, Jane,", "d1775-1817.")],
        _700=[_df("1", " ", "aAusten, Jane,", "bII", "aBrontë, C."), _df("1", " ")],
        _260=[_df(" ", " ", "aLondon ;", "bPenguin,", "cc1986.")],
        _250=[_df(" ", " ", "a2nd ed.")],
        _650=[
            _df(" ", "0", "aHistory--Modern", "xEurope"),
            _df(" ", "7", "aIgnored", "2fast"),
            _df(" ", "7", "2"),
        ],
        _653=[_df(" ", " ", "akeyword", "6x", "8y", "bother")],
        _041=[_df("0", " ", "aengfre")],
        _490=[_df(" ", " ", "aeng", "aFrench")],
        _830=[_df(" ", " ", "aSeries"), _df(" ", " ", "aSeries")],  # one after unique
        _520=[_df(" ", " ", "a  A SUMMARY  ")],
        _999=[_df(" ", " ", "dyes")],
        _020=[_df(" ", " ", "a0-444-89728-3 (pbk.)", "a9780140430479", "zbad")],
        _035=[_df(" ", " ", "a(OCoLC)123")],
        _856=[
            _df("4", "0", "uhttps://doi.org/10.1/x", "yFull text", "70"),
            _df("4", "1", "uhttp://licensed.example/a", "3Part 1"),
            _df("4", "2", "uhttps://related.example"),
            _df("1", "0", "uhttp://wrong-ind.example"),
            _df("4", "0", "u ftp://files.example/x ", "unot a url"),
        ],
        _852=[
            _df(" ", " ", "aMain", "hQA76", "i.A1", "zon shelf"),
            _df(" ", " ", "b", "a", "h "),
            _df(" ", " ", "bStacks", "hQ A-76"),
        ],
        _952=[
            _df(" ", " ", "cAnnex", "oqa76 a1", "v1990-"),
            _df(" ", " ", "cAnnex 2", "oDIFFERENT", "uhttp://x.example"),
            "control-looking",
        ],
    ),
    _rec(
        "00000cas a2200000 a 4500",
        _008=["   ", "second 008"],
        _245=[_df("2", "", "aNot selected"), _df("0", "", "aEmpty ind2 is blank")],
        _773=[_df("", "0", "tEmpty ind1 is blank")],
        _260=[_df(" ", " ", "c民国二十年")],
        _250=["not a data field"],
        _020=[_df(" ", " ", "a", "a   ")],
    ),
    _rec("short", _245=[_df("1", "0", "a[Bracketed]")], _260=[_df(" ", " ", "b  ")]),
]


@pytest.fixture(scope="module")
def test_mapping(tmp_path_factory):
    TRANSFORMS["upper_for_test"] = TransformEntry(
        "upper_for_test", lambda values: [v.upper() for v in values], False, ""
    )
    try:
        path = tmp_path_factory.mktemp("mapping") / "every_feature.toml"
        path.write_text(MAPPING, encoding="utf-8")
        yield load_mapping(path, IndexerCompiler())
    finally:
        del TRANSFORMS["upper_for_test"]


@pytest.mark.parametrize("number", range(len(RECORDS)))
@pytest.mark.parametrize("library", ["LIB", ""])
def test_compiled_equals_interpreted_on_every_feature(test_mapping, number, library) -> None:
    rec = RECORDS[number]
    assert _outcome(map_marc, rec, test_mapping, library) == _outcome(
        map_marc_interpreted, rec, test_mapping, library
    )


def test_every_feature_record_maps_as_expected(test_mapping) -> None:
    got = map_marc(RECORDS[2], test_mapping, "src", "LIB")
    assert got.source_id == "id 1"
    assert got.title == "The title : : sub"  # 245|1*|ab joined by " : ", first field only
    assert got.alt_titles == ["variant, more", "異題", "nam"]
    assert got.authors == ["Austen, Jane"] and got.edition == "2nd"
    assert got.publisher == "Penguin" and got.place == "London" and got.issue == "Penguin,"
    assert got.year == 2018 and got.deleted is True and got.language == "fre"
    assert got.subjects == ["History", "Modern", "Europe", "Ignored", "fast", "keyword", "other"]
    assert got.series == "engFrench / Series" and got.local_ids == ["(OCOLC)123"]
    assert got.summary == "a summary" and got.isbn == ["9780444897282", "9780140430479"]
    assert [(link.url, link.access, link.label) for link in got.links] == [
        ("https://doi.org/10.1/x", "open", "Full text"),
        ("http://licensed.example/a", "licensed", "Part 1"),
        ("ftp://files.example/x", "licensed", ""),
        ("https://example.org/v", "licensed", "Vernacular link"),
    ]
    assert [(h.location, h.call_number, h.url) for h in got.holdings] == [
        ("Main", "QA76 .A1", ""),
        ("Stacks", "Q A-76", ""),
        ("Annex 2", "DIFFERENT", "http://x.example"),  # "qa76 a1" is Main's call number
    ]
    serial = map_marc(RECORDS[3], test_mapping, "src", "LIB")
    assert serial.year == 1931 and serial.title == "Empty ind2 is blank"
    assert serial.journal_title == "Empty ind1 is blank"
    empty = map_marc(RECORDS[0], test_mapping, "src", "")
    # a default applies when it comes first; after a transform that left nothing the
    # chain has stopped (apply_values)
    assert (empty.publisher, empty.place) == ("", "nowhere")
    with pytest.raises(RecordError, match="leader/06 'z' is an authority record"):
        map_marc(RECORDS[1], test_mapping, "src", "LIB")


def test_a_failing_transform_names_the_field_in_both(test_mapping, tmp_path) -> None:
    TRANSFORMS["boom_for_test"] = TransformEntry("boom_for_test", lambda v: [v[5]], False, "")
    try:
        path = tmp_path / "boom.toml"
        path.write_text('reader = "marc"\n[fields.title]\nmarc = "245a"\n'
                        'transforms = ["trim", "boom_for_test"]\n', encoding="utf-8")  # fmt: skip
        mapping = load_mapping(path, IndexerCompiler())
    finally:
        del TRANSFORMS["boom_for_test"]
    compiled = _outcome(map_marc, RECORDS[2], mapping)
    assert compiled == _outcome(map_marc_interpreted, RECORDS[2], mapping)
    assert compiled == (
        "MappingError",
        f"{path}: fields.title: IndexError('list index out of range')",
    )


def test_source_is_made_of_the_mapping_only(test_mapping) -> None:
    source, namespace = mapper_source(test_mapping)
    assert "record.title = v[0]" in source and "'880'" in source
    series = test_mapping.fields.index(test_mapping.rule("series"))
    assert namespace[f"T{series}_1"] is test_mapping.rule("series").transforms[1]  # join
    assert ".get(y.strip().lower(), y)" in source  # translate, written out
    assert "Austen" not in source


def test_mappings_with_other_specs_are_interpreted(tmp_path) -> None:
    path = tmp_path / "xml.toml"
    path.write_text('reader = "xml"\n[fields.title]\nxpath = "//title"\n', encoding="utf-8")
    assert compile_marc(load_mapping(path, IndexerCompiler())) is None


def _trim_punctuation_reference(value: str) -> str:
    """trim_punctuation before its patterns got guards: every pattern always run."""
    if value[-1:].isalnum() and value[:1].isalnum():
        return value.strip()
    text = _TRAILING.sub("", value.strip())
    text = _TRAILING_FULLWIDTH.sub("", text)
    if text.endswith("."):
        text = _PERIOD_AFTER_WORD.sub(_keep_group, text)
    text = _LEADING.sub("", text)
    bracketed = _BRACKETED.match(text)
    if bracketed:
        text = bracketed.group(1)
    return text.strip()


def test_trim_punctuation_guards_change_nothing() -> None:
    alphabet = list("ab1_ ,/;:=+.[]\n\t\x1f\u3000，、；：／＝。中é²\u00a0\u2028\u2fff\U00020000")
    rnd = random.Random(7)
    for _ in range(100_000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 8)))
        assert trim_punctuation(text) == _trim_punctuation_reference(text), repr(text)
