"""Per-library API keys for machine clients of the router's HTTP API.

A key is ``efk_<key id>_<secret>``: the key id (public, 12 hex digits) finds the row,
the secret (32 random bytes, URL-safe base64) proves possession. Only the SHA-256 of
the secret is stored (a random 256-bit secret needs no slow hash), and it is compared
in constant time. A key acts for one library code; a key made for the consortium's own
code (``[consortium] code`` of the members file) acts for every member.

Keys live in the ledger's database (table ``api_keys``); ``efirst router api-key
create|revoke|list`` manages them. A revoked key stays in the table (who, when) and
never verifies again.

>>> KEY_PATTERN.fullmatch("efk_0123456789ab_" + "A" * 43) is not None
True
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from mappings.errors import RoutingError
from router.ledger import Ledger, _stamp

__all__ = ["API_KEY_SCHEMA", "KEY_PATTERN", "ApiKey", "ApiKeyError", "ApiKeys"]

API_KEY_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    key_id TEXT PRIMARY KEY,                -- public part of the key
    library TEXT NOT NULL,                  -- the member (or consortium) code it acts for
    secret_sha256 TEXT NOT NULL,
    label TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX IF NOT EXISTS api_keys_library ON api_keys (library);
"""
KEY_PATTERN = re.compile(r"efk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})")


class ApiKeyError(RoutingError, ValueError):
    """An API key cannot be created or revoked (unknown library, unknown key id)."""


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A stored key (never its secret)."""

    key_id: str
    library: str
    label: str
    created_at: str
    revoked_at: str | None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


class ApiKeys:
    """Create, verify, list and revoke API keys in the ledger's database."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        ledger._connection().executescript(API_KEY_SCHEMA)

    def create(self, library: str, label: str = "") -> str:
        """A new key for ``library``; the full key is returned once and never stored."""
        if not library:
            raise ApiKeyError("a library code is required")
        key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        with self.ledger._write() as conn:
            conn.execute(
                "INSERT INTO api_keys (key_id, library, secret_sha256, label, created_at)"
                " VALUES (?,?,?,?,?)",
                (key_id, library, _digest(secret), label, _stamp(self.ledger.clock())),
            )
        return f"efk_{key_id}_{secret}"

    def verify(self, key: str) -> str | None:
        """The library an active ``key`` acts for, or None (malformed, unknown, revoked)."""
        found = self.identify(key)
        return found.library if found is not None else None

    def identify(self, key: str) -> ApiKey | None:
        """The stored, active key ``key`` proves, or None (malformed, unknown, revoked)."""
        match = KEY_PATTERN.fullmatch(key.strip())
        if match is None:
            return None
        row = (
            self.ledger._connection()
            .execute(
                "SELECT key_id, library, label, created_at, revoked_at, secret_sha256"
                " FROM api_keys WHERE key_id = ? AND revoked_at IS NULL",
                (match.group(1),),
            )
            .fetchone()
        )
        if row is None or not hmac.compare_digest(row["secret_sha256"], _digest(match.group(2))):
            return None
        return ApiKey(
            row["key_id"], row["library"], row["label"], row["created_at"], row["revoked_at"]
        )

    def keys(self, library: str | None = None) -> list[ApiKey]:
        """Every key (of ``library``), oldest first, revoked ones included."""
        sql = "SELECT key_id, library, label, created_at, revoked_at FROM api_keys"
        params: tuple[str, ...] = ()
        if library:
            sql, params = sql + " WHERE library = ?", (library,)
        rows = self.ledger._connection().execute(sql + " ORDER BY created_at, key_id", params)
        return [ApiKey(**dict(row)) for row in rows]

    def revoke(self, library: str, key_id: str | None = None) -> int:
        """Revoke ``library``'s key ``key_id`` (every active key of it when None);
        returns how many were revoked."""
        sql = "UPDATE api_keys SET revoked_at = ? WHERE library = ? AND revoked_at IS NULL"
        params: tuple[str, ...] = (_stamp(self.ledger.clock()), library)
        if key_id:
            sql, params = sql + " AND key_id = ?", (*params, key_id)
        with self.ledger._write() as conn:
            count = conn.execute(sql, params).rowcount
        if key_id and count == 0:
            raise ApiKeyError(f"{library} has no active key {key_id!r}")
        return count
