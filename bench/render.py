"""One source's MARC21 description of a :class:`bench.works.Work`, with realistic variation.

Copies of the same work differ the way real catalogues do: ISBN-10 or ISBN-13, with or
without hyphens and qualifiers, or missing; ISBD punctuation or none; subtitle present or
not; 260 or 264; author dates or not; the publisher's name spelled out or abbreviated;
CJK vernacular in simplified or traditional characters (880 fields linked through $6 to
their romanised 245/100/264 partners). Holdings (852) name member library codes; 856
links are licensed or open access (``$7 0``).
"""

from __future__ import annotations

import random

from hanziconv import HanziConv
from pymarc import Field, Indicators, Record, Subfield

from bench.works import Work, isbn10_of

__all__ = ["Copy", "hyphenate_isbn", "render"]

_LEADER_TYPE = {
    "book": "am",
    "conference": "am",
    "thesis": "am",
    "journal": "as",
    "video": "gm",
    "audio": "jm",
}


class Copy:
    """Where a rendered record goes: its source, control number and holding libraries."""

    __slots__ = ("control", "libraries", "source_code")

    def __init__(self, source_code: str, control: str, libraries: list[str]) -> None:
        self.source_code = source_code
        self.control = control
        self.libraries = libraries


def _f(tag: str, ind: str, *pairs: str) -> Field:
    subs = [Subfield(pairs[i], pairs[i + 1]) for i in range(0, len(pairs), 2) if pairs[i + 1]]
    return Field(tag=tag, indicators=Indicators(ind[0], ind[1]), subfields=subs)


def hyphenate_isbn(isbn: str) -> str:
    if len(isbn) == 13:
        return f"{isbn[:3]}-{isbn[3]}-{isbn[4:7]}-{isbn[7:12]}-{isbn[12]}"
    return f"{isbn[0]}-{isbn[1:4]}-{isbn[4:9]}-{isbn[9]}"


def _isbn_text(work: Work, rng: random.Random) -> str:
    style = rng.random()
    isbn = work.isbn13
    if style < 0.25:
        isbn10 = isbn10_of(isbn)
        isbn = isbn10 or isbn
    if rng.random() < 0.5:
        isbn = hyphenate_isbn(isbn)
    if style > 0.85:
        isbn += rng.choice((" (pbk.)", " (hbk.)", " (alk. paper)", " (paperback)"))
    return isbn


def _control_fields(work: Work, copy: Copy, rng: random.Random) -> list[Field]:
    entered = f"{work.year % 100:02d}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}"
    if work.fmt == "journal":
        dates, material = f"c{work.year}9999", " " * 17
    else:
        nature = "m   " if work.fmt == "thesis" else "    "
        conf = "1" if work.fmt == "conference" else "0"
        dates, material = f"s{work.year}    ", f"      {nature} {conf}00 0 "
    f008 = f"{entered}{dates}{work.country}{material}{work.lang} d"
    return [
        Field(tag="001", data=copy.control),
        Field(tag="003", data=copy.source_code),
        Field(tag="008", data=f008),
    ]


def _identifier_fields(work: Work, rng: random.Random) -> list[Field]:
    out = []
    if work.lccn and rng.random() < 0.8:
        out.append(_f("010", "  ", "a", f"  {work.lccn}"))
    if work.isbn13 and rng.random() < 0.92:
        out.append(_f("020", "  ", "a", _isbn_text(work, rng)))
    if work.issn:
        out.append(_f("022", "0 ", "a", work.issn))
    if work.doi and rng.random() < 0.85:
        out.append(_f("024", "7 ", "a", work.doi, "2", "doi"))
    if work.oclc and rng.random() < 0.8:
        num = work.oclc
        prefix = "ocm%08d" if num < 10**8 else ("ocn%09d" if num < 10**9 else "on%d")
        out.append(_f("035", "  ", "a", "(OCoLC)" + prefix % num))
    return out


def _vernacular(text: str, traditional: bool) -> str:
    return HanziConv.toTraditional(text) if traditional else text


def _title_fields(work: Work, rng: random.Random, links: list[Field], trad: bool) -> list[Field]:
    isbd = rng.random() < 0.8
    subtitle = work.subtitle if rng.random() < 0.85 else ""
    resp = ""
    if work.authors and isbd:
        first = work.authors[0].heading.split(", ")
        resp = f"{first[-1]} {first[0]}." if len(first) == 2 else work.authors[0].heading
    ind = ("1" if work.authors else "0") + ("4" if work.title.startswith("The ") else "0")
    end = " /" if resp else "."
    if isbd and subtitle:
        pairs = ["a", work.title + " :", "b", subtitle + end, "c", resp]
    elif isbd:
        pairs = ["a", work.title + end, "c", resp]
    else:
        pairs = ["a", work.title + (": " + subtitle if subtitle else "")]
    if work.cjk and links is not None:
        links.append(
            _f(
                "880",
                ind,
                "6",
                "245-01/$1",
                "a",
                _vernacular(work.title_vern, trad) + (" :" if subtitle else ""),
                "b",
                _vernacular(work.subtitle_vern, trad) if subtitle else "",
            )
        )
        pairs = ["6", "880-01", *pairs]
    return [_f("245", ind, *pairs)]


def _people_fields(
    work: Work, rng: random.Random, links: list[Field] | None, trad: bool
) -> list[Field]:
    out = []
    if work.meeting:
        out.append(
            _f("111", "2 ", "a", work.meeting, "d", f"({work.year} :", "c", f"{work.place})")
        )
    for i, person in enumerate(work.authors):
        dates = person.dates if rng.random() < 0.6 else ""
        heading = person.heading + ("," if dates else ".")
        tag = "100" if i == 0 and not work.meeting else "700"
        pairs = ["a", heading, "d", dates, "e", "author." if rng.random() < 0.5 else ""]
        if person.vernacular and links is not None:
            occ = f"{i + 2:02d}"
            links.append(
                _f("880", "1 ", "6", f"{tag}-{occ}/$1", "a", _vernacular(person.vernacular, trad))
            )
            pairs = ["6", f"880-{occ}", *pairs]
        out.append(_f(tag, "1 ", *pairs))
    return out


def _imprint_fields(
    work: Work, rng: random.Random, links: list[Field] | None, trad: bool
) -> list[Field]:
    publisher = work.publisher if rng.random() < 0.7 else work.publisher_alt
    tag, ind = ("264", " 1") if rng.random() < 0.6 else ("260", "  ")
    year = f"{work.year}." if rng.random() < 0.7 else f"[{work.year}]"
    pairs = ["a", f"{work.place} :", "b", f"{publisher},", "c", year]
    if work.publisher_vern and links is not None:
        links.append(
            _f(
                "880",
                ind,
                "6",
                f"{tag}-05/$1",
                "a",
                f"{_vernacular(work.place_vern, trad)} :",
                "b",
                f"{_vernacular(work.publisher_vern, trad)},",
                "c",
                year,
            )
        )
        pairs = ["6", "880-05", *pairs]
    out = [_f(tag, ind, *pairs)]
    if work.fmt != "journal":
        extent = f"{work.pages} pages" if tag == "264" else f"xii, {work.pages} p."
        out.append(_f("300", "  ", "a", extent))
    else:
        out.append(_f("362", "0 ", "a", f"Vol. 1, no. 1 ({work.year})-"))
    return out


def _note_fields(work: Work) -> list[Field]:
    out = []
    if work.fmt == "thesis":
        out.append(_f("502", "  ", "a", f"Thesis (Ph.D.)--{work.university}, {work.year}."))
    for subject in work.subjects:
        head, _, sub = subject.partition(" -- ")
        out.append(_f("650", " 0", "a", head, "x", sub))
    return out


def _access_fields(work: Work, copy: Copy, rng: random.Random) -> list[Field]:
    out = []
    for library in copy.libraries:
        call = (
            work.call_number
            if rng.random() < 0.8
            else f"K{rng.randrange(10, 999)}.{rng.randrange(1, 9)}"
        )
        out.append(_f("852", "0 ", "a", library, "b", "Main stacks", "h", call))
    if work.open_access and rng.random() < 0.85:
        url = (
            f"https://doi.org/{work.doi}"
            if work.doi
            else f"https://library.oapen.org/handle/20.500.12657/{work.id}"
        )
        out.append(_f("856", "40", "u", url, "z", "Open access", "7", "0"))
    elif rng.random() < 0.15:
        vendor = "https://ebookcentral.proquest.com/lib/%s/detail.action?docID=%d"
        out.append(
            _f(
                "856",
                "40",
                "u",
                vendor % (copy.libraries[0] if copy.libraries else "cashl", work.id),
                "z",
                "Full text available to subscribers",
            )
        )
    return out


def render(work: Work, copy: Copy, rng: random.Random) -> Record:
    """The MARC21 record ``copy``'s source holds for ``work`` (UTF-8, leader/09 ``a``)."""
    type_level = _LEADER_TYPE[work.fmt]
    record = Record(leader=f"00000n{type_level} a2200000 i 4500", force_utf8=True)
    trad = work.cjk and rng.random() < 0.2
    links: list[Field] | None = [] if work.cjk and rng.random() < 0.95 else None
    fields = _control_fields(work, copy, rng) + _identifier_fields(work, rng)
    fields += [
        _f("040", "  ", "a", copy.source_code, "b", "eng", "e", "rda", "c", copy.source_code)
    ]
    lang_code = "chi" if work.cjk else work.lang
    fields += [_f("041", "0 ", "a", lang_code)] if rng.random() < 0.3 else []
    people = _people_fields(work, rng, links, trad)
    fields += [f for f in people if f.tag in ("100", "111")]
    fields += _title_fields(work, rng, links, trad)
    fields += _imprint_fields(work, rng, links, trad)
    fields += _note_fields(work)
    fields += [f for f in people if f.tag == "700"]
    fields += _access_fields(work, copy, rng)
    if links:
        fields += sorted(links, key=lambda f: f.get("6", ""))
    record.fields = fields
    return record
