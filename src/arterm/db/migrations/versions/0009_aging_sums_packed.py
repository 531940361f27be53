"""aging cache: the bucket sums in one column

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29

The warm aging report reads one cache row per customer and currency; turning each of its columns
into a Python object is most of its time (~14 ms per column per 100,000 rows on the reference
machine). The eight ``aging_b0..7`` columns become one ``aging_sums``: the bucket sums in order,
as little-endian signed 64-bit integers (``queries/balances.py`` packs and unpacks them). It also
lifts the limit of six bucket limits on what can be cached.

The cached rows are dropped (``aging_rev`` NULL): the first report after the upgrade computes them
again from the open documents, as after 0008.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BUCKETS = [f"aging_b{i}" for i in range(8)]


def upgrade() -> None:
    op.execute("UPDATE customer_balance SET aging_rev = NULL")
    with op.batch_alter_table("customer_balance") as batch:
        for name in BUCKETS:
            batch.drop_column(name)
        batch.add_column(sa.Column("aging_sums", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    op.execute("UPDATE customer_balance SET aging_rev = NULL")
    with op.batch_alter_table("customer_balance") as batch:
        batch.drop_column("aging_sums")
        for name in BUCKETS:
            batch.add_column(sa.Column(name, sa.BigInteger(), nullable=False, server_default="0"))
