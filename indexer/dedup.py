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
from bisect import insort
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from indexer.catalog import Catalog, record_to_bytes
from mappings.schema import Record
from mappings.text import fold, has_cjk, title_key

__all__ = [
    "STRONG_KEYS",
    "VETOES",
    "Deduplicator",
    "Prepared",
    "author_key",
    "cluster_id_for",
    "facts_of",
    "match_keys",
    "prepare",
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


@dataclass(slots=True)
class Prepared:
    """A record with what de-duplication derives from it alone, computed ahead (in a
    mapping worker): its stored bytes, their fingerprint and its match keys."""

    record: Record
    data: bytes
    fingerprint: bytes
    keys: tuple[list[str], list[str]]


def _record_of(item: Record | Prepared) -> Record:
    return item.record if isinstance(item, Prepared) else item


def _parts(item: Prepared) -> tuple[bytes, bytes, tuple[list[str], list[str]]]:
    return item.data, item.fingerprint, item.keys


def prepare(record: Record) -> Prepared:
    """:class:`Prepared` for ``record``."""
    data = record_to_bytes(record)
    return Prepared(record, data, _fingerprint(data), match_keys(record))


class Deduplicator:
    """Assigns records to clusters in the catalog; reports the clusters it changed.

    Call inside a catalog transaction; :meth:`add` and :meth:`remove` return the ids of
    clusters whose documents must be rebuilt (ids of deleted clusters included).

    A batch is worked in memory: the candidate clusters of every key of the batch, their
    facts and whether the would-be new cluster ids exist are fetched in a few ``IN``
    queries up front; the rows written are buffered and flushed with ``executemany`` at
    the end of the batch (and before any query the buffer could make stale). After
    :meth:`add`, :attr:`fresh` holds the clusters founded by the batch with all their
    members, so their documents need no trip through the catalog.
    """

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._facts: dict[str, tuple[int, dict[str, Any]]] = {}
        self._keys: dict[str, list[str]] = {}
        self._present: dict[str, bool] = {}
        self._rows: list[tuple[str, str, str, int, bytes, bytes]] = []
        self._key_rows: list[tuple[str, str, str]] = []
        self._dirty_facts: set[str] = set()
        self._removed: set[str] = set()
        self._vetoes: dict[tuple[str, str, str], int] = {}
        self.fresh: dict[str, list[Record]] = {}

    def add(self, records: Sequence[Record | Prepared], run: int) -> set[str]:
        self._reset()
        dirty: set[str] = set()
        existing = self.catalog.existing([_record_of(r).key for r in records])
        unchanged: list[str] = []
        todo: list[tuple[Record, bytes, bytes, tuple[list[str], list[str]] | None]] = []
        for item in records:
            if isinstance(item, Prepared):
                record, data, fingerprint, keys = item.record, *_parts(item)
            else:
                record, keys = item, None
                data = record_to_bytes(record)
                fingerprint = _fingerprint(data)
            if existing.get(record.key, ("", b""))[1] == fingerprint:
                keys = None
            elif keys is None:
                keys = match_keys(record)
            todo.append((record, data, fingerprint, keys))
        self._prefetch([(r, keys) for r, _, _, keys in todo if keys is not None])
        for record, data, fingerprint, keys in todo:
            known = existing.get(record.key)
            if known and known[1] == fingerprint:
                unchanged.append(record.key)
                continue
            if known:
                self._leave(record.key, dirty)
            cluster_id = self._assign(record, run, fingerprint, data, keys or match_keys(record))
            existing[record.key] = (cluster_id, fingerprint)
            dirty.add(cluster_id)
        self._flush()
        self.catalog.touch(unchanged, run)
        if self._vetoes:
            self.catalog.count_many(self._vetoes)
            self._vetoes = {}
        return dirty

    def remove(self, keys: Iterable[str]) -> set[str]:
        """Take records (``source:source_id``) out of their clusters."""
        self._reset()
        dirty: set[str] = set()
        for key in keys:
            self._leave(key, dirty)
        return dirty

    # -- batch state -------------------------------------------------------------------
    def _reset(self) -> None:
        self._facts.clear()
        self._keys.clear()
        self._present.clear()
        self._removed = set()
        self._vetoes = {}
        self.fresh = {}

    def created(self) -> set[str]:
        """Ids of the clusters founded by the last :meth:`add` that no cluster had when
        the batch began (a cluster emptied by the batch and founded again is not one)."""
        return {cid for cid in self.fresh if cid not in self._removed}

    def _prefetch(self, records: list[tuple[Record, tuple[list[str], list[str]]]]) -> None:
        """Candidate clusters of every key, their facts, and which new ids are taken."""
        seeds: list[str] = []
        wanted: list[str] = []
        for record, (strong, titles) in records:
            wanted += strong + titles
            seed = (strong + titles)[0] if strong or titles else f"record:{record.key}"
            seeds.append(cluster_id_for(seed))
        self._keys.update(self.catalog.clusters_with_keys(wanted))
        candidates = {cid for ids in self._keys.values() for cid in ids}
        for cluster_id, found in self.catalog.clusters_facts(candidates).items():
            self._facts.setdefault(cluster_id, found)
        taken = self.catalog.existing_clusters(seeds)
        self._present.update((cid, cid in taken) for cid in seeds)

    def _flush(self) -> None:
        """Write the buffered rows (records, keys, changed cluster facts)."""
        if not (self._rows or self._key_rows or self._dirty_facts):
            return
        clusters = [(cid, *self._facts[cid]) for cid in sorted(self._dirty_facts)]
        self.catalog.put_many(self._rows, self._key_rows, clusters)
        self._rows, self._key_rows = [], []
        self._dirty_facts = set()

    def _clusters_with_key(self, key: str) -> list[str]:
        found = self._keys.get(key)
        if found is None:
            self._flush()
            found = self._keys[key] = self.catalog.clusters_with_key(key)
        return found

    def _exists(self, cluster_id: str) -> bool:
        found = self._present.get(cluster_id)
        if found is None:
            self._flush()
            found = self._present[cluster_id] = self.catalog.cluster_exists(cluster_id)
        return found

    # -- internals ---------------------------------------------------------------------
    def _leave(self, key: str, dirty: set[str]) -> None:
        """Remove a record; its cluster's facts are recomputed, or the cluster deleted."""
        self._flush()
        cluster_id = self.catalog.remove_record(key)
        if cluster_id is None:
            return
        dirty.add(cluster_id)
        self._facts.pop(cluster_id, None)
        self.fresh.pop(cluster_id, None)
        self._keys.clear()  # the record's keys are gone: ask the catalog again
        self._present.clear()
        members = self.catalog.members(cluster_id)
        if members:
            self.catalog.put_cluster(cluster_id, len(members), facts_of(members))
        else:
            self.catalog.delete_cluster(cluster_id)
            self._removed.add(cluster_id)

    def _cluster(self, cluster_id: str) -> tuple[int, dict[str, Any]] | None:
        if cluster_id not in self._facts:
            self._flush()
            found = self.catalog.cluster_facts(cluster_id)
            if found is None:
                return None
            self._facts[cluster_id] = found
        return self._facts[cluster_id]

    def _candidate(self, record: Record, keys: list[str], tried: set[str]) -> str | None:
        """The first cluster sharing a key that no veto rejects (each cluster tried once)."""
        for key in keys:
            for cluster_id in self._clusters_with_key(key):
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
                key = (record.source, "veto", reason)
                self._vetoes[key] = self._vetoes.get(key, 0) + 1
        return None

    def _new_id(self, record: Record, keys: list[str]) -> tuple[str, bool]:
        """A new cluster's id, and whether no stored cluster has it (a fresh cluster)."""
        seed = keys[0] if keys else f"record:{record.key}"
        cluster_id = cluster_id_for(seed)
        if self._exists(cluster_id):
            cluster_id = cluster_id_for(f"{seed}|{record.key}")
        return cluster_id, not self._exists(cluster_id)

    def _assign(
        self,
        record: Record,
        run: int,
        fingerprint: bytes,
        data: bytes,
        match: tuple[list[str], list[str]],
    ) -> str:
        strong, titles = match
        keys = strong + titles
        tried: set[str] = set()
        cluster_id = self._candidate(record, strong, tried)
        cluster_id = cluster_id or self._candidate(record, titles, tried)
        size, facts = 0, facts_of([])
        if cluster_id is None:
            cluster_id, fresh = self._new_id(record, keys)
            if fresh:
                self.fresh[cluster_id] = []
            self._present[cluster_id] = True
        else:
            size, facts = self._facts[cluster_id]
        if cluster_id in self.fresh:
            self.fresh[cluster_id].append(record)
        add_to_facts(facts, record)
        self._facts[cluster_id] = (size + 1, facts)
        self._dirty_facts.add(cluster_id)
        self._rows.append((record.key, record.source, cluster_id, run, fingerprint, data))
        for key in keys:
            self._key_rows.append((key, record.key, cluster_id))
            known = self._keys.get(key)
            if known is not None and cluster_id not in known:
                insort(known, cluster_id)
        return cluster_id
