"""gunicorn settings for the web app, used by the Docker image and the HTTP benchmark:

    gunicorn -c python:search_app.gunicorn_conf -b 0.0.0.0:8000 'search_app:create_app()'

Command-line options override these (``--workers 8``), as does ``GUNICORN_CMD_ARGS``.

- **Workers and threads.** A search is CPU work (the engine, then the page), so one
  worker process per CPU this process may run on (``WEB_CONCURRENCY`` overrides), each
  with 4 threads: a request waiting on the engine (tantivy and Elasticsearch calls
  release the GIL) lets another one render. More processes than CPUs only add
  switching and memory (measured on 2 CPUs: 4 workers cost 15-30 % more CPU a search
  than 2).
- **No keep-alive** (``keepalive = 0``: each response closes its connection). With
  kept-alive connections, every request of a client goes to the worker that accepted
  its connection, and one worker usually accepts most of them (the kernel wakes the
  busiest waiter first): measured with 16 clients on 2 workers, one worker did 95 % of
  the work while the other idled, halving throughput. A new connection per request
  lets whichever worker is free take it. Put a reverse proxy in front (TLS, client
  keep-alive, static files); nginx talks to its upstreams one connection per request
  by default.
- **Usage events written on exit**: a worker that stops (restart, shutdown) writes the
  usage events it still buffers (:func:`search_app.usage.close_store`).
- **Warm-up** before a worker accepts connections (:func:`search_app.warmup.warm_up`):
  templates compiled, catalogs and locale data loaded, the index's columns read, so
  the first patrons after a (re)start do not pay for it.
"""

from __future__ import annotations

import logging
import os
from typing import Any

__all__ = ["keepalive", "post_worker_init", "threads", "worker_class", "worker_exit", "workers"]

log = logging.getLogger("gunicorn.error")


def _cpus() -> int:
    """CPUs this process may run on (a container's cpuset), else the machine's."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY") or 0) or _cpus()
threads = 4
keepalive = 0


def post_worker_init(worker: Any) -> None:
    """Warm the worker's app before it accepts its first connection."""
    from search_app.warmup import warm_up

    seconds = warm_up(worker.wsgi)
    log.info("worker %s warmed up in %.0f ms", worker.pid, seconds * 1000)


def worker_exit(server: Any, worker: Any) -> None:
    """Write the usage events the worker still buffers."""
    from search_app.usage import close_store

    app = getattr(worker, "wsgi", None)  # None when the app failed to load
    if app is not None:
        close_store(app)
