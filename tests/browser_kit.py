"""Real-browser test kit shared by every test directory: Debian's Chromium driven by
Playwright (``executable_path``: no browser download), and the app under test served by
a real HTTP server on 127.0.0.1.

Chromium missing: the test is skipped on a developer's machine, and fails under CI
(``CI`` set), where ``./run-tests`` installs it: browser tests must never silently vanish.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

__all__ = ["ARGS", "ARTIFACTS", "CHROMIUM", "chromium", "serve"]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: The flags this machine needs: its closed network refuses Chromium's background calls.
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Screenshots land here (git-ignored), kept as test artifacts.
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


@contextmanager
def serve(app: Any, port: int = 0) -> Iterator[str]:
    """``app`` served on 127.0.0.1 in a thread (on ``port``, or a free one); yields its base URL."""
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (a Playwright ``Browser``), closed afterwards."""
    if not Path(CHROMIUM).exists():
        message = "chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def desktop_page(locale: str = "en-GB") -> Iterator[Any]:
    """A page of a fresh desktop-sized Chromium context in ``locale``, closed afterwards."""
    with chromium() as browser:
        context = browser.new_context(locale=locale, viewport={"width": 1200, "height": 900})
        try:
            yield context.new_page()
        finally:
            context.close()
