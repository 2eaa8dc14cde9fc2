"""Downloads of a library's holdings (no Flask here): CSV, MARC 21 and KBART.

- :func:`library_payloads` pages through the search index for the cluster documents a
  library holds (filter ``library``), optionally one ISBN or ISSN (exact identifier
  match) and one KBART package (an electronic holding located in that package).
- :func:`holding_rows` makes one CSV row per holding of that library: library, kind,
  title, isbn, issn, call_number, location, coverage, url.
- :func:`marc_record` turns a cluster's display payload into a MARC 21 record (UTF-8,
  pymarc): 001 id, 008, 020/022/024/035 identifiers, 100/700 names, 245 title,
  264 publication, 650 subjects, 852 the library's holdings, 856 its links.
- :func:`kbart_lines` writes the library's stored e-holdings as a KBART (NISO RP-9-2014)
  list with the standard 25 columns.

Paging uses the engine's ordinary search (sorted by title, then id), so one download
covers at most the engine's result window (Elasticsearch: 50,000 documents per query);
larger exports should be filtered by ISBN, ISSN or package.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from pymarc import Field, Indicators, Record, Subfield

from indexer.backends import SearchBackend, SearchQuery
from indexer.eholdings import EHoldingStore
from mappings.identifiers import normalise_isbn, normalise_issn
from mappings.schema import EHolding

__all__ = [
    "CSV_COLUMNS",
    "KBART_HEADER",
    "csv_lines",
    "holding_rows",
    "kbart_lines",
    "library_payloads",
    "marc_record",
]

CSV_COLUMNS = (
    "library", "kind", "title", "isbn", "issn", "call_number", "location", "coverage", "url",
)  # fmt: skip
KBART_HEADER = (
    "publication_title", "print_identifier", "online_identifier", "date_first_issue_online",
    "num_first_vol_online", "num_first_issue_online", "date_last_issue_online",
    "num_last_vol_online", "num_last_issue_online", "title_url", "first_author", "title_id",
    "embargo_info", "coverage_depth", "notes", "publisher_name", "publication_type",
    "date_monograph_published_print", "date_monograph_published_online", "monograph_volume",
    "monograph_edition", "first_editor", "parent_publication_title_id",
    "preceding_publication_title_id", "access_type",
)  # fmt: skip
PAGE = 500


def _in_package(payload: dict[str, Any], library: str, package: str) -> bool:
    return any(
        h.get("library") == library
        and h.get("kind") == "electronic"
        and h.get("location") == package
        for h in payload.get("holdings") or []
    )


def library_payloads(
    backend: SearchBackend, library: str, *, isbn: str = "", issn: str = "", package: str = ""
) -> Iterator[dict[str, Any]]:
    """The display payloads of the clusters ``library`` holds (filtered), by title."""
    fields = {}
    if isbn:
        fields["isbn"] = normalise_isbn(isbn) or isbn
    if issn:
        fields["issn"] = normalise_issn(issn) or issn
    offset = 0
    while True:
        query = SearchQuery(
            fields=fields, filters={"library": [library]}, facets=(), sort="title",
            offset=offset, limit=PAGE,
        )  # fmt: skip
        found = backend.search(query)
        for hit in found.hits:
            if not package or _in_package(hit.doc, library, package):
                yield hit.doc
        offset += len(found.hits)
        if not found.hits or offset >= found.total:
            return


def holding_rows(
    payloads: Iterable[dict[str, Any]], library: str, package: str = ""
) -> Iterator[dict[str, str]]:
    """One row per holding of ``library`` (of ``package`` only, when given)."""
    for payload in payloads:
        for holding in payload.get("holdings") or []:
            if holding.get("library") != library:
                continue
            if package and holding.get("location") != package:
                continue
            yield {
                "library": library,
                "kind": holding.get("kind", ""),
                "title": str(payload.get("title") or ""),
                "isbn": "; ".join(payload.get("isbn") or []),
                "issn": "; ".join(payload.get("issn") or []),
                "call_number": holding.get("call_number", ""),
                "location": holding.get("location", ""),
                "coverage": holding.get("coverage", ""),
                "url": holding.get("url", ""),
            }


def csv_lines(
    rows: Iterable[dict[str, Any]],
    columns: tuple[str, ...],
    delimiter: str = ",",
    lineterminator: str = "\r\n",
) -> Iterator[str]:
    """CSV text, one chunk per row (header first), for a streamed response."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, delimiter=delimiter, lineterminator=lineterminator)
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


_LEADER_TYPE = {"audio": "i", "video": "g"}
_LEADER_LEVEL = {"journal": "s", "article": "a"}


def _leader(payload: dict[str, Any]) -> str:
    fmt = str(payload.get("format") or "")
    kind, level = _LEADER_TYPE.get(fmt, "a"), _LEADER_LEVEL.get(fmt, "m")
    return f"00000n{kind}{level} a2200000 i 4500"


def _fixed_field(payload: dict[str, Any]) -> str:
    year = str(payload.get("year") or "")
    dates = f"s{year[:4]:<4}    " if year[:4].isdigit() else "n        "
    language = (str(payload.get("language") or "") + "   ")[:3]
    return f"{datetime.now(UTC):%y%m%d}{dates}xx {' ' * 17}{language} d"


def _field(tag: str, codes: list[tuple[str, str]], ind: str = "  ") -> Field | None:
    subfields = [Subfield(code, str(value)) for code, value in codes if value]
    if not subfields:
        return None
    return Field(tag=tag, indicators=Indicators(ind[0], ind[1]), subfields=subfields)


def _holding_fields(payload: dict[str, Any], library: str) -> list[Field | None]:
    out: list[Field | None] = []
    for h in payload.get("holdings") or []:
        if h.get("library") != library:
            continue
        out.append(
            _field(
                "852",
                [("a", library), ("b", h.get("location", "")), ("h", h.get("call_number", "")),
                 ("z", h.get("coverage", ""))],
            )
        )  # fmt: skip
        if h.get("url"):
            out.append(_field("856", [("u", h["url"]), ("3", h.get("coverage", ""))], "40"))
    for link in payload.get("links") or []:
        if link.get("library") in ("", library) and link.get("url"):
            out.append(_field("856", [("u", link["url"]), ("z", link.get("access", ""))], "40"))
    return out


def marc_record(payload: dict[str, Any], library: str) -> Record:
    """A MARC 21 bibliographic record (UTF-8) for a cluster payload and ``library``."""
    record = Record(force_utf8=True, leader=_leader(payload))
    record.add_field(Field(tag="001", data=str(payload.get("id", ""))))
    record.add_field(Field(tag="003", data="efirst"))
    record.add_field(Field(tag="008", data=_fixed_field(payload)))
    authors = [a for a in payload.get("authors") or [] if a]
    fields: list[Field | None] = [_field("020", [("a", v)]) for v in payload.get("isbn") or []]
    fields += [_field("022", [("a", v)]) for v in payload.get("issn") or []]
    fields.append(_field("024", [("a", payload.get("doi") or ""), ("2", "doi")], "7 "))
    fields += [_field("035", [("a", f"(OCoLC){v}")]) for v in payload.get("oclc") or []]
    if authors:
        fields.append(_field("100", [("a", authors[0])], "1 "))
    title_ind = "10" if authors else "00"
    fields.append(_field("245", [("a", payload.get("title") or "[no title]")], title_ind))
    fields += [_field("246", [("a", v)], "1 ") for v in payload.get("title_vernacular") or []]
    publication = [("b", payload.get("publisher") or ""), ("c", str(payload.get("year") or ""))]
    fields.append(_field("264", publication, " 1"))
    fields += [_field("650", [("a", v)], " 4") for v in payload.get("subjects") or []]
    fields += [_field("700", [("a", v)], "1 ") for v in authors[1:]]
    fields += _holding_fields(payload, library)
    for found in fields:
        if found is not None:
            record.add_field(found)
    return record


def _kbart_row(eh: EHolding) -> dict[str, str]:
    row = {name: str(getattr(eh, name, "") or "") for name in KBART_HEADER}
    row["access_type"] = eh.access_type or "P"
    return row


def kbart_lines(
    store: EHoldingStore, library: str, *, package: str = "", isbn: str = "", issn: str = ""
) -> Iterator[str]:
    """The library's e-holdings as KBART TSV text (header first)."""
    if isbn or issn:
        found: Iterable[EHolding] = store.find(isbn=isbn, issn=issn, library=library)
        if package:
            found = [eh for eh in found if eh.package == package]
    else:
        found = store.lines(library, package or None)
    yield from csv_lines(map(_kbart_row, found), KBART_HEADER, "\t", "\n")
