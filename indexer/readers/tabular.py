"""Vendor title lists in CSV/TSV or Excel (.xlsx), mapped to Records by a column mapping.

A column mapping is a source mapping with ``reader = "tabular"`` (see
``mappings/sources/vendor_csv.toml`` and docs/mapping.md): each ``[fields.<Record
field>]`` names the ``column`` (or columns) feeding it and the transforms cleaning the
values; ``[[links]]`` and ``[[holdings]]`` name the URL and holding columns. Header cells
are matched case- and spacing-insensitively.

Text files are decoded whatever their encoding (:mod:`indexer.readers.textlines`) and
their delimiter (comma, tab, semicolon, pipe) is detected from the header line. Every
problem is a :class:`~mappings.errors.RecordError` naming file, row and column, and the
rest of the file goes on.

Mapping ``[settings]``: ``delimiter`` (force one), ``encoding`` (force one), ``sheet``
(Excel sheet name; default the first), ``required`` (Record fields a row must fill,
default ``["title"]``), ``id_column`` (the vendor's stable id; default: ISBN/ISSN, then
the row number), ``holding_kind`` (``electronic`` by default: vendor lists are e-books
and e-journals), ``aliases`` (header spelling -> column name).
"""

from __future__ import annotations

import csv
import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from indexer.map import apply_values, get_mapping
from indexer.readers.textlines import Line, read_lines
from mappings.errors import RecordError
from mappings.loader import Mapping
from mappings.schema import Holding, Link, Record

__all__ = ["Row", "column_key", "map_row", "read_rows", "read_tabular_records"]

_DELIMITERS = ",\t;|"
_EXCEL_SUFFIXES = (".xlsx", ".xlsm")


@dataclass(frozen=True, slots=True)
class Row:
    """One data row: 1-based ``number`` (file line or sheet row), byte ``offset``, values."""

    number: int
    offset: int | None
    values: dict[str, str]


def column_key(name: str, aliases: dict[str, str] | None = None) -> str:
    """A header cell as a column key: lower case, spaces/hyphens as ``_``, aliases applied."""
    key = re.sub(r"[\s\-]+", "_", str(name).strip().lstrip("\ufeff").strip().lower())
    return (aliases or {}).get(key, key)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # ISBNs and years stored as numbers by Excel
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def read_rows(
    path: str | Path,
    *,
    delimiter: str = "",
    encoding: str | None = None,
    sheet: str = "",
    aliases: dict[str, str] | None = None,
) -> Iterator[Row | RecordError]:
    """Rows of a CSV/TSV or .xlsx file as ``{column_key: text}`` (empty cells left out)."""
    if str(path).lower().endswith(_EXCEL_SUFFIXES):
        yield from _excel_rows(Path(path), sheet, aliases)
    else:
        yield from _text_rows(Path(path), delimiter, encoding, aliases)


def _excel_rows(
    path: Path, sheet: str, aliases: dict[str, str] | None
) -> Iterator[Row | RecordError]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile/KeyError/ValueError on bad files
        yield RecordError(f"not a readable .xlsx workbook: {exc}", path=str(path))
        return
    try:
        if sheet and sheet not in book.sheetnames:
            yield RecordError(f"no sheet {sheet!r} (sheets: {book.sheetnames})", path=str(path))
            return
        rows = (book[sheet] if sheet else book.worksheets[0]).iter_rows(values_only=True)
        header: list[str] = []
        for number, cells in enumerate(rows, start=1):
            texts = [_cell_text(c) for c in cells]
            if not header:
                header = [column_key(t, aliases) for t in texts] if any(texts) else []
                continue
            values = {header[i]: t for i, t in enumerate(texts) if t and i < len(header)}
            if values:
                yield Row(number, None, values)
    finally:
        book.close()


def _sniff(header: str, forced: str) -> str:
    if forced:
        return "\t" if forced in ("\\t", "tab") else forced
    counts = {d: header.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _text_rows(
    path: Path, delimiter: str, encoding: str | None, aliases: dict[str, str] | None
) -> Iterator[Row | RecordError]:
    pending: list[RecordError] = []
    current: list[Line] = []

    def texts() -> Iterator[str]:
        for item in read_lines(path, encoding):
            if isinstance(item, RecordError):
                pending.append(item)
                continue
            current.append(item)
            yield item.text + "\n"

    lines = texts()
    header_line = next((t for t in lines if t.strip()), "")
    if not header_line:
        yield from pending
        yield RecordError("empty file: no header row", path=str(path), record=1, field="header")
        return
    sep = _sniff(header_line, delimiter)
    header = [column_key(c, aliases) for c in next(csv.reader([header_line], delimiter=sep))]
    current.clear()
    try:
        for cells in csv.reader(lines, delimiter=sep):
            yield from pending
            pending.clear()
            first = current[0]
            current.clear()
            values = {header[i]: c.strip() for i, c in enumerate(cells) if i < len(header)}
            values = {k: v for k, v in values.items() if v}
            if values:
                yield Row(first.number, first.offset, values)
    except csv.Error as exc:
        where = current[0] if current else None
        yield RecordError(
            f"unreadable {sep!r}-separated text: {exc}",
            path=str(path),
            record=where.number if where else None,
            offset=where.offset if where else None,
        )
    yield from pending


def map_row(values: dict[str, str], mapping: Mapping, source: str, source_id: str) -> Record:
    """Apply ``mapping``'s field rules to one row's values (columns by :func:`column_key`)."""
    record = Record(source=source, source_id=source_id)
    aliases = mapping.settings.get("aliases")
    for rule in mapping.fields:
        if rule.extractor is not None:
            found = rule.extractor(values)
        else:
            found = [values[k] for k in (column_key(s, aliases) for s in rule.specs) if k in values]
        apply_values(record, rule, found)  # even when empty: "default:..." transforms
    return record


def _columns(
    specs: tuple[object, ...] | tuple[str, ...], aliases: dict[str, str] | None
) -> list[str]:
    return [column_key(str(s), aliases) for s in specs]


def _add_links_and_holdings(record: Record, row: Row, mapping: Mapping, library: str) -> None:
    aliases = mapping.settings.get("aliases")
    for rule in mapping.links:
        for column in _columns(rule.specs, aliases):
            url = row.values.get(column, "")
            if url.startswith(("http://", "https://")):
                access = rule.access or mapping.settings.get("access_default", "licensed")
                record.links.append(Link(url=url, access=access, label=rule.label, library=library))
    kind = str(mapping.settings.get("holding_kind", "electronic"))
    for hold in mapping.holdings:
        if not any(row.values.get(c) for c in _columns((hold.tag,), aliases)):
            continue

        def first(columns: tuple[str, ...]) -> str:
            return next((row.values[c] for c in _columns(columns, aliases) if c in row.values), "")

        record.holdings.append(
            Holding(
                library=library,
                kind=kind,
                location=first(hold.location),
                call_number=first(hold.call_number),
                status=first(hold.status),
                coverage=first(hold.coverage),
                url=first(hold.url),
            )
        )


def _source_id(record: Record, row: Row, mapping: Mapping) -> str:
    id_column = mapping.settings.get("id_column")
    if id_column:
        value = row.values.get(column_key(id_column, mapping.settings.get("aliases")), "")
        if value:
            return value
    return next(iter(record.isbn + record.issn), "") or record.doi or f"row-{row.number}"


def read_tabular_records(
    path: str | Path,
    *,
    source: str,
    library: str,
    mapping: Mapping | str | Path | None = None,
) -> Iterator[Record | RecordError]:
    """Each row of a vendor title list as a Record, per the column ``mapping``.

    ``mapping`` is a loaded :class:`~mappings.loader.Mapping`, a mapping name in
    ``mappings/sources`` or a path to a mapping file; default ``vendor_csv``.
    """
    if not isinstance(mapping, Mapping):
        mapping = get_mapping(mapping or "vendor_csv")
    settings = mapping.settings
    required = list(settings.get("required", ["title"]))
    rules = {rule.name: rule for rule in mapping.fields}
    rows = read_rows(
        path,
        delimiter=str(settings.get("delimiter", "")),
        encoding=settings.get("encoding"),
        sheet=str(settings.get("sheet", "")),
        aliases=settings.get("aliases"),
    )
    seen: dict[str, int] = {}
    for row in rows:
        if isinstance(row, RecordError):
            yield row
            continue
        record = map_row(row.values, mapping, source, "")
        missing = [name for name in required if not getattr(record, name, None)]
        if missing:
            rule = rules.get(missing[0])
            columns = ", ".join(map(str, rule.specs)) if rule else missing[0]
            yield RecordError(
                f"no {missing[0]} in this row (from column {columns})",
                path=str(path),
                record=row.number,
                offset=row.offset,
                field=columns,
            )
            continue
        key = _source_id(record, row, mapping)
        seen[key] = seen.get(key, 0) + 1
        record.source_id = key if seen[key] == 1 else f"{key}#{seen[key]}"
        _add_links_and_holdings(record, row, mapping, library)
        yield record
