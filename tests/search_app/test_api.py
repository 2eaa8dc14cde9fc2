"""The JSON API: shapes, facets, the one error envelope, OpenAPI, CORS."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from portal_catalogue import ALLOWED_ORIGIN, PKU, THU

from search_app.errors import error_body


def test_search_shape_and_facets(client: FlaskClient) -> None:
    data = client.get(f"/api/v1/search?q=climate&lib={THU}&per_page=5").get_json()
    assert data["total"] >= 30 and data["per_page"] == 5 and len(data["results"]) == 5
    assert data["library"]["code"] == THU
    first = data["results"][0]
    assert first["availability"]["best"] == "online"
    assert first["_links"]["self"].startswith("/api/v1/records/")
    assert {"format", "language", "library", "access", "subject", "year"} <= set(data["facets"])
    assert {"value": "book", "count": 3} in data["facets"]["format"]


def test_record(client: FlaskClient) -> None:
    data = client.get(f"/api/v1/records/c-shelf?lib={PKU}").get_json()
    assert data["record"]["title"] == "Climate and society in China"
    assert data["availability"]["best"] == "shelf"
    assert data["exports"]["ris"] == "/record/c-shelf/export/ris"


@pytest.mark.parametrize(
    "url,status,code,field",
    [
        ("/api/v1/search?page=abc", 400, "bad_parameter", "page"),
        ("/api/v1/search?sort=best", 400, "bad_parameter", "sort"),
        ("/api/v1/search?per_page=1000", 400, "bad_parameter", "per_page"),
        ("/api/v1/search?q=x&lib=NOPE", 400, "unknown_library", "lib"),
        ("/api/v1/records/nope", 404, "not_found", "id"),
        ("/api/v1/nothing", 404, "not_found", None),
    ],
)
def test_errors_use_the_one_envelope(
    client: FlaskClient, url: str, status: int, code: str, field: str | None
) -> None:
    response = client.get(url)
    assert response.status_code == status
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"status", "code", "message", "field"}
    assert body["error"]["status"] == status and body["error"]["code"] == code
    assert body["error"]["field"] == field


def test_method_not_allowed_is_json(client: FlaskClient) -> None:
    response = client.post("/api/v1/search")
    assert (
        response.status_code == 405 and response.get_json()["error"]["code"] == "method_not_allowed"
    )


def test_error_body_helper() -> None:
    assert error_body(400, "x", "y", "z") == {
        "error": {"status": 400, "code": "x", "message": "y", "field": "z"}
    }


def test_openapi_document(client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert {"/api/v1/search", "/api/v1/records/{id}"} <= set(doc["paths"])
    names = {p["name"] for p in doc["paths"]["/api/v1/search"]["get"]["parameters"]}
    assert {"q", "f.format", "sort", "page", "lib"} <= names


def test_cors_only_for_member_domains(client: FlaskClient) -> None:
    allowed = client.get("/api/v1/search?q=x", headers={"Origin": ALLOWED_ORIGIN})
    assert allowed.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    stranger = client.get("/api/v1/search?q=x", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in stranger.headers
    preflight = client.options(
        "/api/v1/search", headers={"Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "GET"}
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN


def test_hostile_title_is_plain_json(client: FlaskClient) -> None:
    response = client.get("/api/v1/records/c-hostile")
    assert response.mimetype == "application/json"
    assert response.get_json()["record"]["title"].startswith("Scripts <script>")
