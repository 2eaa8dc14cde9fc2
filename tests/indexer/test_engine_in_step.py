"""New clusters go to tantivy without a delete only while the engine is in step with the
catalog, and a crash between the engine's commit and the catalog's costs nothing.

The catalog commits, with each batch, the engine's commit mark. These tests kill a real
indexing process right after an engine commit (before the catalog's), rerun the same
input, and compare the catalog and every stored document with a run that never
crashed; they also check that the shortcut is taken when it may be, and not when it may
not.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import orjson
import pytest
from tantivy import Query

from indexer.backends.tantivy_backend import TantivyBackend
from indexer.catalog import Catalog
from indexer.pipeline import index_records, rebuild_index
from indexer.readers import read_records
from indexer.settings import Settings
from mappings.schema import Record

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "marc21"
FILES = {
    "a": ("openlibrary__880_Nihon_no_chasho.mrc", "pymarc__test.mrc", "pymarc__multi_isbn.mrc"),
    "b": ("pymarc__multi_isbn.mrc", "marc4j__brkrtest_UTF8.mrc", "yaz__marccol1.u8.mrc"),
}
BATCH = 5


def _records(source: str, like: str) -> list[Record]:
    out: list[Record] = []
    for name in FILES[like.rstrip("'")]:
        out += [r for r in read_records(FIXTURES / name, source=source, library=like.upper())
                if isinstance(r, Record)]  # fmt: skip
    if like.endswith("'"):  # changed holdings, same match keys: each record leaves its
        # cluster (emptying those it was alone in) and founds it again, in one batch
        out = [dataclasses.replace(r, holdings=[]) for r in out]
    return out


#: (source, records like those of): b shares a file with a, c has a's records (merges);
#: then b again, changed
LOADS = (("a", "a"), ("b", "b"), ("c", "a"), ("b", "b'"))


def _load(settings: Settings, backend: TantivyBackend, loads=LOADS) -> None:
    for source, like in loads:
        records = _records(source, like)
        index_records(records, source, settings, backend, replace=True, batch_size=BATCH)


def _state(settings: Settings) -> dict[str, Any]:
    with Catalog(settings.catalog_db) as catalog:
        db = catalog.db
        state: dict[str, Any] = {
            "records": db.execute(
                "SELECT key, cluster_id, data FROM records ORDER BY key"
            ).fetchall(),
            "clusters": db.execute("SELECT id, size, facts FROM clusters ORDER BY id").fetchall(),
            "keys": db.execute("SELECT * FROM match_keys ORDER BY key, record").fetchall(),
            "counters": db.execute("SELECT * FROM counters ORDER BY 1, 2, 3").fetchall(),
        }
    backend = TantivyBackend(settings.index_dir)
    try:
        searcher = backend._searcher()
        hits = searcher.search(Query.all_query(), max(1, searcher.num_docs)).hits
        stored = sorted(_stored(searcher.doc(address).to_dict()) for _, address in hits)
    finally:
        backend.close()
    ids = [orjson.loads(doc)["id"] for doc in stored]
    assert len(ids) == len(set(ids)), "an id is in the index twice"
    state["docs"] = stored
    return state


def _stored(doc: dict[str, list[Any]]) -> bytes:
    """A stored document (id and payload) as comparable bytes."""
    (doc_id,) = doc["id"]
    payloads = [orjson.loads(p) for p in doc.get("payload", [])]
    return orjson.dumps({"id": doc_id, "payload": payloads}, option=orjson.OPT_SORT_KEYS)


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> dict[str, Any]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("clean"))
    backend = TantivyBackend(settings.index_dir)
    try:
        _load(settings, backend)
    finally:
        backend.close()
    return _state(settings)


_CRASHING = textwrap.dedent(
    """
    import importlib.util, os
    from pathlib import Path
    from indexer.backends.tantivy_backend import TantivyBackend
    from indexer.settings import Settings

    spec = importlib.util.spec_from_file_location("in_step", {module!r})
    tests = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tests)

    class DiesAfterEngineCommit(TantivyBackend):
        commits = 0

        def refresh(self):
            super().refresh()
            DiesAfterEngineCommit.commits += 1
            if DiesAfterEngineCommit.commits == {after}:
                os._exit(9)  # the engine has committed, the catalog has not

    settings = Settings(data_dir=Path({data!r}))
    tests._load(settings, DiesAfterEngineCommit(settings.index_dir))
    """
)


def _crash(data: Path, after: int) -> None:
    script = _CRASHING.format(module=__file__, data=str(data), after=after)
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 9, done.stderr[-2000:]


@pytest.mark.parametrize("after", [1, 4, 9, 13])
def test_killed_after_engine_commit_rerun_gives_the_clean_state(tmp_path, clean, after):
    settings = Settings(data_dir=tmp_path)
    _crash(tmp_path, after)
    with Catalog(settings.catalog_db) as catalog:
        stored_mark = catalog.engine_mark()
    backend = TantivyBackend(settings.index_dir)
    try:
        assert backend.commit_mark != stored_mark  # the catalog never saw the last commit
        _load(settings, backend)
    finally:
        backend.close()
    assert _state(settings) == clean


class _Recording(TantivyBackend):
    """A real tantivy backend that notes which ids each batch declared new."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.new: list[set[str]] = []
        self.written: list[set[str]] = []

    def upsert_new(self, docs, new):
        docs = list(docs)
        self.new.append(set(new))
        self.written.append({d["id"] for d in docs})
        return super().upsert_new(docs, new)


def test_new_clusters_skip_the_delete_only_when_absent(tmp_path, clean):
    settings = Settings(data_dir=tmp_path)
    backend = _Recording(settings.index_dir)
    try:
        _load(settings, backend, LOADS[:1])
        first = set().union(*backend.new)
        assert first and first == set().union(*backend.written)  # a fresh index: all new
        backend.new.clear(), backend.written.clear()
        _load(settings, backend, LOADS[1:])
        for new, written in zip(backend.new, backend.written, strict=True):
            assert new <= written
        joined = set().union(*backend.written) - set().union(*backend.new)
        assert joined & first  # clusters of source a joined by c: replaced, not added
    finally:
        backend.close()
    assert _state(settings) == clean


def test_foreign_documents_are_removed_before_the_shortcut(tmp_path, clean):
    """A document the catalog has no cluster for (written by something else) would be
    doubled when a run founds that cluster: the run deletes it first."""
    settings = Settings(data_dir=tmp_path)
    backend = TantivyBackend(settings.index_dir)
    try:
        _load(settings, backend, LOADS[:1])
        with Catalog(settings.catalog_db) as catalog:
            known = set(catalog.iter_cluster_ids())
        later = sorted({orjson.loads(doc)["id"] for doc in clean["docs"]} - known)
        assert later  # clusters source b will found
        foreign = [{"id": cid, "title": ["foreign"], "payload": {"id": cid}} for cid in later]
        backend.upsert(foreign + [{"id": "c-elsewhere", "title": ["x"], "payload": {}}])
        backend.refresh()
        _load(settings, backend, LOADS[1:])
        assert backend.get("c-elsewhere") is None
    finally:
        backend.close()
    assert _state(settings) == clean


def test_rebuild_index_leaves_the_engine_in_step(tmp_path, clean):
    settings = Settings(data_dir=tmp_path)
    backend = _Recording(settings.index_dir)
    try:
        _load(settings, backend, LOADS[:2])
        rebuild_index(settings, backend)
        with Catalog(settings.catalog_db) as catalog:
            assert catalog.engine_mark() == backend.commit_mark
        backend.new.clear()
        _load(settings, backend, LOADS[2:])
    finally:
        backend.close()
    assert _state(settings) == clean


def test_engines_without_a_mark_always_replace(tmp_path, clean):
    settings = Settings(data_dir=tmp_path)

    class _NoMark(_Recording):
        commit_mark = None  # as Elasticsearch: cannot tell who wrote last

    backend = _NoMark(settings.index_dir)
    try:
        _load(settings, backend)
        assert backend.new and not set().union(*backend.new)
    finally:
        backend.close()
    assert _state(settings) == clean
