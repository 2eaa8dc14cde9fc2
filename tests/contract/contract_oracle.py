"""The query semantics of :mod:`indexer.backends.base`, computed in plain Python.

Slow but obvious: each engine's answer is checked against this, not only against the
other engine. Tokens come from :func:`indexer.backends.es_index.analyse`, i.e. the
tantivy analyser over :func:`indexer.backends.query.index_text` (the agreed tokens).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from indexer.backends.es_index import analyse
from indexer.backends.query import FIELD_BOOSTS, analyse_text, index_text

__all__ = ["facet_counts", "matches_text", "sort_key_order", "values"]


def values(doc: dict[str, Any], name: str) -> list[Any]:
    value = doc.get(name)
    if value is None or value == "":
        return []
    return [v for v in value if v not in (None, "")] if isinstance(value, list) else [value]


def _tokens(doc: dict[str, Any], fields: list[str]) -> set[str]:
    found: set[str] = set()
    for name in fields:
        for value in values(doc, name):
            found.update(analyse(index_text(str(value))))
    return found


def matches_text(doc: dict[str, Any], text: str, fields: list[str] | None = None) -> bool:
    """Every token of every word of ``text`` is in one of ``fields`` of ``doc``."""
    searched = fields or list(FIELD_BOOSTS)
    have = _tokens(doc, searched)
    words = analyse_text(text).words
    return all(token in have for word in words for token in analyse(word))


def facet_counts(docs: list[dict[str, Any]], name: str, size: int) -> list[tuple[str, int]]:
    """Terms counts by count desc, then value asc, at most ``size``."""
    counts = Counter(str(v) for doc in docs for v in set(map(str, values(doc, name))))
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:size]


def sort_key_order(docs: list[dict[str, Any]], name: str, descending: bool) -> list[str]:
    """Ids by ``name`` (documents without it last), then id ascending."""
    present = [d for d in docs if values(d, name)]
    missing = sorted(d["id"] for d in docs if not values(d, name))
    sign = -1 if descending else 1
    if name == "year":
        present.sort(key=lambda d: (sign * int(values(d, name)[0]), d["id"]))
    else:
        present.sort(key=lambda d: d["id"])
        present.sort(key=lambda d: str(values(d, name)[0]), reverse=descending)
    return [d["id"] for d in present] + missing
