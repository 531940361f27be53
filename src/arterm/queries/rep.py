"""Payments still waiting for their REP (CFDI de pago), with the SAT deadline and days left.

Every payment applied to a PPD invoice needs a REP issued by the 5th calendar day of the month
after the payment (``queries.lists.rep_deadline``). The ledger marks such payments
``rep_status = 'pending'`` when it allocates them; recording the REP UUID (``ledger.set_rep``,
``arterm rep set``, or importing the REP CFDI) sets it to ``issued``. Cancelled payments and
direct-debit charges that are not money yet are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ._tables import ACTIVE_PAYMENT, T_ALLOC, T_CUSTOMER, T_DOC, T_OP, T_PAY
from .lists import reference, rep_deadline

__all__ = ["RepPendingRow", "rep_pending", "count_rep_pending", "rep_deadline", "days_left"]


@dataclass(frozen=True)
class RepPendingRow:
    payment_id: int
    customer_id: int
    identifier: str
    name: str
    rfc: str
    assigned: str  # operator username, "" when unassigned
    paid_on: date
    amount: int  # centavos
    currency: str
    forma_pago: str
    reference: str
    invoices: tuple[str, ...]  # the PPD invoices it paid (references)
    deadline: date
    days_left: int  # deadline − as_of: 0 = due today, negative = days late

    @property
    def late(self) -> bool:
        return self.days_left < 0

    @property
    def days_late(self) -> int:
        return max(0, -self.days_left)


def days_left(paid_on: date, as_of: date) -> int:
    """Days from ``as_of`` to the REP deadline of a payment made on ``paid_on`` (negative: late)."""
    return (rep_deadline(paid_on) - as_of).days


def _filters(assigned: str | None, customer_id: int | None) -> list[sa.ColumnElement[bool]]:
    cond: list[sa.ColumnElement[bool]] = [T_PAY.c.rep_status == "pending", T_PAY.c.status.in_(ACTIVE_PAYMENT)]
    if customer_id is not None:
        cond.append(T_PAY.c.customer_id == customer_id)
    if assigned:
        cond.append(T_CUSTOMER.c.assigned_operator_id == sa.select(T_OP.c.id).where(T_OP.c.username == assigned)
                    .scalar_subquery())
    return cond


def count_rep_pending(session: Connection, *, assigned: str | None = None, customer_id: int | None = None) -> int:
    stmt = (sa.select(sa.func.count()).select_from(T_PAY.join(T_CUSTOMER, T_CUSTOMER.c.id == T_PAY.c.customer_id))
            .where(*_filters(assigned, customer_id)))
    return int(session.execute(stmt).scalar_one())


def rep_pending(session: Connection, *, as_of: date, assigned: str | None = None, customer_id: int | None = None,
                offset: int = 0, limit: int = 500) -> list[RepPendingRow]:
    """Payments whose REP is pending, most urgent first (oldest payment month first)."""
    stmt = (
        sa.select(T_PAY.c.id, T_PAY.c.customer_id, T_CUSTOMER.c.identifier, T_CUSTOMER.c.name, T_CUSTOMER.c.rfc,
                  T_OP.c.username, T_PAY.c.paid_on, T_PAY.c.amount_cents, T_PAY.c.currency, T_PAY.c.forma_pago,
                  T_PAY.c.reference)
        .join(T_CUSTOMER, T_CUSTOMER.c.id == T_PAY.c.customer_id)
        .outerjoin(T_OP, T_OP.c.id == T_CUSTOMER.c.assigned_operator_id)
        .where(*_filters(assigned, customer_id))
        .order_by(T_PAY.c.paid_on, T_PAY.c.id)
        .offset(offset)
        .limit(limit)
    )
    rows = session.execute(stmt).all()
    invoices: dict[int, list[str]] = {int(r.id): [] for r in rows}
    if invoices:
        for pay_id, series, folio, doc_id in session.execute(
            sa.select(T_ALLOC.c.payment_id, T_DOC.c.series, T_DOC.c.folio, T_DOC.c.id)
            .join(T_DOC, T_DOC.c.id == T_ALLOC.c.document_id)
            .where(T_ALLOC.c.payment_id.in_(list(invoices)), T_ALLOC.c.reversed_on.is_(None),
                   T_DOC.c.kind == "invoice", T_DOC.c.metodo_pago == "PPD")
            .order_by(T_ALLOC.c.payment_id, T_DOC.c.issue_date, T_DOC.c.id)
        ):
            refs = invoices[int(pay_id)]
            ref = reference(series, folio, doc_id)
            if ref not in refs:
                refs.append(ref)
    out = []
    for r in rows:
        deadline = rep_deadline(r.paid_on)
        out.append(RepPendingRow(
            int(r.id), int(r.customer_id), r.identifier, r.name, r.rfc, r.username or "", r.paid_on,
            int(r.amount_cents), r.currency, r.forma_pago, r.reference, tuple(invoices[int(r.id)]), deadline,
            (deadline - as_of).days))
    return out
