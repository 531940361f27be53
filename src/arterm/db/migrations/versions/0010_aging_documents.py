"""aging cache: the open documents behind each cached row

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29

A cached row's bucket sums hold until one of its documents moves to the next bucket
(``aging_until``): at 100,000 customers ~9% of the rows each day, whose documents the next report
had to aggregate again (~0.25 s of a ~0.45 s first report of the day). ``aging_docs`` keeps, for
the revision ``aging_rev``, each open document's first day owed, due day and open balance, so the
sums for any later date, or for other bucket limits, come from the row itself
(``queries/balances.py``). The cached rows are dropped: the next report computes them again.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE customer_balance SET aging_rev = NULL")
    with op.batch_alter_table("customer_balance") as batch:
        batch.add_column(sa.Column("aging_docs", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("customer_balance") as batch:
        batch.drop_column("aging_docs")
