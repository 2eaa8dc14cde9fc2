"""The registry of named transforms and extractors used by source mappings.

A transform turns the list of values extracted for a field into a new list. Plain
transforms take only the values; parametrised ones are *factories* taking the text after
the colon in the mapping (``map:languages``, ``default:book``, ``match:^\\(OCoLC\\)``) and
returning the transform, so arguments are checked (and regexes compiled, maps loaded)
once, when the mapping is loaded.

Other modules add their own with the decorators::

    from indexer.transforms import transform

    @transform("upper")
    def upper(values: list[str]) -> list[str]:
        return [v.upper() for v in values]

    @transform("prefix", takes_arg=True)
    def prefix(arg: str) -> Transform:
        return lambda values: [arg + v for v in values]

Extractors compute a field from a whole record when specs cannot say it (format
detection): ``@extractor("marc21_format") def f(record) -> list[str]``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from indexer.normalise import (
    clean_text,
    extract_year,
    normalise_language,
    trim_punctuation,
)
from mappings import identifiers
from mappings.loader import load_value_map

__all__ = [
    "EXTRACTORS",
    "TRANSFORMS",
    "Transform",
    "TransformEntry",
    "extractor",
    "get_extractor",
    "get_transform",
    "transform",
]

Transform = Callable[[list[str]], list[str]]


@dataclass(frozen=True, slots=True)
class TransformEntry:
    name: str
    func: Callable[..., Any]
    takes_arg: bool
    doc: str


TRANSFORMS: dict[str, TransformEntry] = {}
EXTRACTORS: dict[str, Callable[..., list[str]]] = {}


def transform(name: str, *, takes_arg: bool = False) -> Callable[[Callable[..., Any]], Any]:
    """Register a transform under ``name`` (a factory of one string if ``takes_arg``)."""

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        doc = (func.__doc__ or "").strip().splitlines()[0] if func.__doc__ else ""
        TRANSFORMS[name] = TransformEntry(name, func, takes_arg, doc)
        return func

    return register


def extractor(name: str) -> Callable[[Callable[..., list[str]]], Callable[..., list[str]]]:
    """Register a record-level extractor under ``name``."""

    def register(func: Callable[..., list[str]]) -> Callable[..., list[str]]:
        EXTRACTORS[name] = func
        return func

    return register


def get_transform(name: str, arg: str | None) -> Transform:
    """The transform ``name`` bound to ``arg``; ``KeyError`` if unknown, ``ValueError`` if
    the argument is missing, unexpected or invalid."""
    entry = TRANSFORMS[name]
    if entry.takes_arg:
        if arg is None:
            raise ValueError(f"{name!r} needs an argument ('{name}:...')")
        return entry.func(arg)  # type: ignore[no-any-return]
    if arg is not None:
        raise ValueError(f"{name!r} takes no argument")
    return entry.func  # type: ignore[no-any-return]


def get_extractor(name: str) -> Callable[..., list[str]]:
    return EXTRACTORS[name]


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


@transform("trim")
def trim(values: list[str]) -> list[str]:
    """Strip whitespace at both ends; drop empty values."""
    return [s for s in (v.strip() for v in values) if s]


@transform("clean")
def clean(values: list[str]) -> list[str]:
    """Collapse whitespace, drop control characters and non-sort markers, resolve ``&#x..;``."""
    return [s for s in map(clean_text, values) if s]


@transform("trim_punctuation")
def trim_punctuation_(values: list[str]) -> list[str]:
    """Strip ISBD punctuation (`` /``, `` :``, ``;``, ``=``, ``,``, final ``.``, ``[...]``)."""
    return [s for s in map(trim_punctuation, values) if s]


_LOOSE_COMMAS = re.compile(r"\s*,(?:\s*,)*\s*")


@transform("squeeze_punctuation")
def squeeze_punctuation(values: list[str]) -> list[str]:
    """Tidy commas left by joining subfields (``Asimov, , Isaac`` -> ``Asimov, Isaac``)."""
    return [_LOOSE_COMMAS.sub(", ", v).strip(", ") for v in values]


@transform("first")
def first(values: list[str]) -> list[str]:
    """Keep only the first value."""
    return values[:1]


@transform("unique")
def unique(values: list[str]) -> list[str]:
    """Drop empty values and repeats, keeping the first occurrence's order."""
    return _unique(values)


@transform("lower")
def lower(values: list[str]) -> list[str]:
    """Lower-case."""
    return [v.lower() for v in values]


def _identifier(func: Callable[[str], str]) -> Transform:
    return lambda values: _unique([func(v) for v in values])


for _name, _func in (
    ("normalise_isbn", identifiers.normalise_isbn),
    ("normalise_issn", identifiers.normalise_issn),
    ("normalise_doi", identifiers.normalise_doi),
    ("normalise_oclc", identifiers.normalise_oclc),
    ("normalise_lccn", identifiers.normalise_lccn),
):
    TRANSFORMS[_name] = TransformEntry(
        _name,
        _identifier(_func),
        False,
        f"Valid, canonical identifier via mappings.identifiers.{_func.__name__}; invalid dropped.",
    )


@transform("year")
def year(values: list[str]) -> list[str]:
    """The publication year found in each value (``c1999.`` -> ``1999``); others dropped."""
    out = []
    for value in values:
        found = extract_year(value)
        if found is not None:
            out.append(str(found))
    return out


@transform("language")
def language(values: list[str]) -> list[str]:
    """ISO 639-2/B codes (from 639-1, 639-2/T or English names); unknown/``und`` dropped."""
    return _unique([normalise_language(v) for v in values])


@transform("split_codes")
def split_codes(values: list[str]) -> list[str]:
    """Split run-together 3-letter codes (old 041 ``$a engfre`` -> ``eng``, ``fre``)."""
    out = []
    for value in values:
        text = value.strip()
        if len(text) > 3 and len(text) % 3 == 0 and text.isalpha():
            out.extend(text[i : i + 3] for i in range(0, len(text), 3))
        else:
            out.append(text)
    return out


@transform("map", takes_arg=True)
def map_(name: str) -> Transform:
    """``map:NAME`` — translate through ``mappings/maps/NAME.toml``; unmapped values dropped."""
    table = load_value_map(name)
    return lambda values: _unique([table.get(v.strip().lower(), "") for v in values])


@transform("translate", takes_arg=True)
def translate(name: str) -> Transform:
    """``translate:NAME`` — like ``map`` but unmapped values are kept as they are."""
    table = load_value_map(name)
    return lambda values: _unique([table.get(v.strip().lower(), v) for v in values])


@transform("default", takes_arg=True)
def default(value: str) -> Transform:
    """``default:VALUE`` — use VALUE when nothing was found."""
    return lambda values: values if values else [value]


@transform("match", takes_arg=True)
def match(pattern: str) -> Transform:
    """``match:REGEX`` — keep only values in which REGEX is found."""
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"bad regular expression: {exc}") from None
    return lambda values: [v for v in values if regex.search(v)]


@transform("strip_prefix", takes_arg=True)
def strip_prefix(prefix: str) -> Transform:
    """``strip_prefix:TEXT`` — remove TEXT at the start of each value."""
    return lambda values: [v[len(prefix) :] if v.startswith(prefix) else v for v in values]


@transform("split", takes_arg=True)
def split(separator: str) -> Transform:
    """``split:SEP`` — split each value on SEP."""
    return lambda values: [p.strip() for v in values for p in v.split(separator) if p.strip()]


@transform("join", takes_arg=True)
def join(separator: str) -> Transform:
    """``join:SEP`` — join all values into one (``join: `` for a space)."""
    return lambda values: [separator.join(values)] if values else []


@transform("slice", takes_arg=True)
def slice_(arg: str) -> Transform:
    """``slice:START-END`` — characters START..END (inclusive, 0-based) of each value."""
    start_text, _, end_text = arg.partition("-")
    if not start_text.isdigit() or (end_text and not end_text.isdigit()):
        raise ValueError("expected slice:START or slice:START-END")
    start = int(start_text)
    stop = int(end_text) + 1 if end_text else start + 1
    return lambda values: [s for s in (v[start:stop] for v in values) if s.strip()]
