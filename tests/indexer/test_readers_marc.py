"""ISO 2709 / MARCXML readers: rejects with record number and byte offset, chunking for
workers, format detection, and rmarc (fast path) agreeing with pymarc on every file."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pymarc
import pytest

from indexer.marc_spec import MarcRecord
from indexer.readers import detect_format, map_marc_record, map_marcxml, read_records
from indexer.readers.marc import decode_iso2709, iter_raw_chunks, map_raw, split_ranges
from mappings.errors import RecordError
from mappings.schema import Record

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MARC = FIXTURES / "marc21"
UNIMARC = FIXTURES / "unimarc"
BINARY = sorted(MARC.glob("*.mrc")) + sorted(UNIMARC.glob("*.mrc"))


def split(out: list[Record | RecordError]) -> tuple[list[Record], list[RecordError]]:
    return (
        [r for r in out if isinstance(r, Record)],
        [r for r in out if isinstance(r, RecordError)],
    )


def test_bad_records_rejected_with_number_offset_and_reason() -> None:
    good, bad = split(list(read_records(MARC / "pymarc__bad_records.mrc", source="t")))
    assert [r.title for r in good] == ["The pragmatic programmer : from journeyman to master"] * 2
    assert [(e.record, e.offset) for e in bad] == [
        (2, 127),
        (3, 254),
        (4, 381),
        (5, 509),
        (6, 637),
        (7, 764),
    ]
    assert "base address of data 'f0037' is not a number" in bad[4].reason
    assert str(bad[0]).startswith(f"{MARC / 'pymarc__bad_records.mrc'}, record 2, byte 127: ")


def test_danmarc_is_rejected_as_not_marc21() -> None:
    good, bad = split(list(read_records(MARC / "yaz__marc1_danmarc.mrc", source="t")))
    assert good == []
    assert (bad[0].record, bad[0].offset) == (1, 0)
    assert "3-character indicators" in bad[0].reason


def test_broken_eacc_rejected_and_rest_of_file_read() -> None:
    _, bad = split(list(read_records(MARC / "pymarc__bad_eacc_encoding.mrc", source="t")))
    assert "broken MARC-8 multibyte (EACC)" in bad[0].reason
    good, bad = split(
        list(read_records(MARC / "marc4j__chinese_mangled_multibyte.mrc", source="t"))
    )
    assert [e.record for e in bad] == [1]
    assert len(good) == 3


def test_tolerated_quirks_are_read() -> None:
    """Bad leader/10-11, unordered directory, wrapped lines, short 008: data intact."""
    for name in (
        "marc4j__bad_leaders_10_11.mrc",
        "marc4j__unordered-directory-entries.mrc",
        "openlibrary__wrapped_lines.mrc",
        "openlibrary__upei_short_008.mrc",
    ):
        good, bad = split(list(read_records(MARC / name, source="t")))
        assert (len(good), bad) == (1, []), name
    bad_leader = next(read_records(MARC / "marc4j__bad_leaders_10_11.mrc", source="t"))
    assert bad_leader.title.startswith("Sammlung : Kunst der Gegenwart")  # type: ignore[union-attr]


def test_newline_after_each_record_terminator() -> None:
    good, bad = split(list(read_records(UNIMARC / "bncf__data.mrc", source="t")))
    assert (len(good), bad) == (5, [])


def test_truncated_file_is_a_reject(tmp_path: Path) -> None:
    data = (MARC / "pymarc__test.mrc").read_bytes()
    path = tmp_path / "cut.mrc"
    path.write_bytes(data[:-300])
    good, bad = split(list(read_records(path, format="marc21", source="t")))
    assert len(good) == 9
    assert bad[0].record == 10 and "no record terminator" in bad[0].reason


def test_invalid_xml_reports_line_after_good_records(tmp_path: Path) -> None:
    text = (MARC / "pymarc__batch.xml").read_text(encoding="utf-8")
    path = tmp_path / "broken.xml"
    cut = re.search(r"</(\w+:)?record>", text).end()  # type: ignore[union-attr]
    path.write_text(text[:cut] + "<record><leader>oops</record>", encoding="utf-8")
    good, bad = split(list(read_records(path, source="t")))
    assert [r.title for r in good] == ["The Great Ray Charles"]
    assert bad[0].record == 2 and bad[0].field.startswith("line ")


def test_chunks_and_map_raw_for_worker_processes() -> None:
    path = MARC / "marc4j__pride-and-prejudice-fixed.mrc"
    chunks = list(iter_raw_chunks(path))
    assert len(chunks) == 383
    assert (chunks[0].number, chunks[0].offset) == (1, 0)  # type: ignore[union-attr]
    assert chunks[1].offset == len(chunks[0].data)  # type: ignore[union-attr]
    first = map_raw(chunks[0].data, "marc21", source="t", library="L")  # type: ignore[union-attr]
    assert first.title == "Complete novels of Jane Austen"
    ranges = split_ranges(path, 3)
    assert ranges[0][0] == 0 and ranges[-1][1] == path.stat().st_size
    pieces = [c for a, b in ranges for c in iter_raw_chunks(path, a, b)]
    assert [c.data for c in pieces] == [c.data for c in chunks]  # type: ignore[union-attr]
    with pytest.raises(RecordError, match="shorter than a leader"):
        map_raw(b"00010\x1d", "marc21", source="t")


def test_map_one_marcxml_string_and_a_pymarc_record() -> None:
    xml = (MARC / "pymarc__utf8.xml").read_bytes()
    assert map_marcxml(xml, source="oai").title == "Zen Classics"
    cnmarc = map_marcxml((UNIMARC / "dp2__sample_cnmarcxml.xml").read_bytes(), source="oai")
    assert cnmarc.title == "'94中国发展报告"  # CNMARC namespace picks the cnmarc mapping
    with pytest.raises(RecordError, match="invalid XML"):
        map_marcxml("<record>", source="oai")
    with (MARC / "pymarc__multi_isbn.mrc").open("rb") as handle:
        record = next(iter(pymarc.MARCReader(handle)))
    assert map_marc_record(record, "marc21", "t").isbn[0] == "9780914378280"


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("marc21/pymarc__test.mrc", "marc21"),
        ("unimarc/bncf__data.mrc", "unimarc"),
        ("unimarc/qacat__serial.bnr.1993.mrc", "unimarc"),
        ("marc21/pymarc__batch.xml", "marcxml"),
        ("unimarc/dp2__sample_cnmarcxml.xml", "marcxml"),
        ("marc21/marc4j__1474920681_KOHA_LFL_5.xml", "marcxml"),
    ],
)
def test_detect_format(name: str, fmt: str) -> None:
    assert detect_format(FIXTURES / name) == fmt


def test_unknown_format_name() -> None:
    with pytest.raises(ValueError, match="unknown format"):
        list(read_records(MARC / "pymarc__test.mrc", format="pdf", source="t"))


def _pymarc_view(data: bytes, force_utf8: bool) -> MarcRecord:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return MarcRecord.from_pymarc(
            pymarc.Record(data, force_utf8=force_utf8, hide_utf8_warnings=True)
        )


@pytest.mark.parametrize("path", BINARY, ids=lambda p: p.name)
def test_rmarc_fast_path_matches_pymarc_field_by_field(path: Path) -> None:
    """The fast decoder must give exactly what pymarc gives, on every real file."""
    compared = 0
    for chunk in iter_raw_chunks(path):
        if isinstance(chunk, RecordError):
            continue
        flavour = "unimarc" if path.parent.name == "unimarc" else "marc21"
        try:
            fast = decode_iso2709(chunk.data, flavour)
        except ValueError:
            continue  # rejected records are covered by the reject tests
        utf8 = flavour == "unimarc" or _decoded_as_utf8(chunk.data)
        try:
            slow = _pymarc_view(chunk.data, force_utf8=utf8)
        except Exception:  # noqa: BLE001 - pymarc cannot read it; nothing to compare
            continue
        assert fast.leader == slow.leader
        assert fast.fields == slow.fields, f"{path.name} record {chunk.number}"
        compared += 1
    assert compared or path.name in {"yaz__marc1_danmarc.mrc", "pymarc__bad_eacc_encoding.mrc"}


def _decoded_as_utf8(data: bytes) -> bool:
    if data[9:10] == b"a":
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return any(b > 0x7F for b in data) and b"\x1b" not in data
