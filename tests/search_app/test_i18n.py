"""The message catalogs: complete, plural-aware, and the committed .mo files up to date."""

from __future__ import annotations

import io

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from search_app.i18n import TRANSLATIONS_DIR


def _key(value: object) -> object:
    return value if isinstance(value, str) else tuple(value)  # type: ignore[arg-type]


CATALOGS = sorted(TRANSLATIONS_DIR.glob("*/LC_MESSAGES/messages.po"))


def test_both_languages_have_catalogs() -> None:
    assert {p.parts[-3] for p in CATALOGS} == {"en", "zh_Hans_CN"}


@pytest.mark.parametrize("po_path", CATALOGS, ids=lambda p: p.parts[-3])
def test_compiled_catalog_matches_its_source(po_path) -> None:  # type: ignore[no-untyped-def]
    po = read_po(io.BytesIO(po_path.read_bytes()))
    mo = read_mo(io.BytesIO(po_path.with_suffix(".mo").read_bytes()))
    source = {_key(m.id): _key(m.string) for m in po if m.id and m.string and not m.fuzzy}
    compiled = {_key(m.id): _key(m.string) for m in mo if m.id}
    assert compiled == source, "stale .mo: run python search_app/translations/update_catalogs.py"


def test_chinese_catalog_is_complete() -> None:
    po_path = TRANSLATIONS_DIR / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
    po = read_po(io.BytesIO(po_path.read_bytes()))
    missing = [
        m.id for m in po if m.id and not (m.string if isinstance(m.string, str) else all(m.string))
    ]
    assert missing == []
    assert po.num_plurals == 1
