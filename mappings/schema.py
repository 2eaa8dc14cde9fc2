"""The domain model shared by every package: defined here once, imported everywhere.

Records come out of the source mappings, clusters out of de-duplication; holdings,
e-holdings (KBART lines) and links say where a patron can get the item; libraries,
citations and requests are what the resolver and the router work with.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ACCESS_KINDS",
    "FORMATS",
    "HOLDING_KINDS",
    "Citation",
    "Cluster",
    "Decision",
    "EHolding",
    "Holding",
    "Library",
    "LendingPolicy",
    "Link",
    "Needs",
    "Record",
    "RotaEntry",
    "to_dict",
]

FORMATS = (
    "book",
    "journal",
    "article",
    "thesis",
    "conference",
    "standard",
    "patent",
    "report",
    "audio",
    "video",
    "other",
)
HOLDING_KINDS = ("print", "electronic")
ACCESS_KINDS = ("open", "licensed")


@dataclass(slots=True)
class Link:
    """A URL to the item: open access, or licensed (to ``library``, or consortium-wide)."""

    url: str
    access: str = "licensed"
    label: str = ""
    library: str = ""


@dataclass(slots=True)
class Holding:
    """A library's copy: print (shelf) or electronic, with a serial coverage statement."""

    library: str
    kind: str = "print"
    location: str = ""
    call_number: str = ""
    status: str = ""
    coverage: str = ""
    url: str = ""


@dataclass(slots=True)
class EHolding:
    """One KBART (NISO RP-9-2014) line for a library's or the consortium's package."""

    library: str
    package: str
    publication_title: str
    publication_type: str = "serial"
    print_identifier: str = ""
    online_identifier: str = ""
    date_first_issue_online: str = ""
    num_first_vol_online: str = ""
    num_first_issue_online: str = ""
    date_last_issue_online: str = ""
    num_last_vol_online: str = ""
    num_last_issue_online: str = ""
    title_url: str = ""
    first_author: str = ""
    title_id: str = ""
    embargo_info: str = ""
    coverage_depth: str = ""
    notes: str = ""
    publisher_name: str = ""
    date_monograph_published_print: str = ""
    date_monograph_published_online: str = ""
    monograph_volume: str = ""
    monograph_edition: str = ""
    first_editor: str = ""
    access_type: str = "P"
    doi: str = ""
    ill_allowed: bool = False

    @property
    def is_open(self) -> bool:
        """KBART ``access_type`` F means free to read."""
        return self.access_type.upper() == "F"


@dataclass(slots=True)
class Record:
    """One source's description of a work, after mapping and normalisation."""

    source: str
    source_id: str
    format: str = "other"
    title: str = ""
    title_vernacular: list[str] = field(default_factory=list)
    alt_titles: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    authors_vernacular: list[str] = field(default_factory=list)
    publisher: str = ""
    place: str = ""
    year: int | None = None
    edition: str = ""
    isbn: list[str] = field(default_factory=list)
    issn: list[str] = field(default_factory=list)
    oclc: list[str] = field(default_factory=list)
    lccn: list[str] = field(default_factory=list)
    doi: str = ""
    local_ids: list[str] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)
    language: str = ""
    series: str = ""
    summary: str = ""
    journal_title: str = ""
    volume: str = ""
    issue: str = ""
    pages: str = ""
    links: list[Link] = field(default_factory=list)
    holdings: list[Holding] = field(default_factory=list)
    harvested_at: str = ""
    deleted: bool = False

    @property
    def key(self) -> str:
        """Stable identity of a source record: ``source:source_id``."""
        return f"{self.source}:{self.source_id}"


@dataclass(slots=True)
class Cluster:
    """The de-duplicated manifestation patrons see: all member records of one work."""

    id: str
    records: list[Record] = field(default_factory=list)


@dataclass(slots=True)
class LendingPolicy:
    """How a member lends: what, for how much, how fast, and when it gives up."""

    lends: bool = True
    formats: list[str] = field(default_factory=lambda: ["book", "journal", "article"])
    loans: bool = True
    copies: bool = True
    fees: dict[str, float] = field(default_factory=dict)
    payment_methods: list[str] = field(default_factory=list)
    delivery_methods: list[str] = field(default_factory=lambda: ["electronic", "courier"])
    processing_days: float = 1.0
    timeout_days: int = 3
    closed_dates: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Library:
    """A member of the consortium."""

    code: str
    name_zh: str
    name_en: str
    city: str = ""
    region: str = ""
    lat: float = 0.0
    lon: float = 0.0
    role: str = "member"
    ip_ranges: list[str] = field(default_factory=list)
    embed_domains: list[str] = field(default_factory=list)
    resolver_base_url: str = ""
    resolver_link_text: str = ""
    resolver_link_image: str = ""
    logo: str = ""
    partner_groups: list[str] = field(default_factory=list)
    iso18626_url: str = ""
    agency_ids: list[str] = field(default_factory=list)  # ISO 18626 "TYPE:VALUE", e.g. "ISIL:CN-1"
    iso18626_allow: list[str] = field(default_factory=list)  # CIDRs its ISO 18626 peer posts from
    iso18626_key_env: str = ""  # env variable holding our API key at its ISO 18626 endpoint
    address: str = ""  # postal address (admin pages)
    badge_url: str = ""  # a badge / home-page link shown with the library (admin pages)
    ill_contact: str = ""  # ILL contact person or desk
    ill_email: str = ""
    ill_phone: str = ""
    policy: LendingPolicy = field(default_factory=LendingPolicy)

    def name(self, locale: str = "en") -> str:
        return self.name_zh if locale.startswith("zh") else self.name_en


@dataclass(slots=True)
class Citation:
    """What a patron wants: the parsed form of an OpenURL or a request form."""

    genre: str = ""
    atitle: str = ""
    jtitle: str = ""
    btitle: str = ""
    issn: list[str] = field(default_factory=list)
    isbn: list[str] = field(default_factory=list)
    doi: str = ""
    pmid: str = ""
    oclc: str = ""
    volume: str = ""
    issue: str = ""
    spage: str = ""
    epage: str = ""
    date: str = ""
    year: int | None = None
    authors: list[str] = field(default_factory=list)
    publisher: str = ""
    sid: str = ""

    @property
    def title(self) -> str:
        return self.atitle or self.btitle or self.jtitle


@dataclass(slots=True)
class Needs:
    """What the patron needs: format, a copy or a loan, at most what cost, by when."""

    format: str = ""
    service: str = "copy"
    max_cost: float | None = None
    needed_by: str = ""
    electronic_ok: bool = True


@dataclass(slots=True)
class RotaEntry:
    """One candidate lender in a rota: its rank, score, score components and why."""

    library: str
    rank: int
    score: float
    components: dict[str, float] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    reason: str = ""


@dataclass(slots=True)
class Decision:
    """What the router decided for a request, with words staff can read.

    ``kind`` is ``fulltext`` (``links``), ``local`` (``holding``), ``lend`` (``rota``) or
    ``none``; ``excluded`` lists ``{"library", "reason"}`` for every library left out.
    """

    kind: str
    links: list[Link] = field(default_factory=list)
    holding: Holding | None = None
    rota: list[RotaEntry] = field(default_factory=list)
    excluded: list[dict[str, str]] = field(default_factory=list)
    explanation: list[str] = field(default_factory=list)


def to_dict(obj: Any) -> dict[str, Any]:
    """A dataclass as plain JSON-ready data (nested dataclasses included)."""
    return dataclasses.asdict(obj)
