"""The ledger's tables.

Money is stored as integer centavos (``*_cents``); quantities, unit prices, tax and exchange rates
as decimal strings (SQLite has no exact decimal type). Each document keeps its open balance up to
date in the same transaction that changes it, so aging reads open documents only.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

# Stable constraint names so Alembic migrations are identical on SQLite and PostgreSQL.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Sequence(SQLModel, table=True):
    """Named counters (customer codes, folios per series), bumped inside the writing transaction."""

    __tablename__ = "sequence"
    name: str = Field(max_length=60, primary_key=True)
    value: int = Field(default=0, sa_type=sa.BigInteger)


class Operator(SQLModel, table=True):
    __tablename__ = "operator"
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, sa_column_kwargs={"unique": True}, nullable=False)
    full_name: str = Field(default="", max_length=200)
    email: str = Field(default="", max_length=254)
    created_at: datetime = Field(default_factory=utcnow)


class Customer(SQLModel, table=True):
    __tablename__ = "customer"
    __table_args__ = (sa.Index("ix_customer_name", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    identifier: str = Field(max_length=40, sa_column_kwargs={"unique": True}, nullable=False)
    name: str = Field(max_length=300)
    rfc: str = Field(max_length=13, index=True)
    rfc_check_ok: bool = Field(default=True)
    tax_regime: str = Field(default="", max_length=3)
    uso_cfdi: str = Field(default="", max_length=4)
    street: str = Field(default="", max_length=200)
    ext_number: str = Field(default="", max_length=40)
    int_number: str = Field(default="", max_length=40)
    colonia: str = Field(default="", max_length=120)
    municipio: str = Field(default="", max_length=120)
    state: str = Field(default="", max_length=120)
    postal_code: str = Field(default="", max_length=10)
    country: str = Field(default="MEX", max_length=3)
    phone: str = Field(default="", max_length=40)
    emails: str = Field(default="", max_length=1000)  # comma-separated, validated
    language: str = Field(default="es", max_length=2)
    assigned_operator_id: int | None = Field(default=None, foreign_key="operator.id", index=True)
    payment_terms_days: int = Field(default=30)
    credit_limit_cents: int | None = Field(default=None, sa_type=sa.BigInteger)
    currency: str = Field(default="MXN", max_length=3)
    search_text: str = Field(default="", max_length=2000)  # casefolded, accent-stripped
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    version: int = Field(default=1)


class CustomerBalance(SQLModel, table=True):
    """Per customer and currency: sum of open documents and of unapplied credit, kept exact."""

    __tablename__ = "customer_balance"
    customer_id: int = Field(foreign_key="customer.id", primary_key=True)
    currency: str = Field(max_length=3, primary_key=True)
    open_cents: int = Field(default=0, sa_type=sa.BigInteger)
    credit_cents: int = Field(default=0, sa_type=sa.BigInteger)
    # Bumped by every change to the customer's open documents in this currency (same transaction).
    rev: int = Field(default=0, sa_type=sa.BigInteger)
    # Aging cache (queries/balances.py): bucket sums as of ``aging_as_of`` for the bucket limits
    # ``aging_limits``, computed when ``rev`` was ``aging_rev``; the same until ``aging_until``
    # (exclusive; NULL: no document changes bucket any more). Valid only while aging_rev == rev.
    aging_rev: int | None = Field(default=None, sa_type=sa.BigInteger)
    aging_as_of: date | None = None
    aging_until: date | None = None
    aging_limits: str = Field(default="", max_length=60)
    # The bucket sums, in order, as little-endian signed 64-bit integers (``struct`` "<q" each):
    # one column to read instead of one per bucket (the warm report is mostly this fetch).
    aging_sums: bytes | None = Field(default=None, sa_type=sa.LargeBinary)


class AgingDocuments(SQLModel, table=True):
    """Aging cache, beside ``customer_balance`` (whose scan it would double): the open documents
    of a customer in one currency at revision ``rev`` of its balance row, packed (day owed from,
    due day, open balance each; queries/balances.py), so that the aging for a later date, or for
    other bucket limits, needs no query of the documents. Used only while ``rev`` is the balance
    row's ``rev``."""

    __tablename__ = "aging_documents"
    customer_id: int = Field(foreign_key="customer.id", primary_key=True)
    currency: str = Field(max_length=3, primary_key=True)
    rev: int = Field(sa_type=sa.BigInteger)
    documents: bytes = Field(sa_type=sa.LargeBinary)


class Contract(SQLModel, table=True):
    __tablename__ = "contract"
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    description: str = Field(default="", max_length=500)
    amount_cents: int = Field(sa_type=sa.BigInteger)  # before tax
    tax_rate: str = Field(default="0.16", max_length=10)
    currency: str = Field(default="MXN", max_length=3)
    frequency: str = Field(max_length=12)
    start_date: date
    end_date: date | None = None
    periods: int | None = None
    billing_day: int | None = None
    payment_terms_days: int | None = None
    metodo_pago: str = Field(default="PPD", max_length=3)
    forma_pago: str = Field(default="99", max_length=2)
    direct_debit: bool = Field(default=False)
    dd_forma_pago: str = Field(default="", max_length=2)  # 04 card / 28 debit / 03 transfer
    dd_reference: str = Field(default="", max_length=40)  # masked, e.g. **** 1234
    status: str = Field(default="active", max_length=10)  # active | paused | ended
    status_reason: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    version: int = Field(default=1)


class Document(SQLModel, table=True):
    __tablename__ = "document"
    __table_args__ = (
        sa.UniqueConstraint("contract_id", "period_start"),
        sa.Index("ix_document_customer_issue", "customer_id", "issue_date"),
        # Open receivables only: what aging and the customer list aggregate over. Covering (every
        # column those queries read, status included) so SQLite never touches the table rows.
        sa.Index(
            "ix_document_open",
            "customer_id",
            "currency",
            "kind",
            "due_date",
            "issue_date",
            "balance_cents",
            "status",
            sqlite_where=sa.text("status = 'current'"),
            postgresql_where=sa.text("status = 'current'"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    kind: str = Field(max_length=12)  # invoice | sales_note | credit_note
    series: str = Field(default="", max_length=25)
    folio: str = Field(default="", max_length=40)
    issue_date: date
    due_date: date
    currency: str = Field(default="MXN", max_length=3)
    exchange_rate: str = Field(default="1", max_length=20)
    subtotal_cents: int = Field(default=0, sa_type=sa.BigInteger)
    discount_cents: int = Field(default=0, sa_type=sa.BigInteger)
    tax_cents: int = Field(default=0, sa_type=sa.BigInteger)
    total_cents: int = Field(default=0, sa_type=sa.BigInteger)
    # Invoices/sales notes: what is still owed. Credit notes: what is not yet applied.
    balance_cents: int = Field(default=0, sa_type=sa.BigInteger)
    status: str = Field(default="current", max_length=10)  # current | paid | cancelled
    metodo_pago: str = Field(default="", max_length=3)  # PUE | PPD ('' for sales notes)
    forma_pago: str = Field(default="99", max_length=2)
    cfdi_uuid: str | None = Field(default=None, max_length=36, sa_column_kwargs={"unique": True})
    contract_id: int | None = Field(default=None, foreign_key="contract.id", index=True)
    period_start: date | None = None
    description: str = Field(default="", max_length=500)
    cancelled_on: date | None = None
    cancel_reason: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    created_by: int | None = Field(default=None, foreign_key="operator.id")
    version: int = Field(default=1)


class DocumentLine(SQLModel, table=True):
    __tablename__ = "document_line"
    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    position: int = 0
    description: str = Field(max_length=1000)
    quantity: str = Field(default="1", max_length=24)
    unit_price: str = Field(default="0", max_length=24)
    tax_rate: str = Field(default="0.16", max_length=10)
    amount_cents: int = Field(default=0, sa_type=sa.BigInteger)  # before tax
    tax_cents: int = Field(default=0, sa_type=sa.BigInteger)


class Payment(SQLModel, table=True):
    __tablename__ = "payment"
    __table_args__ = (sa.Index("ix_payment_customer_date", "customer_id", "paid_on"),)
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    paid_on: date
    amount_cents: int = Field(sa_type=sa.BigInteger)
    currency: str = Field(default="MXN", max_length=3)
    exchange_rate: str = Field(default="1", max_length=20)
    forma_pago: str = Field(default="03", max_length=2)
    reference: str = Field(default="", max_length=200)
    origin: str = Field(default="manual", max_length=12)  # manual | cfdi_import | direct_debit
    # applied | partial | unapplied | cancelled | pending (direct debit awaiting) | rejected
    status: str = Field(default="unapplied", max_length=10)
    unapplied_cents: int = Field(default=0, sa_type=sa.BigInteger)
    rep_status: str = Field(default="not_required", max_length=12)  # not_required | pending | issued
    rep_uuid: str | None = Field(default=None, max_length=36, index=True)
    contract_id: int | None = Field(default=None, foreign_key="contract.id")
    cancelled_on: date | None = None
    cancel_reason: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    created_by: int | None = Field(default=None, foreign_key="operator.id")
    version: int = Field(default=1)


class Allocation(SQLModel, table=True):
    """Money from a payment or a credit note applied to an invoice or sales note."""

    __tablename__ = "allocation"
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    payment_id: int | None = Field(default=None, foreign_key="payment.id", index=True)
    credit_note_id: int | None = Field(default=None, foreign_key="document.id", index=True)
    amount_cents: int = Field(sa_type=sa.BigInteger)  # in the document's currency
    source_amount_cents: int = Field(sa_type=sa.BigInteger)  # taken from the payment/credit note
    applied_on: date
    reversed_on: date | None = None
    created_at: datetime = Field(default_factory=utcnow)
    created_by: int | None = Field(default=None, foreign_key="operator.id")


class Note(SQLModel, table=True):
    __tablename__ = "note"
    __table_args__ = (sa.Index("ix_note_customer_created", "customer_id", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    document_id: int | None = Field(default=None, foreign_key="document.id", index=True)
    author_id: int | None = Field(default=None, foreign_key="operator.id")
    text: str = Field(max_length=5000)
    created_at: datetime = Field(default_factory=utcnow)


class Activity(SQLModel, table=True):
    """Append-only history per customer."""

    __tablename__ = "activity"
    __table_args__ = (sa.Index("ix_activity_customer_id", "customer_id", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    at: datetime = Field(default_factory=utcnow)
    on_date: date  # the business date of the event (payment date, issue date, ...)
    kind: str = Field(max_length=32)
    document_id: int | None = Field(default=None, foreign_key="document.id", index=True)
    payment_id: int | None = Field(default=None, foreign_key="payment.id", index=True)
    contract_id: int | None = Field(default=None, foreign_key="contract.id")
    actor_id: int | None = Field(default=None, foreign_key="operator.id")
    amount_cents: int | None = Field(default=None, sa_type=sa.BigInteger)
    currency: str = Field(default="", max_length=3)
    balance_after_cents: int | None = Field(default=None, sa_type=sa.BigInteger)
    credit_after_cents: int | None = Field(default=None, sa_type=sa.BigInteger)
    detail: str = Field(default="", max_length=2000)  # plain text, shown literally


TABLES = SQLModel.metadata


# Feature tables live in their own modules; importing them registers them in TABLES.
from . import models_billing, models_cfdi, models_mail  # noqa: E402,F401
