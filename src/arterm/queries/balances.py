"""Balances and aging per customer and currency, as of any date.

As of today (or later) they come from the open balance each document keeps (a partial index over
open documents); as of an earlier date they are rebuilt from the history of allocations and
cancellations, so last month's aging can be reproduced.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..domain.aging import DEFAULT_BUCKETS, bucket_keys, due_date_bounds
from ._tables import ACTIVE_PAYMENT, DOC_OPEN, RECEIVABLE_KINDS, T_ALLOC, T_BALANCE, T_CUSTOMER, T_DOC, T_OP, T_PAY


@dataclass(frozen=True)
class Balance:
    customer_id: int
    identifier: str
    name: str
    rfc: str
    currency: str
    current: int  # centavos not yet due
    overdue: int
    total: int  # = current + overdue = sum of open documents
    credit: int  # unapplied payments and credit notes (saldo a favor), shown apart
    buckets: dict[str, int] = field(default_factory=dict)
    assigned: str = ""


def _alloc_effective(as_of: date):  # type: ignore[no-untyped-def]
    return sa.and_(T_ALLOC.c.applied_on <= as_of, sa.or_(T_ALLOC.c.reversed_on.is_(None), T_ALLOC.c.reversed_on > as_of))


def _not_cancelled_as_of(table: sa.Table, as_of: date):  # type: ignore[no-untyped-def]
    return sa.or_(table.c.cancelled_on.is_(None), table.c.cancelled_on > as_of)


def open_items(as_of: date, *, historical: bool, customer_ids: Iterable[int] | None = None) -> sa.Subquery:
    """(customer_id, currency, due_date, bal) for every receivable open as of ``as_of``."""
    if not historical:
        stmt = sa.select(
            T_DOC.c.customer_id, T_DOC.c.currency, T_DOC.c.due_date, T_DOC.c.balance_cents.label("bal")
        ).where(DOC_OPEN, T_DOC.c.kind.in_(RECEIVABLE_KINDS), T_DOC.c.issue_date <= as_of)
    else:
        paid = (
            sa.select(sa.func.coalesce(sa.func.sum(T_ALLOC.c.amount_cents), 0))
            .where(T_ALLOC.c.document_id == T_DOC.c.id, _alloc_effective(as_of))
            .scalar_subquery()
        )
        stmt = sa.select(
            T_DOC.c.customer_id, T_DOC.c.currency, T_DOC.c.due_date, (T_DOC.c.total_cents - paid).label("bal")
        ).where(T_DOC.c.kind.in_(RECEIVABLE_KINDS), T_DOC.c.issue_date <= as_of, _not_cancelled_as_of(T_DOC, as_of))
    if customer_ids is not None:
        stmt = stmt.where(T_DOC.c.customer_id.in_(list(customer_ids)))
    return stmt.subquery("items")


def credits(as_of: date, *, historical: bool, customer_ids: Iterable[int] | None = None) -> sa.Select:
    """(customer_id, currency, credit) — unapplied money as of ``as_of``."""
    ids = list(customer_ids) if customer_ids is not None else None
    if not historical:
        stmt = sa.select(T_BALANCE.c.customer_id, T_BALANCE.c.currency, T_BALANCE.c.credit_cents.label("credit")).where(
            T_BALANCE.c.credit_cents > 0
        )
        if ids is not None:
            stmt = stmt.where(T_BALANCE.c.customer_id.in_(ids))
        return stmt
    used_pay = (
        sa.select(sa.func.coalesce(sa.func.sum(T_ALLOC.c.source_amount_cents), 0))
        .where(T_ALLOC.c.payment_id == T_PAY.c.id, _alloc_effective(as_of))
        .scalar_subquery()
    )
    pay = sa.select(T_PAY.c.customer_id, T_PAY.c.currency, (T_PAY.c.amount_cents - used_pay).label("credit")).where(
        T_PAY.c.paid_on <= as_of, _not_cancelled_as_of(T_PAY, as_of), T_PAY.c.status.in_(ACTIVE_PAYMENT + ("cancelled",))
    )
    used_cn = (
        sa.select(sa.func.coalesce(sa.func.sum(T_ALLOC.c.source_amount_cents), 0))
        .where(T_ALLOC.c.credit_note_id == T_DOC.c.id, _alloc_effective(as_of))
        .scalar_subquery()
    )
    cn = sa.select(T_DOC.c.customer_id, T_DOC.c.currency, (T_DOC.c.total_cents - used_cn).label("credit")).where(
        T_DOC.c.kind == "credit_note", T_DOC.c.issue_date <= as_of, _not_cancelled_as_of(T_DOC, as_of)
    )
    if ids is not None:
        pay = pay.where(T_PAY.c.customer_id.in_(ids))
        cn = cn.where(T_DOC.c.customer_id.in_(ids))
    u = sa.union_all(pay, cn).subquery("c")
    return sa.select(u.c.customer_id, u.c.currency, sa.func.sum(u.c.credit).label("credit")).group_by(
        u.c.customer_id, u.c.currency
    ).having(sa.func.sum(u.c.credit) > 0)


def aging_totals(
    session: Connection,
    *,
    as_of: date,
    limits: tuple[int, ...] = DEFAULT_BUCKETS,
    customer_ids: Iterable[int] | None = None,
    today: date | None = None,
) -> dict[tuple[int, str], tuple[dict[str, int], int]]:
    """{(customer_id, currency): (buckets, credit)} for every customer with open items or credit."""
    historical = as_of < (today or date.today())
    ids = list(customer_ids) if customer_ids is not None else None
    items = open_items(as_of, historical=historical, customer_ids=ids)
    cols = []
    for key, earliest, latest in due_date_bounds(as_of, limits):
        if key == "current":
            cond = items.c.due_date >= as_of
        else:
            cond = items.c.due_date <= latest
            if earliest is not None:
                cond = sa.and_(cond, items.c.due_date >= earliest)
        # bigint: PostgreSQL's sum(bigint) is numeric, which the driver would turn into Decimal.
        cols.append(sa.cast(sa.func.coalesce(sa.func.sum(sa.case((cond, items.c.bal), else_=0)), 0), sa.BigInteger))
    stmt = (
        sa.select(items.c.customer_id, items.c.currency, *cols)
        .where(items.c.bal > 0)
        .group_by(items.c.customer_id, items.c.currency)
    )
    keys = bucket_keys(limits)
    out: dict[tuple[int, str], tuple[dict[str, int], int]] = {}
    for row in session.execute(stmt).all():  # all(): one fetchall, not a fetchone per row
        out[(row[0], row[1])] = (dict(zip(keys, row[2:], strict=True)), 0)
    for cust, cur, credit in session.execute(credits(as_of, historical=historical, customer_ids=ids)).all():
        buckets, _ = out.get((cust, cur), ({k: 0 for k in keys}, 0))
        out[(cust, cur)] = (buckets, int(credit))
    return out


def customer_balances(
    session: Connection,
    customer_ids: Iterable[int] | None,
    *,
    as_of: date,
    limits: tuple[int, ...] = DEFAULT_BUCKETS,
    assigned: str | None = None,
    include_zero: bool = False,
) -> list[Balance]:
    """Balances per customer and currency (sorted by customer name, then currency)."""
    ids = list(customer_ids) if customer_ids is not None else None
    totals = aging_totals(session, as_of=as_of, limits=limits, customer_ids=ids)
    wanted = set(ids) if ids is not None else {c for c, _ in totals}
    if not wanted:
        return []
    info_stmt = sa.select(T_CUSTOMER.c.id, T_CUSTOMER.c.identifier, T_CUSTOMER.c.name, T_CUSTOMER.c.rfc,
                          T_CUSTOMER.c.currency, T_OP.c.username).outerjoin(
        T_OP, T_OP.c.id == T_CUSTOMER.c.assigned_operator_id)
    if assigned:
        info_stmt = info_stmt.where(T_OP.c.username == assigned)
    if ids is not None and len(ids) < 5000:
        info_stmt = info_stmt.where(T_CUSTOMER.c.id.in_(ids))
    info = {r[0]: r for r in session.execute(info_stmt) if r[0] in wanted}
    keys = bucket_keys(limits)
    out: list[Balance] = []
    seen: set[int] = set()
    for (cust, cur), (buckets, credit) in totals.items():
        if cust not in info:
            continue
        seen.add(cust)
        r = info[cust]
        current = buckets["current"]
        total = sum(buckets.values())
        out.append(Balance(cust, r[1], r[2], r[3], cur, current, total - current, total, credit, buckets, r[5] or ""))
    if include_zero:
        for cust, r in info.items():
            if cust not in seen:
                out.append(Balance(cust, r[1], r[2], r[3], r[4], 0, 0, 0, 0, {k: 0 for k in keys}, r[5] or ""))
    out.sort(key=lambda b: (b.name.casefold(), b.identifier, b.currency))
    return out
