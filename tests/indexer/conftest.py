"""Fixtures for the KBART, tabular, Dublin Core and OAI-PMH harvest tests (namespaced)."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import pytest
from browser_kit import serve

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(scope="session")
def kbart_dir() -> Path:
    """tests/fixtures/kbart: real KBART files (see SOURCES.md there)."""
    return FIXTURES / "kbart"


@pytest.fixture(scope="session")
def oai_dir() -> Path:
    """tests/fixtures/oai-pmh: real OAI-PMH responses (see SOURCES.md there)."""
    return FIXTURES / "oai-pmh"


# --- record builders for the dedup, tantivy, pipeline and CLI tests -------------------


@pytest.fixture
def make_record():
    """Factory: ``make_record(source_id, **fields)`` -> :class:`mappings.schema.Record`."""
    from mappings.schema import Record

    def build(source_id: str, source: str = "lib-a", **fields) -> Record:
        return Record(source=source, source_id=source_id, **fields)

    return build


# --- OAI-PMH servers on 127.0.0.1 ------------------------------------------------------


@pytest.fixture
def wsgi_server():
    """Start WSGI apps on 127.0.0.1 in threads; returns ``start(app) -> base URL``."""
    with ExitStack() as servers:
        yield lambda app: servers.enter_context(serve(app)) + "/oai"
