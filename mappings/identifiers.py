"""Identifier normalisation: the only copy (indexer, resolver and router use it).

Every function takes whatever a source or a citation carried and returns the canonical
form, or ``""`` when nothing valid can be extracted (an invalid check digit is not an
identifier: it would merge clusters that are different works).

>>> normalise_isbn("0-444-89728-3 (pbk.)")
'9780444897282'
>>> normalise_issn("0028-0836 (PRINT)")
'0028-0836'
>>> normalise_doi("https://doi.org/10.1000/ABC.123")
'10.1000/abc.123'
"""

from __future__ import annotations

import re
from operator import mul
from urllib.parse import unquote

__all__ = [
    "find_isbns",
    "isbn10_to_13",
    "looks_like_identifier",
    "normalise_doi",
    "normalise_isbn",
    "normalise_issn",
    "normalise_lccn",
    "normalise_oclc",
    "normalise_pmid",
]

_ISBN_CANDIDATE = re.compile(
    r"(?<![0-9Xx])(97[89][\d\- ]{10,14}|[\d][\d\- ]{8,11}[\dXx])(?![\dXx])"
)
_ISSN = re.compile(r"(?<!\d)(\d{4})\s*[-\u2010-\u2015]?\s*(\d{3}[\dXx])(?![\dXx])")
_DOI = re.compile(r"10\.\d{4,9}/\S+")
_OCLC_PREFIX = re.compile(
    r"^\s*(?:\(OCoLC\)|OCoLC|ocm|ocn|on|info:oclcnum/)\s*(?=\S)", re.IGNORECASE
)


_OCLC_NUMBER = re.compile(r"0*(\d+)")
_SPACES = re.compile(r"\s+")
_LCCN = re.compile(r"[a-z]{0,3}\d{8,10}")
_ISBN10_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2, 1)
_ISSN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2)


def _isbn13_check(digits12: str) -> str:
    if digits12.isascii() and digits12.isdigit():  # codes of "0".."9" less 48 each
        codes = digits12.encode()
        total = (
            sum(codes[0::2]) + 3 * sum(codes[1::2]) - 48 * (len(codes[0::2]) + 3 * len(codes[1::2]))
        )
    else:  # other Unicode decimal digits
        total = sum(map(int, digits12[0::2])) + 3 * sum(map(int, digits12[1::2]))
    return str((10 - total % 10) % 10)


def _isbn10_valid(isbn: str) -> bool:
    total = sum(
        w * (10 if c in "Xx" else int(c)) for w, c in zip(_ISBN10_WEIGHTS, isbn, strict=False)
    )
    return total % 11 == 0


def isbn10_to_13(isbn10: str) -> str:
    """Convert a valid 10-digit ISBN (no hyphens) to ISBN-13."""
    body = "978" + isbn10[:9]
    return body + _isbn13_check(body)


def normalise_isbn(value: str) -> str:
    """The validated ISBN-13 in ``value`` (ISBN-10 or -13, any punctuation), else ``""``."""
    if not value:
        return ""
    for match in _ISBN_CANDIDATE.finditer(value):
        compact = match.group(1).replace("-", "").replace(" ", "").upper()
        if len(compact) == 13 and compact.isdigit() and compact[:3] in ("978", "979"):
            if _isbn13_check(compact[:12]) == compact[12]:
                return compact
        elif len(compact) == 10 and compact[:9].isdigit() and _isbn10_valid(compact):
            return isbn10_to_13(compact)
    return ""


def find_isbns(values: list[str]) -> list[str]:
    """All valid ISBN-13s found in ``values``, de-duplicated, in order."""
    seen: dict[str, None] = {}
    for value in values:
        isbn = normalise_isbn(value)
        if isbn:
            seen.setdefault(isbn)
    return list(seen)


def normalise_issn(value: str) -> str:
    """``NNNN-NNNC`` with a valid check digit, else ``""``."""
    if not value:
        return ""
    for match in _ISSN.finditer(value):
        digits = (match.group(1) + match.group(2)).upper()
        total = sum(map(mul, map(int, digits[:7]), _ISSN_WEIGHTS))
        check = (11 - total % 11) % 11
        expected = "X" if check == 10 else str(check)
        if digits[7] == expected:
            return f"{digits[:4]}-{digits[4:]}"
    return ""


def normalise_doi(value: str) -> str:
    """Lower-case DOI without resolver or ``doi:``/``info:doi/`` prefix, else ``""``."""
    if not value:
        return ""
    text = unquote(value.strip())
    match = _DOI.search(text)
    if not match:
        return ""
    return match.group(0).rstrip(".,;)]}>\"'").lower()


def normalise_oclc(value: str) -> str:
    """OCLC number as digits without prefix or leading zeros, else ``""``."""
    if not value:
        return ""
    text = value.strip()
    prefix = _OCLC_PREFIX.match(text)
    while prefix:  # the pattern is anchored: cutting the match is sub(count=1)
        text = text[prefix.end() :]
        prefix = _OCLC_PREFIX.match(text)
    match = _OCLC_NUMBER.match(text)
    return match.group(1) if match else ""


def normalise_lccn(value: str) -> str:
    """LCCN normalised per the LC rules (no spaces, hyphen expanded), else ``""``."""
    text = _SPACES.sub("", (value or "").split("/")[0]).lower()
    if "-" in text:
        prefix, _, serial = text.partition("-")
        text = prefix + serial.zfill(6)
    return text if _LCCN.fullmatch(text) else ""


def normalise_pmid(value: str) -> str:
    """PubMed id as digits (``pmid:``/``info:pmid/`` stripped), else ``""``."""
    text = re.sub(r"^(?:info:pmid/|pmid:)", "", (value or "").strip(), flags=re.IGNORECASE)
    return text if text.isdigit() else ""


def looks_like_identifier(text: str) -> tuple[str, str] | None:
    """``(kind, normalised)`` when a whole query is an ISBN, ISSN or DOI, else None."""
    stripped = text.strip()
    doi = normalise_doi(stripped)
    if doi and stripped.lower().lstrip("doi:").strip().startswith(("10.", "http", "info:")):
        return ("doi", doi)
    compact = re.sub(r"[\s\-]", "", stripped)
    if re.fullmatch(r"\d{7}[\dXx]", compact):
        issn = normalise_issn(compact)
        if issn:
            return ("issn", issn)
    if re.fullmatch(r"(?:isbn:?)?\d{9}[\dXx]|(?:isbn:?)?\d{13}", compact, re.IGNORECASE):
        isbn = normalise_isbn(compact)
        if isbn:
            return ("isbn", isbn)
    return None
