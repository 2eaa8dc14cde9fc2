"""``efirst admin ...``: processing the holdings uploads of the admin pages.

::

    efirst admin process-uploads            # every queued upload (run from cron)
    efirst admin process-uploads --retry 12 # queue failed upload 12 again, then process
    efirst admin list-uploads [--library 211010]

Uploads bigger than ``EFIRST_ADMIN_INLINE_BYTES`` (default 2 MB) wait for this command,
so a web worker never indexes a large file. A crontab line such as
``*/5 * * * * efirst admin process-uploads`` keeps the queue short. Uploads left
``running`` by a crashed run for ``--stale-hours`` (default 2) are queued again first.
The data directory and the search engine come from ``EFIRST_DATA_DIR`` and
``EFIRST_SEARCH_URL``, as for ``efirst index``.
"""

from __future__ import annotations

from datetime import timedelta

import click

from indexer.backends import open_backend
from indexer.settings import Settings
from search_app.admin_jobs import JobStore
from search_app.admin_process import process_queued

__all__ = ["admin", "commands"]


@click.group()
def admin() -> None:
    """Member administration: holdings uploads."""


def _jobs(settings: Settings) -> JobStore:
    return JobStore(settings.data_dir / "uploads")


@admin.command("process-uploads")
@click.option("--stale-hours", default=2.0, show_default=True, help="Re-queue stuck jobs.")
@click.option("--retry", "retry", type=int, multiple=True, help="Queue a failed job again.")
def process_uploads(stale_hours: float, retry: tuple[int, ...]) -> None:
    """Index every queued holdings upload and store its report."""
    settings = Settings.from_env()
    jobs = _jobs(settings)
    requeued = jobs.requeue_stale(timedelta(hours=stale_hours))
    if requeued:
        click.echo(f"{requeued} stuck upload(s) queued again")
    for job_id in retry:
        if not jobs.requeue(job_id):
            raise click.ClickException(f"upload {job_id} is not a failed upload")
    done = process_queued(jobs, settings, lambda: open_backend(settings))
    for job in done:
        if job.state == "done":
            report = job.report
            click.echo(
                f"upload {job.id} ({job.library}, {job.kind}, {job.filename}): "
                f"{report.get('records_read', 0)} read, {report.get('indexed', 0)} indexed, "
                f"{report.get('rejected', 0)} rejected"
            )
        else:
            click.echo(f"upload {job.id} ({job.library}, {job.filename}) failed: {job.error}")
    if not done:
        click.echo("no queued uploads")
    if any(job.state == "failed" for job in done):
        raise SystemExit(1)


@admin.command("list-uploads")
@click.option("--library", default=None, help="Only this library's uploads.")
def list_uploads(library: str | None) -> None:
    """The latest uploads and their states."""
    for job in _jobs(Settings.from_env()).jobs(library):
        click.echo(f"{job.id}\t{job.library}\t{job.kind}\t{job.state}\t{job.filename}\t{job.error}")


commands = [admin]
