"""Processing holdings uploads (no Flask here): check, store, index, report.

- **MARC** (ISO 2709 MARC 21 / UNIMARC, or MARCXML): the library's print holdings. The
  records go through :func:`indexer.readers.read_records` (holding library = the
  uploader's) and :func:`indexer.pipeline.index_records` under the source
  ``<library>-upload-marc``; with ``replace_all`` the file is the library's complete
  list and its earlier uploaded records that are not in it are withdrawn.
- **KBART**: one package of e-holdings. The lines replace the package in the e-holdings
  store (:meth:`indexer.eholdings.EHoldingStore.load_file`, atomic) and are indexed as
  records under the source ``<library>-kbart-<package>`` (replacing the package's earlier
  records).

The report (stored with the job) counts records read, indexed and rejected, and lists
the rejects (file, record number, byte offset, field, reason); all rejects are also
kept as a TSV next to the upload for download.
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from indexer.backends import SearchBackend
from indexer.eholdings import EHoldingStore
from indexer.pipeline import IndexReport, index_records
from indexer.readers import detect_format, read_records
from indexer.settings import Settings
from mappings.errors import ConsortiumError, RecordError
from search_app.admin_jobs import Job, JobStore

__all__ = [
    "KINDS",
    "check_upload",
    "check_package",
    "process_job",
    "process_queued",
    "source_name",
]

log = logging.getLogger(__name__)

KINDS = ("marc", "kbart")
MARC_FORMATS = ("marc21", "unimarc", "marcxml")
REPORT_REJECTS = 200
_PACKAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.()-]{0,99}$")


def source_name(job: Job) -> str:
    """The catalogue source an upload's records belong to."""
    if job.kind == "kbart":
        return f"{job.library}-kbart-{job.package}"
    return f"{job.library}-upload-marc"


def check_package(name: str) -> str | None:
    """The problem with a KBART package name, or None."""
    if not _PACKAGE.match(name):
        return "use 1-100 letters, digits, spaces and . _ - ( ), starting with a letter or digit"
    return None


def check_upload(kind: str, path: Path) -> str | None:
    """The problem with an uploaded file (by content), or None."""
    if path.stat().st_size == 0:
        return "the file is empty"
    try:
        found = detect_format(path)
    except RecordError:
        found = "unknown"
    if kind == "kbart" and found != "kbart":
        return (
            "not a KBART file: the first line must be the KBART header"
            " (publication_title, …, title_id, …)"
        )
    if kind == "marc" and found not in MARC_FORMATS:
        return "not a MARC file (ISO 2709 MARC 21 / UNIMARC, or MARCXML)"
    return None


def _rejects(job: Job, report: IndexReport) -> tuple[list[dict[str, str]], str]:
    """The first rejects for the report, and all of them as a TSV beside the upload."""
    if report.rejects_file is None or not Path(report.rejects_file).exists():
        return [], ""
    target = Path(job.path).with_name(f"{job.id}-rejects.tsv")
    shown: list[dict[str, str]] = []
    with (
        Path(report.rejects_file).open(encoding="utf-8", newline="") as source,
        target.open("w", encoding="utf-8", newline="") as out,
    ):
        reader = csv.DictReader(source, delimiter="\t")
        writer = csv.DictWriter(out, reader.fieldnames or [], delimiter="\t")
        writer.writeheader()
        for row in reader:
            row["file"] = job.filename
            writer.writerow(row)
            if len(shown) < REPORT_REJECTS:
                shown.append(row)
    return shown, str(target)


def _index(job: Job, settings: Settings, backend: SearchBackend) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if job.kind == "kbart":
        loaded = EHoldingStore(settings.catalog_db)
        try:
            result = loaded.load_file(job.path, job.library, job.package)
        finally:
            loaded.close()
        extra["eholdings_loaded"] = result.loaded
        records = read_records(
            job.path, format="kbart", source=source_name(job), library=job.library,
            package=job.package,
        )  # fmt: skip
        replace = True
    else:
        records = read_records(job.path, source=source_name(job), library=job.library)
        replace = job.replace_all
    report = index_records(records, source_name(job), settings, backend, replace=replace)
    shown, rejects_path = _rejects(job, report)
    return {
        "records_read": report.records_in + report.rejected,
        "indexed": report.records_in,
        "rejected": report.rejected,
        "withdrawn": report.deleted,
        "rejects_by_reason": report.rejects_by_reason,
        "clusters_written": report.clusters_written,
        "engine_failures": len(report.engine_failures),
        "rejects": shown,
        "rejects_path": rejects_path,
        **extra,
    }


def process_job(job_id: int, jobs: JobStore, settings: Settings, backend: SearchBackend) -> Job:
    """Claim and process one queued job; the job (done or failed) afterwards."""
    job = jobs.claim(job_id)
    if job is None:
        found = jobs.get(job_id)
        if found is None:
            raise LookupError(f"no upload job {job_id}")
        return found
    problem = check_upload(job.kind, Path(job.path))
    if problem:
        jobs.finish(job.id, error=problem)
    else:
        try:
            report = _index(job, settings, backend)
        except (ConsortiumError, OSError, ValueError) as exc:
            log.exception("upload job %s failed", job.id)
            jobs.finish(job.id, error=f"{type(exc).__name__}: {exc}")
        else:
            jobs.finish(job.id, report=report, rejects_path=report.pop("rejects_path"))
    done = jobs.get(job.id)
    assert done is not None
    return done


def process_queued(
    jobs: JobStore, settings: Settings, open_backend: Callable[[], SearchBackend]
) -> list[Job]:
    """Process every queued job (oldest first); the backend is opened once, closed after."""
    queued = jobs.queued()
    if not queued:
        return []
    backend = open_backend()
    try:
        return [process_job(job.id, jobs, settings, backend) for job in queued]
    finally:
        backend.close()
