"""customer search index: FTS5 trigram on SQLite, pg_trgm on PostgreSQL

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28

Both index ``customer.search_text``: name, RFC, identifier, emails and phone, casefolded and
accent-stripped by arterm.domain.text.search_key, so a substring search is an index lookup.
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE customer_fts USING fts5("
            "search_text, content='customer', content_rowid='id', tokenize='trigram')"
        )
        op.execute(
            "CREATE TRIGGER customer_fts_ai AFTER INSERT ON customer BEGIN "
            "INSERT INTO customer_fts(rowid, search_text) VALUES (new.id, new.search_text); END"
        )
        op.execute(
            "CREATE TRIGGER customer_fts_ad AFTER DELETE ON customer BEGIN "
            "INSERT INTO customer_fts(customer_fts, rowid, search_text) "
            "VALUES ('delete', old.id, old.search_text); END"
        )
        op.execute(
            "CREATE TRIGGER customer_fts_au AFTER UPDATE OF search_text ON customer BEGIN "
            "INSERT INTO customer_fts(customer_fts, rowid, search_text) "
            "VALUES ('delete', old.id, old.search_text); "
            "INSERT INTO customer_fts(rowid, search_text) VALUES (new.id, new.search_text); END"
        )
        op.execute("INSERT INTO customer_fts(customer_fts) VALUES ('rebuild')")
    else:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
        op.execute(
            "CREATE INDEX ix_customer_search_trgm ON customer "
            "USING gin (search_text public.gin_trgm_ops)"
        )
    op.create_index("ix_customer_name", "customer", ["name"])


def downgrade() -> None:
    bind = op.get_bind()
    op.drop_index("ix_customer_name", "customer")
    if bind.dialect.name == "sqlite":
        for trigger in ("customer_fts_ai", "customer_fts_ad", "customer_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS customer_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_customer_search_trgm")
