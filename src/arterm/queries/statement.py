"""The account statement (estado de cuenta) of one customer for a period, from the ledger's history.

Convention (what the statement text says to the customer):

- The running balance is the customer's **net** balance: what they owe minus their unapplied
  credit. Every invoice / sales note is a charge on its issue date; every payment and credit note is
  a credit for its full amount on its own date, whether or not it has been applied to a document
  yet. So ``closing == sum(open document balances) - credit`` — exactly ``total - credit`` of
  :func:`arterm.queries.balances.customer_balances` as of ``date_to`` — and a negative balance means
  the customer is in credit (saldo a favor).
- What a payment / credit note was applied to on its own date is described on its row ("aplicado a
  A-12 (1,000.00) · 200.00 a saldo a favor"). Credit applied later (``apply_credit``) appears as a
  ``credit_applied`` row with no charge and no credit: it moves money between the open documents and
  the credit, it does not change the net balance.
- A cancellation is a row of its own on the cancellation date, reversing the original amount (a
  credit for a cancelled invoice, a charge for a cancelled payment or credit note). An event dated
  before the document it cancels counts on the document's date.
- ``CurrencySection.credit_cents`` is the unapplied credit as of ``date_to``; it is already deducted
  from the closing balance and is shown apart so the customer sees it.
- Payments still ``pending`` (a direct-debit charge not confirmed) or ``rejected`` are not money
  and do not appear.

Everything is rebuilt from dates (issue, payment, application, reversal, cancellation), so a
statement for an old period shows what the ledger said then. One customer's history is read in
three queries and folded in Python: exact integer centavos, identical on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..domain.aging import DEFAULT_BUCKETS, bucket_for, bucket_keys
from ..domain.errors import DomainError
from ..i18n import fmt_amount, fmt_date, t
from ..mail.model import (
    AgingBucket,
    CurrencySection,
    Movement,
    OpenDocument,
    Statement,
    StatementCompany,
    StatementCustomer,
    StatementOperator,
)
from ._tables import ACTIVE_PAYMENT, RECEIVABLE_KINDS, T_ALLOC, T_DOC, T_LINE, T_PAY
from .customers import customer_detail
from .lists import reference

__all__ = ["build_statement", "default_period", "payment_reference", "statement_candidates"]

_LAST = datetime.max.replace(tzinfo=timezone.utc)  # cancellations sort after the day's other events


def default_period(as_of: date, period_days: int = 30) -> tuple[date, date]:
    """The last ``period_days`` days up to and including ``as_of`` (30 → 30 calendar days)."""
    days = max(1, int(period_days))
    return as_of - timedelta(days=days - 1), as_of


def payment_reference(payment_id: int) -> str:
    """How a payment is named on a statement (payments have no folio of their own)."""
    return f"P-{payment_id}"


@dataclass(frozen=True)
class _Doc:
    id: int
    kind: str
    ref: str
    issue_date: date
    due_date: date
    currency: str
    total: int
    status: str
    cancelled_on: date | None
    description: str
    created_at: datetime


@dataclass(frozen=True)
class _Pay:
    id: int
    ref: str
    paid_on: date
    amount: int
    currency: str
    status: str
    cancelled_on: date | None
    forma_pago: str
    reference: str
    created_at: datetime


@dataclass(frozen=True)
class _Alloc:
    id: int
    document_id: int
    payment_id: int | None
    credit_note_id: int | None
    amount: int
    source_amount: int
    applied_on: date
    reversed_on: date | None
    created_at: datetime

    def effective(self, as_of: date) -> bool:
        return self.applied_on <= as_of and (self.reversed_on is None or self.reversed_on > as_of)


@dataclass
class _Event:
    day: date
    sort_at: datetime
    seq: int
    currency: str
    delta: int  # change of the net balance: + charge, - credit
    kind: str
    reference: str
    description: str


def _join(parts: Iterable[str]) -> str:
    return " · ".join(p for p in parts if p)


def _items(pairs: list[tuple[str, int]], lang: str) -> str:
    return ", ".join(f"{ref} ({fmt_amount(amount, lang)})" for ref, amount in pairs)


def _load(session: Connection, customer_id: int) -> tuple[dict[int, _Doc], dict[int, _Pay], list[_Alloc]]:
    docs: dict[int, _Doc] = {}
    # A document's own description, else its first line's (what the customer recognizes).
    first_line = (
        sa.select(T_LINE.c.description).where(T_LINE.c.document_id == T_DOC.c.id)
        .order_by(T_LINE.c.position, T_LINE.c.id).limit(1).scalar_subquery()
    )
    for r in session.execute(
        sa.select(T_DOC.c.id, T_DOC.c.kind, T_DOC.c.series, T_DOC.c.folio, T_DOC.c.issue_date, T_DOC.c.due_date,
                  T_DOC.c.currency, T_DOC.c.total_cents, T_DOC.c.status, T_DOC.c.cancelled_on, T_DOC.c.description,
                  T_DOC.c.created_at, first_line.label("first_line"))
        .where(T_DOC.c.customer_id == customer_id)
        .order_by(T_DOC.c.id)
    ):
        docs[r.id] = _Doc(r.id, r.kind, reference(r.series, r.folio, r.id), r.issue_date, r.due_date, r.currency,
                          int(r.total_cents), r.status, r.cancelled_on, r.description or r.first_line or "",
                          r.created_at)
    pays: dict[int, _Pay] = {}
    for r in session.execute(
        sa.select(T_PAY.c.id, T_PAY.c.paid_on, T_PAY.c.amount_cents, T_PAY.c.currency, T_PAY.c.status,
                  T_PAY.c.cancelled_on, T_PAY.c.forma_pago, T_PAY.c.reference, T_PAY.c.created_at)
        .where(T_PAY.c.customer_id == customer_id, T_PAY.c.status.in_(ACTIVE_PAYMENT + ("cancelled",)))
        .order_by(T_PAY.c.id)
    ):
        pays[r.id] = _Pay(r.id, payment_reference(r.id), r.paid_on, int(r.amount_cents), r.currency, r.status,
                          r.cancelled_on, r.forma_pago, r.reference or "", r.created_at)
    allocs = [
        _Alloc(r.id, r.document_id, r.payment_id, r.credit_note_id, int(r.amount_cents), int(r.source_amount_cents),
               r.applied_on, r.reversed_on, r.created_at)
        for r in session.execute(
            sa.select(T_ALLOC.c.id, T_ALLOC.c.document_id, T_ALLOC.c.payment_id, T_ALLOC.c.credit_note_id,
                      T_ALLOC.c.amount_cents, T_ALLOC.c.source_amount_cents, T_ALLOC.c.applied_on,
                      T_ALLOC.c.reversed_on, T_ALLOC.c.created_at)
            .where(T_ALLOC.c.customer_id == customer_id)
            .order_by(T_ALLOC.c.id)
        )
    ]
    return docs, pays, allocs


def _events(docs: dict[int, _Doc], pays: dict[int, _Pay], allocs: list[_Alloc], lang: str) -> list[_Event]:
    """Every change of the net balance (and every later credit application), in date order."""
    by_doc: dict[int, list[_Alloc]] = defaultdict(list)
    by_payment: dict[int, list[_Alloc]] = defaultdict(list)
    by_credit_note: dict[int, list[_Alloc]] = defaultdict(list)
    for a in allocs:
        by_doc[a.document_id].append(a)
        if a.payment_id is not None:
            by_payment[a.payment_id].append(a)
        if a.credit_note_id is not None:
            by_credit_note[a.credit_note_id].append(a)

    def ref_of(doc_id: int) -> str:
        d = docs.get(doc_id)
        return d.ref if d else f"#{doc_id}"

    def applied_with_source(source_allocs: list[_Alloc], day: date, amount: int) -> str:
        """What a payment / credit note covered on its own date, and what was left as credit."""
        now = [a for a in source_allocs if a.applied_on == day]
        used = sum(a.source_amount for a in now)
        parts = []
        if now:
            parts.append(t("stmt.desc.applied_to", lang, items=_items([(ref_of(a.document_id), a.amount) for a in now], lang)))
        if amount - used > 0:
            parts.append(t("stmt.desc.to_credit", lang, amount=fmt_amount(amount - used, lang)))
        return _join(parts)

    def reversed_on(items: list[_Alloc], day: date | None) -> int:
        return sum(a.amount for a in items if day is not None and a.reversed_on == day)

    out: list[_Event] = []
    for d in docs.values():
        if d.kind in RECEIVABLE_KINDS:
            desc = _join([d.description, t("stmt.desc.due", lang, date=fmt_date(d.due_date, lang))])
            out.append(_Event(d.issue_date, d.created_at, d.id, d.currency, d.total, d.kind, d.ref, desc))
            if d.status == "cancelled" and d.cancelled_on is not None:
                freed = reversed_on(by_doc.get(d.id, []), d.cancelled_on)
                desc = _join([t(f"stmt.desc.cancel_{d.kind}", lang),
                              t("stmt.desc.freed", lang, amount=fmt_amount(freed, lang)) if freed else ""])
                out.append(_Event(max(d.cancelled_on, d.issue_date), _LAST, d.id, d.currency, -d.total,
                                  "cancellation", d.ref, desc))
        elif d.kind == "credit_note":
            desc = _join([d.description, applied_with_source(by_credit_note.get(d.id, []), d.issue_date, d.total)])
            out.append(_Event(d.issue_date, d.created_at, d.id, d.currency, -d.total, "credit_note", d.ref, desc))
            if d.status == "cancelled" and d.cancelled_on is not None:
                reopened = reversed_on(by_credit_note.get(d.id, []), d.cancelled_on)
                desc = _join([t("stmt.desc.cancel_credit_note", lang),
                              t("stmt.desc.reopened", lang, amount=fmt_amount(reopened, lang)) if reopened else ""])
                out.append(_Event(max(d.cancelled_on, d.issue_date), _LAST, d.id, d.currency, d.total,
                                  "cancellation", d.ref, desc))
    for p in pays.values():
        forma = t(f"forma_pago.{p.forma_pago}", lang)
        desc = _join([forma if not forma.startswith("forma_pago.") else "",
                      t("stmt.desc.reference", lang, reference=p.reference) if p.reference else "",
                      applied_with_source(by_payment.get(p.id, []), p.paid_on, p.amount)])
        out.append(_Event(p.paid_on, p.created_at, 1_000_000_000 + p.id, p.currency, -p.amount, "payment", p.ref, desc))
        if p.status == "cancelled" and p.cancelled_on is not None:
            reopened = reversed_on(by_payment.get(p.id, []), p.cancelled_on)
            desc = _join([t("stmt.desc.cancel_payment", lang),
                          t("stmt.desc.reopened", lang, amount=fmt_amount(reopened, lang)) if reopened else ""])
            out.append(_Event(max(p.cancelled_on, p.paid_on), _LAST, 1_000_000_000 + p.id, p.currency, p.amount,
                              "cancellation", p.ref, desc))
    # Credit applied after the payment's / credit note's own date: one row per source and day.
    later: dict[tuple[str, int, date], list[_Alloc]] = defaultdict(list)
    for a in allocs:
        if a.payment_id is not None and a.payment_id in pays:
            if a.applied_on != pays[a.payment_id].paid_on:
                later[("payment", a.payment_id, a.applied_on)].append(a)
        elif a.credit_note_id is not None and a.credit_note_id in docs:
            if a.applied_on != docs[a.credit_note_id].issue_date:
                later[("credit_note", a.credit_note_id, a.applied_on)].append(a)
    for (source, source_id, day), items in later.items():
        if source == "payment":
            ref, currency = pays[source_id].ref, pays[source_id].currency
        else:
            ref, currency = docs[source_id].ref, docs[source_id].currency
        desc = t("stmt.desc.applied_to", lang, items=_items([(ref_of(a.document_id), a.amount) for a in items], lang))
        first = min(items, key=lambda a: a.id)
        out.append(_Event(day, first.created_at, 2_000_000_000 + first.id, currency, 0, "credit_applied", ref, desc))
    out.sort(key=lambda e: (e.day, e.sort_at, e.seq))
    return out


def _address_lines(detail) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    """The fiscal address as printed on a Mexican statement (the country only when not Mexico)."""
    line1 = " ".join(p for p in (detail.street, detail.ext_number,
                                 f"Int. {detail.int_number}" if detail.int_number else "") if p)
    line2 = ", ".join(p for p in (detail.colonia, detail.municipio) if p)
    line3 = ", ".join(p for p in (detail.state, f"C.P. {detail.postal_code}" if detail.postal_code else "",
                                  detail.country if detail.country not in ("", "MEX") else "") if p)
    return tuple(x for x in (line1, line2, line3) if x)


def _open_documents(docs: dict[int, _Doc], allocs: list[_Alloc], as_of: date) -> dict[str, list[tuple[_Doc, int]]]:
    """Per currency: (document, balance) of every invoice / sales note open as of ``as_of``."""
    paid: dict[int, int] = defaultdict(int)
    for a in allocs:
        if a.effective(as_of):
            paid[a.document_id] += a.amount
    out: dict[str, list[tuple[_Doc, int]]] = defaultdict(list)
    for d in docs.values():
        if d.kind not in RECEIVABLE_KINDS or d.issue_date > as_of:
            continue
        if d.cancelled_on is not None and d.status == "cancelled" and d.cancelled_on <= as_of:
            continue
        balance = d.total - paid[d.id]
        if balance > 0:
            out[d.currency].append((d, balance))
    for items in out.values():
        items.sort(key=lambda x: (x[0].due_date, x[0].issue_date, x[0].id))
    return out


def _credit(docs: dict[int, _Doc], pays: dict[int, _Pay], allocs: list[_Alloc], as_of: date) -> dict[str, int]:
    """Per currency: unapplied money (payments and credit notes) as of ``as_of``."""
    used_pay: dict[int, int] = defaultdict(int)
    used_cn: dict[int, int] = defaultdict(int)
    for a in allocs:
        if not a.effective(as_of):
            continue
        if a.payment_id is not None:
            used_pay[a.payment_id] += a.source_amount
        if a.credit_note_id is not None:
            used_cn[a.credit_note_id] += a.source_amount
    out: dict[str, int] = defaultdict(int)
    for p in pays.values():
        if p.paid_on <= as_of and not (p.status == "cancelled" and p.cancelled_on is not None and p.cancelled_on <= as_of):
            out[p.currency] += p.amount - used_pay[p.id]
    for d in docs.values():
        if d.kind == "credit_note" and d.issue_date <= as_of and not (
            d.status == "cancelled" and d.cancelled_on is not None and d.cancelled_on <= as_of
        ):
            out[d.currency] += d.total - used_cn[d.id]
    return out


def build_statement(
    session: Connection,
    *,
    customer_id: int,
    date_from: date,
    date_to: date,
    as_of: date | None = None,
    company: StatementCompany,
    limits: tuple[int, ...] = DEFAULT_BUCKETS,
    default_language: str = "es",
) -> Statement:
    """The statement of ``customer_id`` for ``date_from``..``date_to`` (both included).

    ``as_of`` is the business date the statement is issued on (default today); the period may not
    end after it. Opening balance = net balance at the end of ``date_from - 1``; open documents,
    aging (``limits``) and credit are as of ``date_to``. The language is the customer's
    (``es``/``en``), else ``default_language``. Raises ``NotFound`` / ``DomainError``.
    """
    as_of = as_of or date.today()
    if date_from > date_to:
        raise DomainError(
            f"the period starts ({date_from.isoformat()}) after it ends ({date_to.isoformat()})", field="date_from"
        )
    if date_to > as_of:
        raise DomainError(f"the period cannot end after {as_of.isoformat()}", field="date_to")
    detail = customer_detail(session, customer_id)
    lang = detail.language if detail.language in ("es", "en") else ("en" if default_language == "en" else "es")

    docs, pays, allocs = _load(session, customer_id)
    events = _events(docs, pays, allocs, lang)
    open_docs = _open_documents(docs, allocs, date_to)
    credit = _credit(docs, pays, allocs, date_to)

    currencies = {e.currency for e in events} | set(open_docs) | {c for c, v in credit.items() if v}
    keys = bucket_keys(limits)
    sections: list[CurrencySection] = []
    for currency in sorted(currencies, key=lambda c: (c != detail.currency, c)):
        opening = sum(e.delta for e in events if e.currency == currency and e.day < date_from)
        running = opening
        movements: list[Movement] = []
        for e in events:
            if e.currency != currency or not date_from <= e.day <= date_to:
                continue
            running += e.delta
            movements.append(Movement(e.day, e.kind, e.reference, e.description,  # type: ignore[arg-type]
                                      max(e.delta, 0), max(-e.delta, 0), running))
        documents = tuple(
            OpenDocument(d.ref, d.issue_date, d.due_date, (date_to - d.due_date).days, d.total, balance)
            for d, balance in open_docs.get(currency, [])
        )
        buckets = {k: 0 for k in keys}
        for d, balance in open_docs.get(currency, []):
            buckets[bucket_for(d.due_date, date_to, limits)] += balance
        section_credit = credit.get(currency, 0)
        if not (opening or movements or documents or section_credit):
            continue
        sections.append(CurrencySection(
            currency=currency,
            opening_cents=opening,
            movements=tuple(movements),
            closing_cents=running,
            open_documents=documents,
            aging=tuple(AgingBucket(k, v) for k, v in buckets.items()),
            credit_cents=section_credit,
        ))
    if not sections:
        sections.append(CurrencySection(detail.currency, 0, (), 0, (), tuple(AgingBucket(k, 0) for k in keys), 0))

    operator = None
    if detail.assigned:
        operator = StatementOperator(detail.assigned, detail.assigned_name or detail.assigned, detail.assigned_email)
    customer = StatementCustomer(
        identifier=detail.identifier,
        name=detail.name,
        rfc=detail.rfc,
        address_lines=_address_lines(detail),
        emails=detail.emails,
        language=lang,  # type: ignore[arg-type]
    )
    return Statement(
        company=company,
        customer=customer,
        operator=operator,
        period_from=date_from,
        period_to=date_to,
        generated_on=as_of,
        sections=tuple(sections),
    )


def statement_candidates(
    session: Connection,
    *,
    as_of: date,
    overdue: bool = False,
    assigned: str | None = None,
) -> list[int]:
    """Customers a batch of statements goes to, by name: those with an open balance or unapplied
    credit in any currency; with ``overdue``, only those with a document past due as of ``as_of``;
    with ``assigned``, only the customers of that operator (username)."""
    from ._tables import T_BALANCE, T_CUSTOMER, T_OP

    conds = [
        sa.exists().where(T_BALANCE.c.customer_id == T_CUSTOMER.c.id,
                          sa.or_(T_BALANCE.c.open_cents > 0, T_BALANCE.c.credit_cents > 0))
    ]
    if overdue:
        conds.append(sa.exists().where(
            T_DOC.c.customer_id == T_CUSTOMER.c.id, T_DOC.c.status == "current", T_DOC.c.kind.in_(RECEIVABLE_KINDS),
            T_DOC.c.due_date < as_of, T_DOC.c.issue_date <= as_of, T_DOC.c.balance_cents > 0,
        ))
    if assigned:
        conds.append(T_CUSTOMER.c.assigned_operator_id == sa.select(T_OP.c.id).where(T_OP.c.username == assigned)
                     .scalar_subquery())
    stmt = sa.select(T_CUSTOMER.c.id).where(*conds).order_by(T_CUSTOMER.c.name, T_CUSTOMER.c.id)
    return [int(i) for i in session.execute(stmt).scalars()]
