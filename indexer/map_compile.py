"""Compile a MARC mapping once into one specialised Python function.

The mapping stays data (``mappings/sources/*.toml``); this module only changes how it
runs. :func:`compile_marc` reads a validated :class:`~mappings.loader.Mapping` and writes
the Python source of one function ``(rec, source, library) -> Record`` doing, rule by
rule, what :func:`indexer.map.map_marc_interpreted` (the reference) does: every spec's
tag, indicators, subfield codes, separator and positions are literals in the code, so
a record costs dictionary lookups and loops over its own subfields, not calls through
spec objects and lists of intermediate values.

- Every extracted value goes through cleaning and the element-wise transforms at the
  head of its rule's list (``trim``, ``trim_punctuation``, ``clean``, ``lower``,
  ``squeeze_punctuation``, ``year``) as it is extracted: the same values in the same
  order as running each step over the whole list.
- A rule whose field keeps one value (a ``str``/``int``/``bool`` field, or ``first``
  last) stops reading further specs once it has one.
- ``first`` and ``unique`` are inlined; every other transform and extractor is called
  as the mapping compiled it (a transform re-registered under a built-in name is
  called, not inlined). Links and holdings rules are written out the same way.

The source is built only from the mapping (strings enter through :func:`repr`,
callables through the function's namespace), never from record data, and is compiled
once per mapping and process (logged at DEBUG; :func:`mapper_source` gives it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from indexer import transforms as _t
from indexer.marc_spec import _SKIPPED_CODES, MarcRecord, MarcSpec
from indexer.normalise import clean_text, extract_year, normalise_language, trim_punctuation
from mappings.errors import MappingError, RecordError
from mappings.loader import FieldRule, HoldingRule, LinkRule, Mapping, record_field_kind
from mappings.schema import Holding, Link, Record

__all__ = ["CompiledMapper", "compile_marc", "mapper_source"]

log = logging.getLogger(__name__)

CompiledMapper = Callable[[MarcRecord, str, str], Record]

#: Exceptions a rule's code may raise that are reported as a mapping bug for the field.
_RULE_ERRORS = (ValueError, TypeError, KeyError, IndexError)

#: Built-in transforms the compiler knows: the registered function -> its name.
_KNOWN: dict[Any, str] = {
    _t.trim: "trim",
    _t.trim_punctuation_: "trim_punctuation",
    _t.first: "first",
    _t.unique: "unique",
    _t.lower: "lower",
    _t.clean: "clean",
    _t.squeeze_punctuation: "squeeze_punctuation",
    _t.year: "year",
}
#: Values remembered per cache (then it starts again): about 2 MB each.
_CACHE_SIZE = 16384
_MISS = object()
#: Element-wise transforms (value -> value or nothing) known by name.
_PER_VALUE = frozenset(
    {"trim", "trim_punctuation", "clean", "lower", "squeeze_punctuation", "year"}
)
# Factories' transforms share their code object: how a built-in one is recognised.
_IDENTIFIER_CODE = _t._identifier(str).__code__
_MATCH_CODE = _t.match("x").__code__
_LOOKUP_CODES: dict[Any, bool] = {}  # code object -> keeps unmapped values (translate)


def _lookup_codes() -> dict[Any, bool]:
    if not _LOOKUP_CODES:
        for factory, keeps in ((_t.map_, False), (_t.translate, True)):
            _LOOKUP_CODES[factory("languages").__code__] = keeps
    return _LOOKUP_CODES


Step = tuple[Any, ...]
"""One element-wise step of a rule's head: ``(name,)`` for the transforms above,
``("fn", f)`` (value -> value, empty dropped, then de-duplicated: the identifier
normalisers and ``language``), ``("match", regex)``, ``("lookup", table, keeps)``
(``map:`` / ``translate:``, de-duplicated) and ``("split_codes",)`` (one value to many)."""

#: Steps after which the transform de-duplicates its list (``_unique``).
_DEDUPED = ("fn", "lookup")


def _closure(func: Any) -> dict[str, Any]:
    cells = func.__closure__ or ()
    return dict(zip(func.__code__.co_freevars, (c.cell_contents for c in cells), strict=True))


def _step(func: Any) -> Step | None:
    """The element-wise step ``func`` is (a built-in transform), or None."""
    name = _known(func)
    if name in _PER_VALUE:
        return (name,)
    if func is _t.language:
        return ("fn", normalise_language)
    if func is _t.split_codes:
        return ("split_codes",)
    code = getattr(func, "__code__", None)
    if code is None or not getattr(func, "__closure__", None):
        return None
    if code is _IDENTIFIER_CODE:
        return ("fn", _closure(func)["func"])
    if code is _MATCH_CODE:
        return ("match", _closure(func)["regex"])
    keeps = _lookup_codes().get(code)
    if keeps is not None:
        return ("lookup", _closure(func)["table"], keeps)
    return None


class _Writer:
    """Lines of Python at an indentation depth."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.depth = 1

    def __call__(self, line: str) -> None:
        self.lines.append("    " * self.depth + line)

    def indent(self) -> None:
        self.depth += 1

    def dedent(self) -> None:
        self.depth -= 1


def _known(func: Any) -> str | None:
    try:
        return _KNOWN.get(func)
    except TypeError:  # an unhashable callable
        return None


def _slice(spec: MarcSpec) -> str:
    """The subscript for the spec's positions (``MarcSpec._slice``), or ``""``."""
    if spec.start is None:
        return ""
    start = spec.start or 0
    stop = start + 1 if spec.end is None else spec.end + 1
    return f"[{start}:{stop}]"


# -- field rules --------------------------------------------------------------------
def _emit_value(w: _Writer, head: list[Step], cache: str, known: bool = False) -> None:
    """One extracted value ``y``: cleaned (``clean_text``), run through the rule's
    element-wise head, what survives appended to ``v``.

    The outcome is remembered per raw value in ``cache`` (shared by the rules with the
    same head): those steps are pure functions of the value, and publishers, places,
    names and subject headings come back record after record. A head that can make
    several values of one (``split_codes``) remembers a tuple."""
    many = any(step[0] == "split_codes" for step in head)
    depth = w.depth
    if not known:  # else y is known to be a non-empty string
        w("if y:")
        w.indent()
    w(f"z = {cache}.get(y, MISS)")
    w("if z is MISS:")
    w.indent()
    top = w.depth
    w("k = y")
    w("z = []" if many else "z = None")
    w("if y.isascii() and '&#x' not in y:")  # clean_text's ASCII path
    w("    y = ' '.join(y.split())")
    w("else:")
    w("    y = _clean(y)")
    w("if y:")
    w.indent()
    for step in head:
        name = step[0]
        if name == "trim":
            w("y = y.strip()")
        elif name == "trim_punctuation":
            w("if y[-1:].isalnum() and y[:1].isalnum():")  # trim_punctuation's fast path
            w("    y = y.strip()")
            w("else:")
            w("    y = _trim_punctuation(y)")
        elif name == "clean":
            w("y = _clean(y)")
        elif name == "lower":
            w("y = y.lower()")
            continue  # keeps empty values
        elif name == "squeeze_punctuation":
            w("y = _LOOSE_COMMAS.sub(', ', y).strip(', ')")
            continue  # keeps empty values
        elif name == "year":
            w("y = _year(y)")
            w("if y is not None:")
            w.indent()
            w("y = str(y)")
            continue
        elif name == "split_codes":
            w("for y in _split_codes([y]):")
            w.indent()
            continue  # keeps empty values
        elif name == "match":
            w(f"if {step[1]}.search(y):")
            w.indent()
            continue
        elif name == "fn":
            w(f"y = {step[1]}(y)")
        elif name == "lookup":
            w(f"y = {step[1]}.get(y.strip().lower(), {'y' if step[2] else repr('')})")
        w("if y:")
        w.indent()
    w("z.append(y)" if many else "z = y")
    w.depth = top
    if many:
        w("z = tuple(z)")
    w(f"if len({cache}) >= CACHE_SIZE:")
    w(f"    {cache}.clear()")
    w(f"{cache}[k] = z")
    w.dedent()
    if many:
        w("v.extend(z)")
    else:
        w("if z is not None:")
        w("    v.append(z)")
    w.depth = depth


def _emit_control(w: _Writer, spec: MarcSpec, head: list[Step], cache: str) -> None:
    cut = _slice(spec)
    if spec.tag == "LDR":
        w("y = leader")
        w("if isinstance(y, str):")
        w.indent()
        if cut:
            w(f"y = y{cut}")
        _emit_value(w, head, cache)
        w.dedent()
        return
    w(f"x = F.get({spec.tag!r})")
    w("if x is not None:")
    w.indent()
    w("for y in x:")
    w.indent()
    w("if isinstance(y, str):")
    w.indent()
    if cut:
        w(f"y = y{cut}")
    _emit_value(w, head, cache)
    w.depth -= 3


def _emit_data(
    w: _Writer, spec: MarcSpec, separator: str | None, head: list[Step], cache: str
) -> None:
    cut = _slice(spec)
    if spec.linked:
        w("if linked:")
        w.indent()
        w(f"for f in rec.linked({spec.tag!r}):")
    else:
        w(f"x = F.get({spec.tag!r})")
        w("if x is not None:")
        w.indent()
        w("for f in x:")
    w.indent()
    w("if isinstance(f, str):")
    w("    continue")
    if spec.ind1 is not None:
        w(f"if (f[0] or ' ') != {spec.ind1!r}:")
        w("    continue")
    if spec.ind2 is not None:
        w(f"if (f[1] or ' ') != {spec.ind2!r}:")
        w("    continue")
    wanted = f"c in {spec.codes!r}" if spec.codes else "c not in _SKIPPED"
    if separator is not None:
        # the selected (non-empty) subfields joined: y stays "" until the first one
        w("y = ''")
        w("for c, b in f[2]:")
        w(f"    if {wanted} and b:")
        w(f"        y = y + {separator!r} + b if y else b")
        w("if y:")
        w.indent()
        if cut:
            w(f"y = y{cut}")
        _emit_value(w, head, cache, known=not cut)
        w.dedent()
    else:
        w("for c, b in f[2]:")
        w(f"    if {wanted} and b:")
        w.indent()
        w.indent()
        w(f"y = b{cut}")
        _emit_value(w, head, cache)
        w.depth -= 2
    w.depth -= 2


def _emit_assign(w: _Writer, rule: FieldRule, deduped: bool, from_year: bool) -> None:
    """Store the non-empty ``v`` on the record by the field's type (``apply_values``)."""
    name = rule.name
    if rule.target == "list":
        w(f"record.{name} = v" if deduped else f"record.{name} = list(dict.fromkeys(v))")
    elif rule.target == "int":
        if from_year:
            # v[0] is str(n) of a year n from extract_year: extract_year(str(n)) gives n
            # back, or None when n is past the years it accepts, and then int(v[0]) = n
            w(f"record.{name} = int(v[0])")
            return
        w("n = _year(v[0])" if name == "year" else "n = None")
        w("if n is None and v[0].strip().lstrip('-').isdigit():")
        w("    n = int(v[0])")
        w(f"record.{name} = n")
    elif rule.target == "bool":
        w(f"record.{name} = v[0].strip().lower() in ('1', 'true', 'yes', 'd')")
    else:
        w(f"record.{name} = v[0]")


def _split_chain(rule: FieldRule) -> tuple[list[Step], list[tuple[int, Any]]]:
    """The rule's transforms as (element-wise head, [(position, transform), ...]); a
    de-duplicating step ends the head."""
    head: list[Step] = []
    funcs = rule.transforms
    position = 0
    if rule.extractor is None:  # extractors' values are not cleaned: run them as lists
        while position < len(funcs):
            step = _step(funcs[position])
            if step is None:
                break
            head.append(step)
            position += 1
            if step[0] in _DEDUPED:
                break
    return head, list(enumerate(funcs))[position:]


def _named(head: list[Step], namespace: dict[str, Any]) -> tuple[list[Step], str]:
    """``head`` with its objects put in the namespace (by name), and its cache's name."""
    objects: dict[int, str] = namespace.setdefault("_OBJECTS", {})
    named: list[Step] = []
    for step in head:
        if len(step) > 1:
            name = objects.get(id(step[1]))
            if name is None:
                name = objects[id(step[1])] = f"O{len(objects)}"
                namespace[name] = step[1]
            step = (step[0], name, *step[2:])
        named.append(step)
    parts = ["_".join(str(part) for part in step) for step in named]
    cache = "C_" + "__".join(parts)  # made of step names and O<n>: an identifier
    namespace.setdefault(cache, {})
    return named, cache


def _emit_rule(
    w: _Writer, mapping: Mapping, rule: FieldRule, index: int, namespace: dict[str, Any]
) -> None:
    namespace[f"M{index}"] = f"{mapping.path}: fields.{rule.name}: "
    head, rest = _split_chain(rule)
    names = [_known(func) for _, func in rest]
    # only v[0] will be used: a field of one value, after nothing but "first"
    one_value = rule.target != "list" and names in ([], ["first"])
    w(f"# fields.{rule.name}")
    w("try:")
    w.indent()
    if rule.extractor is not None:
        namespace[f"X{index}"] = rule.extractor
        w(f"v = X{index}(rec)")
    else:
        steps, cache = _named(head, namespace)
        w("v = []")
        for number, spec in enumerate(rule.specs):
            if one_value and number:
                w("if not v:")
                w.indent()
            if spec.is_control:
                _emit_control(w, spec, steps, cache)
            else:
                _emit_data(w, spec, rule.separator, steps, cache)
            if one_value and number:
                w.dedent()
    depth = w.depth
    # v is known non-empty below; a rule with "default:..." runs its first transform on
    # no values too (unless an element-wise head came first: nothing gives nothing)
    nonempty = not rule.runs_on_empty or bool(head)
    if nonempty:
        w("if v:")
        w.indent()
    deduped = False
    if head and head[-1][0] in _DEDUPED and names not in ([], ["first"]):
        # the step's own de-duplication, before transforms that would see repeats (a
        # list field de-duplicates anyway, "first" takes the same value either way)
        w("v = list(dict.fromkeys(v))")
        deduped = True
    for step, (position, func) in enumerate(rest):
        name = names[step]
        if name == "first" and step == len(rest) - 1 and rule.target != "list":
            break  # a one-value field takes the first of the non-empty list anyway
        if step and not nonempty:  # the previous transform left nothing: stop there
            w("if v:")
            w.indent()
        nonempty = deduped = False
        if name == "first":
            w("v = v[:1]")
        elif name == "unique":
            w("v = list(dict.fromkeys(y for y in v if y))")
            deduped = True
        else:
            namespace[f"T{index}_{position}"] = func
            w(f"v = T{index}_{position}(v)")
    if not nonempty:
        w("if v:")
        w.indent()
    from_year = bool(head) and head[-1] == ("year",) and one_value
    _emit_assign(w, rule, deduped, from_year)
    w.depth = depth - 1
    w("except _RULE_ERRORS as exc:")
    w(f"    raise MappingError(M{index} + repr(exc)) from exc")


# -- links and holdings ---------------------------------------------------------------
def _emit_subfields(w: _Writer, target: str, groups: tuple[str, ...]) -> None:
    """``target = _subfields(f, groups)`` of :mod:`indexer.map`: the cleaned values of
    the first group of codes that has any non-blank one, joined by a space."""
    if not groups:
        w(f"{target} = ''")
        return
    w("p = []")
    for number, group in enumerate(groups):
        if number:
            w("if not p:")
            w.indent()
        w("for c, b in f[2]:")
        w(f"    if c in {group!r} and b.strip():")
        w("        p.append(_clean(b))")
        if number:
            w.dedent()
    w(f"{target} = ' '.join(p)")


def _emit_links(w: _Writer, rules: tuple[LinkRule, ...]) -> None:
    """``record.links`` as :func:`indexer.map._links` makes them."""
    w("L = {}")
    for rule in rules:
        for spec in rule.specs:
            if spec.linked:
                w(f"for f in rec.linked({spec.tag!r}):")
            else:
                w(f"for f in F.get({spec.tag!r}, ()):")
            w.indent()
            w("if isinstance(f, str):")
            w("    continue")
            if rule.exclude_ind2:
                w(f"if f[1] in {rule.exclude_ind2!r}:")
                w("    continue")
            if spec.ind1 is not None:
                w(f"if f[0] != {spec.ind1!r}:")
                w("    continue")
            if spec.ind2 is not None:
                w(f"if f[1] != {spec.ind2!r}:")
                w("    continue")
            _emit_subfields(w, "flag", (rule.access,) if rule.access else ())
            _emit_subfields(w, "label", tuple(rule.label))
            w("for c, b in f[2]:")
            w.indent()
            w(f"if c in {spec.codes or 'u'!r}:")
            w.indent()
            w("url = b.strip()")
            w("if url not in L and url.lower().startswith(('http://', 'https://', 'ftp://')):")
            w.indent()
            w(f"if flag == {rule.open_value!r} or _is_open(url):")
            w("    L[url] = Link(url, 'open', label, '')")
            w("else:")
            w("    L[url] = Link(url, 'licensed', label, library)")
            w.depth -= 4
    w("record.links = list(L.values())")


def _emit_holdings(w: _Writer, rules: tuple[HoldingRule, ...]) -> None:
    """``record.holdings`` as :func:`indexer.map._holdings` makes them."""
    w("H = []")
    for number, rule in enumerate(rules):
        w(f"x = F.get({rule.tag!r})")
        w("if x is not None:")
        w.indent()
        if number:  # call numbers of the earlier rules' holdings (not of this rule's)
            w("earlier = {_call_number_key(h.call_number) for h in H}")
        w("for f in x:")
        w.indent()
        w("if isinstance(f, str):")
        w("    continue")
        _emit_subfields(w, "location", rule.location)
        _emit_subfields(w, "call_number", rule.call_number)
        _emit_subfields(w, "status", rule.status)
        _emit_subfields(w, "coverage", rule.coverage)
        _emit_subfields(w, "url", rule.url)
        if number:
            w("if call_number and earlier and _call_number_key(call_number) in earlier:")
            w("    continue")
        w("if location or call_number or status or coverage:")
        w("    H.append(Holding(library, 'print', location, call_number, status, coverage, url))")
        w.depth -= 2
    w("record.holdings = H")


def _compilable(mapping: Mapping) -> bool:
    for rule in mapping.fields:
        if not rule.name.isidentifier() or rule.target != record_field_kind(rule.name):
            return False
        if rule.extractor is None and not all(isinstance(s, MarcSpec) for s in rule.specs):
            return False
    return all(isinstance(s, MarcSpec) for rule in mapping.links for s in rule.specs)


def mapper_source(mapping: Mapping) -> tuple[str, dict[str, Any]]:
    """The Python source of the mapper for ``mapping`` and the namespace it runs in."""
    from indexer import map as _map  # helpers shared with the interpreter

    namespace: dict[str, Any] = {
        "Record": Record,
        "Holding": Holding,
        "Link": Link,
        "MappingError": MappingError,
        "RecordError": RecordError,
        "_RULE_ERRORS": _RULE_ERRORS,
        "_SKIPPED": _SKIPPED_CODES,
        "_clean": clean_text,
        "_trim_punctuation": trim_punctuation,
        "_LOOSE_COMMAS": _t._LOOSE_COMMAS,
        "_year": extract_year,
        "_split_codes": _t.split_codes,
        "_is_open": _map.is_open_access_url,
        "_call_number_key": _map.call_number_key,
        "_default_holding_kind": _map._default_holding_kind,
        "SETTINGS": mapping.settings,
        "EMPTY": {},
        "MISS": _MISS,
        "CACHE_SIZE": _CACHE_SIZE,
    }
    w = _Writer()
    w("F = rec.fields")
    w("leader = rec.leader")
    w("record = Record(source, '')")
    w("code = leader[6:7]")
    w("kind = SETTINGS.get('non_bibliographic', EMPTY).get(code)")
    w("if kind:")
    w("    raise RecordError(f'not a bibliographic record: leader/06 {code!r} is {kind}')")
    specs = [s for r in (*mapping.fields, *mapping.links) for s in r.specs]
    if any(isinstance(s, MarcSpec) and s.linked for s in specs):
        w("linked = '880' in F")
    for index, rule in enumerate(mapping.fields):
        _emit_rule(w, mapping, rule, index, namespace)
    if mapping.links:
        _emit_links(w, mapping.links)
    if mapping.holdings:
        _emit_holdings(w, mapping.holdings)
    w("if library:")
    w("    for h in record.holdings:")
    w("        if h.library == library:")
    w("            break")
    w("    else:")
    w("        record.holdings.append(Holding(library, _default_holding_kind(rec)))")
    w("return record")
    return "def mapper(rec, source, library):\n" + "\n".join(w.lines) + "\n", namespace


def compile_marc(mapping: Mapping) -> CompiledMapper | None:
    """The compiled mapper for ``mapping``, or None when it holds specs this compiler
    does not know (the interpreter then runs it)."""
    if not _compilable(mapping):
        return None
    source, namespace = mapper_source(mapping)
    log.debug("compiled mapper for %s:\n%s", mapping.path, source)
    code = compile(source, f"<mapper {mapping.name}>", "exec")
    exec(code, namespace)  # source made from the validated mapping only, never from records
    return namespace["mapper"]  # type: ignore[no-any-return]
