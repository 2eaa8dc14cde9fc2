"""Importing delivery requests from an external system (as Alma imports from Libris).

An **integration profile** names the external system and how to reach it: code, name,
system, base URL, our library code (the borrower when a request names none), API key,
active, harvest-from date, schedule (daily or weekly). A **library-code mapping** per
profile turns the external system's library codes into member codes.

:func:`run_import` fetches ``GET <base_url>/requests?since=<harvest-from>`` (JSON
``{"requests": [{"id", "library", "citation": {...}, "needs": {...}}]}``, the API key as
``Authorization: Bearer``), and records one **run** with one line per request:

- ``imported`` — decided by the router and stored in the ledger (one transaction);
- ``rejected`` — with the reason: a library code without a mapping, a mapping to a
  library that is not a member, a bad citation or needs (naming the field);
- ``duplicate`` — imported by an earlier run (the ledger id is derived from the profile
  and the external id, so a request is never imported twice, nor half-imported).

A failure to reach the system ends the run ``failed`` with the error; nothing changes.
The harvest-from date moves to the run's date only after a completed run.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import requests

from mappings.errors import RoutingError
from router.actors import Actor
from router.decision import item_from_citation
from router.ledger import RequestNotFound, _stamp
from router.requests import RequestError, parse_citation, parse_needs
from router.service import decision_json

if TYPE_CHECKING:
    from router.service import Router

__all__ = ["IMPORT_SCHEMA", "ImportError_", "Profile", "Imports", "run_import"]

IMPORT_SCHEMA = """
CREATE TABLE IF NOT EXISTS integration_profiles (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    system TEXT NOT NULL DEFAULT '',
    base_url TEXT NOT NULL,
    library TEXT NOT NULL,                  -- our library code
    api_key TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1,
    harvest_from TEXT NOT NULL DEFAULT '',  -- YYYY-MM-DD
    schedule TEXT NOT NULL DEFAULT 'daily' CHECK (schedule IN ('daily', 'weekly'))
);
CREATE TABLE IF NOT EXISTS library_code_map (
    profile TEXT NOT NULL REFERENCES integration_profiles (code),
    external_code TEXT NOT NULL,
    library TEXT NOT NULL,
    PRIMARY KEY (profile, external_code)
);
CREATE TABLE IF NOT EXISTS import_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    profile TEXT NOT NULL REFERENCES integration_profiles (code),
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL DEFAULT 'running', -- running / completed / failed
    imported INTEGER NOT NULL DEFAULT 0,
    rejected INTEGER NOT NULL DEFAULT 0,
    duplicates INTEGER NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS import_items (
    run_id INTEGER NOT NULL REFERENCES import_runs (id),
    external_id TEXT NOT NULL,
    status TEXT NOT NULL,                   -- imported / rejected / duplicate
    reason TEXT NOT NULL DEFAULT '',
    request_id TEXT,
    PRIMARY KEY (run_id, external_id)
);
"""
_TIMEOUT = (5.0, 30.0)


class ImportError_(RoutingError):  # noqa: N801 - not the builtin ImportError
    """A profile is missing, inactive or invalid."""


@dataclass(slots=True)
class Profile:
    code: str
    name: str
    base_url: str
    library: str
    system: str = ""
    api_key: str = ""
    active: bool = True
    harvest_from: str = ""
    schedule: str = "daily"


class Imports:
    """Profiles, code mappings and run history, in the ledger's database."""

    def __init__(self, router: Router) -> None:
        self.router = router
        router.ledger._connection().executescript(IMPORT_SCHEMA)

    def save_profile(self, profile: Profile) -> None:
        if profile.schedule not in ("daily", "weekly"):
            raise ImportError_(f"schedule: {profile.schedule!r} is not daily or weekly")
        if profile.harvest_from:
            try:
                date.fromisoformat(profile.harvest_from)
            except ValueError:
                raise ImportError_(
                    f"harvest_from: {profile.harvest_from!r} is not a date"
                ) from None
        if profile.library not in self.router.members_file.members:
            raise ImportError_(f"library: {profile.library!r} is not a member library")
        with self.router.ledger._write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO integration_profiles (code, name, system, base_url,"
                " library, api_key, active, harvest_from, schedule) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    profile.code,
                    profile.name,
                    profile.system,
                    profile.base_url,
                    profile.library,
                    profile.api_key,
                    int(profile.active),
                    profile.harvest_from,
                    profile.schedule,
                ),
            )

    def profiles(self) -> list[Profile]:
        """Every profile, by code."""
        rows = self.router.ledger._connection().execute(
            "SELECT * FROM integration_profiles ORDER BY code"
        )
        return [Profile(**{**dict(row), "active": bool(row["active"])}) for row in rows]

    def profile(self, code: str) -> Profile:
        row = (
            self.router.ledger._connection()
            .execute("SELECT * FROM integration_profiles WHERE code = ?", (code,))
            .fetchone()
        )
        if row is None:
            raise ImportError_(f"no integration profile {code!r}")
        return Profile(**{**dict(row), "active": bool(row["active"])})

    def map_code(self, profile: str, external_code: str, library: str) -> None:
        self.profile(profile)
        if library not in self.router.members_file.members:
            raise ImportError_(f"library: {library!r} is not a member library")
        with self.router.ledger._write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO library_code_map VALUES (?,?,?)",
                (profile, external_code, library),
            )

    def mapping(self, profile: str) -> dict[str, str]:
        rows = self.router.ledger._connection().execute(
            "SELECT external_code, library FROM library_code_map WHERE profile = ?", (profile,)
        )
        return {row[0]: row[1] for row in rows}

    def runs(self, profile: str) -> list[dict[str, Any]]:
        """The run history, newest first, each with its lines."""
        conn = self.router.ledger._connection()
        runs = [
            dict(row)
            for row in conn.execute(
                "SELECT * FROM import_runs WHERE profile = ? ORDER BY id DESC", (profile,)
            )
        ]
        for run in runs:
            run["items"] = [
                dict(row)
                for row in conn.execute(
                    "SELECT external_id, status, reason, request_id FROM import_items"
                    " WHERE run_id = ? ORDER BY rowid",
                    (run["id"],),
                )
            ]
        return runs


def run_import(
    router: Router,
    code: str,
    session: requests.Session | None = None,
    *,
    run_id: int | None = None,
) -> dict[str, Any]:
    """Run one import for profile ``code``; returns the run with its lines.

    ``run_id`` is a run already claimed (status ``running``) by the scheduler
    (:mod:`router.import_schedule`); without it a new run is started.
    """
    imports = Imports(router)
    profile = imports.profile(code)
    if not profile.active:
        raise ImportError_(f"integration profile {code!r} is not active")
    started = router.clock()
    if run_id is None:
        with router.ledger._write() as conn:
            run_id = conn.execute(
                "INSERT INTO import_runs (profile, started_at) VALUES (?, ?)",
                (code, _stamp(started)),
            ).lastrowid
    try:
        incoming = _fetch(profile, session or requests.Session())
    except (requests.RequestException, ValueError) as exc:
        _finish(router, run_id, "failed", f"cannot read {profile.base_url}: {exc}")
        return imports.runs(code)[0]
    mapping = imports.mapping(code)
    for number, entry in enumerate(incoming, start=1):
        status, reason, request_id = _import_one(router, profile, mapping, entry, number)
        with router.ledger._write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO import_items VALUES (?,?,?,?,?)",
                (run_id, _external_id(entry, number), status, reason, request_id),
            )
            column = {"imported": "imported", "rejected": "rejected"}.get(status, "duplicates")
            conn.execute(
                f"UPDATE import_runs SET {column} = {column} + 1 WHERE id = ?",  # noqa: S608
                (run_id,),
            )
    _finish(router, run_id, "completed", "")
    with router.ledger._write() as conn:
        conn.execute(
            "UPDATE integration_profiles SET harvest_from = ? WHERE code = ?",
            (started.date().isoformat(), code),
        )
    return imports.runs(code)[0]


def _fetch(profile: Profile, session: requests.Session) -> list[dict[str, Any]]:
    headers = {"Accept": "application/json"}
    if profile.api_key:
        headers["Authorization"] = f"Bearer {profile.api_key}"
    response = session.get(
        profile.base_url.rstrip("/") + "/requests",
        params={"since": profile.harvest_from} if profile.harvest_from else None,
        headers=headers,
        timeout=_TIMEOUT,
    )
    response.raise_for_status()
    data = response.json()
    if not isinstance(data, dict) or not isinstance(data.get("requests"), list):
        raise ValueError('the answer is not {"requests": [...]}')
    return data["requests"]


def _external_id(entry: Any, number: int) -> str:
    value = entry.get("id") if isinstance(entry, dict) else None
    return str(value) if value not in (None, "") else f"#{number}"


def _import_one(
    router: Router, profile: Profile, mapping: dict[str, str], entry: Any, number: int
) -> tuple[str, str, str | None]:
    """``(status, reason, request id)`` for one external request."""
    if not isinstance(entry, dict) or entry.get("id") in (None, ""):
        return "rejected", f"request #{number}: must be an object with an id", None
    external = str(entry.get("library") or "")
    if external:
        library = mapping.get(external)
        if library is None:
            return "rejected", f"library code {external!r} has no mapping in {profile.code}", None
    else:
        library = profile.library
    if library not in router.members_file.members:
        return "rejected", f"library code {external!r} maps to {library!r}, not a member", None
    request_id = "imp-" + hashlib.sha256(f"{profile.code}|{entry['id']}".encode()).hexdigest()[:28]
    try:
        router.ledger.get(request_id)
        return "duplicate", "imported by an earlier run", request_id
    except RequestNotFound:
        pass
    try:
        citation = parse_citation(entry.get("citation"))
        needs = parse_needs(entry.get("needs") or {})
    except RequestError as exc:
        return "rejected", f"{exc.field}: {exc}", None
    if router.items is not None:
        item = router.items.by_citation(citation)
    else:
        item = item_from_citation(citation)
    needs.format = needs.format or item.format or "book"
    asked = {"citation": entry["citation"], "needs": entry.get("needs") or {}}
    asked["imported"] = {"profile": profile.code, "external_id": str(entry["id"])}
    decision = decision_json(router.decide(item, library, needs))
    try:
        router.record(
            library,
            asked,
            decision,
            needs.service,
            request_id=request_id,
            by=Actor(frozenset({library}), profile.code, "import"),
        )
    except sqlite3.IntegrityError:
        return "duplicate", "imported at the same time by another run", request_id
    return "imported", "", request_id


def _finish(router: Router, run_id: int | None, status: str, error: str) -> None:
    with router.ledger._write() as conn:
        conn.execute(
            "UPDATE import_runs SET status = ?, finished_at = ?, error = ? WHERE id = ?",
            (status, _stamp(router.clock()), error[:2000], run_id),
        )
