"""XML ContextObjects (Z39.88-2004 ``info:ofi/fmt:xml:xsd:ctx``) -> KEV pairs -> citations.

Each referent is flattened into the same KEV keys the table in ``mappings/openurl.toml``
reads (``rft_id``, ``rft_val_fmt``, ``rft.<element>``), so one table serves both
serialisations. Referent metadata in the journal / book / dissertation XML formats, in
oai_dc and in MARCXML is understood. Parsing is safe (no entities, no network, no DTD)
and recovers from non-well-formed input such as undefined entities.
"""

from __future__ import annotations

from lxml import etree

from resolver.openurl import ParsedOpenURL, citation_from_pairs

__all__ = ["parse_context_objects", "referent_pairs"]

CTX = "info:ofi/fmt:xml:xsd:ctx"
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=True
)
_DC = {"title": "rft.title", "creator": "rft.creator", "date": "rft.date",
       "publisher": "rft.pub", "identifier": "rft_id", "type": "rft.genre"}  # fmt: skip
_MARC = {"020": "rft.isbn", "022": "rft.issn", "100": "rft.au", "110": "rft.aucorp",
         "245": "rft.btitle", "260": "rft.date", "264": "rft.date",
         "773": "rft.jtitle"}  # fmt: skip
_MARC_CODES = {"245": "ab", "260": "c", "264": "c", "773": "t"}


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _text(element: etree._Element) -> str:
    return " ".join("".join(element.itertext()).split())


def _marc_pairs(record: etree._Element) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for datafield in record.iter("{*}datafield", "datafield"):
        tag = datafield.get("tag", "")
        key = _MARC.get(tag)
        codes = _MARC_CODES.get(tag, "a")
        subfields = [
            _text(s) for s in datafield if _local(s) == "subfield" and s.get("code") in codes
        ]
        if key and subfields:
            pairs.append((key, " ".join(subfields).rstrip(" /:;,.")))
        if tag == "024" and "doi" in {_text(s).lower() for s in datafield if s.get("code") == "2"}:
            pairs.extend(
                ("rft_id", "info:doi/" + _text(s)) for s in datafield if s.get("code") == "a"
            )
    return pairs


def _metadata_pairs(metadata: etree._Element) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for root in metadata:
        name = _local(root)
        if name == "record":
            return _marc_pairs(root)
        for element in root.iter():
            local = _local(element)
            if element is root or not local:
                continue
            if name == "dc":
                if local in _DC:
                    pairs.append((_DC[local], _text(element)))
            elif local == "author":
                parts = {_local(c): _text(c) for c in element}
                last = parts.get("aulast", "")
                first = parts.get("aufirst") or parts.get("auinit", "")
                pairs.append(("rft.au", f"{last}, {first}" if last and first else last or first))
            elif len(element) == 0 and _local(element.getparent()) != "author":
                pairs.append(("rft." + local, _text(element)))
    return pairs


def referent_pairs(context_object: etree._Element) -> list[tuple[str, str]]:
    """KEV pairs for one ``ctx:context-object`` element (referent and referrer)."""
    pairs: list[tuple[str, str]] = [("ctx_ver", context_object.get("version", "Z39.88-2004"))]
    for ident in context_object.iterfind(f"{{{CTX}}}referrer/{{{CTX}}}identifier"):
        pairs.append(("rfr_id", _text(ident)))
    referent = context_object.find(f"{{{CTX}}}referent")
    if referent is None:
        return pairs
    pairs.extend(("rft_id", _text(i)) for i in referent.iterfind(f"{{{CTX}}}identifier"))
    for by_val in referent.iterfind(f"{{{CTX}}}metadata-by-val"):
        fmt = by_val.find(f"{{{CTX}}}format")
        if fmt is not None:
            pairs.append(("rft_val_fmt", _text(fmt)))
        metadata = by_val.find(f"{{{CTX}}}metadata")
        if metadata is not None:
            pairs.extend(_metadata_pairs(metadata))
    return pairs


def parse_context_objects(data: bytes) -> list[ParsedOpenURL]:
    """Every context object in an XML document; ``[]`` when nothing can be read."""
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError:
        return []
    if root is None:
        return []
    found = (
        [root] if _local(root) == "context-object" else root.iterfind(f".//{{{CTX}}}context-object")
    )
    return [citation_from_pairs(referent_pairs(element)) for element in found]
