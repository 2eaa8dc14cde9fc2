"""ISO 18626 messages: read and validate them, and write the ones the router sends.

The schema is ISO 18626 v1.2 (``router/schemas/ISO-18626-v1_2.xsd``, see SOURCES.md
there), loaded once, offline. XML is parsed with a hardened lxml parser (no entities, no
DTD, no network). :func:`read_message` turns bytes into a :class:`Message` or raises
:class:`Iso18626Error` carrying the ISO 18626 ``errorType`` to answer with:

- not XML, not an ``ISO18626Message``, or not valid against the schema →
  ``BadlyFormedMessage`` (the text names the line and the element at fault);
- a value the schema allows but the router cannot act on → ``UnrecognisedDataValue``,
  ``UnsupportedActionType`` or ``UnsupportedReasonForMessageType`` (raised by
  :mod:`router.iso18626_inbound`).

:func:`confirmation` writes the answer to any message (``requestConfirmation``,
``supplyingAgencyMessageConfirmation``, ``requestingAgencyMessageConfirmation``);
:func:`request_message` and :func:`supplying_message` write what the router sends.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lxml import etree

from mappings.errors import RoutingError
from mappings.schema import Library

__all__ = [
    "CONFIRMATIONS",
    "MESSAGE_KINDS",
    "NS",
    "SCHEMA_PATH",
    "Agencies",
    "Agency",
    "Iso18626Error",
    "Message",
    "confirmation",
    "read_confirmation",
    "read_message",
    "request_message",
    "sniff",
    "requesting_message",
    "supplying_message",
]

NS = "http://illtransactions.org/2013/iso18626"
VERSION = "1.2"
SCHEMA_PATH = Path(__file__).parent / "schemas" / "ISO-18626-v1_2.xsd"
MESSAGE_KINDS = ("request", "supplyingAgencyMessage", "requestingAgencyMessage")
#: message kind -> the element that confirms it.
CONFIRMATIONS = {
    "request": "requestConfirmation",
    "supplyingAgencyMessage": "supplyingAgencyMessageConfirmation",
    "requestingAgencyMessage": "requestingAgencyMessageConfirmation",
}
MAX_BYTES = 1_000_000
_Q = f"{{{NS}}}"


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@functools.cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_PATH), _parser()))


class Iso18626Error(RoutingError):
    """A message the router cannot accept; ``error_type`` is the ISO 18626 errorType."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


@dataclass(frozen=True, slots=True)
class Agency:
    """An ``agencyIdType`` / ``agencyIdValue`` pair."""

    type: str
    value: str

    def __str__(self) -> str:
        return f"{self.type}:{self.value}"


@dataclass(slots=True)
class Message:
    """A valid incoming message: its kind, header and the fields the router reads."""

    kind: str
    supplying: Agency
    requesting: Agency
    timestamp: str
    requesting_request_id: str = ""
    supplying_request_id: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    digest: str = ""


class Agencies:
    """Agency ids <-> member codes.

    A member answers to each ``"TYPE:VALUE"`` of its ``agency_ids`` (the type compared
    without regard to case) and, failing that, to its own code under any type. It
    presents itself by its first agency id, else as ``<consortium code>:<member code>``.
    """

    def __init__(self, members: Mapping[str, Library], consortium: str) -> None:
        self.members = members
        self.consortium = consortium
        self._ids: dict[tuple[str, str], str] = {}
        for code, library in members.items():
            for text in library.agency_ids:
                kind, _, value = text.partition(":")
                self._ids.setdefault((kind.strip().upper(), value.strip()), code)

    def member(self, agency: Agency) -> str | None:
        """The member code of ``agency``, or None."""
        code = self._ids.get((agency.type.upper(), agency.value))
        if code is None and agency.value in self.members:
            code = agency.value
        return code

    def of(self, code: str) -> Agency:
        """How member ``code`` is named in the messages the router sends."""
        library = self.members.get(code)
        if library is not None and library.agency_ids:
            kind, _, value = library.agency_ids[0].partition(":")
            return Agency(kind.strip(), value.strip())
        return Agency(self.consortium, code)


def sniff(data: bytes) -> tuple[str, Agency | None, Agency | None, str]:
    """Best effort for answering a bad message: ``(kind, supplying, requesting, request id)``."""
    try:
        root = etree.fromstring(data[:MAX_BYTES], _parser())
    except etree.XMLSyntaxError:
        return "request", None, None, ""
    body = _first_child(root)
    if body is None:
        return "request", None, None, ""
    kind = etree.QName(body).localname
    header = body.find(f"{_Q}header")
    if header is None:
        return (kind if kind in MESSAGE_KINDS else "request"), None, None, ""
    return (
        kind if kind in MESSAGE_KINDS else "request",
        _agency(header, "supplyingAgencyId"),
        _agency(header, "requestingAgencyId"),
        _text(header, "requestingAgencyRequestId"),
    )


def read_message(data: bytes) -> Message:
    """Parse and validate one message; raises :class:`Iso18626Error` naming the fault."""
    if len(data) > MAX_BYTES:
        raise Iso18626Error("BadlyFormedMessage", f"message larger than {MAX_BYTES} bytes")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise Iso18626Error("BadlyFormedMessage", f"not well-formed XML: {exc}") from None
    if root.tag != f"{_Q}ISO18626Message":
        raise Iso18626Error(
            "BadlyFormedMessage",
            f"the root element is {etree.QName(root).localname!r} in namespace "
            f"{etree.QName(root).namespace or 'none'!r}, not ISO18626Message in {NS}",
        )
    schema = _schema()
    if not schema.validate(root):
        error = schema.error_log.last_error
        raise Iso18626Error(
            "BadlyFormedMessage",
            f"not valid ISO 18626 v{VERSION}: line {error.line}: {error.message}",
        )
    body = _first_child(root)
    kind = etree.QName(body).localname
    if kind not in MESSAGE_KINDS:
        raise Iso18626Error(
            "UnsupportedActionType", f"{kind} is a confirmation; send it as the HTTP answer"
        )
    header = body.find(f"{_Q}header")
    message = Message(
        kind=kind,
        supplying=_agency(header, "supplyingAgencyId"),
        requesting=_agency(header, "requestingAgencyId"),
        timestamp=_text(header, "timestamp"),
        requesting_request_id=_text(header, "requestingAgencyRequestId"),
        supplying_request_id=_text(header, "supplyingAgencyRequestId"),
        digest=_digest(body),
    )
    message.fields = _READERS[kind](body)
    return message


def _first_child(root: etree._Element) -> etree._Element | None:
    return next(root.iterchildren(etree.Element), None)


def _digest(body: etree._Element) -> str:
    return hashlib.sha256(etree.tostring(body, method="c14n")).hexdigest()[:32]


def _text(parent: etree._Element | None, *path: str) -> str:
    if parent is None:
        return ""
    node = parent.find("/".join(f"{_Q}{p}" for p in path))
    return (node.text or "").strip() if node is not None else ""


def _agency(header: etree._Element, name: str) -> Agency:
    return Agency(_text(header, name, "agencyIdType"), _text(header, name, "agencyIdValue"))


def _read_request(body: etree._Element) -> dict[str, Any]:
    bib = body.find(f"{_Q}bibliographicInfo")
    ids: dict[str, list[str]] = {}
    for item in bib.findall(f"{_Q}bibliographicItemId"):
        code = _text(item, "bibliographicItemIdentifierCode").upper()
        ids.setdefault(code, []).append(_text(item, "bibliographicItemIdentifier"))
    service = body.find(f"{_Q}serviceInfo")
    publication = body.find(f"{_Q}publicationInfo")
    return {
        "title": _text(bib, "title"),
        "author": _text(bib, "author"),
        "article_title": _text(bib, "titleOfComponent"),
        "volume": _text(bib, "volume"),
        "issue": _text(bib, "issue"),
        "pages": _text(bib, "pagesRequested"),
        "isbn": ids.get("ISBN", []),
        "issn": ids.get("ISSN", []),
        "doi": (ids.get("DOI") or [""])[0],
        "publication_type": _text(publication, "publicationType"),
        "publication_date": _text(publication, "publicationDate"),
        "service_type": _text(service, "serviceType"),
        "request_type": _text(service, "requestType"),
        "need_before": _text(service, "needBeforeDate"),
        "note": _text(service, "note"),
    }


def _read_supplying(body: etree._Element) -> dict[str, Any]:
    info = body.find(f"{_Q}messageInfo")
    return {
        "reason_for_message": _text(info, "reasonForMessage"),
        "answer": _text(info, "answerYesNo"),
        "note": _text(info, "note"),
        "reason_unfilled": _text(info, "reasonUnfilled"),
        "status": _text(body, "statusInfo", "status"),
        "due_date": _text(body, "statusInfo", "dueDate"),
    }


def _read_requesting(body: etree._Element) -> dict[str, Any]:
    return {"action": _text(body, "action"), "note": _text(body, "note")}


_READERS = {
    "request": _read_request,
    "supplyingAgencyMessage": _read_supplying,
    "requestingAgencyMessage": _read_requesting,
}


# -- writing ---------------------------------------------------------------------------


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _el(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    node = etree.SubElement(parent, f"{_Q}{name}")
    if text is not None:
        node.text = text
    return node


def _envelope(kind: str) -> tuple[etree._Element, etree._Element]:
    root = etree.Element(f"{_Q}ISO18626Message", nsmap={None: NS})
    root.set(f"{_Q}version", VERSION)
    return root, _el(root, kind)


def _put_agency(parent: etree._Element, name: str, agency: Agency) -> None:
    node = _el(parent, name)
    _el(node, "agencyIdType", agency.type)
    _el(node, "agencyIdValue", agency.value)


def _header(
    body: etree._Element,
    supplying: Agency,
    requesting: Agency,
    requesting_id: str,
    supplying_id: str = "",
    timestamp: str = "",
) -> None:
    header = _el(body, "header")
    _put_agency(header, "supplyingAgencyId", supplying)
    _put_agency(header, "requestingAgencyId", requesting)
    _el(header, "multipleItemRequestId", "")
    _el(header, "timestamp", timestamp or _now())
    _el(header, "requestingAgencyRequestId", requesting_id)
    if supplying_id:
        _el(header, "supplyingAgencyRequestId", supplying_id)


def _serialise(root: etree._Element) -> bytes:
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return data


def confirmation(
    kind: str,
    *,
    supplying: Agency | None,
    requesting: Agency | None,
    requesting_request_id: str = "",
    timestamp: str = "",
    error: tuple[str, str] | None = None,
    echo: str = "",
) -> bytes:
    """The confirmation of a ``kind`` message: ``OK``, or ``ERROR`` with ``(type, value)``.

    ``echo`` is the confirmed message's ``reasonForMessage`` or ``action``.
    """
    root, body = _envelope(CONFIRMATIONS.get(kind, "requestConfirmation"))
    header = _el(body, "confirmationHeader")
    if supplying is not None and supplying.value:
        _put_agency(header, "supplyingAgencyId", supplying)
    if requesting is not None and requesting.value:
        _put_agency(header, "requestingAgencyId", requesting)
    _el(header, "timestamp", timestamp or _now())
    if requesting_request_id:
        _el(header, "requestingAgencyRequestId", requesting_request_id)
    _el(header, "timestampReceived", _now())
    _el(header, "messageStatus", "ERROR" if error else "OK")
    if echo and kind == "supplyingAgencyMessage":
        _el(body, "reasonForMessage", echo)
    elif echo and kind == "requestingAgencyMessage":
        _el(body, "action", echo)
    if error:
        data = _el(body, "errorData")
        _el(data, "errorType", error[0])
        _el(data, "errorValue", error[1][:2000])
    return _serialise(root)


def request_message(
    *,
    supplying: Agency,
    requesting: Agency,
    request_id: str,
    citation: dict[str, Any],
    service: str,
    need_before: str = "",
    note: str = "",
) -> bytes:
    """A ``request`` asking ``supplying`` for the item on behalf of ``requesting``."""
    root, body = _envelope("request")
    _header(body, supplying, requesting, request_id)
    bib = _el(body, "bibliographicInfo")
    title = citation.get("btitle") or citation.get("jtitle") or citation.get("title") or ""
    for name, value in (
        ("title", title),
        ("author", "; ".join(citation.get("authors") or [])),
        ("titleOfComponent", citation.get("atitle") or ""),
        ("volume", citation.get("volume") or ""),
        ("issue", citation.get("issue") or ""),
        (
            "pagesRequested",
            "-".join(p for p in (citation.get("spage"), citation.get("epage")) if p),
        ),
    ):
        if value:
            _el(bib, name, str(value))
    for code, key in (("ISBN", "isbn"), ("ISSN", "issn"), ("DOI", "doi")):
        values = citation.get(key) or []
        for value in [values] if isinstance(values, str) else values:
            item = _el(bib, "bibliographicItemId")
            _el(item, "bibliographicItemIdentifier", value)
            _el(item, "bibliographicItemIdentifierCode", code)
    info = _el(body, "serviceInfo")
    _el(info, "requestType", "New")
    _el(info, "serviceType", "Loan" if service == "loan" else "Copy")
    if need_before:
        _el(info, "needBeforeDate", need_before)
    if note:
        _el(info, "note", note)
    return _serialise(root)


def supplying_message(
    *,
    supplying: Agency,
    requesting: Agency,
    requesting_request_id: str,
    supplying_request_id: str,
    status: str,
    reason_for_message: str = "StatusChange",
    note: str = "",
    reason_unfilled: str = "",
) -> bytes:
    """A ``supplyingAgencyMessage`` telling the requester the request's new status."""
    root, body = _envelope("supplyingAgencyMessage")
    _header(body, supplying, requesting, requesting_request_id, supplying_request_id)
    info = _el(body, "messageInfo")
    _el(info, "reasonForMessage", reason_for_message)
    if note:
        _el(info, "note", note)
    if reason_unfilled:
        _el(info, "reasonUnfilled", reason_unfilled)
    status_info = _el(body, "statusInfo")
    _el(status_info, "status", status)
    _el(status_info, "lastChange", _now())
    return _serialise(root)


def requesting_message(
    *,
    supplying: Agency,
    requesting: Agency,
    requesting_request_id: str,
    supplying_request_id: str,
    action: str,
    note: str = "",
) -> bytes:
    """A ``requestingAgencyMessage`` (Cancel, Received, ShippedReturn, ...)."""
    root, body = _envelope("requestingAgencyMessage")
    _header(body, supplying, requesting, requesting_request_id, supplying_request_id)
    _el(body, "action", action)
    if note:
        _el(body, "note", note)
    return _serialise(root)


def read_confirmation(data: bytes) -> tuple[str, str, str]:
    """``(kind, messageStatus, error text)`` of a confirmation received in answer.

    Raises :class:`Iso18626Error` when the answer is not a valid confirmation.
    """
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise Iso18626Error("BadlyFormedMessage", f"answer is not XML: {exc}") from None
    body = _first_child(root)
    if root.tag != f"{_Q}ISO18626Message" or not _schema().validate(root) or body is None:
        raise Iso18626Error("BadlyFormedMessage", "answer is not a valid ISO 18626 message")
    kind = etree.QName(body).localname
    if kind not in CONFIRMATIONS.values():
        raise Iso18626Error("BadlyFormedMessage", f"answer is a {kind}, not a confirmation")
    status = _text(body, "confirmationHeader", "messageStatus")
    error = " ".join(
        p
        for p in (_text(body, "errorData", "errorType"), _text(body, "errorData", "errorValue"))
        if p
    )
    return kind, status, error
