"""The portal and the API when Elasticsearch is down or the URL is not Elasticsearch.

No node is needed: ``EFIRST_SEARCH_URL`` names a closed loopback port (nothing
listens: the node is "stopped"), or a real HTTP server that is not Elasticsearch (a
mistyped URL pointing at some other service). Either way every search page answers
503 with the "search service is unavailable" page and the API its error envelope,
never a 500 or a traceback; the cached results page is not used meanwhile.
"""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator

import pytest

from search_app import create_app


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the socket is


class _NotElasticsearch(http.server.BaseHTTPRequestHandler):
    """Answers every request 200 with a JSON body, without Elasticsearch's header."""

    def _answer(self) -> None:
        body = b'{"status": "ok"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _answer

    def log_message(self, *args: object) -> None:  # keep the test output clean
        pass


@pytest.fixture(scope="module")
def other_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotElasticsearch)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture(params=["stopped", "not-elasticsearch"])
def outage(request, other_server) -> tuple[str, str]:
    """(URL, the words the error message must contain)."""
    if request.param == "stopped":
        return f"http://127.0.0.1:{_closed_port()}", "cannot be reached"
    return other_server, "is not Elasticsearch"


@pytest.fixture
def client(outage, tmp_path):
    url, _ = outage
    app = create_app({"EFIRST_DATA_DIR": str(tmp_path), "EFIRST_SEARCH_URL": url, "TESTING": False})
    app.config["PROPAGATE_EXCEPTIONS"] = False  # what gunicorn's workers see
    return app.test_client()


@pytest.mark.parametrize("path", ["/search?q=china&lang=en", "/?q=history&lang=en"])
def test_search_pages_answer_503_not_500(client, outage, path):
    for _ in range(2):  # the second time must not come from a page cache either
        page = client.get(path)
        html = page.get_data(as_text=True)
        assert page.status_code == 503, html[:500]
        assert "search service is unavailable" in html
        assert "Traceback" not in html and "Internal Server Error" not in html


def test_the_api_answers_503_with_its_envelope(client, outage):
    _, words = outage
    answer = client.get("/api/v1/search?q=china")
    assert answer.status_code == 503
    error = answer.get_json()["error"]
    assert error["status"] == 503 and error["code"] == "unavailable"
    assert words in error["message"]
