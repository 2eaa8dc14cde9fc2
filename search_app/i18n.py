"""Chinese (zh_CN) and English with Flask-Babel: message catalogs, plurals, dates, numbers.

The language comes from ``?lang=`` (remembered in the session), then the session, then
the browser's ``Accept-Language``, then ``BABEL_DEFAULT_LOCALE``. Catalogs live in
``search_app/translations/<locale>/LC_MESSAGES/messages.po`` (Chinese under
``zh_Hans_CN``: Babel expands ``zh_CN`` to that, and catalogs are looked up by it);
the compiled ``.mo`` files are committed next to them (rebuild with
``search_app/translations/update_catalogs.py``; a test checks they match the ``.po``).
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_time
from flask import Flask, g, has_request_context, request, session
from flask_babel import Babel, get_translations

from search_app.error_text import localise_error, state_description

__all__ = [
    "LOCALES",
    "TRANSLATIONS_DIR",
    "init_app",
    "request_translations",
    "select_locale",
    "utc_datetime",
]

#: Supported locales and how each names itself in the language switch.
LOCALES: dict[str, str] = {"zh_CN": "中文", "en": "English"}
TRANSLATIONS_DIR = Path(__file__).parent / "translations"
_ALIASES = {"zh": "zh_CN", "zh-cn": "zh_CN", "zh_cn": "zh_CN", "zh-hans": "zh_CN", "en": "en"}


def _known(value: str | None) -> str | None:
    if not value:
        return None
    if value in LOCALES:
        return value
    return _ALIASES.get(value.strip().lower()[:10])


def select_locale() -> str:
    """The locale for this request (see the module docstring for the order)."""
    cached = g.get("efirst_locale")
    if cached:
        return cached
    chosen = _known(request.args.get("lang"))
    if chosen and not request.path.startswith("/api/"):
        session["lang"] = chosen
    chosen = chosen or _known(session.get("lang"))
    if not chosen:
        best = request.accept_languages.best_match(["zh-CN", "zh", "en"])
        chosen = _known(best) or None
    from flask import current_app

    g.efirst_locale = chosen or current_app.config["BABEL_DEFAULT_LOCALE"]
    return g.efirst_locale


@functools.lru_cache(maxsize=8)
def _parsed(name: str) -> Locale:
    """A parsed locale, kept: Babel's ``Locale.parse`` scans its locale list every time."""
    return Locale.parse(name)


def request_translations() -> Any:
    """This request's catalog, looked up once per request.

    Flask-Babel's template callables resolve the context, the locale and the catalog
    cache on every ``_()``; a results page makes ~50 such calls, so templates use this.
    """
    found = g.get("efirst_translations")
    if found is None:
        found = g.efirst_translations = get_translations()
    return found


def utc_datetime(value: datetime | str | None, seconds: bool = False) -> str:
    """A UTC moment (a datetime or ISO 8601 text) written the reader's way, still in UTC.

    ``2025-03-03T09:00:00+00:00`` is ``2025年3月3日 09:00`` in Chinese and
    ``Mar 3, 2025 9:00 AM`` in English. Staff pages state their times in UTC (the
    ledger's clock), so no time-zone conversion happens here; naive values are UTC.
    Text that is not a timestamp comes back as it is.
    """
    if not value:
        return ""
    moment = value
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
    assert isinstance(moment, datetime)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    locale = _parsed(select_locale()) if has_request_context() else _parsed("en")
    time_format = "medium" if seconds else "short"
    clock = format_time(moment, time_format, tzinfo=UTC, locale=locale)
    return f"{format_date(moment, 'medium', locale=locale)} {clock}"


def init_app(app: Flask) -> Babel:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    babel = Babel(app, locale_selector=lambda: _parsed(select_locale()))
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
    )
    app.jinja_env.filters["localise_error"] = localise_error
    app.jinja_env.globals["state_description"] = state_description
    app.jinja_env.filters["utc_datetime"] = utc_datetime
    return babel
