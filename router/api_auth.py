"""Who calls the router's HTTP API, and what they may do and see.

Two kinds of caller
-------------------
- **A machine client** sends ``Authorization: Bearer <API key>``
  (:mod:`router.api_keys`). The key acts for one library, or for every member when it
  was made for the consortium's own code. A malformed, unknown or revoked key is a 401
  (never silently anonymous).
- **A signed-in staff member** of the web app. The router does not import the app: the
  app registers a callable as ``app.extensions["efirst.request_actor"]``
  (:data:`REQUEST_ACTOR`) that returns the signed-in staff member as an
  :class:`~router.actors.Actor` (username, and the library codes the session may act
  for — a consortium administrator: every member), or None when no staff member is
  signed in (a plain iterable of library codes is still accepted: a nameless actor).
  Session callers must send JSON (``Content-Type: application/json``), which a
  cross-site page cannot do without a CORS pre-flight, and the session cookie is
  ``SameSite=Lax``: a staff session is not a CSRF door into the API.

Rules
-----
- ``POST /api/v1/requests/<id>/events`` needs a caller (else 401) acting for the library
  the event names (else 403); the ledger then checks that this library is the one the
  event belongs to (lender events from the current lender, borrower events from the
  borrower — 403 otherwise). A caller acting for exactly one library may leave
  ``library`` out.
- ``POST /api/v1/requests`` stays open (the portal's patrons are anonymous); the borrower
  must be a member, and an API key may only create requests for its own library.
- ``GET /api/v1/requests/<id>``: callers acting for the borrower or a library of the
  rota see everything. Everyone else gets :func:`public_view`: state, lender, decision,
  what was asked (record id, citation, needs) and the timeline's moves, but no free text
  (event reasons, rota notes, ISO 18626 notes, import details), no message ids, and
  no staff usernames or API key ids in the events' ``by`` (the kind of actor stays) —
  free text is where a name or an e-mail address could slip in. Patrons' contact
  details are never in the ledger at all (the portal keeps them apart).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import current_app, has_request_context, request

from mappings.errors import RoutingError
from router.actors import PRIVATE_KINDS, Actor
from router.service import Router

__all__ = [
    "REQUEST_ACTOR",
    "AuthError",
    "Caller",
    "current_caller",
    "may_see",
    "public_view",
    "require_caller",
    "session_actor",
]

#: ``app.extensions`` key of the app's hook: ``() -> Actor | iterable of codes | None``.
REQUEST_ACTOR = "efirst.request_actor"
_PUBLIC_REQUEST_KEYS = ("record_id", "citation", "needs")


class AuthError(RoutingError):
    """401 (no or bad credentials) or 403 (not allowed for this library)."""

    def __init__(self, message: str, *, status: int, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.field = field
        self.code = "unauthorized" if status == 401 else "forbidden"


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated caller: the libraries it acts for, and how it signed in."""

    libraries: frozenset[str]
    everyone: bool = False  # a consortium-wide key
    via: str = "api_key"  # api_key / session
    name: str = ""  # the key id, or the staff member's username

    @property
    def actor(self) -> Actor:
        """Who acts, as the ledger records it."""
        kind = "api_key" if self.via == "api_key" else "staff"
        return Actor(self.libraries, self.name, kind)

    def acts_for(self, library: str) -> bool:
        return self.everyone or library in self.libraries

    @property
    def only_library(self) -> str | None:
        """The one library this caller acts for, if it acts for exactly one."""
        if self.everyone or len(self.libraries) != 1:
            return None
        return next(iter(self.libraries))


def current_caller(router: Router) -> Caller | None:
    """The caller of this request, or None when anonymous.

    Raises :class:`AuthError` (401) for an ``Authorization`` header that is not a valid,
    active API key.
    """
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError("the Authorization header must be 'Bearer <API key>'", status=401)
        key = router.api_keys.identify(token)
        if key is None:
            raise AuthError("the API key is not valid (unknown, revoked or malformed)", status=401)
        everyone = key.library == router.members_file.consortium.code
        return Caller(frozenset({key.library}), everyone=everyone, name=key.key_id)
    actor = session_actor()
    if actor is not None and actor.libraries:
        return Caller(actor.libraries, via="session", name=actor.name)
    return None


def session_actor() -> Actor | None:
    """The signed-in staff member (the app's :data:`REQUEST_ACTOR` hook), or None
    (outside a request, no hook, nobody signed in)."""
    if not has_request_context():
        return None
    hook: Callable[[], Actor | Iterable[str] | None] | None = current_app.extensions.get(
        REQUEST_ACTOR
    )
    found = hook() if hook is not None else None
    if found is None or isinstance(found, Actor):
        return found
    codes = frozenset(found)
    return Actor(codes, "", "staff") if codes else None


def require_caller(router: Router) -> Caller:
    """The caller, or a 401 naming the two ways to authenticate."""
    caller = current_caller(router)
    if caller is None:
        raise AuthError(
            "authentication required: sign in as staff, or send 'Authorization: Bearer"
            " <API key>' (efirst router api-key create LIBRARY)",
            status=401,
        )
    return caller


def may_see(caller: Caller | None, stored: dict[str, Any]) -> bool:
    """May ``caller`` see the whole of request ``stored`` (borrower or a rota library)?"""
    if caller is None:
        return False
    if caller.everyone:
        return True
    involved = {stored["borrower"], stored.get("lender")}
    involved.update(entry["library"] for entry in stored.get("rota", []))
    return bool(caller.libraries & {code for code in involved if code})


def public_view(stored: dict[str, Any]) -> dict[str, Any]:
    """``stored`` without free text and message ids (see the module docstring)."""
    asked = stored.get("request") or {}
    return {
        **stored,
        "request": {key: asked[key] for key in _PUBLIC_REQUEST_KEYS if key in asked},
        "rota": [{**entry, "note": ""} for entry in stored.get("rota", [])],
        "events": [
            {**event, "reason": "", "message_id": None, "by": _public_actor(event.get("by"))}
            for event in stored.get("events", [])
        ],
        "redacted": True,
    }


def _public_actor(by: dict[str, str] | None) -> dict[str, str]:
    """An event's actor without a staff username or key id (the kind stays)."""
    by = by or {"kind": "", "name": ""}
    return {**by, "name": ""} if by.get("kind") in PRIVATE_KINDS else by
