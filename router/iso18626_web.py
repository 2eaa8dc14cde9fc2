"""``POST /iso18626``: the ISO 18626 endpoint (a Flask blueprint).

The body is one ISO 18626 message (``request``, ``supplyingAgencyMessage`` or
``requestingAgencyMessage``); the answer is always its confirmation as
``application/xml`` (see :func:`router.iso18626_inbound.receive`): HTTP 200 with
``messageStatus`` ``OK``, or HTTP 400 with ``ERROR`` and ``errorData`` naming the
problem; 401 / 403 (still an ERROR confirmation) when the sender does not prove it is
the member it speaks for — an API key of that member (``Authorization: Bearer``) or an
address in its ``iso18626_allow`` (:mod:`router.iso18626_auth`). Nothing in a message
can make the endpoint answer 500.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from router.api import get_router
from router.iso18626 import MAX_BYTES, confirmation
from router.iso18626_auth import PeerCredentials
from router.iso18626_inbound import receive

__all__ = ["bp"]

bp = Blueprint("iso18626", __name__)
_XML = "application/xml; charset=utf-8"


@bp.post("/iso18626")
def iso18626() -> Response:
    """Accept one ISO 18626 message and answer with its confirmation."""
    if (request.content_length or 0) > MAX_BYTES:
        body = confirmation(
            "request",
            supplying=None,
            requesting=None,
            error=("BadlyFormedMessage", f"message larger than {MAX_BYTES} bytes"),
        )
        status = 400
    else:
        credentials = PeerCredentials(
            request.headers.get("Authorization", ""), request.remote_addr or ""
        )
        body, status = receive(get_router(), request.get_data(cache=False), credentials)
    response = Response(body, status=status, mimetype="application/xml", content_type=_XML)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="efirst ISO 18626"'
    return response
