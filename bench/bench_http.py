"""HTTP search throughput and latency of the portal under gunicorn (issue 4).

``python -m bench.bench_http --records 200000 [--clients 16] [--duration 20]`` builds (once,
cached under ``bench/out/``, shared with :mod:`bench.bench_search`) a tantivy index of the
synthetic corpus, starts gunicorn on 127.0.0.1 with that index, configured as in
production (``gunicorn -c python:search_app.gunicorn_conf 'search_app:create_app()'``:
gthread workers, one per CPU, 4 threads each, no keep-alive, each worker warmed up before
it accepts connections), and drives it from ``--clients`` concurrent clients (threads)
for ``--duration`` seconds per target, over the query set of :mod:`bench.bench_search`:

* ``html``: ``GET /search?q=...`` (the patron page: facets, availability lines, online
  count), and
* ``api``: ``GET /api/v1/search?q=...`` (JSON with facets).

Clients send a browser's user agent, so each search is counted in the usage statistics
as a patron's is (a client without one is a robot and is not counted). The server is
ready when it answers ``/api/v1/openapi.json`` (no search: the caches stay empty).

With ``--cold``, each target first gets every distinct query once, split over the
clients (all cache misses, reported as ``<target>_cold``; 373 of the 400 queries are
distinct), before the steady-state run.

Runs are bounded (duration and ``--max-requests``) and loopback-only. The clients share
the 2 cores with gunicorn, so the numbers are a lower bound. Goal on this machine: at
least 300 searches/s and p95 <= 100 ms with 16 clients, HTML and JSON alike. Results are
printed and written to ``bench/out/http-<records>-<seed>.json``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.bench_search import build_index, query_set
from bench.common import OUT, machine, percentile
from indexer.backends import SearchQuery
from search_app import gunicorn_conf

__all__ = ["main"]

TARGETS = {"html": "/search", "api": "/api/v1/search"}
#: A browser's user agent: the app counts the searches of people (usage statistics), not
#: those of robots, and a client without a user agent counts as a robot.
HEADERS = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) efirst-bench/1"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _params(query: SearchQuery) -> str:
    args: dict[str, Any] = {}
    if query.text:
        args["q"] = query.text
    args.update(query.fields)
    for name, values in query.filters.items():
        public = {"subject_facet": "subject", "online": "access"}.get(name, name)
        args[f"f.{public}"] = values
    return urlencode(args, doseq=True)


def _start_gunicorn(data_dir: Path, port: int, workers: int, threads: int) -> subprocess.Popen:
    env = {**os.environ, "EFIRST_DATA_DIR": str(data_dir), "EFIRST_SECRET_KEY": "bench"}
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        "python:search_app.gunicorn_conf",
        "-w",
        str(workers),
        "--threads",
        str(threads),
        "-b",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "search_app:create_app()",
    ]
    process = subprocess.Popen(command, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/api/v1/openapi.json")  # no search: caches stay empty
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise RuntimeError("gunicorn did not answer within 60 s")


def _client(
    port: int,
    urls: list[str],
    offset: int,
    stop: float,
    limit: int,
    out: list[float],
    errors: list[str],
) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    n = offset
    once = limit == 0  # one pass over ``urls`` (the cold run)
    while time.monotonic() < stop and (len(out) < limit or once):
        if once and n >= len(urls):
            break
        url = urls[n % len(urls)]
        n += 1
        started = time.perf_counter()
        try:
            connection.request("GET", url, headers=HEADERS)
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as exc:
            errors.append(f"{url}: {exc}")
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            continue
        if response.status != 200:
            errors.append(f"{url}: HTTP {response.status}")
        out.append(time.perf_counter() - started)


def run_target(
    port: int, urls: list[str], clients: int, duration: float, max_requests: int
) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[str] = []
    stop = time.monotonic() + duration
    started = time.perf_counter()
    threads = [
        threading.Thread(
            target=_client, args=(port, urls, i * 37, stop, max_requests, latencies, errors)
        )
        for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return _summary(latencies, errors, time.perf_counter() - started)


def run_cold(port: int, urls: list[str], clients: int) -> dict[str, Any]:
    """Every distinct URL exactly once, split over the clients: all cache misses (the
    first pass; the query set repeats some queries, and a repeat would be a hit)."""
    urls = list(dict.fromkeys(urls))
    latencies: list[float] = []
    errors: list[str] = []
    started = time.perf_counter()
    stop = time.monotonic() + 600
    threads = [
        threading.Thread(
            target=_client, args=(port, urls[i::clients], 0, stop, 0, latencies, errors)
        )
        for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return _summary(latencies, errors, time.perf_counter() - started)


def _summary(latencies: list[float], errors: list[str], elapsed: float) -> dict[str, Any]:
    ms = [v * 1000 for v in latencies] or [0.0]
    return {
        "requests": len(latencies),
        "errors": len(errors),
        "first_errors": errors[:3],
        "seconds": round(elapsed, 2),
        "per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(ms, 50), 1),
        "p95_ms": round(percentile(ms, 95), 1),
        "p99_ms": round(percentile(ms, 99), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_http",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per target")
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=gunicorn_conf.workers)
    parser.add_argument("--threads", type=int, default=gunicorn_conf.threads)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument(
        "--cold",
        action="store_true",
        help="first send every query once per target (all cache misses, reported as "
        "<target>_cold), then measure the steady state",
    )
    args = parser.parse_args(argv)
    index = OUT / f"index-{args.records}-{args.seed}"
    facts = build_index(index, args.records, args.seed)
    data_dir = OUT / f"http-data-{args.records}-{args.seed}"
    data_dir.mkdir(parents=True, exist_ok=True)
    link = data_dir / "index"
    if not link.exists():
        link.symlink_to(index.resolve(), target_is_directory=True)
    queries = [_params(q) for _, q in query_set(args.seed, args.queries)]
    port = _free_port()
    server = _start_gunicorn(data_dir, port, args.workers, args.threads)
    try:
        result: dict[str, Any] = {
            "machine": machine(),
            "index": facts,
            "clients": args.clients,
            "workers": args.workers,
            "threads": args.threads,
        }
        for name, path in TARGETS.items():
            urls = [f"{path}?{q}" for q in queries]
            if args.cold:
                result[f"{name}_cold"] = run_cold(port, urls, args.clients)
            result[name] = run_target(port, urls, args.clients, args.duration, args.max_requests)
    finally:
        server.terminate()
        server.wait(timeout=30)
    out = OUT / f"http-{args.records}-{args.seed}.json"
    out.write_text(json.dumps(result, indent=2))
    print("| target | requests | errors | req/s | p50 ms | p95 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name in [n for t in TARGETS for n in (f"{t}_cold", t) if n in result]:
        row = result[name]
        print(
            f"| {name} | {row['requests']} | {row['errors']} | {row['per_second']} | "
            f"{row['p50_ms']} | {row['p95_ms']} | {row['p99_ms']} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
