"""Read models of the customer profile that ``queries.lists`` / ``queries.balances`` do not cover.

- ``payment_summary``: money received per currency in the last 30 / 90 days and the year to date.
- ``rep_pending`` / ``count_rep_pending``: payments whose REP (CFDI de pago) is still owed, with
  the SAT deadline (5th day of the next month) and the days left (negative: days late).
- ``list_contract_summaries``: contracts with their next billing date (the first period that has
  no invoice yet, from ``domain.schedule``).
- ``list_credit_notes``: credit notes with what each one was applied to.
- ``count_*``: row counts for the paged profile lists (the TUI's virtual tables need them).

Everything returns frozen dataclasses; no textual imports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..domain.schedule import next_billing_date, next_period
from ._tables import ACTIVE_PAYMENT, T_ACT, T_CONTRACT, T_DOC, T_NOTE, T_PAY
from .lists import (
    AllocationRow,
    ContractRow,
    DocumentRow,
    _contract_row,
    credit_note_applications,
    list_documents,
    rep_deadline,
)

__all__ = [
    "ContractSummary",
    "CreditNoteRow",
    "PaymentTotals",
    "RepPending",
    "count_activity",
    "count_contracts",
    "count_notes",
    "count_open_documents",
    "count_payments",
    "count_rep_pending",
    "list_contract_summaries",
    "list_credit_notes",
    "next_unbilled_date",
    "payment_summary",
    "rep_pending",
]

REP_OWED_EXCLUDED = ("cancelled", "rejected", "pending")


@dataclass(frozen=True)
class PaymentTotals:
    """Money received in one currency (active payments only: not cancelled, rejected or scheduled)."""

    currency: str
    last_30: int
    count_30: int
    last_90: int
    count_90: int
    year_to_date: int
    count_ytd: int
    last_paid_on: date | None


@dataclass(frozen=True)
class RepPending:
    payment_id: int
    paid_on: date
    amount: int
    currency: str
    forma_pago: str
    reference: str
    deadline: date
    days_left: int  # days until the deadline as of the query date; negative = days late


@dataclass(frozen=True)
class ContractSummary:
    contract: ContractRow
    next_billing: date | None  # None: ended, paused or no period left
    billed_periods: int
    last_period_start: date | None


@dataclass(frozen=True)
class CreditNoteRow:
    document: DocumentRow
    applications: tuple[AllocationRow, ...]  # active and reversed, oldest first


# ------------------------------------------------------------------------------------- counts
def count_payments(session: Connection, customer_id: int) -> int:
    return int(session.execute(sa.select(sa.func.count()).where(T_PAY.c.customer_id == customer_id)).scalar_one())


def count_activity(session: Connection, customer_id: int) -> int:
    return int(session.execute(sa.select(sa.func.count()).where(T_ACT.c.customer_id == customer_id)).scalar_one())


def count_notes(session: Connection, customer_id: int) -> int:
    return int(session.execute(sa.select(sa.func.count()).where(T_NOTE.c.customer_id == customer_id)).scalar_one())


def count_open_documents(session: Connection, customer_id: int,
                         kinds: tuple[str, ...] = ("invoice", "sales_note")) -> int:
    """How many rows ``lists.list_documents(..., only_open=True)`` pages through."""
    return int(session.execute(
        sa.select(sa.func.count()).where(T_DOC.c.customer_id == customer_id, T_DOC.c.kind.in_(kinds),
                                         T_DOC.c.status == "current", T_DOC.c.balance_cents > 0)
    ).scalar_one())


def count_contracts(session: Connection, customer_id: int) -> int:
    return int(session.execute(sa.select(sa.func.count()).where(T_CONTRACT.c.customer_id == customer_id)).scalar_one())


# ------------------------------------------------------------------------------ payment summary
def payment_summary(session: Connection, customer_id: int, *, as_of: date) -> tuple[PaymentTotals, ...]:
    """Per currency (sorted): totals and counts of the last 30 days (``as_of`` and the 29 days
    before), the last 90 days and the calendar year to date; plus the last payment date.
    Payments dated after ``as_of`` are ignored."""
    d30 = as_of - timedelta(days=29)
    d90 = as_of - timedelta(days=89)
    jan1 = date(as_of.year, 1, 1)
    amount = T_PAY.c.amount_cents

    def window(start: date):  # type: ignore[no-untyped-def]
        cond = T_PAY.c.paid_on >= start
        return (sa.func.coalesce(sa.func.sum(sa.case((cond, amount), else_=0)), 0),
                sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0))

    s30, c30 = window(d30)
    s90, c90 = window(d90)
    sy, cy = window(jan1)
    stmt = (
        sa.select(T_PAY.c.currency, s30, c30, s90, c90, sy, cy, sa.func.max(T_PAY.c.paid_on))
        .where(T_PAY.c.customer_id == customer_id, T_PAY.c.status.in_(ACTIVE_PAYMENT), T_PAY.c.paid_on <= as_of)
        .group_by(T_PAY.c.currency)
        .order_by(T_PAY.c.currency)
    )
    return tuple(
        PaymentTotals(cur, int(a30), int(n30), int(a90), int(n90), int(ay), int(ny), last)
        for cur, a30, n30, a90, n90, ay, ny, last in session.execute(stmt)
    )


# ----------------------------------------------------------------------------------------- REP
def _rep_cond(customer_id: int):  # type: ignore[no-untyped-def]
    return sa.and_(T_PAY.c.customer_id == customer_id, T_PAY.c.rep_status == "pending",
                   T_PAY.c.status.not_in(REP_OWED_EXCLUDED))


def count_rep_pending(session: Connection, customer_id: int) -> int:
    return int(session.execute(sa.select(sa.func.count()).where(_rep_cond(customer_id))).scalar_one())


def rep_pending(session: Connection, customer_id: int, *, as_of: date, offset: int = 0, limit: int = 50) -> list[RepPending]:
    """Payments still owing their REP, the most urgent (oldest payment) first."""
    stmt = (
        sa.select(T_PAY.c.id, T_PAY.c.paid_on, T_PAY.c.amount_cents, T_PAY.c.currency, T_PAY.c.forma_pago,
                  T_PAY.c.reference)
        .where(_rep_cond(customer_id))
        .order_by(T_PAY.c.paid_on, T_PAY.c.id)
        .offset(max(0, offset))
        .limit(max(0, limit))
    )
    out = []
    for pid, paid_on, cents, cur, forma, ref in session.execute(stmt):
        deadline = rep_deadline(paid_on)
        out.append(RepPending(int(pid), paid_on, int(cents), cur, forma, ref, deadline, (deadline - as_of).days))
    return out


# ----------------------------------------------------------------------------------- contracts
def next_unbilled_date(contract: ContractRow, last_period_start: date | None) -> date | None:
    """Billing date of the first period after ``last_period_start`` (the latest period invoiced),
    or of the first period when nothing was invoiced yet. ``None`` when the contract is not active
    or has no period left."""
    if contract.status != "active":
        return None
    kw = {"billing_day": contract.billing_day, "end": contract.end_date, "count": contract.periods}
    if last_period_start is None:
        return next_billing_date(contract.start_date, contract.frequency,
                                 after=contract.start_date - timedelta(days=1), **kw)
    # The period that started on last_period_start bills on or after that day; the next one after it.
    period = next_period(contract.start_date, contract.frequency, after=last_period_start - timedelta(days=1), **kw)
    for _ in range(4):  # billing dates can touch the next period's start: step past the billed one
        if period is None or period.start > last_period_start:
            break
        period = next_period(contract.start_date, contract.frequency, after=period.billing_date, **kw)
    return None if period is None else period.billing_date


def list_contract_summaries(session: Connection, customer_id: int, *, offset: int = 0,
                            limit: int = 200) -> list[ContractSummary]:
    """The customer's contracts (active first, then by id) with their next billing date."""
    billed = (
        sa.select(T_DOC.c.contract_id, sa.func.count().label("n"), sa.func.max(T_DOC.c.period_start).label("last"))
        .where(T_DOC.c.customer_id == customer_id, T_DOC.c.contract_id.is_not(None), T_DOC.c.period_start.is_not(None))
        .group_by(T_DOC.c.contract_id)
        .subquery("billed")
    )
    order = sa.case((T_CONTRACT.c.status == "active", 0), (T_CONTRACT.c.status == "paused", 1), else_=2)
    stmt = (
        sa.select(T_CONTRACT, billed.c.n, billed.c.last)
        .outerjoin(billed, billed.c.contract_id == T_CONTRACT.c.id)
        .where(T_CONTRACT.c.customer_id == customer_id)
        .order_by(order, T_CONTRACT.c.id)
        .offset(max(0, offset))
        .limit(max(0, limit))
    )
    out = []
    for r in session.execute(stmt):
        row = _contract_row(r)
        last = r._mapping["last"]
        out.append(ContractSummary(row, next_unbilled_date(row, last), int(r._mapping["n"] or 0), last))
    return out


# -------------------------------------------------------------------------------- credit notes
def list_credit_notes(session: Connection, customer_id: int, *, as_of: date, offset: int = 0,
                      limit: int = 200) -> list[CreditNoteRow]:
    """Credit notes, newest first, each with the documents it was applied to."""
    docs = list_documents(session, customer_id, kinds=("credit_note",), offset=offset, limit=limit, as_of=as_of)
    apps = credit_note_applications(session, [d.id for d in docs])
    return [CreditNoteRow(d, tuple(apps.get(d.id, ()))) for d in docs]
