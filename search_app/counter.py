"""COUNTER Release 5.1-style usage reports from the captured events and the ILL ledger.

Reports (:data:`REPORTS`): the Platform Report ``PR`` and its standard view ``PR_P1``;
the Title Report ``TR`` and its standard views ``TR_B1`` / ``TR_B2`` (books: requests,
access denied) and ``TR_J1`` / ``TR_J2`` (journals). A "title" is a catalogue record (a
de-duplicated cluster); a denial for a citation matching no record is reported under a
``cit:...`` pseudo record named after the citation.

How events become metrics (COUNTER Code of Practice, section 7):

- ``search`` → ``Searches_Platform`` (platform level only);
- ``investigation`` (record viewed) → ``Total_Item_Investigations``;
- ``request`` (full text followed through ``/go``) → ``Total_Item_Requests`` and, as every
  request is also an investigation, ``Total_Item_Investigations``;
- ``Unique_Item_*`` count the distinct sessions per item and month; a record is one
  title, so ``Unique_Title_*`` equal ``Unique_Item_*``; platform figures are the sums;
- ``denial`` → ``No_License``;
- **double clicks**: the same session, item and action within 30 seconds count once;
- ``ILL_Requests`` (an efirst extension, master reports only): delivery requests of the
  library's patrons in the ledger (full-text and own-shelf answers excluded).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from router.ledger import Ledger
from router.queues import connect_readonly, request_title
from search_app.usage import title_of_payload
from search_app.usage_store import TitleInfo, UsageStore

__all__ = [
    "DOUBLE_CLICK_SECONDS",
    "REPORTS",
    "Report",
    "ReportRow",
    "ReportSpec",
    "build_report",
    "month_range",
    "parse_month",
]

DOUBLE_CLICK_SECONDS = 30.0
RELEASE = "5.1"
ILL_METRIC = "ILL_Requests"
INVESTIGATIONS = (
    "Total_Item_Investigations",
    "Unique_Item_Investigations",
    "Unique_Title_Investigations",
)
REQUESTS = ("Total_Item_Requests", "Unique_Item_Requests", "Unique_Title_Requests")
ITEM_METRICS = (
    "Total_Item_Investigations",
    "Total_Item_Requests",
    "Unique_Item_Investigations",
    "Unique_Item_Requests",
    "Unique_Title_Investigations",
    "Unique_Title_Requests",
    "No_License",
)


@dataclass(frozen=True, slots=True)
class ReportSpec:
    """One report or standard view: its metrics, shown attributes and fixed filters."""

    id: str
    name: str
    level: str  # platform / title
    metrics: tuple[str, ...]
    attributes: tuple[str, ...] = ()
    filters: tuple[tuple[str, str], ...] = ()
    title_columns: tuple[str, ...] = ()

    def accepts(self, attributes: Mapping[str, str]) -> bool:
        return all(attributes.get(name, value) == value for name, value in self.filters)


_BOOK_COLUMNS = ("ISBN", "Print_ISSN", "Online_ISSN")
_TITLE_COLUMNS = ("Title", "Publisher", "Publisher_ID", "Platform", "DOI", "Proprietary_ID")
_REGULAR = (("Access_Method", "Regular"),)

REPORTS: dict[str, ReportSpec] = {
    spec.id: spec
    for spec in (
        ReportSpec(
            "PR",
            "Platform Report",
            "platform",
            ("Searches_Platform", *ITEM_METRICS, ILL_METRIC),
            ("Access_Method",),
        ),
        ReportSpec(
            "PR_P1",
            "Platform Usage",
            "platform",
            ("Searches_Platform", *REQUESTS),
            filters=_REGULAR,
        ),
        ReportSpec(
            "TR",
            "Title Report",
            "title",
            (*ITEM_METRICS, ILL_METRIC),
            ("Data_Type", "YOP", "Access_Type", "Access_Method"),
            title_columns=(*_TITLE_COLUMNS, *_BOOK_COLUMNS, "URI"),
        ),
        ReportSpec(
            "TR_B1",
            "Book Requests (Controlled)",
            "title",
            ("Total_Item_Requests", "Unique_Title_Requests"),
            ("YOP",),
            (("Data_Type", "Book"), ("Access_Type", "Controlled"), *_REGULAR),
            (*_TITLE_COLUMNS, *_BOOK_COLUMNS, "URI"),
        ),
        ReportSpec(
            "TR_B2",
            "Book Access Denied",
            "title",
            ("Limit_Exceeded", "No_License"),
            ("YOP",),
            (("Data_Type", "Book"), *_REGULAR),
            (*_TITLE_COLUMNS, *_BOOK_COLUMNS, "URI"),
        ),
        ReportSpec(
            "TR_J1",
            "Journal Requests (Controlled)",
            "title",
            ("Total_Item_Requests", "Unique_Item_Requests"),
            (),
            (("Data_Type", "Journal"), ("Access_Type", "Controlled"), *_REGULAR),
            (*_TITLE_COLUMNS, "Print_ISSN", "Online_ISSN", "URI"),
        ),
        ReportSpec(
            "TR_J2",
            "Journal Access Denied",
            "title",
            ("Limit_Exceeded", "No_License"),
            (),
            (("Data_Type", "Journal"), *_REGULAR),
            (*_TITLE_COLUMNS, "Print_ISSN", "Online_ISSN", "URI"),
        ),
    )
}


@dataclass(slots=True)
class ReportRow:
    """One table row: an item (None at platform level), its attributes, one metric."""

    item: TitleInfo | None
    attributes: dict[str, str]
    metric: str
    months: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.months.values())


@dataclass(slots=True)
class Report:
    """A computed report, ready for :mod:`search_app.counter_format`."""

    spec: ReportSpec
    institution_name: str
    institution_id: str
    months: list[str]
    rows: list[ReportRow]
    platform: str = "efirst"
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    created_by: str = "efirst"
    exceptions: list[tuple[int, str]] = field(default_factory=list)

    @property
    def begin(self) -> date:
        return date.fromisoformat(self.months[0] + "-01")

    @property
    def end(self) -> date:
        year, month = map(int, self.months[-1].split("-"))
        following = date(year + month // 12, month % 12 + 1, 1)
        return date.fromordinal(following.toordinal() - 1)


def parse_month(text: str, what: str = "month") -> str:
    """``YYYY-MM`` checked; ``ValueError`` naming ``what`` otherwise."""
    try:
        parsed = datetime.strptime(text.strip(), "%Y-%m")
    except ValueError:
        raise ValueError(f"{what}: must be a month YYYY-MM, not {text[:20]!r}") from None
    return f"{parsed.year:04d}-{parsed.month:02d}"


def month_range(first: str, last: str) -> list[str]:
    """Every ``YYYY-MM`` from ``first`` to ``last`` inclusive (at most 10 years)."""
    year, month = map(int, first.split("-"))
    found = []
    while f"{year:04d}-{month:02d}" <= last and len(found) <= 120:
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    if not found or found[-1] != last:
        raise ValueError(f"to: {last} must not be before from: {first} (at most 10 years)")
    return found


# -- counting ------------------------------------------------------------------------------

Key = tuple[str, str, str]  # record, access type, month


@dataclass(slots=True)
class _Tally:
    searches: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    totals: dict[tuple[Key, str], int] = field(default_factory=lambda: defaultdict(int))
    sessions: dict[tuple[Key, str], set[str]] = field(default_factory=lambda: defaultdict(set))

    def count(self, rows: Iterable[Any]) -> None:
        last: dict[tuple[str, str, str], datetime] = {}
        for row in rows:
            if row["kind"] == "search":
                self.searches[row["month"]] += 1
                continue
            at = datetime.fromisoformat(row["at"])
            click = (row["session"], row["record"], row["kind"])
            before = last.get(click)
            last[click] = at
            if before is not None and (at - before).total_seconds() <= DOUBLE_CLICK_SECONDS:
                continue
            key = (row["record"], row["access"], row["month"])
            if row["kind"] == "denial":
                self.totals[key, "No_License"] += 1
                continue
            self.totals[key, "Total_Item_Investigations"] += 1
            self.sessions[key, "investigation"].add(row["session"])
            if row["kind"] == "request":
                self.totals[key, "Total_Item_Requests"] += 1
                self.sessions[key, "request"].add(row["session"])

    def item_counts(self) -> dict[Key, dict[str, int]]:
        found: dict[Key, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for (key, metric), n in self.totals.items():
            found[key][metric] += n
        for (key, kind), sessions in self.sessions.items():
            names = INVESTIGATIONS[1:] if kind == "investigation" else REQUESTS[1:]
            for metric in names:
                found[key][metric] = len(sessions)
        return found


def ill_requests(ledger: Ledger, months: list[str], library: str | None) -> list[tuple[str, str]]:
    """``(record, month)`` of every delivery request created in ``months`` (by borrower)."""
    sql = (
        "SELECT substr(created_at, 1, 7) AS month, request_json FROM requests"
        " WHERE kind IN ('lend', 'none') AND substr(created_at, 1, 7) BETWEEN ? AND ?"
    )
    params = [months[0], months[-1]]
    if library is not None:
        sql += " AND borrower = ?"
        params.append(library)
    found = []
    conn = connect_readonly(ledger)
    try:
        for row in conn.execute(sql, params):
            asked = json.loads(row["request_json"])
            record = str(asked.get("record_id") or "")
            if not record:
                record = "ill:" + request_title(asked)
            found.append((record, row["month"]))
    finally:
        conn.close()
    return found


# -- building reports ----------------------------------------------------------------------

TitleLookup = Callable[[str], dict[str, Any] | None]
NO_USAGE = (3030, "No Usage Available for Requested Dates")
PARTIAL = (3040, "Partial Data Returned")


def _titles(
    store: UsageStore, records: set[str], lookup: TitleLookup | None
) -> dict[str, TitleInfo]:
    """Title snapshots for ``records``: stored ones, else looked up (and stored)."""
    found = store.titles(records)
    for record in sorted(records - set(found)):
        payload = None
        if lookup is not None and not record.startswith(("cit:", "ill:")):
            payload = lookup(record)
        if payload is not None:
            info = title_of_payload({**payload, "id": record})
            store.remember_title(info)
        else:
            title = record[4:] if record.startswith("ill:") else record
            info = TitleInfo(record, title=title, data_type="Unspecified")
        found[record] = info
    return found


def _attributes(info: TitleInfo | None, access: str) -> dict[str, str]:
    attributes = {"Access_Type": access, "Access_Method": "Regular"}
    if info is not None:
        attributes |= {"Data_Type": info.data_type or "Unspecified", "YOP": info.yop or "9999"}
    return attributes


def _platform_rows(
    spec: ReportSpec, tally: _Tally, items: dict[Key, dict[str, int]], months: list[str]
) -> list[ReportRow]:
    sums: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(months, 0))
    sums["Searches_Platform"].update(tally.searches)
    for (_record, _access, month), counts in items.items():
        for metric, n in counts.items():
            sums[metric][month] += n
    shown = {name: "Regular" for name in spec.attributes}
    return [
        ReportRow(None, dict(shown), metric, sums[metric])
        for metric in spec.metrics
        if any(sums[metric].values())
    ]


def _title_rows(
    spec: ReportSpec,
    items: dict[Key, dict[str, int]],
    titles: dict[str, TitleInfo],
    months: list[str],
) -> list[ReportRow]:
    grouped: dict[tuple[str, tuple[str, ...], str], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(months, 0)
    )
    for (record, access, month), counts in items.items():
        attributes = _attributes(titles[record], access)
        if not spec.accepts(attributes):
            continue
        shown = tuple(attributes[name] for name in spec.attributes)
        for metric, n in counts.items():
            if metric in spec.metrics and n:
                grouped[record, shown, metric][month] += n
    order = {metric: n for n, metric in enumerate(spec.metrics)}
    keys = sorted(grouped, key=lambda k: (titles[k[0]].title.casefold(), k[0], k[1], order[k[2]]))
    return [
        ReportRow(
            titles[record],
            dict(zip(spec.attributes, shown, strict=True)),
            metric,
            grouped[record, shown, metric],
        )
        for record, shown, metric in keys
    ]


def build_report(
    report_id: str,
    store: UsageStore,
    *,
    first: str,
    last: str,
    library: str | None = None,
    ledger: Ledger | None = None,
    lookup: TitleLookup | None = None,
    institution_name: str = "",
    institution_id: str = "",
    platform: str = "efirst",
    now: datetime | None = None,
) -> Report:
    """Compute report ``report_id`` (see :data:`REPORTS`) for ``library`` (every library
    when None) over the months ``first``..``last`` (``YYYY-MM``).

    Raises
    ------
    ValueError
        An unknown report id or a bad month range (the message names the option).
    """
    spec = REPORTS.get(report_id.upper())
    if spec is None:
        raise ValueError(f"report: {report_id!r} is not one of {', '.join(REPORTS)}")
    months = month_range(parse_month(first, "from"), parse_month(last, "to"))
    tally = _Tally()
    tally.count(store.events(months[0], months[-1], library))
    items = tally.item_counts()
    if ledger is not None and ILL_METRIC in spec.metrics:
        for record, month in ill_requests(ledger, months, library):
            items[record, "Controlled", month][ILL_METRIC] += 1
    if spec.level == "platform":
        rows = _platform_rows(spec, tally, items, months)
    else:
        titles = _titles(store, {key[0] for key in items}, lookup)
        rows = _title_rows(spec, items, titles, months)
    moment = now or datetime.now(UTC)
    exceptions = [] if rows else [NO_USAGE]
    if months[-1] >= moment.strftime("%Y-%m"):
        exceptions.append(PARTIAL)
    return Report(
        spec,
        institution_name or library or "All member libraries",
        institution_id,
        months,
        rows,
        platform=platform,
        created=moment,
        exceptions=exceptions,
    )


def open_ledger(path: Path) -> Ledger | None:
    """The ledger at ``path`` when it exists (reports work without one)."""
    return Ledger(path) if path.is_file() else None
