"""``efirst reindex``: rebuild the search index from the catalog without downtime.

Engine errors (Elasticsearch down or refusing) end the command with one line on stderr
and exit status 1, never a traceback.
"""

from __future__ import annotations

import sys

import click
from tqdm import tqdm

from indexer.backends import open_backend
from indexer.reindex import reindex as rebuild_from_catalog
from indexer.settings import Settings
from mappings.errors import ConsortiumError

__all__ = ["commands", "reindex"]


@click.command()
@click.option(
    "--max-failures",
    default=0,
    show_default=True,
    type=click.IntRange(min=0),
    help="Refused documents tolerated before the rebuild is abandoned.",
)
@click.option(
    "--batch-size",
    default=1000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Clusters read from the catalog at a time.",
)
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a tty).")
def reindex(max_failures: int, batch_size: int, progress: bool | None) -> None:
    """Rebuild the search index from the catalog; searches go on meanwhile.

    On Elasticsearch a new versioned index is built and the alias ($EFIRST_INDEX_NAME)
    is switched to it atomically; the old index is then deleted.
    """
    settings = Settings.from_env()
    show = sys.stderr.isatty() if progress is None else progress
    try:
        backend = open_backend(settings)
        try:
            with tqdm(desc="reindex", unit=" clusters", disable=not show, file=sys.stderr) as bar:
                report = rebuild_from_catalog(
                    settings,
                    backend,
                    batch_size=batch_size,
                    max_failures=max_failures,
                    progress=bar,
                )
        finally:
            backend.close()
    except ConsortiumError as exc:
        raise click.ClickException(str(exc)) from None
    where = f" into {report.index}" if report.index else ""
    line = f"reindexed {report.result.indexed} cluster documents{where}"
    if report.previous:
        line += f" (replaced {', '.join(report.previous)})"
    if report.removed:
        line += f"; removed {report.removed} stale"
    click.echo(line)
    for doc_id, reason in report.result.failed:
        click.echo(f"  refused {doc_id or '<no id>'}: {reason}", err=True)


commands = [reindex]
