"""Holdings pages of the admin blueprint: uploads, their reports, and downloads.

==============================================  ==========================================
``GET /admin/lib/<code>/holdings``              upload forms, packages, recent uploads
``POST /admin/lib/<code>/holdings/upload``      a MARC file or a KBART package
``GET .../holdings/jobs/<id>``                  the report (records read/indexed/rejected)
``GET .../holdings/jobs/<id>/rejects.tsv``      every reject of that upload
``POST .../holdings/jobs/<id>/retry``           queue a failed upload again
``GET .../holdings.csv``                        holdings as CSV   (``isbn``, ``issn``,
``GET .../records.mrc``                         MARC 21 records    ``package`` filters)
``GET .../kbart.txt``                           KBART list
==============================================  ==========================================

Uploads are stored and queued first (:mod:`search_app.admin_jobs`); files up to
``EFIRST_ADMIN_INLINE_BYTES`` (default 2 MB) are then processed in the request, bigger
ones by ``efirst admin process-uploads`` (cron). Every upload is audited
(``holdings.upload``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _

from indexer.backends import SearchBackend, open_backend
from indexer.eholdings import EHoldingStore
from search_app import admin_exports, admin_process, auth
from search_app.admin_jobs import Job, JobStore
from search_app.error_text import localise_error
from search_app.services import get_backend, members, services

__all__ = ["init_views", "job_store", "processing_backend"]

EXTENSION = "efirst_upload_jobs"


def job_store() -> JobStore:
    """The app's upload job store (``data_dir/uploads``)."""
    store = current_app.extensions.get(EXTENSION)
    if store is None:
        directory = Path(current_app.config["EFIRST_DATA_DIR"]) / "uploads"
        store = current_app.extensions.setdefault(EXTENSION, JobStore(directory))
    return store


def processing_backend() -> tuple[SearchBackend, bool]:
    """``(backend, close_after)``: the app's own when one was given (tests), else a fresh
    handle (a tantivy writer must not stay open in a web worker)."""
    if current_app.config.get("EFIRST_BACKEND") is not None:
        return get_backend(), False
    return open_backend(services().settings), True


def _eholdings() -> EHoldingStore:
    return EHoldingStore(services().settings.catalog_db)


def _job(code: str, job_id: int) -> Job:
    job = job_store().get(job_id)
    if job is None or job.library != code:
        abort(404, _("no such upload for this library"))
    return job


def _page(code: str, status: int = 200, **extra: Any) -> tuple[str, int]:
    if members().get(code) is None:
        abort(404, _("no such member library"))
    store = _eholdings()
    try:
        packages = store.packages(code)
    finally:
        store.close()
    page = render_template(
        "admin/holdings.html",
        code=code,
        jobs=job_store().jobs(code),
        packages=packages,
        errors=extra.pop("errors", {}),
        form=extra.pop("form", {}),
        inline_mb=_inline_bytes() / 1024 / 1024,
        **extra,
    )
    return page, status


def _inline_bytes() -> int:
    return int(current_app.config["EFIRST_ADMIN_INLINE_BYTES"])


def holdings(code: str) -> tuple[str, int]:
    return _page(code)


def _upload_errors(kind: str, package: str, has_file: bool) -> dict[str, str]:
    errors: dict[str, str] = {}
    if kind not in admin_process.KINDS:
        errors["kind"] = _("choose MARC or KBART")
    if not has_file:
        errors["file"] = _("choose a file to upload")
    if kind == "kbart" and package:
        problem = admin_process.check_package(package)
        if problem:
            errors["package"] = localise_error(problem)
    return errors


def upload(code: str) -> Any:
    """Store the upload as a job, check it, and process it now when it is small."""
    if members().get(code) is None:
        abort(404, _("no such member library"))
    kind = request.form.get("kind", "")
    package = request.form.get("package", "").strip()
    file = request.files.get("file")
    form = {"kind": kind, "package": package}
    errors = _upload_errors(kind, package, bool(file and file.filename))
    if kind == "kbart" and not package and file and file.filename:
        package = Path(file.filename).stem[:100]
        problem = admin_process.check_package(package)
        if problem:
            errors["package"] = _("name the package (%(problem)s)", problem=localise_error(problem))
    if errors or file is None:
        return _page(code, 422, errors=errors, form=form)
    account = auth.current_user()
    job = job_store().add(
        code, kind, file.filename or "upload", file.stream, package=package,
        replace_all=request.form.get("replace_all") == "on",
        actor=account.username if account else "",
    )  # fmt: skip
    problem = admin_process.check_upload(kind, Path(job.path))
    if problem:
        job_store().claim(job.id)
        job_store().finish(job.id, error=problem)
    auth.get_store().audit(
        account.username if account else "?", "holdings.upload", target=f"job {job.id}",
        library=code, details={"kind": kind, "package": package, "file": job.filename,
                               "size": job.size, "problem": problem or ""},
        address=auth.client_address(),
    )  # fmt: skip
    if problem:
        return _page(code, 422, errors={"file": problem}, form=form)
    if job.size <= _inline_bytes():
        backend, close = processing_backend()
        try:
            admin_process.process_job(job.id, job_store(), services().settings, backend)
        finally:
            if close:
                backend.close()
    else:
        flash(_("The file is queued; it will be indexed by the next processing run."), "info")
    return redirect(url_for("admin.upload_report", code=code, job_id=job.id))


def upload_report(code: str, job_id: int) -> str:
    return render_template("admin/report.html", code=code, job=_job(code, job_id))


def upload_rejects(code: str, job_id: int) -> Response:
    job = _job(code, job_id)
    if not job.rejects_path or not Path(job.rejects_path).exists():
        abort(404, _("this upload has no rejects"))
    return send_file(
        job.rejects_path,
        mimetype="text/tab-separated-values",
        as_attachment=True,
        download_name=f"{code}-upload-{job.id}-rejects.tsv",
    )


def retry(code: str, job_id: int) -> Response:
    job = _job(code, job_id)
    if job.state != "failed" or not job_store().requeue(job.id):
        abort(409, _("only a failed upload can be queued again"))
    flash(_("The upload is queued again."), "info")
    return redirect(url_for("admin.upload_report", code=code, job_id=job.id))


def _filters() -> dict[str, str]:
    return {k: request.args.get(k, "").strip()[:100] for k in ("isbn", "issn", "package")}


def _download(body: Iterator[Any], mimetype: str, name: str) -> Response:
    response = Response(stream_with_context(body), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def holdings_csv(code: str) -> Response:
    filters = _filters()
    payloads = admin_exports.library_payloads(get_backend(), code, **filters)
    rows = admin_exports.holding_rows(payloads, code, filters["package"])
    body = admin_exports.csv_lines(rows, admin_exports.CSV_COLUMNS)
    return _download(body, "text/csv; charset=utf-8", f"{code}-holdings.csv")


def records_marc(code: str) -> Response:
    filters = _filters()
    payloads = admin_exports.library_payloads(get_backend(), code, **filters)
    body = (admin_exports.marc_record(p, code).as_marc() for p in payloads)
    return _download(body, "application/marc", f"{code}-records.mrc")


def kbart(code: str) -> Response:
    filters = _filters()

    def lines() -> Iterator[str]:
        store = _eholdings()
        try:
            yield from admin_exports.kbart_lines(store, code, **filters)
        finally:
            store.close()

    name = f"{code}_{filters['package'] or 'all'}_kbart.txt".replace(" ", "_")
    return _download(lines(), "text/tab-separated-values; charset=utf-8", name)


def init_views(bp: Blueprint) -> None:
    """Add the holdings views to the admin blueprint (each needs ``library_admin``)."""
    need = auth.require("library_admin")
    routes = (
        ("/lib/<code>/holdings", "holdings", holdings, ["GET"]),
        ("/lib/<code>/holdings/upload", "upload", upload, ["POST"]),
        ("/lib/<code>/holdings/jobs/<int:job_id>", "upload_report", upload_report, ["GET"]),
        ("/lib/<code>/holdings/jobs/<int:job_id>/rejects.tsv", "upload_rejects",
         upload_rejects, ["GET"]),
        ("/lib/<code>/holdings/jobs/<int:job_id>/retry", "retry_upload", retry, ["POST"]),
        ("/lib/<code>/holdings.csv", "holdings_csv", holdings_csv, ["GET"]),
        ("/lib/<code>/records.mrc", "records_marc", records_marc, ["GET"]),
        ("/lib/<code>/kbart.txt", "kbart", kbart, ["GET"]),
    )  # fmt: skip
    for rule, endpoint, view, methods in routes:
        bp.add_url_rule(rule, endpoint, need(view), methods=methods)
