"""Apply a compiled source mapping to a decoded MARC record, giving a :class:`Record`.

>>> mapping = get_mapping("marc21")
>>> mapping.reader
'marc'

:func:`get_mapping` loads a mapping once per process (workers of a multiprocessing pool
each load it on first use). :func:`map_marc` is the per-record hot path: precompiled specs,
no regex compiled per record.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from indexer.marc_spec import MarcRecord, parse_spec
from indexer.normalise import clean_text, extract_year, marc21_format, unimarc_format
from indexer.transforms import Transform, extractor, get_extractor, get_transform
from mappings.errors import MappingError, RecordError
from mappings.loader import FieldRule, Mapping, load_mapping, load_value_map
from mappings.schema import Holding, Link, Record

__all__ = [
    "IndexerCompiler",
    "call_number_key",
    "apply_values",
    "get_mapping",
    "is_open_access_url",
    "map_marc",
    "map_marc_interpreted",
]


class IndexerCompiler:
    """Compiles mapping strings with the indexer's spec parsers and transform registry."""

    def spec(self, kind: str, text: str) -> Any:
        if kind == "marc":
            return parse_spec(text)
        if kind == "xpath":
            try:
                etree.XPath(text)
            except etree.XPathSyntaxError as exc:
                raise ValueError(f"bad XPath {text!r}: {exc}") from None
            return text
        if not text.strip():
            raise ValueError("empty column name")
        return text

    def transform(self, name: str, arg: str | None) -> Transform:
        return get_transform(name, arg)

    def extractor(self, name: str) -> Callable[..., list[str]]:
        return get_extractor(name)


@lru_cache(maxsize=32)
def _load(path: str) -> Mapping:
    return load_mapping(path, IndexerCompiler())


def get_mapping(ref: str | Path) -> Mapping:
    """The compiled mapping ``ref`` (a name in ``mappings/sources`` or a path), cached."""
    return _load(str(ref))


@lru_cache(maxsize=1)
def _open_hosts() -> tuple[str, ...]:
    return tuple(load_value_map("open_access_hosts"))


def is_open_access_url(url: str) -> bool:
    """True when ``url``'s host is a known open-access host (``maps/open_access_hosts``)."""
    host = (urlsplit(url).hostname or "").lower()
    return any(host == h or host.endswith("." + h) for h in _open_hosts())


def apply_values(record: Record, rule: FieldRule, values: list[str]) -> None:
    """Run ``rule``'s transforms over ``values`` and store the result on ``record``."""
    for func in rule.transforms:
        values = func(values)
        if not values:
            break
    if not values:
        return
    if rule.target == "list":
        setattr(record, rule.name, list(dict.fromkeys(values)))
    elif rule.target == "int":
        found = extract_year(values[0]) if rule.name == "year" else None
        if found is None and values[0].strip().lstrip("-").isdigit():
            found = int(values[0])
        setattr(record, rule.name, found)
    elif rule.target == "bool":
        setattr(record, rule.name, values[0].strip().lower() in ("1", "true", "yes", "d"))
    else:
        setattr(record, rule.name, values[0])


def _extract(rec: MarcRecord, rule: FieldRule) -> list[str]:
    if rule.extractor is not None:
        return rule.extractor(rec)
    values: list[str] = []
    fields = rec.fields
    for spec in rule.specs:
        if spec.lookup in fields or spec.lookup == "LDR":
            values.extend(spec.extract(rec, rule.separator))
    if not values:
        return values
    return [c for c in map(clean_text, values) if c]


def _subfields(field: tuple[str, str, list[tuple[str, str]]], codes: tuple[str, ...]) -> str:
    for group in codes:
        found = [clean_text(v) for c, v in field[2] if c in group and v.strip()]
        if found:
            return " ".join(found)
    return ""


def _links(rec: MarcRecord, mapping: Mapping, library: str) -> list[Link]:
    links: dict[str, Link] = {}
    for rule in mapping.links:
        for spec in rule.specs:
            fields = rec.linked(spec.tag) if spec.linked else rec.datafields(spec.tag)
            for field in fields:
                if rule.exclude_ind2 and field[1] in rule.exclude_ind2:
                    continue
                if spec.ind1 is not None and field[0] != spec.ind1:
                    continue
                if spec.ind2 is not None and field[1] != spec.ind2:
                    continue
                flag = _subfields(field, (rule.access,)) if rule.access else ""
                label = _subfields(field, tuple(rule.label)) if rule.label else ""
                codes = spec.codes or "u"
                for url in (v.strip() for c, v in field[2] if c in codes):
                    if not url.lower().startswith(("http://", "https://", "ftp://")):
                        continue
                    is_open = flag == rule.open_value or is_open_access_url(url)
                    links.setdefault(
                        url,
                        Link(
                            url=url,
                            access="open" if is_open else "licensed",
                            label=label,
                            library="" if is_open else library,
                        ),
                    )
    return list(links.values())


def call_number_key(call_number: str) -> str:
    return "".join(filter(str.isalnum, call_number.lower()))


def _holdings(rec: MarcRecord, mapping: Mapping, library: str) -> list[Holding]:
    """One Holding per item field; a later rule's copy of an earlier rule's call number
    (the same item exported twice, e.g. CNMARC 905 and Alma AVA) is dropped."""
    out: list[Holding] = []
    for rule in mapping.holdings:
        earlier = {call_number_key(h.call_number) for h in out}
        for field in rec.datafields(rule.tag):
            holding = Holding(
                library=library,
                kind="print",
                location=_subfields(field, rule.location),
                call_number=_subfields(field, rule.call_number),
                status=_subfields(field, rule.status),
                coverage=_subfields(field, rule.coverage),
                url=_subfields(field, rule.url),
            )
            if holding.call_number and call_number_key(holding.call_number) in earlier:
                continue
            if holding.location or holding.call_number or holding.status or holding.coverage:
                out.append(holding)
    return out


_PLANS: dict[int, tuple[Mapping, tuple[tuple[FieldRule, frozenset[str] | None], ...]]] = {}


def _plan(mapping: Mapping) -> tuple[tuple[FieldRule, frozenset[str] | None], ...]:
    """Each field rule with the tags it reads (None: the rule must always run)."""
    found = _PLANS.get(id(mapping))
    if found is not None and found[0] is mapping:
        return found[1]
    plan = []
    for rule in mapping.fields:
        tags = frozenset(spec.lookup for spec in rule.specs)
        always = rule.extractor is not None or rule.runs_on_empty or "LDR" in tags
        plan.append((rule, None if always else tags))
    _PLANS[id(mapping)] = (mapping, tuple(plan))
    return _PLANS[id(mapping)][1]


_MAPPERS: dict[int, tuple[Mapping, Callable[[MarcRecord, str, str], Record] | None]] = {}


def _mapper(mapping: Mapping) -> Callable[[MarcRecord, str, str], Record] | None:
    """The mapping compiled to one Python function (:mod:`indexer.map_compile`), made
    on first use in each process; None when only the interpreter can run it."""
    found = _MAPPERS.get(id(mapping))
    if found is not None and found[0] is mapping:
        return found[1]
    from indexer.map_compile import compile_marc

    _MAPPERS[id(mapping)] = (mapping, compile_marc(mapping))
    return _MAPPERS[id(mapping)][1]


def map_marc(rec: MarcRecord, mapping: Mapping, source: str, library: str = "") -> Record:
    """The :class:`Record` that ``mapping`` makes of ``rec``.

    Raises :class:`MappingError` naming the field when a transform fails (a mapping bug),
    :class:`RecordError` for record types the mapping's ``settings.non_bibliographic`` lists.
    Runs the mapping compiled to Python (:mod:`indexer.map_compile`); same results as
    :func:`map_marc_interpreted`, the rule-by-rule reference.
    """
    mapper = _mapper(mapping)
    if mapper is None:
        return map_marc_interpreted(rec, mapping, source, library)
    return mapper(rec, source, library)


def map_marc_interpreted(
    rec: MarcRecord, mapping: Mapping, source: str, library: str = ""
) -> Record:
    """:func:`map_marc` rule by rule through the spec and transform objects (the
    reference the compiled mapper is tested against)."""
    record = Record(source=source, source_id="")
    kind = mapping.settings.get("non_bibliographic", {}).get(rec.leader[6:7])
    if kind:
        raise RecordError(f"not a bibliographic record: leader/06 {rec.leader[6:7]!r} is {kind}")
    fields = rec.fields
    for rule, tags in _plan(mapping):
        if tags is not None and tags.isdisjoint(fields):
            continue  # no value and no transform that runs on empty: nothing to do
        try:
            values = _extract(rec, rule)
            if values or rule.runs_on_empty:
                apply_values(record, rule, values)
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            raise MappingError(f"{mapping.path}: fields.{rule.name}: {exc!r}") from exc
    if mapping.links:
        record.links = _links(rec, mapping, library)
    if mapping.holdings:
        record.holdings = _holdings(rec, mapping, library)
    if library and not any(h.library == library for h in record.holdings):
        record.holdings.append(Holding(library=library, kind=_default_holding_kind(rec)))
    return record


def _default_holding_kind(rec: MarcRecord) -> str:
    """A record in a member's own catalogue is its copy: print, unless 008 says online.

    008/23 (form of item, books/serials/music/mixed) ``o`` online or ``s`` electronic.
    """
    control = rec.control("008")
    return "electronic" if len(control) > 23 and control[23] in "os" else "print"


@extractor("marc21_format")
def _marc21_format(rec: MarcRecord) -> list[str]:
    """Format from leader/06-07, 008/24-29/33, 006, 007, 502 (thesis) and 111/711."""
    fields = rec.fields
    f006 = fields.get("006")
    f007 = fields.get("007")
    return [
        marc21_format(
            rec.leader,
            rec.control("008"),
            [f for f in f006 if isinstance(f, str)] if f006 else [],
            [f for f in f007 if isinstance(f, str)] if f007 else [],
            "502" in fields,
            "111" in fields or "711" in fields,
        )
    ]


@extractor("unimarc_format")
def _unimarc_format(rec: MarcRecord) -> list[str]:
    """Format from the UNIMARC leader/06-07, 105$a (nature of contents) and 110$a."""
    f105 = parse_spec("105a").extract(rec)
    f110 = parse_spec("110a").extract(rec)
    return [unimarc_format(rec.leader, f105[0] if f105 else "", f110[0] if f110 else "")]
