"""``efirst delivery purge``: delete delivered copies whose links are used up or expired.

::

    # crontab: every hour
    17 * * * *  efirst delivery purge --quiet

Idempotent and safe to run while the portal serves downloads: each run marks the
expired or used-up documents deleted (one sqlite transaction), removes their files, and
removes stray files no live document owns (an upload interrupted by a crash) once they
are older than ``--orphan-hours``. Exit status 0 when it ran, also when nothing was due.
"""

from __future__ import annotations

from datetime import timedelta

import click

from indexer.settings import Settings
from search_app.delivery_store import DeliveryStore

__all__ = ["commands", "delivery", "open_store"]


def open_store(settings: Settings | None = None) -> DeliveryStore:
    """The delivery store of ``$EFIRST_DATA_DIR``."""
    settings = settings or Settings.from_env()
    return DeliveryStore(settings.data_dir / "delivery.sqlite3", settings.data_dir / "delivery")


@click.group()
def delivery() -> None:
    """Secure document delivery: housekeeping."""


@delivery.command()
@click.option(
    "--orphan-hours",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    help="Remove unowned files older than this.",
)
@click.option("--quiet", "-q", is_flag=True, help="Print nothing unless something was deleted.")
def purge(orphan_hours: float, quiet: bool) -> None:
    """Delete the files of expired or used-up delivery links."""
    report = open_store().purge(orphan_age=timedelta(hours=orphan_hours))
    if report.total or not quiet:
        click.echo(
            f"deleted {report.expired} expired, {report.used_up} used-up,"
            f" {report.orphans} orphaned file(s)"
        )


commands = [delivery]
