"""Counts of a thousand and more render in both languages (facets, totals, online count).

Regression: facet counts were formatted twice (once by the results page, then again by
the template's ``numberformat``), which raised on "1,001" and gave a 500 on any search
whose facet value had a thousand hits or more.
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from portal_catalogue import PKU, sample_members

from indexer.backends.tantivy_backend import TantivyBackend
from indexer.documents import cluster_document
from mappings.schema import Cluster, Link, Record
from search_app import create_app

MANY = 1001


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    engine = TantivyBackend(None)
    engine.ensure_index()
    clusters = (
        Cluster(
            id=f"c{n:05d}",
            records=[
                Record(
                    source="big",
                    source_id=str(n),
                    format="book",
                    title=f"Common history volume {n}",
                    language="eng",
                    year=1990 + n % 30,
                    subjects=["History"],
                    links=[Link(url=f"https://oa.example/{n}", access="open")],
                )
            ],
        )
        for n in range(MANY)
    )
    assert not engine.upsert(cluster_document(c) for c in clusters).failed
    engine.refresh()
    app = create_app(
        {
            "TESTING": True,
            "EFIRST_DATA_DIR": str(tmp_path_factory.mktemp("big")),
            "EFIRST_BACKEND": engine,
            "EFIRST_MEMBERS": sample_members(),
            "SECRET_KEY": "test",
        }
    )
    return app.test_client()


@pytest.mark.parametrize(("lang", "grouped"), [("en", "1,001"), ("zh_CN", "1,001")])
def test_a_facet_value_with_a_thousand_hits_renders(
    client: FlaskClient, lang: str, grouped: str
) -> None:
    response = client.get(f"/search?q=history&lib={PKU}&lang={lang}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<span class="count">{grouped}</span>' in html  # the format / subject facets


def test_the_api_reports_the_same_counts_as_numbers(client: FlaskClient) -> None:
    data = client.get("/api/v1/search?q=history").get_json()
    assert data["total"] == MANY
