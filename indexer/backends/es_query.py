"""A :class:`~indexer.backends.base.SearchQuery` as an Elasticsearch query DSL body.

Built clause for clause like the tantivy side (:mod:`indexer.backends.tantivy_search`)
so both engines score the same way: every query word is analysed into tokens
(:func:`indexer.backends.es_index.analyse`); each token must match in one of the
searched fields (a ``bool.should`` of boosted ``term`` queries, scores summed); all
tokens of all words are required (``bool.must``). Filters are non-scoring (``filter``
context, the tantivy side wraps them in a zero constant score). Identifiers are exact
``term`` queries; an identifier that does not normalise matches nothing.
"""

from __future__ import annotations

from typing import Any

from indexer.backends.base import Hit, SearchQuery
from indexer.backends.es_index import es_tokens
from indexer.backends.query import FIELD_BOOSTS, analyse_text, field_clauses, highlight
from mappings.fields import FIELDS

__all__ = [
    "KNOWN_FIELDS",
    "SORT_FIELDS",
    "build_query",
    "facet_aggs",
    "highlights",
    "online_filter",
    "sort_clause",
    "to_facets",
    "to_hit",
]

KNOWN_FIELDS = frozenset(spec.name for spec in FIELDS)
#: Sort name -> (field, descending); relevance is score desc then id asc.
SORT_FIELDS = {"newest": ("year", True), "oldest": ("year", False), "title": ("title_sort", False)}
_MATCH_NONE: dict[str, Any] = {"match_none": {}}


def _must(clauses: list[dict[str, Any]]) -> dict[str, Any]:
    return clauses[0] if len(clauses) == 1 else {"bool": {"must": clauses}}


def _word_query(tokens: list[str], fields: dict[str, float]) -> dict[str, Any]:
    per_token = [
        {
            "bool": {
                "should": [
                    {"term": {name: {"value": token, "boost": boost}}}
                    for name, boost in fields.items()
                ]
            }
        }
        for token in tokens
    ]
    return _must(per_token)


def _text_query(
    words: list[str], fields: dict[str, float], factors: dict[str, float]
) -> dict[str, Any]:
    boosted = {name: boost * factors.get(name, 1.0) for name, boost in fields.items()}
    clauses = [_word_query(tokens, boosted) for word in words if (tokens := es_tokens(word))]
    return _must(clauses) if clauses else dict(_MATCH_NONE)


def _identifier_query(kind: str, value: str) -> dict[str, Any]:
    return {"term": {kind: value}} if value else dict(_MATCH_NONE)


def _scoring_clauses(query: SearchQuery, factors: dict[str, float]) -> list[dict[str, Any]]:
    clauses: list[dict[str, Any]] = []
    understood = analyse_text(query.text)
    if understood.identifier:
        clauses.append(_identifier_query(*understood.identifier))
    elif understood.words:
        clauses.append(_text_query(understood.words, FIELD_BOOSTS, factors))
    words, identifiers = field_clauses(query.fields)
    for name, field_words in words.items():
        clauses.append(_text_query(field_words, {name: FIELD_BOOSTS[name]}, factors))
    for name, value in identifiers.items():
        clauses.append(_identifier_query(name, value))
    return clauses


def _filter_clauses(query: SearchQuery) -> list[dict[str, Any]]:
    clauses: list[dict[str, Any]] = []
    for name, values in query.filters.items():
        if name not in KNOWN_FIELDS or not values:
            continue
        if name == "year":
            typed: list[Any] = [int(v) for v in values if str(v).strip().lstrip("-").isdigit()]
        else:
            typed = [str(v) for v in values]
        clauses.append({"terms": {name: typed}} if typed else dict(_MATCH_NONE))
    if query.year_from is not None or query.year_to is not None:
        bounds = {}
        if query.year_from is not None:
            bounds["gte"] = query.year_from
        if query.year_to is not None:
            bounds["lte"] = query.year_to
        clauses.append({"range": {"year": bounds}})
    return clauses


def build_query(
    query: SearchQuery, factors: dict[str, float] | None = None
) -> tuple[dict[str, Any], bool]:
    """The query DSL and whether it scores (False: every hit scores the same).

    ``factors``: per text field boost factors of the index's BM25 calibration
    (:meth:`indexer.backends.es_scoring.TextStats.factors`).
    """
    scoring = _scoring_clauses(query, factors or {})
    filters = _filter_clauses(query)
    if not scoring and not filters:
        return {"match_all": {}}, False
    body: dict[str, Any] = {}
    if scoring:
        body["must"] = scoring
    if filters:
        body["filter"] = filters
    return {"bool": body}, bool(scoring)


def online_filter(library: str) -> dict[str, Any]:
    """Documents with full text for ``library`` (or open access to all)."""
    return {"terms": {"online_for": [library, "*"]}}


def sort_clause(sort: str, scoring: bool) -> list[Any]:
    """The contract's order: key, then ``id``; documents without the key last."""
    if sort in SORT_FIELDS:
        name, descending = SORT_FIELDS[sort]
        order = "desc" if descending else "asc"
        return [{name: {"order": order, "missing": "_last"}}, {"id": "asc"}]
    if scoring:
        return [{"_score": "desc"}, {"id": "asc"}]
    return [{"id": "asc"}]


def facet_aggs(query: SearchQuery) -> dict[str, Any]:
    """``terms`` aggregations, count desc then value asc (exact on one shard)."""
    size = max(1, query.facet_size)
    return {
        name: {
            "terms": {
                "field": name,
                "size": size,
                "shard_size": max(size * 4, 100),
                "order": [{"_count": "desc"}, {"_key": "asc"}],
            }
        }
        for name in query.facets
        if name in KNOWN_FIELDS
    }


def highlights(payload: dict[str, Any], query: SearchQuery) -> dict[str, str]:
    """The title with the query words marked, as the tantivy backend marks it."""
    if not query.highlight:
        return {}
    words = list(analyse_text(query.text).words)
    for name in ("title", "all"):
        words += analyse_text(query.fields.get(name, "")).words
    if words and payload.get("title"):
        return {"title": highlight(str(payload["title"]), words)}
    return {}


def to_hit(raw: dict[str, Any], query: SearchQuery) -> Hit:
    """One Elasticsearch hit as a :class:`Hit` (payload, score, highlights)."""
    payload = raw.get("_source", {}).get("payload") or {"id": raw["_id"]}
    score = float(raw.get("_score") or 0.0)
    return Hit(id=raw["_id"], score=score, doc=payload, highlights=highlights(payload, query))


def to_facets(
    found: dict[str, Any], query: SearchQuery, total: int
) -> dict[str, list[tuple[str, int]]]:
    """The ``terms`` aggregations of a response as facet lists (every facet when no hit)."""
    if not query.facets:
        return {}
    if not total:
        return {name: [] for name in query.facets}
    aggs = found.get("aggregations", {})
    return {
        name: [(_key(b["key"]), int(b["doc_count"])) for b in agg["buckets"]]
        for name, agg in aggs.items()
    }


def _key(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
