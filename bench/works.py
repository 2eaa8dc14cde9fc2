"""The synthetic *work*: what several sources describe, each in its own way.

A :class:`Work` holds the canonical facts (titles, people, imprint, identifiers,
subjects); :mod:`bench.render` turns it into one source's MARC record with that source's
small variations. Identifiers are valid: check digits come from
:mod:`mappings.identifiers` (the validators there are asked, never re-implemented).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from bench import vocab
from mappings.identifiers import isbn10_to_13, normalise_isbn, normalise_issn

__all__ = ["FORMAT_WEIGHTS", "LANGUAGE_WEIGHTS", "Person", "Work", "isbn10_of", "make_work"]

#: (format, cumulative weight): mostly books, some serials, theses, conferences, media
FORMAT_WEIGHTS = (
    ("book", 0.80),
    ("journal", 0.87),
    ("thesis", 0.92),
    ("conference", 0.97),
    ("video", 0.985),
    ("audio", 1.0),
)
#: (language, cumulative weight): ~10 % Chinese, a share of other Latin-script languages
LANGUAGE_WEIGHTS = (
    ("chi", 0.10),
    ("fre", 0.14),
    ("ger", 0.18),
    ("spa", 0.21),
    ("ita", 0.23),
    ("por", 0.25),
    ("eng", 1.0),
)
_ISBN_GROUPS = {
    "eng": ("0", "1"),
    "fre": ("2",),
    "ger": ("3",),
    "chi": ("7",),
    "spa": ("84",),
    "ita": ("88",),
    "por": ("85",),
}
_DOI_PREFIXES = (
    "10.1007",
    "10.1016",
    "10.1093",
    "10.1017",
    "10.1515",
    "10.4324",
    "10.1109",
    "10.1145",
    "10.2307",
    "10.1163",
)
_LC_CLASSES = (
    "HC",
    "HD",
    "HN",
    "HQ",
    "DS",
    "PL",
    "PR",
    "BQ",
    "JQ",
    "QA",
    "GE",
    "LB",
    "ML",
    "NA",
    "JZ",
    "KNQ",
    "DS",
    "HB",
    "PN",
    "BL",
)
_UNIVERSITIES = (
    "Peking University",
    "Tsinghua University",
    "Fudan University",
    "University of Oxford",
    "Harvard University",
    "Universität Heidelberg",
    "Université Paris 1 Panthéon-Sorbonne",
    "Universidad de Salamanca",
    "National Taiwan University",
    "University of Hong Kong",
)


@dataclass(slots=True)
class Person:
    heading: str  # "Surname, Given" (romanised for CJK)
    dates: str = ""  # "1950-" or ""
    vernacular: str = ""  # 王小明


@dataclass(slots=True)
class Work:
    id: int
    fmt: str
    lang: str
    title: str
    subtitle: str = ""
    title_vern: str = ""
    subtitle_vern: str = ""
    authors: list[Person] = field(default_factory=list)
    meeting: str = ""
    year: int = 2000
    place: str = ""
    publisher: str = ""
    publisher_alt: str = ""
    country: str = "xx "
    place_vern: str = ""
    publisher_vern: str = ""
    isbn13: str = ""
    issn: str = ""
    oclc: int = 0
    doi: str = ""
    lccn: str = ""
    subjects: list[str] = field(default_factory=list)
    call_number: str = ""
    pages: int = 0
    open_access: bool = False
    university: str = ""

    @property
    def cjk(self) -> bool:
        return bool(self.title_vern)


def _pick(table: tuple[tuple[str, float], ...], rng: random.Random) -> str:
    x = rng.random()
    for value, cum in table:
        if x < cum:
            return value
    return table[-1][0]


def _year(rng: random.Random, fmt: str) -> int:
    """Skewed to recent: an exponential age (mean 14 years) back from 2025."""
    age = int(rng.expovariate(1 / 14))
    floor = 1900 if fmt == "journal" else 1850
    return max(floor, 2025 - age)


def _latin_title(lang: str, rng: random.Random) -> tuple[str, str]:
    nouns, adjs, templates = vocab.LATIN[lang]
    template = templates[int(rng.random() ** 1.5 * len(templates))]
    title = _fill(template, nouns, adjs, rng)
    subtitle = ""
    if rng.random() < 0.55:
        if lang == "eng":
            subtitle = _fill(vocab.EN_SUBTITLES(rng), nouns, adjs, rng)
        else:
            subtitle = _fill(templates[rng.randrange(len(templates))], nouns, adjs, rng)
    return title[0].upper() + title[1:], subtitle


def _fill(template: str, nouns: vocab.Zipf, adjs: vocab.Zipf, rng: random.Random) -> str:
    parts = template.split("{")
    out = [parts[0]]
    for part in parts[1:]:
        slot, _, rest = part.partition("}")
        if slot == "noun":
            out.append(nouns(rng))
        elif slot == "adj":
            out.append(adjs(rng))
        elif slot == "place":
            out.append(vocab.PROPER(rng))
        elif slot == "person":
            out.append(f"{vocab.GIVEN_NAMES(rng)} {vocab.PROPER(rng)}")
        elif slot == "y1":
            out.append(str(rng.randrange(1500, 1950)))
        elif slot == "y2":
            out.append(str(rng.randrange(1951, 2020)))
        out.append(rest)
    return "".join(out)


def _cjk_words(rng: random.Random, low: int, high: int) -> tuple[str, str]:
    words = [vocab.CJK_WORDS(rng) for _ in range(rng.randint(low, high))]
    vern = "".join(w[0] for w in words)
    roman = " ".join(w[1] for w in words)
    return vern, roman[0].upper() + roman[1:]


def _people(work: Work, rng: random.Random) -> list[Person]:
    count = 1 + (rng.random() < 0.35) + (rng.random() < 0.12)
    people = []
    for _ in range(count):
        dates = f"{rng.randrange(1920, 1995)}-" if rng.random() < 0.4 else ""
        if work.lang == "chi":
            sur = vocab.CJK_SURNAMES(rng)
            given = [vocab.CJK_GIVEN(rng) for _ in range(rng.randint(1, 2))]
            people.append(
                Person(
                    f"{sur[1]}, {''.join(g[1] for g in given).capitalize()}",
                    dates,
                    sur[0] + "".join(g[0] for g in given),
                )
            )
        else:
            people.append(Person(f"{vocab.PROPER(rng)}, {vocab.GIVEN_NAMES(rng)}", dates))
    return people


def _isbn13(lang: str, year: int, rng: random.Random) -> str:
    if lang == "eng" and year >= 2018 and rng.random() < 0.15:
        body = "9798" + str(rng.randrange(10**8)).zfill(8)
        return next(body + d for d in "0123456789" if normalise_isbn(body + d))
    group = rng.choice(_ISBN_GROUPS[lang])
    body9 = group + str(rng.randrange(10 ** (9 - len(group)))).zfill(9 - len(group))
    return isbn10_to_13(body9 + "0")  # only the first nine digits are read


def isbn10_of(isbn13: str) -> str:
    """The ISBN-10 of a 978 ISBN-13 (``""`` for 979), its check digit found by validation."""
    if not isbn13.startswith("978"):
        return ""
    body = isbn13[3:12]
    return next(body + c for c in "0123456789X" if normalise_isbn(body + c) == isbn13)


def _issn(rng: random.Random) -> str:
    body = str(rng.randrange(10**7)).zfill(7)
    return next(normalise_issn(body + c) for c in "0123456789X" if normalise_issn(body + c))


def _identifiers(work: Work, rng: random.Random) -> None:
    """ISBN/ISSN/OCLC/LCCN/DOI; about 12 % of works carry none at all."""
    if rng.random() < 0.12:
        return
    if work.fmt in ("book", "conference", "thesis") and work.year >= 1970 and rng.random() < 0.9:
        work.isbn13 = _isbn13(work.lang, work.year, rng)
    if work.fmt == "journal":
        work.issn = _issn(rng)
    if rng.random() < 0.75:
        work.oclc = rng.randrange(1_000, 1_400_000_000)
    if work.lang == "eng" and rng.random() < 0.25:
        work.lccn = f"{work.year}{rng.randrange(10**6):06d}"
    doi_share = {"conference": 0.6, "thesis": 0.2, "book": 0.1}.get(work.fmt, 0.0)
    if rng.random() < doi_share:
        suffix = work.isbn13 or f"{work.year}.{rng.randrange(10**6)}"
        work.doi = f"{rng.choice(_DOI_PREFIXES)}/{suffix}"


def _imprint(work: Work, rng: random.Random) -> None:
    if work.lang == "chi":
        vern, roman = vocab.CJK_PUBLISHERS(rng)
        place_v, place_r, country = vocab.CJK_PLACES.get(vern, ("北京", "Beijing", "cc "))
        work.publisher, work.publisher_alt, work.publisher_vern = roman, roman, vern
        work.place, work.place_vern, work.country = place_r, place_v, country
    else:
        work.place, work.publisher, work.publisher_alt, work.country = vocab.PUBLISHERS(rng)


def make_work(work_id: int, rng: random.Random) -> Work:
    """One work with every field drawn from ``rng`` (deterministic for a given state)."""
    fmt = _pick(FORMAT_WEIGHTS, rng)
    lang = _pick(LANGUAGE_WEIGHTS, rng)
    work = Work(work_id, fmt, lang, "", year=_year(rng, fmt))
    if lang == "chi":
        work.title_vern, work.title = _cjk_words(rng, 2, 5)
        if rng.random() < 0.4:
            work.subtitle_vern, work.subtitle = _cjk_words(rng, 1, 3)
    else:
        work.title, work.subtitle = _latin_title(lang, rng)
    if fmt == "journal":
        work.title = ("Journal of " if lang == "eng" else "") + work.title
    else:
        work.authors = _people(work, rng)
    if fmt == "conference":
        work.meeting = f"International Conference on {work.title.split(':')[0]}"
    if fmt == "thesis":
        work.university = rng.choice(_UNIVERSITIES)
    _imprint(work, rng)
    _identifiers(work, rng)
    work.subjects = [vocab.SUBJECTS(rng) for _ in range(rng.randint(1, 3))]
    cls = rng.choice(_LC_CLASSES)
    work.call_number = (
        f"{cls}{rng.randrange(1, 9999)}.{work.title[0].upper()}{rng.randrange(10, 99)}"
    )
    work.pages = rng.randrange(48, 900)
    work.open_access = rng.random() < 0.07
    return work
