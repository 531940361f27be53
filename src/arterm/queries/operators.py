"""Operators (the people who collect), for pickers."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ._tables import T_OP

MAX_OPERATORS = 1000


@dataclass(frozen=True)
class OperatorRow:
    id: int
    username: str
    full_name: str
    email: str


def list_operators(session: Connection, *, limit: int = MAX_OPERATORS) -> list[OperatorRow]:
    """Operators by username (a small table; capped so a picker never loads an unbounded list)."""
    stmt = (sa.select(T_OP.c.id, T_OP.c.username, T_OP.c.full_name, T_OP.c.email)
            .order_by(T_OP.c.username).limit(max(0, limit)))
    return [OperatorRow(int(r.id), r.username, r.full_name or "", r.email or "") for r in session.execute(stmt)]
