"""What other packages add to a record: COinS and outbound OpenURL (resolver), and the
delivery decision of the "Get it" box (router). Each is optional until that package
lands, so the portal works on its own.
"""

from __future__ import annotations

import logging
from typing import Any

from mappings.schema import Library

__all__ = ["coins", "outbound_openurl"]

log = logging.getLogger(__name__)


def coins(payload: dict[str, Any]) -> str:
    """The COinS ``title`` value (an OpenURL KEV string) for Zotero, or ""."""
    try:
        from resolver.outbound import coins_for_record
    except ModuleNotFoundError:
        return ""
    return coins_for_record(payload)


def outbound_openurl(payload: dict[str, Any], library: Library | None) -> str:
    """An OpenURL 1.0 link to the patron library's own link resolver, or ""."""
    if library is None or not library.resolver_base_url:
        return ""
    try:
        from resolver.outbound import openurl_for_record
    except ModuleNotFoundError:
        return ""
    return openurl_for_record(payload, library) or ""
