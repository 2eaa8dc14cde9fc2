"""Find what a citation points at: clusters in the index and KBART e-holdings.

Identifiers first (DOI, ISBN, OCLC, then ISSN for the journal), each an exact match on
the normalised key the indexer wrote; when no identifier finds anything, the title with
a fuzzy check (:func:`title_matches`) so a near-miss never links the wrong work.
Both sources are passed in (a :class:`~indexer.backends.SearchBackend` and anything
with the :class:`EHoldingFinder` ``find`` method), which keeps this module testable with
the real engine and store and free of configuration.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from difflib import SequenceMatcher
from typing import Any, Protocol

from indexer.backends.base import SearchBackend, SearchQuery
from mappings.schema import Citation, EHolding
from mappings.text import fold, title_key

__all__ = ["EHoldingFinder", "find_clusters", "find_eholdings_for", "title_matches"]

log = logging.getLogger(__name__)

#: Minimum similarity of folded titles for a title-only match.
TITLE_SIMILARITY = 0.85
#: How many candidate clusters a title search inspects.
TITLE_CANDIDATES = 5


class EHoldingFinder(Protocol):
    """What :mod:`indexer.eholdings` offers (``EHoldingStore.find``)."""

    def find(
        self,
        *,
        issn: str | Iterable[str] = (),
        isbn: str | Iterable[str] = (),
        doi: str = "",
        title: str = "",
        library: str | Iterable[str] | None = None,
    ) -> list[EHolding]: ...


def title_matches(wanted: str, found: str) -> bool:
    """Whether two titles name the same work: near-equal when folded, or one is the
    other plus a subtitle (``"Nature"`` does not match ``"Nature Genetics"``).

    >>> title_matches("Journal of Cell Science", "journal of cell science.")
    True
    >>> title_matches("Nature", "Nature Genetics")
    False
    >>> title_matches("Capital", "Capital : a critique of political economy")
    True
    """
    a, b = fold(wanted), fold(found)
    if not a or not b:
        return False
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    if long_.startswith(short) and len(short) >= 4:
        rest = _subtitle_rest(wanted if len(a) > len(b) else found, len(short))
        if rest is not None:
            return True
    return SequenceMatcher(None, a, b, autojunk=False).ratio() >= TITLE_SIMILARITY


def _subtitle_rest(original: str, folded_prefix_len: int) -> str | None:
    """The part after a subtitle separator (``:``, ``.``, ``=``, `` / ``, `` - ``), else None."""
    for separator in (":", " = ", " / ", ". ", " - ", " ("):
        head, sep, rest = original.partition(separator)
        if sep and len(fold(head)) == folded_prefix_len:
            return rest
    return None


def _search(backend: SearchBackend, fields: dict[str, str], limit: int) -> list[dict[str, Any]]:
    query = SearchQuery(fields=fields, facets=(), limit=limit)
    return [hit.doc for hit in backend.search(query).hits]


def find_clusters(backend: SearchBackend, citation: Citation) -> tuple[list[dict[str, Any]], str]:
    """``(payloads, matched_by)``: the index clusters for ``citation``.

    ``matched_by`` is ``doi``, ``isbn``, ``oclc``, ``issn`` (the journal, not the
    article), ``title`` or ``""``.
    """
    if citation.doi and (found := _search(backend, {"doi": citation.doi}, 5)):
        return found, "doi"
    for isbn in citation.isbn:
        if found := _search(backend, {"isbn": isbn}, 10):
            return found, "isbn"
    if citation.oclc and (found := _search(backend, {"oclc": citation.oclc}, 5)):
        return found, "oclc"
    for issn in citation.issn:
        if found := _search(backend, {"issn": issn}, 10):
            return found, "issn"
    return _title_clusters(backend, citation)


def _title_clusters(backend: SearchBackend, citation: Citation) -> tuple[list[dict[str, Any]], str]:
    for title in (citation.atitle, citation.btitle, citation.jtitle):
        if not fold(title):
            continue
        candidates = _search(backend, {"title": title}, TITLE_CANDIDATES)
        matched = [doc for doc in candidates if title_matches(title, str(doc.get("title", "")))]
        if citation.year is not None:
            near = [doc for doc in matched if _year_near(doc.get("year"), citation.year)]
            matched = near or matched
        if matched:
            return matched, "title"
    return [], ""


def _year_near(found: Any, wanted: int) -> bool:
    return not isinstance(found, int) or abs(found - wanted) <= 1


def find_eholdings_for(
    store: EHoldingFinder, citation: Citation, libraries: Iterable[str] | None
) -> list[EHolding]:
    """KBART lines (of ``libraries``; None: of every library) for the citation's serial or
    book, by ISSN/ISBN, else by title."""
    wanted = None if libraries is None else list(dict.fromkeys(libraries))
    found = store.find(issn=citation.issn, isbn=citation.isbn, library=wanted)
    if found:
        return found
    title = citation.jtitle or citation.btitle
    if not title_key(title):
        return []
    by_title = store.find(title=title, library=wanted)
    return [eh for eh in by_title if title_matches(title, eh.publication_title)]
