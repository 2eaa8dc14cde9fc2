"""A worker is warmed up before it serves (search_app.warmup, search_app.gunicorn_conf):
templates compiled, result caches left empty, nothing counted; under real gunicorn each
worker warms up and every response closes its connection."""

from __future__ import annotations

import http.client
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flask import Flask
from portal_catalogue import PKU, sample_clusters

from indexer.backends.tantivy_backend import TantivyBackend
from indexer.documents import cluster_document
from search_app import create_app, gunicorn_conf
from search_app.services import services
from search_app.usage import get_store
from search_app.usage_store import UsageStore
from search_app.warmup import warm_up

ROOT = Path(__file__).resolve().parents[2]
SEARCHES = ["climate", "glacier", "weather", "journal", "society", "china", "open", "data"]
PAGES = {"base.html", "_macros.html", "portal/home.html", "portal/search.html"}


def _compiled(app: Flask) -> set[str]:
    cache = app.jinja_env.cache
    return {key[1] for key in cache} if cache is not None else set()


def _events(app: Flask) -> list:
    with app.app_context():
        return list(get_store().events("2000-01", "2999-12"))


def test_warm_up_compiles_the_pages_and_leaves_the_caches_empty(app: Flask) -> None:
    assert not _compiled(app) & PAGES
    seconds = warm_up(app)
    assert seconds > 0
    assert PAGES | {"portal/_results.html"} <= _compiled(app)
    with app.app_context():
        cache, pages = services().cache, services().pages
    assert len(cache) == 0 and len(pages) == 0
    # the warm-up's own query is computed again (a miss), then kept
    client = app.test_client()
    assert client.get("/search?year_from=-3000&lang=en").status_code == 200
    assert len(cache) >= 1 and len(pages) == 1


def test_warm_up_counts_no_search(app: Flask) -> None:
    warm_up(app)
    assert _events(app) == []
    browser = app.test_client()  # a patron's search is counted (the check can fail)
    browser.get(f"/search?q=climate&lib={PKU}", headers={"User-Agent": "Mozilla/5.0"})
    assert [row["kind"] for row in _events(app)] == ["search"]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_engine_does_not_stop_the_warm_up(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(
        {
            "TESTING": True,
            "EFIRST_DATA_DIR": str(tmp_path),
            "EFIRST_SEARCH_URL": f"http://127.0.0.1:{_closed_port()}",
            "SECRET_KEY": "test",
        }
    )
    with caplog.at_level(logging.WARNING, logger="search_app.warmup"):
        warm_up(app)
    assert "answered 503" in caplog.text
    assert "portal/home.html" in _compiled(app)


def test_gunicorn_settings() -> None:
    assert gunicorn_conf.worker_class == "gthread"
    assert gunicorn_conf.keepalive == 0
    assert gunicorn_conf.workers >= 1 and gunicorn_conf.threads >= 1


def _free_port() -> int:
    return _closed_port()


def test_gunicorn_workers_warm_up_and_close_each_connection(tmp_path: Path) -> None:
    """Real gunicorn with the settings module, two workers, on an index on disk."""
    engine = TantivyBackend(tmp_path / "index")
    engine.upsert(cluster_document(c) for c in sample_clusters())
    engine.refresh()
    engine.close()
    port = _free_port()
    env = {**os.environ, "EFIRST_DATA_DIR": str(tmp_path), "EFIRST_SECRET_KEY": "test"}
    command = [sys.executable, "-m", "gunicorn", "-c", "python:search_app.gunicorn_conf"]
    command += ["-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "info"]
    process = subprocess.Popen(
        [*command, "search_app:create_app()"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                connection.request("GET", "/search?q=climate&lang=en")
                response = connection.getresponse()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        body = response.read().decode()
        assert response.status == 200 and "/record/c-open" in body
        assert response.getheader("Connection") == "close"
        for word in SEARCHES:  # counted, buffered by whichever worker answers
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", f"/search?q={word}", headers={"User-Agent": "Mozilla/5.0"})
            assert connection.getresponse().status == 200
    finally:
        process.terminate()  # a clean shutdown: the workers write what they buffer
        _, errors = process.communicate(timeout=30)
    assert errors.count("warmed up in") == 2, errors
    assert "Traceback" not in errors
    usage = UsageStore(tmp_path / "usage.sqlite3")
    searches = [row for row in usage.events("2000-01", "2999-12") if row["kind"] == "search"]
    assert len(searches) == len(SEARCHES)  # the first request had no user agent: a robot
