"""Tolerant KEV (key=value) splitting for OpenURLs as they arrive in the real world.

Link sources do not always encode their OpenURLs. This reader copes with what the
logged samples in ``tests/fixtures/openurl/`` show:

* a host and path in front (``getit.library.nyu.edu/resolve??sid=...``), doubled ``??``;
* ``&amp;`` used as the separator;
* a bare ``&`` inside a value (``rft.pub=Haworth+Maltreatment+&+Trauma+Press=``): a piece
  after ``&`` that does not start with a key-like ``name=`` belongs to the previous value
  (and the ``=`` a logger appended to it is dropped);
* raw spaces, ``+`` for space, percent escapes in UTF-8 or (fallback) Windows-1252,
  JSON-style ``\\u00e9`` and old ``%u00e9`` escapes; lone surrogates are dropped;
* repeated keys (every value is kept, in order).

>>> split_kev("x.org/resolve??sid=A & B&title=Caf\\\\u00e9&amp;volume=2")
[('sid', 'A & B'), ('title', 'Café'), ('volume', '2')]
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

__all__ = ["decode_value", "split_kev", "strip_prefix"]

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:\-]{0,63}=")
_JSON_ESCAPE = re.compile(r"(?:\\u|%u)([0-9A-Fa-f]{4})")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"\s+")


def strip_prefix(text: str) -> str:
    """The query part of ``text``: drop a leading URL/host/path and any run of ``?``/``&``."""
    text = text.strip().lstrip("\ufeff")
    mark = text.find("?")
    if mark >= 0 and "=" not in text[:mark]:
        text = text[mark:]
    return text.lstrip("?&")


def _unescape_json(match: re.Match[str]) -> str:
    return chr(int(match.group(1), 16))


def _drop_surrogates(text: str) -> str:
    """Join valid surrogate pairs produced by ``\\uD83D\\uDE00`` escapes; drop lone ones."""
    if not any("\ud800" <= ch <= "\udfff" for ch in text):
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "ignore")


def decode_value(raw: str) -> str:
    """Decode one key or value: ``+``, percent escapes, ``\\uXXXX``; whitespace collapsed."""
    data = unquote_to_bytes(raw.replace("+", " "))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    if "u" in text:
        text = _drop_surrogates(_JSON_ESCAPE.sub(_unescape_json, text))
    text = _CONTROL.sub("", text)
    return _SPACES.sub(" ", text).strip()


def split_kev(text: str) -> list[tuple[str, str]]:
    """Decoded ``(key, value)`` pairs of a KEV string, keys lower-cased, in order.

    Never raises on any input; pieces with no ``=`` at all are ignored.
    """
    query = strip_prefix(text).replace("&amp;", "&")
    pieces: list[str] = []
    for piece in query.split("&"):
        if _KEY.match(piece) or not pieces:
            pieces.append(piece)
        else:  # a bare "&" inside a value; loggers re-serialise its tail as "tail="
            pieces[-1] += "&" + (piece[:-1] if piece.endswith("=") else piece)
    pairs: list[tuple[str, str]] = []
    for piece in pieces:
        key, sep, value = piece.partition("=")
        if not sep:
            continue
        name = decode_value(key).lower()
        if name:
            pairs.append((name, decode_value(value)))
    return pairs
