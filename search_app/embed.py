"""Embedding the portal in member sites.

* ``/embed/widget``: a page for librarians that generates the search-box snippet for
  their library: a plain HTML form (no script needed) that submits to the portal scoped
  to that library, or the iframe portal snippet, with an optional tiny script.
* The iframe portal is the ordinary portal with ``?embed=CODE``: it may be framed only by
  that member's ``embed_domains`` (CSP ``frame-ancestors``, see :mod:`search_app.security`),
  and every portal link keeps ``embed`` so navigation stays inside the frame.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, g, render_template, request, url_for

from search_app.i18n import LOCALES
from search_app.patron import embed_library
from search_app.query import clean_text
from search_app.security import csp_sources
from search_app.services import members

__all__ = ["bp", "init_app", "widget_snippets"]

bp = Blueprint("embed", __name__, url_prefix="/embed")


def _scope_embed() -> None:
    library = embed_library()
    g.embed_code = library.code if library else ""
    g.frame_ancestors = csp_sources(library.embed_domains) if library else []
    lang = request.args.get("lang", "")
    g.embed_lang = lang if library and lang in LOCALES else ""


def _keep_embed(endpoint: str, values: dict[str, Any]) -> None:
    """Inside the frame, portal links keep ``embed`` (and ``lang``: a framed page often
    gets no cookies, so the session cannot remember the language)."""
    code = g.get("embed_code")
    if code and endpoint.startswith("portal.") and "embed" not in values:
        values["embed"] = code
        if g.get("embed_lang") and "lang" not in values:
            values["lang"] = g.embed_lang


def portal_base() -> str:
    configured = current_app.config.get("EFIRST_PUBLIC_URL", "").rstrip("/")
    return configured or request.host_url.rstrip("/")


def widget_snippets(code: str, placeholder: str, button: str, lang: str) -> dict[str, str]:
    """The HTML a member pastes into its site: search form, iframe, script widget."""
    base = portal_base()
    action = base + url_for("portal.search")
    env = {
        "base": base,
        "action": action,
        "code": code,
        "placeholder": placeholder,
        "button": button,
        "lang": lang,
    }
    return {
        name: render_template(f"embed/snippet_{name}.html", **env).strip()
        for name in ("form", "iframe", "script")
    }


@bp.get("/widget")
def widget() -> str:
    """The snippet generator (a GET form: no state, shareable URLs)."""
    directory = members()
    library = directory.get(request.args.get("library", ""))
    placeholder = clean_text(request.args.get("placeholder", ""), 100)
    button = clean_text(request.args.get("button", ""), 40)
    lang = request.args.get("lang_ui", "")
    lang = lang if lang in LOCALES else ""
    snippets = widget_snippets(library.code, placeholder, button, lang) if library else {}
    return render_template(
        "embed/widget.html",
        libraries=sorted(directory.libraries.values(), key=lambda lib: lib.code),
        chosen=library,
        placeholder=placeholder,
        button=button,
        lang_ui=lang,
        snippets=snippets,
    )


def init_app(app: Flask) -> None:
    app.before_request(_scope_embed)
    app.url_defaults(_keep_embed)
    app.register_blueprint(bp)
