"""COUNTER Release 5.1 output of a :class:`search_app.counter.Report`: tabular (CSV / TSV)
and JSON (the COUNTER_SUSHI API's shape).

Tabular: the 13-row header block (``Report_Name`` … ``Registry_Record``), one blank row,
the column headings, then one row per item, attribute set and metric, with a
``Reporting_Period_Total`` and one column per month (``Jan-2024``). Every header row is
padded to the table's width, and the text starts with a UTF-8 byte-order mark, as in
COUNTER's own samples. Rows whose total is zero are left out.

JSON: ``Report_Header`` (``Report_Filters`` and ``Report_Attributes`` as objects,
``Institution_ID`` as ``{"Proprietary": [...]}``) and ``Report_Items``, each item with
``Attribute_Performance`` → ``Performance`` → metric → ``YYYY-MM`` → count; zero counts
are left out.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from typing import Any

from search_app.counter import Report, ReportRow

__all__ = ["BOM", "HEADER_ROWS", "body_rows", "report_json", "report_table", "table_columns"]

BOM = "\ufeff"
HEADER_ROWS = (
    "Report_Name",
    "Report_ID",
    "Release",
    "Institution_Name",
    "Institution_ID",
    "Metric_Types",
    "Report_Filters",
    "Report_Attributes",
    "Exceptions",
    "Reporting_Period",
    "Created",
    "Created_By",
    "Registry_Record",
)


def _month_label(month: str) -> str:
    return date.fromisoformat(month + "-01").strftime("%b-%Y")


def _is_master(report: Report) -> bool:
    return "_" not in report.spec.id


def table_columns(report: Report) -> list[str]:
    """The column headings of the report's table."""
    spec = report.spec
    first = list(spec.title_columns) if spec.level == "title" else ["Platform"]
    return [
        *first,
        *spec.attributes,
        "Metric_Type",
        "Reporting_Period_Total",
        *(_month_label(m) for m in report.months),
    ]


def _header_values(report: Report) -> dict[str, str]:
    spec = report.spec
    filters = "; ".join(f"{name}={value}" for name, value in spec.filters)
    attributes = ""
    if _is_master(report) and spec.attributes:
        attributes = "Attributes_To_Show=" + "|".join(spec.attributes)
    return {
        "Report_Name": spec.name,
        "Report_ID": spec.id,
        "Release": "5.1",
        "Institution_Name": report.institution_name,
        "Institution_ID": report.institution_id and f"Proprietary:{report.institution_id}",
        "Metric_Types": "; ".join(spec.metrics),
        "Report_Filters": filters,
        "Report_Attributes": attributes,
        "Exceptions": "; ".join(f"{code}: {message}" for code, message in report.exceptions),
        "Reporting_Period": f"Begin_Date={report.begin.isoformat()}; "
        f"End_Date={report.end.isoformat()}",
        "Created": report.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Created_By": report.created_by,
        "Registry_Record": "",
    }


def _item_cells(report: Report, row: ReportRow) -> list[str]:
    if row.item is None:
        return [report.platform]
    info = row.item
    values = {
        "Title": info.title,
        "Publisher": info.publisher,
        "Publisher_ID": "",
        "Platform": report.platform,
        "DOI": info.doi,
        "Proprietary_ID": f"{report.platform}:{info.record}",
        "ISBN": info.isbn,
        "Print_ISSN": info.print_issn,
        "Online_ISSN": info.online_issn,
        "URI": "",
    }
    return [values[name] for name in report.spec.title_columns]


def _table_rows(report: Report) -> Iterator[list[Any]]:
    columns = table_columns(report)
    width = len(columns)
    header = _header_values(report)
    for name in HEADER_ROWS:
        yield [name, header[name]] + [""] * (width - 2)
    yield [""] * width
    yield columns
    yield from body_rows(report)


def body_rows(report: Report) -> list[list[Any]]:
    """The table's rows (no header block, no column headings)."""
    return [
        [
            *_item_cells(report, row),
            *(row.attributes[name] for name in report.spec.attributes),
            row.metric,
            row.total,
            *(row.months.get(m, 0) for m in report.months),
        ]
        for row in report.rows
    ]


def report_table(report: Report, delimiter: str = "\t") -> str:
    """The report as TSV (``delimiter="\\t"``) or CSV (``","``), with a byte-order mark."""
    buffer = io.StringIO()
    buffer.write(BOM)
    terminator = "\n" if delimiter == "\t" else "\r\n"
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=terminator)
    writer.writerows(_table_rows(report))
    return buffer.getvalue()


# -- JSON ----------------------------------------------------------------------------------


def _json_header(report: Report) -> dict[str, Any]:
    spec = report.spec
    filters: dict[str, Any] = {
        "Begin_Date": report.begin.isoformat(),
        "End_Date": report.end.isoformat(),
    }
    if not _is_master(report):
        filters["Metric_Type"] = list(spec.metrics)
    filters |= {name: [value] for name, value in spec.filters}
    header: dict[str, Any] = {
        "Release": "5.1",
        "Report_ID": spec.id,
        "Report_Name": spec.name,
        "Created": report.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Created_By": report.created_by,
        "Institution_Name": report.institution_name,
        "Report_Filters": filters,
    }
    if report.institution_id:
        header["Institution_ID"] = {"Proprietary": [report.institution_id]}
    if _is_master(report) and spec.attributes:
        header["Report_Attributes"] = {"Attributes_To_Show": list(spec.attributes)}
    if report.exceptions:
        header["Exceptions"] = [{"Code": code, "Message": msg} for code, msg in report.exceptions]
    return header


def _item_json(report: Report, row: ReportRow) -> dict[str, Any]:
    if row.item is None:
        return {"Platform": report.platform}
    info = row.item
    ids = {
        "DOI": info.doi,
        "Proprietary": f"{report.platform}:{info.record}",
        "ISBN": info.isbn if "ISBN" in report.spec.title_columns else "",
        "Print_ISSN": info.print_issn,
        "Online_ISSN": info.online_issn,
    }
    item: dict[str, Any] = {
        "Title": info.title,
        "Item_ID": {name: value for name, value in ids.items() if value},
        "Platform": report.platform,
    }
    if info.publisher:
        item["Publisher"] = info.publisher
    return item


def report_json(report: Report) -> dict[str, Any]:
    """The report as COUNTER_SUSHI R5.1 JSON (a dict ready for ``json.dumps``)."""
    items: dict[str, dict[str, Any]] = {}
    performances: dict[tuple[str, tuple[str, ...]], dict[str, Any]] = {}
    for row in report.rows:
        key = row.item.record if row.item is not None else ""
        if key not in items:
            items[key] = {**_item_json(report, row), "Attribute_Performance": []}
        shown = tuple(row.attributes[name] for name in report.spec.attributes)
        block = performances.get((key, shown))
        if block is None:
            block = {**row.attributes, "Performance": {}}
            performances[key, shown] = block
            items[key]["Attribute_Performance"].append(block)
        block["Performance"][row.metric] = {m: n for m, n in row.months.items() if n}
    return {"Report_Header": _json_header(report), "Report_Items": list(items.values())}
