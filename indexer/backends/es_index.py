"""The Elasticsearch index definition, generated from :data:`mappings.fields.FIELDS`.

Both engines must find the same documents with the same scores' order, so the text is
analysed once, in Python, by *the very analyser the tantivy backend registers*
(:func:`indexer.backends.tantivy_backend.text_analyzer`: split on non-alphanumerics, drop
tokens over 40 characters, lower-case, ASCII-fold) over
:func:`indexer.backends.query.index_text` (NFC, CJK bigrams). Elasticsearch receives
those tokens joined by spaces in ``text`` fields (``standard`` analyser, term frequencies,
length norms): tokens of lower-case ASCII letters and digits pass the ``standard``
tokenizer unchanged, and every other token is first written as ``x`` + hex of its UTF-8
(:func:`es_token`), which it also keeps whole. So Lucene sees exactly tantivy's terms,
field lengths and term frequencies, and scores them with the same BM25 (k1 1.2, b 0.75).

Why not Elasticsearch's own analysers: the distribution the tests run
(``integ-test-zip``) has no ``analysis-common`` module, so only the ``standard``
tokenizer and ``lowercase`` filter exist; ``standard`` splits CJK into single characters
(our bigrams would be lost) and there is no ``asciifolding``. Pre-analysis works on every
distribution (the official Docker image included) and guarantees identical tokens.

One difference remains: Lucene's average field length is over the documents that have
the field, tantivy's over all documents. With :data:`PLACEHOLDER` in empty text fields
both engines count every document (same IDF), but the placeholder adds one to the
length total of sparse fields (``author``, ``subject``), so scores there differ slightly
and close relevance ranks may swap (the contract suite documents the tolerance).

Other fields: ``keyword`` for identifiers, facets and sorts (doc values), ``integer`` for
``year``, and the display ``payload`` kept in ``_source`` but not indexed. ``_source``
holds only the payload: rebuilds read the catalog, never Elasticsearch.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson

from indexer.backends.es_scoring import TextStats, default_similarity, similarity_name
from indexer.backends.query import index_text
from mappings.fields import FIELDS, FieldSpec

__all__ = [
    "MAX_RESULT_WINDOW",
    "PLACEHOLDER",
    "analyse",
    "es_token",
    "es_tokens",
    "index_body",
    "mapping_signature",
    "mappings",
    "new_index_name",
    "to_source",
]

#: Deepest page a search may reach (``from + size``), as on the tantivy side in practice.
MAX_RESULT_WINDOW = 50_000
_TOKENS = {"type": "text", "analyzer": "standard", "index_options": "freqs"}
_ENCODED = re.compile(r"^x[0-9a-f]*$")
#: Indexed in a text field that has no token: no query term can equal it
#: (:func:`es_token` never returns a bare ``x``). Lucene computes IDF over the documents
#: *that have the field*, tantivy over all documents; with it both count all documents.
PLACEHOLDER = "x"


@lru_cache(maxsize=1)
def _analyzer() -> Callable[[str], list[str]]:
    from indexer.backends import tantivy_backend

    factory = getattr(tantivy_backend, "text_analyzer", None) or tantivy_backend._analyzer
    return factory().analyze


def analyse(text: str) -> list[str]:
    """The tokens both engines index for one ``text`` value (or query word)."""
    return _analyzer()(text)


@lru_cache(maxsize=1 << 17)
def es_token(token: str) -> str:
    """``token`` in a form Elasticsearch's ``standard`` analyser keeps whole and unchanged.

    Lower-case ASCII letters and digits pass through; any other token (CJK bigrams,
    Greek, Cyrillic...) becomes ``x`` + the hex of its UTF-8 bytes, and so does an ASCII
    token that already looks like that, so the mapping is one-to-one.
    """
    if token.isascii() and token.isalnum() and not _ENCODED.match(token):
        return token
    return "x" + token.encode("utf-8").hex()


def es_tokens(text: str) -> list[str]:
    """:func:`analyse` then :func:`es_token`: the terms Elasticsearch indexes and queries."""
    return [es_token(token) for token in analyse(text)]


def _field_mapping(spec: FieldSpec) -> dict[str, Any]:
    if spec.kind == "text":
        return {**_TOKENS, "similarity": similarity_name(spec.name)}
    if spec.kind == "keyword":
        return {"type": "keyword"}
    if spec.kind == "integer":
        return {"type": "integer"}
    if spec.kind == "stored":
        return {"type": "object", "enabled": False}
    raise ValueError(f"unknown field kind {spec.kind!r} for {spec.name}")  # pragma: no cover


def mapping_signature() -> str:
    """Changes whenever the field table or the way text is analysed changes."""
    table = [[f.name, f.kind, f.facet] for f in FIELDS]
    probe = analyse(index_text("Ærø Straße naïve 中國文學 O'Brien 3.5 x" * 2))
    raw = orjson.dumps({"fields": table, "probe": probe, "version": 1})
    return hashlib.sha256(raw).hexdigest()[:16]


def mappings() -> dict[str, Any]:
    """The ``mappings`` section: strict, one property per field of the table."""
    return {
        "dynamic": "strict",
        "_source": {"includes": ["payload"]},
        "_meta": {"efirst_signature": mapping_signature()},
        "properties": {spec.name: _field_mapping(spec) for spec in FIELDS},
    }


def index_body(*, shards: int = 1, replicas: int = 0, bulk_load: bool = False) -> dict[str, Any]:
    """Settings and mappings of a new index.

    ``bulk_load`` turns refreshes off and fsyncs the translog in the background for a
    rebuild (both switched back before the alias moves; a crash mid-rebuild abandons the
    new index anyway). One shard by default: BM25 statistics are then exact (several shards are
    searched with ``dfs_query_then_fetch`` instead).
    """
    settings: dict[str, Any] = {
        "number_of_shards": shards,
        "number_of_replicas": replicas,
        "max_result_window": MAX_RESULT_WINDOW,
        "refresh_interval": "-1" if bulk_load else "1s",
        "translog": {"durability": "async" if bulk_load else "request"},
        "similarity": default_similarity(),
    }
    return {"settings": {"index": settings}, "mappings": mappings()}


def new_index_name(alias: str, now: datetime | None = None) -> str:
    """A versioned index name behind ``alias``: ``<alias>-<UTC timestamp>``."""
    moment = now or datetime.now(UTC)
    return f"{alias}-{moment.strftime('%Y%m%d%H%M%S%f')}"


_EMPTY: tuple[Any, ...] = (None, "")
_BY_KIND: dict[str, tuple[str, ...]] = {
    kind: tuple(spec.name for spec in FIELDS if spec.kind == kind)
    for kind in ("text", "keyword", "integer", "stored")
}


def _values(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple | set):
        return [v for v in value if v is not None and v != ""]
    return [value]


def _payload(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return orjson.loads(bytes(value))
    return value


@lru_cache(maxsize=1 << 16)
def _text_value(value: str) -> tuple[str, int]:
    """One text value as Elasticsearch gets it (tokens joined by spaces) and its token
    count. Cached: subjects, publishers and names recur across documents, and every
    title and name comes again in ``all``."""
    tokens = es_tokens(index_text(value))
    return " ".join(tokens), len(tokens)


def to_source(doc: dict[str, Any], stats: TextStats | None = None) -> dict[str, Any]:
    """A flat index document as an Elasticsearch ``_source`` (text pre-analysed).

    Raises ``ValueError``/``TypeError`` for a document that cannot be indexed (no id,
    a year that is not a number): the caller reports it as that document's failure.
    ``stats`` (optional) counts each text field's tokens for the BM25 calibration.
    """
    if not doc.get("id"):
        raise ValueError("document has no id")
    source: dict[str, Any] = {}
    counts: list[tuple[str, int]] = []
    for name in _BY_KIND["text"]:
        texts: list[str] = []
        total = 0
        for item in _values(doc.get(name)):
            text, count = _text_value(item if type(item) is str else str(item))
            if count:
                texts.append(text)
                total += count
        source[name] = texts or [PLACEHOLDER]
        counts.append((name, total))
    for name in _BY_KIND["keyword"]:
        value = doc.get(name)
        if value in _EMPTY:
            continue
        if type(value) is list and all(type(v) is str and v for v in value):
            if value:
                source[name] = value
        elif values := _values(value):
            source[name] = [str(v) for v in values]
    for name in _BY_KIND["integer"]:
        if values := _values(doc.get(name)):
            source[name] = [int(v) for v in values]
    for name in _BY_KIND["stored"]:
        if values := _values(doc.get(name)):
            source[name] = _payload(values[0])
    if stats is not None:  # only for documents that convert completely
        for name, tokens in counts:
            stats.add(name, tokens)
    return source
