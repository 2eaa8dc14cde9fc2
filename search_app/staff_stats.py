"""Statistics pages: fill rate, turnaround, requests by state, reasons for unfilled —
per library (its staff) and for the consortium (consortium administrators), with an SVG
chart and a CSV export. Numbers come from :mod:`router.ill_stats` (definitions there).

``?from=YYYY-MM-DD&to=YYYY-MM-DD`` limits the period (by request creation day). The CSV
is UTF-8 with a byte-order mark (so spreadsheet programs read Chinese names right), one
line per library (:data:`router.ill_stats.CSV_FIELDS`); the consortium file ends with a
``*`` line for the whole consortium.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _

from router.api import get_router
from router.ill_stats import CSV_FIELDS, LibraryStats, Period, collect, consortium, csv_row
from search_app import auth
from search_app.staff_charts import bar_chart
from search_app.templating import library_name

__all__ = ["init_views", "parse_period"]


def parse_period(args: Any) -> Period:
    """``from`` / ``to`` query arguments; a bad date is a 400 naming the argument."""
    bounds: dict[str, date | None] = {}
    for name in ("from", "to"):
        raw = (args.get(name) or "").strip()
        try:
            bounds[name] = date.fromisoformat(raw) if raw else None
        except ValueError:
            abort(
                400,
                _(
                    "%(name)s: must be a date YYYY-MM-DD, not %(value)s",
                    name=name,
                    value=repr(raw[:40]),
                ),
            )
    start, end = bounds["from"], bounds["to"]
    if start and end and start > end:
        abort(400, _("from: must not be after to"))
    return Period(start, end)


def _charts(stats: LibraryStats) -> list[Any]:
    states = sorted(stats.by_state.items(), key=lambda kv: (-kv[1], kv[0]))
    reasons = stats.unfilled_reasons.most_common(10)
    return [
        bar_chart([(s, float(n)) for s, n in states], title=_("Requests by state")),
        bar_chart([(r, float(n)) for r, n in reasons], title=_("Reasons for unfilled")),
    ]


def library_stats(code: str) -> str:
    period = parse_period(request.args)
    stats = collect(get_router().ledger, period).get(code, LibraryStats())
    return render_template(
        "staff/stats.html",
        code=code,
        scope=library_name(code),
        stats=stats,
        period=period,
        charts=_charts(stats),
        per_library=None,
        csv_url=("staff.library_stats_csv", {"code": code}),
    )


def consortium_stats() -> str:
    period = parse_period(request.args)
    per_library = collect(get_router().ledger, period)
    total = consortium(per_library)
    rates = [
        (library_name(c), round(100 * (s.fill_rate or 0.0), 1))
        for c, s in sorted(per_library.items())
        if s.fill_rate is not None
    ]
    charts = [
        *_charts(total),
        bar_chart(rates, title=_("Fill rate by library"), unit="%", maximum=100.0),
    ]
    return render_template(
        "staff/stats.html",
        code=None,
        scope=_("Consortium"),
        stats=total,
        period=period,
        charts=charts,
        per_library=sorted(per_library.items()),
        csv_url=("staff.consortium_stats_csv", {}),
    )


def _csv(rows: list[dict[str, Any]], filename: str) -> Response:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def library_stats_csv(code: str) -> Response:
    period = parse_period(request.args)
    stats = collect(get_router().ledger, period).get(code, LibraryStats())
    return _csv([csv_row(code, library_name(code), stats)], f"ill-stats-{code}.csv")


def consortium_stats_csv() -> Response:
    period = parse_period(request.args)
    per_library = collect(get_router().ledger, period)
    codes = sorted(set(auth.member_codes()) | set(per_library))
    rows = [csv_row(c, library_name(c), per_library.get(c, LibraryStats())) for c in codes]
    rows.append(csv_row("*", _("Consortium"), consortium(per_library)))
    return _csv(rows, "ill-stats-consortium.csv")


def init_views(bp: Blueprint) -> None:
    ill, whole = auth.require("ill"), auth.require("consortium")
    bp.add_url_rule("/lib/<code>/stats", "library_stats", ill(library_stats))
    bp.add_url_rule("/lib/<code>/stats.csv", "library_stats_csv", ill(library_stats_csv))
    bp.add_url_rule("/consortium/stats", "consortium_stats", whole(consortium_stats))
    bp.add_url_rule("/consortium/stats.csv", "consortium_stats_csv", whole(consortium_stats_csv))
