"""``efirst harvest SOURCE``: harvest an OAI-PMH source of the sources file and index it.

The harvested records go through the indexing pipeline (:func:`indexer.pipeline.
index_records`); only when it has committed them is the harvest committed (spool emptied,
next ``from`` advanced), so an interrupted run loses nothing and the next one resumes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from tqdm import tqdm

from indexer.harvest.oai import commit_harvest, harvest
from indexer.harvest.sources import load_sources, sources_path
from indexer.settings import Settings
from mappings.errors import ConsortiumError

__all__ = ["commands", "harvest_command"]


@click.command("harvest")
@click.argument("source")
@click.option(
    "--sources",
    "sources_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Sources file (default: $EFIRST_DATA_DIR/sources.toml).",
)
@click.option("--full", is_flag=True, help="Forget the last harvest date: harvest everything.")
def harvest_command(source: str, sources_file: Path | None, full: bool) -> None:
    """Harvest SOURCE (a table of the sources file) over OAI-PMH and index it."""
    from indexer.backends import open_backend
    from indexer.harvest.state import HarvestState
    from indexer.pipeline import index_records

    settings = Settings.from_env()
    settings.ensure_dirs()
    try:
        sources = load_sources(sources_file or sources_path(settings))
        if source not in sources:
            raise click.UsageError(f"no source {source!r}; known: {', '.join(sorted(sources))}")
        config = sources[source]
        if full:
            with HarvestState(settings.catalog_db) as state:
                state.reset(source)
        backend = open_backend(settings)
        with tqdm(unit=" records", desc=f"harvest {source}", file=sys.stderr) as bar:
            items = harvest(config, settings)
            report = index_records(items, source, settings, backend, progress=bar)
        state = commit_harvest(source, settings)
    except ConsortiumError as exc:
        click.echo(f"efirst harvest: {exc}", err=True)
        sys.exit(1)
    click.echo(
        f"{source}: {report.records_in} records in, {report.deleted} deleted, "
        f"{report.rejected} rejected; next harvest from {state.committed_from or 'the start'}"
    )


commands = [harvest_command]
