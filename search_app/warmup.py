"""Warm a freshly started worker before it serves anyone.

The first requests a process answers pay for work done once per process: Jinja compiles
each template (~60 ms for the results page and its frame), Flask-Babel loads the
catalogs, Babel the locale data (language names, number symbols), tantivy maps the
columns of every facet field and the document store, and the "did you mean" helper
samples its vocabulary. Measured under gunicorn, that made a new worker's first few
hundred searches cost ~1.3x the CPU of later ones.

:func:`warm_up` does all of it at once, before the worker accepts connections (the
gunicorn ``post_worker_init`` hook in :mod:`search_app.gunicorn_conf`): it renders the
home page and two results pages (one that finds records, one that finds nothing) in each
language through the app itself, as a robot (no usage event), then empties the
hot-query and page caches, so the first patron query is still computed, never served
from the warm-up. It never stops a worker from starting: an engine that cannot be reached
gives 503 pages here as it would for a patron, and anything else is logged.
"""

from __future__ import annotations

import logging
import time

from flask import Flask

from search_app.i18n import LOCALES
from search_app.services import EXTENSION

__all__ = ["WARM_UP_PATHS", "warm_up"]

log = logging.getLogger(__name__)

#: What a worker renders before it serves patrons, in each language: the home page, a
#: results page of every record with a year (all facet columns read, hits, pager,
#: availability lines) and a query that finds nothing (the "did you mean" vocabulary).
WARM_UP_PATHS = ("/", "/search?year_from=-3000", "/search?q=efirstwarmupxq")


def warm_up(app: Flask) -> float:
    """Render :data:`WARM_UP_PATHS` in every language, then empty the result caches.

    Returns the seconds it took. Requests go through the test client with an empty
    user agent (a robot to usage capture: nothing is counted).
    """
    started = time.perf_counter()
    client = app.test_client()
    try:
        for locale in LOCALES:
            for path in WARM_UP_PATHS:
                mark = "&" if "?" in path else "?"
                response = client.get(f"{path}{mark}lang={locale}", headers={"User-Agent": ""})
                if response.status_code >= 500:
                    log.warning("warm-up: %s answered %s", path, response.status_code)
                response.close()
    except Exception:  # a worker that could not warm up still serves (cold)
        log.exception("warm-up of the web app failed")
    finally:
        services = app.extensions.get(EXTENSION)
        if services is not None:
            services.cache.clear()
            services.pages.clear()
    return time.perf_counter() - started
