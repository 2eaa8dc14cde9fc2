"""The UI's message catalogs as data: extract, merge and compile in-process (Babel's API).

The same steps as ``pybabel extract`` / ``update`` / ``compile`` with the sources listed
in ``search_app/babel.cfg``, without a subprocess, so ``tests/i18n`` can check in well
under a second that every message the code uses is in the catalogs and translated.
``python search_app/translations/update_catalogs.py`` runs :func:`update_all`.

Examples
--------
>>> from search_app.i18n_catalog import extract, missing_from
>>> template = extract()
>>> missing_from(template, "zh_Hans_CN")   # doctest: +SKIP
[]
"""

from __future__ import annotations

import copy
import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from search_app.i18n import TRANSLATIONS_DIR

__all__ = [
    "CONFIG",
    "KEYWORDS",
    "LOCALE_DIRS",
    "ROOT",
    "compile_catalog",
    "extract",
    "message_key",
    "missing_from",
    "read_catalog",
    "untranslated",
    "update_all",
]

ROOT = Path(__file__).resolve().parent.parent
CONFIG = Path(__file__).resolve().parent / "babel.cfg"
#: Babel's keywords plus Flask-Babel's lazy ones (``_l`` is ``lazy_gettext`` here).
KEYWORDS: dict[str, Any] = {
    **DEFAULT_KEYWORDS,
    "_l": None,
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
}
#: Catalog folder names (Babel's spelling: ``zh_CN`` is looked up as ``zh_Hans_CN``).
LOCALE_DIRS = ("en", "zh_Hans_CN")


def _top_dirs(patterns: Iterable[str]) -> set[str]:
    return {pattern.split("/", 1)[0] for pattern in patterns}


def extract(root: Path = ROOT, config: Path = CONFIG) -> Catalog:
    """Every translatable message of the sources named in ``config``, as a template."""
    with config.open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle, filename=str(config))
    tops = _top_dirs(pattern for pattern, _method in method_map)

    def wanted(path: str) -> bool:
        rel = Path(path).resolve().relative_to(root.resolve()).parts
        return not rel or (rel[0] in tops and not any(p.startswith((".", "_")) for p in rel))

    template = Catalog(project="efirst", charset="utf-8", fuzzy=False)
    found = extract_from_dir(
        root, method_map, options_map, keywords=KEYWORDS, directory_filter=wanted
    )
    for filename, lineno, message, comments, context in found:
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def read_catalog(locale_dir: str, root: Path = TRANSLATIONS_DIR) -> Catalog:
    """The ``.po`` catalog of one locale folder (``en``, ``zh_Hans_CN``)."""
    path = root / locale_dir / "LC_MESSAGES" / "messages.po"
    return read_po(io.BytesIO(path.read_bytes()), locale=locale_dir)


def message_key(message: Message) -> tuple[str, str | None]:
    """``(msgid, context)``; a plural message is keyed by its singular."""
    ident = message.id if isinstance(message.id, str) else message.id[0]
    return ident, message.context


def missing_from(template: Catalog, locale_dir: str) -> list[str]:
    """Messages of ``template`` that the locale's catalog does not have."""
    have = {message_key(m) for m in read_catalog(locale_dir) if m.id}
    return sorted(message_key(m)[0] for m in template if m.id and message_key(m) not in have)


def untranslated(catalog: Catalog) -> list[str]:
    """Messages without a translation (any plural form empty) or marked fuzzy."""
    bad = []
    for message in catalog:
        if not message.id:
            continue
        found = message.string
        strings = list(found) if isinstance(found, (tuple, list)) else [found]
        if message.fuzzy or not all(strings):
            bad.append(message_key(message)[0])
    return sorted(bad)


def compile_catalog(locale_dir: str, root: Path = TRANSLATIONS_DIR) -> None:
    """Write the ``.mo`` next to the ``.po`` (fuzzy entries left out, as pybabel does)."""
    catalog = read_catalog(locale_dir, root)
    target = root / locale_dir / "LC_MESSAGES" / "messages.mo"
    with target.open("wb") as handle:
        write_mo(handle, catalog, use_fuzzy=False)


def _english_from_ids(catalog: Catalog) -> None:
    """English text is the message id: fill empty English strings from it."""
    for message in catalog:
        if message.id and not message.fuzzy and isinstance(message.id, str):
            message.string = message.string or message.id
        elif message.id and not message.fuzzy:
            strings = list(message.string) if isinstance(message.string, tuple) else []
            if not all(strings) or len(strings) != 2:
                message.string = tuple(message.id)


def update_all(root: Path = TRANSLATIONS_DIR) -> dict[str, list[str]]:
    """Extract, write ``messages.pot``, merge into each locale, compile.

    Returns the untranslated messages of each locale. English strings are filled from
    the message ids, so only the Chinese catalog needs a translator.
    """
    template = extract()
    with (root / "messages.pot").open("wb") as handle:
        write_po(handle, template, omit_header=False, no_location=True, sort_output=True)
    report: dict[str, list[str]] = {}
    for locale_dir in LOCALE_DIRS:
        catalog = read_catalog(locale_dir, root)
        # Catalog.update adds new messages by reference: give each locale its own copies.
        catalog.update(copy.deepcopy(template), no_fuzzy_matching=True)
        if locale_dir == "en":
            _english_from_ids(catalog)
        path = root / locale_dir / "LC_MESSAGES" / "messages.po"
        with path.open("wb") as handle:
            write_po(handle, catalog, no_location=True, sort_output=True, ignore_obsolete=True)
        compile_catalog(locale_dir, root)
        report[locale_dir] = untranslated(catalog)
    return report
