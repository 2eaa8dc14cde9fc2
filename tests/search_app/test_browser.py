"""Real-browser tests: Debian's Chromium driven by Playwright against the app served by a
real HTTP server on 127.0.0.1. Screenshots go to test-artifacts/ (git-ignored)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from browser_kit import ARTIFACTS, chromium, serve
from portal_catalogue import PKU, THU, sample_members

from search_app import create_app

pytestmark = pytest.mark.browser


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def _serve_dir(directory: Path) -> http.server.ThreadingHTTPServer:
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(_Quiet, directory=str(directory))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """Two outside sites (a member's and a stranger's), each a page framing the portal."""
    member_dir = tmp_path_factory.mktemp("member")
    stranger_dir = tmp_path_factory.mktemp("stranger")
    member, stranger = _serve_dir(member_dir), _serve_dir(stranger_dir)
    yield {
        "member": member,
        "stranger": stranger,
        "member_dir": member_dir,
        "stranger_dir": stranger_dir,
    }
    for server in (member, stranger):
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def portal(backend, sites, tmp_path_factory) -> Iterator[str]:  # type: ignore[no-untyped-def]
    member_origin = f"http://127.0.0.1:{sites['member'].server_port}"
    app = create_app(
        {
            "EFIRST_DATA_DIR": str(tmp_path_factory.mktemp("data")),
            "EFIRST_BACKEND": backend,
            "EFIRST_MEMBERS": sample_members(**{PKU: [member_origin]}),
            "SECRET_KEY": "browser-test",
        }
    )
    with serve(app) as base:
        _write_framing_sites(base, sites)
        yield base


def _write_framing_sites(base: str, sites: dict[str, object]) -> None:
    """A member's and a stranger's page, each framing the portal."""
    for name in ("member", "stranger"):
        (sites[f"{name}_dir"] / "index.html").write_text(
            f"<!doctype html><title>{name}</title><h1>{name} site</h1>"
            f'<iframe id="portal" src="{base}/?embed={PKU}&lang=en" width="900" height="700">'
            "</iframe>",
            encoding="utf-8",
        )


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    with chromium() as launched:
        yield launched


@pytest.fixture()
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    tab = context.new_page()
    yield tab
    context.close()


def test_search_facet_record_and_language(page, portal: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{portal}/?lang=en&lib={THU}")
    page.get_by_label("Search the catalogue").fill("climate")
    page.keyboard.press("Enter")
    page.wait_for_selector(".result-list")
    assert "results" in page.locator("#results-heading").inner_text()
    first = page.locator(".result").first
    assert "Full text online" in first.inner_text()  # online first for Tsinghua
    page.screenshot(path=str(ARTIFACTS / "search-results.png"), full_page=True)

    page.locator("#facet-format + ul a", has_text="Book").click()
    page.wait_for_url("**f.format=book**")
    assert page.locator("#results-heading").inner_text().startswith("3 results")
    page.screenshot(path=str(ARTIFACTS / "search-facet-book.png"), full_page=True)

    page.locator(".result-title a", has_text="Weather and climate").click()
    page.wait_for_selector("h1.record-title")
    assert "Weather and climate" in page.locator("h1.record-title").inner_text()
    assert page.locator("table.holdings tbody tr").count() == 2
    page.screenshot(path=str(ARTIFACTS / "record.png"), full_page=True)

    page.get_by_role("link", name="中文").click()
    page.wait_for_selector("#get-it-heading")
    assert page.locator("#get-it-heading").inner_text() == "获取"
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.screenshot(path=str(ARTIFACTS / "record-zh.png"), full_page=True)


def test_phone_screen_keyboard_search(browser, portal: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    page.goto(f"{portal}/search?q=climate&lang=en")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.className") == "skip-link"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375  # no horizontal scrolling on a phone
    page.screenshot(path=str(ARTIFACTS / "phone-results.png"), full_page=False)
    context.close()


def test_member_site_may_frame_the_portal(page, portal: str, sites) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"http://127.0.0.1:{sites['member'].server_port}/index.html")
    frame = page.frame_locator("#portal")
    frame.get_by_label("Search the catalogue").fill("climate")
    frame.get_by_label("Search the catalogue").press("Enter")
    frame.locator(".result-list").wait_for()
    link = frame.locator(".av-online a").first
    assert link.get_attribute("target") == "_blank"
    page.screenshot(path=str(ARTIFACTS / "embed-member.png"), full_page=True)


def test_stranger_site_is_refused(page, portal: str, sites) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"http://127.0.0.1:{sites['stranger'].server_port}/index.html")
    page.wait_for_timeout(1000)
    child = next(f for f in page.frames if f != page.main_frame)
    assert child.url.startswith("chrome-error://") or child.locator("#q").count() == 0
    page.screenshot(path=str(ARTIFACTS / "embed-stranger.png"), full_page=True)


def test_request_delivery_from_a_record(page, portal: str) -> None:  # type: ignore[no-untyped-def]
    """Open a record, click "Request delivery", fill in the form, see the confirmation."""
    page.goto(f"{portal}/record/c-request?lang=en&lib={PKU}")
    box = page.locator("#get-it")
    assert "2 member libraries can send it to you." in box.inner_text()
    page.get_by_role("link", name="Request delivery").click()
    page.wait_for_selector("form.request-form")
    assert (
        "Climate change: a very short introduction"
        in page.locator(".requested-record").inner_text()
    )
    assert page.locator("form.request-form").get_by_label("Your library").input_value() == PKU
    page.get_by_label("Your name").fill("Wang Fang")
    page.get_by_label("Your e-mail").fill("not-an-email")
    page.get_by_role("button", name="Send request").click()
    page.wait_for_selector(".error-summary")
    assert page.get_by_label("Your name").input_value() == "Wang Fang"  # nothing lost
    page.get_by_label("Your e-mail").fill("wang.fang@pku.example.edu.cn")
    page.get_by_label("A loan").check()
    page.get_by_role("button", name="Send request").click()
    page.wait_for_selector(".request-id")
    assert "Your request has been sent." in page.locator("main").inner_text()
    assert page.locator(".request-state").get_attribute("data-state") == "RequestReceived"
    assert "token=" in page.url
    page.screenshot(path=str(ARTIFACTS / "request-confirmation.png"), full_page=True)
