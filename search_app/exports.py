"""Citation exports of one record payload: RIS, BibTeX and JSON.

COinS and outbound OpenURL links come from :mod:`resolver.outbound` (one copy of the
OpenURL rules); see :func:`search_app.links.coins`.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

__all__ = ["EXPORTS", "to_bibtex", "to_json", "to_ris"]

RIS_TYPES = {
    "book": "BOOK",
    "journal": "JFULL",
    "article": "JOUR",
    "thesis": "THES",
    "conference": "CONF",
    "standard": "STAND",
    "patent": "PAT",
    "report": "RPRT",
    "audio": "SOUND",
    "video": "VIDEO",
}
BIBTEX_TYPES = {
    "book": "book",
    "article": "article",
    "thesis": "phdthesis",
    "conference": "inproceedings",
    "report": "techreport",
}
_BIBTEX_SPECIAL = re.compile(r"([\\{}%&$#_^~])")


def _one_line(value: Any) -> str:
    return " ".join(str(value).split())


def to_ris(payload: dict[str, Any]) -> str:
    """RIS (Research Information Systems) for Zotero, EndNote, Mendeley."""
    lines = [("TY", RIS_TYPES.get(payload.get("format", ""), "GEN"))]
    lines.append(("TI", payload.get("title", "")))
    lines += [("TT", t) for t in payload.get("title_vernacular") or []]
    lines += [("AU", a) for a in payload.get("authors") or []]
    lines.append(("PY", payload.get("year") or ""))
    lines.append(("PB", payload.get("publisher", "")))
    lines += [("SN", n) for n in (payload.get("isbn") or []) + (payload.get("issn") or [])]
    lines.append(("DO", payload.get("doi", "")))
    lines.append(("LA", payload.get("language", "")))
    lines += [("KW", s) for s in payload.get("subjects") or []]
    lines += [("UR", link["url"]) for link in payload.get("links") or [] if link.get("url")]
    lines.append(("ID", payload.get("id", "")))
    body = "".join(f"{tag}  - {_one_line(value)}\r\n" for tag, value in lines if value)
    return body + "ER  - \r\n"


def _bibtex_value(value: Any) -> str:
    return _BIBTEX_SPECIAL.sub(lambda m: "\\" + m.group(1), _one_line(value))


def to_bibtex(payload: dict[str, Any]) -> str:
    """One BibTeX entry; the key is derived from the record id."""
    kind = BIBTEX_TYPES.get(payload.get("format", ""), "misc")
    key = "efirst_" + re.sub(r"[^A-Za-z0-9_-]", "_", str(payload.get("id", "record")))
    fields = [
        ("title", payload.get("title", "")),
        ("author", " and ".join(payload.get("authors") or [])),
        ("year", payload.get("year") or ""),
        ("publisher", payload.get("publisher", "")),
        ("isbn", ", ".join(payload.get("isbn") or [])),
        ("issn", ", ".join(payload.get("issn") or [])),
        ("doi", payload.get("doi", "")),
        ("language", payload.get("language", "")),
        ("keywords", ", ".join(payload.get("subjects") or [])),
    ]
    body = ",\n".join(f"  {name} = {{{_bibtex_value(value)}}}" for name, value in fields if value)
    return f"@{kind}{{{key},\n{body}\n}}\n"


def to_json(payload: dict[str, Any]) -> str:
    return orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode()


#: format name -> (function, MIME type, file extension)
EXPORTS = {
    "ris": (to_ris, "application/x-research-info-systems", "ris"),
    "bibtex": (to_bibtex, "application/x-bibtex", "bib"),
    "json": (to_json, "application/json", "json"),
}
