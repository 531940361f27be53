"""Applying money (a payment or a credit note) to invoices and sales notes, and undoing it.

Every balance change is a conditional UPDATE (``... WHERE balance_cents >= :amount``): under
concurrency the database re-checks the row it locked, so two operators can never apply more than a
document's open balance, on SQLite (serialized writers) or PostgreSQL (row locks, READ COMMITTED).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..db import tables
from ..domain.errors import ConcurrencyError, DomainError, NotFound
from ..domain.money import fmt_cents, positive_cents
from ._base import Log, bump_balance, now

T_DOC = tables.document
T_PAY = tables.payment
T_ALLOC = tables.allocation
RECEIVABLE_KINDS = ("invoice", "sales_note")
INACTIVE_PAYMENT = ("cancelled", "pending", "rejected")

Oldest = Literal["oldest"]


@dataclass(frozen=True)
class Source:
    """Where the money comes from: a payment or a credit note."""

    customer_id: int
    currency: str
    payment_id: int | None = None
    credit_note_id: int | None = None

    @property
    def label(self) -> str:
        return f"payment #{self.payment_id}" if self.payment_id else f"credit note #{self.credit_note_id}"


def reference(series: str, folio: str, doc_id: int) -> str:
    if series or folio:
        return f"{series}-{folio}" if series and folio else (series or folio)
    return f"#{doc_id}"


def doc_reference(session: Connection, doc_id: int) -> str:
    row = session.execute(sa.select(T_DOC.c.series, T_DOC.c.folio).where(T_DOC.c.id == doc_id)).first()
    return reference(row[0], row[1], doc_id) if row else f"#{doc_id}"


def source_available(session: Connection, source: Source) -> int:
    if source.payment_id:
        return int(session.execute(sa.select(T_PAY.c.unapplied_cents).where(T_PAY.c.id == source.payment_id)).scalar_one())
    return int(session.execute(sa.select(T_DOC.c.balance_cents).where(T_DOC.c.id == source.credit_note_id)).scalar_one())


def plan_oldest(session: Connection, source: Source, amount_cents: int) -> list[tuple[int, int]]:
    """Oldest due first (then oldest issue, then id) until the amount is used up."""
    stmt = (
        sa.select(T_DOC.c.id, T_DOC.c.balance_cents)
        .where(
            T_DOC.c.customer_id == source.customer_id,
            T_DOC.c.status == sa.literal_column("'current'"),  # literal: lets SQLite use ix_document_open
            T_DOC.c.kind.in_(RECEIVABLE_KINDS),
            T_DOC.c.currency == source.currency,
            T_DOC.c.balance_cents > 0,
        )
        .order_by(T_DOC.c.due_date, T_DOC.c.issue_date, T_DOC.c.id)
        .with_for_update()
    )
    plan: list[tuple[int, int]] = []
    remaining = amount_cents
    for doc_id, balance in session.execute(stmt):
        if remaining <= 0:
            break
        take = min(remaining, int(balance))
        plan.append((int(doc_id), take))
        remaining -= take
    return plan


def normalize_plan(allocations: Any) -> list[tuple[int, int]]:
    """``[(document_id, amount), ...]`` with amounts parsed exactly; duplicates merged."""
    merged: dict[int, int] = {}
    for item in allocations:
        try:
            doc_id, amount = item
        except (TypeError, ValueError):
            raise DomainError("allocations must be (document, amount) pairs", field="allocations") from None
        merged[int(doc_id)] = merged.get(int(doc_id), 0) + positive_cents(amount, field="allocation amount")
    return list(merged.items())


def allocate(session: Connection, log: Log, source: Source, doc_id: int, amount_cents: int, applied_on: date,
             *, source_amount_cents: int | None = None) -> str:
    """Apply ``amount_cents`` (in the document's currency) of ``source`` to one document.

    When the document and the source are in different currencies (a peso payment of a dollar
    invoice), ``source_amount_cents`` says how much of the source it takes (Pagos' ImpPagado /
    EquivalenciaDR). Returns the document's reference.
    """
    doc = session.execute(
        sa.select(T_DOC.c.customer_id, T_DOC.c.kind, T_DOC.c.currency, T_DOC.c.status, T_DOC.c.balance_cents,
                  T_DOC.c.series, T_DOC.c.folio, T_DOC.c.metodo_pago, T_DOC.c.issue_date)
        .where(T_DOC.c.id == doc_id)
    ).first()
    if doc is None or doc.customer_id != source.customer_id:
        raise NotFound(f"document #{doc_id} does not belong to this customer", field="allocations")
    ref = reference(doc.series, doc.folio, doc_id)
    if doc.kind not in RECEIVABLE_KINDS:
        raise DomainError(f"{ref} is a credit note; only invoices and sales notes can be paid", field="allocations")
    if doc.status == "cancelled":
        raise DomainError(f"{ref} is cancelled", field="allocations")
    if doc.currency != source.currency and source_amount_cents is None:
        raise DomainError(f"{ref} is in {doc.currency}; {source.label} is in {source.currency}", field="allocations")
    taken_cents = amount_cents if source_amount_cents is None else source_amount_cents
    if taken_cents <= 0:
        raise DomainError(f"{ref}: the amount taken from {source.label} must be greater than zero", field="allocations")
    if amount_cents > doc.balance_cents:
        raise DomainError(
            f"{ref} has an open balance of {fmt_cents(doc.balance_cents)}; cannot apply {fmt_cents(amount_cents)}",
            field="allocations",
        )
    # Money cannot be applied before both the document and the money exist.
    if source.payment_id:
        source_date = session.execute(sa.select(T_PAY.c.paid_on).where(T_PAY.c.id == source.payment_id)).scalar_one()
    else:
        source_date = session.execute(sa.select(T_DOC.c.issue_date).where(T_DOC.c.id == source.credit_note_id)).scalar_one()
    applied_on = max(applied_on, doc.issue_date, source_date)
    updated = session.execute(
        T_DOC.update()
        .where(T_DOC.c.id == doc_id, T_DOC.c.status == "current", T_DOC.c.balance_cents >= amount_cents)
        .values(
            balance_cents=T_DOC.c.balance_cents - amount_cents,
            status=sa.case((T_DOC.c.balance_cents - amount_cents == 0, "paid"), else_="current"),
            version=T_DOC.c.version + 1,
        )
    )
    if updated.rowcount != 1:
        raise ConcurrencyError(f"{ref} was paid or changed by someone else at the same time; nothing was saved")
    if source.payment_id:
        taken = session.execute(
            T_PAY.update()
            .where(T_PAY.c.id == source.payment_id, T_PAY.c.unapplied_cents >= taken_cents,
                   T_PAY.c.status.not_in(INACTIVE_PAYMENT))
            .values(
                unapplied_cents=T_PAY.c.unapplied_cents - taken_cents,
                status=sa.case((T_PAY.c.unapplied_cents - taken_cents == 0, "applied"), else_="partial"),
                rep_status=sa.case(
                    (sa.and_(T_PAY.c.rep_status == "not_required", sa.literal(doc.kind == "invoice" and doc.metodo_pago == "PPD")), "pending"),
                    else_=T_PAY.c.rep_status,
                ),
                version=T_PAY.c.version + 1,
            )
        )
    else:
        taken = session.execute(
            T_DOC.update()
            .where(T_DOC.c.id == source.credit_note_id, T_DOC.c.status == "current", T_DOC.c.balance_cents >= taken_cents)
            .values(
                balance_cents=T_DOC.c.balance_cents - taken_cents,
                status=sa.case((T_DOC.c.balance_cents - taken_cents == 0, "paid"), else_="current"),
                version=T_DOC.c.version + 1,
            )
        )
    if taken.rowcount != 1:
        raise DomainError(f"{source.label} does not have {fmt_cents(taken_cents)} left to apply", field="amount")
    session.execute(
        T_ALLOC.insert().values(
            customer_id=source.customer_id, document_id=doc_id, payment_id=source.payment_id,
            credit_note_id=source.credit_note_id, amount_cents=amount_cents, source_amount_cents=taken_cents,
            applied_on=applied_on, created_at=now(), created_by=log.actor_id,
        )
    )
    if doc.currency == source.currency:
        bump_balance(session, source.customer_id, source.currency, open_delta=-amount_cents, credit_delta=-taken_cents)
    else:
        bump_balance(session, source.customer_id, doc.currency, open_delta=-amount_cents)
        bump_balance(session, source.customer_id, source.currency, credit_delta=-taken_cents)
    return ref


def apply_plan(session: Connection, log: Log, source: Source, plan: list[tuple[int, int]] | Oldest | None, applied_on: date) -> list[tuple[str, int]]:
    """Apply a list of (document, amount) or ``"oldest"``; returns (reference, amount) applied."""
    if plan is None:
        return []
    available = source_available(session, source)
    steps = plan_oldest(session, source, available) if plan == "oldest" else normalize_plan(plan)
    total = sum(a for _, a in steps)
    if total > available:
        raise DomainError(
            f"allocations add up to {fmt_cents(total)} but only {fmt_cents(available)} is available", field="allocations"
        )
    return [(allocate(session, log, source, doc_id, amount, applied_on), amount) for doc_id, amount in steps]


def reverse_allocations(session: Connection, *, on: date, document_id: int | None = None, payment_id: int | None = None,
                        credit_note_id: int | None = None) -> int:
    """Undo active allocations to/from one document or payment, restoring every balance.

    Documents get their amounts back (open balance up), payments and credit notes their unapplied
    money (credit up), and the customer's totals follow. Returns how many allocations were undone;
    the caller then removes the cancelled object itself from the totals.
    """
    cond = [T_ALLOC.c.reversed_on.is_(None)]
    if document_id is not None:
        cond.append(T_ALLOC.c.document_id == document_id)
    if payment_id is not None:
        cond.append(T_ALLOC.c.payment_id == payment_id)
    if credit_note_id is not None:
        cond.append(T_ALLOC.c.credit_note_id == credit_note_id)
    source_doc = T_DOC.alias("source_doc")
    rows = session.execute(
        sa.select(T_ALLOC.c.id, T_ALLOC.c.document_id, T_ALLOC.c.amount_cents, T_ALLOC.c.source_amount_cents,
                  T_ALLOC.c.payment_id, T_ALLOC.c.credit_note_id, T_ALLOC.c.customer_id, T_DOC.c.currency,
                  sa.func.coalesce(T_PAY.c.currency, source_doc.c.currency).label("source_currency"))
        .join(T_DOC, T_DOC.c.id == T_ALLOC.c.document_id)
        .outerjoin(T_PAY, T_PAY.c.id == T_ALLOC.c.payment_id)
        .outerjoin(source_doc, source_doc.c.id == T_ALLOC.c.credit_note_id)
        .where(*cond)
        .order_by(T_ALLOC.c.id)
        .with_for_update(of=T_ALLOC)
    ).all()
    for r in rows:
        session.execute(T_ALLOC.update().where(T_ALLOC.c.id == r.id).values(reversed_on=on))
        session.execute(
            T_DOC.update().where(T_DOC.c.id == r.document_id, T_DOC.c.status != "cancelled").values(
                balance_cents=T_DOC.c.balance_cents + r.amount_cents, status="current", version=T_DOC.c.version + 1
            )
        )
        if r.payment_id is not None:
            session.execute(
                T_PAY.update().where(T_PAY.c.id == r.payment_id, T_PAY.c.status != "cancelled").values(
                    unapplied_cents=T_PAY.c.unapplied_cents + r.source_amount_cents,
                    status=sa.case((T_PAY.c.unapplied_cents + r.source_amount_cents == T_PAY.c.amount_cents, "unapplied"),
                                   else_="partial"),
                    version=T_PAY.c.version + 1,
                )
            )
        if r.credit_note_id is not None:
            session.execute(
                T_DOC.update().where(T_DOC.c.id == r.credit_note_id, T_DOC.c.status != "cancelled").values(
                    balance_cents=T_DOC.c.balance_cents + r.source_amount_cents, status="current",
                    version=T_DOC.c.version + 1
                )
            )
        if r.currency == r.source_currency:
            bump_balance(session, r.customer_id, r.currency, open_delta=r.amount_cents, credit_delta=r.source_amount_cents)
        else:
            bump_balance(session, r.customer_id, r.currency, open_delta=r.amount_cents)
            bump_balance(session, r.customer_id, r.source_currency, credit_delta=r.source_amount_cents)
    return len(rows)
