"""The synthetic corpus generator: deterministic, valid identifiers, CJK share, duplicates."""

from __future__ import annotations

import csv
import filecmp
import json
from collections import Counter, defaultdict
from pathlib import Path

import pymarc
import pytest

from bench.generate import copies_distribution, generate, generate_records, write_corpus
from bench.kbart import COLUMNS
from mappings.identifiers import normalise_doi, normalise_isbn, normalise_issn, normalise_oclc
from mappings.text import has_cjk, title_key

RECORDS = 4000
SOURCES = 5


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("corpus")
    write_corpus(out, RECORDS, SOURCES, seed=42, kbart_lines=300)
    return out


@pytest.fixture(scope="module")
def records(corpus: Path) -> list[pymarc.Record]:
    read: list[pymarc.Record] = []
    for path in sorted(corpus.glob("src*.mrc")):
        with path.open("rb") as handle:
            reader = pymarc.MARCReader(handle, to_unicode=True, force_utf8=True)
            for record in reader:
                assert record is not None, (path, reader.current_exception)
                read.append(record)
    return read


@pytest.fixture(scope="module")
def truth(corpus: Path) -> dict[str, int]:
    with (corpus / "truth.tsv").open(encoding="utf-8") as handle:
        return {row["control"]: int(row["work"]) for row in csv.DictReader(handle, delimiter="\t")}


def test_same_seed_gives_identical_bytes(corpus: Path, tmp_path: Path) -> None:
    write_corpus(tmp_path, RECORDS, SOURCES, seed=42, kbart_lines=300)
    files = [p.relative_to(corpus) for p in corpus.rglob("*") if p.is_file()]
    files = [p for p in files if p.name != "manifest.json"]
    assert len(files) == SOURCES + 1 + 3
    match, mismatch, errors = filecmp.cmpfiles(corpus, tmp_path, files, shallow=False)
    assert (mismatch, errors) == ([], [])


def test_other_seed_gives_other_records(tmp_path: Path) -> None:
    first = [r.as_marc() for r in generate_records(50, seed=1)]
    second = [r.as_marc() for r in generate_records(50, seed=2)]
    assert first == [r.as_marc() for r in generate_records(50, seed=1)]
    assert first != second


def test_pymarc_reads_every_record_back_as_utf8(corpus: Path, records: list) -> None:
    manifest = json.loads((corpus / "manifest.json").read_text())
    assert len(records) == RECORDS == sum(manifest["per_source"])
    assert {r.leader[9] for r in records} == {"a"}
    assert all(len(r["008"].data) == 40 for r in records)
    assert len({r["001"].data for r in records}) == RECORDS


def test_marcxml_output_reads_back(tmp_path: Path) -> None:
    write_corpus(tmp_path, 300, 2, seed=3, fmt="marcxml")
    parsed = [r for p in sorted(tmp_path.glob("*.xml")) for r in pymarc.parse_xml_to_array(str(p))]
    assert len(parsed) == 300
    expected = {r["001"].data: r["245"]["a"] for r in generate_records(300, seed=3, sources=2)}
    assert {r["001"].data: r["245"]["a"] for r in parsed} == expected


def test_identifiers_are_valid(records: list) -> None:
    kinds: Counter[str] = Counter()
    for record in records:
        for value in (f["a"] for f in record.get_fields("020")):
            assert normalise_isbn(value), value
            compact = value.split(" ")[0].replace("-", "")
            kinds["isbn10" if len(compact) == 10 else "isbn13"] += 1
        for field in record.get_fields("022"):
            assert normalise_issn(field["a"]) == field["a"]
            kinds["issn"] += 1
        for field in record.get_fields("035"):
            assert field["a"].startswith("(OCoLC)") and normalise_oclc(field["a"])
            kinds["oclc"] += 1
        for field in record.get_fields("024"):
            assert normalise_doi(field["a"]) == field["a"].lower()
            kinds["doi"] += 1
    assert kinds["isbn10"] > 100 and kinds["isbn13"] > 1000
    assert min(kinds["issn"], kinds["oclc"], kinds["doi"]) > 50


def test_about_ten_percent_of_works_are_cjk_with_linked_880s(records: list, truth: dict) -> None:
    works: dict[int, bool] = {}
    for record in records:
        linked = {f["6"][:6]: f for f in record.get_fields("880")}
        for key, vernacular in linked.items():
            tag, occurrence = key.split("-")
            partners = [f for f in record.get_fields(tag) if f["6"] == f"880-{occurrence}"]
            assert len(partners) == 1, (record["001"].data, key)
            assert has_cjk(vernacular["a"])
        works[truth[record["001"].data]] = works.get(truth[record["001"].data], False) or bool(
            linked
        )
    share = sum(works.values()) / len(works)
    assert 0.07 < share < 0.13


def test_duplicates_match_the_requested_rate(corpus: Path, truth: dict) -> None:
    manifest = json.loads((corpus / "manifest.json").read_text())
    works = len(set(truth.values()))
    assert manifest["works"] == works
    assert abs((1 - works / RECORDS) - 0.32) < 0.03


@pytest.mark.parametrize("rate", [0.0, 0.5])
def test_other_duplicate_rates(rate: float) -> None:
    works = {item.work.id for item in generate(3000, seed=5, sources=6, dup_rate=rate)}
    assert abs((1 - len(works) / 3000) - rate) < 0.03


def test_copies_of_a_work_agree_on_identifiers_and_land_in_different_sources(
    records: list, truth: dict
) -> None:
    by_work: dict[int, list] = defaultdict(list)
    for record in records:
        by_work[truth[record["001"].data]].append(record)
    without_ids = 0
    for copies in (c for c in by_work.values() if len(c) > 1):
        assert len({r["003"].data for r in copies}) == len(copies)
        isbns = {normalise_isbn(f["a"]) for r in copies for f in r.get_fields("020")}
        assert len(isbns) <= 1
        if not any(r.get_fields("020", "022", "024", "035", "010") for r in copies):
            without_ids += 1
            keys = {title_key(r["245"]["a"].split(":")[0]) for r in copies}
            years = {r["008"].data[7:11] for r in copies}
            assert len(keys) == 1 and len(years) == 1
    assert without_ids > 20


def test_holdings_use_member_codes_and_some_links_are_open(records: list, corpus: Path) -> None:
    members = set(json.loads((corpus / "manifest.json").read_text())["members"])
    libraries = {f["a"] for r in records for f in r.get_fields("852")}
    assert libraries <= members and len(libraries) > 10
    access = Counter(f["z"] for r in records for f in r.get_fields("856"))
    assert access["Open access"] > 50 and access["Full text available to subscribers"] > 50


def test_kbart_lines_match_generated_identifiers(corpus: Path, records: list) -> None:
    known = {normalise_isbn(f["a"]) for r in records for f in r.get_fields("020")}
    known |= {f["a"] for r in records for f in r.get_fields("022")}
    lines = matched = 0
    for path in sorted((corpus / "kbart").glob("*.txt")):
        with path.open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
        assert rows and tuple(rows[0]) == COLUMNS
        for row in rows:
            ident = row["print_identifier"]
            kind = row["publication_type"]
            normalised = normalise_issn(ident) if kind == "serial" else normalise_isbn(ident)
            assert normalised, ident
            lines += 1
            matched += normalised in known
    assert lines == 300
    assert matched > 0.9 * lines


def test_bad_duplicate_rate_is_refused() -> None:
    with pytest.raises(ValueError, match="dup_rate"):
        copies_distribution(4, 1.2)
    with pytest.raises(ValueError, match="too high"):
        copies_distribution(2, 0.9)
