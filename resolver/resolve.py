"""Citation -> ordered options, E-first: full text, open access, print, request delivery.

:class:`Resolver` ties the index, the e-holdings store and the member settings
together; :meth:`Resolver.resolve` is cached (cachetools ``TTLCache`` behind a lock)
on the normalised citation and the library, and the cache is emptied whenever the index
generation changes.

Order of options:

1. ``fulltext`` - licensed to the patron's library or to the consortium: KBART lines
   whose coverage (dates, volumes, embargo) includes the citation, linked at article
   level when a template allows (:mod:`resolver.links`), else journal/book level; then
   licensed links of the matching catalogue record.
2. ``open_access`` - free KBART lines (``access_type`` F) and open links of the record.
3. ``print`` - print holdings of the record, the patron's library first.
4. ``request`` - "Request delivery", pre-filled with the citation, whenever nothing
   online was found.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from indexer.backends.base import SearchBackend
from indexer.cache import GenerationCache
from mappings.coverage import covers
from mappings.schema import Citation, EHolding
from mappings.text import title_key
from resolver.links import article_link
from resolver.lookup import EHoldingFinder, find_clusters, find_eholdings_for
from resolver.outbound import citation_kev

__all__ = ["KINDS", "Option", "Resolution", "Resolver", "citation_key"]

KINDS = ("fulltext", "open_access", "print", "request")
CLUSTER_MATCHES_ITEM = ("doi", "isbn", "oclc", "title")


@dataclass(slots=True)
class Option:
    """One way to the item. ``kind`` is one of :data:`KINDS`."""

    kind: str
    url: str
    label: str
    library: str = ""
    level: str = ""
    source: str = ""
    note: str = ""
    location: str = ""
    call_number: str = ""
    status: str = ""

    def as_json(self) -> dict[str, str]:
        return dataclasses.asdict(self)


@dataclass(slots=True)
class Resolution:
    """What the resolver found for one citation and library."""

    citation: Citation
    library: str
    options: list[Option] = field(default_factory=list)
    clusters: list[str] = field(default_factory=list)
    matched_by: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def licensed(self) -> list[Option]:
        return [o for o in self.options if o.kind == "fulltext"]

    @property
    def single_target(self) -> str:
        """The one licensed full-text URL (for ``redirect=1``), else ``""``."""
        urls = list(dict.fromkeys(o.url for o in self.licensed))
        return urls[0] if len(urls) == 1 else ""


def citation_key(citation: Citation) -> tuple[Hashable, ...]:
    """The cache key: every normalised field that can change the answer."""
    return (
        citation.genre,
        citation.doi,
        citation.pmid,
        citation.oclc,
        tuple(citation.isbn),
        tuple(citation.issn),
        citation.volume,
        citation.issue,
        citation.spage,
        citation.year,
        title_key(citation.atitle, 80),
        title_key(citation.jtitle, 80),
        title_key(citation.btitle, 80),
    )


def _safe_url(url: str) -> bool:
    """Only web links reach a page or a redirect (no ``javascript:`` from a KBART file)."""
    return url.lower().startswith(("https://", "http://"))


def _coverage_note(eh: EHolding, citation: Citation, today: date) -> str:
    """Why a KBART line does not cover the citation (for staff and patrons)."""
    unembargoed = dataclasses.replace(eh, embargo_info="")
    args = {"year": citation.year, "volume": citation.volume, "issue": citation.issue}
    if eh.embargo_info and covers(unembargoed, **args, today=today):
        return f"{eh.publication_title} ({eh.package}): embargoed ({eh.embargo_info})"
    first = eh.date_first_issue_online or eh.num_first_vol_online or "start"
    last = eh.date_last_issue_online or eh.num_last_vol_online or "now"
    return f"{eh.publication_title} ({eh.package}): online {first} - {last} only"


class Resolver:
    """Resolve citations for the libraries of one consortium.

    Parameters
    ----------
    backend:
        The search index (clusters).
    eholdings:
        The KBART store (``indexer.eholdings.EHoldingStore`` or compatible).
    consortium:
        Library codes whose e-holdings every member may use (default ``("*",)``).
    request_url:
        The router's request form or API; options link to it with the citation as
        OpenURL 1.0 KEV plus ``lib``.
    today:
        Reference date for embargoes (default: the current day).
    """

    def __init__(
        self,
        backend: SearchBackend,
        eholdings: EHoldingFinder,
        *,
        consortium: Iterable[str] = ("*",),
        request_url: str = "/request",
        cache_size: int = 4096,
        cache_ttl: float = 600.0,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.backend = backend
        self.eholdings = eholdings
        self.consortium = tuple(consortium)
        self.request_url = request_url
        self.today = today
        self._cache = GenerationCache(cache_size, cache_ttl)

    def resolve(self, citation: Citation, library: str = "") -> Resolution:
        """The options for ``citation`` and the patron's ``library`` (cached until the
        index generation changes or ``cache_ttl`` passes)."""
        return self._cache.get_or_compute(
            self.backend.generation,
            (citation_key(citation), library),
            lambda: self.resolve_uncached(citation, library),
        )

    def clear_cache(self) -> None:
        self._cache.clear()

    def resolve_uncached(self, citation: Citation, library: str = "") -> Resolution:
        clusters, matched_by = find_clusters(self.backend, citation)
        resolution = Resolution(citation, library, clusters=[str(c.get("id")) for c in clusters])
        resolution.matched_by = matched_by
        libraries = [library, *self.consortium] if library else list(self.consortium)
        today = self.today()
        self._kbart_options(resolution, libraries, today)
        self._record_links(resolution, clusters, matched_by, libraries)
        self._print_options(resolution, clusters, library)
        if not any(o.kind in ("fulltext", "open_access") for o in resolution.options):
            resolution.options.append(self._request_option(citation, library, resolution.notes))
        return resolution

    # -- option builders ---------------------------------------------------------------
    def _kbart_options(self, res: Resolution, libraries: list[str], today: date) -> None:
        cit = res.citation
        found = find_eholdings_for(self.eholdings, cit, None)
        lines = [eh for eh in found if eh.library in libraries or eh.is_open]
        lines.sort(key=lambda eh: (eh.is_open, eh.library != res.library))
        seen: set[str] = set()
        for eh in lines:
            if not covers(eh, year=cit.year, volume=cit.volume, issue=cit.issue, today=today):
                res.notes.append(_coverage_note(eh, cit, today))
                continue
            url, level = article_link(eh, cit)
            if not _safe_url(url) or url in seen:
                continue
            seen.add(url)
            kind = "open_access" if eh.is_open else "fulltext"
            label = f"{eh.publication_title} ({eh.package})"
            res.options.append(
                Option(kind, url, label, library=eh.library, level=level, source="kbart")
            )

    def _record_links(
        self, res: Resolution, clusters: list[dict[str, Any]], matched_by: str, libs: list[str]
    ) -> None:
        seen = {o.url for o in res.options}
        item_level = matched_by in CLUSTER_MATCHES_ITEM
        for cluster in clusters:
            for link in cluster.get("links", []):
                url, access = link.get("url", ""), link.get("access", "licensed")
                licensed_here = access != "open" and (link.get("library", "") in ("", *libs))
                if not _safe_url(url) or url in seen or (access != "open" and not licensed_here):
                    continue
                seen.add(url)
                kind = "open_access" if access == "open" else "fulltext"
                level = ("article" if res.citation.atitle else "book") if item_level else "journal"
                label = link.get("label") or str(cluster.get("title", "")) or url
                res.options.append(
                    Option(kind, url, label, link.get("library", ""), level, "record")
                )

    def _print_options(self, res: Resolution, clusters: list[dict[str, Any]], library: str) -> None:
        found: list[Option] = []
        for cluster in clusters:
            for h in cluster.get("holdings", []):
                if h.get("kind", "print") != "print":
                    continue
                url = h.get("url", "")
                found.append(
                    Option(
                        "print",
                        url if _safe_url(url) else "",
                        str(cluster.get("title", "")),
                        library=h.get("library", ""),
                        source="record",
                        note=h.get("coverage", ""),
                        location=h.get("location", ""),
                        call_number=h.get("call_number", ""),
                        status=h.get("status", ""),
                    )
                )
        found.sort(key=lambda o: o.library != library)  # stable: local first
        res.options.extend(found)

    def _request_option(self, citation: Citation, library: str, notes: list[str]) -> Option:
        query = citation_kev(citation)
        if library:
            query += "&" + urlencode({"lib": library})
        separator = "&" if "?" in self.request_url else "?"
        note = "; ".join(notes[:3])
        return Option("request", f"{self.request_url}{separator}{query}", "Request delivery",
                      library=library, note=note)  # fmt: skip
