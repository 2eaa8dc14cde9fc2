"""Router and account errors in the reader's language: a display mapping, not a rewrite.

The router (and the staff account store) raise errors with English messages built from
templates (``a 'shipped' event does not apply to a request in state new (possible:
…)``); the router must not import Flask or Babel, and its messages stay English in the
JSON API, logs and ISO 18626. Pages show them through :func:`localise_error`: each
known English template is a pattern here with a catalog message, its parts (library
codes, states, numbers) carried over as named arguments. A message no pattern knows is
shown as it is (English), never dropped. ``tests/i18n/test_error_text.py`` raises the
real errors and checks each is translated, so a reworded router message is noticed.
"""

from __future__ import annotations

import re

from flask_babel import get_locale, gettext

__all__ = ["PATTERNS", "STATE_DESCRIPTIONS", "localise_error", "state_description"]


def _l(message: str) -> str:
    """Marks a catalog message (extracted by its ``_l`` keyword); translated on use."""
    return message


_ID = r"'?(?P<{name}>[^']*?)'?"  # a repr()-quoted value, quotes dropped


def _p(template: str) -> re.Pattern[str]:
    """A full-match pattern; ``{name}`` parts become named groups (a quoted value if the
    template has quotes around it)."""
    escaped = re.escape(template).replace(r"\{", "{").replace(r"\}", "}")
    escaped = re.sub(r"'\{(\w+)\}'", lambda m: _ID.format(name=m[1]), escaped)
    escaped = re.sub(r"\{(\w+)\}", lambda m: f"(?P<{m[1]}>.+?)", escaped)
    return re.compile(f"^{escaped}$", re.S)


#: (English template of the error, the catalog message). Named parts map across.
PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # router.ledger / router.ledger_moves (staff request actions)
    (
        _p("a '{event}' event does not apply to a request in state {state} (possible: {possible})"),
        _l(
            "The action “%(event)s” does not apply to a request in state %(state)s "
            "(possible: %(possible)s)."
        ),
    ),
    (_p("no request '{request}'"), _l("There is no request %(request)s.")),
    (_p("only the scheduler sends this event"), _l("Only the scheduler sends this event.")),
    (_p("the sending library is required"), _l("The sending library is required.")),
    (
        _p("{library} cannot send this event: only the current lender can"),
        _l("%(library)s cannot send this event: only the current lender can."),
    ),
    (
        _p("{library} cannot send this event: only the borrowing library can"),
        _l("%(library)s cannot send this event: only the borrowing library can."),
    ),
    (
        _p(
            "{library} cannot send this event: only the borrowing library or the current lender can"
        ),
        _l(
            "%(library)s cannot send this event: only the borrowing library or the "
            "current lender can."
        ),
    ),
    (
        _p("re-routing needs the library to send to"),
        _l("Re-routing needs the library to send the request to."),
    ),
    # router.requests / router.api / search_app.request_views (request form, API)
    (_p("'{library}' is not a member library"), _l("%(library)s is not a member library.")),
    (_p("no catalogue is configured"), _l("No catalogue is configured.")),
    (_p("no record '{record}'"), _l("There is no record %(record)s.")),
    (
        _p("needs a title, ISSN, ISBN or DOI"),
        _l("The citation needs a title, ISSN, ISBN or DOI."),
    ),
    (_p("must be a date YYYY-MM-DD"), _l("Enter a date as YYYY-MM-DD.")),
    (_p("must be a number >= 0"), _l("Enter a number of 0 or more.")),
    (_p("must be 'copy' or 'loan'"), _l("Choose a copy or a loan.")),
    # router.api_keys (API keys page)
    (_p("a library code is required"), _l("A library code is required.")),
    (
        _p("{library} has no active key '{key}'"),
        _l("%(library)s has no active key %(key)s."),
    ),
    # router.whatif / router.rank (what-if page)
    (
        _p("no catalogue is configured to look the request up again"),
        _l("No catalogue is configured to look the request up again."),
    ),
    (
        _p("record '{record}' is no longer in the catalogue"),
        _l("Record %(record)s is no longer in the catalogue."),
    ),
    (
        _p("the request has neither a record id nor a citation"),
        _l("The request has neither a record id nor a citation."),
    ),
    (_p("weights.{key}: unknown weight"), _l("Weight %(key)s: there is no such weight.")),
    (
        _p("weights.{key}: must be a number >= 0"),
        _l("Weight %(key)s: enter a number of 0 or more."),
    ),
    (
        _p("weights: at least one weight must be above 0"),
        _l("At least one weight must be above 0."),
    ),
    # search_app.counter (usage pages' query arguments)
    (
        _p("{what}: must be a month YYYY-MM, not '{value}'"),
        _l("%(what)s: enter a month as YYYY-MM, not “%(value)s”."),
    ),
    (
        _p("to: {last} must not be before from: {first} (at most 10 years)"),
        _l("To (%(last)s) must not be before from (%(first)s), at most 10 years apart."),
    ),
    (
        _p("report: '{report}' is not one of {reports}"),
        _l("Report %(report)s is not one of %(reports)s."),
    ),
    # search_app.admin_process (holdings uploads)
    (
        _p("use 1-100 letters, digits, spaces and . _ - ( ), starting with a letter or digit"),
        _l("use 1-100 letters, digits, spaces and . _ - ( ), starting with a letter or digit"),
    ),
    (_p("the file is empty"), _l("the file is empty")),
    (
        _p(
            "not a KBART file: the first line must be the KBART header"
            " (publication_title, …, title_id, …)"
        ),
        _l(
            "not a KBART file: the first line must be the KBART header"
            " (publication_title, …, title_id, …)"
        ),
    ),
    (
        _p("not a MARC file (ISO 2709 MARC 21 / UNIMARC, or MARCXML)"),
        _l("not a MARC file (ISO 2709 MARC 21 / UNIMARC, or MARCXML)"),
    ),
    # search_app.staff_store (staff accounts)
    (
        _p("the password needs at least {n} characters"),
        _l("The password needs at least %(n)s characters."),
    ),
    (
        _p("the password must not contain the user name"),
        _l("The password must not contain the user name."),
    ),
    (_p("the password is too repetitive"), _l("The password is too repetitive.")),
    (_p("the role must be one of {roles}"), _l("The role must be one of %(roles)s.")),
    (_p("a {role} account needs its library"), _l("A %(role)s account needs its library.")),
    (_p("the user name '{name}' is taken"), _l("The user name %(name)s is taken.")),
    (_p("no account {user}"), _l("There is no account %(user)s.")),
)


#: ``router/states.toml`` descriptions (staff pages), keyed by state; the English text is
#: the file's own (a test checks they agree).
STATE_DESCRIPTIONS: dict[str, str] = {
    "RequestReceived": _l("Sent to the current lender; waiting for its answer."),
    "ExpectToSupply": _l("The lender expects to supply and is looking for the item."),
    "WillSupply": _l("The lender will supply; the item or copy is being prepared."),
    "Loaned": _l("The lender has shipped the loan; it is with the borrowing library or patron."),
    "Overdue": _l("The loan is past its due date."),
    "CopyCompleted": _l("The copy was delivered."),
    "LoanCompleted": _l("The loan was returned to the lender."),
    "Unfilled": _l(
        "No lender could supply it; the patron was told and offered a purchase suggestion."
    ),
    "Cancelled": _l("Cancelled by the borrowing library or the patron."),
    "Resolved": _l("Answered without lending: full text online, or the patron's own shelf."),
}


def state_description(state: str, english: str) -> str:
    """A state's description in the request's language (``english`` if it is unknown
    or reworded in ``states.toml``)."""
    known = STATE_DESCRIPTIONS.get(state)
    return gettext(known) if known == english else english


def localise_error(message: object) -> str:
    """``message`` (an exception or its text) in the request's language.

    English pages show the English text as raised. A ``prefix: message`` (as the staff
    users page writes ``alice: the role …``) keeps its prefix; an unknown message comes
    back unchanged.
    """
    text = str(message)
    if str(get_locale() or "en").startswith("en"):
        return text
    for pattern, translated in PATTERNS:
        found = pattern.match(text)
        if found:
            return gettext(translated, **found.groupdict())
    prefix, sep, rest = text.partition(": ")
    if sep and rest:
        inner = localise_error(rest)
        if inner != rest:
            return f"{prefix}: {inner}"
    return text
