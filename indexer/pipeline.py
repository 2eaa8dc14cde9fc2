"""The indexing pipeline: records in, de-duplicated cluster documents out, in batches.

For each batch of records (constant memory): de-duplicate into the catalog inside one
sqlite transaction, rebuild the documents of every cluster the batch touched, write
them to the search engine and commit it, and only then commit the catalog. If the
engine fails, the catalog rolls back (and the engine drops the batch's uncommitted
writes), so running the same input again redoes the batch: nothing is lost and nothing
is counted twice.

Clusters a batch founds are added to the engine without first deleting their id, when
the engine is known to hold no document the catalog lacks. The catalog commits, with
each batch, the engine's commit mark (:attr:`SearchBackend.commit_mark`); a run that
finds a different mark (the process died between the engine's commit and the
catalog's, or something else wrote to the engine) first deletes the engine's documents
of clusters the catalog does not have, then goes on as usual.

Rejected records (:class:`~mappings.errors.RecordError` items in the stream) are written
to a TSV rejects report under ``data_dir/rejects/`` (file, record number, byte offset,
source id, field, reason) and counted by reason; the batch goes on.

A full run (``replace=True``) replaces a source's contributions: records of that source
the run did not see are taken out of their clusters at the end. Harvests are
incremental and send deletions instead (:func:`apply_deletions`).
"""

from __future__ import annotations

import csv
import gc
import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from indexer.backends.base import BulkResult, SearchBackend
from indexer.catalog import Catalog
from indexer.dedup import Deduplicator, Prepared, prepare
from indexer.documents import cluster_document
from indexer.settings import Settings
from mappings.errors import RecordError
from mappings.schema import Cluster, Record

__all__ = [
    "IndexReport",
    "RejectsReport",
    "apply_deletions",
    "index_records",
    "prepare_for_index",
    "rebuild_index",
    "reject_reason",
]

log = logging.getLogger(__name__)
#: What :func:`index_records` takes: records (plain or prepared) and rejects.
Item = Record | Prepared | RecordError
#: Records a batch (one catalog transaction, one engine commit). Fed records without
#: waiting, 25,000 cost the parent 10-20 % less a record than 10,000 (fewer checkpoints
#: of the catalog's randomly touched index pages, fewer tantivy segments); under
#: ``efirst index`` they were slower, as the mapping pool reads about 12,000 records
#: ahead (``indexer.parallel``), so the parent waited for half of each larger batch.
BATCH_SIZE = 10_000


def reject_reason(error: RecordError) -> str:
    """The reason category counted in statistics (the text before any ``:``)."""
    return (error.reason or "unknown").split(":")[0].strip()[:80] or "unknown"


@dataclass(slots=True)
class IndexReport:
    """What one run did (also shown by the CLI at the end of ``efirst index``)."""

    source: str
    records_in: int = 0
    deleted: int = 0
    rejected: int = 0
    rejects_by_reason: dict[str, int] = field(default_factory=dict)
    clusters_written: int = 0
    clusters_deleted: int = 0
    engine_failures: list[tuple[str, str]] = field(default_factory=list)
    rejects_file: Path | None = None

    def merge(self, other: IndexReport) -> None:
        for name in ("records_in", "deleted", "rejected"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.clusters_written += other.clusters_written
        self.clusters_deleted += other.clusters_deleted
        for reason, n in other.rejects_by_reason.items():
            self.rejects_by_reason[reason] = self.rejects_by_reason.get(reason, 0) + n
        self.engine_failures += other.engine_failures


class RejectsReport:
    """A TSV file of rejected records, created on the first reject."""

    COLUMNS = ("file", "record", "offset", "source_id", "field", "reason")

    def __init__(self, directory: Path, source: str) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in source) or "source"
        self.path = directory / f"{safe}-{stamp}.tsv"
        self._handle: IO[str] | None = None
        self._writer: csv.DictWriter[str] | None = None

    def write(self, error: RecordError) -> None:
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = open(self.path, "w", encoding="utf-8", newline="")  # noqa: SIM115
            self._writer = csv.DictWriter(self._handle, self.COLUMNS, delimiter="\t")
            self._writer.writeheader()
        row = {name: getattr(error, name) for name in self.COLUMNS if name != "file"}
        self._writer.writerow({"file": error.path, **row, "reason": error.reason})

    @property
    def written(self) -> bool:
        return self._writer is not None

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()


def _sync(
    catalog: Catalog,
    backend: SearchBackend,
    dirty: set[str],
    report: IndexReport,
    fresh: dict[str, list[Record]] | None = None,
    new: set[str] | frozenset[str] = frozenset(),
) -> None:
    """Write the documents of the ``dirty`` clusters; delete the clusters now empty.

    ``fresh`` clusters (founded by this batch, every member in memory) are not read back
    from the catalog; their members are put in the catalog's order (by record key).
    ``new`` clusters are known not to be in the engine (nothing to replace).
    """
    if not dirty:
        return
    fresh = {cid: members for cid, members in (fresh or {}).items() if cid in dirty}
    clusters: list[Cluster] = catalog.clusters(dirty - fresh.keys())
    clusters += [Cluster(cid, sorted(members, key=_record_key)) for cid, members in fresh.items()]
    clusters.sort(key=_cluster_id)
    result: BulkResult = backend.upsert_new((cluster_document(c) for c in clusters), new)
    gone = dirty - {c.id for c in clusters}
    if gone:
        backend.delete(sorted(gone))
    backend.refresh()
    report.clusters_written += result.indexed
    report.clusters_deleted += len(gone)
    for doc_id, reason in result.failed:
        log.error("cluster %s not indexed: %s", doc_id, reason)
        catalog.count(report.source, "engine failure", reason[:80])
    report.engine_failures += result.failed


def prepare_for_index(record: Record) -> Prepared:
    """What indexing derives from ``record`` alone (see :class:`~indexer.dedup.Prepared`):
    the work a mapping worker can take off the indexing process.

    The document of a one-record cluster is not made here: sending it to the parent
    (pickle out, unpickle in) costs about what building it there does.
    """
    return prepare(record)


def _record_key(record: Record) -> str:
    return record.key


def _cluster_id(cluster: Cluster) -> str:
    return cluster.id


class _Run:
    """One indexing run over a record stream for one source."""

    def __init__(self, catalog: Catalog, backend: SearchBackend, report: IndexReport) -> None:
        self.catalog = catalog
        self.backend = backend
        self.report = report
        self.dedup = Deduplicator(catalog)
        #: The engine holds no cluster the catalog does not (so new clusters are absent).
        self.in_step = False

    def check_engine(self) -> None:
        """Find out whether the engine holds only clusters of the catalog.

        The catalog stores, with each batch, the engine's commit mark; an unchanged mark
        means nobody wrote to the engine since. Otherwise (first run, another writer, or a
        crash after an engine commit whose catalog commit never came) the engine's ids
        are compared with the catalog's once, and documents of clusters the catalog does
        not have are deleted. Engines without a mark are never in step: every write
        replaces.
        """
        mark = self.backend.commit_mark
        if mark is None:
            return
        if self.catalog.engine_mark() != mark:
            known = set(self.catalog.iter_cluster_ids())
            orphans = [doc_id for doc_id in self.backend.iter_ids() if doc_id not in known]
            if orphans:
                log.warning("%d index documents had no cluster in the catalog", len(orphans))
                self.backend.delete(orphans)
                self.backend.refresh()
            self.catalog.begin()
            self.catalog.set_engine_mark(self.backend.commit_mark)
            self.catalog.commit()
        self.in_step = True

    def batch(self, records: list[Record | Prepared], deletions: list[str], run: int) -> None:
        self.catalog.begin()
        try:
            dirty = self.dedup.add(records, run) if records else set()
            fresh = self.dedup.fresh
            new = self.dedup.created() if self.in_step else set()
            if deletions:
                dirty |= self.dedup.remove(deletions)
                fresh, new = {}, set()
            self.catalog.count(self.report.source, "read", "", len(records))
            _sync(self.catalog, self.backend, dirty, self.report, fresh, new)
            if self.in_step:
                self.catalog.set_engine_mark(self.backend.commit_mark)
        except BaseException:
            self.catalog.rollback()
            self._engine_rollback()
            raise
        self.catalog.commit()
        self.report.records_in += len(records)
        self.report.deleted += len(deletions)

    def _engine_rollback(self) -> None:
        """Drop the failed batch's uncommitted engine writes: a rerun must not find them
        (it adds the batch's new clusters without looking for them)."""
        try:
            self.backend.rollback()
        except Exception:  # the batch's own error is the one to report
            log.exception("the search engine could not drop the failed batch's writes")
            self.in_step = False


_gc_lock = threading.Lock()
_gc_paused_by = 0
_gc_was_enabled = False


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a run lasts.

    A run keeps tens of thousands of records alive (a batch, the chunks mapped ahead),
    and the collector's automatic collections kept walking them: a quarter to a third of
    the indexing process's time. Records, documents and catalog rows hold no reference
    cycles, so reference counting frees them without it (a collection after each batch
    of a 200k-record run found nothing to free). Whatever cyclic garbage a run might
    leave is collected once the collector is back on. Nested and concurrent runs
    (threads) share one pause; the last one out restores the collector.
    """
    global _gc_paused_by, _gc_was_enabled
    with _gc_lock:
        if _gc_paused_by == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_paused_by += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_paused_by -= 1
            if _gc_paused_by == 0 and _gc_was_enabled:
                gc.enable()


def _batches(
    items: Iterable[Item], size: int
) -> Iterator[tuple[list[Record | Prepared], list[str], list[RecordError]]]:
    records: list[Record | Prepared] = []
    deletions: list[str] = []
    errors: list[RecordError] = []
    for item in items:
        if isinstance(item, RecordError):
            errors.append(item)
        elif isinstance(item, Prepared):
            records.append(item)
        elif item.deleted:
            deletions.append(item.key)
        else:
            records.append(item)
        if len(records) + len(deletions) + len(errors) >= size:
            yield records, deletions, errors
            records, deletions, errors = [], [], []
    if records or deletions or errors:
        yield records, deletions, errors


def index_records(
    records: Iterable[Item],
    source: str,
    settings: Settings,
    backend: SearchBackend,
    *,
    replace: bool = False,
    batch_size: int = BATCH_SIZE,
    progress: object | None = None,
) -> IndexReport:
    """Index a stream of records (and rejects, and ``deleted`` records) for ``source``.

    ``replace=True`` is a full load: afterwards, the source's records this run did not
    see are removed. ``progress`` is anything with ``update(n)`` and ``set_postfix``
    (a tqdm bar).
    """
    settings.ensure_dirs()
    backend.ensure_index()
    report = IndexReport(source=source)
    rejects = RejectsReport(settings.rejects_dir, source)
    with Catalog(settings.catalog_db) as catalog, _collector_paused():
        if replace:
            catalog.reset_counters(source)
        run = catalog.start_run(source)
        worker = _Run(catalog, backend, report)
        worker.check_engine()
        try:
            for batch, deletions, errors in _batches(records, batch_size):
                _reject(catalog, rejects, report, errors)
                worker.batch(batch, deletions, run)
                if progress is not None:
                    progress.update(len(batch) + len(deletions) + len(errors))  # type: ignore[attr-defined]
                    progress.set_postfix(rejects=report.rejected)  # type: ignore[attr-defined]
            if replace:
                stale = catalog.stale_records(source, run)
                for start in range(0, len(stale), batch_size):
                    worker.batch([], stale[start : start + batch_size], run)
            catalog.finish_run(run)
        finally:
            rejects.close()
    report.rejects_file = rejects.path if rejects.written else None
    return report


def _reject(
    catalog: Catalog, rejects: RejectsReport, report: IndexReport, errors: list[RecordError]
) -> None:
    for error in errors:
        reason = reject_reason(error)
        log.warning("rejected (%s): %s", report.source, error.describe())
        rejects.write(error)
        catalog.count(report.source, "reject", reason)
        report.rejected += 1
        report.rejects_by_reason[reason] = report.rejects_by_reason.get(reason, 0) + 1


def apply_deletions(
    source_ids: Iterable[str], source: str, settings: Settings, backend: SearchBackend
) -> IndexReport:
    """Take deleted records of ``source`` (by source id) out of their clusters."""
    deleted = (Record(source=source, source_id=sid, deleted=True) for sid in source_ids)
    return index_records(deleted, source, settings, backend)


def rebuild_index(settings: Settings, backend: SearchBackend, batch_size: int = 1000) -> int:
    """Rewrite every cluster document from the catalog (after a schema change)."""
    backend.ensure_index()
    backend.clear()
    written = 0
    with Catalog(settings.catalog_db) as catalog:
        batch: list[str] = []
        for cluster_id in catalog.iter_cluster_ids():
            batch.append(cluster_id)
            if len(batch) >= batch_size:
                written += backend.upsert(map(cluster_document, catalog.clusters(batch))).indexed
                batch = []
        if batch:
            written += backend.upsert(map(cluster_document, catalog.clusters(batch))).indexed
        backend.refresh()
        catalog.begin()  # the engine now holds exactly the catalog's clusters
        catalog.set_engine_mark(backend.commit_mark)
        catalog.commit()
    return written
