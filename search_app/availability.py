"""The E-first availability of one record for one patron's library.

Order of preference (CASHL's "electronic first"): full text online (open access, or
licensed to the patron's library or to the whole consortium) > on the shelf at the
patron's library (with call number) > request delivery from the N other member
libraries that hold it. Works on the display payload documented in
:mod:`indexer.backends.base`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Availability", "availability"]


@dataclass(slots=True)
class Availability:
    #: Links the patron can open now (open first), each ``{"url", "access", "label", "library"}``.
    online: list[dict[str, Any]] = field(default_factory=list)
    #: The patron's library's own print holdings.
    shelf: list[dict[str, Any]] = field(default_factory=list)
    #: Codes of the other member libraries holding it (the delivery candidates).
    lenders: list[str] = field(default_factory=list)

    @property
    def best(self) -> str:
        """``online`` | ``shelf`` | ``request`` | ``none``."""
        if self.online:
            return "online"
        if self.shelf:
            return "shelf"
        return "request" if self.lenders else "none"


def _usable_link(link: dict[str, Any], code: str) -> bool:
    if not link.get("url"):
        return False
    if link.get("access") == "open":
        return True
    owner = link.get("library") or ""
    # A consortium-wide licence (no owner) reaches members only.
    return bool(code) and owner in ("", code)


def availability(payload: dict[str, Any], code: str) -> Availability:
    """How the patron of library ``code`` ("" when unknown) can get this record."""
    found = Availability()
    links = [link for link in payload.get("links") or [] if _usable_link(link, code)]
    for holding in payload.get("holdings") or []:
        if holding.get("kind") == "electronic" and holding.get("url"):
            link = {
                "url": holding["url"],
                "access": "licensed",
                "label": "",
                "library": holding.get("library", ""),
            }
            if _usable_link(link, code):
                links.append(link)
    seen: set[str] = set()
    for link in sorted(links, key=lambda item: item.get("access") != "open"):
        if link["url"] not in seen:
            seen.add(link["url"])
            found.online.append(link)
    lenders: dict[str, None] = {}
    for holding in payload.get("holdings") or []:
        library = holding.get("library") or ""
        if code and library == code:
            if holding.get("kind", "print") == "print":
                found.shelf.append(holding)
        elif library:
            lenders[library] = None
    found.lenders = list(lenders)
    return found
