"""Real browser: Debian's Chromium (Playwright) signs in to the staff pages served by a
real HTTP server and refuses a request with a reason; the ledger shows the refusal."""

from __future__ import annotations

import pytest
from browser_kit import ARTIFACTS, desktop_page, serve
from staff_testkit import PASSWORD, new_request

pytestmark = pytest.mark.browser


@pytest.fixture
def served(app):
    with serve(app) as base:
        yield base


@pytest.fixture
def page():
    with desktop_page() as opened:
        yield opened


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
