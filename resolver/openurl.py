"""OpenURL 0.1 and Z39.88-2004 KEV -> :class:`~mappings.schema.Citation`, table-driven.

The key table is ``mappings/openurl.toml``; this module only knows how to clean each
*kind* of value. The version is detected from the keys present (``"0.1"``, ``"1.0"``,
``"hybrid"`` when both sets are there, ``""`` when neither is). Nothing here raises on
bad input: a citation is extracted as well as the string allows, and
:func:`is_usable` says whether there is anything to resolve.

>>> parsed = parse_openurl("sid=google&id=doi:10.1016/S2213-8587(13)70218-3&issn=22138587")
>>> parsed.version, parsed.citation.doi, parsed.citation.issn
('0.1', '10.1016/s2213-8587(13)70218-3', ['2213-8587'])
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import mappings
from mappings.errors import MappingError
from mappings.identifiers import (
    find_isbns,
    normalise_doi,
    normalise_issn,
    normalise_oclc,
    normalise_pmid,
)
from mappings.schema import Citation
from mappings.text import fold
from resolver.kev import split_kev

__all__ = [
    "TABLE_PATH",
    "ParsedOpenURL",
    "citation_from_pairs",
    "citation_json",
    "is_usable",
    "load_table",
    "normalise_date",
    "parse_openurl",
]

TABLE_PATH = Path(mappings.__file__).with_name("openurl.toml")
KINDS = ("text", "lower", "issn", "isbn", "doi", "pmid", "oclc", "date", "page", "pages", "title")
BOOKISH = ("book", "bookitem", "proceeding", "conference", "report", "document", "dissertation")
JSON_FIELDS = (
    "genre", "atitle", "jtitle", "btitle", "issn", "isbn", "doi", "pmid",
    "volume", "issue", "spage", "epage", "date", "year", "authors",
)  # fmt: skip

_ISSN_PART = re.compile(r"(\d{4}\s*-?\s*\d{3}[\dXx])\s*(\(\s*(\w+)\s*\))?")
_DATE = re.compile(r"(?<!\d)(\d{4})(?:[-/.](\d{1,2})(?!\d)(?:[-/.](\d{1,2})(?!\d))?)?")
_COMPACT_DATE = re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)")
_PAGES = re.compile(r"^\s*([^\s\-\u2013,]+)\s*(?:[-\u2013]+\s*([^\s,]*))?")


@dataclass(slots=True)
class ParsedOpenURL:
    """The citation, plus what the OpenURL said about itself."""

    citation: Citation
    version: str = ""
    format: str = ""
    pairs: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Table:
    v1_prefixes: tuple[str, ...]
    v01_keys: frozenset[str]
    formats: Mapping[str, str]
    format_keys: tuple[str, ...]
    id_keys: tuple[str, ...]
    id_prefixes: tuple[tuple[str, str], ...]
    fields: Mapping[str, tuple[tuple[str, ...], str, bool]]
    authors: Mapping[str, tuple[str, ...]]


def _strings(data: Any, where: str) -> tuple[str, ...]:
    if not isinstance(data, list) or not all(isinstance(k, str) for k in data):
        raise MappingError(f"{TABLE_PATH.name}: {where} must be a list of strings")
    return tuple(k.lower() for k in data)


@lru_cache(maxsize=4)
def load_table(path: Path = TABLE_PATH) -> _Table:
    """Read and check the key table; a :class:`MappingError` names the file and the key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        formats = dict(data["formats"])
        format_keys = _strings(formats.pop("format_keys"), "formats.format_keys")
        fields: dict[str, tuple[tuple[str, ...], str, bool]] = {}
        for name, spec in data["fields"].items():
            kind = spec.get("kind", "text")
            if kind not in KINDS:
                raise MappingError(f"{path.name}: fields.{name}: unknown kind {kind!r}")
            if name not in Citation.__dataclass_fields__ and kind not in ("title", "pages"):
                raise MappingError(f"{path.name}: fields.{name}: not a Citation field")
            keys = _strings(spec["keys"], f"fields.{name}.keys")
            fields[name] = (keys, kind, bool(spec.get("repeat", False)))
        prefixes = sorted(data["identifiers"]["prefixes"].items(), key=lambda kv: -len(kv[0]))
        return _Table(
            v1_prefixes=_strings(data["versions"]["v1_prefixes"], "versions.v1_prefixes"),
            v01_keys=frozenset(_strings(data["versions"]["v01_keys"], "versions.v01_keys")),
            formats={k.lower(): v for k, v in formats.items()},
            format_keys=format_keys,
            id_keys=_strings(data["identifiers"]["keys"], "identifiers.keys"),
            id_prefixes=tuple((p.lower(), f) for p, f in prefixes),
            fields=fields,
            authors={k: _strings(v, f"authors.{k}") for k, v in data["authors"].items()},
        )
    except (KeyError, TypeError, AttributeError, tomllib.TOMLDecodeError) as exc:
        raise MappingError(f"{path.name}: invalid OpenURL table: {exc!r}") from exc


# --- value cleaning -------------------------------------------------------------------


def normalise_date(value: str) -> str:
    """ISO ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` from what a source sent, else ``""``.

    >>> [normalise_date(v) for v in ("20181211", "2008-8-26", "Spring 2003", "1994; 1998")]
    ['2018-12-11', '2008-08-26', '2003', '1994']
    """
    compact = _COMPACT_DATE.search(value)
    match = compact or _DATE.search(value)
    if not match:
        return ""
    year = int(match.group(1))
    if not 1000 <= year <= 2999:
        return ""
    month = int(match.group(2)) if match.group(2) else 0
    day = int(match.group(3)) if match.group(3) else 0
    if not 1 <= month <= 12:
        return f"{year:04d}"
    if not 1 <= day <= 31:
        return f"{year:04d}-{month:02d}"
    return f"{year:04d}-{month:02d}-{day:02d}"


def _issns(values: Iterable[str]) -> list[str]:
    """Valid ISSNs in ``values``, print ones first, de-duplicated."""
    printed: dict[str, None] = {}
    online: dict[str, None] = {}
    for value in values:
        for match in _ISSN_PART.finditer(value):
            issn = normalise_issn(match.group(1))
            label = (match.group(3) or "").lower()
            if issn:
                (online if label.startswith(("e", "online")) else printed).setdefault(issn)
    return list(printed) + [i for i in online if i not in printed]


def _page(value: str) -> str:
    return value.strip(" .,;:+") if any(ch.isdigit() for ch in value) else ""


def _page_range(value: str) -> tuple[str, str]:
    """``(spage, epage)`` of ``"123-45"`` style ranges; abbreviated ends are expanded."""
    match = _PAGES.match(value)
    if not match:
        return ("", "")
    return (_page(match.group(1)), _page(match.group(2) or ""))


def _expand_epage(spage: str, epage: str) -> str:
    if spage.isdigit() and epage.isdigit() and len(epage) < len(spage):
        full = spage[: len(spage) - len(epage)] + epage
        if int(full) >= int(spage):
            return full
    return epage


# --- pairs -> citation ----------------------------------------------------------------


def _first(values: Mapping[str, list[str]], keys: Iterable[str], clean: Any = str.strip) -> str:
    for key in keys:
        for value in values.get(key, ()):
            cleaned = clean(value)
            if cleaned:
                return str(cleaned)
    return ""


def _identifiers(table: _Table, values: Mapping[str, list[str]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for key in table.id_keys:
        for value in values.get(key, ()):
            lowered = value.lower()
            for prefix, name in table.id_prefixes:
                if lowered.startswith(prefix):
                    found.setdefault(name, []).append(value[len(prefix) :])
                    break
            else:
                if normalise_doi(value) and lowered.startswith(("10.", "http")):
                    found.setdefault("doi", []).append(value)
    return found


def _authors(table: _Table, values: Mapping[str, list[str]]) -> list[str]:
    names: list[str] = []
    last = _first(values, table.authors.get("last", ()))
    if last:
        first = _first(values, table.authors.get("first", ()))
        names.append(f"{last}, {first}" if first and "," not in last else last)
    for key in table.authors.get("full", ()):
        for value in values.get(key, ()):
            names.extend(part.strip() for part in value.split(";") if part.strip())
    unique: dict[str, str] = {}
    for name in names:
        unique.setdefault(fold(name.split(",")[0]).strip(), name)
    return list(unique.values())


def _format(table: _Table, values: Mapping[str, list[str]]) -> str:
    for key in table.format_keys:
        for value in values.get(key, ()):
            lowered = value.lower()
            name = table.formats.get(lowered) or lowered.rsplit(":", 1)[-1]
            if name in set(table.formats.values()):
                return name
    return ""


def _version(table: _Table, keys: Iterable[str]) -> str:
    keyset = set(keys)
    v1 = any(key.startswith(table.v1_prefixes) for key in keyset)
    v01 = bool(keyset & table.v01_keys)
    return "hybrid" if v1 and v01 else "1.0" if v1 else "0.1" if v01 else ""


def citation_from_pairs(pairs: Iterable[tuple[str, str]]) -> ParsedOpenURL:
    """Build the citation from decoded ``(key, value)`` pairs (keys any case)."""
    table = load_table()
    pair_list = [(k.lower(), v) for k, v in pairs]
    values: dict[str, list[str]] = {}
    for key, value in pair_list:
        values.setdefault(key, []).append(value)
    ids = _identifiers(table, values)
    fmt = _format(table, values)
    cit = Citation()
    cleaners = {
        "text": str.strip,
        "lower": lambda v: v.strip().lower(),
        "doi": normalise_doi,
        "pmid": normalise_pmid,
        "oclc": normalise_oclc,
        "date": normalise_date,
        "page": _page,
    }
    for name, (keys, kind, _repeat) in table.fields.items():
        if kind == "issn":
            cit.issn = _issns([v for k in keys for v in values.get(k, ())] + ids.get("issn", []))
        elif kind == "isbn":
            cit.isbn = find_isbns(
                [v for k in keys for v in values.get(k, ())] + ids.get("isbn", [])
            )
        elif kind in ("doi", "pmid", "oclc"):
            candidates = {k: values.get(k, []) for k in keys} | {"": ids.get(name, [])}
            setattr(cit, name, _first(candidates, [*keys, ""], cleaners[kind]))
        elif kind in cleaners:
            setattr(cit, name, _first(values, keys, cleaners[kind]))
    _fill_pages(table, values, cit)
    _fill_container_title(table, values, cit, fmt)
    cit.year = int(cit.date[:4]) if cit.date else None
    cit.authors = _authors(table, values)
    return ParsedOpenURL(cit, _version(table, values), fmt, pair_list)


def _fill_pages(table: _Table, values: Mapping[str, list[str]], cit: Citation) -> None:
    keys = table.fields.get("pages", ((), "", False))[0]
    spage, epage = _page_range(_first(values, keys))
    cit.spage = cit.spage or spage
    cit.epage = _expand_epage(cit.spage, cit.epage or (epage if cit.spage == spage else ""))


def _fill_container_title(
    table: _Table, values: Mapping[str, list[str]], cit: Citation, fmt: str
) -> None:
    keys = table.fields.get("title", ((), "", False))[0]
    title = _first(values, keys)
    if not title:
        return
    if fmt == "dc":
        cit.atitle = cit.atitle or title
    elif fmt in ("book", "dissertation") or (not fmt and cit.genre in BOOKISH):
        cit.btitle = cit.btitle or title
    elif fmt == "journal" or cit.genre or cit.issn or not cit.isbn:
        cit.jtitle = cit.jtitle or title
    else:
        cit.btitle = cit.btitle or title


def parse_openurl(text: str) -> ParsedOpenURL:
    """Parse a KEV OpenURL (query string, or a whole logged URL). Never raises."""
    return citation_from_pairs(split_kev(text))


def is_usable(citation: Citation) -> bool:
    """Whether there is anything to resolve: an identifier or a title."""
    return bool(
        citation.doi
        or citation.pmid
        or citation.oclc
        or citation.isbn
        or citation.issn
        or citation.atitle
        or citation.jtitle
        or citation.btitle
    )


def citation_json(citation: Citation) -> dict[str, Any]:
    """The citation in the public JSON shape (exactly the documented keys)."""
    return {
        name: list(getattr(citation, name))
        if isinstance(getattr(citation, name), list)
        else getattr(citation, name)
        for name in JSON_FIELDS
    }
