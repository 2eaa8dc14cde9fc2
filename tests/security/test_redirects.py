"""No open redirect: the post-login target is a same-site path or the default."""

from __future__ import annotations

import pytest
from delivery_testkit import PASSWORD, csrf
from flask.testing import FlaskClient

from search_app.auth import safe_next

HOSTILE = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    " //evil.example",
    "javascript:alert(1)",
    "evil.example",
    "///evil.example",
]


@pytest.mark.parametrize("target", HOSTILE)
def test_hostile_targets_fall_back_to_the_default(target: str) -> None:
    assert safe_next(target, "/staff/") == "/staff/"


@pytest.mark.parametrize("target", ["/staff/lib/211010/", "/admin/?x=1&y=%2F%2Fa", "/"])
def test_same_site_paths_are_kept(target: str) -> None:
    assert safe_next(target, "/staff/") == target


@pytest.mark.parametrize("target", ["/\\evil.example/", "//evil.example"])
def test_signing_in_never_leaves_the_site(client: FlaskClient, target: str) -> None:
    token = csrf(client, "/staff/login")
    response = client.post(
        "/staff/login",
        data={"username": "admin", "password": PASSWORD, "csrf_token": token, "next": target},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/"
    again = client.get("/staff/login", query_string={"next": target})
    assert again.status_code == 302 and again.headers["Location"] == "/staff/"


def test_a_link_click_only_goes_to_the_records_own_links(client: FlaskClient) -> None:
    response = client.get("/go", query_string={"url": "https://evil.example/", "record": "c-1"})
    assert response.status_code in (400, 404)
    assert "Location" not in response.headers
