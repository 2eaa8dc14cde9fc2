"""Was full text denied? The COUNTER "No_License" judgement for one resolution.

A resolution is a **denial** when the patron wanted the item, nothing online was found
for their library (no ``fulltext`` and no ``open_access`` option), yet full text exists
somewhere that this patron may not use:

- ``licensed_elsewhere`` — a KBART line or a catalogue link licensed only to other
  member libraries;
- ``out_of_coverage`` — a licence of the patron's library or the consortium exists, but
  its coverage (dates, volumes, embargo) does not include the item.

Nothing online anywhere is not a denial (there was nothing to license).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from resolver.lookup import find_eholdings_for
from resolver.resolve import Resolution, Resolver

__all__ = ["Denial", "denial"]

ONLINE_KINDS = ("fulltext", "open_access")


@dataclass(frozen=True, slots=True)
class Denial:
    """Why full text was denied, and to whom: ``reason`` is ``licensed_elsewhere`` or
    ``out_of_coverage``; ``licensees`` are the libraries that hold a licence."""

    reason: str
    library: str
    record: str = ""
    licensees: tuple[str, ...] = ()


def _allowed(resolution: Resolution, resolver: Resolver) -> set[str]:
    own = {resolution.library} if resolution.library else set()
    return own | set(resolver.consortium)


def _kbart_licensees(resolution: Resolution, resolver: Resolver, allowed: set[str]) -> set[str]:
    found = find_eholdings_for(resolver.eholdings, resolution.citation, None)
    return {eh.library for eh in found if not eh.is_open and eh.library not in allowed}


def _link_licensees(resolution: Resolution, resolver: Resolver, allowed: set[str]) -> set[str]:
    owners: set[str] = set()
    for cluster_id in resolution.clusters:
        payload: dict[str, Any] | None = resolver.backend.get(cluster_id)
        for link in (payload or {}).get("links") or []:
            owner = link.get("library") or ""
            if link.get("access", "licensed") != "open" and owner and owner not in allowed:
                owners.add(owner)
    return owners


def denial(resolution: Resolution, resolver: Resolver) -> Denial | None:
    """The denial this resolution amounts to, or ``None`` (see the module docstring)."""
    if any(option.kind in ONLINE_KINDS for option in resolution.options):
        return None
    record = resolution.clusters[0] if resolution.clusters else ""
    allowed = _allowed(resolution, resolver)
    licensees = _kbart_licensees(resolution, resolver, allowed)
    licensees |= _link_licensees(resolution, resolver, allowed)
    if licensees:
        return Denial("licensed_elsewhere", resolution.library, record, tuple(sorted(licensees)))
    if resolution.notes:
        return Denial("out_of_coverage", resolution.library, record)
    return None
