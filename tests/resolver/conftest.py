"""A small real index (tantivy in RAM) and a real e-holdings store loaded from KBART files."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from engine_kit import tantivy_of
from flask import Flask

from indexer.backends.tantivy_backend import TantivyBackend
from indexer.eholdings import EHoldingStore
from indexer.readers.kbart import read_eholdings
from mappings.schema import Cluster, EHolding, Holding, Link, Record
from resolver import web
from resolver.resolve import Resolver

FIXTURES = Path(__file__).parents[1] / "fixtures"
CAMBRIDGE = FIXTURES / "kbart" / "gokb__journals.cambridge.org_AllTitles_2015-07-14.txt"
TODAY = date(2024, 6, 15)


def _records() -> list[Record]:
    return [
        # print-only journal (not in any KBART file): held by two members
        Record(
            "cat",
            "jcs",
            format="journal",
            title="Journal of Cell Science",
            issn=["0021-9533"],
            holdings=[
                Holding("LIB2", location="Main stacks", call_number="QH573 .J6", coverage="v.1-"),
                Holding("LIB1", location="Science library", coverage="v.100-140"),
            ],
        ),
        # an article with an open-access copy
        Record(
            "repo",
            "oa1",
            format="article",
            title="Isolation of a common receptor for coxsackie B",
            doi="10.1126/science.275.5304.1320",
            year=1997,
            links=[Link("https://repository.example.org/oa1.pdf", access="open")],
        ),
        # a book with a licensed e-book link for LIB1 only
        Record(
            "cat",
            "momo",
            format="book",
            title="Momo",
            isbn=["9780385190930"],
            year=1984,
            links=[Link("https://ebooks.example.org/momo", access="licensed", library="LIB1")],
            holdings=[Holding("LIB3", location="Children's room")],
        ),
    ]


@pytest.fixture(scope="session")
def backend() -> Iterator[TantivyBackend]:
    with tantivy_of(Cluster(f"c-{r.source_id}", [r]) for r in _records()) as engine:
        yield engine


def _kbart() -> list[EHolding]:
    lines = [eh for eh in read_eholdings(CAMBRIDGE, "LIB1", "cup") if isinstance(eh, EHolding)]
    # AI EDAM under a two-year moving wall
    return [
        dataclasses.replace(eh, embargo_info="R2Y") if eh.print_identifier == "0890-0604" else eh
        for eh in lines
    ]


@pytest.fixture(scope="session")
def store() -> EHoldingStore:
    eholdings = EHoldingStore(":memory:")
    eholdings.load_package("LIB1", "cup", _kbart())
    consortium = EHolding(
        "*",
        "consortium-springer",
        "Journal of Abnormal Child Psychology",
        print_identifier="0091-0627",
        online_identifier="1573-2835",
        date_first_issue_online="1997",
        title_url="https://link.springer.com/journal/10802",
    )
    eholdings.load_package("*", "consortium-springer", [consortium])
    return eholdings


@pytest.fixture()
def resolver(backend: TantivyBackend, store: EHoldingStore) -> Resolver:
    return Resolver(backend, store, request_url="/request", today=lambda: TODAY)


@pytest.fixture()
def app(resolver: Resolver) -> Flask:
    flask_app = Flask(__name__)
    flask_app.config.update(TESTING=True, SECRET_KEY="test")
    flask_app.register_blueprint(web.bp)
    flask_app.extensions[web.EXTENSION] = resolver
    return flask_app
