"""Who may post ISO 18626 messages, and which key we send to a peer.

Incoming (``POST /iso18626``)
-----------------------------
A message speaks for one agency: the ``requestingAgencyId`` of a ``request`` or a
``requestingAgencyMessage``, the ``supplyingAgencyId`` of a ``supplyingAgencyMessage``.
That agency must be a member (through its ``agency_ids``, :class:`router.iso18626.Agencies`)
and the sender must prove it is that member, by either

- **an API key** of that member (``Authorization: Bearer efk_...``, made with
  ``efirst router api-key create CODE`` or on the staff API keys page; a key made for
  the consortium's own code acts for every member), or
- **its address**: the client IP is in the member's ``iso18626_allow`` networks
  (``iso18626_allow = ["CIDR", ...]`` in the members file; behind a proxy, set
  ``EFIRST_TRUSTED_PROXIES`` so the address is the client's).

A key that is malformed, unknown or revoked is refused even from an allowed address
(bad credentials are never ignored), and so is a valid key of another library. Refusals
are :class:`PeerRefused`: HTTP 401 (no or bad credentials), 403 (a key of another
library) or 400 (the agency is not a member at all), answered as an ISO 18626 ERROR
confirmation whose ``errorValue`` says why.

Outgoing
--------
A member's ``iso18626_key_env`` names the environment variable holding the API key its
endpoint gave us (the members file never holds secrets); :func:`outbound_headers` sends
it as ``Authorization: Bearer``. An unset variable sends no key (and the peer may refuse).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mappings.errors import RoutingError
from mappings.schema import Library
from router.actors import Actor
from router.iso18626 import Agencies, Agency, Message

if TYPE_CHECKING:
    from router.service import Router

__all__ = ["PeerCredentials", "PeerRefused", "authenticate", "outbound_headers", "sender_of"]


class PeerRefused(RoutingError):
    """The sender of an ISO 18626 message may not speak for its agency."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class PeerCredentials:
    """What an HTTP request brings: its ``Authorization`` header and client address."""

    authorization: str = ""
    address: str = ""


def sender_of(message: Message) -> tuple[str, Agency]:
    """The header field naming the agency a message speaks for, and that agency."""
    if message.kind == "supplyingAgencyMessage":
        return "supplyingAgencyId", message.supplying
    return "requestingAgencyId", message.requesting


def authenticate(router: Router, message: Message, credentials: PeerCredentials) -> Actor:
    """The peer as the ledger records it, or :class:`PeerRefused` saying why not."""
    field, agency = sender_of(message)
    members = router.members_file.members
    consortium = router.members_file.consortium.code
    code = Agencies(members, consortium).member(agency)
    if code is None:  # the handlers refuse it too; a data error, as before keys
        raise PeerRefused(f"{field} {agency} is not a member library", status=400)
    actor = Actor(frozenset({code}), str(agency), "iso18626")
    if credentials.authorization:
        _check_key(router, credentials.authorization, code, consortium, agency)
        return actor
    if _allowed(members[code], credentials.address):
        return actor
    raise PeerRefused(
        f"no credentials for {field} {agency} (member {code}): send 'Authorization: Bearer"
        f" <API key of {code}>'"
        + (
            f", or post from an address in its iso18626_allow (not {credentials.address})"
            if members[code].iso18626_allow
            else ""
        ),
        status=401,
    )


def _check_key(router: Router, header: str, code: str, consortium: str, agency: Agency) -> None:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise PeerRefused("the Authorization header must be 'Bearer <API key>'", status=401)
    key = router.api_keys.identify(token)
    if key is None:
        raise PeerRefused("the API key is not valid (unknown, revoked or malformed)", status=401)
    if key.library not in (code, consortium):
        raise PeerRefused(
            f"the API key {key.key_id} belongs to {key.library}, not to {code} ({agency})",
            status=403,
        )


def _allowed(library: Library, address: str) -> bool:
    if not address or not library.iso18626_allow:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in ipaddress.ip_network(cidr, strict=False) for cidr in library.iso18626_allow)


def outbound_headers(
    library: Library | None, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The headers of a message to ``library``: XML, and our key for it when configured."""
    headers = {"Content-Type": "application/xml; charset=utf-8"}
    env = os.environ if environ is None else environ
    name = library.iso18626_key_env if library is not None else ""
    key = env.get(name, "").strip() if name else ""
    if key:
        headers["Authorization"] = f"Bearer {key}"
    return headers
