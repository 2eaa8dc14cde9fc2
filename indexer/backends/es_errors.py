"""Elasticsearch client errors as efirst's own: unreachable or slow, or refused.

:func:`translate_errors` wraps every call the backend makes, so no client exception
crosses the backend interface: the CLI and the portal show one clear line instead.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import elastic_transport
from elasticsearch import ApiError, UnsupportedProductError

from mappings.errors import BackendError, BackendUnavailable

__all__ = [
    "UNAVAILABLE_STATUSES",
    "error_reason",
    "reason",
    "too_many_failures",
    "translate_errors",
]

#: HTTP statuses that mean "not now" (overloaded, restarting) rather than "no".
UNAVAILABLE_STATUSES = frozenset((429, 502, 503, 504))


def reason(error: Any) -> str:
    """``type: reason (cause)`` of an Elasticsearch error object (or its text)."""
    if not isinstance(error, dict):
        return str(error)
    text = f"{error.get('type', 'error')}: {error.get('reason', '')}".strip()
    cause = error.get("caused_by")
    return f"{text} ({reason(cause)})" if isinstance(cause, dict) else text


def error_reason(exc: ApiError) -> str:
    body = exc.body
    if isinstance(body, dict):
        return reason(body.get("error", body))
    return reason(body or exc.message)


@contextlib.contextmanager
def translate_errors(url: str, action: str) -> Iterator[None]:
    """Re-raise client errors met while ``action`` as BackendUnavailable/BackendError."""
    try:
        yield
    except elastic_transport.ConnectionTimeout as exc:
        raise BackendUnavailable(
            f"Elasticsearch at {url} did not answer in time while {action}; "
            "it may be overloaded - try again shortly"
        ) from exc
    except elastic_transport.ConnectionError as exc:
        raise BackendUnavailable(
            f"Elasticsearch at {url} cannot be reached while {action} "
            f"(is it running? EFIRST_SEARCH_URL={url}): {exc.message}"
        ) from exc
    except UnsupportedProductError as exc:
        raise BackendError(
            f"the server at {url} answers, but it is not Elasticsearch (while {action}); "
            f"check EFIRST_SEARCH_URL"
        ) from exc
    except ApiError as exc:
        status = exc.meta.status
        if status in UNAVAILABLE_STATUSES:
            raise BackendUnavailable(
                f"Elasticsearch at {url} is busy or unavailable while {action} "
                f"(HTTP {status}): {error_reason(exc)}"
            ) from exc
        raise BackendError(
            f"Elasticsearch at {url} refused {action} (HTTP {status}): {error_reason(exc)}"
        ) from exc


def too_many_failures(index: str, failed: list[tuple[str, str]], allowed: int) -> str:
    """The message of an abandoned rebuild, naming the first failed documents."""
    sample = "; ".join(f"{doc_id or '<no id>'}: {why}" for doc_id, why in failed[:5])
    return (
        f"rebuild into {index} abandoned: {len(failed)} document(s) failed "
        f"(allowed {allowed}), the alias was not switched. First failures: {sample}"
    )
