"""The catalogue, e-holdings, clock and helpers of the usage-statistics tests.

Library codes are the bundled sample consortium's (router/sample/members.toml).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient

from mappings.schema import Cluster, EHolding, Holding, Link, Record

__all__ = [
    "FDU",
    "PASSWORD",
    "PKU",
    "THU",
    "Clock",
    "at",
    "eholdings",
    "login",
    "sample_clusters",
]

PKU, THU, FDU = "211010", "211030", "221010"
PASSWORD = "correct horse battery"
OPEN_PDF = "https://oa.example/weather.pdf"
PKU_EBOOK = "https://ebooks.example/weather"
THU_JOURNAL = "https://publisher.example/jch"
KBART_ANNALS = "https://kbart.example/annals"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _record(source: str, source_id: str, **fields: Any) -> Record:
    return Record(source=source, source_id=source_id, **fields)


def sample_clusters() -> list[Cluster]:
    return [
        Cluster(
            "s-book",
            [
                _record(
                    "pku", "1", format="book", title="Weather and climate", year=2001,
                    isbn=["9780415271714"], language="eng",
                    links=[Link(OPEN_PDF, access="open"), Link(PKU_EBOOK, library=PKU)],
                    holdings=[Holding(THU, "print", "Science", "QC861 .B37")],
                )
            ],
        ),
        Cluster(
            "s-jnl",
            [
                _record(
                    "thu", "2", format="journal", title="Journal of climate history",
                    year=1999, issn=["1234-5679"], language="eng",
                    links=[Link(THU_JOURNAL, library=THU)],
                    holdings=[Holding(FDU, "print", "Periodicals", "D1 .J6")],
                )
            ],
        ),
        Cluster(
            "s-annals",
            [
                _record(
                    "pku", "3", format="journal", title="Annals of glaciology", year=1995,
                    issn=["0260-3055"], language="eng",
                )
            ],
        ),
        Cluster(
            "s-print",
            [
                _record(
                    "fdu", "4", format="book", title="Glacier retreat models", year=2023,
                    language="eng", holdings=[Holding(FDU, "print", "Stacks", "QC1")],
                )
            ],
        ),
    ]  # fmt: skip


def eholdings() -> list[EHolding]:
    """Peking University licenses the Annals of glaciology for 1990-2000 only."""
    return [
        EHolding(
            PKU,
            "glaciology",
            "Annals of glaciology",
            print_identifier="0260-3055",
            date_first_issue_online="1990",
            date_last_issue_online="2000",
            title_url=KBART_ANNALS,
        )
    ]


class Clock:
    """A clock the tests move by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def at(text: str) -> datetime:
    """``"2025-01-05 10:00:20"`` as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> None:
    """Sign in through the real staff login form."""
    page = client.get("/staff/login").get_data(as_text=True)
    token = _TOKEN.search(page)
    assert token, "no CSRF token on the login page"
    response = client.post(
        "/staff/login",
        data={"username": username, "password": password, "csrf_token": token.group(1)},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
