"""De-duplication: source records grouped into clusters (the manifestations patrons see).

Rules are data, in the order they apply:

- :data:`STRONG_KEYS`: a record is matched first on its strong identifiers (ISBN-13,
  ISSN for serials only (articles share their journal's ISSN), OCLC number, DOI, LCCN);
- failing those, on title keys: :func:`mappings.text.title_key` of the main and of each
  vernacular title (CJK folded to simplified), with the first author's surname (or the
  first characters of a CJK name), so ``中國文學史 / 魯迅`` and ``中国文学史 / 鲁迅`` meet;
- every candidate cluster goes through :data:`VETOES`; each returns the reason it refuses
  (logged with the record and the cluster, and counted per source for ``efirst stats``)
  or None. The first candidate nobody vetoes wins; else the record founds a cluster.

Cluster ids are derived from the founding record's first key (``c`` + 16 hex digits), so
a cluster keeps its id when re-indexed and permalinks survive. Re-indexing a record
whose content is unchanged changes nothing (idempotent); a changed record leaves its
cluster and is matched again; a deleted record leaves its cluster, and a cluster left
empty is deleted.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from typing import Any

from indexer.catalog import Catalog, record_to_bytes
from mappings.schema import Record
from mappings.text import fold, has_cjk, title_key

__all__ = [
    "STRONG_KEYS",
    "VETOES",
    "Deduplicator",
    "author_key",
    "cluster_id_for",
    "facts_of",
    "match_keys",
]

log = logging.getLogger(__name__)

#: Identifier fields matched exactly, in priority order.
STRONG_KEYS = ("isbn", "issn", "oclc", "doi", "lccn")
#: Formats whose ISSN identifies the item itself (not the journal an article is in).
SERIAL_FORMATS = ("journal",)
_MIN_TITLE_KEY = {True: 2, False: 4}  # has_cjk -> shortest usable title key


def author_key(name: str) -> str:
    """A short, form-tolerant key for a name: the surname, or a CJK name's first chars."""
    if not name:
        return ""
    if has_cjk(name):
        return title_key(name, 4)
    folded = fold(name.split(",")[0] if "," in name else name).split()
    return folded[-1] if folded else ""


def _strong(record: Record) -> list[str]:
    keys = [f"isbn:{v}" for v in record.isbn]
    if record.format in SERIAL_FORMATS:
        keys += [f"issn:{v}" for v in record.issn]
    keys += [f"oclc:{v}" for v in record.oclc]
    keys += [f"doi:{record.doi}"] if record.doi else []
    keys += [f"lccn:{v}" for v in record.lccn]
    return keys


def _title_keys(record: Record) -> list[str]:
    names = [record.authors[:1], record.authors_vernacular[:1]]
    authors = list(dict.fromkeys(author_key(n[0]) for n in names if n)) or [""]
    keys: list[str] = []
    for title in [record.title, *record.title_vernacular]:
        key = title_key(title or "")
        if len(key) < _MIN_TITLE_KEY[has_cjk(key)]:
            continue
        keys += [f"t:{key}|{a}" for a in authors]
    return list(dict.fromkeys(keys))


def match_keys(record: Record) -> tuple[list[str], list[str]]:
    """``(strong keys, title keys)`` of a record, each de-duplicated and in order."""
    return list(dict.fromkeys(_strong(record))), _title_keys(record)


def cluster_id_for(seed: str) -> str:
    return "c" + hashlib.blake2b(seed.encode("utf-8"), digest_size=8).hexdigest()


# -- cluster facts and vetoes ----------------------------------------------------------
def facts_of(records: Iterable[Record]) -> dict[str, Any]:
    """What vetoes compare: format, year range, ISBNs, ISSNs and DOIs of a cluster."""
    facts: dict[str, Any] = {"format": "", "years": None, "isbn": [], "issn": [], "doi": []}
    for record in records:
        add_to_facts(facts, record)
    return facts


def add_to_facts(facts: dict[str, Any], record: Record) -> None:
    facts["format"] = facts["format"] or record.format
    if record.year is not None:
        low, high = facts["years"] or (record.year, record.year)
        facts["years"] = [min(low, record.year), max(high, record.year)]
    for name in ("isbn", "issn"):
        known = set(facts[name])
        facts[name] += [v for v in getattr(record, name) if v not in known]
    if record.doi and record.doi not in facts["doi"]:
        facts["doi"].append(record.doi)


def veto_format(record: Record, facts: dict[str, Any]) -> str | None:
    other = facts["format"]
    if other and record.format != other and "other" not in (record.format, other):
        return "format differs"
    return None


def veto_year(record: Record, facts: dict[str, Any]) -> str | None:
    years = facts["years"]
    if record.year is None or not years:
        return None
    if record.year < years[0] - 1 or record.year > years[1] + 1:
        return "year differs by more than 1"
    return None


def veto_issn(record: Record, facts: dict[str, Any]) -> str | None:
    if record.issn and facts["issn"] and not set(record.issn) & set(facts["issn"]):
        return "different ISSNs"
    return None


def veto_isbn(record: Record, facts: dict[str, Any]) -> str | None:
    if record.isbn and facts["isbn"] and not set(record.isbn) & set(facts["isbn"]):
        return "different ISBNs"
    return None


def veto_doi(record: Record, facts: dict[str, Any]) -> str | None:
    if record.doi and facts["doi"] and record.doi not in facts["doi"]:
        return "different DOIs"
    return None


Veto = Callable[[Record, dict[str, Any]], str | None]
#: Checks a candidate cluster must pass, in order.
VETOES: tuple[Veto, ...] = (veto_format, veto_year, veto_issn, veto_isbn, veto_doi)


def _fingerprint(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


class Deduplicator:
    """Assigns records to clusters in the catalog; reports the clusters it changed.

    Call inside a catalog transaction; :meth:`add` and :meth:`remove` return the ids of
    clusters whose documents must be rebuilt (ids of deleted clusters included).
    """

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._facts: dict[str, tuple[int, dict[str, Any]]] = {}

    def add(self, records: list[Record], run: int) -> set[str]:
        self._facts.clear()
        dirty: set[str] = set()
        existing = self.catalog.existing([r.key for r in records])
        unchanged: list[str] = []
        for record in records:
            data = record_to_bytes(record)
            fingerprint = _fingerprint(data)
            known = existing.get(record.key)
            if known and known[1] == fingerprint:
                unchanged.append(record.key)
                continue
            if known:
                self._leave(record.key, dirty)
            cluster_id = self._assign(record, run, fingerprint, data)
            existing[record.key] = (cluster_id, fingerprint)
            dirty.add(cluster_id)
        self.catalog.touch(unchanged, run)
        return dirty

    def remove(self, keys: Iterable[str]) -> set[str]:
        """Take records (``source:source_id``) out of their clusters."""
        self._facts.clear()
        dirty: set[str] = set()
        for key in keys:
            self._leave(key, dirty)
        return dirty

    # -- internals ---------------------------------------------------------------------
    def _leave(self, key: str, dirty: set[str]) -> None:
        """Remove a record; its cluster's facts are recomputed, or the cluster deleted."""
        cluster_id = self.catalog.remove_record(key)
        if cluster_id is None:
            return
        dirty.add(cluster_id)
        self._facts.pop(cluster_id, None)
        members = self.catalog.members(cluster_id)
        if members:
            self.catalog.put_cluster(cluster_id, len(members), facts_of(members))
        else:
            self.catalog.delete_cluster(cluster_id)

    def _cluster(self, cluster_id: str) -> tuple[int, dict[str, Any]] | None:
        if cluster_id not in self._facts:
            found = self.catalog.cluster_facts(cluster_id)
            if found is None:
                return None
            self._facts[cluster_id] = found
        return self._facts[cluster_id]

    def _candidate(self, record: Record, keys: list[str], tried: set[str]) -> str | None:
        """The first cluster sharing a key that no veto rejects (each cluster tried once)."""
        for key in keys:
            for cluster_id in self.catalog.clusters_with_key(key):
                if cluster_id in tried:
                    continue
                tried.add(cluster_id)
                found = self._cluster(cluster_id)
                if found is None:
                    continue
                reason = next((r for veto in VETOES if (r := veto(record, found[1]))), None)
                if reason is None:
                    return cluster_id
                log.info("%s not merged into %s: %s", record.key, cluster_id, reason)
                self.catalog.count(record.source, "veto", reason)
        return None

    def _new_id(self, record: Record, keys: list[str]) -> str:
        seed = keys[0] if keys else f"record:{record.key}"
        cluster_id = cluster_id_for(seed)
        if self.catalog.cluster_exists(cluster_id):
            cluster_id = cluster_id_for(f"{seed}|{record.key}")
        return cluster_id

    def _assign(self, record: Record, run: int, fingerprint: bytes, data: bytes) -> str:
        strong, titles = match_keys(record)
        tried: set[str] = set()
        cluster_id = self._candidate(record, strong, tried)
        cluster_id = cluster_id or self._candidate(record, titles, tried)
        size, facts = 0, facts_of([])
        if cluster_id is None:
            cluster_id = self._new_id(record, strong + titles)
        else:
            size, facts = self._facts[cluster_id]
        add_to_facts(facts, record)
        self._facts[cluster_id] = (size + 1, facts)
        self.catalog.put_cluster(cluster_id, size + 1, facts)
        self.catalog.put_record(record, cluster_id, run, fingerprint, data)
        self.catalog.put_keys(record.key, strong + titles, cluster_id)
        return cluster_id
