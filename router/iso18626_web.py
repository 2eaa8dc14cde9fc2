"""``POST /iso18626``: the ISO 18626 endpoint (a Flask blueprint).

The body is one ISO 18626 message (``request``, ``supplyingAgencyMessage`` or
``requestingAgencyMessage``); the answer is always its confirmation as
``application/xml`` (see :func:`router.iso18626_inbound.receive`): HTTP 200 with
``messageStatus`` ``OK``, or HTTP 400 with ``ERROR`` and ``errorData`` naming the
problem. Nothing in a message can make the endpoint answer 500.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from router.api import get_router
from router.iso18626 import MAX_BYTES, confirmation
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
    else:
        body = receive(get_router(), request.get_data(cache=False))
    status = 400 if b"<messageStatus>ERROR</messageStatus>" in body else 200
    return Response(body, status=status, mimetype="application/xml", content_type=_XML)
