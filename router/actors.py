"""Who acted: the person, key, peer or process behind each event of the ledger.

Every event of a request records its **actor** (issue 6: "every event: who, when, what,
why") as a kind and a name:

==============  ===========================================================
kind            name
==============  ===========================================================
``staff``       the staff member's username (signed in to the web app)
``api_key``     the API key's public id (never its secret)
``iso18626``    the ISO 18626 peer's agency id (``TYPE:VALUE``)
``import``      the integration profile's code (:mod:`router.imports`)
``system``      ``system``: timeouts (``efirst router tick``), rota moves, outbox
``patron``      ``patron``: a request made on the portal (no patron data is kept)
==============  ===========================================================

This is separate from the event's *role* (``actor`` in the ledger's JSON: lender,
borrower, staff or system), which says on whose behalf the event counts.

The web app tells the router who is signed in through the ``efirst.request_actor``
hook (:data:`router.api_auth.REQUEST_ACTOR`), which returns an :class:`Actor`.

>>> Actor.staff("alice", ["211010"]).as_json()
{'kind': 'staff', 'name': 'alice'}
>>> SYSTEM.name, PATRON.kind
('system', 'patron')
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ACTOR_KINDS", "PATRON", "PRIVATE_KINDS", "SYSTEM", "Actor"]

ACTOR_KINDS = ("staff", "api_key", "iso18626", "import", "system", "patron")
#: kinds whose name is shown only to callers involved in the request (see api_auth).
PRIVATE_KINDS = frozenset({"staff", "api_key"})


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: the libraries they may act for, a name, and what kind of actor."""

    libraries: frozenset[str] = field(default_factory=frozenset)
    name: str = ""
    kind: str = "staff"

    def __post_init__(self) -> None:
        if self.kind not in ACTOR_KINDS:
            raise ValueError(f"actor kind {self.kind!r} is not one of {', '.join(ACTOR_KINDS)}")

    @classmethod
    def staff(cls, username: str, libraries: Iterable[str]) -> Actor:
        return cls(frozenset(libraries), username, "staff")

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name}


SYSTEM = Actor(name="system", kind="system")
PATRON = Actor(name="patron", kind="patron")
