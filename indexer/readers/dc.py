"""Dublin Core (oai_dc): standalone files and records inside OAI-PMH responses.

The field rules are data (``mappings/sources/oai_dc.toml``: XPaths on the
``<oai_dc:dc>`` element plus named transforms); this module finds the DC elements,
applies the rules and adds what a rule cannot say:

* ``source_id``: the OAI header identifier, or for a standalone record its first
  ``dc:identifier`` (else ``<file stem>#<n>``);
* links: every ``http(s)`` identifier (DOI resolver, handle, landing page) becomes an
  open-access link, or a licensed one when ``dc:rights`` says closed/restricted/embargoed;
* ``harvested_at``: the OAI header datestamp.

:func:`map_dc_element` is what the OAI-PMH harvester calls for each ``<record>``;
:func:`read_dc_records` streams a file (one ``<oai_dc:dc>``, a collection of them, or a
saved OAI-PMH response) in constant memory. Deleted OAI records come out as tombstones
(``Record(deleted=True)``), which the pipeline applies as deletions.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from indexer.map import apply_values, get_mapping
from mappings.errors import MappingError, RecordError
from mappings.loader import Mapping
from mappings.schema import Link, Record

__all__ = ["OAI_NS", "OAI_DC_NS", "map_dc_element", "read_dc_records", "tombstone"]

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
_RECORD = f"{{{OAI_NS}}}record"
_HEADER = f"{{{OAI_NS}}}header"
_DC = f"{{{OAI_DC_NS}}}dc"
_DC_ELEMENTS = "http://purl.org/dc/elements/1.1/"


def _mapping(mapping: Mapping | str | None) -> Mapping:
    if isinstance(mapping, Mapping):
        return mapping
    return get_mapping(mapping or "oai_dc")


def _xpath_values(dc: etree._Element, spec: str, namespaces: dict[str, str]) -> list[str]:
    found = dc.xpath(spec, namespaces=namespaces)
    if not isinstance(found, list):
        found = [found]
    values = []
    for item in found:
        text = item.xpath("string(.)") if isinstance(item, etree._Element) else str(item)
        text = " ".join(str(text).split())
        if text:
            values.append(text)
    return values


def tombstone(source: str, source_id: str, datestamp: str = "") -> Record:
    """A deleted source record, as the pipeline takes deletions."""
    return Record(source=source, source_id=source_id, deleted=True, harvested_at=datestamp)


def _header(record: etree._Element) -> tuple[str, str, bool]:
    header = record.find(_HEADER)
    if header is None:
        return "", "", False
    identifier = (header.findtext(f"{{{OAI_NS}}}identifier") or "").strip()
    datestamp = (header.findtext(f"{{{OAI_NS}}}datestamp") or "").strip()
    return identifier, datestamp, header.get("status") == "deleted"


def map_dc_element(
    element: etree._Element,
    source: str,
    library: str = "",
    mapping: Mapping | str | None = None,
) -> Record:
    """One OAI-PMH ``<record>`` or bare ``<oai_dc:dc>`` element as a Record.

    A deleted OAI record gives a tombstone. Raises :class:`RecordError` (``field`` set)
    when the element holds no Dublin Core or maps to no title.
    """
    compiled = _mapping(mapping)
    identifier, datestamp, deleted = "", "", False
    dc = element
    if element.tag == _RECORD:
        identifier, datestamp, deleted = _header(element)
        if deleted:
            return tombstone(source, identifier, datestamp)
        dc = next(element.iter(_DC), None)
        if dc is None:
            raise RecordError("no oai_dc:dc metadata in the record", source_id=identifier)
    record = Record(source=source, source_id=identifier, harvested_at=datestamp)
    for rule in compiled.fields:
        values: list[str] = []
        for spec in rule.specs:
            values.extend(_xpath_values(dc, spec, compiled.namespaces))
        try:
            apply_values(record, rule, values)
        except Exception as exc:  # a transform failing is a bug in the mapping
            raise MappingError(f"{compiled.path}: fields.{rule.name}: {exc}") from exc
    if not record.source_id:
        ids = _xpath_values(dc, "dc:identifier", {"dc": _DC_ELEMENTS})
        record.source_id = ids[0] if ids else ""
    record.links = _links(dc, compiled)
    if not record.title:
        raise RecordError("no dc:title", field="dc:title", source_id=record.source_id)
    return record


def _links(dc: etree._Element, mapping: Mapping) -> list[Link]:
    rights = " ".join(_xpath_values(dc, "dc:rights", {"dc": _DC_ELEMENTS})).lower()
    closed = any(word in rights for word in mapping.settings.get("closed_rights", []))
    links: list[Link] = []
    seen: set[str] = set()
    for rule in mapping.links:
        for spec in rule.specs:
            for url in _xpath_values(dc, spec, mapping.namespaces):
                if url in seen or not url.startswith(("http://", "https://")):
                    continue
                seen.add(url)
                access = "licensed" if closed else (rule.access or "open")
                links.append(Link(url=url, access=access, label=rule.label))
    return links


def read_dc_records(
    path: str | Path,
    *,
    source: str,
    library: str = "",
    mapping: Mapping | str | None = None,
) -> Iterator[Record | RecordError]:
    """Every Dublin Core record in an XML file, streamed (``iterparse``, safe parser).

    Broken XML ends the file with a RecordError giving the line and the number of
    records read before it; records already yielded stand.
    """
    compiled = _mapping(mapping)
    name = str(path)
    events = etree.iterparse(
        name,
        events=("end",),
        tag=(_RECORD, _DC),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
    )
    number = 0
    try:
        for _, element in events:
            if element.tag == _DC and _inside_record(element):
                continue
            number += 1
            try:
                yield map_dc_element(element, source, library, compiled)
            except RecordError as exc:
                exc.path, exc.record = name, number
                yield RecordError(
                    exc.reason, path=name, record=number, field=exc.field, source_id=exc.source_id
                )
            _release(element)
    except etree.XMLSyntaxError as exc:
        yield RecordError(
            f"invalid XML at line {exc.lineno}: {exc.msg} (after {number} records)",
            path=name,
            record=number + 1,
        )


def _inside_record(element: etree._Element) -> bool:
    return any(parent.tag == _RECORD for parent in element.iterancestors())


def _release(element: etree._Element) -> None:
    """Free what iterparse built so far (constant memory on big files)."""
    element.clear(keep_tail=True)
    while element.getprevious() is not None:
        parent = element.getparent()
        if parent is None:
            break
        del parent[0]
