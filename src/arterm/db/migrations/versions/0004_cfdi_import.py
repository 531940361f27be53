"""CFDI import bookkeeping

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28

``cfdi_file`` (one row per imported CFDI, keyed by its UUID), ``cfdi_claim`` (money a REP, credit
note or PUE invoice sends to an invoice, pending until that invoice is imported) and
``cfdi_substitution`` (TipoRelacion 04: which CFDI replaced which). See arterm/db/models_cfdi.py.
"""

from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cfdi_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cfdi_key", sa.String(length=64), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=True),
        sa.Column("kind", sa.String(length=1), nullable=False),
        sa.Column("version", sa.String(length=3), nullable=False),
        sa.Column("fecha", sa.String(length=19), nullable=False),
        sa.Column("emisor_rfc", sa.String(length=13), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("series", sa.String(length=25), nullable=False),
        sa.Column("folio", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], name=op.f("fk_cfdi_file_customer_id_customer")),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"], name=op.f("fk_cfdi_file_document_id_document")),
        sa.ForeignKeyConstraint(["imported_by"], ["operator.id"], name=op.f("fk_cfdi_file_imported_by_operator")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cfdi_file")),
        sa.UniqueConstraint("cfdi_key", name=op.f("uq_cfdi_file_cfdi_key")),
    )
    with op.batch_alter_table("cfdi_file", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cfdi_file_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "cfdi_claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=6), nullable=False),
        sa.Column("source_key", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sort_key", sa.String(length=120), nullable=False),
        sa.Column("target_key", sa.String(length=64), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("credit_note_id", sa.Integer(), nullable=True),
        sa.Column("allocation_id", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("source_amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("equivalence", sa.String(length=24), nullable=False),
        sa.Column("installment", sa.Integer(), nullable=True),
        sa.Column("previous_cents", sa.BigInteger(), nullable=True),
        sa.Column("remaining_cents", sa.BigInteger(), nullable=True),
        sa.Column("applied_cents", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("detail", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(["allocation_id"], ["allocation.id"], name=op.f("fk_cfdi_claim_allocation_id_allocation")),
        sa.ForeignKeyConstraint(["credit_note_id"], ["document.id"], name=op.f("fk_cfdi_claim_credit_note_id_document")),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], name=op.f("fk_cfdi_claim_customer_id_customer")),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"], name=op.f("fk_cfdi_claim_document_id_document")),
        sa.ForeignKeyConstraint(["payment_id"], ["payment.id"], name=op.f("fk_cfdi_claim_payment_id_payment")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cfdi_claim")),
        sa.UniqueConstraint("source_key", "position", name=op.f("uq_cfdi_claim_source_key_position")),
    )
    with op.batch_alter_table("cfdi_claim", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cfdi_claim_document_id"), ["document_id"], unique=False)
        batch_op.create_index("ix_cfdi_claim_pending", ["target_key"], unique=False,
                              sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))

    op.create_table(
        "cfdi_substitution",
        sa.Column("old_uuid", sa.String(length=36), nullable=False),
        sa.Column("new_uuid", sa.String(length=36), nullable=False),
        sa.Column("fecha", sa.String(length=19), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("old_uuid", name=op.f("pk_cfdi_substitution")),
    )
    with op.batch_alter_table("cfdi_substitution", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cfdi_substitution_new_uuid"), ["new_uuid"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cfdi_substitution", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cfdi_substitution_new_uuid"))
    op.drop_table("cfdi_substitution")
    with op.batch_alter_table("cfdi_claim", schema=None) as batch_op:
        batch_op.drop_index("ix_cfdi_claim_pending")
        batch_op.drop_index(batch_op.f("ix_cfdi_claim_document_id"))
    op.drop_table("cfdi_claim")
    with op.batch_alter_table("cfdi_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cfdi_file_customer_id"))
    op.drop_table("cfdi_file")
