"""The router's docs tell the truth (datasette's ``test_docs.py`` idea): docs/states.md is
generated from router/states.toml and current; docs/iso18626.md lists every status and
action the code maps, in both directions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from router.iso18626_inbound import ACTION_EVENTS, STATUS_EVENTS
from router.iso18626_outbox import ACTION_OUT, STATUS_OUT
from router.track import load_states

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _rows(text: str, heading: str) -> list[tuple[str, ...]]:
    """The `code` cells of each row of the first table after ``heading``."""
    section = text.split(heading, 1)[1]
    table = re.search(r"(?:^\|.*\|\n)+", section, re.MULTILINE)
    assert table, f"no table after {heading!r}"
    return [tuple(re.findall(r"`([^`]+)`", line)) for line in table.group(0).splitlines()[2:]]


def test_states_doc_is_generated_from_the_state_table():
    expected = load_states().to_markdown()
    actual = (DOCS / "states.md").read_text(encoding="utf-8")
    assert actual == expected, (
        "docs/states.md is stale: efirst router states-doc --output docs/states.md"
    )


@pytest.mark.parametrize("state", sorted(load_states().states))
def test_every_state_is_in_the_states_doc(state):
    assert f"| `{state}` |" in (DOCS / "states.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def iso_doc() -> str:
    return (DOCS / "iso18626.md").read_text(encoding="utf-8")


def test_incoming_statuses_are_documented(iso_doc):
    rows = _rows(iso_doc, "### `supplyingAgencyMessage`")
    assert {row[0]: row[1] for row in rows} == STATUS_EVENTS


def test_incoming_actions_are_documented(iso_doc):
    rows = _rows(iso_doc, "### `requestingAgencyMessage`")
    assert {row[0]: row[1] for row in rows} == ACTION_EVENTS


def test_outgoing_actions_are_documented(iso_doc):
    rows = _rows(iso_doc, "Actions sent in `requestingAgencyMessage`")
    assert {row[0]: row[1] for row in rows} == ACTION_OUT


def test_outgoing_statuses_are_documented(iso_doc):
    sentence = iso_doc.split("Statuses sent in `supplyingAgencyMessage`", 1)[1].split("\n\n")[0]
    assert set(re.findall(r"`([A-Za-z]+)`", sentence)) - {"supplyingAgencyMessage"} == set(
        STATUS_OUT.values()
    )
    assert all(key == value for key, value in STATUS_OUT.items())  # "each under its own name"
