"""Real browser: Debian's Chromium (Playwright) signs in as a library administrator,
uploads a logo on the settings page served by a real HTTP server, and sees it in the
portal header; a fake image is refused with the error next to the field."""

from __future__ import annotations

import pytest
from admin_testkit import LIBRARY, PASSWORD, image_bytes
from browser_kit import ARTIFACTS, desktop_page, serve

pytestmark = pytest.mark.browser


@pytest.fixture
def served(app):
    with serve(app) as base:
        yield base


@pytest.fixture
def page():
    with desktop_page() as opened:
        yield opened


def test_admin_uploads_a_logo_and_the_portal_shows_it(page, served, accounts, tmp_path):
    page.goto(f"{served}/admin/lib/{LIBRARY}/settings?lang=en")
    assert page.url.startswith(f"{served}/staff/login")
    page.get_by_label("User name").fill("libadmin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("#images")

    fake = tmp_path / "fake.png"
    fake.write_text("this is text, not a picture\n")
    page.get_by_label("Logo file").set_input_files(str(fake))
    page.get_by_role("button", name="Upload logo").click()
    page.wait_for_selector("#logo-error")
    assert "checked by content" in page.locator("#logo-error").inner_text()

    logo = tmp_path / "pku.png"
    logo.write_bytes(image_bytes("PNG", (80, 80), "#004b87"))
    page.get_by_label("Logo file").set_input_files(str(logo))
    page.get_by_role("button", name="Upload logo").click()
    page.wait_for_selector(".flash-success")
    assert page.locator(".current-logo img").count() == 1

    page.goto(f"{served}/?lib={LIBRARY}&lang=en")
    header_logo = page.locator(".site-header img.logo")
    header_logo.wait_for()
    assert header_logo.get_attribute("src").startswith("/media/logos/logo-211010-")
    assert page.evaluate("document.querySelector('.site-header img.logo').naturalWidth") == 80
    page.screenshot(path=str(ARTIFACTS / "admin-logo-portal.png"))
