"""Tables of the billing feature (imported by models.py so Alembic and gen_tables see them).

- ``contract_hold``: the spans during which a contract does not bill (a pause, or its end). A
  period whose billing date falls on a held day is skipped for good; see ``ledger/billing.py``.
- ``direct_debit_charge``: links each direct-debit charge (a ``payment`` row with origin
  ``direct_debit``, pending until the operator confirms or rejects it) to the invoice it pays.
- ``billing_run``: one row per billing run (who, until when, what it did); a run killed midway
  stays ``running`` with no ``finished_at``.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .models import utcnow


class ContractHold(SQLModel, table=True):
    __tablename__ = "contract_hold"
    __table_args__ = (sa.Index("ix_contract_hold_contract", "contract_id", "start_on"),)
    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id")
    kind: str = Field(max_length=8)  # pause | end
    start_on: date  # first day that does not bill
    end_on: date | None = None  # first day that bills again (exclusive); None: still held
    reason: str = Field(default="", max_length=500)
    end_reason: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    created_by: int | None = Field(default=None, foreign_key="operator.id")


class DirectDebitCharge(SQLModel, table=True):
    __tablename__ = "direct_debit_charge"
    payment_id: int = Field(foreign_key="payment.id", primary_key=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    contract_id: int = Field(foreign_key="contract.id", index=True)
    scheduled_on: date
    decided_on: date | None = None
    decided_by: int | None = Field(default=None, foreign_key="operator.id")


class BillingRun(SQLModel, table=True):
    __tablename__ = "billing_run"
    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    until_date: date
    actor_id: int | None = Field(default=None, foreign_key="operator.id")
    host: str = Field(default="", max_length=100)
    pid: int = Field(default=0)
    status: str = Field(default="running", max_length=10)  # running | done | failed
    issued: int = Field(default=0)
    already: int = Field(default=0)  # billed by a run running at the same time
    charges: int = Field(default=0)
    detail: str = Field(default="", max_length=2000)
