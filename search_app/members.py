"""The member libraries as the portal sees them: the router's members file
(:class:`router.members.MembersFile`, reloaded when edited) plus the IP networks parsed
once per reload, most specific first. Tests may pass ``EFIRST_MEMBERS`` (code ->
:class:`~mappings.schema.Library`) instead of a file.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mappings.schema import Library
from router.members import MembersFile

__all__ = ["MemberDirectory", "Members"]

log = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _networks(library: Library) -> list[Network]:
    nets: list[Network] = []
    for text in library.ip_ranges:
        try:
            nets.append(ipaddress.ip_network(text.strip(), strict=False))
        except ValueError:
            log.warning("library %s: ignoring bad IP range %r", library.code, text)
    return nets


@dataclass(frozen=True, slots=True)
class Members:
    """One snapshot of the members (immutable: replaced whole when the file changes)."""

    libraries: Mapping[str, Library]
    networks: tuple[tuple[Network, str], ...]

    @classmethod
    def of(cls, libraries: Mapping[str, Library]) -> Members:
        pairs = [(net, lib.code) for lib in libraries.values() for net in _networks(lib)]
        # Most specific range first, so a department subnet beats its campus.
        pairs.sort(key=lambda pair: pair[0].prefixlen, reverse=True)
        return cls(dict(libraries), tuple(pairs))

    def get(self, code: str | None) -> Library | None:
        return self.libraries.get(code or "")

    def for_ip(self, address: str | None) -> Library | None:
        """The member whose configured IP ranges contain ``address``."""
        try:
            ip = ipaddress.ip_address((address or "").strip())
        except ValueError:
            return None
        for net, code in self.networks:
            if ip.version == net.version and ip in net:
                return self.libraries[code]
        return None


class MemberDirectory:
    """The current :class:`Members`, rebuilt whenever the members file reloads."""

    def __init__(self, path: Path | None, preset: Mapping[str, Library] | None = None) -> None:
        self._file = MembersFile(path) if preset is None and path is not None else None
        self._lock = threading.Lock()
        self._version = -1
        self._members = Members.of(preset or {})

    def reload(self) -> None:
        """Re-read the members file now (the admin pages call this after writing it)."""
        if self._file is not None:
            self._file.reload(force=True)

    def current(self) -> Members:
        if self._file is None:
            return self._members
        libraries = self._file.members  # reloads when the file changed
        if self._file.version != self._version:
            with self._lock:
                if self._file.version != self._version:
                    self._members = Members.of(libraries)
                    self._version = self._file.version
        return self._members
