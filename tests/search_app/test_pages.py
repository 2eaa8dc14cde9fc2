"""The patron pages through the Flask test client: content, E-first lines, escaping."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from portal_catalogue import FDU, HOSTILE_TITLE, PKU, THU


def page(client: FlaskClient, url: str, **kw: object) -> str:
    response = client.get(url, **kw)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def test_home_page_has_a_labelled_search_box(client: FlaskClient) -> None:
    html = page(client, "/?lang=en")
    assert '<label for="q"' in html and 'id="q" name="q"' in html
    assert "<h1" in html and 'role="search"' in html


def test_search_counts_and_lists_results(client: FlaskClient) -> None:
    html = page(client, "/search?q=climate&per_page=50&lang=en")
    assert re.search(r"3[0-9] results", html)
    assert 'href="/record/c-shelf?q=climate"' in html


def test_open_access_record_says_full_text_online(client: FlaskClient) -> None:
    html = page(client, "/search?q=open+climate+data&lang=en")
    assert "Full text online" in html
    # through /go, which logs the full-text request (COUNTER) and redirects
    link = re.search(r'href="(/go\?[^"]+)" target="_blank" rel="noopener noreferrer"', html)
    assert link is not None
    target = client.get(link.group(1).replace("&amp;", "&"))
    assert target.status_code == 302
    assert target.headers["Location"] == "https://example.org/oa/climate.pdf"


def test_own_shelf_copy_shows_call_number(client: FlaskClient) -> None:
    html = page(client, f"/search?q=society&lib={PKU}&lang=en")
    assert "On the shelf at your library" in html and "QC989.C6 L5" in html


def test_request_delivery_counts_other_holders(client: FlaskClient) -> None:
    html = page(client, f"/search?q=short+introduction&lib={PKU}&lang=en")
    assert "Request delivery" in html and "held by 2 member libraries" in html


def test_licensed_link_counts_only_for_its_library(client: FlaskClient) -> None:
    assert "Full text online" in page(client, f"/search?q=climate+history&lib={THU}&lang=en")
    assert "Full text online" not in page(client, f"/search?q=climate+history&lib={FDU}&lang=en")


def test_online_first_ordering_for_the_patron_library(client: FlaskClient) -> None:
    html = page(client, f"/search?q=climate&lib={THU}&lang=en")
    ids = re.findall(r'href="/record/([\w-]+)\?q=climate"', html)
    assert set(ids[:2]) == {"c-open", "c-licensed"}


def test_isbn_query_finds_the_exact_record_first(client: FlaskClient) -> None:
    html = page(client, "/search?q=978-0-19-954746-3")
    assert re.findall(r'href="/record/([\w-]+)', html)[0] == "c-shelf"


def test_facet_link_filters_and_can_be_removed(client: FlaskClient) -> None:
    html = page(client, "/search?q=climate&lang=en")
    assert 'href="/search?q=climate&amp;f.format=book"' in html
    filtered = page(client, "/search?q=climate&f.format=book&lang=en")
    assert re.search(r"\b3 results", filtered)
    assert 'href="/search?q=climate"' in filtered  # the remove-filter link


def test_online_now_filter(client: FlaskClient) -> None:
    html = page(client, f"/search?q=climate&online=1&lib={THU}&lang=en")
    assert re.search(r"\b2 results", html)


def test_year_range_and_sorting(client: FlaskClient) -> None:
    html = page(client, "/search?q=climate&year_from=2000&year_to=2009&sort=oldest&lang=en")
    years = [int(y) for y in re.findall(r'<span class="year">(\d+)</span>', html)]
    assert years and years == sorted(years) and all(2000 <= y <= 2009 for y in years)


def test_paging(client: FlaskClient) -> None:
    first = page(client, "/search?q=report&per_page=10&lang=en")
    second = page(client, "/search?q=report&per_page=10&page=2&lang=en")
    assert 'rel="next"' in first and 'rel="prev"' in second
    assert '<ol class="result-list" start="11">' in second


def test_cjk_search_in_traditional_finds_simplified(client: FlaskClient) -> None:
    html = page(client, "/search?q=中國文學")
    assert "c-cjk" in html and "<mark>" in html


def test_did_you_mean_on_zero_results(client: FlaskClient) -> None:
    html = page(client, "/search?q=glacer+retreat&lang=en")
    assert "Did you mean" in html and "glacier retreat" in html


def test_record_page(client: FlaskClient) -> None:
    html = page(client, f"/record/c-merged?lib={PKU}&lang=en")
    assert "Weather and climate" in html and "pku:8" in html and "thu:9" in html
    assert "QC861 .B37" in html and 'class="own-library"' in html
    for fmt in ("ris", "bibtex", "json"):
        assert f'href="/record/c-merged/export/{fmt}"' in html
    assert 'value="http://localhost/record/c-merged"' in html  # permalink
    assert 'id="get-it"' in html


def test_unknown_record_is_404_page(client: FlaskClient) -> None:
    response = client.get("/record/nope?lang=en")
    assert response.status_code == 404 and b"Not found" in response.data


@pytest.mark.parametrize(
    "fmt,needle",
    [("ris", "TY  - BOOK"), ("bibtex", "@book{efirst_c-shelf"), ("json", '"id": "c-shelf"')],
)
def test_exports(client: FlaskClient, fmt: str, needle: str) -> None:
    response = client.get(f"/record/c-shelf/export/{fmt}")
    assert response.status_code == 200 and needle in response.get_data(as_text=True)
    assert "attachment" in response.headers["Content-Disposition"]


def test_hostile_record_is_escaped_everywhere(client: FlaskClient) -> None:
    for url in ("/search?q=scripts", "/record/c-hostile", "/search?q=scripts&f.subject=x"):
        html = page(client, url)
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "<svg onload" not in html and "javascript:alert" not in html
    record = page(client, "/record/c-hostile")
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in record
    ld = re.search(r'<script type="application/ld\+json">(.*?)</script>', record, re.S)
    assert ld and "<" not in ld.group(1)  # JSON-in-HTML escapes < as \u003c
    assert HOSTILE_TITLE not in record


HOSTILE_QUERIES = [
    "/search?q=%00%01%02",
    "/search?q=" + "a" * 5000,
    "/search?q=%ff%fe",
    "/search?q=%ED%A0%80",
    "/search?q=title:(",
    '/search?q="unbalanced',
    "/search?q=*",
    "/search?q=a+AND+OR+NOT",
    "/search?q=x&page=-1",
    "/search?q=x&page=abc",
    "/search?q=x&page=999999999999999999999",
    "/search?q=x&per_page=0",
    "/search?q=x&per_page=100000",
    "/search?q=x&sort=%3Cscript%3E",
    "/search?q=x&year_from=abc&year_to=99999999",
    "/search?q=x&f.format=%3Cb%3E",
    "/search?q=x&f.nonsense=1",
    "/search?isbn=not-an-isbn",
    "/search?doi=10.%2F%2F",
    "/search?q=x&lib=%3Cscript%3E",
    "/search?q=x&lang=%3Cscript%3E",
    "/search?embed=%00",
    "/record/%3Cscript%3E",
    "/record/" + "x" * 1000,
    "/record/c-shelf/export/exe",
    "/advanced?title=%3Cscript%3E",
    "/embed/widget?library=%3Cscript%3E&placeholder=%22%3E",
    "/search?q=x&f.format=" + "&f.format=".join(str(i) for i in range(50)),
    "/search?q=%E4%B8%AD&q=second",
    "/search?q[]=x",
    "/search?q=10.1234/climate.2021",
]


@pytest.mark.parametrize("url", HOSTILE_QUERIES)
def test_odd_query_strings_never_500(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code in (200, 404), (url, response.status_code)
    assert b"<script>" not in response.data


def test_library_from_ip_range(client: FlaskClient) -> None:
    html = page(client, "/?lang=en", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert "Peking University Library" in html


def test_library_choice_is_kept_in_the_session(client: FlaskClient) -> None:
    page(client, f"/?lib={THU}")
    assert "Tsinghua University Library" in page(client, "/search?q=climate&lang=en")
    page(client, "/?lib=")
    assert "Tsinghua University Library</span>" not in page(client, "/?lang=en")


def test_default_logo_is_the_first_letter(client: FlaskClient) -> None:
    html = page(client, f"/?lib={PKU}&lang=en")
    assert '<span class="logo logo-letter" aria-hidden="true">P</span>' in html


def test_language_switch_keeps_the_query(client: FlaskClient) -> None:
    html = page(client, "/search?q=climate&lang=en")
    assert 'href="/search?q=climate&amp;lang=zh_CN"' in html
    zh = page(client, "/search?q=climate&lang=zh_CN")
    assert "条结果" in zh and '<html lang="zh-CN">' in zh


def test_numbers_are_localised(client: FlaskClient) -> None:
    assert "Accessed" in page(client, "/record/c-shelf?lang=en")
    assert "访问日期" in page(client, "/record/c-shelf?lang=zh_CN")


def test_security_headers(client: FlaskClient) -> None:
    headers = client.get("/").headers
    assert "frame-ancestors 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "SAMEORIGIN"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_advanced_search_fields(client: FlaskClient) -> None:
    html = page(client, "/advanced?lang=en")
    for name in ("title", "author", "subject", "isbn", "issn", "doi"):
        assert f'<label for="adv-{name}">' in html
    assert re.search(r"\b1 result\b", page(client, "/search?author=maslin&lang=en"))
