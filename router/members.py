"""The members file: who belongs to the consortium and how each member lends.

A TOML file an administrator edits (the admin pages write the same file)::

    [consortium]
    code = "CASHL"
    closed_dates = ["2025-01-28/2025-02-04"]     # consortium-wide (Spring Festival)
    timezone = "Asia/Shanghai"                    # days (timeouts, closed dates) are counted here

    [defaults.policy]                             # every member's policy starts from this
    timeout_days = 3

    [[members]]
    code = "211010"
    name_zh = "北京大学图书馆"
    name_en = "Peking University Library"
    city = "Beijing"  region = "North China"  lat = 39.99  lon = 116.31
    role = "centre"                               # centre / service / member
    ip_ranges = ["162.105.0.0/16"]
    partner_groups = ["beijing"]
    iso18626_url = "https://ill.example.edu/iso18626"  # speaks ISO 18626 (optional)
    agency_ids = ["ISIL:CN-100871"]               # ISO 18626 agency ids (optional)
    iso18626_allow = ["162.105.10.0/24"]          # it may POST /iso18626 from here, keyless
    iso18626_key_env = "ISO18626_KEY_211010"      # env variable: our API key at its endpoint
    [members.policy]
    formats = ["book", "article"]  loans = true  copies = true
    fees = { article = 10.0, book = 30.0 }      # per format, in the consortium's currency
    payment_methods = ["deposit", "invoice"]
    delivery_methods = ["electronic", "courier"]  # electronic / courier / post
    processing_days = 1.0  timeout_days = 3
    closed_dates = ["2025-10-01/2025-10-07"]      # days or inclusive ranges

:func:`load_members` validates every member and reports *all* problems at once, each
naming the file, the member and the field. :class:`MembersFile` reloads the file when its
modification time changes and keeps the last good members if an edit breaks it.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import threading
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mappings.errors import RoutingError
from mappings.schema import FORMATS, LendingPolicy, Library

__all__ = [
    "DEFAULT_TIMEZONE",
    "DELIVERY_METHODS",
    "ROLES",
    "SAMPLE_MEMBERS",
    "Consortium",
    "MembersFile",
    "MembersFileError",
    "default_members_path",
    "expand_dates",
    "load_consortium",
    "load_members",
]

log = logging.getLogger(__name__)

ROLES = ("centre", "service", "member")
DEFAULT_TIMEZONE = "Asia/Shanghai"
DELIVERY_METHODS = ("electronic", "courier", "post")
SAMPLE_MEMBERS = Path(__file__).parent / "sample" / "members.toml"

_LIBRARY_KEYS = {f.name for f in fields(Library)} - {"policy"}
_POLICY_KEYS = {f.name for f in fields(LendingPolicy)}
_REQUIRED = ("code", "name_zh", "name_en")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LIST_OF_STR = {
    "ip_ranges",
    "embed_domains",
    "partner_groups",
    "agency_ids",
    "iso18626_allow",
    "formats",
    "payment_methods",
    "delivery_methods",
    "closed_dates",
}


class MembersFileError(RoutingError):
    """The members file is invalid; ``problems`` holds one line per fault found."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: {len(problems)} problem(s):\n  " + "\n  ".join(problems))


@dataclass(frozen=True, slots=True)
class Consortium:
    """Consortium-wide settings: its code (licences held for everyone), name and closed days."""

    code: str = "CONSORTIUM"
    name_zh: str = ""
    name_en: str = ""
    currency: str = "CNY"
    closed_dates: tuple[str, ...] = ()
    timezone: str = DEFAULT_TIMEZONE  # IANA name: the calendar business days count on

    @property
    def zone(self) -> ZoneInfo:
        """The consortium's time zone (day boundaries for timeouts and closed dates)."""
        return ZoneInfo(self.timezone)


def default_members_path(environ: dict[str, str] | None = None) -> Path:
    """``$EFIRST_DATA_DIR/members.toml`` when it exists, else the bundled sample consortium."""
    env = os.environ if environ is None else environ
    data_dir = Path(env.get("EFIRST_DATA_DIR") or "./var")
    candidate = data_dir / "members.toml"
    return candidate if candidate.is_file() else SAMPLE_MEMBERS


def expand_dates(values: list[str] | tuple[str, ...]) -> frozenset[date]:
    """Closed-date strings (``YYYY-MM-DD`` or ``YYYY-MM-DD/YYYY-MM-DD``) as a set of days."""
    days: set[date] = set()
    for value in values:
        first, _, last = value.partition("/")
        start = date.fromisoformat(first.strip())
        end = date.fromisoformat(last.strip()) if last else start
        if end < start or (end - start).days > 366:
            raise ValueError(f"bad range {value!r}")
        days.update(start + timedelta(days=n) for n in range((end - start).days + 1))
    return frozenset(days)


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise MembersFileError(str(path), [f"cannot read: {exc.strerror or exc}"]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise MembersFileError(str(path), [f"not valid TOML: {exc}"]) from exc


def load_consortium(path: str | os.PathLike[str]) -> Consortium:
    """The ``[consortium]`` table of a members file."""
    data = _read(Path(path)).get("consortium", {})
    timezone = str(data.get("timezone", DEFAULT_TIMEZONE))
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise MembersFileError(
            str(path),
            [f"[consortium], field timezone: {timezone!r} is not an IANA time zone name"],
        ) from None
    return Consortium(
        code=str(data.get("code", "CONSORTIUM")),
        name_zh=str(data.get("name_zh", "")),
        name_en=str(data.get("name_en", "")),
        currency=str(data.get("currency", "CNY")),
        closed_dates=tuple(str(d) for d in data.get("closed_dates", [])),
        timezone=timezone,
    )


def load_members(path: str | os.PathLike[str]) -> dict[str, Library]:
    """Read and validate a members file: ``{code: Library}`` in file order.

    Raises
    ------
    MembersFileError
        Listing every problem as ``member <code> (#n), field <name>: what is wrong``.
    """
    path = Path(path)
    data = _read(path)
    problems: list[str] = []
    defaults = data.get("defaults", {}).get("policy", {})
    if not isinstance(defaults, dict):
        problems.append("[defaults.policy] must be a table")
        defaults = {}
    entries = data.get("members", [])
    if not isinstance(entries, list) or not entries:
        raise MembersFileError(str(path), ["no [[members]] entries"])
    for key in sorted(set(data) - {"consortium", "defaults", "members"}):
        problems.append(f"unknown top-level table {key!r}")
    members: dict[str, Library] = {}
    for number, entry in enumerate(entries, start=1):
        where = f"member {entry.get('code', '?')!s} (#{number})"
        library = _member(entry, defaults, where, problems)
        if library is None:
            continue
        if library.code in members:
            problems.append(f"{where}, field code: duplicate code {library.code!r}")
            continue
        members[library.code] = library
    if problems:
        raise MembersFileError(str(path), problems)
    return members


def _member(
    entry: Any, defaults: dict[str, Any], where: str, problems: list[str]
) -> Library | None:
    if not isinstance(entry, dict):
        problems.append(f"{where}: must be a table")
        return None
    before = len(problems)
    for key in _REQUIRED:
        if not str(entry.get(key, "")).strip():
            problems.append(f"{where}, field {key}: required")
    for key in sorted(set(entry) - _LIBRARY_KEYS - {"policy"}):
        problems.append(f"{where}, field {key}: unknown field")
    policy_data = {**defaults, **entry.get("policy", {})}
    for key in sorted(set(policy_data) - _POLICY_KEYS):
        problems.append(f"{where}, field policy.{key}: unknown field")
    for problem in _check_values(entry, policy_data):
        problems.append(f"{where}, field {problem}")
    if len(problems) > before:
        return None
    known = {k: v for k, v in entry.items() if k in _LIBRARY_KEYS}
    known["code"] = str(known["code"]).strip()
    policy = LendingPolicy(**{k: v for k, v in policy_data.items() if k in _POLICY_KEYS})
    policy.fees = {k: float(v) for k, v in policy.fees.items()}
    policy.processing_days = float(policy.processing_days)
    return Library(**known, policy=policy)


def _check_values(entry: dict[str, Any], policy: dict[str, Any]) -> Iterator[str]:
    """Yield ``"<field>: <problem>"`` for each bad value of one member."""
    for key in _LIST_OF_STR & set(entry):
        if not _is_str_list(entry[key]):
            yield f"{key}: must be a list of strings"
    for key in _LIST_OF_STR & set(policy):
        if not _is_str_list(policy[key]):
            yield f"policy.{key}: must be a list of strings"
    yield from _check_location(entry)
    if entry.get("role", "member") not in ROLES:
        yield f"role: {entry.get('role')!r} is not one of {', '.join(ROLES)}"
    for key in ("ip_ranges", "iso18626_allow"):
        for cidr in _str_items(entry.get(key, [])):
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                yield f"{key}: {cidr!r} is not an IP address or network"
    key_env = entry.get("iso18626_key_env", "")
    if isinstance(key_env, str) and key_env.startswith("efk_"):
        yield "iso18626_key_env: this is an API key; put it in an environment variable, name that"
    elif not isinstance(key_env, str) or (key_env and not _ENV_NAME.fullmatch(key_env)):
        yield (
            f"iso18626_key_env: {key_env!r} is not an environment variable name"
            " (letters, digits and _; the key itself never goes in this file)"
        )
    yield from _check_policy(policy)


def _check_location(entry: dict[str, Any]) -> Iterator[str]:
    for key, low, high in (("lat", -90.0, 90.0), ("lon", -180.0, 180.0)):
        value = entry.get(key, 0.0)
        if isinstance(value, bool) or not isinstance(value, int | float):
            yield f"{key}: must be a number"
        elif not low <= value <= high:
            yield f"{key}: {value} is outside [{low}, {high}]"


def _check_policy(policy: dict[str, Any]) -> Iterator[str]:
    for key in ("lends", "loans", "copies"):
        if key in policy and not isinstance(policy[key], bool):
            yield f"policy.{key}: must be true or false"
    for value in _str_items(policy.get("formats", [])):
        if value not in FORMATS:
            yield f"policy.formats: {value!r} is not one of {', '.join(FORMATS)}"
    for value in _str_items(policy.get("delivery_methods", [])):
        if value not in DELIVERY_METHODS:
            yield f"policy.delivery_methods: {value!r} is not one of {', '.join(DELIVERY_METHODS)}"
    fees = policy.get("fees", {})
    if not isinstance(fees, dict):
        yield "policy.fees: must be a table of format = amount"
    else:
        for fmt, fee in fees.items():
            if fmt not in FORMATS:
                yield f"policy.fees.{fmt}: {fmt!r} is not a format"
            elif isinstance(fee, bool) or not isinstance(fee, int | float) or fee < 0:
                yield f"policy.fees.{fmt}: must be a number >= 0"
    days = policy.get("processing_days", 1.0)
    if isinstance(days, bool) or not isinstance(days, int | float) or not 0 <= days <= 60:
        yield "policy.processing_days: must be a number of days between 0 and 60"
    timeout = policy.get("timeout_days", 3)
    if isinstance(timeout, bool) or not isinstance(timeout, int) or not 1 <= timeout <= 60:
        yield "policy.timeout_days: must be a whole number of business days between 1 and 60"
    if _is_str_list(policy.get("closed_dates", [])):
        try:
            expand_dates(policy.get("closed_dates", []))
        except ValueError as exc:
            yield f"policy.closed_dates: {exc} (use YYYY-MM-DD or YYYY-MM-DD/YYYY-MM-DD)"


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _str_items(value: Any) -> list[str]:
    return value if _is_str_list(value) else []


class MembersFile:
    """A members file that reloads itself when it changes on disk.

    ``members`` re-reads the file at most every ``check_every`` seconds, and only when its
    modification time or size changed; a broken edit is logged and the last good members
    stay in force. ``version`` grows by one on every successful reload.
    """

    def __init__(self, path: str | os.PathLike[str], *, check_every: float = 1.0) -> None:
        self.path = Path(path)
        self.check_every = check_every
        self.version = 0
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._checked = float("-inf")
        self._members: dict[str, Library] = {}
        self._consortium = Consortium()
        self.reload(force=True)

    @property
    def members(self) -> dict[str, Library]:
        self.reload()
        return self._members

    @property
    def consortium(self) -> Consortium:
        self.reload()
        return self._consortium

    def reload(self, *, force: bool = False) -> bool:
        """Re-read the file if it changed (or ``force``); True when new members were loaded."""
        now = time.monotonic()
        if not force and now - self._checked < self.check_every:
            return False
        with self._lock:
            self._checked = now
            stat = self.path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
            if not force and stamp == self._stamp:
                return False
            try:
                members = load_members(self.path)
                consortium = load_consortium(self.path)
            except MembersFileError:
                if force and self._stamp is None:
                    raise
                log.exception("members file %s is broken; keeping the previous members", self.path)
                self._stamp = stamp
                return False
            self._members, self._consortium, self._stamp = members, consortium, stamp
            self.version += 1
            return True
