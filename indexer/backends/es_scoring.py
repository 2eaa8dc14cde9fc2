"""BM25 on Elasticsearch calibrated to score exactly as tantivy does.

Both engines compute ``idf * tf / (tf + k1 * (1 - b + b * dl / avgdl))`` over the same
tokens, but two statistics differ:

- *Which documents count.* Lucene counts, for IDF and for the average length, only the
  documents that have the field; tantivy counts all of them. Empty text fields therefore
  hold one placeholder token on the Elasticsearch side
  (:data:`indexer.backends.es_index.PLACEHOLDER`), so both engines count every document.
- *The placeholder's length.* Lucene's average length then is ``(T + E) / N`` (``T``
  tokens, ``E`` empty fields, ``N`` documents) where tantivy's is ``T / N``. With
  ``r = (T + E) / T``, the per-field similarity ``k1' = k1 (1 - b + b r)``,
  ``b' = k1 b r / k1'`` gives exactly tantivy's length normalisation for every
  document length (expand ``k1' (1 - b' + b' dl / avgdl')``).

Elasticsearch's BM25 also multiplies by ``k1' + 1`` where tantivy multiplies by
``k1 + 1``, so queries scale each field's boost by :meth:`TextStats.factors`.

The statistics are those of the last rebuild (``efirst reindex``): they are written to
the new index (similarity settings, and the boost factors in the mapping's ``_meta``)
before its alias switches. Documents written since shift them a little; until the next
rebuild, scores agree closely rather than exactly. A new empty index starts with the
plain parameters (``r = 1``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from elasticsearch import Elasticsearch

from mappings.fields import text_fields

__all__ = [
    "B",
    "K1",
    "SCORE_FACTORS",
    "TextStats",
    "calibrate",
    "default_similarity",
    "similarity_name",
]

K1 = 1.2
B = 0.75
#: ``_meta`` key of the boost factors in a calibrated index's mapping.
SCORE_FACTORS = "efirst_score_factors"


def similarity_name(field_name: str) -> str:
    return f"efirst_{field_name}"


def _params(ratio: float) -> dict[str, Any]:
    k1 = K1 * (1 - B + B * ratio)
    return {"type": "BM25", "k1": k1, "b": K1 * B * ratio / k1}


def default_similarity() -> dict[str, Any]:
    """One BM25 similarity per text field, uncalibrated (``r = 1``: k1 1.2, b 0.75)."""
    return {similarity_name(spec.name): _params(1.0) for spec in text_fields()}


@dataclass(slots=True)
class TextStats:
    """Token and empty-field counts per text field, gathered while documents stream."""

    tokens: Counter[str] = field(default_factory=Counter)
    empty: Counter[str] = field(default_factory=Counter)

    def add(self, name: str, tokens: int) -> None:
        if tokens:
            self.tokens[name] += tokens
        else:
            self.empty[name] += 1

    def ratio(self, name: str) -> float:
        total = self.tokens[name]
        return (total + self.empty[name]) / total if total else 1.0

    def similarity(self) -> dict[str, Any]:
        """``index.similarity`` settings calibrated to these statistics."""
        return {similarity_name(s.name): _params(self.ratio(s.name)) for s in text_fields()}

    def factors(self) -> dict[str, float]:
        """Per text field, the boost factor ``(k1 + 1) / (k1' + 1)``."""
        return {
            spec.name: (K1 + 1) / (_params(self.ratio(spec.name))["k1"] + 1)
            for spec in text_fields()
        }


def calibrate(client: Elasticsearch, index: str, stats: TextStats, meta: dict[str, Any]) -> None:
    """Write the calibration of ``stats`` to ``index`` (similarity + ``_meta`` factors).

    Similarity settings change only on a closed index: fine for an index that nothing
    searches yet (a rebuild before its alias moves). ``meta`` is the rest of ``_meta``.
    """
    client.indices.close(index=index, wait_for_active_shards="all")
    client.indices.put_settings(index=index, settings={"similarity": stats.similarity()})
    client.indices.open(index=index, wait_for_active_shards="all")
    client.cluster.health(index=index, wait_for_status="yellow", timeout="60s")
    client.indices.put_mapping(index=index, meta={**meta, SCORE_FACTORS: stats.factors()})
