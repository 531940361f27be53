"""Reconciliation checks: every stored balance equals the sum of its parts."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ._tables import (
    ACTIVE_PAYMENT,
    RECEIVABLE_KINDS,
    T_AGING_DOCS,
    T_ALLOC,
    T_BALANCE,
    T_DOC,
    T_PAY,
)
from .balances import (
    aging_totals,
    is_packed_documents,
    open_documents,
    unpack_documents,
    unpack_sums,
)


def check_ledger(session: Connection, *, today: date | None = None) -> list[str]:
    """Problems found (empty when the ledger reconciles)."""
    problems: list[str] = []
    active = T_ALLOC.c.reversed_on.is_(None)
    received = (sa.select(T_ALLOC.c.document_id, sa.func.sum(T_ALLOC.c.amount_cents).label("s"))
                .where(active).group_by(T_ALLOC.c.document_id).subquery())
    rows = session.execute(
        sa.select(T_DOC.c.id, T_DOC.c.total_cents, T_DOC.c.balance_cents, T_DOC.c.status, sa.func.coalesce(received.c.s, 0))
        .outerjoin(received, received.c.document_id == T_DOC.c.id)
        .where(T_DOC.c.kind.in_(RECEIVABLE_KINDS))
    )
    for doc_id, total, balance, status, got in rows:
        expected = 0 if status == "cancelled" else total - got
        if balance != expected or balance < 0:
            problems.append(f"document #{doc_id}: balance {balance} but total {total} − allocations {got} = {expected}")
        if status == "paid" and balance != 0 or status == "current" and balance == 0:
            problems.append(f"document #{doc_id}: status {status} with balance {balance}")
        if status == "cancelled" and got:
            problems.append(f"document #{doc_id}: cancelled but still has allocations")
    given = (sa.select(T_ALLOC.c.credit_note_id, sa.func.sum(T_ALLOC.c.source_amount_cents).label("s"))
             .where(active, T_ALLOC.c.credit_note_id.is_not(None)).group_by(T_ALLOC.c.credit_note_id).subquery())
    for doc_id, total, balance, status, used in session.execute(
        sa.select(T_DOC.c.id, T_DOC.c.total_cents, T_DOC.c.balance_cents, T_DOC.c.status, sa.func.coalesce(given.c.s, 0))
        .outerjoin(given, given.c.credit_note_id == T_DOC.c.id).where(T_DOC.c.kind == "credit_note")
    ):
        expected = 0 if status == "cancelled" else total - used
        if balance != expected or balance < 0:
            problems.append(f"credit note #{doc_id}: unapplied {balance} but total {total} − applied {used} = {expected}")
    paid = (sa.select(T_ALLOC.c.payment_id, sa.func.sum(T_ALLOC.c.source_amount_cents).label("s"))
            .where(active, T_ALLOC.c.payment_id.is_not(None)).group_by(T_ALLOC.c.payment_id).subquery())
    for pay_id, amount, unapplied, status, used in session.execute(
        sa.select(T_PAY.c.id, T_PAY.c.amount_cents, T_PAY.c.unapplied_cents, T_PAY.c.status, sa.func.coalesce(paid.c.s, 0))
        .outerjoin(paid, paid.c.payment_id == T_PAY.c.id)
    ):
        if status in ("cancelled", "rejected"):
            if used:
                problems.append(f"payment #{pay_id}: {status} but still allocated")
            continue
        if unapplied != amount - used or unapplied < 0:
            problems.append(f"payment #{pay_id}: unapplied {unapplied} but amount {amount} − allocated {used}")
    # Customer totals.
    open_sum = (sa.select(T_DOC.c.customer_id, T_DOC.c.currency, sa.func.sum(T_DOC.c.balance_cents).label("s"))
                .where(T_DOC.c.status == "current", T_DOC.c.kind.in_(RECEIVABLE_KINDS))
                .group_by(T_DOC.c.customer_id, T_DOC.c.currency))
    pay_credit = (sa.select(T_PAY.c.customer_id, T_PAY.c.currency, T_PAY.c.unapplied_cents.label("s"))
                  .where(T_PAY.c.status.in_(ACTIVE_PAYMENT)))
    cn_credit = (sa.select(T_DOC.c.customer_id, T_DOC.c.currency, T_DOC.c.balance_cents.label("s"))
                 .where(T_DOC.c.kind == "credit_note", T_DOC.c.status == "current"))
    expected: dict[tuple[int, str], list[int]] = {}
    for cust, cur, s in session.execute(open_sum):
        expected.setdefault((cust, cur), [0, 0])[0] += int(s)
    for cust, cur, s in session.execute(sa.union_all(pay_credit, cn_credit)):
        expected.setdefault((cust, cur), [0, 0])[1] += int(s)
    stored = {(c, cur): [int(o), int(cr)] for c, cur, o, cr in session.execute(
        sa.select(T_BALANCE.c.customer_id, T_BALANCE.c.currency, T_BALANCE.c.open_cents, T_BALANCE.c.credit_cents))}
    for key in set(expected) | set(stored):
        e = expected.get(key, [0, 0])
        g = stored.get(key, [0, 0])
        if e != g:
            problems.append(f"customer {key[0]} {key[1]}: stored open/credit {g} but documents/payments say {e}")
    problems += check_aging_cache(session, today=today)
    return problems


def check_aging_cache(session: Connection, *, today: date | None = None) -> list[str]:
    """Every aging cache row still in force equals the aging computed from the open documents, on
    the first day it is used for and on its last day (the day before ``aging_until``)."""
    day = today or date.today()
    b = T_BALANCE.c
    # The days as stored (``type_coerce``: not parsed on the way out, which failed on what SQLite
    # keeps in a DATE column after a hand edit: any text, a number).
    cached = session.execute(
        sa.select(b.customer_id, b.currency, sa.type_coerce(b.aging_as_of, sa.String()),
                  sa.type_coerce(b.aging_until, sa.String()), b.aging_limits, b.aging_sums)
        .where(b.aging_rev == b.rev, sa.or_(b.aging_until.is_(None), b.aging_until > day))).all()
    problems: list[str] = []
    checks: dict[tuple[tuple[int, ...], date], list] = {}
    for row in cached:
        cust, cur, stored_as_of, stored_until, lkey = row[:5]
        try:
            limits = tuple(int(x) for x in lkey.split(","))
        except (ValueError, TypeError, AttributeError):  # SQLite: bytes or a number in the column
            problems.append(f"customer {cust} {cur}: cached aging with bucket limits {lkey!r}")
            continue
        packed = row[5] if row[5] is not None else b""
        if type(packed) is not bytes:  # SQLite: any type in any column; the report reads only bytes
            problems.append(f"customer {cust} {cur}: cached aging stored as {type(packed).__name__}, not bytes, "
                            f"for bucket limits {lkey!r}")
            continue
        if stored_as_of is None:
            problems.append(f"customer {cust} {cur}: cached aging without the day it was computed for")
            continue
        as_of, until = _stored_day(stored_as_of), _stored_day(stored_until)
        if as_of is None:
            problems.append(f"customer {cust} {cur}: cached aging computed for {stored_as_of!r}, not a day")
            continue
        if until is None and stored_until is not None:
            problems.append(f"customer {cust} {cur}: cached aging in force until {stored_until!r}, not a day")
            continue
        if len(packed) != 8 * (len(limits) + 2):
            problems.append(f"customer {cust} {cur}: cached aging of {len(packed)} bytes for bucket limits {lkey!r}")
            continue
        first = max(as_of, day)
        for when in {first, until - timedelta(days=1)} if until is not None else {first}:
            checks.setdefault((limits, when), []).append((row, as_of))
    beyond: set[tuple[int, str]] = set()
    for (limits, when), rows in checks.items():
        ids = sorted({r[0] for r, _ in rows})
        truth: dict = {}
        try:
            for i in range(0, len(ids), 2_000):
                truth.update(aging_totals(session, as_of=when, limits=limits, customer_ids=ids[i:i + 2_000],
                                          today=when, use_cache=False))
        except OverflowError:  # limits reaching before year 1 (a hand edit): no aging to compare with
            for r, _ in rows:
                if (r[0], r[1]) not in beyond:
                    beyond.add((r[0], r[1]))
                    problems.append(f"customer {r[0]} {r[1]}: cached aging with bucket limits {r[4]!r}")
            continue
        for row, as_of in rows:
            cust, cur, stored = row[0], row[1], list(unpack_sums(row[5]))
            want = list(truth.get((cust, cur), ((0,) * (len(limits) + 2), 0))[0])
            if stored != want:
                problems.append(f"customer {cust} {cur}: cached aging {stored} but documents say {want}"
                                + ("" if when == max(as_of, day) else f" on {when.isoformat()}"))
    return problems + _check_cached_documents(session)


def _stored_day(value: object) -> date | None:
    """A day as a DATE column gives it: PostgreSQL's driver a ``date``, SQLite the text the cache
    wrote (``YYYY-MM-DD``, which SQLite compares as text). None for anything else."""
    if type(value) is date:
        return value
    if isinstance(value, str):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return None
        return day if day.isoformat() == value else None
    return None


def _check_cached_documents(session: Connection) -> list[str]:
    """The documents kept for the aging of a customer at its balance row's revision are exactly
    its open documents (what later dates and other bucket limits are computed from)."""
    b, t = T_BALANCE.c, T_AGING_DOCS.c
    rows = session.execute(sa.select(t.customer_id, t.currency, t.documents)
                           .join_from(T_AGING_DOCS, T_BALANCE, sa.and_(b.customer_id == t.customer_id,
                                                                     b.currency == t.currency))
                           .where(b.rev == t.rev, b.open_cents != 0)).all()
    if not rows:
        return []
    kept = {(r[0], r[1]): r[2] for r in rows}
    actual = open_documents(session, set(kept), whole=True)
    problems: list[str] = []
    for (cust, cur), packed in kept.items():
        if not is_packed_documents(packed):
            problems.append(f"customer {cust} {cur}: kept open documents damaged")
            continue
        stored = sorted(unpack_documents(packed))
        truth = sorted(actual.get((cust, cur), []))
        if stored != truth:
            problems.append(f"customer {cust} {cur}: kept open documents {stored} but the ledger has {truth}")
    return problems
