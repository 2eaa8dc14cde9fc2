"""Holdings uploads as jobs: the file kept under ``data_dir/uploads/``, its state in sqlite.

An upload is first written to disk (``uploads/<library>/<job>-<name>``, fsynced) and
recorded as a ``queued`` job, so nothing is lost whatever happens next. Then:

- a file up to ``EFIRST_ADMIN_INLINE_BYTES`` (default 2 MB) is processed in the request;
- a bigger one waits for ``efirst admin process-uploads`` (run it from cron every few
  minutes), so a gunicorn worker never times out on a large file.

Processing claims the job (``queued`` -> ``running``, atomically, so two runners never
take the same job), indexes it, and stores the report (``done``) or the error
(``failed``); the uploaded file stays for re-processing. A job left ``running`` by a
crashed process for longer than ``stale_after`` is queued again by the next run.

Job states: ``queued``, ``running``, ``done``, ``failed``.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from indexer.sqlite import ThreadConnections

__all__ = ["STATES", "Job", "JobStore"]

STATES = ("queued", "running", "done", "failed")
SCHEMA = """
CREATE TABLE IF NOT EXISTS upload_jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    library TEXT NOT NULL,
    kind TEXT NOT NULL,                 -- marc / kbart
    package TEXT NOT NULL DEFAULT '',   -- KBART package name
    filename TEXT NOT NULL,             -- as uploaded
    path TEXT NOT NULL DEFAULT '',      -- where it is kept
    size INTEGER NOT NULL DEFAULT 0,
    replace_all INTEGER NOT NULL DEFAULT 0,
    actor TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'queued',
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    report TEXT NOT NULL DEFAULT '{}',
    error TEXT NOT NULL DEFAULT '',
    rejects_path TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS upload_jobs_library ON upload_jobs (library, id);
CREATE INDEX IF NOT EXISTS upload_jobs_state ON upload_jobs (state, id);
"""


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    library: str
    kind: str
    package: str
    filename: str
    path: str
    size: int
    replace_all: bool
    actor: str
    state: str
    created_at: str
    started_at: str | None
    finished_at: str | None
    report: dict[str, Any]
    error: str
    rejects_path: str


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _safe(name: str) -> str:
    base = Path(name.replace("\\", "/")).name
    return re.sub(r"[^A-Za-z0-9._-]", "_", base)[-100:] or "upload"


class JobStore:
    """Upload jobs in ``<directory>/jobs.sqlite3``; files in ``<directory>/<library>/``."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / "jobs.sqlite3"
        self._db = ThreadConnections(self.path, timeout=60.0, synchronous="FULL")
        self._db.get().executescript(SCHEMA)

    def close(self) -> None:
        """Close this thread's connection."""
        self._db.close()

    def _job(self, row: sqlite3.Row | None) -> Job | None:
        if row is None:
            return None
        data = dict(row)
        data["report"] = json.loads(data["report"] or "{}")
        data["replace_all"] = bool(data["replace_all"])
        return Job(**data)

    # -- creating ------------------------------------------------------------------------

    def add(
        self,
        library: str,
        kind: str,
        filename: str,
        stream: Any,
        *,
        package: str = "",
        replace_all: bool = False,
        actor: str = "",
        chunk: int = 1 << 20,
    ) -> Job:
        """Record a job and write ``stream`` (a binary file object) to disk, fsynced."""
        with self._db.write() as conn:
            job_id = conn.execute(
                "INSERT INTO upload_jobs (library, kind, package, filename, replace_all, actor,"
                " state, created_at) VALUES (?,?,?,?,?,?,'queued',?)",
                (library, kind, package, filename[:200], int(replace_all), actor, _now()),
            ).lastrowid
        assert job_id is not None
        folder = self.directory / _safe(library)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{job_id}-{_safe(filename)}"
        size = 0
        try:
            with target.open("wb") as out:
                while block := stream.read(chunk):
                    out.write(block)
                    size += len(block)
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            self.finish(job_id, error=f"the upload could not be stored: {exc}")
            raise
        with self._db.write() as conn:
            conn.execute(
                "UPDATE upload_jobs SET path = ?, size = ? WHERE id = ?",
                (str(target), size, job_id),
            )
        found = self.get(job_id)
        assert found is not None
        return found

    # -- reading -------------------------------------------------------------------------

    def get(self, job_id: int) -> Job | None:
        row = self._db.get().execute("SELECT * FROM upload_jobs WHERE id = ?", (job_id,))
        return self._job(row.fetchone())

    def jobs(self, library: str | None = None, limit: int = 50) -> list[Job]:
        """Newest first, of one library or all."""
        sql, params = "SELECT * FROM upload_jobs", []
        if library is not None:
            sql += " WHERE library = ?"
            params.append(library)
        rows = self._db.get().execute(f"{sql} ORDER BY id DESC LIMIT ?", (*params, limit))  # noqa: S608
        return [job for job in map(self._job, rows) if job is not None]

    def queued(self) -> list[Job]:
        rows = self._db.get().execute(
            "SELECT * FROM upload_jobs WHERE state = 'queued' ORDER BY id"
        )
        return [job for job in map(self._job, rows) if job is not None]

    # -- state changes -------------------------------------------------------------------

    def claim(self, job_id: int) -> Job | None:
        """Take a queued job for processing (None if someone else took it)."""
        with self._db.write() as conn:
            taken = conn.execute(
                "UPDATE upload_jobs SET state = 'running', started_at = ?, error = ''"
                " WHERE id = ? AND state = 'queued' AND path != ''",
                (_now(), job_id),
            ).rowcount
        return self.get(job_id) if taken else None

    def finish(
        self,
        job_id: int,
        *,
        report: dict[str, Any] | None = None,
        error: str = "",
        rejects_path: str = "",
    ) -> None:
        """``done`` with a report, or ``failed`` with an error."""
        with self._db.write() as conn:
            conn.execute(
                "UPDATE upload_jobs SET state = ?, finished_at = ?, report = ?, error = ?,"
                " rejects_path = ? WHERE id = ?",
                (
                    "failed" if error else "done",
                    _now(),
                    json.dumps(report or {}, ensure_ascii=False),
                    error,
                    rejects_path,
                    job_id,
                ),
            )

    def requeue(self, job_id: int) -> bool:
        """Queue a failed (or stuck) job again; its file is still there."""
        with self._db.write() as conn:
            return bool(
                conn.execute(
                    "UPDATE upload_jobs SET state = 'queued', started_at = NULL"
                    " WHERE id = ? AND state IN ('failed', 'running') AND path != ''",
                    (job_id,),
                ).rowcount
            )

    def requeue_stale(self, stale_after: timedelta = timedelta(hours=2)) -> int:
        """Queue again the jobs left ``running`` (a crashed runner) for ``stale_after``."""
        limit = (datetime.now(UTC) - stale_after).isoformat(timespec="seconds")
        with self._db.write() as conn:
            return conn.execute(
                "UPDATE upload_jobs SET state = 'queued', started_at = NULL"
                " WHERE state = 'running' AND started_at < ?",
                (limit,),
            ).rowcount
