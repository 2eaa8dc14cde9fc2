"""Which member library the patron belongs to.

In order: the library an embedded portal is scoped to (``?embed=CODE``), an explicit
``?lib=CODE`` (remembered in the session; ``?lib=`` forgets it), the session, then the
member whose IP ranges contain the client address. Unknown codes are ignored.
"""

from __future__ import annotations

from flask import g, request, session

from mappings.schema import Library
from search_app.services import members

__all__ = ["current_library", "embed_library", "library_code", "resolve_library"]

SESSION_KEY = "lib"


def embed_library() -> Library | None:
    """The member an embedded (iframe) portal page is scoped to, if any."""
    code = request.args.get("embed", "")
    return members().get(code) if code else None


def resolve_library() -> Library | None:
    """Work out the patron's library for this request and remember an explicit choice."""
    directory = members()
    embedded = embed_library()
    if embedded is not None:
        return embedded
    if "lib" in request.args:
        chosen = directory.get(request.args.get("lib", "").strip())
        if chosen is not None:
            session[SESSION_KEY] = chosen.code
            return chosen
        session.pop(SESSION_KEY, None)
    remembered = directory.get(session.get(SESSION_KEY))
    if remembered is not None:
        return remembered
    return directory.for_ip(request.remote_addr)


def current_library() -> Library | None:
    """The patron's library, resolved once per request."""
    if "efirst_library" not in g:
        g.efirst_library = resolve_library()
    return g.efirst_library


def library_code() -> str:
    library = current_library()
    return library.code if library is not None else ""
