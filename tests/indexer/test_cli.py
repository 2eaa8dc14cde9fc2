"""``efirst index / stats / search`` through click's CliRunner on the bundled sample files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import indexer
from search_app.cli import main

SAMPLE = Path(indexer.__file__).parent / "sample" / "records"
MARC = SAMPLE / "yaz__marccol1.u8.mrc"  # 19 MARC21 UTF-8 records, Chinese titles
CNMARCXML = SAMPLE / "dp2__sample_cnmarcxml.xml"  # 10 CNMARC XML records, 2 duplicates


@pytest.fixture
def runner(tmp_path, monkeypatch) -> CliRunner:
    monkeypatch.setenv("EFIRST_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("EFIRST_SEARCH_URL", raising=False)
    return CliRunner()


@pytest.fixture
def indexed(runner) -> CliRunner:
    result = runner.invoke(main, ["index", str(MARC), "--source", "yaz", "--library", "PKU"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["index", str(CNMARCXML), "--source", "dp2"])
    assert result.exit_code == 0, result.output
    return runner


def search_json(runner: CliRunner, *args: str) -> dict:
    result = runner.invoke(main, ["search", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_index_reports_counts(indexed, runner):
    result = runner.invoke(main, ["index", str(MARC), "--source", "yaz", "--library", "PKU"])
    assert result.exit_code == 0
    assert "yaz: 19 records read, 0 removed, 0 rejected; 0 cluster documents written" in (
        result.output
    )


def test_search_json_shape(indexed):
    data = search_json(indexed, "", "--limit", "2")
    assert set(data) == {"total", "hits", "facets"}
    assert data["total"] == 19 + 9 and len(data["hits"]) == 2
    hit = data["hits"][0]
    assert set(hit) == {
        "id",
        "title",
        "authors",
        "year",
        "format",
        "isbn",
        "issn",
        "holdings",
        "links",
    }
    assert all(set(h) == {"library", "kind", "call_number"} for h in hit["holdings"])
    assert set(data["facets"]) == {
        "format",
        "language",
        "year",
        "library",
        "online",
        "subject_facet",
    }
    assert sum(n for _, n in data["facets"]["format"]) == 28
    assert all(isinstance(pair, list) and len(pair) == 2 for pair in data["facets"]["format"])


def test_search_finds_cjk_title_in_either_script(indexed):
    simplified = search_json(indexed, "中国发展报告")
    traditional = search_json(indexed, "中國發展報告")
    assert simplified["total"] == 9
    assert [h["id"] for h in simplified["hits"]] == [h["id"] for h in traditional["hits"]]
    # 8 yearbooks carry the words in their title; they rank above a summary-only match
    titles = [h["title"] for h in simplified["hits"]]
    assert all("中国发展报告" in t for t in titles[:8]) and "中国发展报告" not in titles[8]


def test_word_divided_cjk_record_found_by_undivided_query(indexed):
    # yaz record: 245 romanised, 880 "文学 基础 知识" (word-divided, RLIN style)
    data = search_json(indexed, "文學基礎知識")
    assert [h["title"] for h in data["hits"]] == ["Wen hsüeh chi chʻu chih shih"]


def test_search_by_isbn_in_any_form(indexed):
    isbn = search_json(indexed, "发展报告")["hits"][0]["isbn"][0]
    hyphenated = f"{isbn[:3]}-{isbn[3]}-{isbn[4:9]}-{isbn[9:12]}-{isbn[12]}"
    data = search_json(indexed, hyphenated)
    assert data["total"] == 1 and data["hits"][0]["isbn"][0] == isbn


def test_search_filter(indexed):
    data = search_json(indexed, "", "--filter", "year=1993", "--limit", "50")
    assert data["total"] >= 1 and {h["year"] for h in data["hits"]} == {1993}


def test_search_bad_filter_is_a_usage_error(indexed):
    result = indexed.invoke(main, ["search", "x", "--filter", "nonsense"])
    assert result.exit_code == 2 and "FIELD=VALUE" in result.output


def test_search_listing(indexed):
    result = indexed.invoke(main, ["search", "中国", "--limit", "1"])
    assert result.exit_code == 0
    assert "results" in result.output.splitlines()[0] and "  1. " in result.output


@pytest.mark.parametrize("query", ['"', "((", "title:*", "AND", "\\"])
def test_hostile_queries_exit_cleanly(indexed, query):
    assert indexed.invoke(main, ["search", query, "--json"]).exit_code == 0


def test_stats_reports_sources_and_rejects(indexed, tmp_path):
    broken = tmp_path / "broken.mrc"
    good = MARC.read_bytes()
    broken.write_bytes(b"00xyzcam  22000000a 4500\x1e\x1d" + good)
    result = indexed.invoke(
        main, ["index", str(broken), "--source", "broken", "--format", "marc21"]
    )
    assert result.exit_code == 0, result.output
    assert "rejects report:" in result.output
    stats = json.loads(indexed.invoke(main, ["stats", "--json"]).output)
    assert stats["sources"]["yaz"]["records"] == 19
    assert stats["sources"]["dp2"] == {
        "records": 10,
        "clusters": 9,
        "read": 10,
        "rejects": {},
        "vetoes": {},
    }
    assert stats["sources"]["broken"]["read"] == 19
    assert sum(stats["sources"]["broken"]["rejects"].values()) == 1
    # the broken file repeats yaz's 19 records: same titles and authors, so merged
    assert stats["records"] == 48 and stats["clusters"] == 28
    table = indexed.invoke(main, ["stats"]).output
    assert "records in: 48   clusters out: 28" in table and "rejected" in table


def test_backend_error_is_one_line_not_a_traceback(indexed, tmp_path):
    marker = tmp_path / "data" / "index" / "efirst-schema.json"
    marker.write_text("{}")
    result = indexed.invoke(main, ["search", "x"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: the index in") and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_stats_before_anything_indexed(runner):
    result = runner.invoke(main, ["stats"])
    assert result.exit_code == 1 and "nothing indexed yet" in result.output


def test_stats_reports_dedup_vetoes_by_reason(runner, make_record):
    from indexer.backends import open_backend
    from indexer.pipeline import index_records
    from indexer.settings import Settings

    settings = Settings.from_env()
    backend = open_backend(settings)
    book = make_record("1", source="a", format="book", title="Same", isbn=["9780444897282"])
    video = make_record("2", source="b", format="video", title="Same", isbn=["9780444897282"])
    index_records([book], "a", settings, backend)
    index_records([video], "b", settings, backend)
    backend.close()
    result = runner.invoke(main, ["stats", "--json"])
    assert result.exit_code == 0, result.output
    vetoes = json.loads(result.output)["sources"]["b"]["vetoes"]
    assert sum(vetoes.values()) == 1 and "format" in next(iter(vetoes))
    text = runner.invoke(main, ["stats"]).output
    assert "vetoed" in text
