"""Mark the patron's search words in display text, escaping everything else.

Highlighting is done here, on the display payload, rather than by the engine: both
engines then look the same, CJK titles are marked on their real characters (not on the
bigrams the index holds), and no engine-made HTML ever reaches a template unescaped.
"""

from __future__ import annotations

import re
from functools import lru_cache

from markupsafe import Markup, escape

from mappings.text import has_cjk, to_simplified

__all__ = ["highlight", "query_terms"]

_WORD = re.compile(r"\w+", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]+")


@lru_cache(maxsize=1024)
def query_terms(text: str) -> tuple[str, ...]:
    """The words worth marking: Latin words of 2+ letters, CJK bigrams (or single chars)."""
    terms: set[str] = set()
    for word in _WORD.findall(text or ""):
        if has_cjk(word):
            for run in _CJK.findall(word):
                run = to_simplified(run)
                terms.update(run[i : i + 2] for i in range(max(len(run) - 1, 1)))
        elif len(word) > 1 and word.lower() not in {"and", "or", "not", "the", "of"}:
            terms.add(word.lower())
    return tuple(sorted(terms, key=len, reverse=True))


@lru_cache(maxsize=1024)
def _pattern(terms: tuple[str, ...]) -> re.Pattern[str]:
    parts = [re.escape(t) if has_cjk(t) else rf"\b{re.escape(t)}" for t in terms]
    return re.compile("|".join(parts), re.IGNORECASE)


def highlight(text: str, query: str) -> Markup:
    """``text`` escaped, with each occurrence of a query term wrapped in ``<mark>``."""
    terms = query_terms(query)
    if not text or not terms:
        return escape(text or "")
    simplified = to_simplified(text) if has_cjk(text) else text
    if len(simplified) != len(text):
        simplified = text
    pieces: list[str] = []
    position = 0
    for match in _pattern(terms).finditer(simplified):
        start, end = match.span()
        pieces += (escape(text[position:start]), "<mark>", escape(text[start:end]), "</mark>")
        position = end
    if not pieces:
        return escape(text)
    pieces.append(escape(text[position:]))
    return Markup("".join(pieces))
