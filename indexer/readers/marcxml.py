"""MARCXML reading: plain collections, SRU responses, OAI-PMH ``marc21`` records,
Z39.50 OPAC records (MARCXML + ``<holdings>``) and CNMARC XML (``http://www.nlc.cn/``).

Records are found by name and namespace wherever they are nested, streamed with
``lxml.etree.iterparse`` and cleared after use (constant memory). XML is parsed safely
(no entities, no network, no DTD).

>>> rec = parse_marcxml('<record xmlns="http://www.loc.gov/MARC21/slim">'
...                     '<controlfield tag="001">x1</controlfield></record>')
>>> rec.control("001")
'x1'
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lxml import etree

from indexer.map import call_number_key, get_mapping, map_marc
from indexer.marc_spec import MarcRecord
from mappings.errors import RecordError
from mappings.loader import Mapping
from mappings.schema import Holding, Record

__all__ = [
    "CNMARC_NS",
    "MARC_NS",
    "map_marcxml",
    "marc_from_element",
    "parse_marcxml",
    "read_marcxml",
]

MARC_NS = "http://www.loc.gov/MARC21/slim"
CNMARC_NS = "http://www.nlc.cn/"
_RECORD_TAGS = (f"{{{MARC_NS}}}record", f"{{{CNMARC_NS}}}record", "record")
_OPAC = "opacRecord"
_PARSER_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
}


def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def marc_from_element(elem: etree._Element) -> MarcRecord:
    """A :class:`MarcRecord` from a MARCXML ``<record>`` element (any namespace)."""
    leader = ""
    fields: dict[str, list[Any]] = {}
    for child in elem:
        name = _local(child.tag)
        if name == "leader":
            leader = (child.text or "").ljust(24)[:24]
        elif name == "controlfield":
            fields.setdefault(child.get("tag", ""), []).append(child.text or "")
        elif name == "datafield":
            subs = [
                (sf.get("code", ""), sf.text or "") for sf in child if _local(sf.tag) == "subfield"
            ]
            ind1 = (child.get("ind1") or " ")[:1]
            ind2 = (child.get("ind2") or " ")[:1]
            fields.setdefault(child.get("tag", ""), []).append((ind1, ind2, subs))
    return MarcRecord(leader, fields)


def parse_marcxml(xml: str | bytes) -> MarcRecord:
    """The first MARC record in an XML string (a bare ``<record>`` or any wrapper)."""
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    try:
        root = etree.fromstring(data, etree.XMLParser(**_PARSER_OPTIONS))
    except etree.XMLSyntaxError as exc:
        raise RecordError(f"invalid XML: {exc}") from None
    for elem in root.iter(*_RECORD_TAGS):
        if _is_marc_record(elem):
            return marc_from_element(elem)
    raise RecordError("no MARCXML <record> element found")


def _is_marc_record(elem: etree._Element) -> bool:
    """A no-namespace ``<record>`` counts only when it holds a leader or fields."""
    if etree.QName(elem).namespace:
        return True
    return any(_local(c.tag) in ("leader", "controlfield", "datafield") for c in elem)


def flavour_of(elem: etree._Element, rec: MarcRecord) -> str:
    """``cnmarc``/``unimarc`` for CNMARC XML or records shaped like UNIMARC, else ``marc21``."""
    if etree.QName(elem).namespace == CNMARC_NS:
        return "cnmarc"
    if "200" in rec.fields and "245" not in rec.fields:
        return "unimarc"
    return "marc21"


def _opac_holdings(opac: etree._Element, library: str) -> list[Holding]:
    out = []
    for holding in opac.iter("holding"):
        values = {_local(c.tag): " ".join((c.text or "").split()) for c in holding}
        location = values.get("localLocation") or values.get("shelvingLocation", "")
        call_number = values.get("callNumber", "")
        if location or call_number:
            out.append(
                Holding(
                    library=library,
                    location=location,
                    call_number=call_number,
                    status=values.get("publicNote", ""),
                )
            )
    return out


def map_marcxml(
    xml: str | bytes | etree._Element,
    *,
    source: str,
    library: str = "",
    mapping: str | Mapping | None = None,
) -> Record:
    """Map one MARCXML record (a string, e.g. an OAI-PMH ``marc21`` payload, or an element).

    Without ``mapping``, CNMARC/UNIMARC-shaped records use ``cnmarc``/``unimarc`` and the
    rest ``marc21``. Raises :class:`RecordError` for invalid XML.
    """
    if isinstance(xml, str | bytes):
        data = xml.encode("utf-8") if isinstance(xml, str) else xml
        try:
            root = etree.fromstring(data, etree.XMLParser(**_PARSER_OPTIONS))
        except etree.XMLSyntaxError as exc:
            raise RecordError(f"invalid XML: {exc}") from None
    else:
        root = xml
    elem = next((e for e in root.iter(*_RECORD_TAGS) if _is_marc_record(e)), None)
    if elem is None:
        raise RecordError("no MARCXML <record> element found")
    rec = marc_from_element(elem)
    chosen = mapping or flavour_of(elem, rec)
    compiled = get_mapping(chosen) if isinstance(chosen, str | Path) else chosen
    return map_marc(rec, compiled, source, library)


def _clear(elem: etree._Element) -> None:
    elem.clear()
    parent = elem.getparent()
    if parent is not None:
        while elem.getprevious() is not None:
            del parent[0]


def read_marcxml(
    path: str | os.PathLike[str],
    *,
    source: str,
    library: str = "",
    mapping: str | Mapping | None = None,
) -> Iterator[Record | RecordError]:
    """Stream Records from a MARCXML/SRU/OAI-PMH/OPAC/CNMARC XML file.

    An XML syntax error ends the file (the parser cannot resynchronise): it is yielded
    as a RecordError with the line, after the records read before it.
    """
    number = 0
    events = etree.iterparse(
        str(path),
        events=("end",),
        tag=(*_RECORD_TAGS, _OPAC),
        remove_blank_text=True,
        **_PARSER_OPTIONS,
    )
    try:
        for _, elem in events:
            if _local(elem.tag) == "record":
                if not _is_marc_record(elem) or _inside_opac(elem):
                    continue
                number += 1
                yield _mapped(elem, elem, number, path, source, library, mapping)
                _clear(elem)
            else:
                inner = next((e for e in elem.iter(*_RECORD_TAGS) if _is_marc_record(e)), None)
                if inner is not None:
                    number += 1
                    yield _mapped(inner, elem, number, path, source, library, mapping)
                _clear(elem)
    except etree.XMLSyntaxError as exc:
        yield RecordError(
            f"invalid XML: {exc.msg}", path=str(path), record=number + 1, field=f"line {exc.lineno}"
        )


def _inside_opac(elem: etree._Element) -> bool:
    parent = elem.getparent()
    grand = parent.getparent() if parent is not None else None
    return grand is not None and _local(grand.tag) == _OPAC


def _mapped(
    elem: etree._Element,
    container: etree._Element,
    number: int,
    path: Any,
    source: str,
    library: str,
    mapping: str | Mapping | None,
) -> Record | RecordError:
    rec = marc_from_element(elem)
    chosen = mapping or flavour_of(elem, rec)
    compiled = get_mapping(chosen) if isinstance(chosen, str | Path) else chosen
    try:
        record = map_marc(rec, compiled, source, library)
    except RecordError as exc:
        return RecordError(
            exc.reason,
            path=str(path),
            record=number,
            source_id=rec.control("001"),
            field=f"line {elem.sourceline}",
        )
    if container is not elem:
        known = {call_number_key(h.call_number) for h in record.holdings}
        opac = [
            h
            for h in _opac_holdings(container, library)
            if not h.call_number or call_number_key(h.call_number) not in known
        ]
        if opac:  # the OPAC's items replace the bare "this library has it" default
            bare = Holding(library=library, kind="print")
            record.holdings = [h for h in record.holdings if h != bare] + opac
    if not record.source_id:
        record.source_id = f"{Path(path).name}#{number}"
    return record
