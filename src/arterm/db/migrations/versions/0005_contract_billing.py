"""contract billing runs and direct-debit charges

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contract_hold",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("end_on", sa.Date(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("end_reason", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["contract_id"], ["contract.id"], name=op.f("fk_contract_hold_contract_id_contract")),
        sa.ForeignKeyConstraint(["created_by"], ["operator.id"], name=op.f("fk_contract_hold_created_by_operator")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_hold")),
    )
    with op.batch_alter_table("contract_hold", schema=None) as batch_op:
        batch_op.create_index("ix_contract_hold_contract", ["contract_id", "start_on"], unique=False)

    op.create_table(
        "direct_debit_charge",
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("scheduled_on", sa.Date(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["payment_id"], ["payment.id"], name=op.f("fk_direct_debit_charge_payment_id_payment")),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"], name=op.f("fk_direct_debit_charge_document_id_document")),
        sa.ForeignKeyConstraint(["contract_id"], ["contract.id"], name=op.f("fk_direct_debit_charge_contract_id_contract")),
        sa.ForeignKeyConstraint(["decided_by"], ["operator.id"], name=op.f("fk_direct_debit_charge_decided_by_operator")),
        sa.PrimaryKeyConstraint("payment_id", name=op.f("pk_direct_debit_charge")),
    )
    with op.batch_alter_table("direct_debit_charge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_direct_debit_charge_contract_id"), ["contract_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_direct_debit_charge_document_id"), ["document_id"], unique=False)

    op.create_table(
        "billing_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("until_date", sa.Date(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("host", sa.String(length=100), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("issued", sa.Integer(), nullable=False),
        sa.Column("already", sa.Integer(), nullable=False),
        sa.Column("charges", sa.Integer(), nullable=False),
        sa.Column("detail", sa.String(length=2000), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["operator.id"], name=op.f("fk_billing_run_actor_id_operator")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_run")),
    )


def downgrade() -> None:
    op.drop_table("billing_run")
    with op.batch_alter_table("direct_debit_charge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_direct_debit_charge_document_id"))
        batch_op.drop_index(batch_op.f("ix_direct_debit_charge_contract_id"))
    op.drop_table("direct_debit_charge")
    with op.batch_alter_table("contract_hold", schema=None) as batch_op:
        batch_op.drop_index("ix_contract_hold_contract")
    op.drop_table("contract_hold")
