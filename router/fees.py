"""The monthly ILL fee statement: what each member owes or is owed, netted.

**Charges.** A request is charged once, to its borrower and in favour of the lender
that shipped it (its rota entry ``supplied``; the request is then ``CopyCompleted``,
``Loaned``, ``Overdue`` or ``LoanCompleted``). It belongs to the month (UTC) of the
shipment. The amount is the lender's fee as recorded on the request when it was decided
(the rota entry's ``facts.fee``: the lender's policy fee for the requested format at
that time); for a lender added by a staff re-route, which has no recorded fee, the
lender's current policy fee for the requested format (``needs.format``) is used, and
the line says so (``fee_source``: ``decision``, ``policy``, or ``none`` when neither
gives a fee). Shipping is not charged.

**Netting.** For each library: credit = fees of what it lent, debit = fees of what it
borrowed, net = credit - debit. Net lenders (net > 0) are credited, net borrowers
(net < 0) pay; the nets of all libraries add up to zero, so the consortium (as clearing
house) pays out exactly what it collects. :attr:`FeeStatement.transfers` also gives
the bilateral view: for each pair of libraries, who owes whom after offsetting both
directions.

Amounts are :class:`~decimal.Decimal`, rounded half-up to 0.01 once per charge.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Mapping
from contextlib import closing
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from mappings.schema import LendingPolicy
from router.ill_stats import FILLED_STATES
from router.ledger import Ledger
from router.queues import connect_readonly, request_title

__all__ = [
    "BALANCE_FIELDS",
    "CHARGE_FIELDS",
    "Balance",
    "Charge",
    "FeeStatement",
    "Transfer",
    "balances_csv",
    "charges_csv",
    "fee_statement",
]

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money(value: Any) -> Decimal:
    """A fee as an exact amount of cents (``None`` or junk is zero)."""
    try:
        return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except ArithmeticError:
        return ZERO


@dataclass(frozen=True, slots=True)
class Charge:
    """One supplied request: ``borrower`` owes ``lender`` ``fee``."""

    request_id: str
    borrower: str
    lender: str
    shipped_at: str
    service: str
    format: str
    fee: Decimal
    fee_source: str  # decision / policy / none
    title: str


@dataclass(slots=True)
class Balance:
    """One library's month: what it lent and borrowed, and its net position."""

    library: str
    lent: int = 0
    credit: Decimal = ZERO
    borrowed: int = 0
    debit: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        return self.credit - self.debit

    @property
    def position(self) -> str:
        """``credited`` (net lender), ``pays`` (net borrower) or ``even``."""
        return "credited" if self.net > 0 else ("pays" if self.net < 0 else "even")


@dataclass(frozen=True, slots=True)
class Transfer:
    """After offsetting both directions, ``payer`` owes ``payee`` ``amount``."""

    payer: str
    payee: str
    amount: Decimal


@dataclass(slots=True)
class FeeStatement:
    month: str
    currency: str
    charges: list[Charge] = field(default_factory=list)
    balances: list[Balance] = field(default_factory=list)
    transfers: list[Transfer] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((c.fee for c in self.charges), ZERO)

    @property
    def collected(self) -> Decimal:
        """What net borrowers pay in (equals what net lenders are credited)."""
        return sum((-b.net for b in self.balances if b.net < 0), ZERO)


def _recorded_fee(decision: dict[str, Any], lender: str) -> Decimal | None:
    for entry in decision.get("rota") or []:
        if entry.get("library") == lender:
            fee = (entry.get("facts") or {}).get("fee")
            return None if fee is None else money(fee)
    return None


def _format(asked: dict[str, Any]) -> str:
    needs = asked.get("needs") or {}
    return str(needs.get("format") or "")


def _charge(row: Any, policies: Mapping[str, LendingPolicy]) -> Charge:
    asked, decision = json.loads(row["request_json"]), json.loads(row["decision_json"])
    fmt = _format(asked)
    fee = _recorded_fee(decision, row["lender"])
    source = "decision"
    if fee is None:
        policy = policies.get(row["lender"])
        known = policy is not None and fmt in policy.fees
        fee = money(policy.fees[fmt]) if known and policy else ZERO
        source = "policy" if known else "none"
    return Charge(
        request_id=row["id"],
        borrower=row["borrower"],
        lender=row["lender"],
        shipped_at=row["answered_at"],
        service=row["service"],
        format=fmt,
        fee=fee,
        fee_source=source,
        title=request_title(asked),
    )


def _transfers(charges: list[Charge]) -> list[Transfer]:
    owed: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for charge in charges:
        owed[charge.borrower, charge.lender] += charge.fee
    found = []
    for a, b in sorted({tuple(sorted(pair)) for pair in owed}):
        net = owed[a, b] - owed[b, a]
        if net > 0:
            found.append(Transfer(a, b, net))
        elif net < 0:
            found.append(Transfer(b, a, -net))
    return found


def fee_statement(
    ledger: Ledger,
    month: str,
    policies: Mapping[str, LendingPolicy] | None = None,
    currency: str = "CNY",
    libraries: list[str] | None = None,
) -> FeeStatement:
    """The statement for ``month`` (``YYYY-MM``): charges, balances and transfers.

    ``policies`` (library → lending policy) prices re-routed supplies; ``libraries``
    lists members to show even without activity.
    """
    placeholders = ",".join("?" * len(FILLED_STATES))
    sql = (
        "SELECT r.id, r.borrower, r.service, r.request_json, r.decision_json,"  # noqa: S608
        " o.library AS lender, o.answered_at FROM rota o JOIN requests r ON r.id = o.request_id"
        f" WHERE o.status = 'supplied' AND r.state IN ({placeholders})"
        " AND substr(o.answered_at, 1, 7) = ? ORDER BY o.answered_at, r.id"
    )
    with closing(connect_readonly(ledger)) as conn:
        rows = conn.execute(sql, (*FILLED_STATES, month)).fetchall()
    charges = [_charge(row, policies or {}) for row in rows]
    balances = {code: Balance(code) for code in libraries or []}
    for charge in charges:
        lender = balances.setdefault(charge.lender, Balance(charge.lender))
        lender.lent += 1
        lender.credit += charge.fee
        borrower = balances.setdefault(charge.borrower, Balance(charge.borrower))
        borrower.borrowed += 1
        borrower.debit += charge.fee
    return FeeStatement(
        month,
        currency,
        charges,
        [balances[code] for code in sorted(balances)],
        _transfers(charges),
    )


BALANCE_FIELDS = (
    "month",
    "library",
    "name",
    "lent",
    "credit",
    "borrowed",
    "debit",
    "net",
    "position",
    "currency",
)
CHARGE_FIELDS = (
    "month",
    "request_id",
    "shipped_at",
    "borrower",
    "lender",
    "service",
    "format",
    "fee",
    "fee_source",
    "currency",
    "title",
)


def _csv(fields: tuple[str, ...], rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def balances_csv(statement: FeeStatement, names: Mapping[str, str] | None = None) -> str:
    """One line per library, then a ``*`` line whose net is zero (UTF-8 with BOM)."""
    names = names or {}
    rows = [
        {
            "month": statement.month,
            "library": b.library,
            "name": names.get(b.library, ""),
            "lent": b.lent,
            "credit": b.credit,
            "borrowed": b.borrowed,
            "debit": b.debit,
            "net": b.net,
            "position": b.position,
            "currency": statement.currency,
        }
        for b in statement.balances
    ]
    total = sum((b.credit for b in statement.balances), ZERO)
    count = len(statement.charges)
    rows.append(
        {
            "month": statement.month,
            "library": "*",
            "name": "total",
            "lent": count,
            "credit": total,
            "borrowed": count,
            "debit": total,
            "net": total - total,
            "position": "",
            "currency": statement.currency,
        }
    )
    return _csv(BALANCE_FIELDS, rows)


def charges_csv(statement: FeeStatement) -> str:
    """One line per charged request (UTF-8 with BOM)."""
    rows = [
        {
            "month": statement.month,
            "request_id": c.request_id,
            "shipped_at": c.shipped_at,
            "borrower": c.borrower,
            "lender": c.lender,
            "service": c.service,
            "format": c.format,
            "fee": c.fee,
            "fee_source": c.fee_source,
            "currency": statement.currency,
            "title": c.title,
        }
        for c in statement.charges
    ]
    return _csv(CHARGE_FIELDS, rows)
