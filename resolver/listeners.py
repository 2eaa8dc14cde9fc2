"""Listeners told about every resolution the resolver's web view answers.

A small callback mechanism so other packages can observe resolutions without the
resolver importing them (the import direction stays ``search_app → resolver``). The
listeners of an app live in its ``extensions`` mapping under :data:`EXTENSION`, so two
apps never share them. A listener that raises is logged and skipped: observing a
resolution never changes or breaks it.

>>> seen = []
>>> extensions = {}
>>> connect(extensions, lambda resolution, resolver: seen.append(resolution))
>>> notify(extensions, "a resolution", None)
>>> seen
['a resolution']
"""

from __future__ import annotations

import logging
from collections.abc import Callable, MutableMapping
from typing import Any

__all__ = ["EXTENSION", "ResolutionListener", "connect", "notify"]

log = logging.getLogger(__name__)

EXTENSION = "efirst.resolver.listeners"

#: ``listener(resolution, resolver)`` with a :class:`resolver.resolve.Resolution` and the
#: :class:`resolver.resolve.Resolver` that made it; called inside the web request.
ResolutionListener = Callable[[Any, Any], None]


def connect(extensions: MutableMapping[str, Any], listener: ResolutionListener) -> None:
    """Add ``listener`` to an app's ``extensions`` (once: connecting it again is a no-op)."""
    listeners: list[ResolutionListener] = extensions.setdefault(EXTENSION, [])
    if listener not in listeners:
        listeners.append(listener)


def notify(extensions: MutableMapping[str, Any], resolution: Any, resolver: Any) -> None:
    """Call every listener of the app with ``resolution``; errors are logged, not raised."""
    for listener in extensions.get(EXTENSION, ()):
        try:
            listener(resolution, resolver)
        except Exception:
            log.exception("resolution listener %r failed", listener)
