"""Staff pages for usage reports and the ILL fee statement (blueprint ``usage_stats``).

===================================================  ====================================
``GET /staff/lib/<code>/usage``                      a library's COUNTER report + charts
``GET /staff/lib/<code>/usage.<csv|tsv|json>``       the same report, downloaded
``GET /staff/consortium/usage[.<csv|tsv|json>]``     every library together
``GET /staff/consortium/fees``                       the monthly fee statement
``GET /staff/consortium/fees.csv``, ``fees-detail.csv``, ``fees/print``  its downloads
===================================================  ====================================

Query arguments: ``report`` (``PR``, ``PR_P1``, ``TR``, ``TR_B1`` …; default ``PR``),
``from`` / ``to`` (``YYYY-MM``; default the last 12 months), ``month`` (fees; default
the previous month). A bad argument is a 400 naming it. Library pages need the ``ill``
permission for that library, consortium pages the ``consortium`` one
(:mod:`search_app.auth`); pages are never cached.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_babel import gettext as _

from mappings.errors import ConsortiumError
from router.api import get_router
from router.fees import FeeStatement, balances_csv, charges_csv, fee_statement
from search_app import auth
from search_app.counter import REPORTS, Report, build_report, parse_month
from search_app.counter_format import body_rows, report_json, report_table, table_columns
from search_app.error_text import localise_error
from search_app.services import get_backend, members
from search_app.staff_charts import bar_chart
from search_app.staff_frame import staff_blueprint
from search_app.templating import library_name
from search_app.usage import get_store

__all__ = ["bp"]

bp = staff_blueprint(Blueprint("usage_stats", __name__, url_prefix="/staff"))

CHART_METRICS = (
    "Searches_Platform",
    "Total_Item_Investigations",
    "Total_Item_Requests",
    "No_License",
    "ILL_Requests",
)
DOWNLOADS = {"csv": "text/csv", "tsv": "text/tab-separated-values", "json": "application/json"}


def _months() -> tuple[str, str]:
    now = datetime.now(UTC)
    year, month = (now.year - 1, now.month + 1) if now.month < 12 else (now.year, 1)
    first = f"{year:04d}-{month:02d}"
    try:
        return (
            parse_month(request.args.get("from") or first, "from"),
            parse_month(request.args.get("to") or now.strftime("%Y-%m"), "to"),
        )
    except ValueError as exc:
        abort(400, localise_error(exc))


def _lookup(record: str) -> dict[str, Any] | None:
    try:
        return get_backend().get(record)
    except (ConsortiumError, OSError):
        return None


def _report(code: str | None, report_id: str | None = None) -> Report:
    first, last = _months()
    chosen = (report_id or request.args.get("report") or "PR").upper()
    group = get_router().members_file.consortium
    try:
        return build_report(
            chosen,
            get_store(),
            first=first,
            last=last,
            library=code,
            ledger=get_router().ledger,
            lookup=_lookup,
            institution_name=library_name(code) if code else (group.name_en or group.code),
            institution_id=f"{group.code}:{code}" if code else group.code,
        )
    except ValueError as exc:
        abort(400, localise_error(exc))


def _charts(code: str | None) -> list[Any]:
    platform = _report(code, "PR")
    by_metric = {row.metric: row.months for row in platform.rows}
    charts = []
    for metric in CHART_METRICS:
        months = by_metric.get(metric, dict.fromkeys(platform.months, 0))
        items = [(month, float(months.get(month, 0))) for month in platform.months]
        charts.append(bar_chart(items, title=metric.replace("_", " "), label_width=90))
    return charts


def _page(code: str | None, download_endpoint: str, args: dict[str, str]) -> str:
    built = _report(code)
    query = {"report": built.spec.id, "from": built.months[0], "to": built.months[-1]}
    downloads = {fmt: url_for(download_endpoint, fmt=fmt, **args, **query) for fmt in DOWNLOADS}
    return render_template(
        "usage/report.html",
        code=code,
        scope=library_name(code) if code else _("Consortium"),
        report=built,
        reports=REPORTS,
        columns=table_columns(built),
        rows=body_rows(built),
        charts=_charts(code),
        downloads=downloads,
    )


def _download(code: str | None, fmt: str) -> Response:
    if fmt not in DOWNLOADS:
        abort(404)
    built = _report(code)
    if fmt == "json":
        body = json.dumps(report_json(built), ensure_ascii=False, indent=2)
    else:
        body = report_table(built, "\t" if fmt == "tsv" else ",")
    name = f"{built.spec.id}_{code or 'consortium'}_{built.months[0]}_{built.months[-1]}.{fmt}"
    return Response(
        body,
        mimetype=DOWNLOADS[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/lib/<code>/usage")
@auth.require("ill")
def library_usage(code: str) -> str:
    """One library's COUNTER report, with monthly charts."""
    return _page(code, "usage_stats.library_usage_download", {"code": code})


@bp.get("/lib/<code>/usage.<fmt>")
@auth.require("ill")
def library_usage_download(code: str, fmt: str) -> Response:
    return _download(code, fmt)


@bp.get("/consortium/usage")
@auth.require("consortium")
def consortium_usage() -> str:
    """Every library's usage together."""
    return _page(None, "usage_stats.consortium_usage_download", {})


@bp.get("/consortium/usage.<fmt>")
@auth.require("consortium")
def consortium_usage_download(fmt: str) -> Response:
    return _download(None, fmt)


# -- the fee statement ---------------------------------------------------------------------


def _statement() -> FeeStatement:
    now = datetime.now(UTC)
    previous = f"{now.year - 1}-12" if now.month == 1 else f"{now.year}-{now.month - 1:02d}"
    try:
        month = parse_month(request.args.get("month") or previous, "month")
    except ValueError as exc:
        abort(400, localise_error(exc))
    router = get_router()
    policies = {code: lib.policy for code, lib in router.members_file.members.items()}
    return fee_statement(router.ledger, month, policies, router.members_file.consortium.currency)


def _names() -> dict[str, str]:
    return {code: library_name(code) for code in members().libraries}


@bp.get("/consortium/fees")
@auth.require("consortium")
def fees() -> str:
    """The monthly ILL fee statement: balances, bilateral netting, charges."""
    statement = _statement()
    return render_template("usage/fees.html", statement=statement, names=_names(), code=None)


@bp.get("/consortium/fees/print")
@auth.require("consortium")
def fees_print() -> str:
    """The statement alone, for printing."""
    group = get_router().members_file.consortium
    return render_template(
        "usage/fee_statement_print.html",
        statement=_statement(),
        names=_names(),
        consortium=group.name_en or group.code,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        css_url=url_for("static", filename="css/usage.css"),
        inline_css="",
    )


@bp.get("/consortium/fees.csv")
@auth.require("consortium")
def fees_csv() -> Response:
    statement = _statement()
    return _csv(balances_csv(statement, _names()), f"ill-fees-{statement.month}.csv")


@bp.get("/consortium/fees-detail.csv")
@auth.require("consortium")
def fees_detail_csv() -> Response:
    statement = _statement()
    return _csv(charges_csv(statement), f"ill-fees-{statement.month}-detail.csv")


def _csv(body: str, filename: str) -> Response:
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
