"""Request arguments -> :class:`SearchForm` -> :class:`indexer.backends.SearchQuery`.

The same parser serves the HTML portal (lenient: a bad value falls back to its default
and is reported in ``problems``) and the JSON API (strict: the first problem becomes a
400 naming the parameter). Parameters, all optional:

``q``                       words, or a whole ISBN / ISSN / DOI (exact match first)
``title`` ``author`` ``subject`` ``isbn`` ``issn`` ``doi`` ``oclc``   advanced search
``f.format`` ``f.language`` ``f.subject`` ``f.library`` ``f.access``   facet filters
                            (repeatable; values of one facet are ORed)
``year_from`` ``year_to``   inclusive publication-year range
``online=1``                only records with full text this patron can open now
``sort``                    relevance | newest | oldest | title
``page`` ``per_page``       1-based page number and page size
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

from indexer.backends import SearchQuery
from mappings.fields import SORTS

__all__ = [
    "ADVANCED_FIELDS",
    "FACET_PARAMS",
    "SearchForm",
    "clean_text",
    "parse_search_args",
]

#: Advanced-search parameters (the backend's ``fields`` keys).
ADVANCED_FIELDS = ("title", "author", "subject", "isbn", "issn", "doi", "oclc")
#: Public facet name -> backend facet field. Order is the sidebar order.
FACET_PARAMS: dict[str, str] = {
    "format": "format",
    "access": "online",
    "language": "language",
    "subject": "subject_facet",
    "library": "library",
}
MAX_TEXT = 500
MAX_VALUE = 200
MAX_VALUES = 20
YEAR_MIN, YEAR_MAX = -3000, 3000
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def clean_text(value: str, limit: int = MAX_TEXT) -> str:
    """Control characters and lone surrogates removed, whitespace collapsed, truncated."""
    return " ".join(_CONTROL.sub(" ", value or "").split())[:limit]


@dataclass(slots=True)
class SearchForm:
    """What the patron asked for, in the portal's own (public) parameter names."""

    q: str = ""
    advanced: dict[str, str] = field(default_factory=dict)
    filters: dict[str, list[str]] = field(default_factory=dict)
    year_from: int | None = None
    year_to: int | None = None
    online: bool = False
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    default_per_page: int = 20
    problems: list[tuple[str, str]] = field(default_factory=list)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def is_empty(self) -> bool:
        """Nothing asked at all (the home page)."""
        return not (self.q or self.advanced or self.filters or self.online) and (
            self.year_from is None and self.year_to is None
        )

    def to_query(
        self, library_code: str, *, facets: bool = True, extra_facets: tuple[str, ...] = ()
    ) -> SearchQuery:
        filters = {FACET_PARAMS[name]: list(values) for name, values in self.filters.items()}
        if self.online:
            filters["online_for"] = ["*", library_code] if library_code else ["*"]
        return SearchQuery(
            text=self.q,
            fields=dict(self.advanced),
            filters=filters,
            year_from=self.year_from,
            year_to=self.year_to,
            facets=tuple(FACET_PARAMS.values()) + ("year", *extra_facets) if facets else (),
            sort=self.sort,
            offset=self.offset,
            limit=self.per_page,
            online_boost=library_code or "*",
        )

    def args(self) -> dict[str, Any]:
        """The form as URL parameters (lists for repeated ones), page excluded."""
        out: dict[str, Any] = {}
        if self.q:
            out["q"] = self.q
        out.update(self.advanced)
        for name, values in self.filters.items():
            out[f"f.{name}"] = list(values)
        if self.year_from is not None:
            out["year_from"] = self.year_from
        if self.year_to is not None:
            out["year_to"] = self.year_to
        if self.online:
            out["online"] = 1
        if self.sort != "relevance":
            out["sort"] = self.sort
        if self.per_page != self.default_per_page:
            out["per_page"] = self.per_page
        return out

    def with_filter(self, name: str, value: str) -> dict[str, Any]:
        args = self.args()
        args[f"f.{name}"] = [*self.filters.get(name, []), value]
        return args

    def without_filter(self, name: str, value: str) -> dict[str, Any]:
        args = self.args()
        args[f"f.{name}"] = [v for v in self.filters.get(name, []) if v != value]
        return args


def _int(
    args: Mapping[str, str], name: str, low: int, high: int, problems: list[tuple[str, str]]
) -> int | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = int(raw, 10)
    except ValueError:
        problems.append((name, f"{name} must be a whole number, not {raw[:40]!r}"))
        return None
    if not low <= value <= high:
        problems.append((name, f"{name} must be between {low} and {high}"))
        return None
    return value


def _filters(args: MultiDict, problems: list[tuple[str, str]]) -> dict[str, list[str]]:
    filters: dict[str, list[str]] = {}
    for name in FACET_PARAMS:
        values = [clean_text(v, MAX_VALUE) for v in args.getlist(f"f.{name}")]
        values = list(dict.fromkeys(v for v in values if v))
        if len(values) > MAX_VALUES:
            problems.append((f"f.{name}", f"at most {MAX_VALUES} values per facet"))
            values = values[:MAX_VALUES]
        if values:
            filters[name] = values
    return filters


def parse_search_args(
    args: MultiDict, *, page_size: int = 20, max_page_size: int = 100, max_offset: int = 10000
) -> SearchForm:
    """Parse request arguments; every bad value is dropped and listed in ``problems``."""
    problems: list[tuple[str, str]] = []
    form = SearchForm(
        q=clean_text(args.get("q", "")),
        per_page=page_size,
        default_per_page=page_size,
        problems=problems,
    )
    for name in ADVANCED_FIELDS:
        value = clean_text(args.get(name, ""))
        if value:
            form.advanced[name] = value
    form.filters = _filters(args, problems)
    form.year_from = _int(args, "year_from", YEAR_MIN, YEAR_MAX, problems)
    form.year_to = _int(args, "year_to", YEAR_MIN, YEAR_MAX, problems)
    if form.year_from is not None and form.year_to is not None and form.year_from > form.year_to:
        form.year_from, form.year_to = form.year_to, form.year_from
    form.online = (args.get("online") or "").strip().lower() in {"1", "true", "yes", "on"}
    sort = (args.get("sort") or "relevance").strip()
    if sort in SORTS:
        form.sort = sort
    else:
        problems.append(("sort", f"sort must be one of {', '.join(SORTS)}"))
    form.per_page = _int(args, "per_page", 1, max_page_size, problems) or page_size
    max_page = max(1, (max_offset - form.per_page) // form.per_page + 1)
    form.page = _int(args, "page", 1, max_page, problems) or 1
    return form
