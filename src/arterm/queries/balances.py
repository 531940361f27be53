"""Balances and aging per customer and currency, as of any date.

As of today (or later) they come from the open balance each document keeps (a partial index over
open documents); as of an earlier date they are rebuilt from the history of allocations and
cancellations, so last month's aging can be reproduced.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..domain.aging import DEFAULT_BUCKETS, bucket_keys, due_date_bounds
from ..domain.aging import buckets as aging_buckets
from ._tables import (
    ACTIVE_PAYMENT,
    DOC_OPEN,
    RECEIVABLE_KINDS,
    T_AGING_DOCS,
    T_ALLOC,
    T_BALANCE,
    T_CUSTOMER,
    T_DOC,
    T_OP,
    T_PAY,
)


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


LIMITS_KEY_MAX = 60
"""Length of ``customer_balance.aging_limits``: bucket limits with a longer key are not cached."""
_CHUNK = 2_000
_STALE_SCAN = 30_000

AgingRefresh = tuple[int, str, int, date, "date | None", str, tuple[int, ...], "bytes | None"]
"""(customer_id, currency, rev, as_of, until, limits, buckets, documents): one freshly computed
cache row; ``documents`` as ``pack_documents`` makes them, None when they are kept already."""


def limits_key(limits: tuple[int, ...]) -> str:
    return ",".join(str(n) for n in limits)


def _sums_format(n: int) -> struct.Struct:
    """``customer_balance.aging_sums``: ``n`` bucket sums, little-endian signed 64-bit each."""
    return struct.Struct(f"<{n}q")


def pack_sums(sums: tuple[int, ...]) -> bytes:
    return _sums_format(len(sums)).pack(*sums)


def unpack_sums(packed: bytes) -> tuple[int, ...]:
    """The bucket sums of ``pack_sums``; ``ValueError`` for bytes that are not whole sums."""
    if len(packed) % 8:
        raise ValueError(f"{len(packed)} bytes are not whole 8-byte sums")
    return _sums_format(len(packed) // 8).unpack(packed)


_EPOCH = date(1970, 1, 1)
_DOC = struct.Struct("<iiq")
"""One open document in ``aging_documents.documents``: day it is owed from (its issue date), due
day (both in days since 1970-01-01) and open balance in centavos."""
_DOCS_TAG = b"doc1"
"""The first bytes of ``aging_documents.documents`` (a format version)."""


def pack_documents(docs: Iterable[tuple[int, int, int]]) -> bytes:
    """(day owed from, due day, open balance) of each open document, for ``aging_documents``."""
    return _DOCS_TAG + b"".join(_DOC.pack(*doc) for doc in docs)


def is_packed_documents(packed: object) -> bool:
    """``packed`` is what ``pack_documents`` makes (SQLite keeps any type in any column)."""
    return type(packed) is bytes and packed[:4] == _DOCS_TAG and len(packed) % _DOC.size == len(_DOCS_TAG)


def unpack_documents(packed: bytes) -> list[tuple[int, int, int]]:
    return list(_documents(packed))


def _documents(packed: bytes) -> Iterable[tuple[int, int, int]]:
    return _DOC.iter_unpack(memoryview(packed)[len(_DOCS_TAG):])


@functools.lru_cache(maxsize=16)
def _bucket_ends(limits: tuple[int, ...]) -> tuple[int, ...]:
    """The last day past due of each bucket but the last (which has no end): 0 for current."""
    return tuple(bk.hi for bk in aging_buckets(limits) if bk.hi is not None)


def age_packed_documents(packed: bytes, as_of: date, limits: tuple[int, ...]) -> tuple[tuple[int, ...], date | None]:
    """(bucket sums, until) as of ``as_of`` of the documents ``pack_documents`` packed: what
    ``aging_totals`` computes in SQL from the open documents (``use_cache=False``), and the first
    day after ``as_of`` on which one of them changes bucket or starts to be owed (None: never)."""
    his = _bucket_ends(limits)
    day = (as_of - _EPOCH).days
    sums = [0] * (len(his) + 1)
    last = len(his)
    until: int | None = None
    for owed_from, due, balance in _documents(packed):
        if owed_from > day:  # not owed yet: counts from its issue date
            change = owed_from
        else:
            past = day - due
            for i, hi in enumerate(his):
                if past <= hi:
                    sums[i] += balance
                    change = due + hi + 1
                    break
            else:  # in the last bucket for good
                sums[last] += balance
                continue
        if until is None or change < until:
            until = change
    return tuple(sums), None if until is None else _EPOCH + timedelta(days=until)


def _bucket_conds(due: sa.ColumnElement, as_of: date, limits: tuple[int, ...]) -> list[sa.ColumnElement]:
    """For each bucket, the condition on a document's due date that puts it there as of ``as_of``."""
    conds = []
    for key, earliest, latest in due_date_bounds(as_of, limits):
        if key == "current":
            conds.append(due >= as_of)
        else:
            cond = due <= latest
            conds.append(cond if earliest is None else sa.and_(cond, due >= earliest))
    return conds


def _sum(cond: sa.ColumnElement, value: sa.ColumnElement) -> sa.ColumnElement:
    # bigint: PostgreSQL's sum(bigint) is numeric, which the driver would turn into Decimal.
    return sa.cast(sa.func.coalesce(sa.func.sum(sa.case((cond, value), else_=0)), 0), sa.BigInteger)


def aging_totals(
    session: Connection,
    *,
    as_of: date,
    limits: tuple[int, ...] = DEFAULT_BUCKETS,
    customer_ids: Iterable[int] | None = None,
    today: date | None = None,
    refreshed: list[AgingRefresh] | None = None,
    use_cache: bool = True,
) -> dict[tuple[int, str], tuple[tuple[int, ...], int]]:
    """{(customer_id, currency): (bucket sums, credit)} for every customer with open items or credit.

    The bucket sums are in the order of ``bucket_keys(limits)``. As of today or later they come from
    the aging cache kept on ``customer_balance`` where it is still valid, and are computed from the
    open documents for the rest; those fresh rows are appended to ``refreshed`` (store them with
    :func:`save_aging`). ``use_cache=False`` computes every row from the documents (the reference
    the cache is tested against).
    """
    historical = as_of < (today or date.today())
    ids = list(customer_ids) if customer_ids is not None else None
    if not historical and use_cache and len(limits_key(limits)) <= LIMITS_KEY_MAX:
        return _aging_cached(session, as_of, limits, ids, refreshed)
    items = open_items(as_of, historical=historical, customer_ids=ids)
    cols = [_sum(cond, items.c.bal) for cond in _bucket_conds(items.c.due_date, as_of, limits)]
    stmt = (
        sa.select(items.c.customer_id, items.c.currency, *cols)
        .where(items.c.bal > 0)
        .group_by(items.c.customer_id, items.c.currency)
    )
    zeros = (0,) * len(cols)
    out: dict[tuple[int, str], tuple[tuple[int, ...], int]] = {}
    for row in session.execute(stmt).all():  # all(): one fetchall, not a fetchone per row
        out[(row[0], row[1])] = (tuple(row[2:]), 0)
    for cust, cur, credit in session.execute(credits(as_of, historical=historical, customer_ids=ids)).all():
        sums, _ = out.get((cust, cur), (zeros, 0))
        out[(cust, cur)] = (sums, int(credit))
    return out


def _by_ids(session: Connection, stmt: sa.Select, ids: list[int] | None,
            column: sa.ColumnElement = T_BALANCE.c.customer_id, *, plain: bool = False) -> list:
    """All rows of ``stmt``, or those whose ``column`` is in ``ids`` (asked in chunks: SQLite
    takes at most 32,766 parameters per statement; PostgreSQL: all at once, as one array: psycopg
    spent ~15 ms per 2,000 parameters just parsing the statement).

    ``plain``: the driver's own tuples, for statements whose columns need no conversion (integers
    and text): no SQLAlchemy ``Row`` per result row (~30 ms per 100k rows).
    """
    if ids is None:
        return _fetch(session, stmt, plain=plain)
    if session.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        return _fetch(session, stmt.where(column == sa.any_(sa.bindparam("ids", ids, type_=ARRAY(sa.Integer)))),
                      plain=plain)
    rows: list = []
    for chunk in _chunks(ids):
        rows += _fetch(session, stmt.where(column.in_(chunk)), plain=plain)
    return rows


def _chunks(ids: list[int]) -> list[list[int]]:
    """``ids`` in pieces of ``_CHUNK`` (SQLite takes at most 32,766 parameters per statement)."""
    return [ids[i:i + _CHUNK] for i in range(0, len(ids), _CHUNK)]


def _fetch(session: Connection, query: sa.Executable, *, plain: bool) -> list:
    result = session.execute(query)
    if not plain:
        return list(result.all())
    try:
        return list(result.cursor.fetchall())
    finally:
        result.close()


def cache_statement(as_of: date, limits: tuple[int, ...], chunk: list[int] | None = None) -> sa.Select:
    """Every customer_balance row with something open or credit (or those of the customers in
    ``chunk``), once each, in one scan: (customer, currency, credit, sums, rev). ``sums``: the
    packed bucket sums where the cached row is in force (nearly all rows on a warm cache), else
    NULL; ``rev``: -1 when nothing is open (credit only).

    One statement, so every row is classified once (two could disagree if a report saved in
    between), and one scan: a statement per currency, or one for the cached rows and one for the
    others, each scanned the table again (~200 ms instead of ~160 at 100k rows)."""
    b = T_BALANCE.c
    # ``!= 0`` (never negative): a scan of the table, not a walk of the balance index plus a
    # lookup per row (SQLite picks the index for ``> 0``: 580 ms instead of 380 with the fetch,
    # at 100k rows).
    owes = b.open_cents != 0
    valid = sa.and_(owes, b.aging_rev == b.rev, b.aging_limits == limits_key(limits), b.aging_as_of <= as_of,
                    sa.or_(b.aging_until.is_(None), b.aging_until > as_of))
    stmt = sa.select(b.customer_id, b.currency, b.credit_cents, sa.case((valid, b.aging_sums)),
                     sa.case((owes, b.rev), else_=-1)).where(sa.or_(owes, b.credit_cents != 0))
    return stmt if chunk is None else stmt.where(b.customer_id.in_(chunk))


def _aging_cached(
    session: Connection, as_of: date, limits: tuple[int, ...], ids: list[int] | None,
    refreshed: list[AgingRefresh] | None,
) -> dict[tuple[int, str], tuple[tuple[int, ...], int]]:
    n = len(bucket_keys(limits))
    size = 8 * n
    zeros = (0,) * n
    nothing = pack_sums(zeros)  # cached, but only post-dated documents open: not listed
    unpack = _sums_format(n).unpack
    lkey = limits_key(limits)
    out: dict[tuple[int, str], tuple[tuple[int, ...], int]] = {}
    pending: dict[tuple[int, str], tuple[int, int]] = {}  # (customer, currency) -> (rev, credit)

    def computed(key: tuple[int, str], rev: int, credit: int, documents: bytes, *, kept: bool) -> None:
        bucket_sums, until = age_packed_documents(documents, as_of, limits)
        if credit or any(bucket_sums):
            out[key] = (bucket_sums, credit)
        if refreshed is not None:
            # ``rev`` was read before the documents: if they changed in between, rev has moved
            # on and save_aging skips the row, so a stored row always matches its revision.
            refreshed.append((key[0], key[1], rev, as_of, until, lkey, bucket_sums, None if kept else documents))

    for chunk in [None] if ids is None else _chunks(ids):
        rows = _fetch(session, cache_statement(as_of, limits, chunk), plain=True)
        # ``type() is bytes``: SQLite keeps any type in any column (a hand edit): such a row is
        # computed again (and ``arterm db check`` names it).
        out.update({(c, cur): (unpack(sums), credit) for c, cur, credit, sums, _ in rows
                    if type(sums) is bytes and len(sums) == size and (credit or sums != nothing)})
        for c, cur, credit, _, rev in [r for r in rows if type(r[3]) is not bytes or len(r[3]) != size]:
            if rev < 0:  # credit only: nothing open
                out[(c, cur)] = (zeros, credit)
            else:
                pending[(c, cur)] = (rev, credit)
    if not pending:
        return out
    # Out of date only because the day moved on (or other limits): from the documents kept with
    # the row at its revision. Otherwise (the documents changed): from the ledger.
    kept = _kept_documents(session, pending, whole=ids is None)
    stale = {key: value for key, value in pending.items() if key not in kept}
    for key, documents in kept.items():
        rev, credit = pending[key]
        computed(key, rev, credit, documents, kept=True)
    if stale:
        documents = open_documents(session, set(stale), whole=ids is None)
        for key, (rev, credit) in stale.items():
            if key in documents:
                computed(key, rev, credit, pack_documents(documents[key]), kept=False)
            elif credit:  # paid off since the first statement
                out[key] = (zeros, credit)
    return out


def _kept_documents(session: Connection, wanted: dict[tuple[int, str], tuple[int, int]], *,
                    whole: bool) -> dict[tuple[int, str], bytes]:
    """The packed documents kept for each wanted (customer, currency) at the revision it was read
    at (``wanted[key][0]``). Another revision is skipped: the row changed since they were kept,
    or it changed after this report read it (it is then computed from the ledger)."""
    t = T_AGING_DOCS.c
    stmt = sa.select(t.customer_id, t.currency, t.rev, t.documents)
    custs = sorted({c for c, _ in wanted})
    rows = _by_ids(session, stmt, None if whole and len(custs) >= _STALE_SCAN else custs, t.customer_id, plain=True)
    out: dict[tuple[int, str], bytes] = {}
    for c, cur, rev, documents in rows:
        want = wanted.get((c, cur))
        if want is not None and want[0] == rev and is_packed_documents(documents):
            out[(c, cur)] = documents
    return out


def _day_number(session: Connection, value: sa.ColumnElement) -> sa.ColumnElement:
    """Days since 1970-01-01 of a date column, as an integer, in SQL."""
    if session.dialect.name == "sqlite":  # dates are 'YYYY-MM-DD' text; julianday() parses them
        return sa.cast(sa.func.julianday(value) - 2440587.5, sa.Integer)
    return value - sa.literal(_EPOCH, sa.Date())  # PostgreSQL: date - date = integer days


def open_documents(
    session: Connection, wanted: set[tuple[int, str]], *, whole: bool,
) -> dict[tuple[int, str], list[tuple[int, int, int]]]:
    """(day owed from, due day, open balance) of the open documents of each wanted (customer,
    currency) that has any. ``whole``: ``wanted`` may be most customers (read every open
    document once rather than look them up)."""
    d = T_DOC.c
    stmt = (sa.select(d.customer_id, d.currency, _day_number(session, d.issue_date), _day_number(session, d.due_date),
                      d.balance_cents)
            .where(DOC_OPEN, d.kind.in_(RECEIVABLE_KINDS)))
    custs = sorted({c for c, _ in wanted})
    out: dict[tuple[int, str], list[tuple[int, int, int]]] = {}
    # A few: looked up by customer. Most of them (the first report, or after weeks): one pass over
    # every open document beats 50 lookups of 2,000 customers.
    for c, cur, owed_from, due, balance in _by_ids(session, stmt, None if whole and len(custs) >= _STALE_SCAN else custs,
                                                   d.customer_id, plain=True):
        key = (c, cur)
        if key in wanted:
            docs = out.get(key)
            if docs is None:
                out[key] = [(owed_from, due, balance)]
            else:
                docs.append((owed_from, due, balance))
    return out


def save_aging(session: Connection, refreshed: list[AgingRefresh]) -> int:
    """Store freshly computed aging rows; a row whose customer changed since (``rev``) is skipped.

    Returns how many rows were stored. Run it in its own write transaction, after the read.
    """
    if not refreshed:
        return 0
    b = T_BALANCE.c
    values = {"aging_rev": sa.bindparam("p_rev"), "aging_as_of": sa.bindparam("p_as_of", type_=sa.Date()),
              "aging_until": sa.bindparam("p_until", type_=sa.Date()), "aging_limits": sa.bindparam("p_limits"),
              "aging_sums": sa.bindparam("p_sums", type_=sa.LargeBinary())}
    stmt = (T_BALANCE.update()
            .where(b.customer_id == sa.bindparam("p_cust"), b.currency == sa.bindparam("p_cur"),
                   b.rev == sa.bindparam("p_rev"))
            .values(**values))
    # In key order, as every ledger write that locks several balance rows does (CFDI imports):
    # PostgreSQL could otherwise deadlock a concurrent import with this save.
    refreshed = sorted(refreshed, key=lambda r: (r[0], r[1]))
    params = [{"p_cust": cust, "p_cur": cur, "p_rev": rev, "p_as_of": as_of, "p_until": until, "p_limits": lkey,
               "p_sums": pack_sums(tuple(sums))}
              for cust, cur, rev, as_of, until, lkey, sums, _docs in refreshed]
    stored = 0
    for i in range(0, len(params), 5_000):
        stored += session.execute(stmt, params[i:i + 5_000]).rowcount or 0
    # The documents behind them. Labelled with the revision read before them, so documents that
    # changed meanwhile (rev has moved on) are never used; kept unconditionally (at worst, an
    # older report's documents replace a newer one's, and the next report reads the ledger).
    docs = [{"customer_id": cust, "currency": cur, "rev": rev, "documents": documents}
            for cust, cur, rev, _as_of, _until, _lkey, _sums, documents in refreshed if documents is not None]
    if docs:
        t = T_AGING_DOCS
        if session.dialect.name == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        upsert = insert(t)
        upsert = upsert.on_conflict_do_update(index_elements=[t.c.customer_id, t.c.currency],
                                              set_={"rev": upsert.excluded.rev, "documents": upsert.excluded.documents})
        for i in range(0, len(docs), 5_000):
            session.execute(upsert, docs[i:i + 5_000])
    return stored


def customer_balances(
    session: Connection,
    customer_ids: Iterable[int] | None,
    *,
    as_of: date,
    limits: tuple[int, ...] = DEFAULT_BUCKETS,
    assigned: str | None = None,
    include_zero: bool = False,
    refreshed: list[AgingRefresh] | None = None,
) -> list[Balance]:
    """Balances per customer and currency (sorted by customer name, then currency).

    ``refreshed``: see :func:`aging_totals`.
    """
    ids = list(customer_ids) if customer_ids is not None else None
    totals = aging_totals(session, as_of=as_of, limits=limits, customer_ids=ids, refreshed=refreshed)
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
    info = {r[0]: r for r in session.execute(info_stmt).all() if r[0] in wanted}
    keys = bucket_keys(limits)
    out: list[Balance] = []
    seen: set[int] = set()
    for (cust, cur), (sums, credit) in totals.items():
        if cust not in info:
            continue
        seen.add(cust)
        r = info[cust]
        current = sums[0]  # bucket_keys starts with "current"
        total = sum(sums)
        out.append(Balance(cust, r[1], r[2], r[3], cur, current, total - current, total, credit,
                           dict(zip(keys, sums)), r[5] or ""))
    if include_zero:
        for cust, r in info.items():
            if cust not in seen:
                out.append(Balance(cust, r[1], r[2], r[3], r[4], 0, 0, 0, 0, {k: 0 for k in keys}, r[5] or ""))
    out.sort(key=lambda b: (b.name.casefold(), b.identifier, b.currency))
    return out
