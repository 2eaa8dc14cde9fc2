"""Value normalisation for mapped records: punctuation, years, languages and formats.

Identifier normalisation lives in :mod:`mappings.identifiers` (the only copy); this
module holds the rest of what the source mappings need.

>>> trim_punctuation("The pragmatic programmer :")
'The pragmatic programmer'
>>> extract_year("c1999.")
1999
>>> extract_year("[199-?]")
1990
>>> extract_year("民国二十年")
1931
>>> normalise_language("zh")
'chi'
"""

from __future__ import annotations

import datetime
import html
import re
import unicodedata
from functools import lru_cache

from mappings.loader import load_value_map

__all__ = [
    "clean_text",
    "extract_year",
    "marc21_format",
    "normalise_language",
    "trim_punctuation",
    "unimarc_format",
]

_TRAILING = re.compile(r"[\s,/;:=+]+$")
_TRAILING_FULLWIDTH = re.compile(r"[\s\u3000，、；：／＝。]+$")
_PERIOD_AFTER_WORD = re.compile(r"(\w\w\w|[^\x00-\u2fff])\.\s*$")
_LEADING = re.compile(r"^[\s,/;:=.]+")
# the characters those patterns strip, but whitespace (stripped before they run)
_TRAILING_CHARS = ",/;:=+"
_TRAILING_FULLWIDTH_CHARS = "\u3000，、；：／＝。"
_LEADING_CHARS = ",/;:=."
_BRACKETED = re.compile(r"^\[([^\[\]]+)\]$")
_C1_AND_NSB = re.compile(r"[\x80-\x9f]")
_DOUBLE_UTF8 = re.compile(r"[\u00c2-\u00f4][\u0080-\u00bf]{1,3}")
_NCR = re.compile(r"&#x[0-9A-Fa-f]{2,6};")
_YEAR = re.compile(r"(?<!\d)(1[0-9]|20)(\d)([\d\-u?xX|])(?!\d)")
_LAST_YEAR = datetime.date.today().year + 2
_MINGUO = re.compile(r"民[国國]\s*([〇零一二三四五六七八九十百\d]+)\s*年")
_HAN_DIGITS = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}


def _undo_double_utf8(match: re.Match[str]) -> str:
    text = match.group(0)
    try:
        return text.encode("latin-1").decode("utf-8")
    except UnicodeDecodeError:
        return text


def clean_text(value: str) -> str:
    """NFC, collapse whitespace, drop C1 controls and UNIMARC non-sort markers (NSB/NSE),
    repair UTF-8 that was encoded twice (``mureÅ\x9fene`` -> ``mureşene``) and resolve
    MARC-8 lossless numeric character references (``&#x8ECA;``)."""
    if not value:
        return ""
    if "&#x" in value:
        value = _NCR.sub(lambda m: html.unescape(m.group(0)), value)
    if value.isascii():
        return " ".join(value.split())
    if not unicodedata.is_normalized("NFC", value):
        value = unicodedata.normalize("NFC", value)
    if _DOUBLE_UTF8.search(value):
        value = _DOUBLE_UTF8.sub(_undo_double_utf8, value)
    value = _C1_AND_NSB.sub("", value)
    return " ".join(value.split())


def _keep_group(match: re.Match[str]) -> str:
    return match.group(1)


def _period_after_word(text: str) -> bool:
    """Whether _PERIOD_AFTER_WORD matches ``text``, which ends with ".": its "." can
    only be the last character (nothing but whitespace may follow it), so the pattern
    matches when the three characters before it are word characters or the one before
    it is above U+2FFF (CJK); the substitution then only drops that final full stop."""
    before = text[-4:-1]
    if len(before) == 3 and (before.isalnum() or before.replace("_", "a").isalnum()):
        return True  # \w is a letter, a digit or "_"
    return len(text) >= 2 and text[-2] > "\u2fff"


def trim_punctuation(value: str) -> str:
    """Strip ISBD punctuation at either end (traject's ``trim_punctuation``, CJK-aware)."""
    if value[-1:].isalnum() and value[:1].isalnum():
        return value.strip()
    # Each pattern runs only where it can match: the text is stripped, so the first
    # and the last character decide (whitespace cannot end it after _TRAILING).
    text = value.strip()
    if text[-1:] in _TRAILING_CHARS:
        text = _TRAILING.sub("", text)
    if text[-1:] in _TRAILING_FULLWIDTH_CHARS:
        text = _TRAILING_FULLWIDTH.sub("", text)
    if text.endswith(".") and _period_after_word(text):
        text = text[:-1]
    if text[:1] in _LEADING_CHARS:
        text = _LEADING.sub("", text)
    if text[:1] == "[":
        bracketed = _BRACKETED.match(text)
        if bracketed:
            text = bracketed.group(1)
    return text.strip()


def _han_number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for char in text:
        if char == "百":
            total += (current or 1) * 100
            current = 0
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        elif char in _HAN_DIGITS:
            current = current * 10 + _HAN_DIGITS[char] if current else _HAN_DIGITS[char]
        else:
            return None
    return total + current


def extract_year(value: str) -> int | None:
    """The first plausible publication year in ``value``.

    Handles ``c1999.``, ``[1999?]``, ``199-`` / ``199u`` (decade: 1990), ``2001-2005``,
    008 date fields and Republic of China years (``民国二十年`` = 1931).
    """
    if not value:
        return None
    for match in _YEAR.finditer(value):
        last = match.group(3)
        digit = last if last.isdigit() else "0"
        year = int(match.group(1) + match.group(2) + digit)
        if 1000 <= year <= _LAST_YEAR:
            return year
    minguo = _MINGUO.search(value)
    if minguo:
        number = _han_number(minguo.group(1))
        if number:
            return 1911 + number
    return None


@lru_cache(maxsize=1)
def _languages() -> dict[str, str]:
    return load_value_map("languages")


def normalise_language(value: str) -> str:
    """ISO 639-2/B code for a MARC/ISO 639-1/639-2T code or an English name, else ``""``."""
    text = value.strip().lower()
    if not text:
        return ""
    table = _languages()
    if text in table:
        return table[text]
    if len(text) == 3 and text.isalpha():
        return text
    return ""


_BK_NATURE = {"m": "thesis", "t": "report", "j": "patent", "u": "standard"}


def marc21_format(
    leader: str,
    f008: str,
    f006: list[str],
    f007: list[str],
    thesis_note: bool,
    conference_name: bool,
) -> str:
    """One of ``mappings.schema.FORMATS`` from the leader, 008/006/007, 502 and 111/711."""
    rtype = leader[6:7]
    level = leader[7:8]
    if rtype in ("i", "j"):
        return "audio"
    if rtype == "g":
        kind = f008[33:34]
        if kind in ("v", "m") or any(f[:1] == "v" or f[:1] == "m" for f in f007):
            return "video"
        return "other"
    if rtype not in ("a", "t"):
        return "other"
    if level in ("a", "b"):
        return "article"
    if level in ("s", "i"):
        return "conference" if f008[29:30] == "1" else "journal"
    if thesis_note:
        return "thesis"
    for code in f008[24:28]:
        if code in _BK_NATURE:
            return _BK_NATURE[code]
    if conference_name or f008[29:30] == "1":
        return "conference"
    if any(f[:1] == "s" for f in f006):
        return "journal"
    return "book"


_UNI_NATURE = {"m": "thesis", "v": "thesis", "p": "report", "k": "patent", "l": "standard"}


def unimarc_format(leader: str, f105: str, f110: str = "") -> str:
    """One of ``mappings.schema.FORMATS`` from a UNIMARC leader and 105$a / 110$a."""
    rtype = leader[6:7]
    level = leader[7:8]
    if rtype in ("i", "j"):
        return "audio"
    if rtype == "g":
        return "video"
    if rtype not in ("a", "b"):
        return "other"
    if level == "a":
        return "article"
    if level in ("s", "c") or f110:
        return "journal"
    for code in f105[4:8]:
        if code in _UNI_NATURE:
            return _UNI_NATURE[code]
    if f105[8:9] == "1":
        return "conference"
    return "book"
