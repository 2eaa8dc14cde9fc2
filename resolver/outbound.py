"""Outbound OpenURL 1.0 (Z39.88-2004 KEV) links and COinS for records and citations.

Member libraries with their own link resolver (``Library.resolver_base_url``) get a
link on result and record pages; every record carries a COinS span for Zotero & co.

>>> kev = coins_for_record({"id": "c1", "title": "Momo", "format": "book",
...                         "isbn": ["9780385190930"], "authors": ["Ende, Michael"], "year": 1984})
>>> "rft_val_fmt=info%3Aofi%2Ffmt%3Akev%3Amtx%3Abook" in kev and "rft.isbn=9780385190930" in kev
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape
from typing import Any
from urllib.parse import urlencode

from mappings.schema import Citation, Library

__all__ = [
    "DEFAULT_LINK_TEXT",
    "citation_kev",
    "coins_for_record",
    "coins_span",
    "link_label",
    "openurl_for_record",
    "record_kev",
]

DEFAULT_LINK_TEXT = "OpenURL Query"
RFR_ID = "info:sid/efirst"
_FMT = "info:ofi/fmt:kev:mtx:"
#: record format -> (rft_val_fmt, rft.genre)
_RECORD_FORMATS = {
    "book": ("book", "book"),
    "journal": ("journal", "journal"),
    "article": ("journal", "article"),
    "thesis": ("dissertation", ""),
    "conference": ("book", "proceeding"),
    "report": ("book", "report"),
    "standard": ("book", "document"),
    "patent": ("patent", ""),
}
_JOURNAL_GENRES = ("article", "journal", "issue", "preprint", "conference", "proceeding")
_BOOK_GENRES = ("book", "bookitem", "report", "document")


def _context(fmt: str, *, url: bool) -> list[tuple[str, str]]:
    """The ContextObject head; ``url`` adds the transport keys of an OpenURL link."""
    pairs = [("url_ver", "Z39.88-2004"), ("url_ctx_fmt", _FMT + "ctx")] if url else []
    return [*pairs, ("ctx_ver", "Z39.88-2004"), ("rfr_id", RFR_ID), ("rft_val_fmt", _FMT + fmt)]


def _authors(names: Iterable[str]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for i, name in enumerate(n for n in names if n):
        if i == 0 and "," in name:
            last, _, first = name.partition(",")
            pairs.append(("rft.aulast", last.strip()))
            if first.strip():
                pairs.append(("rft.aufirst", first.strip()))
        pairs.append(("rft.au", name))
    return pairs


def _record_pairs(payload: Mapping[str, Any], *, url: bool) -> list[tuple[str, str]]:
    fmt, genre = _RECORD_FORMATS.get(str(payload.get("format", "")), ("book", "document"))
    pairs = _context(fmt, url=url)
    if genre:
        pairs.append(("rft.genre", genre))
    title = str(payload.get("title", "") or "")
    title_key = {"journal": "rft.jtitle", "article": "rft.atitle"}.get(genre, "rft.title")
    if fmt == "book":
        title_key = "rft.btitle"
    if title:
        pairs.append((title_key, title))
    pairs += _authors(payload.get("authors") or [])
    if payload.get("year"):
        pairs.append(("rft.date", str(payload["year"])))
    if payload.get("publisher"):
        pairs.append(("rft.pub", str(payload["publisher"])))
    pairs += [("rft.isbn", v) for v in payload.get("isbn") or []]
    pairs += [("rft.issn", v) for v in payload.get("issn") or []]
    if payload.get("doi"):
        pairs.append(("rft_id", f"info:doi/{payload['doi']}"))
    pairs += [("rft_id", f"info:oclcnum/{v}") for v in payload.get("oclc") or []]
    return pairs


def record_kev(payload: Mapping[str, Any], *, url: bool = True) -> str:
    """OpenURL 1.0 KEV for a record's display payload (``url`` adds ``url_ver`` etc.)."""
    return urlencode(_record_pairs(payload, url=url))


def openurl_for_record(payload: Mapping[str, Any], library: Library) -> str:
    """The link to ``library``'s own resolver for this record, or ``""`` if it has none."""
    base = (library.resolver_base_url or "").strip()
    if not base:
        return ""
    separator = "&" if "?" in base else "?"
    if base.endswith(("?", "&")):
        separator = ""
    return f"{base}{separator}{record_kev(payload)}"


def link_label(library: Library) -> tuple[str, str]:
    """``(text, image_url)`` for the outbound link: the library's own, else the default text."""
    return (library.resolver_link_text or DEFAULT_LINK_TEXT, library.resolver_link_image or "")


def coins_for_record(payload: Mapping[str, Any]) -> str:
    """The COinS ``title`` attribute value (a KEV ContextObject) for a record."""
    return record_kev(payload, url=False)


def coins_span(payload: Mapping[str, Any]) -> str:
    """A complete, HTML-escaped ``<span class="Z3988">`` for a record."""
    return f'<span class="Z3988" title="{escape(coins_for_record(payload))}"></span>'


def citation_kev(citation: Citation) -> str:
    """OpenURL 1.0 KEV for a parsed citation (used to pre-fill delivery requests)."""
    genre = citation.genre
    if genre in _BOOK_GENRES or (not genre and citation.btitle and not citation.jtitle):
        fmt = "book"
    elif genre == "dissertation":
        fmt = "dissertation"
    else:
        fmt = "journal" if genre in _JOURNAL_GENRES or citation.issn or citation.jtitle else "book"
    pairs = _context(fmt, url=True)
    fields = [
        ("rft.genre", genre),
        ("rft.atitle", citation.atitle),
        ("rft.jtitle", citation.jtitle),
        ("rft.btitle", citation.btitle),
        ("rft.volume", citation.volume),
        ("rft.issue", citation.issue),
        ("rft.spage", citation.spage),
        ("rft.epage", citation.epage),
        ("rft.date", citation.date),
        ("rft.pub", citation.publisher),
    ]
    pairs += [(k, v) for k, v in fields if v]
    pairs += _authors(citation.authors)
    pairs += [("rft.issn", v) for v in citation.issn] + [("rft.isbn", v) for v in citation.isbn]
    ids = [("doi", citation.doi), ("pmid", citation.pmid), ("oclcnum", citation.oclc)]
    pairs += [("rft_id", f"info:{scheme}/{value}") for scheme, value in ids if value]
    return urlencode(pairs)
