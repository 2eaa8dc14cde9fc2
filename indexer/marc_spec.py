"""MARC field specs (``245abnp``, ``008[35-37]``, ``856|4*|u``, ``880@245ab``) and the
light record view they are evaluated against.

A spec is parsed once (:func:`parse_spec` is cached) into a :class:`MarcSpec`; extracting
from a :class:`MarcRecord` is then a dictionary lookup and a loop over subfields.

Spec grammar (traject's, plus ``880@`` for linked vernacular fields)::

    spec       := ["880@"] tag ["|" ind1 ind2 "|"] [codes] ["[" start ["-" end] "]"]
    tag        := "LDR" | three characters [0-9A-Za-z]
    ind1, ind2 := a character, "*" (any) or "_" / "#" (blank)
    codes      := subfield codes [a-z0-9]; none = every subfield except $6 and $8

``LDR`` and ``00X`` are control fields: no indicators or codes (``LDR[06]``,
``008[35-37]``). Data fields take indicators and codes; positions on a data field slice
each extracted value (UNIMARC ``100a[9-12]``, the date in the general processing data).
``880@245ab`` selects the 880 fields whose ``$6`` links them to tag 245.

>>> title = ("1", "0", [("a", "Title :"), ("b", "sub")])
>>> rec = MarcRecord("00000nam a2200000 a 4500", {"245": [title]})
>>> parse_spec("245ab").extract(rec)
['Title : sub']
>>> parse_spec("LDR[06-07]").extract(rec)
['am']
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

__all__ = ["DataField", "MarcRecord", "MarcSpec", "parse_spec"]

DataField = tuple[str, str, list[tuple[str, str]]]
"""``(ind1, ind2, [(code, value), ...])`` — a data field of a :class:`MarcRecord`."""

_SPEC = re.compile(
    r"^(?P<linked>880@)?(?P<tag>LDR|[0-9A-Za-z]{3})"
    r"(?:\|(?P<inds>[^|]{2})\|)?"
    r"(?P<codes>[a-zA-Z0-9]*)"
    r"(?:\[(?P<start>\d+)(?:-(?P<end>\d+))?\])?$"
)
_SKIPPED_CODES = frozenset("68")


class MarcRecord:
    """A decoded MARC record: the leader and its fields grouped by tag, in order.

    Control fields (``00X``) are strings; data fields are :data:`DataField` tuples.
    Built from rmarc's raw decoder, from a pymarc ``Record`` or from MARCXML.
    """

    __slots__ = ("_linked", "fields", "leader")

    def __init__(self, leader: str, fields: dict[str, list[Any]]) -> None:
        self.leader = leader
        self.fields = fields
        self._linked: dict[str, list[DataField]] | None = None

    @classmethod
    def from_raw(cls, leader: str, items: list[tuple[str, tuple[Any, ...]]]) -> MarcRecord:
        """From ``rmarc._rmarc.decode_marc_raw`` output.

        That is ``[(tag, ("control", value) | ("data", ind1, ind2, subfields))]``.
        """
        fields: dict[str, list[Any]] = {}
        for tag, body in items:
            value = body[1] if body[0] == "control" else (body[1], body[2], body[3])
            if tag in fields:
                fields[tag].append(value)
            else:
                fields[tag] = [value]
        return cls(str(leader), fields)

    @classmethod
    def from_pymarc(cls, record: Any) -> MarcRecord:
        """From a ``pymarc.Record`` (or the API-compatible ``rmarc.Record``)."""
        fields: dict[str, list[Any]] = {}
        for field in record.fields:
            if field.is_control_field():
                value: Any = field.data
            else:
                ind1, ind2 = (list(field.indicators) + [" ", " "])[:2]
                value = (ind1 or " ", ind2 or " ", [(s.code, s.value) for s in field.subfields])
            fields.setdefault(field.tag, []).append(value)
        return cls(str(record.leader), fields)

    def control(self, tag: str) -> str:
        """The first control field ``tag`` (``LDR`` for the leader), or ``""``."""
        if tag == "LDR":
            return self.leader
        values = self.fields.get(tag)
        if not values or not isinstance(values[0], str):
            return ""
        return values[0]

    def datafields(self, tag: str) -> list[DataField]:
        return [f for f in self.fields.get(tag, ()) if not isinstance(f, str)]

    def linked(self, tag: str) -> list[DataField]:
        """The 880 fields whose ``$6`` (``245-01/$1``) links them to ``tag``.

        The 880s are grouped by linked tag once per record, on the first call.
        """
        if self._linked is None:
            self._linked = self._link_index()
        return self._linked.get(tag, [])

    def _link_index(self) -> dict[str, list[DataField]]:
        index: dict[str, list[DataField]] = {}
        for field in self.fields.get("880", ()):
            if isinstance(field, str):
                continue
            for code, value in field[2]:
                if code == "6":
                    index.setdefault(value[:3], []).append(field)
                    break
        return index

    def __repr__(self) -> str:
        return f"MarcRecord({self.leader!r}, {len(self.fields)} tags)"


def _ind_matches(want: str | None, have: str) -> bool:
    return want is None or want == (have or " ")


@dataclass(frozen=True, slots=True)
class MarcSpec:
    """One parsed spec; :meth:`extract` returns one string per matching field."""

    text: str
    tag: str
    linked: bool = False
    ind1: str | None = None
    ind2: str | None = None
    codes: str = ""
    start: int | None = None
    end: int | None = None
    is_control: bool = False
    lookup: str = ""

    def extract(self, rec: MarcRecord, separator: str | None = " ") -> list[str]:
        """Values of this spec in ``rec``.

        Data fields give one value per field (selected subfields joined by
        ``separator``), or one value per subfield when ``separator`` is None.
        """
        if self.is_control:
            return self._extract_control(rec)
        fields = rec.linked(self.tag) if self.linked else rec.fields.get(self.tag, ())
        out: list[str] = []
        codes = self.codes
        for field in fields:
            if isinstance(field, str):
                continue
            if not (_ind_matches(self.ind1, field[0]) and _ind_matches(self.ind2, field[1])):
                continue
            if codes:
                values = [v for c, v in field[2] if c in codes and v]
            else:
                values = [v for c, v in field[2] if c not in _SKIPPED_CODES and v]
            if not values:
                continue
            if separator is not None:
                values = [separator.join(values)]
            if self.start is not None:
                values = [self._slice(v) for v in values]
            out.extend(values)
        return out

    def _slice(self, value: str) -> str:
        start = self.start or 0
        return value[start : start + 1 if self.end is None else self.end + 1]

    def _extract_control(self, rec: MarcRecord) -> list[str]:
        values = [rec.leader] if self.tag == "LDR" else rec.fields.get(self.tag, ())
        out = []
        for value in values:
            if not isinstance(value, str):
                continue
            if self.start is not None:
                value = self._slice(value)
            if value:
                out.append(value)
        return out


def _indicator(char: str) -> str | None:
    if char == "*":
        return None
    return " " if char in "_# " else char


@lru_cache(maxsize=4096)
def parse_spec(text: str) -> MarcSpec:
    """Parse ``text``; raises ``ValueError`` explaining what is wrong."""
    match = _SPEC.match(text.strip())
    if not match:
        raise ValueError(
            f"bad MARC spec {text!r} (expected e.g. '245abc', '008[35-37]', '856|4*|u')"
        )
    tag = match["tag"]
    linked = bool(match["linked"])
    start = int(match["start"]) if match["start"] is not None else None
    end = int(match["end"]) if match["end"] is not None else None
    inds = match["inds"]
    spec = MarcSpec(
        text=text,
        tag=tag,
        linked=linked,
        ind1=_indicator(inds[0]) if inds else None,
        ind2=_indicator(inds[1]) if inds else None,
        codes=match["codes"],
        start=start,
        end=end,
        is_control=tag == "LDR" or (tag.startswith("00") and not linked),
        lookup="880" if linked else tag,
    )
    if spec.is_control and (inds or spec.codes):
        raise ValueError(
            f"bad MARC spec {text!r}: control field {tag} has no indicators or subfields"
        )
    if start is not None and end is not None and end < start:
        raise ValueError(f"bad MARC spec {text!r}: position range ends before it starts")
    return spec
