"""Small helpers for tests that build ledgers through the real ledger commands."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from arterm import ledger as L
from arterm.db import tables
from arterm.db.engine import Database

ACTOR = "tester"


def customer(db: Database, name: str = "Cliente Prueba SA de CV", rfc: str = "EKU9003173C9", **kw: Any) -> int:
    with db.write() as s:
        return L.create_customer(s, actor=ACTOR, name=name, rfc=rfc, **kw)


def invoice(db: Database, customer_id: int, amount: str = "1000.00", *, issue: date | None = None, tax: str = "0",
            kind: str = "invoice", **kw: Any) -> int:
    with db.write() as s:
        return L.issue_document(s, actor=ACTOR, customer_id=customer_id, kind=kind,
                                lines=[L.LineInput("Servicio", "1", amount, tax)], issue_date=issue or date.today(), **kw)


def pay(db: Database, customer_id: int, amount: str, **kw: Any) -> int:
    with db.write() as s:
        return L.record_payment(s, actor=ACTOR, customer_id=customer_id, amount=amount, **kw)


def doc(db: Database, doc_id: int) -> Any:
    with db.read() as s:
        return s.execute(sa.select(tables.document).where(tables.document.c.id == doc_id)).one()


def payment(db: Database, pay_id: int) -> Any:
    with db.read() as s:
        return s.execute(sa.select(tables.payment).where(tables.payment.c.id == pay_id)).one()


def balance(db: Database, customer_id: int, currency: str = "MXN") -> tuple[int, int]:
    with db.read() as s:
        row = s.execute(sa.select(tables.customer_balance.c.open_cents, tables.customer_balance.c.credit_cents).where(
            tables.customer_balance.c.customer_id == customer_id, tables.customer_balance.c.currency == currency)).first()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def counts(db: Database) -> dict[str, int]:
    """Row count of every table: used to prove a failed command wrote nothing."""
    with db.read() as s:
        return {t.name: int(s.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())
                for t in tables.metadata.sorted_tables}


def integrity(db: Database) -> list[str]:
    from arterm.queries.integrity import check_ledger

    with db.read() as s:
        return check_ledger(s)


def warm_aging(db: Database, as_of: date | None = None) -> int:
    """Fill the aging cache for every customer, as ``arterm aging`` does; returns the rows stored.

    Tests call it before a write so that ``check_ledger`` afterwards also proves the write
    invalidated the cache of every customer it touched."""
    from arterm.queries.balances import aging_totals, save_aging

    refreshed: list = []
    with db.read() as s:
        aging_totals(s, as_of=as_of or date.today(), refreshed=refreshed)
    with db.write() as w:
        return save_aging(w, refreshed)
