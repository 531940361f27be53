"""The receivables as a plain-text accounting journal (ledger / hledger syntax)."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..domain.money import fmt_cents
from ._tables import RECEIVABLE_KINDS, T_ALLOC, T_CUSTOMER, T_DOC, T_PAY

_ACCOUNT_BAD = str.maketrans({c: "-" for c in ";:[]()\t\n\r\"'"})


def account_name(identifier: str, name: str) -> str:
    """``assets:receivable:C000123 Name`` made safe for ledger syntax (no ``:``/``;``, single spaces)."""
    text = f"{identifier} {name}".translate(_ACCOUNT_BAD)
    return "assets:receivable:" + " ".join(text.split())[:80]


def _payee(text: str) -> str:
    return " ".join(text.translate(_ACCOUNT_BAD).split())[:100]


def _amount(cents: int, currency: str) -> str:
    return f"{fmt_cents(cents)} {currency}"


def journal(session: Connection) -> Iterator[str]:
    """Transactions in date order: invoices (revenue), payments (bank), credit notes (returns),
    cancellations (reversals). The balance of each receivable account equals the customer's open
    documents minus unapplied credit, per currency.

    A payment or credit note in one currency applied to a document in another (an MXN payment of a
    USD invoice) moves money between the customer's two currencies: a conversion transaction on the
    day it was applied (``-116.00 USD @@ 1972.00 MXN`` / ``1972.00 MXN``), reversed on the day the
    allocation was reversed. Without it the USD invoice would stay open and the MXN payment would
    look like credit."""
    customers = {r[0]: account_name(r[1], r[2]) for r in session.execute(
        sa.select(T_CUSTOMER.c.id, T_CUSTOMER.c.identifier, T_CUSTOMER.c.name))}
    yield "; arterm receivables journal"
    yield ""
    events: list[tuple] = []
    for r in session.execute(sa.select(T_DOC.c.id, T_DOC.c.customer_id, T_DOC.c.kind, T_DOC.c.series, T_DOC.c.folio,
                                       T_DOC.c.issue_date, T_DOC.c.total_cents, T_DOC.c.currency, T_DOC.c.status,
                                       T_DOC.c.cancelled_on, T_DOC.c.cfdi_uuid)):
        ref = f"{r.series}-{r.folio}" if r.series else r.folio
        if r.kind in RECEIVABLE_KINDS:
            contra = "income:sales" if r.kind == "invoice" else "income:sales notes"
            events.append((r.issue_date, 0, r.id, f"{_payee(ref)} | {r.kind.replace('_', ' ')}", customers[r.customer_id],
                           r.total_cents, r.currency, contra, r.cfdi_uuid))
            if r.status == "cancelled":
                events.append((r.cancelled_on, 3, r.id, f"{_payee(ref)} | cancelled", customers[r.customer_id],
                               -r.total_cents, r.currency, contra, None))
        else:
            events.append((r.issue_date, 1, r.id, f"{_payee(ref)} | credit note", customers[r.customer_id],
                           -r.total_cents, r.currency, "income:returns and allowances", r.cfdi_uuid))
            if r.status == "cancelled":
                events.append((r.cancelled_on, 3, r.id, f"{_payee(ref)} | credit note cancelled",
                               customers[r.customer_id], r.total_cents, r.currency, "income:returns and allowances", None))
    for r in session.execute(sa.select(T_PAY.c.id, T_PAY.c.customer_id, T_PAY.c.paid_on, T_PAY.c.amount_cents,
                                       T_PAY.c.currency, T_PAY.c.status, T_PAY.c.cancelled_on, T_PAY.c.reference)
                             .where(T_PAY.c.status.not_in(("pending", "rejected")))):
        label = f"payment #{r.id}" + (f" {_payee(r.reference)}" if r.reference else "")
        events.append((r.paid_on, 2, r.id, label, customers[r.customer_id], -r.amount_cents, r.currency, "assets:bank", None))
        if r.status == "cancelled":
            events.append((r.cancelled_on, 3, r.id, f"payment #{r.id} | cancelled", customers[r.customer_id],
                           r.amount_cents, r.currency, "assets:bank", None))
    conversions: list[tuple] = []
    src_doc = T_DOC.alias("src_doc")
    for r in session.execute(
        sa.select(T_ALLOC.c.id, T_ALLOC.c.customer_id, T_ALLOC.c.payment_id, T_ALLOC.c.amount_cents,
                  T_ALLOC.c.source_amount_cents, T_ALLOC.c.applied_on, T_ALLOC.c.reversed_on,
                  T_DOC.c.series, T_DOC.c.folio, T_DOC.c.currency.label("doc_currency"),
                  sa.func.coalesce(T_PAY.c.currency, src_doc.c.currency).label("src_currency"))
        .join(T_DOC, T_DOC.c.id == T_ALLOC.c.document_id)
        .outerjoin(T_PAY, T_PAY.c.id == T_ALLOC.c.payment_id)
        .outerjoin(src_doc, src_doc.c.id == T_ALLOC.c.credit_note_id)
        .where(T_DOC.c.currency != sa.func.coalesce(T_PAY.c.currency, src_doc.c.currency))
    ):
        ref = _payee(f"{r.series}-{r.folio}" if r.series else r.folio)
        source = f"payment #{r.payment_id}" if r.payment_id is not None else "credit note"
        account = customers[r.customer_id]
        conversions.append((r.applied_on, 2.5, r.id, f"{source} applied to {ref} | currency conversion", account,
                            -r.amount_cents, r.doc_currency, r.source_amount_cents, r.src_currency))
        if r.reversed_on is not None:
            conversions.append((r.reversed_on, 3.5, r.id, f"{source} applied to {ref} | conversion reversed",
                                account, r.amount_cents, r.doc_currency, -r.source_amount_cents, r.src_currency))
    rows = [(False, e) for e in events] + [(True, c) for c in conversions]
    rows.sort(key=lambda row: (row[1][0], row[1][1], row[1][2]))
    for is_conversion, e in rows:
        if is_conversion:  # money moved between two currencies of one customer
            on, _, _, payee, account, cents, currency, src_cents, src_currency = e
            yield f"{on.isoformat()} {payee}"
            yield f"    {account}  {_amount(cents, currency)} @@ {_amount(abs(src_cents), src_currency)}"
            yield f"    {account}  {_amount(src_cents, src_currency)}"
            yield ""
            continue
        on, _, _, payee, account, cents, currency, contra, uuid = e
        yield f"{on.isoformat()} {payee}" + (f"  ; uuid:{uuid}" if uuid else "")
        yield f"    {account}  {_amount(cents, currency)}"
        yield f"    {contra}  {_amount(-cents, currency)}"
        yield ""


def allocation_count(session: Connection) -> int:  # pragma: no cover - diagnostics
    return int(session.execute(sa.select(sa.func.count()).select_from(T_ALLOC)).scalar_one())
