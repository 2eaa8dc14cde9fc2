"""Real browser (Debian's Chromium via Playwright) on the app served over HTTP: the lender
uploads the scan through the page, the patron opens the link, reads the copyright
notice and downloads the PDF."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_kit import ARTIFACTS, chromium, serve
from delivery_testkit import PASSWORD, Clock, build_app, make_pdf

from search_app import delivery as delivery_views
from search_app.request_views import patron_store

pytestmark = pytest.mark.browser


@pytest.fixture
def served(tmp_path: Path) -> Iterator[dict[str, Any]]:
    app = build_app(tmp_path, Clock())
    made = app.test_client().post(
        "/api/v1/requests",
        json={"library": "211010", "record_id": "c-1", "needs": {"service": "copy"}},
    )
    request = made.get_json()
    with app.app_context():
        patron_store().add(
            request["id"], name="Li Hua", email="li.hua@example.edu", library="211010"
        )
    with serve(app) as base:
        yield {"base": base, "app": app, "request": request}


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium() as browser:
        yield browser


def test_upload_then_open_the_link_read_the_notice_and_download(
    served: dict[str, Any], browser: Any, tmp_path: Path
) -> None:
    base, request = served["base"], served["request"]
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(make_pdf(pages=3))

    staff = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-US")
    page = staff.new_page()
    page.goto(f"{base}/staff/login?lang=en")
    page.fill("#username", "lend")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{base}/staff/lib/221010/requests/{request['id']}/delivery")
    page.set_input_files("#file", str(scan))
    page.get_by_role("button", name="Upload and send").click()
    page.wait_for_selector(".delivery-accesses")
    assert "0 of 5 times" in page.locator(".delivery-accesses").inner_text()
    page.screenshot(path=str(ARTIFACTS / "delivery-upload.png"), full_page=True)
    staff.close()

    app = served["app"]
    token = app.extensions[delivery_views.EXTENSION].new_token(request["id"], "li.hua@example.edu")
    patron = browser.new_context(
        viewport={"width": 390, "height": 800}, locale="en-US", accept_downloads=True
    )
    tab = patron.new_page()
    tab.goto(f"{base}/delivery/{request['id']}?token={token}&lang=en")
    notice = tab.locator(".copyright-notice")
    assert "Copyright notice" in notice.inner_text()
    assert "private study or research" in notice.inner_text()
    assert "5 more times" in tab.locator(".delivery-limits").inner_text()
    tab.screenshot(path=str(ARTIFACTS / "delivery-notice.png"), full_page=True)
    with tab.expect_download() as caught:
        tab.click("#download")
    download = caught.value
    assert download.suggested_filename == f"efirst-{request['id'][:12]}.pdf"
    saved = tmp_path / "downloaded.pdf"
    download.save_as(saved)
    assert saved.read_bytes() == scan.read_bytes()
    tab.reload()
    assert "4 more times" in tab.locator(".delivery-limits").inner_text()
    tab.goto(f"{base}/delivery/{request['id']}?token=wrong&lang=en")
    assert "The link is not valid" in tab.locator(".delivery-refused").inner_text()
    patron.close()
