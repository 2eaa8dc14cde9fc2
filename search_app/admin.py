"""Member administration: a library administrator's pages (blueprint ``admin``, ``/admin``).

========================================================  =====================================
``GET /admin/``                                            the acting library's settings
``GET /admin/lib/<code>/settings``                         every settings form + previews
``POST /admin/lib/<code>/settings/<section>``              ``institution``, ``resolver``,
                                                           ``network`` or ``policy``
``POST /admin/lib/<code>/logo[/remove]``                   upload (or drop) the logo
``POST /admin/lib/<code>/resolver-image[/remove]``         the link-resolver link image
``GET /admin/lib/<code>/resolver/preview``                 JSON: the OpenURL link for a sample
``/admin/lib/<code>/holdings...``                          uploads and downloads
                                                           (:mod:`search_app.admin_holdings`)
========================================================  =====================================

A library administrator manages its own libraries; a consortium administrator any member
(switching with the staff pages' "Acting for"). Every form carries a CSRF token
(checked before any view runs). Each change goes through
:func:`router.members_write.update_member` (validated, atomic, the other members kept),
is audited (``member.<section>`` with the old and new values) and is reloaded at once in
this process; other processes see the new file within a second (``MembersFile``).
The bundled sample consortium is never written: point ``EFIRST_MEMBERS_FILE`` (or
``$EFIRST_DATA_DIR/members.toml``, which ``efirst demo`` creates) at a file of your own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from mappings.schema import FORMATS, Library
from resolver.outbound import link_label, openurl_for_record
from router import api as router_api
from router.members import DELIVERY_METHODS, SAMPLE_MEMBERS, MembersFileError, default_members_path
from router.members_write import member_entry, update_member
from search_app import admin_forms, admin_holdings, admin_images, auth
from search_app.services import members, services
from search_app.staff_frame import staff_blueprint

__all__ = ["SAMPLE_RECORD", "bp", "init_app", "members_path"]

bp = Blueprint("admin", __name__, url_prefix="/admin")
staff_blueprint(bp, cache_control=False)  # downloads may be cached: see _no_store

SECTIONS = {
    "institution": admin_forms.parse_institution,
    "resolver": admin_forms.parse_resolver,
    "network": admin_forms.parse_network,
    "policy": admin_forms.parse_policy,
}
#: the record the link-resolver preview links to
SAMPLE_RECORD: dict[str, Any] = {
    "id": "sample",
    "title": "The structure of scientific revolutions",
    "format": "book",
    "authors": ["Kuhn, Thomas S."],
    "year": 1962,
    "publisher": "University of Chicago Press",
    "isbn": ["9780226458083"],
}


def init_app(app: Flask) -> None:
    """Register the admin pages and the public image route (``/media/logos/...``)."""
    app.register_blueprint(bp)
    app.register_blueprint(admin_images.bp)


@bp.after_request
def _no_store(response: Response) -> Response:
    if not request.path.endswith((".csv", ".mrc", ".txt", ".tsv")):
        response.headers["Cache-Control"] = "no-store"
    return response


def members_path() -> Path:
    """The members file this app reads (and the admin pages write)."""
    config = current_app.config
    configured = config.get("EFIRST_MEMBERS_FILE")
    path = Path(configured or default_members_path({"EFIRST_DATA_DIR": config["EFIRST_DATA_DIR"]}))
    if path.resolve() == SAMPLE_MEMBERS.resolve():
        abort(
            409,
            _(
                "the bundled sample members file is in use and is never changed; copy it to "
                "the data directory (members.toml) or set EFIRST_MEMBERS_FILE"
            ),
        )
    return path


def _library(code: str) -> Library:
    library = members().get(code)
    if library is None:
        abort(404, _("no such member library"))
    return library


def _reload() -> None:
    """This process sees the new file now (the others within a second)."""
    services().directory.reload()
    router = current_app.extensions.get(router_api.EXTENSION)
    if router is not None:
        router.members_file.reload(force=True)


def _audit(code: str, action: str, before: dict[str, Any], after: dict[str, Any]) -> None:
    account = auth.current_user()
    keys = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    details = {k: {"old": before.get(k), "new": after.get(k)} for k in keys}
    auth.get_store().audit(
        account.username if account else "?",
        action,
        target=code,
        library=code,
        details=details,
        address=auth.client_address(),
    )


def _flat(entry: dict[str, Any]) -> dict[str, Any]:
    """A member table with its policy keys as ``policy.<key>`` (for audit diffs)."""
    flat = {k: v for k, v in entry.items() if k != "policy"}
    flat.update({f"policy.{k}": v for k, v in entry.get("policy", {}).items()})
    return flat


def apply_change(
    code: str, action: str, changes: dict[str, Any], policy: dict[str, Any] | None = None
) -> Library:
    """Write, audit and reload one change of member ``code``."""
    path = members_path()
    before = _flat(member_entry(path, code))
    library = update_member(path, code, changes, policy)
    _audit(code, action, before, _flat(member_entry(path, code)))
    _reload()
    return library


def preview(library: Library) -> dict[str, str]:
    """The outbound link of ``library`` for :data:`SAMPLE_RECORD`."""
    text, image = link_label(library)
    return {"url": openurl_for_record(SAMPLE_RECORD, library), "text": text, "image": image}


def _page(code: str, status: int = 200, **extra: Any) -> tuple[str, int]:
    library = _library(code)
    path = members_path()
    page = render_template(
        "admin/settings.html",
        code=code,
        lib=library,
        raw=member_entry(path, code),
        formats=FORMATS,
        delivery_methods=DELIVERY_METHODS,
        preview=preview(library),
        max_kb=admin_images.MAX_IMAGE_BYTES // 1024,
        errors=extra.pop("errors", {}),
        form=extra.pop("form", None),
        section=extra.pop("section", ""),
        **extra,
    )
    return page, status


@bp.get("/")
def index() -> Response:
    account = auth.current_user()
    if account is None:
        return redirect(url_for("staff.login", next=request.path))
    chosen = session.get("staff_lib")
    if not auth.may(account, "library_admin", chosen):
        chosen = next(
            (c for c in auth.allowed_libraries(account) if auth.may(account, "library_admin", c)),
            None,
        )
    if chosen is None:
        abort(403, _("only library administrators manage member settings"))
    return redirect(url_for("admin.settings", code=chosen))


@bp.get("/lib/<code>/settings")
@auth.require("library_admin")
def settings(code: str) -> tuple[str, int]:
    session["staff_lib"] = code
    return _page(code)


@bp.post("/lib/<code>/settings/<section>")
@auth.require("library_admin")
def save_settings(code: str, section: str) -> Any:
    parse = SECTIONS.get(section)
    if parse is None:
        abort(404, _("no such settings section"))
    _library(code)
    try:
        changes, policy = parse(request.form)
        apply_change(code, f"member.{section}", changes, policy)
    except admin_forms.FormErrors as exc:
        return _page(code, 422, errors=exc.errors, form=request.form, section=section)
    except MembersFileError as exc:
        errors = {"members_file": "; ".join(exc.problems)}
        return _page(code, 422, errors=errors, form=request.form, section=section)
    flash(_("Saved."), "success")
    return redirect(url_for("admin.settings", code=code, _anchor=section))


def _upload(code: str, kind: str, field: str, attribute: str) -> Any:
    _library(code)
    upload = request.files.get(field)
    data = upload.read(admin_images.MAX_IMAGE_BYTES + 1) if upload else b""
    try:
        name = admin_images.store_image(data, kind, code)
        apply_change(code, f"member.{attribute}", {attribute: admin_images.public_path(name)})
    except admin_images.ImageError as exc:
        return _page(code, 422, errors={field: str(exc)}, section="images")
    except MembersFileError as exc:
        return _page(code, 422, errors={field: "; ".join(exc.problems)}, section="images")
    flash(_("Image saved."), "success")
    return redirect(url_for("admin.settings", code=code, _anchor="images"))


@bp.post("/lib/<code>/logo")
@auth.require("library_admin")
def upload_logo(code: str) -> Any:
    return _upload(code, "logo", "logo", "logo")


@bp.post("/lib/<code>/resolver-image")
@auth.require("library_admin")
def upload_resolver_image(code: str) -> Any:
    return _upload(code, "resolver", "resolver_link_image", "resolver_link_image")


@bp.post("/lib/<code>/<any(logo, 'resolver-image'):what>/remove")
@auth.require("library_admin")
def remove_image(code: str, what: str) -> Response:
    _library(code)
    attribute = "logo" if what == "logo" else "resolver_link_image"
    apply_change(code, f"member.{attribute}", {attribute: None})
    flash(_("Image removed."), "success")
    return redirect(url_for("admin.settings", code=code, _anchor="images"))


@bp.get("/lib/<code>/resolver/preview")
@auth.require("library_admin")
def resolver_preview(code: str) -> Response:
    """The link for unsaved values (``base_url``, ``link_text``): the page's live preview."""
    library = _library(code)
    base = request.args.get("base_url", library.resolver_base_url).strip()
    text = request.args.get("link_text", library.resolver_link_text).strip()
    errors: dict[str, str] = {}
    try:
        admin_forms.parse_resolver(MultiDict({"resolver_base_url": base}))
    except admin_forms.FormErrors as exc:
        errors = exc.errors
    probe = Library(
        code=library.code,
        name_zh=library.name_zh,
        name_en=library.name_en,
        resolver_base_url="" if errors else base,
        resolver_link_text=text,
        resolver_link_image=library.resolver_link_image,
    )
    return jsonify({**preview(probe), "errors": errors})


admin_holdings.init_views(bp)
