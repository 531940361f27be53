"""Tables of the cfdi feature (imported by models.py so Alembic and gen_tables see them).

The import keeps its own bookkeeping next to the ledger (see ``arterm/cfdi/importer.py``):

- ``cfdi_file``: one row per CFDI imported (invoice, credit note or REP). ``cfdi_key`` is the
  TimbreFiscalDigital UUID in lower case (the same UUID twice is one document), or, for an
  unstamped file imported on purpose, ``nostamp:`` + a hash of issuer, type, series and folio.
- ``cfdi_claim``: what a CFDI says about money going to an invoice — one row per
  ``DoctoRelacionado`` of a REP, per related invoice of a credit note, and per PUE invoice paid
  automatically (``[cfdi] pue_is_paid``). ``status`` is ``pending`` while the invoice has not been
  imported (the money waits as customer credit), ``applied`` once allocated (``applied_cents`` may
  be less than ``amount_cents`` when the invoice had less open), ``unmatched`` when it can never be
  allocated (another customer, another currency, a cancelled invoice; ``detail`` says why) and
  ``manual`` when the REP was matched to a payment an operator had recorded by hand. Claims on one
  invoice are always applied in ``sort_key`` order (date, source, position), whatever order the
  files arrived in.
- ``cfdi_substitution``: ``old_uuid`` was replaced (TipoRelacion 04) by ``new_uuid``; kept even when
  the replaced CFDI has not been imported yet, so it is imported cancelled when it arrives.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .models import utcnow


class CfdiFile(SQLModel, table=True):
    __tablename__ = "cfdi_file"
    id: int | None = Field(default=None, primary_key=True)
    cfdi_key: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    uuid: str | None = Field(default=None, max_length=36)  # None when unstamped
    kind: str = Field(max_length=1)  # I | E | P
    version: str = Field(default="4.0", max_length=3)
    fecha: str = Field(max_length=19)  # Comprobante/@Fecha as written (local time, no zone)
    emisor_rfc: str = Field(max_length=13)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    document_id: int | None = Field(default=None, foreign_key="document.id")
    series: str = Field(default="", max_length=25)
    folio: str = Field(default="", max_length=40)
    source: str = Field(default="", max_length=500)  # the path it was imported from (shown literally)
    imported_at: datetime = Field(default_factory=utcnow)
    imported_by: int | None = Field(default=None, foreign_key="operator.id")


class CfdiClaim(SQLModel, table=True):
    __tablename__ = "cfdi_claim"
    __table_args__ = (
        sa.UniqueConstraint("source_key", "position"),
        # Only the waiting claims are looked up by the invoice they name: a small partial index.
        sa.Index("ix_cfdi_claim_pending", "target_key", sqlite_where=sa.text("status = 'pending'"),
                 postgresql_where=sa.text("status = 'pending'")),
    )
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    kind: str = Field(max_length=6)  # rep | credit | pue
    source_key: str = Field(max_length=64)  # cfdi_file.cfdi_key of the REP / credit note / PUE invoice
    position: int = Field(default=0)  # REP: Pago * 1000 + DoctoRelacionado; credit note: related index
    sort_key: str = Field(max_length=120)  # "<fecha>|<source_key>|<position>": canonical order per invoice
    target_key: str = Field(max_length=64)  # the invoice as the CFDI names it (UUID, lower case)
    document_id: int | None = Field(default=None, foreign_key="document.id", index=True)
    payment_id: int | None = Field(default=None, foreign_key="payment.id")
    credit_note_id: int | None = Field(default=None, foreign_key="document.id")
    allocation_id: int | None = Field(default=None, foreign_key="allocation.id")  # the active allocation it made
    currency: str = Field(max_length=3)  # of the invoice (MonedaDR)
    amount_cents: int = Field(sa_type=sa.BigInteger)  # ImpPagado / credit note total, invoice currency
    source_amount_cents: int = Field(sa_type=sa.BigInteger)  # taken from the payment (MonedaP)
    equivalence: str = Field(default="1", max_length=24)  # EquivalenciaDR / TipoCambioDR
    installment: int | None = None  # NumParcialidad
    previous_cents: int | None = Field(default=None, sa_type=sa.BigInteger)  # ImpSaldoAnt
    remaining_cents: int | None = Field(default=None, sa_type=sa.BigInteger)  # ImpSaldoInsoluto
    applied_cents: int = Field(default=0, sa_type=sa.BigInteger)  # allocated now (invoice currency)
    status: str = Field(default="pending", max_length=10)  # pending | applied | unmatched | manual
    detail: str = Field(default="", max_length=300)


class CfdiSubstitution(SQLModel, table=True):
    __tablename__ = "cfdi_substitution"
    old_uuid: str = Field(max_length=36, primary_key=True)
    new_uuid: str = Field(max_length=36, index=True)
    fecha: str = Field(max_length=19)  # the replacement's Fecha
    created_at: datetime = Field(default_factory=utcnow)
