"""The member settings forms: submitted values -> changes for the members file.

Each ``parse_*`` function takes the submitted form (a ``MultiDict``-like mapping with
``get`` and ``getlist``) and returns ``(changes, policy_changes)`` for
:func:`router.members_write.update_member`, or raises :class:`FormErrors` holding one
message per field at fault (the field is the form field's name, so the page shows each
message next to its input), in the request's language. Nothing here touches a file.

- URLs (badge, link resolver) must be absolute ``http``/``https`` with a host.
- IP ranges: one per line, a CIDR network (``162.105.0.0/16``), one address, or a range
  ``first - last`` (stored as the CIDR networks covering exactly that range).
- Embedding domains: host names as CSP host sources — ``lib.example.edu``,
  ``*.example.edu``, ``https://lib.example.edu:8443`` — each label 1-63 letters, digits
  or hyphens; nothing else (no paths, no quotes, no ``;``) can reach the CSP header.
- Lending policy: formats and delivery methods from the router's lists, fees >= 0 per
  format, processing days 0-60, timeout 1-60 business days, closed dates ``YYYY-MM-DD``
  or ``YYYY-MM-DD/YYYY-MM-DD``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import Any, Protocol
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

from mappings.schema import FORMATS
from router.members import DELIVERY_METHODS, expand_dates

__all__ = [
    "FormErrors",
    "parse_institution",
    "parse_ip_ranges",
    "parse_network",
    "parse_policy",
    "parse_resolver",
    "valid_host_source",
]

Changes = tuple[dict[str, Any], dict[str, Any]]
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_HOST_SOURCE = re.compile(
    r"^(?:(?P<scheme>https?)://)?(?P<host>[^/:\s]+)(?::(?P<port>\d{1,5}))?/?$"
)
_METHOD = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


class Form(Protocol):
    def get(self, key: str, default: Any = None) -> Any: ...
    def getlist(self, key: str) -> list[Any]: ...


class FormErrors(ValueError):
    """Field name -> what is wrong with it."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def _text(form: Form, name: str, limit: int) -> str:
    return " ".join(str(form.get(name, "") or "").split())[:limit]


def _lines(form: Form, name: str) -> list[str]:
    raw = str(form.get(name, "") or "")
    items = [part.strip() for line in raw.splitlines() for part in line.split(",")]
    return list(dict.fromkeys(item for item in items if item))


def _url(value: str) -> str | None:
    """The problem with an http(s) URL, or None."""
    if any(c.isspace() for c in value) or '"' in value or "<" in value:
        return _("must not contain spaces, quotes or angle brackets")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return _("must be an absolute http:// or https:// address")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return _("has an invalid port")
    return None


def _optional_url(form: Form, name: str, errors: dict[str, str]) -> str | None:
    value = str(form.get(name, "") or "").strip()
    if not value:
        return None
    problem = _url(value)
    if problem:
        errors[name] = _("%(value)s %(problem)s", value=repr(value), problem=problem)
    return value


def parse_institution(form: Form) -> Changes:
    """Names (zh/en, required), address, badge URL."""
    errors: dict[str, str] = {}
    changes: dict[str, Any] = {}
    for name in ("name_zh", "name_en"):
        changes[name] = _text(form, name, 200)
        if not changes[name]:
            errors[name] = _("required")
    changes["address"] = _text(form, "address", 500) or None
    changes["badge_url"] = _optional_url(form, "badge_url", errors)
    if errors:
        raise FormErrors(errors)
    return changes, {}


def parse_resolver(form: Form) -> Changes:
    """Link-resolver base URL and link text (the image is uploaded separately)."""
    errors: dict[str, str] = {}
    base = _optional_url(form, "resolver_base_url", errors)
    text = _text(form, "resolver_link_text", 100) or None
    if errors:
        raise FormErrors(errors)
    return {"resolver_base_url": base, "resolver_link_text": text}, {}


def parse_ip_ranges(entries: Iterable[str]) -> tuple[list[str], list[str]]:
    """``(networks, problems)``: each entry as CIDR text, ranges summarised."""
    networks: list[str] = []
    problems: list[str] = []
    for entry in entries:
        first, dash, last = entry.partition("-")
        try:
            if dash:
                start, end = ipaddress.ip_address(first.strip()), ipaddress.ip_address(last.strip())
                if start.version != end.version or end < start:
                    raise ValueError("bad order")
                found = ipaddress.summarize_address_range(start, end)  # type: ignore[arg-type]
                networks += [str(net) for net in found]
            else:
                networks.append(str(ipaddress.ip_network(entry, strict=False)))
        except (ValueError, TypeError):
            problems.append(entry)
    return list(dict.fromkeys(networks)), problems


def valid_host_source(entry: str) -> bool:
    """Is ``entry`` a host name (optionally ``*.`` wildcard, scheme, port)?"""
    match = _HOST_SOURCE.match(entry)
    if not match:
        return False
    host = match["host"].lower().rstrip(".")
    if host.startswith("*."):
        host = host[2:]
        if "." not in host:
            return False
    if match["port"] and not 0 < int(match["port"]) < 65536:
        return False
    labels = host.split(".")
    if host == "localhost":
        return True
    return len(host) <= 253 and len(labels) >= 2 and all(_LABEL.match(lab) for lab in labels)


def parse_network(form: Form) -> Changes:
    """IP ranges and the domains allowed to embed the portal."""
    errors: dict[str, str] = {}
    networks, bad = parse_ip_ranges(_lines(form, "ip_ranges"))
    if bad:
        errors["ip_ranges"] = _(
            "not an IP address, CIDR network or range (first - last): %(entries)s",
            entries=", ".join(bad),
        )
    domains = _lines(form, "embed_domains")
    wrong = [d for d in domains if not valid_host_source(d)]
    if wrong:
        errors["embed_domains"] = _("not a host name: %(entries)s", entries=", ".join(wrong))
    if errors:
        raise FormErrors(errors)
    return {"ip_ranges": networks, "embed_domains": [d.rstrip("/") for d in domains]}, {}


def _number(form: Form, name: str, low: float, high: float, errors: dict[str, str]) -> float:
    raw = str(form.get(name, "") or "").strip()
    try:
        value = float(raw)
    except ValueError:
        errors[name] = _("%(value)s is not a number", value=repr(raw))
        return low
    if not low <= value <= high:
        errors[name] = _("must be between %(low)s and %(high)s", low=f"{low:g}", high=f"{high:g}")
    return value


def _policy_lists(form: Form, errors: dict[str, str]) -> dict[str, Any]:
    formats = [f for f in form.getlist("formats") if f]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        errors["formats"] = _("unknown format(s): %(formats)s", formats=", ".join(unknown))
    methods = [m for m in form.getlist("delivery_methods") if m]
    if [m for m in methods if m not in DELIVERY_METHODS]:
        errors["delivery_methods"] = _(
            "choose from %(methods)s", methods=", ".join(DELIVERY_METHODS)
        )
    payments = _lines(form, "payment_methods")
    if [p for p in payments if not _METHOD.match(p)]:
        errors["payment_methods"] = _("use short lower-case words (deposit, invoice, card ...)")
    closed = _lines(form, "closed_dates")
    try:
        expand_dates(closed)
    except ValueError as exc:
        errors["closed_dates"] = _(
            "%(error)s: use YYYY-MM-DD or YYYY-MM-DD/YYYY-MM-DD", error=str(exc)
        )
    return {
        "formats": formats,
        "delivery_methods": methods,
        "payment_methods": payments,
        "closed_dates": closed,
    }


def _contacts(form: Form, errors: dict[str, str]) -> dict[str, Any]:
    email = str(form.get("ill_email", "") or "").strip()
    if email:
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError as exc:
            errors["ill_email"] = _("not a valid e-mail address: %(error)s", error=str(exc))
    phone = _text(form, "ill_phone", 40)
    if phone and not re.fullmatch(r"[0-9+()./ -]{3,40}", phone):
        errors["ill_phone"] = _("use digits, spaces and + ( ) - . / only")
    return {
        "ill_contact": _text(form, "ill_contact", 200) or None,
        "ill_email": email or None,
        "ill_phone": phone or None,
    }


def parse_policy(form: Form) -> Changes:
    """The lending policy (as the router uses it) and the ILL contacts."""
    errors: dict[str, str] = {}
    policy: dict[str, Any] = {
        "lends": form.get("lends") == "on",
        "loans": form.get("loans") == "on",
        "copies": form.get("copies") == "on",
        **_policy_lists(form, errors),
    }
    fees: dict[str, float] = {}
    for fmt in FORMATS:
        if str(form.get(f"fee_{fmt}", "") or "").strip():
            fees[fmt] = _number(form, f"fee_{fmt}", 0, 1_000_000, errors)
    policy["fees"] = fees
    policy["processing_days"] = _number(form, "processing_days", 0, 60, errors)
    timeout = _number(form, "timeout_days", 1, 60, errors)
    if "timeout_days" not in errors and timeout != int(timeout):
        errors["timeout_days"] = _("must be a whole number of business days")
    policy["timeout_days"] = int(timeout)
    contacts = _contacts(form, errors)
    if errors:
        raise FormErrors(errors)
    return contacts, policy
