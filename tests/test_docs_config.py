"""Every ``EFIRST_*`` variable the product reads is declared in the settings table and
documented in docs/configuration.md (datasette's test_docs idea)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from indexer.settings import Settings
from search_app.config import SETTINGS, settings_markdown

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "configuration.md"
#: where the product's code and deployment files live (tests steer only the test suite)
PRODUCT = ("mappings", "indexer", "resolver", "router", "search_app", "docker")
NAME = re.compile(r"\bEFIRST_[A-Z0-9_]*[A-Z0-9]")
DECLARED = {s.name for s in SETTINGS}


def _used() -> dict[str, str]:
    """Every EFIRST_ name in the product's files -> the first file naming it."""
    found: dict[str, str] = {}
    for package in PRODUCT:
        for path in sorted((ROOT / package).rglob("*")):
            if path.is_dir() or path.suffix in {".pyc", ".mo", ".mrc", ".sqlite3"}:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            for name in NAME.findall(text):
                found.setdefault(name, str(path.relative_to(ROOT)))
    return found


USED = _used()


def test_the_scan_finds_the_settings_the_code_reads() -> None:
    # guards the scan itself: these are read in three different packages
    assert {"EFIRST_DATA_DIR", "EFIRST_SMTP_HOST", "EFIRST_REQUEST_URL"} <= set(USED)


@pytest.mark.parametrize("name", sorted(USED))
def test_every_variable_in_code_is_declared(name: str) -> None:
    assert name in DECLARED, f"{name} (used in {USED[name]}) is not in search_app/config.py"


@pytest.mark.parametrize("name", sorted(USED | {s.name: "" for s in SETTINGS}))
def test_every_variable_is_documented(name: str) -> None:
    assert f"`{name}`" in DOC.read_text(encoding="utf-8"), f"{name} missing from {DOC}"


def test_the_documented_table_is_the_declared_one() -> None:
    text = DOC.read_text(encoding="utf-8")
    found = re.search(r"<!-- settings:start -->\n(.*?)<!-- settings:end -->", text, re.S)
    assert found, "docs/configuration.md lost its settings markers"
    expected = settings_markdown()
    assert found.group(1) == expected, "paste this table into docs/configuration.md:\n" + expected


def test_declared_names_are_unique() -> None:
    names = [s.name for s in SETTINGS]
    assert len(names) == len(set(names))


def test_command_line_defaults_equal_the_app_defaults() -> None:
    defaults = {s.name: s.default for s in SETTINGS}
    assert Settings.from_env({}) == Settings(
        data_dir=Path(defaults["EFIRST_DATA_DIR"]).resolve(),
        search_url=defaults["EFIRST_SEARCH_URL"],
        index_name=defaults["EFIRST_INDEX_NAME"],
    )
