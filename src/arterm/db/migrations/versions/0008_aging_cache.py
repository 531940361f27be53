"""aging cache on customer_balance

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29

``customer_balance.rev`` counts the changes to a customer's open documents in one currency; every
ledger write that changes an open balance bumps it in the same transaction. The ``aging_*``
columns keep the aging buckets computed at revision ``aging_rev`` as of ``aging_as_of``, unchanged
until ``aging_until``; ``queries/balances.py`` uses them only while ``aging_rev = rev``. Existing
rows start with no cache (``aging_rev`` NULL): the first aging report fills it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BUCKETS = [f"aging_b{i}" for i in range(8)]


def upgrade() -> None:
    with op.batch_alter_table("customer_balance") as batch:
        batch.add_column(sa.Column("rev", sa.BigInteger(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("aging_rev", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("aging_as_of", sa.Date(), nullable=True))
        batch.add_column(sa.Column("aging_until", sa.Date(), nullable=True))
        batch.add_column(sa.Column("aging_limits", sa.String(60), nullable=False, server_default=""))
        for name in BUCKETS:
            batch.add_column(sa.Column(name, sa.BigInteger(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("customer_balance") as batch:
        for name in ["rev", "aging_rev", "aging_as_of", "aging_until", "aging_limits", *BUCKETS]:
            batch.drop_column(name)
