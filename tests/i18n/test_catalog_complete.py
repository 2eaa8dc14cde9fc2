"""Every message the code uses is in both catalogs, and the Chinese one translates it.

The template is extracted in-process from the sources in ``search_app/babel.cfg`` (the
portal, staff and admin pages, the resolver's pages, the router-error display mapping),
so a string added without running ``update_catalogs.py`` and translating fails here.
"""

from __future__ import annotations

import pytest
from babel.messages.catalog import Catalog
from babel.messages.plurals import get_plural

from search_app.i18n_catalog import (
    LOCALE_DIRS,
    extract,
    message_key,
    missing_from,
    read_catalog,
    untranslated,
)

FIX = "run python search_app/translations/update_catalogs.py and translate zh_Hans_CN"


@pytest.fixture(scope="module")
def template() -> Catalog:
    return extract()


def test_extraction_finds_the_ui_and_the_resolver(template: Catalog) -> None:
    ids = {message_key(m)[0] for m in template if m.id}
    assert "Why some online copies are not offered" in ids  # resolver template
    assert "Purchase suggestions" in ids  # search_app template
    assert "There is no request %(request)s." in ids  # router error display mapping
    assert "required" in ids  # admin field errors (python)


@pytest.mark.parametrize("locale_dir", LOCALE_DIRS)
def test_every_extracted_message_is_in_the_catalog(template: Catalog, locale_dir: str) -> None:
    assert missing_from(template, locale_dir) == [], FIX


@pytest.mark.parametrize("locale_dir", LOCALE_DIRS)
def test_no_message_is_untranslated_or_fuzzy(locale_dir: str) -> None:
    assert untranslated(read_catalog(locale_dir)) == [], FIX


@pytest.mark.parametrize("locale_dir", LOCALE_DIRS)
def test_plural_forms_follow_cldr(locale_dir: str) -> None:
    catalog = read_catalog(locale_dir)
    expected = get_plural(locale_dir)
    assert catalog.num_plurals == expected.num_plurals
    for message in catalog:
        if message.id and message.pluralizable:
            assert len(message.string) == expected.num_plurals, message.id


def test_placeholders_survive_translation() -> None:
    """A translation keeps each ``%(name)s`` of its message (Babel's own checker)."""
    catalog = read_catalog("zh_Hans_CN")
    problems = [
        (message.id, [str(e) for e in errors]) for message, errors in catalog.check() if errors
    ]
    assert problems == []


def test_chinese_differs_from_english_where_it_should() -> None:
    """A zh entry copied from English (not translated) is caught: codes and names such
    as ``ISBN`` or ``%(value)s %(problem)s`` may stay as they are, sentences may not."""
    copied = [
        message.id
        for message in read_catalog("zh_Hans_CN")
        if isinstance(message.id, str)
        and message.string == message.id
        and len([w for w in message.id.split() if w.isalpha() and w.islower()]) >= 2
    ]
    assert copied == []


def test_a_new_string_is_reported(template: Catalog) -> None:
    """The check can fail: a message only the template has is reported as missing."""
    probe = Catalog()
    probe.add("A message nobody has translated yet")
    for message in list(template)[:3]:
        if message.id:
            probe[message.id] = message
    assert missing_from(probe, "zh_Hans_CN") == ["A message nobody has translated yet"]
