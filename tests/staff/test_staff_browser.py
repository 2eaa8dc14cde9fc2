"""Real browser: Debian's Chromium (Playwright) signs in to the staff pages served by a
real HTTP server and refuses a request with a reason; the ledger shows the refusal."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from staff_testkit import PASSWORD, new_request
from werkzeug.serving import make_server

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def served(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def page():
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(locale="en-GB", viewport={"width": 1200, "height": 900})
        yield context.new_page()
        context.close()
        browser.close()


def test_lender_signs_in_and_refuses_a_request(page, served, client, accounts, router):
    req = new_request(client)
    page.goto(f"{served}/staff/lib/211030/?lang=en")
    assert page.url.startswith(f"{served}/staff/login")
    page.get_by_label("User name").fill("lend")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("#lending-h")
    page.locator(f"a[href$='/requests/{req['id']}']").first.click()
    page.wait_for_selector(".staff-table.rota")
    page.get_by_label("Refuse", exact=True).check()
    page.get_by_label("Reason or note (required to refuse)").fill("on loan until May")
    page.get_by_role("button", name="Record").click()
    page.wait_for_selector(".flash-success")
    assert (
        "Done: the request is now RequestReceived." in page.locator(".flash-success").inner_text()
    )
    assert "on loan until May" in page.locator(".timeline").inner_text()
    page.screenshot(path=str(ARTIFACTS / "staff-refused.png"), full_page=True)
    stored = router.ledger.get(req["id"])
    assert stored["lender"] == "221010"
    assert [e["reason"] for e in stored["events"] if e["type"] == "refused"] == [
        "on loan until May"
    ]
