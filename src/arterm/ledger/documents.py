"""Document commands: issue invoices, sales notes and credit notes; cancel documents."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..db import tables
from ..domain import catalogs
from ..domain.errors import ConcurrencyError, DomainError, NotFound
from ..domain.money import check_currency, quantize, to_cents, to_decimal
from ..domain.text import clean_line
from ._base import bump_balance, check_date, customer_row, next_sequence, now, start, today
from .allocations import T_DOC, Oldest, Source, apply_plan, reference, reverse_allocations

T_LINE = tables.document_line
DEFAULT_SERIES = {"invoice": "A", "sales_note": "NV", "credit_note": "NC"}
MAX_LINES = 500


@dataclass(frozen=True)
class LineInput:
    description: str
    quantity: Any = "1"
    unit_price: Any = "0"
    tax_rate: Any = "0.16"


@dataclass(frozen=True)
class Totals:
    """Explicit totals (from a CFDI) instead of computing them from lines."""

    subtotal_cents: int
    tax_cents: int
    total_cents: int
    discount_cents: int = 0


@dataclass(frozen=True)
class LineAmounts:
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    amount_cents: int
    tax_cents: int


def compute_line(line: LineInput, index: int = 0, currency: str | None = None,
                 context: str = "document") -> LineAmounts:
    """One line's amounts; a unit price written with a currency code must be in ``currency``."""
    desc = clean_line(line.description, field=f"line {index + 1} description", max_len=1000, required=True)
    qty = to_decimal(line.quantity, field=f"line {index + 1} quantity")
    price = to_decimal(line.unit_price, field=f"line {index + 1} unit price", currency=currency, context=context)
    rate = to_decimal(line.tax_rate, field=f"line {index + 1} tax rate")
    if qty <= 0:
        raise DomainError(f"line {index + 1}: quantity must be greater than zero", field="lines")
    if price < 0:
        raise DomainError(f"line {index + 1}: unit price cannot be negative", field="lines")
    if not Decimal(0) <= rate <= Decimal("0.5"):
        raise DomainError(f"line {index + 1}: tax rate must be between 0 and 0.50 (e.g. 0.16)", field="lines")
    amount = quantize(qty * price, field=f"line {index + 1} amount")
    tax = quantize(amount * rate, field=f"line {index + 1} tax")
    return LineAmounts(desc, qty, price, rate, to_cents(amount, field=f"line {index + 1} amount"),
                       to_cents(tax, field=f"line {index + 1} tax"))


def compute_totals(lines: Sequence[LineInput], currency: str | None = None,
                   context: str = "document") -> tuple[list[LineAmounts], Totals]:
    if not lines:
        raise DomainError("a document needs at least one line", field="lines")
    if len(lines) > MAX_LINES:
        raise DomainError(f"at most {MAX_LINES} lines", field="lines")
    computed = [compute_line(line, i, currency, context) for i, line in enumerate(lines)]
    subtotal = sum(c.amount_cents for c in computed)
    tax = sum(c.tax_cents for c in computed)
    return computed, Totals(subtotal, tax, subtotal + tax)


def _check_uuid(value: str | None) -> str | None:
    if not value:
        return None
    uuid = value.strip().lower()
    if len(uuid) != 36 or uuid.count("-") != 4 or any(c not in "0123456789abcdef-" for c in uuid):
        raise DomainError(f"CFDI UUID {value!r} is not a UUID", field="cfdi_uuid")
    return uuid


def _insert_document(
    session: Connection,
    *,
    log,  # type: ignore[no-untyped-def]
    customer_id: int,
    kind: str,
    lines: Sequence[LineInput],
    issue_date: date,
    due_date: date | None,
    currency: str | None,
    exchange_rate: Any,
    series: str | None,
    folio: str | None,
    metodo_pago: str,
    forma_pago: str,
    cfdi_uuid: str | None,
    contract_id: int | None,
    period_start: date | None,
    description: str,
    totals: Totals | None,
) -> tuple[int, str, int, str, date]:
    if kind not in catalogs.DOCUMENT_KINDS:
        raise DomainError(f"unknown document kind {kind!r}", field="kind")
    customer = customer_row(session, customer_id)
    issue_date = check_date(issue_date, field="issue date")
    due_date = check_date(due_date, field="due date") if due_date else issue_date + timedelta(days=customer.payment_terms_days)
    if due_date < issue_date:
        raise DomainError("due date cannot be before the issue date", field="due_date")
    currency = check_currency(currency or customer.currency)
    rate = to_decimal(exchange_rate if exchange_rate not in (None, "") else "1", field="exchange rate")
    if rate <= 0:
        raise DomainError("exchange rate must be greater than zero", field="exchange_rate")
    if currency == "MXN" and rate != 1:
        raise DomainError("an MXN document has an exchange rate of 1", field="exchange_rate")
    if kind == "sales_note":
        metodo_pago = ""
    else:
        metodo_pago = catalogs.check_metodo_pago(metodo_pago)
    forma_pago = catalogs.check_forma_pago(forma_pago)
    if metodo_pago == "PPD" and forma_pago != "99":
        raise DomainError("a PPD invoice has forma de pago 99 (por definir)", field="forma_pago")
    computed, computed_totals = compute_totals(lines, currency, kind.replace("_", " "))
    if totals is None:
        totals = computed_totals
    if totals.total_cents <= 0:
        raise DomainError("the document total must be greater than zero", field="lines")
    uuid = _check_uuid(cfdi_uuid)
    if uuid and session.execute(sa.select(T_DOC.c.id).where(T_DOC.c.cfdi_uuid == uuid)).first():
        raise DomainError(f"a document with CFDI UUID {uuid} already exists", field="cfdi_uuid")
    series = clean_line(series if series is not None else DEFAULT_SERIES[kind], field="series", max_len=25)
    if folio:
        folio = clean_line(folio, field="folio", max_len=40)
        dup = session.execute(
            sa.select(T_DOC.c.id).where(T_DOC.c.kind == kind, T_DOC.c.series == series, T_DOC.c.folio == folio,
                                        T_DOC.c.cfdi_uuid.is_(None) if not uuid else sa.false())
        ).first()
        if dup:
            raise DomainError(f"{reference(series, folio, 0)} already exists", field="folio")
    else:
        folio = str(next_sequence(session, f"folio:{kind}:{series}"))
    doc_id = session.execute(
        T_DOC.insert().values(
            customer_id=customer_id, kind=kind, series=series, folio=folio, issue_date=issue_date, due_date=due_date,
            currency=currency, exchange_rate=str(rate), subtotal_cents=totals.subtotal_cents,
            discount_cents=totals.discount_cents, tax_cents=totals.tax_cents, total_cents=totals.total_cents,
            balance_cents=totals.total_cents, status="current", metodo_pago=metodo_pago, forma_pago=forma_pago,
            cfdi_uuid=uuid, contract_id=contract_id, period_start=period_start,
            description=clean_line(description, field="description", max_len=500),
            created_at=now(), created_by=log.actor_id, version=1,
        ).returning(T_DOC.c.id)
    ).scalar_one()
    if computed:
        session.execute(
            T_LINE.insert(),
            [
                {"document_id": doc_id, "position": i, "description": c.description, "quantity": str(c.quantity),
                 "unit_price": str(c.unit_price), "tax_rate": str(c.tax_rate), "amount_cents": c.amount_cents,
                 "tax_cents": c.tax_cents}
                for i, c in enumerate(computed)
            ],
        )
    return int(doc_id), reference(series, folio, doc_id), totals.total_cents, currency, issue_date


def issue_document(
    session: Connection,
    *,
    actor: str,
    customer_id: int,
    kind: str = "invoice",
    lines: Sequence[LineInput],
    issue_date: date | None = None,
    due_date: date | None = None,
    currency: str | None = None,
    exchange_rate: Any = None,
    series: str | None = None,
    folio: str | None = None,
    metodo_pago: str = "PPD",
    forma_pago: str = "99",
    cfdi_uuid: str | None = None,
    contract_id: int | None = None,
    period_start: date | None = None,
    description: str = "",
    totals: Totals | None = None,
) -> int:
    """Issue an invoice or a sales note; it is open for its total until paid."""
    if kind not in ("invoice", "sales_note"):
        raise DomainError("use issue_credit_note for credit notes", field="kind")
    log = start(session, actor)
    doc_id, ref, total, currency, issued = _insert_document(
        session, log=log, customer_id=customer_id, kind=kind, lines=lines, issue_date=issue_date or today(),
        due_date=due_date, currency=currency, exchange_rate=exchange_rate, series=series, folio=folio,
        metodo_pago=metodo_pago, forma_pago=forma_pago, cfdi_uuid=cfdi_uuid, contract_id=contract_id,
        period_start=period_start, description=description, totals=totals,
    )
    bump_balance(session, customer_id, currency, open_delta=total)
    log(customer_id, f"{kind}_issued", on_date=issued, document_id=doc_id, contract_id=contract_id,
        amount_cents=total, currency=currency, detail=ref)
    return doc_id


def issue_credit_note(
    session: Connection,
    *,
    actor: str,
    customer_id: int,
    lines: Sequence[LineInput],
    applies_to: Sequence[tuple[int, Any]] | Oldest | None = None,
    issue_date: date | None = None,
    currency: str | None = None,
    exchange_rate: Any = None,
    series: str | None = None,
    folio: str | None = None,
    metodo_pago: str = "PUE",
    forma_pago: str = "15",
    cfdi_uuid: str | None = None,
    description: str = "",
    totals: Totals | None = None,
) -> int:
    """Issue a credit note and apply it to one or more invoices; what is not applied is credit."""
    log = start(session, actor)
    issued = issue_date or today()
    doc_id, ref, total, currency, issued = _insert_document(
        session, log=log, customer_id=customer_id, kind="credit_note", lines=lines, issue_date=issued,
        due_date=issued, currency=currency, exchange_rate=exchange_rate, series=series, folio=folio,
        metodo_pago=metodo_pago, forma_pago=forma_pago, cfdi_uuid=cfdi_uuid, contract_id=None,
        period_start=None, description=description, totals=totals,
    )
    bump_balance(session, customer_id, currency, credit_delta=total)
    applied = apply_plan(session, log, Source(customer_id, currency, credit_note_id=doc_id), applies_to, issued)
    detail = ref + ("; " + ", ".join(f"{r} {a / 100:.2f}" for r, a in applied) if applied else "")
    log(customer_id, "credit_note_issued", on_date=issued, document_id=doc_id, amount_cents=total,
        currency=currency, detail=detail)
    return doc_id


def cancel_document(session: Connection, *, actor: str, document_id: int, reason: str, on: date | None = None) -> None:
    """Cancel an invoice, sales note or credit note, reverting every allocation it took part in."""
    log = start(session, actor)
    reason = clean_line(reason, field="reason", max_len=500, required=True)
    doc = session.execute(sa.select(T_DOC).where(T_DOC.c.id == document_id).with_for_update()).first()
    if doc is None:
        raise NotFound(f"document #{document_id} does not exist", field="document")
    ref = reference(doc.series, doc.folio, doc.id)
    if doc.status == "cancelled":
        raise DomainError(f"{ref} is already cancelled", field="document")
    on = on or today()
    if on < doc.issue_date:
        raise DomainError(f"{ref} cannot be cancelled before its issue date {doc.issue_date.isoformat()}", field="date")
    # Undo its allocations (balances restored everywhere), then take it out of the totals whole:
    # after the reversal an invoice owes (and a credit note offers) its full total again.
    if doc.kind == "credit_note":
        reverse_allocations(session, on=on, credit_note_id=document_id)
        bump_balance(session, doc.customer_id, doc.currency, credit_delta=-doc.total_cents)
    else:
        reverse_allocations(session, on=on, document_id=document_id)
        bump_balance(session, doc.customer_id, doc.currency, open_delta=-doc.total_cents)
    result = session.execute(
        T_DOC.update().where(T_DOC.c.id == document_id, T_DOC.c.status != "cancelled")
        .values(status="cancelled", balance_cents=0, cancelled_on=on, cancel_reason=reason, version=T_DOC.c.version + 1)
    )
    if result.rowcount != 1:
        raise ConcurrencyError(f"{ref} was changed by someone else; nothing was saved")
    log(doc.customer_id, "document_cancelled", on_date=on, document_id=document_id, amount_cents=doc.total_cents,
        currency=doc.currency, detail=f"{ref}: {reason}")
