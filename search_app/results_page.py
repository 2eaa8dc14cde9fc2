"""What the results page shows, worked out in Python before the template runs.

Each call from a Jinja template into Python (a filter, a global, a lazy string) costs
more than the work it does; a results page of 20 hits and ~25 facet values made ~330 of
them. Here each hit's display values (link, highlighted title and authors, format and
language labels) and each facet value's label, count and link are computed once, with
the labels of the request's locale resolved once per page, so the template only prints
attributes. The availability line of a hit (:func:`availability_line`, also on the
record page) is built here too: as a Jinja macro it cost ~25 µs a hit, a fifth of the
page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import url_for
from markupsafe import Markup, escape

from search_app.availability import Availability
from search_app.go import go_url
from search_app.highlight import highlight
from search_app.i18n import request_translations, select_locale
from search_app.query import FACET_PARAMS, SearchForm
from search_app.templating import (
    ACCESS_LABELS,
    FACET_TITLES,
    FORMAT_LABELS,
    language_name,
    member_names,
    number_format,
    safe_url,
    translated,
)
from search_app.urls import search_url
from search_app.views import ResultItem

__all__ = [
    "FacetValue",
    "FacetView",
    "HitView",
    "availability_line",
    "facet_list",
    "facet_views",
    "hit_list",
    "hit_views",
]

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
    formats = translated(FORMAT_LABELS)
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
    label = _FacetLabels()
    count = number_format(select_locale())
    titles = translated(FACET_TITLES)
    for name, engine_field in FACET_PARAMS.items():
        counts = facets.get(engine_field) or []
        if not counts:
            continue
        chosen = form.filters.get(name, [])
        view = FacetView(name, titles[name])
        for value, n in counts:
            active = value in chosen
            args = form.without_filter(name, value) if active else form.with_filter(name, value)
            view.values.append(FacetValue(label(name, value), count(n), search_url(args), active))
        views.append(view)
    return views


class _FacetLabels:
    """``templating.facet_label`` with the request's labels looked up once per page."""

    def __init__(self) -> None:
        self.formats = translated(FORMAT_LABELS)
        self.access = translated(ACCESS_LABELS)
        self.libraries = member_names(select_locale())
        self.languages: dict[str, str] = {}

    def __call__(self, facet: str, value: str) -> str:
        if facet == "format":
            return self.formats.get(value, value)
        if facet == "access":
            return self.access.get(value, value)
        if facet == "language":
            found = self.languages.get(value)
            if found is None:
                found = self.languages[value] = language_name(value)
            return found
        if facet == "library":
            return self.libraries.get(value, value)
        return value


def _messages() -> dict[str, Markup]:
    """The availability line's messages in the request's language, once per catalog
    (``Markup``, as templates print translations: catalogs are trusted)."""
    catalog = request_translations()
    cached = _MESSAGES.get(id(catalog))
    if cached is None or cached[0] is not catalog:
        gettext = catalog.ugettext
        text = {
            "label": gettext("Availability"),
            "online": gettext("Full text online"),
            "open": gettext("open access"),
            "licensed": gettext("licensed to your library"),
            "shelf": gettext("On the shelf at your library"),
            "request": gettext("Request delivery"),
            "none": gettext("No copy in the consortium"),
        }
        cached = _MESSAGES[id(catalog)] = (catalog, {k: Markup(v) for k, v in text.items()})
    return cached[1]


def _held_by(n: int) -> Markup:
    ngettext = request_translations().ungettext
    message = ngettext("held by %(num)s member library", "held by %(num)s member libraries", n)
    return Markup(message) % {"num": number_format(select_locale())(n)}


_MESSAGES: dict[int, tuple[Any, dict[str, Markup]]] = {}


def availability_line(a: Availability, record_id: str, record_href: str | None = None) -> Markup:
    """The E-first availability of one record as the ``<ul class="availability">`` list
    (a template global): full text online (through ``/go``), on the shelf, request
    delivery (to ``record_href``, else the record page), or no copy."""
    text = _messages()
    out = [f'<ul class="availability" aria-label="{text["label"]}">\n']
    if a.online:
        first = a.online[0]
        url = first.get("url")
        out.append(
            '    <li class="av av-online"><span class="av-icon" aria-hidden="true">●</span>\n'
        )
        if safe_url(url):
            href = escape(go_url(url, record_id))
            out.append(
                f'<a href="{href}" target="_blank" rel="noopener noreferrer">{text["online"]}</a>'
            )
        else:
            out.append(text["online"])
        note = text["open" if first.get("access") == "open" else "licensed"]
        out.append(f'      <span class="av-note">({note})</span></li>\n')
    if a.shelf:
        holding = a.shelf[0]
        out.append(
            '    <li class="av av-shelf"><span class="av-icon" aria-hidden="true">▸</span>\n'
            f"      {text['shelf']}"
        )
        if holding.get("call_number"):
            out.append(f': <span class="call-number">{escape(holding["call_number"])}</span>')
        if holding.get("location"):
            out.append(f' <span class="av-note">({escape(holding["location"])})</span>')
        out.append("</li>\n")
    if a.lenders:
        href = escape(record_href or url_for("portal.record", record_id=record_id))
        held = _held_by(len(a.lenders))
        out.append(
            '    <li class="av av-request"><span class="av-icon" aria-hidden="true">▸</span>\n'
            f'      <a href="{href}#get-it">{text["request"]}</a>\n'
            f'      <span class="av-note">({held})</span></li>\n'
        )
    if not a.online and not a.shelf and not a.lenders:
        out.append(f'    <li class="av av-none">{text["none"]}</li>\n')
    out.append("</ul>\n")
    return Markup("".join(out))


def hit_list(hits: Iterable[HitView]) -> Markup:
    """The result list's items (a template global): per hit its ``<li>`` with the linked,
    highlighted title, the vernacular title, authors, year, format, language and the
    availability line, as the template's loop printed them (~10 µs a hit less)."""
    et_al = Markup(request_translations().ugettext("et al."))
    out: list[str] = []
    for hit in hits:
        url = escape(hit.url)
        out.append(
            '    <li class="result">\n'
            f'      <h2 class="result-title"><a href="{url}">{hit.title}</a></h2>\n'
        )
        if hit.vernacular:
            out.append(f'<p class="vernacular">{hit.vernacular}</p>')
        out.append('      <p class="meta">\n')
        if hit.authors:
            more = f" {et_al}" if hit.et_al else ""
            out.append(f'<span class="authors">{hit.authors}{more}</span>')
        if hit.year:
            out.append(f'<span class="year">{escape(hit.year)}</span>')
        out.append(f'        <span class="format">{escape(hit.format)}</span>\n')
        if hit.language:
            out.append(f'<span class="language">{escape(hit.language)}</span>')
        line = availability_line(hit.availability, hit.id, hit.url)
        out.append(f"      </p>\n      {line}\n    </li>\n")
    return Markup("".join(out))


def facet_list(facets: Iterable[FacetView]) -> Markup:
    """The sidebar's facet sections (a template global): per facet its title and values,
    each a link that adds the value to the search (or removes it, when chosen), with its
    count, as the template's loops printed them."""
    chosen = Markup(request_translations().ugettext("selected, remove"))
    out: list[str] = []
    for facet in facets:
        name = escape(facet.name)
        out.append(
            f'    <section class="facet" aria-labelledby="facet-{name}">\n'
            f'      <h3 id="facet-{name}">{escape(facet.title)}</h3>\n'
            "      <ul>\n"
        )
        for value in facet.values:
            href, label = escape(value.href), escape(value.label)
            if value.active:
                link = (
                    f'<a class="active" aria-current="true" href="{href}">{label} '
                    f'<span class="visually-hidden">({chosen})</span></a>\n'
                )
            else:
                link = f'<a href="{href}">{label}</a>'
            out.append(
                f'        <li>{link}        <span class="count">{escape(value.count)}</span></li>\n'
            )
        out.append("      </ul>\n    </section>\n")
    return Markup("".join(out))
