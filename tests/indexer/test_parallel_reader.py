"""The process-pool reader (:mod:`indexer.parallel`) gives what the sequential reader
gives: the same Records (a record without 001 named ``FILE#N`` too), the same rejects
(reason, file, record number, offset, field), the same prepared bytes, fingerprints and
match keys, across chunk boundaries; and the chunk blob rebuilds equal objects."""

from __future__ import annotations

import pickle
import pickletools
from pathlib import Path

import pytest

from indexer import parallel
from indexer.dedup import Prepared, prepare
from indexer.readers import read_records
from mappings.errors import RecordError
from mappings.schema import Holding, Link, Record

MARC21 = Path(__file__).resolve().parents[1] / "fixtures" / "marc21"
FILES = (
    "marc4j__pride-and-prejudice-fixed.mrc",  # records without 001
    "pymarc__bad_records.mrc",  # rejects among records
    "marc4j__chinese_mangled_multibyte.mrc",
    "openlibrary__880_arabic_french_many_linkages.mrc",
    "openlibrary__ithaca_two_856u.mrc",
)


def _reject(item: RecordError) -> tuple[object, ...]:
    return (item.reason, Path(item.path).name, item.record, item.offset, item.field)


def _plain(item: object) -> object:
    return _reject(item) if isinstance(item, RecordError) else item


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(parallel, "_CHUNK", 3)


@pytest.mark.parametrize("name", FILES)
def test_pool_reader_matches_sequential_reader(small_chunks, name: str) -> None:
    path = MARC21 / name
    slow = [_plain(x) for x in read_records(path, source="s", library="L")]
    fast = [_plain(x) for x in parallel.read_parallel(path, source="s", library="L", workers=2)]
    assert fast == slow


@pytest.mark.parametrize("name", FILES[:2])
def test_pool_reader_prepares_like_the_parent(small_chunks, name: str) -> None:
    path = MARC21 / name
    slow = list(read_records(path, source="s", library="L"))
    fast = list(parallel.read_parallel(path, source="s", library="L", workers=2, prepared=True))
    assert len(fast) == len(slow)
    for mine, theirs in zip(fast, slow, strict=True):
        if isinstance(theirs, RecordError):
            assert _plain(mine) == _reject(theirs)
        else:
            assert isinstance(mine, Prepared)
            assert mine == prepare(theirs)
    assert any(p.record.source_id.startswith(f"{name}#") for p in fast if isinstance(p, Prepared))


def test_chunk_blob_rebuilds_equal_objects() -> None:
    record = Record(
        "s",
        "1",
        title="T",
        authors=["A"],
        year=1999,
        links=[Link("http://x.example", "open")],
        holdings=[Holding("L", call_number="QA76")],
        deleted=True,
    )
    items = [prepare(record), record, RecordError("bad", path="f.mrc", record=2, offset=9)]
    back = parallel._loads(parallel._dumps(items))
    assert back[:2] == items[:2] and type(back[0].record) is Record
    assert _reject(back[2]) == _reject(items[2])
    # records go as one constructor call each, not as an empty object and its state
    opcodes = {op.name for op, _, _ in pickletools.genops(parallel._dumps(items[:2]))}
    assert "BUILD" not in opcodes and "REDUCE" in opcodes
    assert "BUILD" in {op.name for op, _, _ in pickletools.genops(pickle.dumps(items[:2]))}
