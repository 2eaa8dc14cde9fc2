"""Embedding: per-member frame-ancestors, the widget generator, snippets."""

from __future__ import annotations

from flask.testing import FlaskClient
from portal_catalogue import ALLOWED_ORIGIN, PKU, THU


def test_embedded_portal_may_be_framed_by_its_member_only(client: FlaskClient) -> None:
    headers = client.get(f"/?embed={PKU}").headers
    assert headers["Content-Security-Policy"].endswith(f"frame-ancestors 'self' {ALLOWED_ORIGIN}")
    assert "X-Frame-Options" not in headers


def test_member_without_domains_and_unknown_codes_are_not_framable(client: FlaskClient) -> None:
    for code in (THU, "NOPE"):
        headers = client.get(f"/?embed={code}").headers
        assert headers["Content-Security-Policy"].endswith("frame-ancestors 'self'")


def test_embedded_links_stay_in_embed_mode(client: FlaskClient) -> None:
    html = client.get(f"/search?q=climate&per_page=50&embed={PKU}").get_data(as_text=True)
    assert f'href="/record/c-shelf?q=climate&amp;embed={PKU}"' in html
    assert 'target="_blank"' in html  # full text leaves the frame
    assert 'class="site-footer"' not in html


def test_widget_generator_produces_snippets(client: FlaskClient) -> None:
    html = client.get(f"/embed/widget?library={PKU}&placeholder=Find+books&lang=en").get_data(
        as_text=True
    )
    assert "&lt;form action=&#34;http://localhost/search&#34;" in html
    assert f"name=&#34;lib&#34; value=&#34;{PKU}&#34;" in html
    assert f"/?embed={PKU}" in html and "efirst-widget.js" in html
    assert ALLOWED_ORIGIN in html


def test_widget_escapes_its_inputs(client: FlaskClient) -> None:
    html = client.get(f'/embed/widget?library={PKU}&placeholder="><script>x</script>').get_data(
        as_text=True
    )
    assert "<script>x" not in html


def test_widget_script_is_served(client: FlaskClient) -> None:
    response = client.get("/static/js/efirst-widget.js")
    assert response.status_code == 200 and b"data-efirst-search" in response.data
    response.close()
