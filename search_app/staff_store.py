"""Staff accounts, login attempts and the audit log, in sqlite3 (WAL) — no Flask here.

Roles (issue 7, "Accounts and roles"):

==================  ============================================================
``consortium_admin``  acts for every member library (switching between them),
                      manages every account, sees consortium statistics
``library_admin``     manages the accounts of its own library(ies) and works
                      their ILL queues
``ill_staff``         works the ILL queues of its own library(ies)
==================  ============================================================

Passwords are stored only as werkzeug hashes (scrypt by default). A login that fails
``max_failures`` times within ``window`` locks the account for ``lock_for``; an
administrator may unlock it earlier. Every administrative change (accounts, roles,
passwords, lock-outs, staff actions on requests) is written to ``audit`` with who, when
and what, in the same transaction as the change.

The tables live in the ledger database by default (``Settings.ledger_db``: "requests,
events, members' state, audit"); they do not touch the router's tables.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from werkzeug.security import check_password_hash, generate_password_hash

from indexer.sqlite import ThreadConnections

__all__ = [
    "ROLES",
    "Account",
    "AccountError",
    "LockedOut",
    "StaffStore",
    "check_password_rules",
]

ROLES = ("consortium_admin", "library_admin", "ill_staff")
MIN_PASSWORD = 10
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")

SCHEMA = """
CREATE TABLE IF NOT EXISTS staff_users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    locked_until TEXT,
    auth_version INTEGER NOT NULL DEFAULT 1,  -- grows on password change / disable: ends sessions
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS staff_libraries (
    user_id INTEGER NOT NULL REFERENCES staff_users (id),
    library TEXT NOT NULL,
    PRIMARY KEY (user_id, library)
);
CREATE TABLE IF NOT EXISTS staff_logins (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL,
    at TEXT NOT NULL,
    ok INTEGER NOT NULL,
    address TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS staff_logins_user ON staff_logins (username, at);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,            -- a username, or "cli" / "system"
    action TEXT NOT NULL,           -- user.create, user.role, user.lock, request.refused ...
    target TEXT NOT NULL DEFAULT '',
    library TEXT NOT NULL DEFAULT '',
    details TEXT NOT NULL DEFAULT '{}',
    address TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS audit_library ON audit (library, seq);
"""


class AccountError(ValueError):
    """Bad account input; ``field`` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class LockedOut(AccountError):
    """Too many failed logins: the account is locked until ``until``."""

    def __init__(self, until: datetime) -> None:
        super().__init__(f"account locked until {until:%Y-%m-%d %H:%M} UTC", "username")
        self.until = until


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    username: str
    display_name: str
    role: str
    libraries: tuple[str, ...]
    active: bool
    locked_until: datetime | None
    auth_version: int

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now

    def acts_for(self, library: str, all_libraries: Any = ()) -> bool:
        """May this account work for ``library``? (a consortium admin: any member)"""
        if self.role == "consortium_admin":
            return library in all_libraries
        return library in self.libraries


def check_password_rules(password: str, username: str = "") -> None:
    """Raise :class:`AccountError` for a password too weak to accept."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password needs at least {MIN_PASSWORD} characters", "password")
    if username and username.lower() in password.lower():
        raise AccountError("the password must not contain the user name", "password")
    if len(set(password)) < 4:
        raise AccountError("the password is too repetitive", "password")


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


class StaffStore:
    """Accounts, login attempts and audit entries in one sqlite3 file."""

    def __init__(
        self,
        path: str | Path,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        hash_method: str = "scrypt",
        max_failures: int = 5,
        window: timedelta = timedelta(minutes=15),
        lock_for: timedelta = timedelta(minutes=15),
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.clock = clock
        self.hash_method = hash_method
        self.max_failures = max_failures
        self.window = window
        self.lock_for = lock_for
        self._db = ThreadConnections(self.path, timeout=60.0, synchronous="FULL", foreign_keys=True)
        self._dummy_hash = ""  # made on first use: hashing is deliberately slow
        self._db.get().executescript(SCHEMA)

    def close(self) -> None:
        """Close this thread's connection."""
        self._db.close()

    # -- reading -----------------------------------------------------------------------

    def _account(self, row: sqlite3.Row | None) -> Account | None:
        if row is None:
            return None
        libraries = self._db.get().execute(
            "SELECT library FROM staff_libraries WHERE user_id = ? ORDER BY library", (row["id"],)
        )
        locked = row["locked_until"]
        return Account(
            id=row["id"],
            username=row["username"],
            display_name=row["display_name"],
            role=row["role"],
            libraries=tuple(r[0] for r in libraries),
            active=bool(row["active"]),
            locked_until=datetime.fromisoformat(locked) if locked else None,
            auth_version=row["auth_version"],
        )

    def get(self, user_id: int) -> Account | None:
        row = self._db.get().execute("SELECT * FROM staff_users WHERE id = ?", (user_id,))
        return self._account(row.fetchone())

    def find(self, username: str) -> Account | None:
        row = self._db.get().execute(
            "SELECT * FROM staff_users WHERE username = ?", (username.strip().lower(),)
        )
        return self._account(row.fetchone())

    def users(self, library: str | None = None) -> list[Account]:
        """All accounts, or those working for ``library`` (consortium admins included)."""
        sql = "SELECT * FROM staff_users ORDER BY username"
        params: tuple[Any, ...] = ()
        if library:
            sql = (
                "SELECT * FROM staff_users WHERE role = 'consortium_admin' OR id IN"
                " (SELECT user_id FROM staff_libraries WHERE library = ?) ORDER BY username"
            )
            params = (library,)
        rows = self._db.get().execute(sql, params).fetchall()
        return [a for a in (self._account(r) for r in rows) if a is not None]

    def password_hash(self, user_id: int) -> str:
        row = self._db.get().execute(
            "SELECT password_hash FROM staff_users WHERE id = ?", (user_id,)
        )
        found = row.fetchone()
        return found[0] if found else ""

    # -- changing accounts (each change audited in the same transaction) -----------------

    def create_user(
        self,
        username: str,
        password: str,
        role: str,
        libraries: list[str] | tuple[str, ...] = (),
        *,
        actor: str,
        display_name: str = "",
        address: str = "",
    ) -> Account:
        """Create an account; raises :class:`AccountError` naming the field at fault."""
        name = username.strip().lower()
        if not _USERNAME.match(name):
            raise AccountError(
                "user names are 2-64 characters: letters, digits and . _ @ -", "username"
            )
        if role not in ROLES:
            raise AccountError(f"the role must be one of {', '.join(ROLES)}", "role")
        libs = sorted({code.strip() for code in libraries if code.strip()})
        if role != "consortium_admin" and not libs:
            raise AccountError(f"a {role} account needs its library", "library")
        check_password_rules(password, name)
        now = _stamp(self.clock())
        hashed = generate_password_hash(password, method=self.hash_method)
        with self._db.write() as conn:
            if conn.execute("SELECT 1 FROM staff_users WHERE username = ?", (name,)).fetchone():
                raise AccountError(f"the user name {name!r} is taken", "username")
            cursor = conn.execute(
                "INSERT INTO staff_users (username, display_name, password_hash, role,"
                " created_at, updated_at) VALUES (?,?,?,?,?,?)",
                (name, display_name.strip(), hashed, role, now, now),
            )
            user_id = int(cursor.lastrowid or 0)
            conn.executemany(
                "INSERT INTO staff_libraries (user_id, library) VALUES (?,?)",
                [(user_id, code) for code in libs],
            )
            self._audit(conn, actor, "user.create", name, ",".join(libs), {"role": role}, address)
        account = self.get(user_id)
        assert account is not None
        return account

    def set_password(self, user_id: int, password: str, *, actor: str, address: str = "") -> None:
        account = self._require(user_id)
        check_password_rules(password, account.username)
        hashed = generate_password_hash(password, method=self.hash_method)
        with self._db.write() as conn:
            conn.execute(
                "UPDATE staff_users SET password_hash = ?, auth_version = auth_version + 1,"
                " locked_until = NULL, updated_at = ? WHERE id = ?",
                (hashed, _stamp(self.clock()), user_id),
            )
            self._audit(conn, actor, "user.password", account.username, "", {}, address)

    def set_role(
        self,
        user_id: int,
        role: str,
        libraries: list[str] | tuple[str, ...],
        *,
        actor: str,
        address: str = "",
    ) -> None:
        account = self._require(user_id)
        if role not in ROLES:
            raise AccountError(f"the role must be one of {', '.join(ROLES)}", "role")
        libs = sorted({code.strip() for code in libraries if code.strip()})
        if role != "consortium_admin" and not libs:
            raise AccountError(f"a {role} account needs its library", "library")
        with self._db.write() as conn:
            conn.execute(
                "UPDATE staff_users SET role = ?, auth_version = auth_version + 1, updated_at = ?"
                " WHERE id = ?",
                (role, _stamp(self.clock()), user_id),
            )
            conn.execute("DELETE FROM staff_libraries WHERE user_id = ?", (user_id,))
            conn.executemany(
                "INSERT INTO staff_libraries (user_id, library) VALUES (?,?)",
                [(user_id, code) for code in libs],
            )
            details = {"from": [account.role, *account.libraries], "to": [role, *libs]}
            self._audit(
                conn, actor, "user.role", account.username, ",".join(libs), details, address
            )

    def set_active(self, user_id: int, active: bool, *, actor: str, address: str = "") -> None:
        account = self._require(user_id)
        with self._db.write() as conn:
            conn.execute(
                "UPDATE staff_users SET active = ?, auth_version = auth_version + 1,"
                " updated_at = ? WHERE id = ?",
                (int(active), _stamp(self.clock()), user_id),
            )
            action = "user.enable" if active else "user.disable"
            self._audit(
                conn, actor, action, account.username, ",".join(account.libraries), {}, address
            )

    def unlock(self, user_id: int, *, actor: str, address: str = "") -> None:
        account = self._require(user_id)
        with self._db.write() as conn:
            conn.execute("UPDATE staff_users SET locked_until = NULL WHERE id = ?", (user_id,))
            conn.execute(
                "INSERT INTO staff_logins (username, at, ok, address) VALUES (?,?,1,'unlock')",
                (account.username, _stamp(self.clock())),
            )
            self._audit(conn, actor, "user.unlock", account.username, "", {}, address)

    def _require(self, user_id: int) -> Account:
        account = self.get(user_id)
        if account is None:
            raise AccountError(f"no account {user_id}", "user")
        return account

    # -- logging in ----------------------------------------------------------------------

    def authenticate(self, username: str, password: str, *, address: str = "") -> Account | None:
        """The account when the password is right; ``None`` otherwise.

        Raises :class:`LockedOut` while the account is locked (even with the right
        password), and locks it at the ``max_failures``-th failure within ``window``.
        """
        name = username.strip().lower()
        now = self.clock()
        account = self.find(name)
        if account is None or not account.active:
            if not self._dummy_hash:
                self._dummy_hash = generate_password_hash("not a password", self.hash_method)
            check_password_hash(self._dummy_hash, password)  # same time as a real check
            self._attempt(name, now, False, address)
            return None
        if account.locked(now):
            raise LockedOut(account.locked_until)  # type: ignore[arg-type]
        if check_password_hash(self.password_hash(account.id), password):
            self._attempt(name, now, True, address)
            return account
        self._attempt(name, now, False, address)
        if self._recent_failures(name, now) >= self.max_failures:
            until = now + self.lock_for
            with self._db.write() as conn:
                conn.execute(
                    "UPDATE staff_users SET locked_until = ? WHERE id = ?",
                    (_stamp(until), account.id),
                )
                details = {"failures": self.max_failures, "until": _stamp(until)}
                self._audit(conn, "system", "user.lock", name, "", details, address)
            raise LockedOut(until)
        return None

    def _attempt(self, name: str, now: datetime, ok: bool, address: str) -> None:
        self._db.get().execute(
            "INSERT INTO staff_logins (username, at, ok, address) VALUES (?,?,?,?)",
            (name, _stamp(now), int(ok), address),
        )

    def _recent_failures(self, name: str, now: datetime) -> int:
        """Failures since the window opened and since the last success (or unlock)."""
        since = _stamp(now - self.window)
        row = self._db.get().execute(
            "SELECT COUNT(*) FROM staff_logins WHERE username = ? AND ok = 0 AND at > ?"
            " AND seq > COALESCE((SELECT MAX(seq) FROM staff_logins WHERE username = ?"
            " AND ok = 1), 0)",
            (name, since, name),
        )
        return int(row.fetchone()[0])

    # -- the audit log -------------------------------------------------------------------

    def _audit(
        self,
        conn: sqlite3.Connection,
        actor: str,
        action: str,
        target: str,
        library: str,
        details: dict[str, Any],
        address: str,
    ) -> None:
        conn.execute(
            "INSERT INTO audit (at, actor, action, target, library, details, address)"
            " VALUES (?,?,?,?,?,?,?)",
            (
                _stamp(self.clock()),
                actor,
                action,
                target,
                library,
                json.dumps(details, ensure_ascii=False, sort_keys=True),
                address,
            ),
        )

    def audit(
        self,
        actor: str,
        action: str,
        *,
        target: str = "",
        library: str = "",
        details: dict[str, Any] | None = None,
        address: str = "",
    ) -> None:
        """Write one audit entry (for changes made elsewhere, e.g. request actions)."""
        with self._db.write() as conn:
            self._audit(conn, actor, action, target, library, details or {}, address)

    def audit_entries(self, library: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """Newest first; only ``library``'s entries (and its accounts') when given."""
        sql, params = "SELECT * FROM audit", []
        if library:
            sql += " WHERE ',' || library || ',' LIKE ?"
            params.append(f"%,{library},%")
        rows = self._db.get().execute(f"{sql} ORDER BY seq DESC LIMIT ?", (*params, limit))  # noqa: S608
        return [{**dict(row), "details": json.loads(row["details"])} for row in rows]
