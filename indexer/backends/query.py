"""Engine-neutral query understanding, shared by the tantivy and Elasticsearch backends.

Both engines must turn the same user text into the same search, so everything that is
not engine syntax lives here:

- :func:`analyse_text` decides whether a query is a whole identifier (ISBN in any form,
  ISSN, DOI: exact match) or words; words are split exactly as the engines' tokenisers
  split indexed text (CJK runs bigrammed by :func:`mappings.text.cjk_bigrams`, then any
  non-alphanumeric character is a separator), so query syntax characters (``"()*:+-``)
  are just separators and no user string can be a syntax error.
- :func:`index_text` is what a backend indexes for a ``text`` field value.
- :func:`field_clauses` turns advanced-search ``fields`` into word lists and normalised
  identifiers.
- :func:`highlight` marks the query words in a display string (HTML-escaped, ``<mark>``),
  the same for both engines.

>>> analyse_text("ISBN 0-444-89728-3").identifier
('isbn', '9780444897282')
>>> analyse_text("中國文學 (history)").words
['中国', '国文', '文学', 'history']
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field

from mappings.fields import IDENTIFIER_FIELDS, text_fields
from mappings.identifiers import (
    looks_like_identifier,
    normalise_doi,
    normalise_isbn,
    normalise_issn,
    normalise_lccn,
    normalise_oclc,
)
from mappings.text import cjk_bigrams, fold, has_cjk, to_simplified

__all__ = [
    "FIELD_BOOSTS",
    "MAX_TOKEN_LENGTH",
    "QueryText",
    "analyse_text",
    "field_clauses",
    "highlight",
    "index_text",
    "normalise_identifier",
    "split_words",
]

#: Text fields searched by a plain query, with their boosts (title^5 author^3 ...).
FIELD_BOOSTS: dict[str, float] = {spec.name: spec.boost for spec in text_fields()}
#: Tokens longer than this are dropped by both engines (index and query side).
MAX_TOKEN_LENGTH = 40

_SEPARATORS = re.compile(r"[\W_]+", re.UNICODE)
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
# word-divided CJK (old RLIN/OCLC records: "文学 基础 知识") is joined before bigramming
_CJK_SPACE = re.compile(f"(?<=[{_CJK}])\\s+(?=[{_CJK}])")
_IDENTIFIER_PREFIX = re.compile(r"^\s*(?:isbn|issn|doi)\s*[:=]?\s*", re.IGNORECASE)
_NORMALISERS = {
    "isbn": normalise_isbn,
    "issn": normalise_issn,
    "doi": normalise_doi,
    "oclc": normalise_oclc,
    "lccn": normalise_lccn,
}


@dataclass(frozen=True, slots=True)
class QueryText:
    """A user's text understood: an exact identifier, or words to AND together."""

    identifier: tuple[str, str] | None = None
    words: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return self.identifier is None and not self.words


def index_text(value: str) -> str:
    """The form of a ``text`` field value both engines index (NFC, CJK bigrammed).

    Spaces between CJK characters are dropped first, so word-divided records and
    undivided queries (and the reverse) produce the same bigrams.
    """
    return cjk_bigrams(_CJK_SPACE.sub("", unicodedata.normalize("NFC", value or "")))


def split_words(text: str) -> list[str]:
    """Query words as the engines tokenise them (before lower-casing and folding)."""
    return [w for w in _SEPARATORS.split(index_text(text)) if w]


def analyse_text(text: str) -> QueryText:
    """Classify ``text``: a whole ISBN/ISSN/DOI (optionally prefixed ``isbn:``), or words."""
    text = text or ""
    stripped = _IDENTIFIER_PREFIX.sub("", text) if _IDENTIFIER_PREFIX.match(text) else text
    if stripped.strip():
        found = looks_like_identifier(stripped)
        if found:
            return QueryText(identifier=found)
    return QueryText(words=split_words(text))


def normalise_identifier(kind: str, value: str) -> str:
    """``value`` normalised as an identifier of ``kind`` (``""`` when invalid)."""
    normaliser = _NORMALISERS.get(kind)
    return normaliser(value) if normaliser else ""


def field_clauses(fields: dict[str, str]) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Advanced search split into ``({text field: words}, {identifier field: value})``.

    Unknown field names are ignored. An identifier that does not normalise is kept as
    ``""`` so the backend can make that clause match nothing (a wrong ISBN finds nothing).
    """
    words: dict[str, list[str]] = {}
    identifiers: dict[str, str] = {}
    for name, value in fields.items():
        if not value or not value.strip():
            continue
        if name in FIELD_BOOSTS:
            found = split_words(value)
            if found:
                words[name] = found
        elif name in IDENTIFIER_FIELDS:
            identifiers[name] = normalise_identifier(name, value)
    return words, identifiers


def _fold_token(token: str) -> str:
    return fold(to_simplified(token))


def _marked_spans(text: str, wanted: set[str]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for match in re.finditer(r"[^\W_]+", text):
        token = match.group(0)
        start = match.start()
        if has_cjk(token):
            simplified = to_simplified(token)
            if len(simplified) != len(token):
                simplified = "".join(to_simplified(c) for c in token)
            if len(simplified) == 1 and simplified in wanted:
                spans.append((start, start + 1))
            for i in range(len(simplified) - 1):
                if simplified[i : i + 2] in wanted:
                    spans.append((start + i, start + i + 2))
        elif _fold_token(token) in wanted:
            spans.append((start, match.end()))
    return spans


def highlight(text: str, words: list[str], tag: str = "mark") -> str:
    """``text`` HTML-escaped with every query word wrapped in ``<mark>``.

    Latin words match case- and accent-insensitively; CJK query bigrams match in
    traditional or simplified text. Overlapping CJK bigrams merge into one mark.

    >>> highlight("Café <Society>", ["cafe"])
    '<mark>Café</mark> &lt;Society&gt;'
    """
    text = unicodedata.normalize("NFC", text or "")
    wanted = {_fold_token(w) for w in words if w}
    marked = [False] * len(text)
    for start, end in _marked_spans(text, wanted):
        for i in range(start, end):
            marked[i] = True
    out: list[str] = []
    i = 0
    while i < len(text):
        j = i
        while j < len(text) and marked[j] == marked[i]:
            j += 1
        chunk = html.escape(text[i:j], quote=True)
        out.append(f"<{tag}>{chunk}</{tag}>" if marked[i] else chunk)
        i = j
    return "".join(out)
