"""The decision for a request: full text, the local shelf, or a rota of lenders.

In E-first order:

1. **fulltext** — an open-access link, or an e-holding licensed to the borrower or to the
   whole consortium whose KBART coverage includes the item (date, volume, issue,
   embargo; :func:`mappings.coverage.covers`) → the links.
2. **local** — the borrower holds it in print (and the copy is not missing or out) →
   the holding (location, call number).
3. **lend** — every other library holding it in print, or electronically under a licence
   that allows ILL, is checked against its lending policy (:mod:`router.candidates`);
   the eligible ones are scored (:mod:`router.rank`) into a rota; the others are listed
   with the reason.
4. **none** — nobody can supply it: the patron is offered a purchase suggestion.

Every step leaves a sentence in ``Decision.explanation`` for staff.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from mappings.coverage import covers
from mappings.schema import Citation, Decision, EHolding, Holding, Link, Needs
from router.candidates import UNAVAILABLE_STATUSES, RoutingContext, rank_candidates

__all__ = ["Item", "decide", "item_from_citation", "item_from_payload"]

_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")


@dataclass(slots=True)
class Item:
    """What is wanted and where it is: the citation's particulars plus holdings and links."""

    title: str = ""
    format: str = ""
    year: int | None = None
    volume: str = ""
    issue: str = ""
    holdings: list[Holding] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    eholdings: list[EHolding] = field(default_factory=list)
    record_id: str = ""


def item_from_payload(
    payload: dict[str, Any],
    eholdings: list[EHolding] | tuple[EHolding, ...] = (),
    citation: Citation | None = None,
) -> Item:
    """An :class:`Item` from a search cluster payload (see ``indexer/backends/base.py``)."""
    holdings = [
        Holding(
            library=str(h.get("library", "")),
            kind=str(h.get("kind") or "print"),
            location=str(h.get("location") or ""),
            call_number=str(h.get("call_number") or ""),
            status=str(h.get("status") or ""),
            coverage=str(h.get("coverage") or ""),
            url=str(h.get("url") or ""),
        )
        for h in payload.get("holdings") or []
        if h.get("library")
    ]
    links = [
        Link(
            url=str(k.get("url", "")),
            access=str(k.get("access") or "licensed"),
            label=str(k.get("label") or ""),
            library=str(k.get("library") or ""),
        )
        for k in payload.get("links") or []
        if k.get("url")
    ]
    year = payload.get("year")
    item = Item(
        title=str(payload.get("title") or ""),
        format=str(payload.get("format") or ""),
        year=year if isinstance(year, int) else _year(str(year or "")),
        holdings=holdings,
        links=links,
        eholdings=list(eholdings),
        record_id=str(payload.get("id") or ""),
    )
    if citation is not None:
        item.volume, item.issue = citation.volume, citation.issue
        item.year = citation.year or _year(citation.date) or item.year
    return item


def item_from_citation(
    citation: Citation,
    *,
    holdings: list[Holding] | None = None,
    links: list[Link] | None = None,
    eholdings: list[EHolding] | None = None,
) -> Item:
    """An :class:`Item` for a citation, with whatever holdings and links were found for it."""
    genre = (citation.genre or "").lower()
    fmt = {"article": "article", "book": "book", "bookitem": "book", "journal": "journal"}.get(
        genre, "article" if citation.atitle else ("book" if citation.isbn else "")
    )
    return Item(
        title=citation.title,
        format=fmt,
        year=citation.year or _year(citation.date),
        volume=citation.volume,
        issue=citation.issue,
        holdings=list(holdings or []),
        links=list(links or []),
        eholdings=list(eholdings or []),
    )


def _year(text: str) -> int | None:
    match = _YEAR.search(text or "")
    return int(match.group(1)) if match else None


def decide(
    item: Item, borrower: str, needs: Needs, ctx: RoutingContext, *, today: date
) -> Decision:
    """Decide how the patron of ``borrower`` gets ``item``; every step explained."""
    explanation: list[str] = []
    if needs.electronic_ok:
        links = fulltext_links(item, borrower, ctx.consortium, today, explanation)
        if links:
            return Decision("fulltext", links=links, explanation=explanation)
    else:
        explanation.append("The patron needs print, so online full text was not considered.")
    holding = local_holding(item, borrower, explanation)
    if holding is not None:
        return Decision("local", holding=holding, explanation=explanation)
    rota, excluded = rank_candidates(item, borrower, needs, ctx, today=today)
    if rota:
        first = rota[0]
        explanation.append(
            f"{len(rota)} possible lender(s), {len(excluded)} excluded; "
            f"asking {ctx.label(first.library)} first: {first.reason}."
        )
        return Decision("lend", rota=rota, excluded=excluded, explanation=explanation)
    explanation.append(
        "No member library can supply it"
        + (f" ({len(excluded)} excluded, see the reasons)" if excluded else "")
        + "; the patron can suggest a purchase."
    )
    return Decision("none", excluded=excluded, explanation=explanation)


def fulltext_links(
    item: Item, borrower: str, consortium: str, today: date, explanation: list[str]
) -> list[Link]:
    """Open links, and licensed links/e-holdings valid for ``borrower`` that cover the item."""
    found: list[Link] = []
    seen: set[str] = set()

    def add(link: Link) -> None:
        if link.url not in seen:
            seen.add(link.url)
            found.append(link)

    for link in item.links:
        if link.access == "open" or link.library in ("", borrower, consortium):
            add(link)
    for line in item.eholdings:
        licensed = line.library in (borrower, consortium)
        if not (line.is_open or licensed) or not line.title_url:
            continue
        if covers(line, year=item.year, volume=item.volume, issue=item.issue, today=today):
            access = "open" if line.is_open else "licensed"
            add(Link(line.title_url, access, line.package, line.library))
        else:
            explanation.append(
                f"E-holding in {line.package} ({line.library}) does not cover "
                f"{_wanted(item)} (coverage {_coverage(line)})."
            )
    if found:
        kinds = sorted({link.access for link in found})
        explanation.insert(0, f"Full text online ({' and '.join(kinds)}): {len(found)} link(s).")
    return found


def local_holding(item: Item, borrower: str, explanation: list[str]) -> Holding | None:
    """The borrower's own available print copy, if any."""
    for holding in item.holdings:
        if holding.library != borrower or holding.kind != "print":
            continue
        if holding.status.strip().lower() in UNAVAILABLE_STATUSES:
            explanation.append(f"Your library's copy is {holding.status.strip().lower()}.")
            continue
        where = ", ".join(p for p in (holding.location, holding.call_number) if p)
        explanation.append(f"On the shelf at your library{': ' + where if where else ''}.")
        return holding
    return None


def _wanted(item: Item) -> str:
    parts = [str(item.year) if item.year else "", item.volume and f"vol. {item.volume}"]
    parts.append(item.issue and f"no. {item.issue}")
    return " ".join(p for p in parts if p) or "the item"


def _coverage(line: EHolding) -> str:
    first = line.date_first_issue_online or "start"
    last = line.date_last_issue_online or "now"
    embargo = f", embargo {line.embargo_info}" if line.embargo_info else ""
    return f"{first}–{last}{embargo}"
