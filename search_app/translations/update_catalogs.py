"""Rebuild the catalogs: extract messages, merge them into each locale, compile ``.mo``.

Run from anywhere after changing translatable text::

    python search_app/translations/update_catalogs.py

It runs :func:`search_app.i18n_catalog.update_all` (the sources are listed in
``search_app/babel.cfg``: the portal, the staff pages, the resolver's pages). English
strings are filled from the message ids; translators then edit
``zh_Hans_CN/LC_MESSAGES/messages.po`` and run this again to compile. The compiled
``.mo`` files are committed so a fresh clone runs without a build step;
``tests/search_app/test_i18n.py`` fails when they are stale and
``tests/i18n/test_catalog_complete.py`` when a message is missing or untranslated.
"""

from __future__ import annotations

import sys

from search_app.i18n_catalog import update_all


def main() -> int:
    report = update_all()
    for locale_dir, missing in report.items():
        print(f"{locale_dir}: {len(missing)} untranslated")
        for message in missing:
            print(f"  {message!r}")
    return 1 if any(report.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
