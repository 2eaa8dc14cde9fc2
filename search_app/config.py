"""Portal configuration: defaults, then ``EFIRST_*`` environment variables, then a mapping.

Every key the app reads is listed in :data:`DEFAULTS` with what it means. The environment
names are the public ones from the issues (``EFIRST_DATA_DIR``, ``EFIRST_SEARCH_URL``,
``EFIRST_SECRET_KEY``, ...); a test or an embedding application passes a mapping to
:func:`search_app.create_app` instead.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["DEFAULTS", "ENV_KEYS", "load_config"]

DEFAULTS: dict[str, Any] = {
    # Where the index and the databases live (indexer.settings.Settings reads the same).
    "EFIRST_DATA_DIR": "./var",
    # Empty: embedded tantivy index; http(s)://...: Elasticsearch.
    "EFIRST_SEARCH_URL": "",
    "EFIRST_INDEX_NAME": "efirst",
    # The members file (TOML, see router/members.py); default <data dir>/members.toml if
    # it exists, else the bundled sample consortium.
    "EFIRST_MEMBERS_FILE": "",
    # Public base URL of the portal, used in permalinks and widget snippets (default:
    # the URL the request came in on).
    "EFIRST_PUBLIC_URL": "",
    # Hot-query cache: entries and seconds to live.
    "EFIRST_CACHE_SIZE": 2048,
    "EFIRST_CACHE_TTL": 300,
    # Results per page: default and the most a client may ask for.
    "EFIRST_PAGE_SIZE": 20,
    "EFIRST_MAX_PAGE_SIZE": 100,
    # The deepest result a client may page to (offset + limit).
    "EFIRST_MAX_OFFSET": 10000,
    # Number of reverse proxies in front (X-Forwarded-For is trusted that many hops).
    "EFIRST_TRUSTED_PROXIES": 0,
    # Send Strict-Transport-Security (enable behind HTTPS only).
    "EFIRST_HSTS": False,
    "BABEL_DEFAULT_LOCALE": "zh_CN",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
    "SESSION_COOKIE_HTTPONLY": True,
    # Lax would drop the cookie in a cross-site iframe; the embedded portal carries the
    # library in its URLs instead, so Lax is the safe default.
    "SESSION_COOKIE_SAMESITE": "Lax",
    "JSON_SORT_KEYS": False,
}

#: Keys that may come from the environment, with how to convert them.
ENV_KEYS: dict[str, type] = {
    "EFIRST_DATA_DIR": str,
    "EFIRST_SEARCH_URL": str,
    "EFIRST_INDEX_NAME": str,
    "EFIRST_MEMBERS_FILE": str,
    "EFIRST_PUBLIC_URL": str,
    "EFIRST_SECRET_KEY": str,
    "EFIRST_CACHE_SIZE": int,
    "EFIRST_CACHE_TTL": int,
    "EFIRST_PAGE_SIZE": int,
    "EFIRST_MAX_PAGE_SIZE": int,
    "EFIRST_MAX_OFFSET": int,
    "EFIRST_HSTS": bool,
    "EFIRST_TRUSTED_PROXIES": int,
}


def _convert(kind: type, raw: str) -> Any:
    if kind is bool:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    return kind(raw)


def _stored_secret(path: Path) -> str:
    """A random key kept in the data dir, so every gunicorn worker signs sessions alike."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another worker may be writing it right now
            key = path.read_text(encoding="ascii").strip()
            if key:
                return key
            time.sleep(0.02)
        raise RuntimeError(
            f"{path}: empty secret key file; delete it or set EFIRST_SECRET_KEY"
        ) from None
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(32))
    return path.read_text(encoding="ascii").strip()


def load_config(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The merged configuration: defaults < environment < ``overrides``.

    Raises
    ------
    ValueError
        An environment variable holds a value of the wrong kind (the message names it).
    """
    env = os.environ if environ is None else environ
    config = dict(DEFAULTS)
    for key, kind in ENV_KEYS.items():
        if env.get(key):
            try:
                config[key] = _convert(kind, env[key])
            except ValueError as exc:
                raise ValueError(f"environment variable {key}={env[key]!r}: {exc}") from None
    config.update(overrides or {})
    data_dir = Path(config["EFIRST_DATA_DIR"]).resolve()
    config["EFIRST_DATA_DIR"] = str(data_dir)
    secret = config.get("SECRET_KEY") or config.get("EFIRST_SECRET_KEY")
    config["SECRET_KEY"] = secret or _stored_secret(data_dir / "secret_key")
    return config
