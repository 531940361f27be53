"""The profile's lists, paged: documents (sales), payments, credit notes, contracts, notes, activity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..domain.errors import NotFound
from ._tables import DOC_OPEN, T_ACT, T_ALLOC, T_CONTRACT, T_DOC, T_LINE, T_NOTE, T_OP, T_PAY


def reference(series: str, folio: str, doc_id: int) -> str:
    if series or folio:
        return f"{series}-{folio}" if series and folio else (series or folio)
    return f"#{doc_id}"


def display_status(status: str, due: date, as_of: date) -> str:
    """current | overdue | paid | cancelled (overdue derived from the due date)."""
    if status == "current" and due < as_of:
        return "overdue"
    return status


@dataclass(frozen=True)
class DocumentRow:
    id: int
    kind: str
    reference: str
    issue_date: date
    due_date: date
    currency: str
    total: int
    balance: int
    status: str  # current | overdue | paid | cancelled
    metodo_pago: str
    cfdi_uuid: str | None
    contract_id: int | None
    days_overdue: int


@dataclass(frozen=True)
class AllocationRow:
    id: int
    document_id: int
    document_ref: str
    payment_id: int | None
    credit_note_id: int | None
    source_ref: str
    amount: int
    applied_on: date
    reversed_on: date | None


@dataclass(frozen=True)
class LineRow:
    description: str
    quantity: str
    unit_price: str
    tax_rate: str
    amount: int
    tax: int


@dataclass(frozen=True)
class DocumentDetail:
    row: DocumentRow
    customer_id: int
    subtotal: int
    discount: int
    tax: int
    forma_pago: str
    exchange_rate: str
    description: str
    cancel_reason: str
    lines: tuple[LineRow, ...]
    allocations: tuple[AllocationRow, ...]  # money received (invoice) or given (credit note)


@dataclass(frozen=True)
class PaymentRow:
    id: int
    paid_on: date
    amount: int
    unapplied: int
    currency: str
    status: str
    rep_status: str
    rep_uuid: str | None
    rep_deadline: date | None
    origin: str
    forma_pago: str
    reference: str
    contract_id: int | None


@dataclass(frozen=True)
class ContractRow:
    id: int
    customer_id: int
    description: str
    frequency: str
    amount: int
    tax_rate: str
    currency: str
    direct_debit: bool
    dd_forma_pago: str
    dd_reference: str
    start_date: date
    end_date: date | None
    periods: int | None
    billing_day: int | None
    payment_terms_days: int | None
    metodo_pago: str
    status: str
    status_reason: str


@dataclass(frozen=True)
class NoteRow:
    id: int
    document_id: int | None
    document_ref: str
    author: str
    text: str
    created_at: datetime


@dataclass(frozen=True)
class ActivityRow:
    id: int
    at: datetime
    on_date: date
    kind: str
    actor: str
    document_id: int | None
    document_ref: str
    document_status: str
    payment_id: int | None
    amount: int | None
    currency: str
    balance_after: int | None
    credit_after: int | None
    detail: str


def rep_deadline(paid_on: date) -> date:
    """A REP is due by the 5th calendar day of the month after the payment (``date.max`` for a
    payment stored in December 9999: a bad row must not break the lists that show it)."""
    if paid_on.year == date.max.year and paid_on.month == 12:
        return date.max
    return date(paid_on.year + (paid_on.month == 12), paid_on.month % 12 + 1, 5)


def _doc_row(r, as_of: date) -> DocumentRow:  # type: ignore[no-untyped-def]
    status = display_status(r.status, r.due_date, as_of)
    return DocumentRow(r.id, r.kind, reference(r.series, r.folio, r.id), r.issue_date, r.due_date, r.currency,
                       int(r.total_cents), int(r.balance_cents), status, r.metodo_pago, r.cfdi_uuid, r.contract_id,
                       (as_of - r.due_date).days if status == "overdue" else 0)


_DOC_COLS = (T_DOC.c.id, T_DOC.c.kind, T_DOC.c.series, T_DOC.c.folio, T_DOC.c.issue_date, T_DOC.c.due_date,
             T_DOC.c.currency, T_DOC.c.total_cents, T_DOC.c.balance_cents, T_DOC.c.status, T_DOC.c.metodo_pago,
             T_DOC.c.cfdi_uuid, T_DOC.c.contract_id)


def list_documents(session: Connection, customer_id: int, *, kinds: tuple[str, ...] = ("invoice", "sales_note"),
                   only_open: bool = False, offset: int = 0, limit: int = 200, as_of: date | None = None) -> list[DocumentRow]:
    as_of = as_of or date.today()
    stmt = sa.select(*_DOC_COLS).where(T_DOC.c.customer_id == customer_id, T_DOC.c.kind.in_(kinds))
    if only_open:
        stmt = stmt.where(DOC_OPEN, T_DOC.c.balance_cents > 0).order_by(T_DOC.c.due_date, T_DOC.c.id)
    else:
        stmt = stmt.order_by(T_DOC.c.issue_date.desc(), T_DOC.c.id.desc())
    return [_doc_row(r, as_of) for r in session.execute(stmt.offset(offset).limit(limit))]


def count_documents(session: Connection, customer_id: int, *, kinds: tuple[str, ...] = ("invoice", "sales_note")) -> int:
    return int(session.execute(sa.select(sa.func.count()).where(T_DOC.c.customer_id == customer_id, T_DOC.c.kind.in_(kinds))).scalar_one())


def _allocations(session: Connection, cond, as_of: date) -> tuple[AllocationRow, ...]:  # type: ignore[no-untyped-def]
    target = T_DOC.alias("target")
    cn = T_DOC.alias("cn")
    rows = session.execute(
        sa.select(T_ALLOC.c.id, T_ALLOC.c.document_id, target.c.series, target.c.folio, T_ALLOC.c.payment_id,
                  T_ALLOC.c.credit_note_id, cn.c.series.label("cs"), cn.c.folio.label("cf"), T_ALLOC.c.amount_cents,
                  T_ALLOC.c.applied_on, T_ALLOC.c.reversed_on)
        .join(target, target.c.id == T_ALLOC.c.document_id)
        .outerjoin(cn, cn.c.id == T_ALLOC.c.credit_note_id)
        .where(cond)
        .order_by(T_ALLOC.c.applied_on, T_ALLOC.c.id)
    )
    out = []
    for r in rows:
        src = f"#{r.payment_id}" if r.payment_id else reference(r.cs or "", r.cf or "", r.credit_note_id or 0)
        out.append(AllocationRow(r.id, r.document_id, reference(r.series, r.folio, r.document_id), r.payment_id,
                                 r.credit_note_id, src, int(r.amount_cents), r.applied_on, r.reversed_on))
    return tuple(out)


def document_detail(session: Connection, document_id: int, *, as_of: date | None = None) -> DocumentDetail:
    as_of = as_of or date.today()
    r = session.execute(sa.select(T_DOC).where(T_DOC.c.id == document_id)).first()
    if r is None:
        raise NotFound(f"document #{document_id} does not exist")
    lines = tuple(
        LineRow(x.description, x.quantity, x.unit_price, x.tax_rate, int(x.amount_cents), int(x.tax_cents))
        for x in session.execute(sa.select(T_LINE).where(T_LINE.c.document_id == document_id).order_by(T_LINE.c.position))
    )
    cond = T_ALLOC.c.credit_note_id == document_id if r.kind == "credit_note" else T_ALLOC.c.document_id == document_id
    return DocumentDetail(_doc_row(r, as_of), r.customer_id, int(r.subtotal_cents), int(r.discount_cents),
                          int(r.tax_cents), r.forma_pago, r.exchange_rate, r.description, r.cancel_reason, lines,
                          _allocations(session, cond, as_of))


def credit_note_applications(session: Connection, credit_note_ids: list[int]) -> dict[int, list[AllocationRow]]:
    out: dict[int, list[AllocationRow]] = {i: [] for i in credit_note_ids}
    if credit_note_ids:
        for a in _allocations(session, T_ALLOC.c.credit_note_id.in_(credit_note_ids), date.today()):
            out[a.credit_note_id].append(a)  # type: ignore[index]
    return out


def _pay_row(r) -> PaymentRow:  # type: ignore[no-untyped-def]
    rep_status = r.rep_status
    if rep_status == "pending" and r.status in ("cancelled", "rejected"):
        rep_status = "not_required"  # cancelled by a version that left the REP pending: none is owed
    deadline = rep_deadline(r.paid_on) if rep_status == "pending" else None
    return PaymentRow(r.id, r.paid_on, int(r.amount_cents), int(r.unapplied_cents), r.currency, r.status, rep_status,
                      r.rep_uuid, deadline, r.origin, r.forma_pago, r.reference, r.contract_id)


def list_payments(session: Connection, customer_id: int, *, offset: int = 0, limit: int = 200) -> list[PaymentRow]:
    stmt = (sa.select(T_PAY).where(T_PAY.c.customer_id == customer_id)
            .order_by(T_PAY.c.paid_on.desc(), T_PAY.c.id.desc()).offset(offset).limit(limit))
    return [_pay_row(r) for r in session.execute(stmt)]


def payment_detail(session: Connection, payment_id: int) -> tuple[PaymentRow, tuple[AllocationRow, ...], int]:
    r = session.execute(sa.select(T_PAY).where(T_PAY.c.id == payment_id)).first()
    if r is None:
        raise NotFound(f"payment #{payment_id} does not exist")
    return _pay_row(r), _allocations(session, T_ALLOC.c.payment_id == payment_id, date.today()), r.customer_id


def _contract_row(r) -> ContractRow:  # type: ignore[no-untyped-def]
    return ContractRow(r.id, r.customer_id, r.description, r.frequency, int(r.amount_cents), r.tax_rate, r.currency,
                       bool(r.direct_debit), r.dd_forma_pago, r.dd_reference, r.start_date, r.end_date, r.periods,
                       r.billing_day, r.payment_terms_days, r.metodo_pago, r.status, r.status_reason)


def list_contracts(session: Connection, customer_id: int | None = None, *, offset: int = 0, limit: int = 500) -> list[ContractRow]:
    stmt = sa.select(T_CONTRACT)
    if customer_id is not None:
        stmt = stmt.where(T_CONTRACT.c.customer_id == customer_id)
    return [_contract_row(r) for r in session.execute(stmt.order_by(T_CONTRACT.c.id).offset(offset).limit(limit))]


def contract_detail(session: Connection, contract_id: int) -> tuple[ContractRow, list[DocumentRow]]:
    r = session.execute(sa.select(T_CONTRACT).where(T_CONTRACT.c.id == contract_id)).first()
    if r is None:
        raise NotFound(f"contract #{contract_id} does not exist")
    docs = session.execute(sa.select(*_DOC_COLS).where(T_DOC.c.contract_id == contract_id)
                           .order_by(T_DOC.c.issue_date, T_DOC.c.id))
    today = date.today()
    return _contract_row(r), [_doc_row(d, today) for d in docs]


def list_notes(session: Connection, customer_id: int, *, document_id: int | None = None, offset: int = 0,
               limit: int = 200) -> list[NoteRow]:
    stmt = (sa.select(T_NOTE.c.id, T_NOTE.c.document_id, T_DOC.c.series, T_DOC.c.folio, T_OP.c.username, T_NOTE.c.text,
                      T_NOTE.c.created_at)
            .outerjoin(T_DOC, T_DOC.c.id == T_NOTE.c.document_id)
            .outerjoin(T_OP, T_OP.c.id == T_NOTE.c.author_id)
            .where(T_NOTE.c.customer_id == customer_id))
    if document_id is not None:
        stmt = stmt.where(T_NOTE.c.document_id == document_id)
    stmt = stmt.order_by(T_NOTE.c.created_at.desc(), T_NOTE.c.id.desc()).offset(offset).limit(limit)
    return [NoteRow(r.id, r.document_id, reference(r.series, r.folio, r.document_id) if r.document_id else "",
                    r.username or "", r.text, r.created_at) for r in session.execute(stmt)]


_STATUS_RANK = {"overdue": 0, "current": 1, "paid": 2, "cancelled": 3}


def _payment_document_status(session: Connection, payment_ids: set[int], as_of: date) -> dict[int, str]:
    """For payment events: the status now of the documents each payment went to, the most urgent
    one when it paid several (still overdue > current > paid > cancelled)."""
    if not payment_ids:
        return {}
    stmt = (sa.select(T_ALLOC.c.payment_id, T_DOC.c.status, T_DOC.c.due_date)
            .join(T_DOC, T_DOC.c.id == T_ALLOC.c.document_id)
            .where(T_ALLOC.c.payment_id.in_(sorted(payment_ids))))
    out: dict[int, str] = {}
    for payment_id, status, due in session.execute(stmt).all():
        shown = display_status(status, due, as_of)
        if payment_id not in out or _STATUS_RANK.get(shown, 9) < _STATUS_RANK.get(out[payment_id], 9):
            out[payment_id] = shown
    return out


def list_activity(session: Connection, customer_id: int, *, document_id: int | None = None, offset: int = 0,
                  limit: int = 200, as_of: date | None = None) -> list[ActivityRow]:
    """Newest first."""
    as_of = as_of or date.today()
    stmt = (sa.select(T_ACT, T_OP.c.username, T_DOC.c.series, T_DOC.c.folio, T_DOC.c.status.label("doc_status"),
                      T_DOC.c.due_date)
            .outerjoin(T_OP, T_OP.c.id == T_ACT.c.actor_id)
            .outerjoin(T_DOC, T_DOC.c.id == T_ACT.c.document_id)
            .where(T_ACT.c.customer_id == customer_id))
    if document_id is not None:
        # The document's own events, and those of the payments / credit notes applied to it.
        paid_by = sa.select(T_ALLOC.c.payment_id).where(T_ALLOC.c.document_id == document_id,
                                                        T_ALLOC.c.payment_id.is_not(None))
        credited_by = sa.select(T_ALLOC.c.credit_note_id).where(T_ALLOC.c.document_id == document_id,
                                                                T_ALLOC.c.credit_note_id.is_not(None))
        stmt = stmt.where(sa.or_(T_ACT.c.document_id == document_id, T_ACT.c.payment_id.in_(paid_by),
                                 T_ACT.c.document_id.in_(credited_by)))
    stmt = stmt.order_by(T_ACT.c.id.desc()).offset(offset).limit(limit)
    rows = session.execute(stmt).all()
    paid_docs = _payment_document_status(session, {r._mapping["payment_id"] for r in rows
                                                   if r._mapping["payment_id"] and not r._mapping["document_id"]}, as_of)
    out = []
    for r in rows:
        m = r._mapping
        doc_ref = reference(m["series"], m["folio"], m["document_id"]) if m["document_id"] else ""
        if m["document_id"]:
            status = display_status(m["doc_status"], m["due_date"], as_of)
        else:
            status = paid_docs.get(m["payment_id"], "") if m["payment_id"] else ""
        out.append(ActivityRow(m["id"], m["at"], m["on_date"], m["kind"], m["username"] or "", m["document_id"], doc_ref,
                               status, m["payment_id"], m["amount_cents"], m["currency"], m["balance_after_cents"],
                               m["credit_after_cents"], m["detail"]))
    return out
