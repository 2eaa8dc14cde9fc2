"""The patron portal (HTML): search with facets, advanced search, record page, exports."""

from __future__ import annotations

import math

from flask import Blueprint, Response, abort, current_app, g, render_template, request
from markupsafe import Markup

from indexer.backends import SearchQuery, SearchResults
from mappings.errors import BackendError
from search_app.availability import availability
from search_app.exports import EXPORTS
from search_app.getit import get_it
from search_app.i18n import select_locale
from search_app.links import coins, outbound_openurl
from search_app.patron import current_library, library_code
from search_app.query import ADVANCED_FIELDS, FACET_PARAMS, SearchForm
from search_app.results_page import facet_views, hit_views
from search_app.services import cached_page, cached_search, members
from search_app.suggest import suggest
from search_app.urls import record_url_for, search_url
from search_app.views import ResultItem, count_online, fetch_record, parse_form

__all__ = ["bp"]

bp = Blueprint("portal", __name__)
ONLINE_FOR = "online_for"
_FACET_SIZE = SearchQuery().facet_size  # the most values a facet lists


@bp.get("/")
@bp.get("/search")
def search() -> str:
    """The one search box, results with E-first availability, facets and paging."""
    form = parse_form()
    library = current_library()
    code = library.code if library else ""
    context = {"form": form, "library": library}
    if form.is_empty:
        return render_template("portal/home.html", **context)
    main = cached_page(_page_key(code), lambda: _results_part(form, code))
    return render_template("portal/search.html", main=Markup(main), **context)


def _page_key(code: str) -> bytes:
    """What the results part depends on besides the index: the request's arguments, the
    patron's library, the language, the embedded scope and the members snapshot."""
    parts = (
        request.script_root,
        request.query_string.decode("latin-1"),
        code,
        select_locale(),
        g.get("embed_code", ""),
        g.get("embed_lang", ""),
        id(members()),
    )
    return repr(parts).encode("utf-8", "surrogatepass")


def _results_part(form: SearchForm, code: str) -> str:
    results, items = _search(form, code)
    help_ = suggest(form.q) if results.total == 0 and form.q else None
    pages = max(1, math.ceil(min(results.total, _max_results()) / form.per_page))
    return render_template(
        "portal/_results.html",
        form=form,
        results=results,
        pages=pages,
        online_now=online_now(form, code, results),
        suggestion=help_,
        search_url=search_url,
        hits=hit_views(items, form.q, record_url_for(form.q)),
        facets=facet_views(form, results.facets),
    )


def _search(form: SearchForm, code: str) -> tuple[SearchResults, list[ResultItem]]:
    """The search (through the hot-query cache), with the ``online_for`` counts that
    usually make the "online now" count query unnecessary (:func:`online_now`)."""
    try:
        results = cached_search(form.to_query(code, extra_facets=(ONLINE_FOR,)))
    except BackendError as exc:
        abort(503, str(exc))
    items = [ResultItem(hit.id, hit.doc, availability(hit.doc, code)) for hit in results.hits]
    return results, items


def online_now(form: SearchForm, code: str, results: SearchResults) -> int:
    """How many results the patron can open online now: from the facets when they say.

    The ``online_for`` filter keeps results whose ``online_for`` holds ``*`` (open, or
    licensed to the whole consortium) or the patron's library. Its facet counts give
    that number exactly when only one of the two values occurs (no result is counted
    twice) and both counts are known (in the top values, or the list is not cut); the
    ``online`` facet gives it when no result is "licensed" (then ``*`` means open).
    Otherwise it takes a count query. With the filter on, it is the total.
    """
    if form.online:
        return results.total
    size = _FACET_SIZE
    wanted = ["*", code] if code else ["*"]
    counts = results.facets.get(ONLINE_FOR)
    if counts is not None:
        found = dict(counts)
        known = len(counts) < size or all(value in found for value in wanted)
        present = [found.get(value, 0) for value in wanted]
        if known and sum(1 for n in present if n) <= 1:
            return sum(present)
    access = results.facets.get(FACET_PARAMS["access"])
    if access is not None and not any(value == "licensed" for value, _ in access):
        return sum(count for value, count in access if value == "open")
    return count_online(form, code)


def _max_results() -> int:
    return int(current_app.config["EFIRST_MAX_OFFSET"])


@bp.get("/advanced")
def advanced() -> str:
    form = parse_form()
    return render_template(
        "portal/advanced.html", form=form, fields=ADVANCED_FIELDS, library=current_library()
    )


@bp.get("/record/<record_id>")
def record(record_id: str) -> str:
    """One de-duplicated record: sources, holdings by library, e-links, exports, Get it."""
    payload = fetch_record(record_id)
    library = current_library()
    box = get_it(payload, library_code())
    return render_template(
        "portal/record.html",
        record=payload,
        availability=box.availability,
        get_it=box,
        library=library,
        coins=coins(payload),
        openurl=outbound_openurl(payload, library),
        exports=EXPORTS,
        q=request.args.get("q", "")[:500],
    )


@bp.get("/record/<record_id>/export/<fmt>")
def export(record_id: str, fmt: str) -> Response:
    if fmt not in EXPORTS:
        abort(404)
    payload = fetch_record(record_id)
    render, mime, ext = EXPORTS[fmt]
    safe_id = "".join(c for c in record_id if c.isalnum() or c in "-_")[:80] or "record"
    return Response(
        render(payload),
        mimetype=mime,
        headers={"Content-Disposition": f'attachment; filename="efirst-{safe_id}.{ext}"'},
    )
