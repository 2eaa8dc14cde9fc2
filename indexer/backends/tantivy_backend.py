"""The embedded search engine: a tantivy index directory under the data dir.

- The schema is generated from :data:`mappings.fields.FIELDS`; ``text`` fields use the
  ``efirst_text`` analyser (split on non-alphanumerics, drop tokens over 40 chars,
  lower-case, ASCII-fold) over :func:`indexer.backends.query.index_text` (CJK bigrams).
  tantivy does not store analysers with the index, so every :class:`TantivyBackend`
  registers it on each index it opens.
- One writer per index across processes: it is opened lazily on the first write, a
  second process waits up to ``lock_timeout`` seconds and then gets a clear
  :class:`~mappings.errors.BackendError`. :meth:`refresh` commits and reloads.
- Readers in other processes (gunicorn workers) notice a commit by the change of
  ``meta.json`` and reload before the next search; :attr:`generation` is the commit's
  opstamp (a counter for in-RAM indexes).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Container, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson
import tantivy
from tantivy import Filter, Occur, Query, TextAnalyzerBuilder, Tokenizer

from indexer.backends.base import BulkResult, Hit, SearchBackend, SearchQuery, SearchResults
from indexer.backends.query import MAX_TOKEN_LENGTH, analyse_text, highlight, index_text
from indexer.backends.tantivy_search import PageReader, Row, build_query, facet_counts
from mappings.errors import BackendError
from mappings.fields import FIELDS

__all__ = ["TEXT_ANALYZER", "TantivyBackend", "build_schema"]

log = logging.getLogger(__name__)

TEXT_ANALYZER = "efirst_text"
_SCHEMA_FILE = "efirst-schema.json"
_SCHEMA_VERSION = 1


def _analyzer() -> tantivy.TextAnalyzer:
    return (
        TextAnalyzerBuilder(Tokenizer.simple())
        .filter(Filter.remove_long(MAX_TOKEN_LENGTH + 1))
        .filter(Filter.lowercase())
        .filter(Filter.ascii_fold())
        .build()
    )


def build_schema() -> tantivy.Schema:
    """The tantivy schema for :data:`mappings.fields.FIELDS`."""
    builder = tantivy.SchemaBuilder()
    for spec in FIELDS:
        if spec.kind == "text":
            builder.add_text_field(spec.name, tokenizer_name=TEXT_ANALYZER, index_option="freq")
        elif spec.kind == "keyword":
            builder.add_text_field(
                spec.name, stored=spec.name == "id", fast=True, tokenizer_name="raw"
            )
        elif spec.kind == "integer":
            builder.add_integer_field(spec.name, indexed=True, fast=True)
        elif spec.kind == "stored":
            builder.add_bytes_field(spec.name, stored=True)
        else:  # pragma: no cover - the field table is ours
            raise ValueError(f"unknown field kind {spec.kind!r} for {spec.name}")
    return builder.build()


def _signature() -> bytes:
    table = [[f.name, f.kind, f.facet] for f in FIELDS]
    return orjson.dumps({"version": _SCHEMA_VERSION, "fields": table})


def _values(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple | set):
        return [v for v in value if v is not None and v != ""]
    return [value]


def _items(value: Any) -> list[Any]:
    """:func:`_values`, without a copy for a list that has no empty values."""
    if type(value) is list:
        return value if None not in value and "" not in value else _values(value)
    return _values(value)


def _stored(item: Any) -> bytes:
    return item if isinstance(item, bytes) else orjson.dumps(item)


def _names(kind: str) -> tuple[str, ...]:
    return tuple(spec.name for spec in FIELDS if spec.kind == kind)


_TEXT_FIELDS, _KEYWORD_FIELDS = _names("text"), _names("keyword")
_INTEGER_FIELDS, _STORED_FIELDS = _names("integer"), _names("stored")


@lru_cache(maxsize=1)
def _schema() -> tantivy.Schema:
    return build_schema()


def _texts(items: list[Any], done: dict[str, str]) -> list[str]:
    """Each item as indexed text: ASCII as is (it has no CJK and is already NFC), the
    rest through :func:`~indexer.backends.query.index_text`, each distinct value once
    per document (``done``: a document repeats its titles, names and subjects in
    ``all``)."""
    out: list[str] = []
    for item in items:
        text = item if type(item) is str else str(item)
        if not text.isascii():
            converted = done.get(text)
            if converted is None:
                converted = done[text] = index_text(text)
            text = converted
        out.append(text)
    return out


def to_document(doc: dict[str, Any]) -> tantivy.Document:
    """A flat index document (see :mod:`indexer.documents`) as a tantivy Document.

    Built in one call (``Document.from_dict``) from the converted values: text through
    :func:`~indexer.backends.query.index_text`, keywords as strings, integers, stored
    fields as JSON bytes. Empty values (``None``, ``""``, ``[]``) are left out.
    """
    if not doc.get("id"):
        raise ValueError("document has no id")
    get = doc.get
    values: dict[str, list[Any]] = {}
    done: dict[str, str] = {}
    for name in _TEXT_FIELDS:
        items = _items(get(name))
        if items:
            values[name] = _texts(items, done)
    for name in _KEYWORD_FIELDS:
        items = _items(get(name))
        if items:
            values[name] = list(map(str, items))
    for name in _INTEGER_FIELDS:
        items = _items(get(name))
        if items:
            values[name] = list(map(int, items))
    for name in _STORED_FIELDS:
        items = _items(get(name))
        if items:
            values[name] = list(map(_stored, items))
    return tantivy.Document.from_dict(values, _schema())


class TantivyBackend(SearchBackend):
    """:class:`SearchBackend` on a tantivy index in ``index_dir`` (None: in RAM)."""

    def __init__(
        self,
        index_dir: Path | str | None,
        *,
        writer_heap: int = 128_000_000,
        writer_threads: int = 1,
        lock_timeout: float = 10.0,
    ) -> None:
        self.index_dir = Path(index_dir) if index_dir is not None else None
        self.schema = build_schema()
        self.analyzer = _analyzer()
        self._known = {spec.name for spec in FIELDS}
        self._writer_heap = writer_heap
        self._writer_threads = writer_threads
        self._lock_timeout = lock_timeout
        self._index: tantivy.Index | None = None
        self._writer: tantivy.IndexWriter | None = None
        self._meta_stamp: tuple[int, int] | None = None
        self._generation = 0
        self._facet_pool: ThreadPoolExecutor | None = None
        self._searching = 0  # searches in progress, any thread (see _facets)
        self._searching_lock = threading.Lock()

    # -- lifecycle -------------------------------------------------------------------
    def _open(self) -> tantivy.Index:
        if self._index is not None:
            self._maybe_reload()
            return self._index
        if self.index_dir is None:
            index = tantivy.Index(self.schema)
        else:
            index = self._open_dir(self.index_dir)
        index.register_tokenizer(TEXT_ANALYZER, self.analyzer)
        self._index = index
        self._meta_stamp = self._stat_meta()
        self._generation = self._read_opstamp()
        return index

    def _open_dir(self, path: Path) -> tantivy.Index:
        path.mkdir(parents=True, exist_ok=True)
        marker = path / _SCHEMA_FILE
        exists = tantivy.Index.exists(str(path))
        if exists and (not marker.exists() or marker.read_bytes() != _signature()):
            raise BackendError(
                f"the index in {path} was built with another field table; "
                "delete that directory and run `efirst index` again"
            )
        try:
            index = tantivy.Index(self.schema, path=str(path), reuse=True)
        except ValueError as exc:
            raise BackendError(f"cannot open the index in {path}: {exc}") from exc
        if not exists:
            marker.write_bytes(_signature())
        return index

    def ensure_index(self) -> None:
        self._open()

    def _stat_meta(self) -> tuple[int, int] | None:
        if self.index_dir is None:
            return None
        try:
            stat = (self.index_dir / "meta.json").stat()
        except FileNotFoundError:
            return None
        return (stat.st_mtime_ns, stat.st_size)

    def _read_opstamp(self) -> int:
        if self.index_dir is None:
            return self._generation
        try:
            meta = orjson.loads((self.index_dir / "meta.json").read_bytes())
        except (FileNotFoundError, orjson.JSONDecodeError):
            return 0
        return int(meta.get("opstamp", 0))

    def _maybe_reload(self) -> None:
        """Pick up commits made by another process (cheap: one stat per call)."""
        if self.index_dir is None or self._index is None:
            return
        stamp = self._stat_meta()
        if stamp != self._meta_stamp:
            self._meta_stamp = stamp
            self._index.reload()
            self._generation = self._read_opstamp()

    def _writer_open(self) -> tantivy.IndexWriter:
        if self._writer is not None:
            return self._writer
        index = self._open()
        deadline = time.monotonic() + self._lock_timeout
        while True:
            try:
                self._writer = index.writer(self._writer_heap, self._writer_threads)
                return self._writer
            except ValueError as exc:
                if "LockBusy" not in str(exc) or time.monotonic() >= deadline:
                    raise BackendError(
                        f"cannot write to the index in {self.index_dir}: another process "
                        "holds its writer (is an indexer running?)"
                    ) from exc
                time.sleep(0.2)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.wait_merging_threads()
            self._writer = None
        if self._facet_pool is not None:
            self._facet_pool.shutdown(wait=True)
            self._facet_pool = None

    # -- writes ----------------------------------------------------------------------
    def upsert(self, docs: Iterable[dict[str, Any]]) -> BulkResult:
        return self.upsert_new(docs, ())

    def upsert_new(self, docs: Iterable[dict[str, Any]], new: Container[str]) -> BulkResult:
        """:meth:`upsert`; documents whose ids are in ``new`` are added without first
        deleting their id (a delete is applied to every segment at the next commit)."""
        writer = self._writer_open()
        result = BulkResult()
        for doc in docs:
            doc_id = str(doc.get("id") or "")
            try:
                document = to_document(doc)
            except (ValueError, TypeError, OverflowError) as exc:
                result.failed.append((doc_id, str(exc)))
                continue
            if doc_id not in new:
                writer.delete_documents_by_term("id", doc_id)
            writer.add_document(document)
            result.indexed += 1
        return result

    @property
    def commit_mark(self) -> str | None:
        """The index directory and the opstamp of its last commit (None in RAM).

        Every commit, by any process, changes it: a caller that stored the mark along
        with its own state knows, if the mark is unchanged, that nobody wrote since.
        """
        if self.index_dir is None:
            return None
        self._open()
        return f"tantivy:{self.index_dir.resolve()}:{self._read_opstamp()}"

    def rollback(self) -> None:
        """Drop the writes not committed yet (the writer goes back to the last commit)."""
        if self._writer is None:
            return
        try:
            self._writer.rollback()
        except BaseException:
            self._writer = None  # a dropped writer's uncommitted writes are dropped too
            raise

    def delete(self, ids: Iterable[str]) -> None:
        writer = self._writer_open()
        for doc_id in ids:
            writer.delete_documents_by_term("id", str(doc_id))

    def refresh(self) -> None:
        if self._writer is None:
            self._open()
            return
        self._writer.commit()
        self._generation += 1
        assert self._index is not None
        self._index.reload()
        self._meta_stamp = self._stat_meta()
        if self.index_dir is not None:
            self._generation = self._read_opstamp()

    def clear(self) -> None:
        self._writer_open().delete_all_documents()
        self.refresh()

    @property
    def generation(self) -> str:
        self._open()
        return str(self._generation)

    # -- reads -----------------------------------------------------------------------
    def _searcher(self) -> tantivy.Searcher:
        return self._open().searcher()

    def get(self, doc_id: str) -> dict[str, Any] | None:
        searcher = self._searcher()
        hits = searcher.search(Query.term_query(self.schema, "id", str(doc_id)), 1).hits
        if not hits:
            return None
        return _payload(searcher.doc(hits[0][1]).to_dict())

    def count(self) -> int:
        return self._searcher().num_docs

    def iter_ids(self, page: int = 10_000) -> Iterator[str]:
        reader = PageReader(self._searcher(), self.schema)
        offset = 0
        while True:
            rows = reader.by_id(Query.all_query(), offset, page)
            yield from (row.id for row in rows)
            if len(rows) < page:
                return
            offset += page

    def search(self, query: SearchQuery) -> SearchResults:
        with self._searching_lock:
            self._searching += 1
        try:
            return self._search(query)
        finally:
            with self._searching_lock:
                self._searching -= 1

    def _search(self, query: SearchQuery) -> SearchResults:
        searcher = self._searcher()
        reader = PageReader(searcher, self.schema)
        built, scoring = build_query(self.schema, query, self.analyzer.analyze, self._known)
        total: int | None = None
        facets: dict[str, list[tuple[str, int]]] = {}
        if query.facets:
            names = [name for name in query.facets if name in self._known]
            facets, total = self._facets(searcher, built, names, max(1, query.facet_size))
        offset, limit = max(0, query.offset), max(0, query.limit)
        rows, total = self._page(reader, built, scoring, query, offset, limit, total)
        hits = [self._hit(row, query) for row in rows]
        if query.facets and not total:
            facets = {name: [] for name in query.facets}
        return SearchResults(total=total, hits=hits, facets=facets)

    def _facets(
        self, searcher: tantivy.Searcher, built: Query, names: list[str], size: int
    ) -> tuple[dict[str, list[tuple[str, int]]], int | None]:
        """Every facet and the hit count, in one aggregation pass, except the subject facet.

        Subjects are many values per record: on a broad query their counting costs as much
        as all the rest together, so it runs on a second thread (tantivy releases the GIL)
        while this one counts the others and the hits. Same counts either way.

        Only for a search running alone in this process: when others run (a web server's
        threads under load), every core is busy anyway, the split only adds a second
        pass over the hits (~15 % more CPU a search) and the one facet thread would make
        the searches queue for it; they count in one pass on their own thread.
        """
        heavy = [name for name in names if name in _PARALLEL_FACETS]
        light = [name for name in names if name not in _PARALLEL_FACETS]
        if not heavy or not light or self._searching > 1:
            return facet_counts(searcher, built, names, size, with_total=True)
        if self._facet_pool is None:
            self._facet_pool = ThreadPoolExecutor(1, thread_name_prefix="efirst-facets")
        pending = self._facet_pool.submit(facet_counts, searcher, built, heavy, size)
        counted, total = facet_counts(searcher, built, light, size, with_total=True)
        counted.update(pending.result()[0])
        return {name: counted[name] for name in names}, total

    def _page(
        self,
        reader: PageReader,
        built: Query,
        scoring: bool,
        query: SearchQuery,
        offset: int,
        limit: int,
        total: int | None,
    ) -> tuple[list[Row], int]:
        """The page and the hit count (counted along the way when ``total`` is None)."""
        if query.online_boost and query.sort == "relevance":
            boost = Query.term_set_query(self.schema, "online_for", [query.online_boost, "*"])
            first = Query.boolean_query([(Occur.Must, built), (Occur.Must, boost)])
            rest = Query.boolean_query([(Occur.Must, built), (Occur.MustNot, boost)])
            rows, first_total = reader.ordered(first, scoring, query.sort, offset, limit)
            rest_offset = max(0, offset - first_total)
            rest_total = None if total is None else total - first_total
            more, rest_total = reader.ordered(
                rest, scoring, query.sort, rest_offset, limit - len(rows), rest_total
            )
            return rows + more, first_total + rest_total
        return reader.ordered(built, scoring, query.sort, offset, limit, total)

    def _hit(self, row: Row, query: SearchQuery) -> Hit:
        payload = _payload(row.doc) or {"id": row.id}
        score = float(row.key) if isinstance(row.key, float) else 0.0
        highlights: dict[str, str] = {}
        if query.highlight:
            words = list(analyse_text(query.text).words)
            for name in ("title", "all"):
                words += analyse_text(query.fields.get(name, "")).words
            if words and payload.get("title"):
                highlights["title"] = highlight(str(payload["title"]), words)
        return Hit(id=row.id, score=score, doc=payload, highlights=highlights)


#: Multi-valued facets counted on their own thread (see ``TantivyBackend._facets``).
_PARALLEL_FACETS = frozenset({"subject_facet"})


def _payload(stored: dict[str, list[Any]]) -> dict[str, Any] | None:
    raw = stored.get("payload")
    if not raw:
        return None
    return orjson.loads(raw[0])
