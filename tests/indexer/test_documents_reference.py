"""Cluster documents and tantivy documents equal those of the plain reference code.

``indexer.documents`` (one-record fast path, list-based merging) and
``indexer.backends.tantivy_backend.to_document`` (per-kind conversion, non-ASCII text
converted once per document) were rewritten for speed. The reference below is the code
they replaced, kept verbatim: on real MARC records, mapped and then varied (blank and
``None`` values, repeated values, members in any order, clusters of one to four members),
both must give the same dicts and the same tantivy documents.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson
import pytest
import tantivy

from indexer.backends.query import index_text
from indexer.backends.tantivy_backend import build_schema, to_document
from indexer.documents import cluster_document, payload
from indexer.readers import read_records
from mappings.fields import FIELDS
from mappings.schema import Cluster, Holding, Link, Record
from mappings.text import fold

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "marc21"

# -- the reference: indexer/documents.py and to_document before the fast paths ---------
_COUNTED = (
    "title", "title_vernacular", "alt_titles", "authors", "authors_vernacular", "publisher",
    "place", "year", "edition", "isbn", "issn", "oclc", "lccn", "doi", "subjects",
    "language", "series", "summary", "journal_title", "volume", "issue", "pages",
)  # fmt: skip


def ref_filled_fields(record: Record) -> int:
    return sum(1 for name in _COUNTED if getattr(record, name) not in (None, "", []))


def ref_best_record(records: list[Record]) -> Record:
    return min(records, key=lambda r: (-ref_filled_fields(r), r.key))


def _unique(values: Iterable[Any]) -> list[Any]:
    seen = dict.fromkeys(values)
    seen.pop(None, None)
    seen.pop("", None)
    return list(seen)


def _first(values: Iterable[Any]) -> Any:
    return next((v for v in values if v not in (None, "")), None)


def _holding(h: Holding) -> dict[str, str]:
    return {
        "library": h.library,
        "kind": h.kind,
        "location": h.location,
        "call_number": h.call_number,
        "coverage": h.coverage,
        "url": h.url,
    }


def _link(link: Link) -> dict[str, str]:
    return {"url": link.url, "access": link.access, "label": link.label, "library": link.library}


def _holdings(records: list[Record]) -> list[dict[str, str]]:
    rows = (_holding(h) for r in records for h in r.holdings)
    return [dict(t) for t in _unique(tuple(row.items()) for row in rows)]


def _links(records: list[Record]) -> list[dict[str, str]]:
    by_url: dict[str, dict[str, str]] = {}
    for record in records:
        for link in record.links:
            if link.url and link.url not in by_url:
                by_url[link.url] = _link(link)
    return list(by_url.values())


def ref_payload(cluster: Cluster) -> dict[str, Any]:
    members = sorted(cluster.records, key=lambda r: r.key)
    best = ref_best_record(members)
    ordered = [best] + [r for r in members if r is not best]
    return {
        "id": cluster.id,
        "title": best.title or _first(r.title for r in ordered) or "",
        "title_vernacular": _unique(t for r in ordered for t in r.title_vernacular),
        "authors": best.authors or _first(r.authors for r in ordered) or [],
        "year": best.year if best.year is not None else _first(r.year for r in ordered),
        "format": best.format,
        "language": best.language or _first(r.language for r in ordered) or "",
        "publisher": best.publisher or _first(r.publisher for r in ordered) or "",
        "isbn": _unique(i for r in ordered for i in r.isbn),
        "issn": _unique(i for r in ordered for i in r.issn),
        "doi": _first(r.doi for r in ordered) or "",
        "oclc": _unique(i for r in ordered for i in r.oclc),
        "subjects": _unique(s for r in ordered for s in r.subjects),
        "sources": _unique(r.source for r in members),
        "holdings": _holdings(members),
        "links": _links(members),
        "records": [r.key for r in members],
    }


def _online(records: list[Record]) -> tuple[list[str], list[str]]:
    online: list[str] = []
    online_for: list[str] = []
    for record in records:
        for link in record.links:
            if link.access == "open":
                online.append("open")
                online_for.append("*")
            else:
                online.append("licensed")
                online_for.append(link.library or "*")
        for h in record.holdings:
            if h.kind == "electronic":
                online.append("licensed")
                online_for.append(h.library)
    return sorted(set(online)), _unique(online_for)


def ref_cluster_document(cluster: Cluster) -> dict[str, Any]:
    shown = ref_payload(cluster)
    rs = cluster.records
    online, online_for = _online(rs)
    libraries = _unique(
        [h.library for r in rs for h in r.holdings] + [lk.library for r in rs for lk in r.links]
    )
    titles = _unique(
        [shown["title"]] + [t for r in rs for t in [r.title, *r.title_vernacular, *r.alt_titles]]
    )
    names = _unique(a for r in rs for a in [*r.authors, *r.authors_vernacular])
    other = _unique(
        v for r in rs for v in (r.publisher, r.series, r.summary, r.journal_title, r.edition)
    )
    return {
        "id": cluster.id,
        "title": titles,
        "author": names,
        "subject": shown["subjects"],
        "all": titles + names + shown["subjects"] + other,
        "isbn": shown["isbn"],
        "issn": shown["issn"],
        "doi": _unique(r.doi for r in rs),
        "oclc": shown["oclc"],
        "lccn": _unique(i for r in rs for i in r.lccn),
        "format": shown["format"],
        "language": _unique(r.language for r in rs),
        "year": shown["year"],
        "library": libraries,
        "online": online,
        "online_for": online_for,
        "subject_facet": shown["subjects"],
        "source": shown["sources"],
        "title_sort": fold(shown["title"]) or None,
        "payload": shown,
    }


def _ref_values(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple | set):
        return [v for v in value if v is not None and v != ""]
    return [value]


def _ref_text(item: Any) -> str:
    text = str(item)
    return text if text.isascii() else index_text(text)


def _ref_stored(item: Any) -> bytes:
    return item if isinstance(item, bytes) else orjson.dumps(item)


_REF_CONVERT = {"text": _ref_text, "keyword": str, "integer": int, "stored": _ref_stored}
_REF_PLAN = tuple((spec.name, _REF_CONVERT[spec.kind]) for spec in FIELDS)


def ref_to_document(doc: dict[str, Any]) -> tantivy.Document:
    if not doc.get("id"):
        raise ValueError("document has no id")
    values: dict[str, list[Any]] = {}
    for name, convert in _REF_PLAN:
        items = _ref_values(doc.get(name))
        if items:
            values[name] = [convert(item) for item in items]
    return tantivy.Document.from_dict(values, build_schema())


# -- the inputs ------------------------------------------------------------------------
def _mapped() -> list[Record]:
    out: list[Record] = []
    for path in sorted(FIXTURES.glob("*.mrc")):
        out += [r for r in read_records(path, source="a", library="LIB-A") if isinstance(r, Record)]
    return out


def _variant(record: Record, rng: random.Random, source: str) -> Record:
    """The same work as another source might describe it: fields blanked, emptied,
    repeated, holdings and links changed."""
    changes: dict[str, Any] = {"source": source}
    for name in ("title", "publisher", "language", "doi", "edition", "series", "summary"):
        if rng.random() < 0.3:
            changes[name] = ""
    for name in ("authors", "isbn", "issn", "oclc", "subjects", "title_vernacular", "lccn"):
        value = getattr(record, name)
        roll = rng.random()
        if roll < 0.2:
            changes[name] = []
        elif roll < 0.4:
            changes[name] = [*value, *value[:1], ""]  # a repeat and an empty value
    if rng.random() < 0.3:
        changes["year"] = None
    if rng.random() < 0.5:
        changes["holdings"] = [
            *record.holdings,
            Holding(f"LIB-{source.upper()}", rng.choice(["print", "electronic"]), "Stacks"),
            *record.holdings[:1],
        ]
    if rng.random() < 0.4:
        changes["links"] = [
            *record.links,
            Link(f"https://x.example/{rng.randrange(5)}", rng.choice(["open", "licensed"])),
            Link("https://shared.example/1", "licensed", library=rng.choice(["", "LIB-B"])),
        ]
    if rng.random() < 0.2:
        changes["format"] = "other"
    return dataclasses.replace(record, **changes)


def _clusters() -> list[Cluster]:
    rng = random.Random(7)
    records = _mapped()
    clusters = [Cluster(f"c{i:016x}", [r]) for i, r in enumerate(records)]
    for i, record in enumerate(records):
        members = [record] + [_variant(record, rng, s) for s in "bcd"[: rng.randrange(4)]]
        members.append(_variant(record, rng, "e"))
        rng.shuffle(members)
        clusters.append(Cluster(f"m{i:016x}", members))
        clusters.append(Cluster(f"v{i:016x}", [_variant(record, rng, rng.choice(["z", ""]))]))
    return clusters


CLUSTERS = _clusters()


def test_inputs_cover_the_paths() -> None:
    sizes = {len(c.records) for c in CLUSTERS}
    assert {1, 2, 3, 4, 5} <= sizes and len(CLUSTERS) > 300
    singles = [c.records[0] for c in CLUSTERS if len(c.records) == 1]
    assert any(not r.title for r in singles) and any(r.holdings for r in singles)
    assert any(h.kind == "electronic" for r in singles for h in r.holdings)
    assert any(r.links for r in singles) and any(not r.title.isascii() for r in singles)
    assert any(not r.source for r in singles)


def test_cluster_documents_equal_the_reference() -> None:
    for cluster in CLUSTERS:
        expected = ref_cluster_document(cluster)
        got = cluster_document(cluster)
        assert orjson.dumps(got) == orjson.dumps(expected), cluster.id
        assert payload(cluster) == expected["payload"]


def test_tantivy_documents_equal_the_reference() -> None:
    for cluster in CLUSTERS:
        doc = ref_cluster_document(cluster)
        assert to_document(doc).to_dict() == ref_to_document(doc).to_dict(), cluster.id


@pytest.mark.parametrize(
    "doc",
    [
        {"id": "x", "title": ["Café", None, "", "中國文學史"], "all": ("Café", "b", "")},
        {"id": "x", "title": "Ærø single", "isbn": {"9780140443714"}, "year": "1999"},
        {"id": "x", "isbn": [978, "", None], "language": "", "subject_facet": None},
        {"id": "x", "all": ["中國 文學", "中國 文學"], "author": ["魯迅", 42]},
        {"id": "x", "payload": b'{"id":"x"}', "subject": ["", "History"], "library": [""]},
        {"id": "x", "payload": {"id": "x", "title": "é"}, "title_sort": "cafe"},
    ],
)
def test_odd_documents_convert_like_the_reference(doc: dict[str, Any]) -> None:
    assert to_document(doc).to_dict() == ref_to_document(doc).to_dict()


@pytest.mark.parametrize(
    "doc", [{"title": ["x"]}, {"id": ""}, {"id": "x", "year": "abc"}, {"id": "x", "year": [[]]}]
)
def test_bad_documents_fail_like_the_reference(doc: dict[str, Any]) -> None:
    with pytest.raises((ValueError, TypeError, OverflowError)) as expected:
        ref_to_document(doc)
    with pytest.raises(expected.type):
        to_document(doc)
