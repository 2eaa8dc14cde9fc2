"""RecordError says where the bad record is, also when a reader fills that in later."""

from __future__ import annotations

import pickle

from mappings.errors import RecordError


def test_message_names_file_record_offset_and_field_filled_in_after_creation() -> None:
    error = RecordError("record length in leader is not a number: b'12a45'", field="LDR")
    error.path, error.record, error.offset = "src01.mrc", 7, 4096
    assert str(error) == (
        "src01.mrc, record 7, byte 4096, field LDR: "
        "record length in leader is not a number: b'12a45'"
    )


def test_a_pickled_error_keeps_its_reason_and_place() -> None:
    error = RecordError("broken MARC-8 multibyte (EACC) character sequences", record=2)
    error.path = "lib.mrc"
    back = pickle.loads(pickle.dumps(error))
    assert (back.reason, back.path, back.record) == (error.reason, "lib.mrc", 2)
    assert str(back) == "lib.mrc, record 2: broken MARC-8 multibyte (EACC) character sequences"
