"""Load and validate source mappings (``mappings/sources/*.toml``) and value maps
(``mappings/maps/*.toml``).

A mapping is data: which reader parses the input and, for each output field of
:class:`mappings.schema.Record`, where its values come from (``marc``, ``xpath`` or
``column`` specs, or a named ``extractor``) and which named transforms clean them.
See ``docs/mapping.md`` for the format.

This module only knows the file format. What a spec means and which transforms exist
belongs to the indexer: it passes a :class:`Compiler` that turns spec strings and
transform names into callables, so every mistake is found when the file is loaded,
and reported as a :class:`~mappings.errors.MappingError` naming the file and the field.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from mappings.errors import MappingError
from mappings.schema import Record

__all__ = [
    "FIELD_KEYS",
    "MAPS_DIR",
    "READERS",
    "SOURCES_DIR",
    "SPEC_KINDS",
    "Compiler",
    "FieldRule",
    "HoldingRule",
    "LinkRule",
    "Mapping",
    "load_mapping",
    "load_value_map",
    "mapping_path",
    "record_field_kind",
]

SOURCES_DIR = Path(__file__).parent / "sources"
MAPS_DIR = Path(__file__).parent / "maps"
READERS = ("marc", "marcxml", "unimarc", "xml", "tabular")
SPEC_KINDS = ("marc", "xpath", "column")
FIELD_KEYS = frozenset({*SPEC_KINDS, "extractor", "transforms", "separator", "each", "doc"})
TOP_KEYS = frozenset(
    {
        "reader",
        "name",
        "description",
        "extends",
        "settings",
        "namespaces",
        "fields",
        "links",
        "holdings",
    }
)
LINK_KEYS = frozenset({*SPEC_KINDS, "label", "access", "open_value", "exclude_ind2", "doc"})
HOLDING_KEYS = frozenset(
    {*SPEC_KINDS, "location", "call_number", "status", "coverage", "url", "doc"}
)
NOT_MAPPABLE = frozenset({"source", "links", "holdings", "harvested_at"})
Transform = Callable[[list[str]], list[str]]


class Compiler(Protocol):
    """What the indexer provides to turn a mapping's strings into callables."""

    def spec(self, kind: str, text: str) -> Any:
        """Parse a ``marc``/``xpath``/``column`` spec; raise ``ValueError`` if invalid."""

    def transform(self, name: str, arg: str | None) -> Transform:
        """The transform called ``name`` (``arg`` after a colon); ``KeyError`` if unknown."""

    def extractor(self, name: str) -> Callable[..., list[str]]:
        """The extractor called ``name``; ``KeyError`` if unknown."""


@dataclass(frozen=True, slots=True)
class FieldRule:
    """How one Record field is filled: specs (or an extractor), then transforms in order."""

    name: str
    kind: str
    specs: tuple[Any, ...] = ()
    extractor: Callable[..., list[str]] | None = None
    transforms: tuple[Transform, ...] = ()
    transform_names: tuple[str, ...] = ()
    separator: str | None = " "
    target: str = "str"
    runs_on_empty: bool = False


@dataclass(frozen=True, slots=True)
class LinkRule:
    """856-style links: URL spec, label subfields, and the open-access flag subfield."""

    kind: str
    specs: tuple[Any, ...]
    label: str = ""
    access: str = ""
    open_value: str = "0"
    exclude_ind2: str = ""


@dataclass(frozen=True, slots=True)
class HoldingRule:
    """852/952/995-style print holdings: one Holding per field of ``tag``."""

    kind: str
    tag: str
    location: tuple[str, ...] = ()
    call_number: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    coverage: tuple[str, ...] = ()
    url: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Mapping:
    """A validated, compiled source mapping."""

    name: str
    path: str
    reader: str
    fields: tuple[FieldRule, ...]
    links: tuple[LinkRule, ...] = ()
    holdings: tuple[HoldingRule, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)
    namespaces: dict[str, str] = field(default_factory=dict)

    def rule(self, name: str) -> FieldRule | None:
        for rule in self.fields:
            if rule.name == name:
                return rule
        return None


_RECORD_FIELDS = {f.name: str(f.type) for f in dataclasses.fields(Record)}


def record_field_kind(name: str) -> str:
    """``str``, ``list``, ``int`` or ``bool`` for a Record field; ``KeyError`` if unknown."""
    kind = _RECORD_FIELDS[name]
    if kind.startswith("list"):
        return "list"
    if kind.startswith("int"):
        return "int"
    return kind


def mapping_path(ref: str | Path) -> Path:
    """A mapping file from a name (``marc21``) or a path."""
    path = Path(ref)
    if path.suffix == ".toml" or path.exists():
        return path
    return SOURCES_DIR / f"{ref}.toml"


def _read_toml(path: Path, what: str) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise MappingError(f"{path}: no such {what} file") from None
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{path}: invalid TOML: {exc}") from None


@lru_cache(maxsize=64)
def load_value_map(name: str) -> dict[str, str]:
    """A value map (``maps/<name>.toml``, table ``[map]``), keys lower-cased."""
    path = MAPS_DIR / f"{name}.toml"
    data = _read_toml(path, "value map")
    table = data.get("map")
    if not isinstance(table, dict):
        raise MappingError(f"{path}: a value map needs a [map] table of key = value")
    return {str(k).lower(): str(v) for k, v in table.items()}


def _listed(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise MappingError(f"{where}: expected a string or a list of strings, got {value!r}")


def _spec_kind(table: dict[str, Any], where: str) -> str | None:
    kinds = [k for k in SPEC_KINDS if k in table]
    if len(kinds) > 1:
        raise MappingError(f"{where}: give one of {', '.join(SPEC_KINDS)}, not {kinds}")
    return kinds[0] if kinds else None


def _compile_specs(compiler: Compiler, kind: str, texts: list[str], where: str) -> tuple[Any, ...]:
    out = []
    for text in texts:
        try:
            out.append(compiler.spec(kind, text))
        except ValueError as exc:
            raise MappingError(f"{where}: {exc}") from None
    return tuple(out)


def _compile_transforms(compiler: Compiler, names: list[str], where: str) -> tuple[Transform, ...]:
    out = []
    for text in names:
        name, _, arg = text.partition(":")
        try:
            out.append(compiler.transform(name, arg if _ else None))
        except KeyError:
            raise MappingError(f"{where}: unknown transform {name!r}") from None
        except (ValueError, MappingError) as exc:
            raise MappingError(f"{where}: transform {text!r}: {exc}") from None
    return tuple(out)


def _field_rule(name: str, table: Any, compiler: Compiler, where: str) -> FieldRule:
    if not isinstance(table, dict):
        raise MappingError(f"{where}: expected a table ([fields.{name}])")
    if name not in _RECORD_FIELDS or name in NOT_MAPPABLE:
        raise MappingError(f"{where}: {name!r} is not a mappable Record field")
    unknown = set(table) - FIELD_KEYS
    if unknown:
        raise MappingError(f"{where}: unknown key(s) {sorted(unknown)}")
    kind = _spec_kind(table, where)
    extractor = None
    specs: tuple[Any, ...] = ()
    if "extractor" in table:
        try:
            extractor = compiler.extractor(str(table["extractor"]))
        except KeyError:
            raise MappingError(f"{where}: unknown extractor {table['extractor']!r}") from None
    if kind:
        specs = _compile_specs(compiler, kind, _listed(table[kind], where), where)
    elif extractor is None:
        raise MappingError(f"{where}: needs one of {', '.join(SPEC_KINDS)} or an extractor")
    names = _listed(table.get("transforms", []), f"{where}.transforms")
    separator = None if table.get("each") else str(table.get("separator", " "))
    return FieldRule(
        name=name,
        kind=kind or "extractor",
        specs=specs,
        extractor=extractor,
        transforms=_compile_transforms(compiler, names, where),
        transform_names=tuple(names),
        separator=separator,
        target=record_field_kind(name),
        runs_on_empty=any(n.startswith("default:") for n in names),
    )


def _rule_tables(
    value: Any, allowed: set[str] | frozenset[str], where: str
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each table of a ``[links]`` / ``[[holdings]]`` entry, checked: ``(where, table)``."""
    tables = value if isinstance(value, list) else [value]
    for i, table in enumerate(tables):
        here = f"{where}[{i}]"
        if not isinstance(table, dict):
            raise MappingError(f"{here}: expected a table")
        unknown = set(table) - allowed
        if unknown:
            raise MappingError(f"{here}: unknown key(s) {sorted(unknown)}")
        yield here, table


def _link_rules(value: Any, compiler: Compiler, where: str) -> tuple[LinkRule, ...]:
    rules = []
    for here, table in _rule_tables(value, LINK_KEYS, where):
        kind = _spec_kind(table, here)
        if not kind:
            raise MappingError(f"{here}: needs a URL spec ({', '.join(SPEC_KINDS)})")
        specs = _compile_specs(compiler, kind, _listed(table[kind], here), here)
        rules.append(
            LinkRule(
                kind,
                specs,
                str(table.get("label", "")),
                str(table.get("access", "")),
                str(table.get("open_value", "0")),
                str(table.get("exclude_ind2", "")),
            )
        )
    return tuple(rules)


def _holding_rules(value: Any, where: str) -> tuple[HoldingRule, ...]:
    rules = []
    for here, table in _rule_tables(value, HOLDING_KEYS, where):
        kind = _spec_kind(table, here)
        if not kind:
            raise MappingError(f"{here}: needs the field holding items (marc = '852')")
        tag = str(table[kind])
        parts = {
            k: tuple(_listed(table.get(k, []), f"{here}.{k}"))
            for k in ("location", "call_number", "status", "coverage", "url")
        }
        rules.append(HoldingRule(kind=kind, tag=tag, **parts))
    return tuple(rules)


def _merged(data: dict[str, Any], path: Path, seen: tuple[Path, ...]) -> dict[str, Any]:
    base_ref = data.get("extends")
    if not base_ref:
        return data
    base_path = mapping_path(str(base_ref))
    if base_path in seen:
        raise MappingError(f"{path}: 'extends' loops back to {base_path}")
    base = _merged(_read_toml(base_path, "mapping"), base_path, (*seen, base_path))
    merged = {**base, **{k: v for k, v in data.items() if k not in ("fields", "extends")}}
    merged["fields"] = {**base.get("fields", {}), **data.get("fields", {})}
    return merged


def load_mapping(ref: str | Path, compiler: Compiler) -> Mapping:
    """Load, validate and compile a mapping file; raises :class:`MappingError`."""
    path = mapping_path(ref)
    data = _merged(_read_toml(path, "mapping"), path, (path,))
    where = str(path)
    unknown = set(data) - TOP_KEYS
    if unknown:
        raise MappingError(f"{where}: unknown top-level key(s) {sorted(unknown)}")
    reader = data.get("reader")
    if reader not in READERS:
        raise MappingError(f"{where}: reader must be one of {', '.join(READERS)}, got {reader!r}")
    fields = data.get("fields")
    if not isinstance(fields, dict) or not fields:
        raise MappingError(f"{where}: a mapping needs a [fields.<name>] table per Record field")
    rules = tuple(
        _field_rule(name, table, compiler, f"{where}: fields.{name}")
        for name, table in fields.items()
    )
    for key in ("settings", "namespaces"):
        if not isinstance(data.get(key, {}), dict):
            raise MappingError(f"{where}: {key} must be a table")
    return Mapping(
        name=str(data.get("name") or path.stem),
        path=where,
        reader=reader,
        fields=rules,
        links=_link_rules(data["links"], compiler, f"{where}: links") if "links" in data else (),
        holdings=_holding_rules(data["holdings"], f"{where}: holdings")
        if "holdings" in data
        else (),
        settings=dict(data.get("settings", {})),
        namespaces={str(k): str(v) for k, v in data.get("namespaces", {}).items()},
    )
