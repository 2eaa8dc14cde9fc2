"""Clusters to flat index documents (one field table, both engines).

:func:`cluster_document` merges a cluster's member records into the flat dict keyed by
:data:`mappings.fields.FIELDS`, plus the ``payload`` display document described in
:mod:`indexer.backends.base`. The best record (the one with the most filled fields,
then the smallest ``source:id``) gives the display title, authors, year, format and
publisher; identifiers, vernacular titles, subjects, holdings and links are the union of
all members, in member order, without duplicates.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from operator import attrgetter
from typing import Any

from mappings.schema import Cluster, Holding, Link, Record
from mappings.text import fold

__all__ = ["best_record", "cluster_document", "filled_fields", "payload"]

_COUNTED = (
    "title", "title_vernacular", "alt_titles", "authors", "authors_vernacular", "publisher",
    "place", "year", "edition", "isbn", "issn", "oclc", "lccn", "doi", "subjects",
    "language", "series", "summary", "journal_title", "volume", "issue", "pages",
)  # fmt: skip


_counted = attrgetter(*_COUNTED)


def filled_fields(record: Record) -> int:
    """How many descriptive fields of ``record`` carry a value (not None, ``""``, ``[]``)."""
    values = _counted(record)
    return len(values) - values.count(None) - values.count("") - values.count([])


def _best_first(record: Record) -> tuple[int, str]:
    return -filled_fields(record), record.key


def best_record(records: list[Record]) -> Record:
    """The member that describes the work most fully (ties: smallest key)."""
    return min(records, key=_best_first)


def _unique(values: Iterable[Any]) -> list[Any]:
    seen = dict.fromkeys(values)  # first occurrences, in order
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


_HOLDING_KEYS = ("library", "kind", "location", "call_number", "coverage", "url")


def _holdings(records: Sequence[Record]) -> list[dict[str, str]]:
    """Each distinct holding (as :func:`_holding`), in member order."""
    rows = dict.fromkeys(
        (h.library, h.kind, h.location, h.call_number, h.coverage, h.url)
        for r in records
        for h in r.holdings
    )
    return [dict(zip(_HOLDING_KEYS, row, strict=True)) for row in rows]


def _links(records: Sequence[Record]) -> list[dict[str, str]]:
    by_url: dict[str, dict[str, str]] = {}
    for record in records:
        for link in record.links:
            if link.url and link.url not in by_url:
                by_url[link.url] = _link(link)
    return list(by_url.values())


def payload(cluster: Cluster) -> dict[str, Any]:
    """The display document of ``cluster`` (same for both engines)."""
    members = cluster.records
    if len(members) == 1:
        return _payload_of_one(cluster.id, members[0])
    members = sorted(members, key=_key_of)
    best = best_record(members)
    ordered = [best] + [r for r in members if r is not best]
    return {
        "id": cluster.id,
        "title": best.title or _first(r.title for r in ordered) or "",
        "title_vernacular": _unique([t for r in ordered for t in r.title_vernacular]),
        "authors": best.authors or _first(r.authors for r in ordered) or [],
        "year": best.year if best.year is not None else _first(r.year for r in ordered),
        "format": best.format,
        "language": best.language or _first(r.language for r in ordered) or "",
        "publisher": best.publisher or _first(r.publisher for r in ordered) or "",
        "isbn": _unique([i for r in ordered for i in r.isbn]),
        "issn": _unique([i for r in ordered for i in r.issn]),
        "doi": _first(r.doi for r in ordered) or "",
        "oclc": _unique([i for r in ordered for i in r.oclc]),
        "subjects": _unique([s for r in ordered for s in r.subjects]),
        "sources": _unique([r.source for r in members]),
        "holdings": _holdings(members),
        "links": _links(members),
        "records": [r.key for r in members],
    }


def _payload_of_one(cluster_id: str, record: Record) -> dict[str, Any]:
    """:func:`payload` of a one-record cluster (most clusters), without the merging."""
    return {
        "id": cluster_id,
        "title": record.title or "",
        "title_vernacular": _unique(record.title_vernacular),
        "authors": record.authors or [],
        "year": record.year,
        "format": record.format,
        "language": record.language or "",
        "publisher": record.publisher or "",
        "isbn": _unique(record.isbn),
        "issn": _unique(record.issn),
        "doi": record.doi or "",
        "oclc": _unique(record.oclc),
        "subjects": _unique(record.subjects),
        "sources": _unique((record.source,)),
        "holdings": _holdings((record,)),
        "links": _links((record,)),
        "records": [record.key],
    }


def _key_of(record: Record) -> str:
    return record.key


def _online(records: Sequence[Record]) -> tuple[list[str], list[str]]:
    """(``online`` facet values, ``online_for`` library codes or ``*``)."""
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
    if not online:
        return [], []
    return sorted(set(online)), _unique(online_for)


def cluster_document(cluster: Cluster) -> dict[str, Any]:
    """The flat index document of ``cluster`` (fields of :data:`mappings.fields.FIELDS`).

    A licensed link without a library is licensed consortium-wide, so its
    ``online_for`` is ``*`` like open access.
    """
    shown = payload(cluster)
    rs = cluster.records
    if len(rs) == 1:
        return _document_of_one(shown, rs[0])
    online, online_for = _online(rs)
    libraries = _unique(
        [h.library for r in rs for h in r.holdings] + [lk.library for r in rs for lk in r.links]
    )
    titles = _unique(
        [shown["title"]] + [t for r in rs for t in [r.title, *r.title_vernacular, *r.alt_titles]]
    )
    names = _unique([a for r in rs for a in [*r.authors, *r.authors_vernacular]])
    other = _unique(
        [v for r in rs for v in (r.publisher, r.series, r.summary, r.journal_title, r.edition)]
    )
    return _document(
        shown,
        titles=titles,
        names=names,
        other=other,
        doi=_unique([r.doi for r in rs]),
        lccn=_unique([i for r in rs for i in r.lccn]),
        language=_unique([r.language for r in rs]),
        libraries=libraries,
        online=online,
        online_for=online_for,
    )


def _document_of_one(shown: dict[str, Any], record: Record) -> dict[str, Any]:
    """:func:`cluster_document` of a one-record cluster: the same values, fewer steps."""
    online, online_for = _online((record,)) if record.links or record.holdings else ([], [])
    return _document(
        shown,
        titles=_unique(
            [shown["title"], record.title, *record.title_vernacular, *record.alt_titles]
        ),
        names=_unique([*record.authors, *record.authors_vernacular]),
        other=_unique(
            (record.publisher, record.series, record.summary, record.journal_title, record.edition)
        ),
        doi=_unique((record.doi,)),
        lccn=_unique(record.lccn),
        language=_unique((record.language,)),
        libraries=_unique(
            [h.library for h in record.holdings] + [lk.library for lk in record.links]
        ),
        online=online,
        online_for=online_for,
    )


def _document(
    shown: dict[str, Any],
    *,
    titles: list[str],
    names: list[str],
    other: list[str],
    doi: list[str],
    lccn: list[str],
    language: list[str],
    libraries: list[str],
    online: list[str],
    online_for: list[str],
) -> dict[str, Any]:
    subjects = shown["subjects"]
    return {
        "id": shown["id"],
        "title": titles,
        "author": names,
        "subject": subjects,
        "all": titles + names + subjects + other,
        "isbn": shown["isbn"],
        "issn": shown["issn"],
        "doi": doi,
        "oclc": shown["oclc"],
        "lccn": lccn,
        "format": shown["format"],
        "language": language,
        "year": shown["year"],
        "library": libraries,
        "online": online,
        "online_for": online_for,
        "subject_facet": subjects,
        "source": shown["sources"],
        "title_sort": fold(shown["title"]) or None,
        "payload": shown,
    }
