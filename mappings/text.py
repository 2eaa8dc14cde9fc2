"""Engine-neutral text analysis: both search engines index and query the same tokens.

CJK text has no spaces between words, so runs of Han, Kana and Hangul are turned into
overlapping bigrams (the technique of Lucene's CJKBigramFilter); traditional characters
are folded to simplified first so a query in either form finds both. Latin text is
folded to ASCII-insensitive lower case by the engines' own filters.

>>> cjk_bigrams("中國文學 history")
'中国 国文 文学 history'
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from hanziconv import HanziConv

__all__ = ["cjk_bigrams", "fold", "has_cjk", "title_key", "to_simplified"]

_CJK_RUN = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\U00020000-\U0002fa1f]+"
)
_PUNCT = re.compile(r"[\W_]+", re.UNICODE)
_ASCII_PUNCT = {i: " " for i in range(128) if not chr(i).isalnum()}


def has_cjk(text: str) -> bool:
    if not text or text.isascii():  # every CJK range is outside ASCII
        return False
    return bool(_CJK_RUN.search(text))


def to_simplified(text: str) -> str:
    """Traditional Chinese characters folded to simplified (identity for other scripts)."""
    return text if text.isascii() else _to_simplified(text)


@lru_cache(maxsize=65536)
def _to_simplified(text: str) -> str:
    return HanziConv.toSimplified(text) if has_cjk(text) else text


def _bigrams(run: str) -> str:
    if len(run) == 1:
        return run
    return " ".join(run[i : i + 2] for i in range(len(run) - 1))


def cjk_bigrams(text: str) -> str:
    """``text`` with every CJK run replaced by its space-separated bigrams."""
    if not text or not has_cjk(text):
        return text
    simplified = to_simplified(text)
    return (
        _CJK_RUN.sub(lambda m: f" {_bigrams(m.group(0))} ", simplified).strip().replace("  ", " ")
    )


def fold(text: str) -> str:
    """Lower case, accents removed, punctuation to spaces, whitespace collapsed."""
    if not text:
        return ""
    if text.isascii():  # NFKD of ASCII is itself, with no combining marks
        # \W and _ of ASCII are what is not a letter or digit: to spaces by a table
        return " ".join(text.lower().translate(_ASCII_PUNCT).split())
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_PUNCT.sub(" ", stripped.lower()).split())


def title_key(text: str, length: int = 40) -> str:
    """A match key for titles: folded, simplified, no spaces, truncated."""
    return fold(to_simplified(text)).replace(" ", "")[:length]
