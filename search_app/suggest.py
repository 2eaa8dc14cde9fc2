"""Help on zero results: "did you mean" spelling corrections and a relaxed query.

Engine-neutral: words that find nothing on their own are compared (difflib) with a
vocabulary taken from the titles, names and subjects of (a) the records the other words
find and (b) a sample of the index, rebuilt when the index generation changes. A
suggestion is offered only when it actually finds records.
"""

from __future__ import annotations

import difflib
import re
import threading
from dataclasses import dataclass
from typing import Any

from flask import current_app

from indexer.backends import SearchQuery
from mappings.errors import BackendError
from mappings.text import fold, has_cjk
from search_app.services import cached_search, get_backend

__all__ = ["Suggestion", "suggest"]

SAMPLE_SIZE = 500
_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)
_VOCAB_KEY = "efirst_vocabulary"


@dataclass(frozen=True, slots=True)
class Suggestion:
    text: str
    total: int
    kind: str  # "spelling" (words corrected) | "relaxed" (words that found nothing dropped)


def _words(payload: dict[str, Any]) -> set[str]:
    parts = [
        payload.get("title", ""),
        *(payload.get("authors") or []),
        *(payload.get("subjects") or []),
    ]
    return {fold(w) for part in parts for w in _WORD.findall(part or "") if not has_cjk(w)}


def _count(text: str) -> int:
    return cached_search(SearchQuery(text=text, facets=(), limit=0)).total


def _sample_vocabulary() -> set[str]:
    backend = get_backend()
    generation = backend.generation
    store = current_app.extensions.setdefault(_VOCAB_KEY, {"lock": threading.Lock()})
    with store["lock"]:
        if store.get("generation") == generation:
            return store["words"]
    results = backend.search(SearchQuery(text="", facets=(), limit=SAMPLE_SIZE))
    words: set[str] = set()
    for hit in results.hits:
        words |= _words(hit.doc)
    with store["lock"]:
        store["generation"], store["words"] = generation, words
    return words


def _correct(word: str, vocabulary: set[str]) -> str | None:
    close = difflib.get_close_matches(fold(word), vocabulary, n=1, cutoff=0.75)
    return close[0] if close else None


def suggest(text: str) -> Suggestion | None:
    """A better query for ``text`` (which found nothing), or None."""
    words = text.split()
    if not words or len(words) > 8:
        return None
    try:
        missing = [w for w in words if _count(w) == 0] if len(words) > 1 else list(words)
        if not missing:
            return None
        kept = [w for w in words if w not in missing]
        vocabulary = set(_sample_vocabulary())
        if kept:
            hits = cached_search(SearchQuery(text=" ".join(kept), facets=(), limit=50)).hits
            for hit in hits:
                vocabulary |= _words(hit.doc)
        fixes = {w: _correct(w, vocabulary) for w in missing if not has_cjk(w)}
        if any(fixes.values()):
            corrected = " ".join(fixes.get(w) or w for w in words if fixes.get(w) or w in kept)
            total = _count(corrected)
            if total:
                return Suggestion(corrected, total, "spelling")
        if kept:
            relaxed = " ".join(kept)
            total = _count(relaxed)
            if total:
                return Suggestion(relaxed, total, "relaxed")
    except BackendError:
        return None
    return None
