"""Golden test: every MARC fixture maps to exactly the Records (and rejects) checked in.

The JSON under ``tests/indexer/golden/`` was generated from the mapping code *before* the
performance work on the mapper, so any optimisation that changes a single field of a single
record (or a reject's reason, record number or offset) fails here. The sequential reader
and the process-pool reader are both checked against the same golden file.

Regenerate (only after an intended change of results, and review the diff)::

    EFIRST_REGEN_GOLDEN=1 pytest tests/indexer/test_mapping_golden.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from indexer.readers import read_records
from mappings.errors import RecordError
from mappings.schema import Record, to_dict

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
GOLDEN = Path(__file__).resolve().parent / "golden"
FILES = sorted(
    p
    for folder in ("marc21", "unimarc")
    for p in (FIXTURES / folder).iterdir()
    if p.suffix in (".mrc", ".xml")
)


def _item(item: Record | RecordError) -> dict[str, Any]:
    if isinstance(item, Record):
        return {"record": to_dict(item)}
    return {
        "reject": {
            "reason": item.reason,
            "record": item.record,
            "offset": item.offset,
            "field": item.field,
            "source_id": item.source_id,
        }
    }


def _mapped(items: Any) -> list[dict[str, Any]]:
    return [_item(item) for item in items]


def _golden_path(path: Path) -> Path:
    return GOLDEN / f"{path.parent.name}__{path.name}.json"


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_mapping_matches_golden(path: Path) -> None:
    got = _mapped(read_records(path, source="golden", library="LIB"))
    target = _golden_path(path)
    if os.environ.get("EFIRST_REGEN_GOLDEN") == "1":
        target.write_text(json.dumps(got, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    want = json.loads(target.read_text(encoding="utf-8"))
    assert len(got) == len(want)
    for index, (mine, theirs) in enumerate(zip(got, want, strict=True)):
        assert mine == theirs, f"{path.name}: item {index} differs"


def test_every_fixture_has_a_golden_file() -> None:
    assert FILES
    assert {_golden_path(p).name for p in FILES} == {p.name for p in GOLDEN.glob("*.json")}
