"""``efirst usage ...``: COUNTER-style usage reports, ILL statistics and the monthly fee
statement, from the data dir (``EFIRST_DATA_DIR``).

- ``efirst usage report --report PR|PR_P1|TR|TR_B1|TR_B2|TR_J1|TR_J2 [--library CODE]
  --from YYYY-MM --to YYYY-MM --format csv|tsv|json [--output FILE]``
- ``efirst usage fees --month YYYY-MM --format csv|html [--detail] [--output FILE]``
- ``efirst usage ill [--from YYYY-MM-DD] [--to YYYY-MM-DD] --format csv|json``

(``efirst stats`` is the indexer's catalogue report; these are separate on purpose.)
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import click

from indexer.settings import Settings
from mappings.errors import ConsortiumError
from mappings.schema import Library
from router.fees import balances_csv, charges_csv, fee_statement
from router.ill_stats import CSV_FIELDS, LibraryStats, Period, collect, consortium, csv_row
from router.ledger import Ledger
from router.members import Consortium, default_members_path, load_consortium, load_members
from search_app.counter import REPORTS, build_report, open_ledger, parse_month
from search_app.counter_format import report_json, report_table
from search_app.fees_html import fee_statement_html
from search_app.usage_store import FILE_NAME, UsageStore

__all__ = ["commands", "usage_group"]

log = logging.getLogger(__name__)

BALANCE_COLUMNS = ("borrowed_filled", "lent_supplied", "lending_balance")


def _settings() -> Settings:
    return Settings.from_env()


def _members(settings: Settings) -> tuple[dict[str, Library], dict[str, str], Consortium]:
    """The members file of the data dir (else the bundled sample): members, names,
    consortium."""
    path = default_members_path({"EFIRST_DATA_DIR": str(settings.data_dir)})
    try:
        libraries = load_members(path)
        group = load_consortium(path)
    except ConsortiumError as exc:
        raise click.ClickException(str(exc)) from exc
    names = {code: lib.name_en or lib.name_zh for code, lib in libraries.items()}
    return libraries, names, group


def _lookup(settings: Settings) -> Callable[[str], dict[str, Any] | None] | None:
    """Record payloads from the search index, when there is one."""
    if not settings.search_url and not settings.index_dir.is_dir():
        return None
    from indexer.backends import open_backend

    try:
        backend = open_backend(settings)
    except (ConsortiumError, OSError, ValueError) as exc:
        log.warning("usage: titles without the index (%s)", exc)
        return None

    def get(record: str) -> dict[str, Any] | None:
        try:
            return backend.get(record)
        except (ConsortiumError, OSError):
            return None

    return get


def _emit(text: str, output: str | None) -> None:
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


@click.group("usage")
def usage_group() -> None:
    """Usage statistics (COUNTER 5-style), ILL statistics and fee statements."""


@usage_group.command("report")
@click.option(
    "--report",
    "report_id",
    required=True,
    type=click.Choice(list(REPORTS), case_sensitive=False),
    help="COUNTER report or standard view",
)
@click.option("--library", help="member library code (default: every library)")
@click.option("--from", "first", required=True, help="first month, YYYY-MM")
@click.option("--to", "last", required=True, help="last month, YYYY-MM")
@click.option("--format", "fmt", type=click.Choice(["csv", "tsv", "json"]), default="tsv")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="file (default stdout)")
def report(
    report_id: str, library: str | None, first: str, last: str, fmt: str, output: str | None
) -> None:
    """A COUNTER Release 5.1-style report of the captured usage."""
    settings = _settings()
    libraries, names, group = _members(settings)
    if library is not None and library not in libraries:
        raise click.BadParameter(f"no member library {library!r}", param_hint="--library")
    try:
        built = build_report(
            report_id,
            UsageStore(settings.data_dir / FILE_NAME),
            first=first,
            last=last,
            library=library,
            ledger=open_ledger(settings.ledger_db),
            lookup=_lookup(settings),
            institution_name=names.get(library, library) if library else group.name_en,
            institution_id=f"{group.code}:{library}" if library else group.code,
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if fmt == "json":
        text = json.dumps(report_json(built), ensure_ascii=False, indent=2) + "\n"
    else:
        text = report_table(built, "\t" if fmt == "tsv" else ",")
    _emit(text, output)


@usage_group.command("fees")
@click.option("--month", required=True, help="YYYY-MM")
@click.option("--format", "fmt", type=click.Choice(["csv", "html"]), default="csv")
@click.option("--detail", is_flag=True, help="CSV: one line per charged request")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="file (default stdout)")
def fees(month: str, fmt: str, detail: bool, output: str | None) -> None:
    """The monthly ILL fee statement: net borrowers pay, net lenders are credited."""
    try:
        month = parse_month(month, "--month")
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--month") from None
    settings = _settings()
    libraries, names, group = _members(settings)
    ledger = open_ledger(settings.ledger_db)
    if ledger is None:
        raise click.ClickException(f"no request ledger at {settings.ledger_db}")
    policies = {code: lib.policy for code, lib in libraries.items()}
    statement = fee_statement(ledger, month, policies, group.currency)
    if fmt == "html":
        text = fee_statement_html(statement, names, group.name_en or group.code)
    else:
        text = charges_csv(statement) if detail else balances_csv(statement, names)
    _emit(text, output)


def _day(text: str | None, name: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter("must be a date YYYY-MM-DD", param_hint=name) from None


def ill_rows(ledger: Ledger, period: Period, names: dict[str, str]) -> list[dict[str, Any]]:
    """router.ill_stats' CSV lines plus the lending/borrowing balance, and a ``*`` line."""
    per_library = collect(ledger, period)
    rows = []
    for code in sorted(set(names) | set(per_library)):
        stats = per_library.get(code, LibraryStats())
        rows.append(_with_balance(csv_row(code, names.get(code, ""), stats), stats))
    total = consortium(per_library)
    rows.append(_with_balance(csv_row("*", "consortium", total), total))
    return rows


def _with_balance(row: dict[str, Any], stats: LibraryStats) -> dict[str, Any]:
    lent = stats.lending["supplied"]
    return {
        **row,
        "borrowed_filled": stats.filled,
        "lent_supplied": lent,
        "lending_balance": lent - stats.filled,
    }


@usage_group.command("ill")
@click.option("--from", "first", help="first day of requests, YYYY-MM-DD")
@click.option("--to", "last", help="last day of requests, YYYY-MM-DD")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv")
def ill(first: str | None, last: str | None, fmt: str) -> None:
    """Fill rate, turnaround and lending/borrowing balance per library."""
    period = Period(_day(first, "--from"), _day(last, "--to"))
    settings = _settings()
    _libraries, names, _group = _members(settings)
    ledger = open_ledger(settings.ledger_db)
    if ledger is None:
        raise click.ClickException(f"no request ledger at {settings.ledger_db}")
    rows = ill_rows(ledger, period, names)
    if fmt == "json":
        click.echo(json.dumps({"libraries": rows}, ensure_ascii=False, indent=2))
        return
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=[*CSV_FIELDS, *BALANCE_COLUMNS], lineterminator="\r\n"
    )
    writer.writeheader()
    writer.writerows(rows)
    click.echo(buffer.getvalue(), nl=False)


commands = [usage_group]
