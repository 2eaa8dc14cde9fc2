"""The ingest fast paths give exactly what the plain paths give.

- De-duplication works a batch in memory (prefetched keys, facts and ids; buffered
  writes; fresh clusters not read back): the catalog and the index must not depend on
  the batch size, down to one record per batch (the plain, query-per-record order).
- Records prepared in a mapping worker (:func:`indexer.pipeline.prepare_for_index`:
  bytes, fingerprint, match keys) must index
  exactly like plain records.

Real MARC fixtures, indexed as three sources (two with the same records, so they
cluster, one with changed holdings, so records leave and re-join clusters), then one
source re-indexed unchanged and one changed.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import orjson
import pytest

from indexer.backends.tantivy_backend import TantivyBackend
from indexer.catalog import Catalog
from indexer.pipeline import index_records, prepare_for_index
from indexer.readers import read_records
from indexer.settings import Settings
from mappings.schema import Record

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "marc21"
FILES = (
    "openlibrary__880_Nihon_no_chasho.mrc",
    "pymarc__test.mrc",
    "pymarc__multi_isbn.mrc",
    "marc4j__brkrtest_UTF8.mrc",
    "yaz__marccol1.u8.mrc",
    "openlibrary__880_arabic_french_many_linkages.mrc",
)


def _records(source: str, library: str) -> list[Record]:
    out = []
    for name in FILES:
        out += [r for r in read_records(FIXTURES / name, source=source, library=library)
                if isinstance(r, Record)]  # fmt: skip
    return out


def _state(settings: Settings, backend: TantivyBackend) -> dict[str, Any]:
    with Catalog(settings.catalog_db) as catalog:
        db = catalog.db
        state: dict[str, Any] = {
            "records": db.execute(
                "SELECT key, cluster_id, fingerprint, data FROM records ORDER BY key"
            ).fetchall(),
            "clusters": db.execute("SELECT id, size, facts FROM clusters ORDER BY id").fetchall(),
            "keys": db.execute("SELECT * FROM match_keys ORDER BY key, record").fetchall(),
            "counters": db.execute("SELECT * FROM counters ORDER BY 1, 2, 3").fetchall(),
        }
    ids = sorted(backend.iter_ids())
    state["docs"] = [orjson.dumps(backend.get(i), option=orjson.OPT_SORT_KEYS) for i in ids]
    return state


def _run(tmp: Path, batch_size: int, prepared: bool) -> dict[str, Any]:
    settings = Settings(data_dir=tmp)
    backend = TantivyBackend(settings.index_dir)
    a, b = _records("a", "LIB-A"), _records("b", "LIB-B")
    changed = [dataclasses.replace(r, holdings=[], year=(r.year or 2000) + 5) for r in b[::3]]
    loads = [("a", a), ("b", b), ("c", _records("c", "LIB-A")), ("b", b), ("b", changed)]
    try:
        for source, records in loads:
            items: list[Any] = [prepare_for_index(r) for r in records] if prepared else records
            index_records(items, source, settings, backend, replace=True, batch_size=batch_size)
        return _state(settings, backend)
    finally:
        backend.close()


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict[str, Any]:
    """One record per batch: every lookup goes to the catalog, as before batching."""
    return _run(tmp_path_factory.mktemp("one"), batch_size=1, prepared=False)


def test_reference_has_merges_and_moves(reference) -> None:
    sizes = [size for _, size, _ in reference["clusters"]]
    assert len(reference["records"]) > 60
    assert max(sizes) >= 3  # the same record from sources a, b and c in one cluster
    assert len(reference["docs"]) == len(reference["clusters"])


@pytest.mark.parametrize("batch_size", [7, 10_000])
def test_batch_size_does_not_change_results(tmp_path, reference, batch_size) -> None:
    assert _run(tmp_path, batch_size, prepared=False) == reference


@pytest.mark.parametrize("batch_size", [7, 10_000])
def test_prepared_records_index_like_plain_ones(tmp_path, reference, batch_size) -> None:
    assert _run(tmp_path, batch_size, prepared=True) == reference
