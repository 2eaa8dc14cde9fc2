"""KBART (NISO RP-9-2014 Phase II) e-holdings for the synthetic corpus.

Works are offered one by one as they are generated; a fraction of the serials and books
with an identifier become lines in one of three packages (the consortium's package, open
to every member, and two member libraries' own packages). Draws come from a random
generator of their own, so the MARC files do not change with ``--kbart-lines``.
"""

from __future__ import annotations

import random
from pathlib import Path
from types import TracebackType

from bench.works import Work, isbn10_of
from mappings.identifiers import normalise_issn

__all__ = ["COLUMNS", "KbartWriter"]

COLUMNS = (
    "publication_title",
    "print_identifier",
    "online_identifier",
    "date_first_issue_online",
    "num_first_vol_online",
    "num_first_issue_online",
    "date_last_issue_online",
    "num_last_vol_online",
    "num_last_issue_online",
    "title_url",
    "first_author",
    "title_id",
    "embargo_info",
    "coverage_depth",
    "notes",
    "publisher_name",
    "publication_type",
    "date_monograph_published_print",
    "date_monograph_published_online",
    "monograph_volume",
    "monograph_edition",
    "first_editor",
    "parent_publication_title_id",
    "preceding_publication_title_id",
    "access_type",
)


class KbartWriter:
    """Writes at most ``lines`` KBART lines spread over ``expected_works`` offered works."""

    def __init__(
        self, directory: Path, lines: int, expected_works: int, members: list[str], seed: int
    ) -> None:
        self.directory = directory
        self.lines = lines
        self.written = 0
        # about 80 % of works carry an ISBN or ISSN; aim a little high, stop at `lines`
        self._p = min(1.0, 1.3 * lines / max(1, expected_works * 0.8))
        self._rng = random.Random(seed + 7919)
        self._packages = [
            ("CONSORTIUM", "AllTitles"),
            (members[0], "Ebooks"),
            (members[1 % len(members)], "Journals"),
        ]
        self._files: list = []

    def __enter__(self) -> KbartWriter:
        if self.lines > 0:
            self.directory.mkdir(parents=True, exist_ok=True)
            for library, package in self._packages:
                path = self.directory / f"Synthetic_{library}_{package}_2025-01-01.txt"
                handle = open(path, "w", encoding="utf-8", newline="\n")  # noqa: SIM115
                handle.write("\t".join(COLUMNS) + "\n")
                self._files.append(handle)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for handle in self._files:
            handle.close()

    def offer(self, work: Work) -> None:
        """Maybe write a line for ``work`` (only serials and books with an identifier)."""
        if self.written >= self.lines or not (work.issn or work.isbn13):
            return
        rng = self._rng
        if rng.random() >= self._p:
            return
        if work.issn:
            row = self._serial(work, rng)
            package = 0 if rng.random() < 0.5 else 2
        else:
            row = self._monograph(work, rng)
            package = 0 if rng.random() < 0.5 else 1
        values = dict.fromkeys(COLUMNS, "")
        values.update(row)
        values["publication_title"] = work.title + (f": {work.subtitle}" if work.subtitle else "")
        values["publisher_name"] = work.publisher
        values["access_type"] = "F" if work.open_access else "P"
        self._files[package].write("\t".join(values[c] for c in COLUMNS) + "\n")
        self.written += 1

    @staticmethod
    def _serial(work: Work, rng: random.Random) -> dict[str, str]:
        first = max(work.year, 1990 + rng.randrange(0, 10))
        ended = rng.random() < 0.2
        body = str(rng.randrange(10**7)).zfill(7)
        eissn = next(normalise_issn(body + c) for c in "0123456789X" if normalise_issn(body + c))
        return {
            "print_identifier": work.issn,
            "online_identifier": eissn,
            "date_first_issue_online": f"{first}-01-01",
            "num_first_vol_online": str(first - work.year + 1),
            "num_first_issue_online": "1",
            "date_last_issue_online": f"{first + rng.randrange(1, 20)}-12-31" if ended else "",
            "title_url": f"https://journals.example.org/issn/{work.issn}",
            "title_id": f"j{work.id}",
            "embargo_info": rng.choice(("", "", "", "P1Y", "R2Y", "P6M")),
            "coverage_depth": "fulltext",
            "publication_type": "serial",
        }

    @staticmethod
    def _monograph(work: Work, rng: random.Random) -> dict[str, str]:
        isbn = work.isbn13 if rng.random() < 0.8 else (isbn10_of(work.isbn13) or work.isbn13)
        first = work.authors[0].heading.split(",")[0] if work.authors else ""
        return {
            "print_identifier": isbn,
            "title_url": f"https://ebooks.example.org/isbn/{work.isbn13}",
            "first_author": first,
            "title_id": work.doi or f"b{work.id}",
            "coverage_depth": "fulltext",
            "publication_type": "monograph",
            "date_monograph_published_print": str(work.year),
            "date_monograph_published_online": str(min(2025, work.year + rng.randrange(0, 3))),
        }
