"""``efirst demo``: load the bundled sample consortium into the data dir, then exit.

What it loads is data, not code: ``indexer/sample/demo.toml`` says which bundled file is
which member's catalogue and which KBART package is licensed to whom. Every source is a
full load (``replace=True``) and every KBART package replaces itself, so running the
command again leaves the same state: it is idempotent.
"""

from __future__ import annotations

import os
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path

import click

from indexer.backends import open_backend
from indexer.eholdings import EHoldingStore
from indexer.pipeline import index_records
from indexer.readers import read_records
from indexer.readers.kbart import read_eholdings
from indexer.settings import Settings
from mappings.errors import BackendError, RecordError
from router.members import SAMPLE_MEMBERS
from router.network import SAMPLE_NETWORK
from search_app.staff_cli import DemoAccount, create_demo_accounts

__all__ = ["DemoSummary", "commands", "load_demo"]

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "indexer" / "sample"
MANIFEST = SAMPLE_DIR / "demo.toml"
#: Members whose staff get demo accounts: they hold sample records and KBART packages.
DEMO_STAFF_LIBRARIES = ["211010", "211040", "221010"]


@dataclass(slots=True)
class DemoSummary:
    sources: int = 0
    records: int = 0
    rejected: int = 0
    eholdings: int = 0
    clusters: int = 0
    accounts: list[DemoAccount] | None = None


def _copy_config(settings: Settings) -> None:
    """Put editable copies of the sample members and network files in the data dir."""
    for sample in (SAMPLE_MEMBERS, SAMPLE_NETWORK):
        target = settings.data_dir / sample.name
        if not target.exists():
            shutil.copyfile(sample, target)


def _load_catalogs(manifest: dict, settings: Settings, summary: DemoSummary) -> None:
    backend = open_backend(settings)
    try:
        for entry in manifest.get("catalog", []):
            path = SAMPLE_DIR / entry["file"]
            for library in entry.get("libraries") or [""]:
                source = f"{entry['source']}-{library}" if library else entry["source"]
                records = read_records(
                    path, format=entry.get("format", "auto"), source=source, library=library
                )
                report = index_records(records, source, settings, backend, replace=True)
                summary.sources += 1
                summary.records += report.records_in
                summary.rejected += report.rejected
        for entry in manifest.get("kbart", []):
            source = f"kbart-{entry['package']}"
            records = read_records(
                SAMPLE_DIR / entry["file"],
                format="kbart",
                source=source,
                library=entry["library"],
                package=entry["package"],
            )
            report = index_records(records, source, settings, backend, replace=True)
            summary.sources += 1
            summary.records += report.records_in
            summary.rejected += report.rejected
        backend.refresh()
        summary.clusters = backend.count()
    finally:
        backend.close()


def _load_eholdings(manifest: dict, settings: Settings, summary: DemoSummary) -> None:
    store = EHoldingStore(settings.catalog_db)
    try:
        for entry in manifest.get("kbart", []):
            lines = read_eholdings(SAMPLE_DIR / entry["file"], entry["library"], entry["package"])
            good = (line for line in lines if not isinstance(line, RecordError))
            summary.eholdings += store.load_package(
                entry["library"], entry["package"], good, source_path=entry["file"]
            )
    finally:
        store.close()


def load_demo(settings: Settings, manifest_path: Path = MANIFEST) -> DemoSummary:
    """Load the sample consortium described by ``manifest_path`` into ``settings``."""
    settings.ensure_dirs()
    manifest = tomllib.loads(manifest_path.read_text(encoding="utf-8"))
    summary = DemoSummary()
    _copy_config(settings)
    _load_eholdings(manifest, settings, summary)
    _load_catalogs(manifest, settings, summary)
    summary.accounts = create_demo_accounts(
        settings, DEMO_STAFF_LIBRARIES, password=os.environ.get("EFIRST_DEMO_PASSWORD") or None
    )
    return summary


@click.command("demo")
def demo() -> None:
    """Load the bundled sample consortium into $EFIRST_DATA_DIR (idempotent)."""
    settings = Settings.from_env()
    click.echo(f"Loading the sample consortium into {settings.data_dir} ...")
    try:
        summary = load_demo(settings)
    except BackendError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"{summary.records} records from {summary.sources} sources "
        f"({summary.rejected} rejected) -> {summary.clusters} de-duplicated records; "
        f"{summary.eholdings} KBART e-holdings. Members: {settings.data_dir / 'members.toml'}"
    )
    for account in summary.accounts or []:
        scope = f" for {account.library}" if account.library else ""
        click.echo(f"  staff account {account.username} ({account.role}{scope})")
    if summary.accounts:
        click.echo(f"  password for these accounts: {summary.accounts[0].password}")
    click.echo('Next: efirst serve   (or: efirst search "中国" --json)')


commands = [demo]
