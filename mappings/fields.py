"""The index field table: one list that generates the tantivy schema and the
Elasticsearch mapping, so both engines index exactly the same fields.

Every ``text`` field is fed through :func:`mappings.text.cjk_bigrams` before it reaches
an engine (index and query side alike), then tokenised on whitespace/punctuation,
lower-cased and ASCII-folded by the engine. ``keyword`` fields are exact values used for
identifiers, filters, facets and sorting. ``payload`` holds the display document (JSON),
stored but not indexed: hits are rebuilt from it, identically for both engines.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FACETS", "FIELDS", "FieldSpec", "IDENTIFIER_FIELDS", "SORTS", "field", "text_fields"]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    kind: str  # "text" | "keyword" | "integer" | "stored"
    boost: float = 1.0
    facet: bool = False
    doc: str = ""


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("id", "keyword", doc="cluster id"),
    FieldSpec("title", "text", 5.0, doc="main, vernacular and alternative titles"),
    FieldSpec("author", "text", 3.0, doc="personal and corporate names, romanised and vernacular"),
    FieldSpec("subject", "text", 2.0, doc="subject headings and keywords"),
    FieldSpec(
        "all",
        "text",
        1.0,
        doc="every searchable word: titles, names, publisher, series, summary, journal title",
    ),
    FieldSpec("isbn", "keyword", doc="ISBN-13"),
    FieldSpec("issn", "keyword", doc="ISSN and eISSN, NNNN-NNNC"),
    FieldSpec("doi", "keyword", doc="lower-case DOI"),
    FieldSpec("oclc", "keyword", doc="OCLC number, digits"),
    FieldSpec("lccn", "keyword", doc="normalised LCCN"),
    FieldSpec("format", "keyword", facet=True, doc="one of mappings.schema.FORMATS"),
    FieldSpec("language", "keyword", facet=True, doc="ISO 639-2/B code"),
    FieldSpec("year", "integer", facet=True, doc="publication year"),
    FieldSpec("library", "keyword", facet=True, doc="codes of libraries holding it, print or e"),
    FieldSpec(
        "online", "keyword", facet=True, doc="'open' / 'licensed' if full text"
    ),
    FieldSpec("online_for", "keyword", doc="'*' for open access, else library codes with e-access"),
    FieldSpec("subject_facet", "keyword", facet=True, doc="subject headings, exact"),
    FieldSpec("source", "keyword", doc="source names that contributed a record"),
    FieldSpec("title_sort", "keyword", doc="folded title for sorting"),
    FieldSpec("payload", "stored", doc="display document as JSON"),
)

IDENTIFIER_FIELDS = ("isbn", "issn", "doi", "oclc", "lccn")
FACETS = tuple(f.name for f in FIELDS if f.facet)
SORTS = ("relevance", "newest", "oldest", "title")


def field(name: str) -> FieldSpec:
    for spec in FIELDS:
        if spec.name == name:
            return spec
    raise KeyError(name)


def text_fields() -> tuple[FieldSpec, ...]:
    return tuple(f for f in FIELDS if f.kind == "text")
