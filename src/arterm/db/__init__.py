"""Storage: SQLModel tables, engine/session factory, Alembic migrations."""
