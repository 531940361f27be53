"""Payment commands: record and allocate, apply existing credit, cancel, record the REP."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..domain import catalogs
from ..domain.errors import DomainError, NotFound
from ..domain.money import check_currency, fmt_cents, positive_cents, to_decimal
from ..domain.text import clean_line
from ._base import bump_balance, check_date, customer_row, now, start, today
from .allocations import T_DOC, T_PAY, Oldest, Source, apply_plan, reverse_allocations, source_available
from .documents import _check_uuid

PAYMENT_STATUS_ACTIVE = ("applied", "partial", "unapplied")


def _describe(applied: list[tuple[str, int]], leftover: int) -> str:
    parts = [f"{ref} {fmt_cents(amount)}" for ref, amount in applied]
    if leftover:
        parts.append(f"credit {fmt_cents(leftover)}")
    return "; ".join(parts)


def record_payment(
    session: Connection,
    *,
    actor: str,
    customer_id: int,
    amount: Any,
    paid_on: date | None = None,
    currency: str | None = None,
    forma_pago: str = "03",
    reference: str = "",
    origin: str = "manual",
    allocations: Sequence[tuple[int, Any]] | Oldest | None = "oldest",
    exchange_rate: Any = None,
    contract_id: int | None = None,
    rep_uuid: str | None = None,
    status: str | None = None,
) -> int:
    """Record a payment and allocate it (to chosen documents, or oldest due first).

    What is not allocated stays as the customer's credit (saldo a favor). ``status="pending"``
    records a direct-debit charge that is not money yet (no allocation, no credit).
    """
    log = start(session, actor)
    customer = customer_row(session, customer_id)
    currency = check_currency(currency or customer.currency)
    amount_cents = positive_cents(amount, field="amount", currency=currency, context="payment")
    paid_on = check_date(paid_on or today(), field="payment date", allow_future=status == "pending")
    forma_pago = catalogs.check_forma_pago(forma_pago, allow_99=False)
    if origin not in catalogs.PAYMENT_ORIGINS:
        raise DomainError(f"unknown payment origin {origin!r}", field="origin")
    rate = to_decimal(exchange_rate if exchange_rate not in (None, "") else "1", field="exchange rate")
    if rate <= 0:
        raise DomainError("exchange rate must be greater than zero", field="exchange_rate")
    reference = clean_line(reference, field="reference", max_len=200)
    rep = _check_uuid(rep_uuid)
    pending = status == "pending"
    if status not in (None, "pending"):
        raise DomainError(f"a new payment cannot start as {status!r}", field="status")
    payment_id = session.execute(
        T_PAY.insert().values(
            customer_id=customer_id, paid_on=paid_on, amount_cents=amount_cents, currency=currency,
            exchange_rate=str(rate), forma_pago=forma_pago, reference=reference, origin=origin,
            status="pending" if pending else "unapplied", unapplied_cents=amount_cents,
            rep_status="issued" if rep else "not_required", rep_uuid=rep, contract_id=contract_id,
            created_at=now(), created_by=log.actor_id, version=1,
        ).returning(T_PAY.c.id)
    ).scalar_one()
    applied: list[tuple[str, int]] = []
    if not pending:
        bump_balance(session, customer_id, currency, credit_delta=amount_cents)
        applied = apply_plan(session, log, Source(customer_id, currency, payment_id=payment_id), allocations, paid_on)
    leftover = amount_cents - sum(a for _, a in applied)
    log(customer_id, "payment_recorded" if not pending else "charge_scheduled", on_date=paid_on,
        payment_id=payment_id, contract_id=contract_id, amount_cents=amount_cents, currency=currency,
        detail=_describe(applied, leftover if not pending else 0))
    return int(payment_id)


def apply_credit(
    session: Connection,
    *,
    actor: str,
    customer_id: int,
    payment_id: int | None = None,
    credit_note_id: int | None = None,
    allocations: Sequence[tuple[int, Any]] | Oldest = "oldest",
    on: date | None = None,
) -> list[tuple[str, int]]:
    """Apply unapplied money of an earlier payment or credit note to open documents."""
    log = start(session, actor)
    if (payment_id is None) == (credit_note_id is None):
        raise DomainError("choose either a payment or a credit note to apply", field="source")
    if payment_id is not None:
        row = session.execute(sa.select(T_PAY.c.customer_id, T_PAY.c.currency, T_PAY.c.status, T_PAY.c.paid_on)
                              .where(T_PAY.c.id == payment_id)).first()
        if row is None or row.customer_id != customer_id:
            raise NotFound(f"payment #{payment_id} does not belong to this customer", field="source")
        if row.status not in PAYMENT_STATUS_ACTIVE:
            raise DomainError(f"payment #{payment_id} is {row.status}", field="source")
    else:
        row = session.execute(sa.select(T_DOC.c.customer_id, T_DOC.c.currency, T_DOC.c.status, T_DOC.c.kind)
                              .where(T_DOC.c.id == credit_note_id)).first()
        if row is None or row.customer_id != customer_id or row.kind != "credit_note":
            raise NotFound(f"credit note #{credit_note_id} does not belong to this customer", field="source")
        if row.status != "current":
            raise DomainError(f"credit note #{credit_note_id} has nothing left to apply", field="source")
    on = check_date(on or today(), field="date", allow_future=False)
    source = Source(customer_id, row.currency, payment_id=payment_id, credit_note_id=credit_note_id)
    if source_available(session, source) <= 0:
        raise DomainError(f"{source.label} has nothing left to apply", field="source")
    applied = apply_plan(session, log, source, allocations, on)
    if not applied:
        raise DomainError("there is no open document to apply this credit to", field="allocations")
    log(customer_id, "credit_applied", on_date=on, payment_id=payment_id, document_id=credit_note_id,
        amount_cents=sum(a for _, a in applied), currency=row.currency, detail=_describe(applied, 0))
    return applied


def cancel_payment(session: Connection, *, actor: str, payment_id: int, reason: str, on: date | None = None) -> None:
    """Cancel a payment: its allocations are reverted and the documents are open again."""
    log = start(session, actor)
    reason = clean_line(reason, field="reason", max_len=500, required=True)
    pay = session.execute(sa.select(T_PAY).where(T_PAY.c.id == payment_id).with_for_update()).first()
    if pay is None:
        raise NotFound(f"payment #{payment_id} does not exist", field="payment")
    if pay.status in ("cancelled", "rejected"):
        raise DomainError(f"payment #{payment_id} is already {pay.status}", field="payment")
    on = on or today()
    if on < pay.paid_on:
        raise DomainError(f"payment #{payment_id} cannot be cancelled before its date {pay.paid_on.isoformat()}", field="date")
    reverse_allocations(session, on=on, payment_id=payment_id)
    if pay.status != "pending":  # a pending direct-debit charge was never counted as credit
        bump_balance(session, pay.customer_id, pay.currency, credit_delta=-pay.amount_cents)
    session.execute(
        T_PAY.update().where(T_PAY.c.id == payment_id).values(
            # a pending direct-debit charge that is called off was never money: it is rejected
            status="rejected" if pay.status == "pending" else "cancelled", unapplied_cents=0, cancelled_on=on, cancel_reason=reason, version=T_PAY.c.version + 1,
            # no REP is owed for a payment that did not happen (an issued one keeps its UUID: it
            # has to be cancelled at the SAT, which is the operator's business)
            rep_status=sa.case((T_PAY.c.rep_status == "pending", "not_required"), else_=T_PAY.c.rep_status),
        )
    )
    log(pay.customer_id, "payment_cancelled", on_date=on, payment_id=payment_id, amount_cents=pay.amount_cents,
        currency=pay.currency, detail=reason)


def set_rep(session: Connection, *, actor: str, payment_id: int, rep_uuid: str) -> None:
    """Record the REP (CFDI de pago) UUID issued for a payment; clears 'REP pending'."""
    log = start(session, actor)
    uuid = _check_uuid(rep_uuid)
    if not uuid:
        raise DomainError("a REP UUID is required", field="rep_uuid")
    pay = session.execute(sa.select(T_PAY.c.customer_id, T_PAY.c.status, T_PAY.c.currency).where(T_PAY.c.id == payment_id)).first()
    if pay is None:
        raise NotFound(f"payment #{payment_id} does not exist", field="payment")
    if pay.status == "cancelled":
        raise DomainError(f"payment #{payment_id} is cancelled", field="payment")
    session.execute(T_PAY.update().where(T_PAY.c.id == payment_id).values(rep_status="issued", rep_uuid=uuid,
                                                                             version=T_PAY.c.version + 1))
    log(pay.customer_id, "rep_recorded", payment_id=payment_id, detail=uuid, with_balance=False)
