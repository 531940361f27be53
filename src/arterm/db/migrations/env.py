"""Alembic environment: runs on the connection arterm hands over (see arterm.db.migrate)."""

from alembic import context

from arterm.db.models import TABLES

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when someone runs the alembic CLI directly
    raise RuntimeError("run migrations through `arterm db upgrade`")

context.configure(
    connection=connection,
    target_metadata=TABLES,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
