"""indexes for the customers screen (keystroke search, sort by balance)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28

- ``ix_customer_list_search`` (SQLite only): ``customer(search_text, id, currency,
  assigned_operator_id)``. The list's name order on SQLite is ``search_text, id`` (search_text
  starts with the folded name: case and accents ignored), and this index covers it together with
  a text filter (``search_text LIKE``), the operator filter and the currency check: a page is an
  in-order index walk that stops when it is full, and a count is one pass over an index a third
  the size of the table. PostgreSQL orders by ``name`` (its collation ignores case and accents;
  ``ix_customer_name``) and answers text filters from its pg_trgm GIN index (a btree on
  ``search_text`` could exceed its row size limit).
- ``ix_customer_list_balance`` (both engines): ``customer_balance(open_cents, customer_id,
  currency)``. The list sorted by balance (and by overdue amount, which never exceeds the balance)
  walks it from the largest balance down and stops when the page is full.
- ``ix_customer_list_overdue`` (both engines, partial: open documents only):
  ``document(customer_id, currency, due_date, balance_cents, kind, status)``. The overdue amount
  of a customer, the "only overdue" filter and the overdue order read it without touching the
  document rows (SQLite does not treat ``ix_document_open`` as covering: ``status`` is only in
  its WHERE clause).

Both are read-path indexes only; they are not declared in ``db/models.py`` (the models-vs-migrations
test ignores the ``ix_customer_list_`` prefix, like the other search indexes).
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute(
            "CREATE INDEX ix_customer_list_search ON customer "
            "(search_text, id, currency, assigned_operator_id)"
        )
    op.create_index("ix_customer_list_balance", "customer_balance", ["open_cents", "customer_id", "currency"])
    op.create_index(
        "ix_customer_list_overdue", "document",
        ["customer_id", "currency", "due_date", "balance_cents", "kind", "status"],
        sqlite_where=sa.text("status = 'current'"), postgresql_where=sa.text("status = 'current'"),
    )


def downgrade() -> None:
    bind = op.get_bind()
    op.drop_index("ix_customer_list_overdue", "document")
    op.drop_index("ix_customer_list_balance", "customer_balance")
    if bind.dialect.name == "sqlite":
        op.execute("DROP INDEX IF EXISTS ix_customer_list_search")
