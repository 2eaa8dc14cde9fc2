"""Template helpers: labels for facet values, library names, language links, highlight."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from babel import Locale, UnknownLocaleError
from flask import Flask, g, has_request_context, request, url_for
from flask_babel import format_number, get_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from mappings.schema import Library
from search_app.highlight import highlight
from search_app.i18n import LOCALES, request_translations, select_locale
from search_app.members import Members
from search_app.services import members

__all__ = [
    "FORMAT_LABELS",
    "init_app",
    "member_names",
    "member_options_html",
    "number_format",
    "translated",
]

FORMAT_LABELS = {
    "book": _l("Book"),
    "journal": _l("Journal"),
    "article": _l("Article"),
    "thesis": _l("Thesis"),
    "conference": _l("Conference paper"),
    "standard": _l("Standard"),
    "patent": _l("Patent"),
    "report": _l("Report"),
    "audio": _l("Audio"),
    "video": _l("Video"),
    "other": _l("Other"),
}
ACCESS_LABELS = {"open": _l("Open access"), "licensed": _l("Licensed")}
FACET_TITLES = {
    "format": _l("Format"),
    "access": _l("Access"),
    "language": _l("Language"),
    "subject": _l("Subject"),
    "library": _l("Holding library"),
    "year": _l("Year"),
}
# MARC language codes are ISO 639-2/B; Babel knows ISO 639-1 and some 639-2 codes.
_MARC_TO_BABEL = {
    "chi": "zh",
    "eng": "en",
    "fre": "fr",
    "ger": "de",
    "jpn": "ja",
    "kor": "ko",
    "rus": "ru",
    "spa": "es",
    "ita": "it",
    "ara": "ar",
    "por": "pt",
    "lat": "la",
    "dut": "nl",
    "tha": "th",
    "vie": "vi",
    "gre": "el",
    "heb": "he",
    "dan": "da",
}


def library_name(code: str) -> str:
    library = members().get(code)
    return library.name(str(get_locale())) if library else code


@functools.lru_cache(maxsize=16)
def _locale(name: str) -> Locale | None:
    try:
        return Locale.parse(name)
    except (UnknownLocaleError, ValueError):
        return None


def _locale_name() -> str:
    """The request's locale name (cached per request), or Flask-Babel's outside one."""
    return select_locale() if has_request_context() else str(get_locale())


def language_name(code: str) -> str:
    locale = _locale(_locale_name())
    if locale is None:
        return code
    key = _MARC_TO_BABEL.get(code, code)
    return locale.languages.get(key, code)


def number(value: Any) -> str:
    """Babel's ``numberformat`` with a fast path for whole numbers (facet counts, totals).

    Babel parses the locale's decimal pattern on every call; for an ``int`` in a locale
    whose pattern groups by threes (``#,##0.###``: zh_CN, en) the result is Python's own
    grouping with the locale's group symbol.
    """
    return number_format(_locale_name())(value)


@functools.lru_cache(maxsize=16)
def number_format(locale: str) -> Callable[[Any], str]:
    """:func:`number` for ``locale``, the locale looked up once (a page formats ~30)."""
    group = _int_group(locale)

    def formatted(value: Any) -> str:
        if group is not None and type(value) is int and value >= 0:
            return f"{value:,}".replace(",", group) if value >= 1000 else str(value)
        return format_number(value)

    return formatted


@functools.lru_cache(maxsize=16)
def _int_group(name: str) -> str | None:
    locale = _locale(name)
    pattern = locale.decimal_formats.get(None) if locale is not None else None
    if locale is None or getattr(pattern, "pattern", "") != "#,##0.###":
        return None
    symbols = locale.number_symbols.get("latn", locale.number_symbols)
    return str(symbols.get("group", ","))


def members_list() -> list[tuple[str, Library]]:
    """The members sorted by code (computed once per members snapshot)."""
    return _sorted_members(members())


def member_options(locale: str) -> list[tuple[str, str]]:
    """``(code, name in locale)`` of every member, sorted by code, for library pickers."""
    return _option_data(locale)[4]


def member_names(locale: str) -> dict[str, str]:
    """Member code -> name in ``locale`` (what :func:`library_name` gives for a member)."""
    return _option_data(locale)[1]


def member_options_html(locale: str, chosen: str | None) -> Markup:
    """The library picker's ``<option>`` lines, one per member (sorted by code, named in
    ``locale``, ``chosen`` selected), each ending with a newline. Built once per members
    snapshot and locale; the page frame prints them on every page."""
    _, _, lines, every, _ = _option_data(locale)
    if chosen not in lines:
        return every
    return Markup(
        "".join(selected if code == chosen else line for code, (line, selected) in lines.items())
    )


def _option_data(locale: str) -> _OptionData:
    """Per members snapshot and locale: the snapshot, code -> name, code -> its option
    line (plain and selected), every plain line joined, and ``(code, name)`` sorted."""
    snapshot = members()
    key = (id(snapshot), locale)
    cached = _OPTION_HTML.get(key)
    if cached is None or cached[0] is not snapshot:
        if len(_OPTION_HTML) > 16:
            _OPTION_HTML.clear()
        options = [(code, lib.name(locale)) for code, lib in _sorted_members(snapshot)]
        names = dict(options)
        lines: dict[str, tuple[str, str]] = {}
        for code, name in names.items():
            value, label = escape(code), escape(name)
            lines[code] = (
                f'        <option value="{value}" >{label}</option>\n',
                f'        <option value="{value}" selected>{label}</option>\n',
            )
        every = Markup("".join(line for line, _ in lines.values()))
        cached = _OPTION_HTML[key] = (snapshot, names, lines, every, options)
    return cached


def _sorted_members(snapshot: Members) -> list[tuple[str, Library]]:
    cached = _SORTED.get(id(snapshot))
    if cached is None or cached[0] is not snapshot:
        _SORTED.clear()
        cached = _SORTED[id(snapshot)] = (snapshot, sorted(snapshot.libraries.items()))
    return cached[1]


# Keyed by snapshot identity (a members file reload makes a new snapshot); the snapshot
# is kept alongside so a recycled id() never returns another snapshot's list.
_SORTED: dict[int, tuple[Members, list[tuple[str, Library]]]] = {}
_OptionData = tuple[
    Members, dict[str, str], dict[str, tuple[str, str]], Markup, list[tuple[str, str]]
]
_OPTION_HTML: dict[tuple[int, str], _OptionData] = {}


def translated(labels: Mapping[str, Any]) -> dict[str, str]:
    """``labels`` (lazy strings) in the request's language: each ``str(label)`` is a
    catalog lookup through Flask-Babel's context; a page needs the same few dozen, so
    they are translated once per catalog (the request's :func:`request_translations`)."""
    catalog = request_translations()
    key = (id(labels), id(catalog))
    cached = _TRANSLATED.get(key)
    if cached is None or cached[0] is not catalog:
        if len(_TRANSLATED) > 64:
            _TRANSLATED.clear()
        cached = _TRANSLATED[key] = (catalog, {name: str(label) for name, label in labels.items()})
    return cached[1]


_TRANSLATED: dict[tuple[int, int], tuple[Any, dict[str, str]]] = {}


def facet_label(facet: str, value: str) -> str:
    if facet == "format":
        return str(FORMAT_LABELS.get(value, value))
    if facet == "access":
        return str(ACCESS_LABELS.get(value, value))
    if facet == "language":
        return language_name(value)
    if facet == "library":
        return library_name(value)
    return value


def logo_letter(library: Library) -> str:
    name = library.name(str(get_locale())) or library.code
    return name[:1].upper()


def switch_lang_url(locale: str) -> str:
    """This page in another language (``lang`` added to the current arguments)."""
    args: dict[str, Any] = {k: request.args.getlist(k) for k in request.args if k != "lang"}
    args["lang"] = locale
    if request.endpoint is None:
        return url_for("portal.search", lang=locale)
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def _context() -> dict[str, Any]:
    return {
        "locales": LOCALES,
        "current_locale": select_locale(),
        "embed_code": g.get("embed_code", ""),
        "embed_lang": g.get("embed_lang", ""),
        "format_labels": FORMAT_LABELS,
        "facet_titles": FACET_TITLES,
        "now": datetime.now(UTC),
    }


def init_app(app: Flask) -> None:
    from search_app.results_page import (  # they use this module's helpers
        availability_line,
        facet_list,
        hit_list,
    )

    app.context_processor(_context)
    app.jinja_env.filters["highlight"] = highlight
    app.jinja_env.filters["safe_url"] = safe_url
    app.jinja_env.filters["numberformat"] = number
    app.jinja_env.globals.update(
        library_name=library_name,
        language_name=language_name,
        facet_label=facet_label,
        logo_letter=logo_letter,
        switch_lang_url=switch_lang_url,
        members_list=members_list,
        member_options=member_options,
        member_options_html=member_options_html,
        availability_line=availability_line,
        hit_list=hit_list,
        facet_list=facet_list,
    )
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


def safe_url(url: Any) -> str:
    """``url`` if it is http(s) or a ``/media/`` path, else "" (no ``javascript:`` or
    ``data:`` links from data)."""
    text = str(url or "").strip()
    if text.startswith("/media/") and "\\" not in text and ".." not in text:
        return text  # an image uploaded on the admin pages (search_app.admin_images)
    return text if text.lower().startswith(("http://", "https://")) else ""
