"""The docs tell the truth about the code: every registered transform and extractor, and
every reader kind of the mapping files, is documented in docs/mapping.md (datasette's
``test_docs.py`` idea). Registering a transform without a line in the table fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import indexer.map  # noqa: F401  (registers the MARC extractors)
from indexer.transforms import EXTRACTORS, TRANSFORMS

DOC = Path(__file__).resolve().parents[1] / "docs" / "mapping.md"


def _table_names(text: str, heading: str) -> set[str]:
    """Names in the first column (`` `name` `` or `` `name:ARG` ``) of a section's table."""
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z0-9_]+)(?::[^`]*)?` \|", section, re.MULTILINE))


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_transform_is_documented(doc: str, name: str) -> None:
    assert name in _table_names(doc, "Transforms"), f"transform {name!r}: add it to {DOC.name}"


@pytest.mark.parametrize("name", sorted(EXTRACTORS))
def test_extractor_is_documented(doc: str, name: str) -> None:
    assert name in _table_names(doc, "Extractors"), f"extractor {name!r}: add it to {DOC.name}"


def test_documented_transforms_exist(doc: str) -> None:
    assert _table_names(doc, "Transforms") <= set(TRANSFORMS)


def test_argument_transforms_are_documented_with_their_argument(doc: str) -> None:
    section = doc.split("\n## Transforms\n", 1)[1].split("\n## ", 1)[0]
    for name, entry in TRANSFORMS.items():
        if entry.takes_arg:
            assert f"| `{name}:" in section, f"document {name!r} as `{name}:ARG`"


SOURCES = sorted((Path(__file__).resolve().parents[1] / "mappings" / "sources").glob("*.toml"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_every_mapping_kind_is_taught(doc: str, path: Path) -> None:
    """Each shipped mapping's reader kind and spec key appear in a documented example."""
    import tomllib

    data = tomllib.loads(path.read_text(encoding="utf-8"))
    if "reader" in data:
        kind = data["reader"]
        assert re.search(rf"^reader = .*\b{kind}\b", doc, re.MULTILINE), f"reader {kind!r}"
    keys = {key for rule in data.get("fields", {}).values() for key in ("marc", "xpath", "column")
            if key in rule}  # fmt: skip
    for key in keys:
        assert re.search(rf"^{key} = ", doc, re.MULTILINE), f"no example of `{key} = ...`"


def test_table_parser_sees_a_missing_transform() -> None:
    """The check above can fail: a table without a name does not list it."""
    text = "\n## Transforms\n\n| `first` | x |\n| `map:NAME` | y |\n\n## Next\n"
    assert _table_names(text, "Transforms") == {"first", "map"}
