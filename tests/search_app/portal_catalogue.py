"""A small, varied catalogue for the portal tests, built from real domain objects.

Library codes are those of the bundled sample consortium (router/sample/members.toml):
211010 Peking University, 211030 Tsinghua, 221010 and others. Titles include markup
and CJK so escaping and bigram search are exercised.
"""

from __future__ import annotations

import dataclasses

from mappings.schema import Cluster, Holding, Library, Link, Record
from router.members import SAMPLE_MEMBERS, load_members

__all__ = [
    "ALLOWED_ORIGIN",
    "FDU",
    "HOSTILE_TITLE",
    "PKU",
    "THU",
    "sample_clusters",
    "sample_members",
]

PKU, THU, FDU = "211010", "211030", "221010"
HOSTILE_TITLE = 'Scripts <script>alert("x")</script> & "quotes" \'</title>'


def _record(source: str, source_id: str, **fields: object) -> Record:
    return Record(source=source, source_id=source_id, **fields)  # type: ignore[arg-type]


def sample_clusters() -> list[Cluster]:
    records = [
        (
            "c-open",
            _record(
                "pku",
                "1",
                format="article",
                title="Open climate data for everyone",
                authors=["Smith, Jane"],
                year=2021,
                language="eng",
                doi="10.1234/climate.2021",
                subjects=["Climatology"],
                links=[Link("https://example.org/oa/climate.pdf", access="open", label="PDF")],
                holdings=[Holding(THU, "print", "Stacks", "QC981 .S65")],
            ),
        ),
        (
            "c-shelf",
            _record(
                "pku",
                "2",
                format="book",
                title="Climate and society in China",
                authors=["Li, Wei"],
                year=2015,
                language="eng",
                isbn=["9780199547463"],
                subjects=["Climatology", "China"],
                holdings=[
                    Holding(PKU, "print", "Main library", "QC989.C6 L5"),
                    Holding(THU, "print", "Humanities", "QC989 L5"),
                ],
            ),
        ),
        (
            "c-licensed",
            _record(
                "thu",
                "3",
                format="journal",
                title="Journal of climate history",
                year=1999,
                language="eng",
                issn=["1234-5679"],
                subjects=["History"],
                links=[Link("https://publisher.example/jch", access="licensed", library=THU)],
                holdings=[Holding(FDU, "print", "Periodicals", "D1 .J6")],
            ),
        ),
        (
            "c-request",
            _record(
                "fdu",
                "4",
                format="book",
                title="Climate change: a very short introduction",
                authors=["Maslin, Mark"],
                year=2009,
                language="eng",
                isbn=["9780199547470"],
                holdings=[
                    Holding(FDU, "print", "Stacks", "QC981.8 M37"),
                    Holding(THU, "print", "Stacks", "QC981.8 M37"),
                ],
            ),
        ),
        (
            "c-cjk",
            _record(
                "pku",
                "5",
                format="book",
                title="中国文学史",
                title_vernacular=["中國文學史"],
                authors=["游国恩"],
                year=1963,
                language="chi",
                subjects=["中国文学"],
                holdings=[Holding(PKU, "print", "古籍部", "I209.2 Y6")],
            ),
        ),
        (
            "c-hostile",
            _record(
                "evil",
                "6",
                format="book",
                title=HOSTILE_TITLE,
                authors=["<img src=x onerror=alert(1)>"],
                year=2020,
                language="eng",
                subjects=['"><svg onload=alert(1)>'],
                links=[Link("javascript:alert(1)", access="open", label="<b>bad</b>")],
                holdings=[Holding(FDU, "print", "<i>x</i>", '"><script>alert(2)</script>')],
            ),
        ),
        (
            "c-none",
            _record(
                "pku",
                "7",
                format="thesis",
                title="Glacier retreat models",
                year=2023,
                language="eng",
            ),
        ),
    ]
    clusters = [Cluster(cid, [record]) for cid, record in records]
    # A merged cluster: two sources describing the same book.
    clusters.append(
        Cluster(
            "c-merged",
            [
                _record(
                    "pku",
                    "8",
                    format="book",
                    title="Weather and climate",
                    year=2001,
                    authors=["Barry, Roger"],
                    isbn=["9780415271714"],
                    language="eng",
                    holdings=[Holding(PKU, "print", "Science", "QC861 B3")],
                ),
                _record(
                    "thu",
                    "9",
                    format="book",
                    title="Weather and climate",
                    year=2001,
                    isbn=["9780415271714"],
                    language="eng",
                    holdings=[Holding(THU, "print", "Science", "QC861 .B37")],
                ),
            ],
        )
    )
    # Enough extra records to page through.
    for n in range(30):
        clusters.append(
            Cluster(
                f"c-extra-{n:02d}",
                [
                    _record(
                        "gen",
                        f"x{n}",
                        format="report",
                        title=f"Climate report number {n}",
                        year=1980 + n,
                        language="ger" if n % 3 == 0 else "eng",
                        holdings=[Holding(THU, "print", "Reports", f"R{n}")],
                    )
                ],
            )
        )
    return clusters


ALLOWED_ORIGIN = "https://library.pku.example"


def sample_members(**embed: list[str]) -> dict[str, Library]:
    """The bundled sample consortium; ``embed`` maps codes to their embed_domains.

    (Here rather than in conftest.py: test modules import it by a unique module name, so
    running several test folders together never picks another folder's conftest.)
    """
    libraries = load_members(SAMPLE_MEMBERS)
    for code, domains in embed.items():
        libraries[code] = dataclasses.replace(libraries[code], embed_domains=domains)
    return libraries
