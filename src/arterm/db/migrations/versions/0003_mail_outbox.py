"""the statement outbox

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

``mail_outbox``: every email to a customer, kept as the exact message sent (see
arterm/db/models_mail.py and arterm/mail/outbox.py).
"""

from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("sender", sa.String(length=254), nullable=False),
        sa.Column("to_addrs", sa.String(length=2000), nullable=False),
        sa.Column("cc_addrs", sa.String(length=2000), nullable=False),
        sa.Column("bcc_addrs", sa.String(length=2000), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("message_id", sa.String(length=250), nullable=False),
        sa.Column("message", sa.String(), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=True),
        sa.Column("period_to", sa.Date(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=2000), nullable=False),
        sa.Column("claim_token", sa.String(length=36), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["operator.id"], name=op.f("fk_mail_outbox_created_by_operator")),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], name=op.f("fk_mail_outbox_customer_id_customer")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_outbox")),
        sa.UniqueConstraint("message_id", name=op.f("uq_mail_outbox_message_id")),
    )
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mail_outbox_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index("ix_mail_outbox_status_id", ["status", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_mail_outbox_status_id")
        batch_op.drop_index(batch_op.f("ix_mail_outbox_customer_id"))
    op.drop_table("mail_outbox")
