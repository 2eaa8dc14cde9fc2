"""``efirst index``, ``efirst stats`` and ``efirst search``.

Engine errors (Elasticsearch down, a locked index) end the command with a one-line
message on stderr and exit status 1, never a traceback.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import orjson
from tqdm import tqdm

from indexer.backends import SearchQuery, open_backend
from indexer.backends.base import SearchResults
from indexer.catalog import Catalog
from indexer.parallel import read_parallel
from indexer.pipeline import IndexReport, index_records
from indexer.settings import Settings
from mappings.errors import ConsortiumError
from mappings.fields import FIELDS, SORTS

__all__ = ["commands", "index", "search", "stats"]

F = TypeVar("F", bound=Callable[..., Any])


def _clean_errors(func: F) -> F:
    """Turn efirst's own errors into one line on stderr and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (ConsortiumError, OSError) as exc:
            raise click.ClickException(str(exc) or type(exc).__name__) from None

    return wrapper  # type: ignore[return-value]


def _summary(report: IndexReport) -> str:
    lines = [
        f"{report.source}: {report.records_in} records read, {report.deleted} removed, "
        f"{report.rejected} rejected; "
        f"{report.clusters_written} cluster documents written, "
        f"{report.clusters_deleted} deleted"
    ]
    for reason, n in sorted(report.rejects_by_reason.items(), key=lambda kv: -kv[1]):
        lines.append(f"  rejected {n:>7}  {reason}")
    if report.rejects_file:
        lines.append(f"  rejects report: {report.rejects_file}")
    if report.engine_failures:
        lines.append(f"  {len(report.engine_failures)} documents refused by the search engine")
    return "\n".join(lines)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--source", help="Source name (default: each file's name without suffix).")
@click.option(
    "--format",
    "fmt",
    default="auto",
    show_default=True,
    help="marc21, unimarc, cnmarc, marcxml, oai_dc, kbart, csv, excel or auto.",
)
@click.option("--library", default="", help="Holding library code for the records' holdings.")
@click.option(
    "--incremental",
    is_flag=True,
    help="Add and update only; keep the source's records that are not in PATHS.",
)
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a tty).")
@_clean_errors
def index(
    paths: tuple[str, ...], source: str | None, fmt: str, library: str, incremental: bool,
    progress: bool | None,
) -> None:  # fmt: skip
    """Index files of records into the search engine, de-duplicated.

    A full load (the default) replaces the source's contributions: records of the source
    that are not in PATHS leave their clusters.
    """
    settings = Settings.from_env()
    backend = open_backend(settings)
    show = sys.stderr.isatty() if progress is None else progress
    groups: dict[str, list[str]] = {}
    for path in paths:
        groups.setdefault(source or Path(path).stem, []).append(path)
    try:
        for name, files in groups.items():
            stream = (
                item
                for path in files
                for item in read_parallel(
                    path, format=fmt, source=name, library=library, prepared=True
                )
            )
            with tqdm(desc=name, unit=" rec", disable=not show, file=sys.stderr) as bar:
                report = index_records(
                    stream, name, settings, backend, replace=not incremental, progress=bar
                )
            click.echo(_summary(report))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    finally:
        backend.close()


@click.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of a table.")
@_clean_errors
def stats(as_json: bool) -> None:
    """Records in, clusters out, rejects and de-duplication vetoes by reason, per source."""
    settings = Settings.from_env()
    if not settings.catalog_db.exists():
        raise click.ClickException(f"nothing indexed yet in {settings.data_dir}")
    with Catalog(settings.catalog_db) as catalog:
        records, clusters = catalog.totals()
        sources: dict[str, dict[str, Any]] = {}
        for name, stored, in_clusters in catalog.source_totals():
            sources[name] = {"records": stored, "clusters": in_clusters, "read": 0,
                             "rejects": {}, "vetoes": {}}  # fmt: skip
        for name, kind, reason, n in catalog.counters():
            entry = sources.setdefault(
                name, {"records": 0, "clusters": 0, "read": 0, "rejects": {}, "vetoes": {}}
            )
            if kind == "read":
                entry["read"] += n
            elif kind == "reject":
                entry["rejects"][reason] = n
            elif kind == "veto":
                entry["vetoes"][reason] = n
    data = {"records": records, "clusters": clusters, "sources": sources}
    if as_json:
        click.echo(orjson.dumps(data).decode())
        return
    click.echo(f"records in: {records}   clusters out: {clusters}")
    for name, entry in sources.items():
        rejected = sum(entry["rejects"].values())
        click.echo(
            f"\n{name}: {entry['records']} records in {entry['clusters']} clusters "
            f"({entry['read']} read, {rejected} rejected)"
        )
        for reason, n in entry["rejects"].items():
            click.echo(f"  rejected {n:>7}  {reason}")
        for reason, n in entry["vetoes"].items():
            click.echo(f"  vetoed   {n:>7}  {reason}")


def _filters(values: tuple[str, ...]) -> dict[str, list[str]]:
    known = {f.name for f in FIELDS if f.kind in ("keyword", "integer")}
    filters: dict[str, list[str]] = {}
    for value in values:
        name, sep, wanted = value.partition("=")
        if not sep or name not in known:
            raise click.BadParameter(
                f"{value!r}: expected FIELD=VALUE with FIELD one of {', '.join(sorted(known))}",
                param_hint="--filter",
            )
        filters.setdefault(name, []).append(wanted)
    return filters


def _json_hit(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": doc.get("id"),
        "title": doc.get("title", ""),
        "authors": doc.get("authors", []),
        "year": doc.get("year"),
        "format": doc.get("format", ""),
        "isbn": doc.get("isbn", []),
        "issn": doc.get("issn", []),
        "holdings": [
            {
                "library": h.get("library", ""),
                "kind": h.get("kind", ""),
                "call_number": h.get("call_number", ""),
            }
            for h in doc.get("holdings", [])
        ],  # fmt: skip
        "links": [
            {"url": lk.get("url", ""), "access": lk.get("access", "")}
            for lk in doc.get("links", [])
        ],  # fmt: skip
    }


def _print_listing(results: SearchResults, offset: int) -> None:
    click.echo(f"{results.total} results")
    for n, hit in enumerate(results.hits, offset + 1):
        doc = hit.doc
        year = doc.get("year") or ""
        authors = "; ".join(doc.get("authors", [])[:3])
        click.echo(f"\n{n:>3}. {doc.get('title', '')}  [{doc.get('format', '')}, {year}]")
        if authors:
            click.echo(f"     {authors}")
        ids = doc.get("isbn", [])[:2] + doc.get("issn", [])[:2]
        click.echo(f"     id {hit.id}" + (f"   {' '.join(ids)}" if ids else ""))
        for h in doc.get("holdings", [])[:5]:
            click.echo(
                f"     {h.get('kind', '')} @ {h.get('library', '')} {h.get('call_number', '')}"
            )
        for link in doc.get("links", [])[:3]:
            click.echo(f"     {link.get('access', '')}: {link.get('url', '')}")


@click.command()
@click.argument("query", default="")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(0, 1000))
@click.option("--offset", default=0, type=click.IntRange(0, None))
@click.option(
    "--filter",
    "filters",
    multiple=True,
    metavar="FIELD=VALUE",
    help="Repeatable; values of one field are ORed.",
)
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@_clean_errors
def search(
    query: str, as_json: bool, limit: int, offset: int, filters: tuple[str, ...], sort: str
) -> None:
    """Search the index (words, or an ISBN / ISSN / DOI)."""
    backend = open_backend(Settings.from_env())
    try:
        results = backend.search(
            SearchQuery(
                text=query, filters=_filters(filters), limit=limit, offset=offset, sort=sort
            )  # fmt: skip
        )
    finally:
        backend.close()
    if as_json:
        data = {
            "total": results.total,
            "hits": [_json_hit(hit.doc) for hit in results.hits],
            "facets": {
                name: [[v, n] for v, n in values] for name, values in results.facets.items()
            },
        }
        click.echo(orjson.dumps(data).decode())
    else:
        _print_listing(results, offset)


commands = [index, stats, search]
