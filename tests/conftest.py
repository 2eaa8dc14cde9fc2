"""Root of the test tree. pytest puts this folder on ``sys.path`` for this conftest, so
the shared kits here (``browser_kit``, ``es_node``) import from every test directory."""

from __future__ import annotations

import es_node
import pytest


@pytest.fixture(scope="session")
def es_url() -> str:
    """URL of the real Elasticsearch test node (started once per test process).

    Unavailable: skipped on a developer's machine, a failure under CI or with
    ``EFIRST_REQUIRE_ES=1`` (see :func:`es_node.node_required`).
    """
    try:
        return es_node.shared_url()
    except es_node.EsNodeError as exc:
        if es_node.node_required():
            pytest.fail(f"Elasticsearch test node unavailable: {exc}")
        pytest.skip(f"Elasticsearch test node unavailable: {exc}")
