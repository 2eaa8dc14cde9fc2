"""What the results page shows, worked out in Python before the template runs.

Each call from a Jinja template into Python (a filter, a global, a lazy string) costs
more than the work it does; a results page of 20 hits and ~25 facet values made ~330 of
them. Here each hit's display values (link, highlighted title and authors, format and
language labels) and each facet value's label, count and link are computed once, with
the labels of the request's locale resolved once per page, so the template only prints
attributes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from markupsafe import Markup

from search_app.availability import Availability
from search_app.highlight import highlight
from search_app.query import FACET_PARAMS, SearchForm
from search_app.templating import FACET_TITLES, FORMAT_LABELS, facet_label, language_name, number
from search_app.urls import search_url
from search_app.views import ResultItem

__all__ = ["FacetValue", "FacetView", "HitView", "facet_views", "hit_views"]

MAX_AUTHORS = 3


@dataclass(slots=True)
class HitView:
    """One result line, ready to print."""

    id: str
    url: str
    title: Markup
    vernacular: Markup
    authors: Markup
    et_al: bool
    year: str
    format: str
    language: str
    availability: Availability


def hit_views(
    items: Iterable[ResultItem], q: str, record_url: Callable[[str], str]
) -> list[HitView]:
    """The display values of ``items`` for the query ``q`` (highlighting) and links."""
    formats = {name: str(label) for name, label in FORMAT_LABELS.items()}
    languages: dict[str, str] = {}
    views: list[HitView] = []
    for item in items:
        p = item.payload
        authors = p.get("authors") or []
        vernacular = p.get("title_vernacular") or []
        code = p.get("language") or ""
        if code and code not in languages:
            languages[code] = language_name(code)
        fmt = p.get("format") or ""
        views.append(
            HitView(
                id=item.id,
                url=record_url(item.id),
                title=highlight(p.get("title") or "", q),
                vernacular=highlight(" / ".join(vernacular), q) if vernacular else Markup(""),
                authors=highlight("; ".join(authors[:MAX_AUTHORS]), q) if authors else Markup(""),
                et_al=len(authors) > MAX_AUTHORS,
                year=str(p.get("year") or ""),
                format=formats.get(fmt, fmt),
                language=languages.get(code, ""),
                availability=item.availability,
            )
        )
    return views


@dataclass(slots=True)
class FacetValue:
    """One value of a facet: its label, count, and the link that adds or removes it."""

    label: str
    count: str
    href: str
    active: bool


@dataclass(slots=True)
class FacetView:
    name: str
    title: str
    values: list[FacetValue] = field(default_factory=list)


def facet_views(form: SearchForm, facets: Mapping[str, list[tuple[str, int]]]) -> list[FacetView]:
    """The sidebar's facets (public names, in sidebar order) with labels and links."""
    views: list[FacetView] = []
    for name, engine_field in FACET_PARAMS.items():
        counts = facets.get(engine_field) or []
        if not counts:
            continue
        chosen = form.filters.get(name, [])
        view = FacetView(name, str(FACET_TITLES[name]))
        for value, count in counts:
            active = value in chosen
            args = form.without_filter(name, value) if active else form.with_filter(name, value)
            view.values.append(
                FacetValue(str(facet_label(name, value)), number(count), search_url(args), active)
            )
        views.append(view)
    return views
