"""Tables of the mail feature (imported by models.py so Alembic and gen_tables see them)."""

from __future__ import annotations
