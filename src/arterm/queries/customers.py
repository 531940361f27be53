"""Customer search and paging (accent- and case-insensitive substring over name, RFC, identifier,
emails and phone), and the customer's profile header.

The customer list is read in two steps, so a page never costs more than its 200-odd rows:

1. **ids of one page** (``customer_page_ids``): only the columns the filter and the order need, so
   SQLite answers from covering indexes (``ix_customer_list_search`` for name order and text
   filters, ``ix_customer_list_balance`` for the balance and overdue orders; migration 0006);
2. **the rows** (``customer_rows``): name, RFC, operator, balances and the overdue amount of
   exactly those ids.

Search text is folded (``domain.text.fold``) and split into tokens; a customer matches when every
token is a substring of its stored ``search_text``. On SQLite, tokens of three or more characters
can be answered by the FTS5 trigram index (``customer_fts``); shorter ones by ``LIKE`` over the
covering index. Which one is used for a page is decided per query from the number of FTS matches:
a few matches are fetched through FTS and sorted, many are found by walking the name index in order
(it stops as soon as the page is full). PostgreSQL answers ``LIKE`` from its pg_trgm GIN index.

Sorts: ``name`` (A→Z ignoring case and accents, see ``name_order``), ``balance`` and ``overdue``
(largest first; customers with nothing in that column follow in name order), ``identifier``.
Amounts are in each customer's main currency.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..domain.errors import NotFound
from ..domain.text import fold
from ._tables import RECEIVABLE_KINDS, T_BALANCE, T_CUSTOMER, T_DOC, T_OP
from .rows import CustomerRow as CustomerRow  # defined without SQLAlchemy (see rows.py)

SORTS = ("name", "balance", "overdue", "identifier")

FTS_MIN = 3
"""Shortest token the trigram index can answer."""
FTS_ROW_COST = 13
"""Cost of fetching one FTS match and sorting it, in index entries walked by a ``LIKE`` scan."""
SMALL_SET = 1000
"""Below this many matches, the overdue order is computed per matching customer."""
DEEP_PAGE = 5000
"""Pages ending further down than this in the overdue order aggregate every overdue document."""


@dataclass(frozen=True)
class CustomerDetail:
    id: int
    identifier: str
    name: str
    rfc: str
    rfc_check_ok: bool
    tax_regime: str
    uso_cfdi: str
    street: str
    ext_number: str
    int_number: str
    colonia: str
    municipio: str
    state: str
    postal_code: str
    country: str
    phone: str
    emails: tuple[str, ...]
    language: str
    assigned: str
    assigned_name: str
    assigned_email: str
    payment_terms_days: int
    credit_limit_cents: int | None
    currency: str
    version: int

    @property
    def address_lines(self) -> tuple[str, ...]:
        line1 = " ".join(p for p in (self.street, self.ext_number, f"Int. {self.int_number}" if self.int_number else "") if p)
        line2 = ", ".join(p for p in (self.colonia, self.municipio) if p)
        line3 = ", ".join(p for p in (self.state, f"C.P. {self.postal_code}" if self.postal_code else "", self.country) if p)
        return tuple(x for x in (line1, line2, line3) if x)


# ------------------------------------------------------------------------------------ the filter
def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _tokens(query: str) -> list[str]:
    return [t for t in fold(query or "").split() if t]


def _fts_match(tokens: Sequence[str]) -> str:
    """An FTS5 query: every token as a quoted phrase (a substring for the trigram tokenizer)."""
    return " ".join('"' + t.replace('"', '""') + '"' for t in tokens)


def _like(token: str):  # type: ignore[no-untyped-def]
    return T_CUSTOMER.c.search_text.like(f"%{_like_escape(token)}%", escape="\\")


def _fts_ids(tokens: Sequence[str]):  # type: ignore[no-untyped-def]
    return sa.text("SELECT rowid FROM customer_fts WHERE customer_fts MATCH :fts").bindparams(fts=_fts_match(tokens))


def search_condition(session: Connection, query: str):  # type: ignore[no-untyped-def]
    """WHERE clause for a free-text search; None when the query is empty."""
    tokens = _tokens(query)
    if not tokens:
        return None
    return sa.and_(*_text_conds(session, tokens, use_fts=True))


def _text_conds(session: Connection, tokens: Sequence[str], *, use_fts: bool) -> list:
    """Every token must be a substring of search_text (FTS for long tokens when ``use_fts``)."""
    fts = [t for t in tokens if len(t) >= FTS_MIN] if use_fts and session.dialect.name == "sqlite" else []
    conds = [T_CUSTOMER.c.id.in_(_fts_ids(fts))] if fts else []
    conds += [_like(t) for t in tokens if t not in fts]
    return conds


def _overdue_docs(as_of: date):  # type: ignore[no-untyped-def]
    """Open receivables past due on ``as_of`` (answered by the partial index
    ix_customer_list_overdue: customer, currency, due date).

    ``kind || ''`` keeps the kind test out of index seeks: SQLite 3.40 returns wrong rows when it
    seeks ix_document_open (customer_id, kind, currency, due_date) with ``kind IN (...)``, an
    equality on currency and a range on due_date, once ANALYZE statistics make it pick its
    SeekScan strategy (seen on the 100k-customer demo database: customers with no overdue document
    reported as overdue). Harmless on PostgreSQL.
    """
    return sa.and_(T_DOC.c.status == "current", T_DOC.c.kind.concat("").in_(RECEIVABLE_KINDS),
                   T_DOC.c.due_date < as_of)


def _overdue_amount(as_of: date):  # type: ignore[no-untyped-def]
    """Correlated: the customer's overdue amount in its main currency."""
    return (
        sa.select(sa.func.coalesce(sa.func.sum(T_DOC.c.balance_cents), 0))
        .where(T_DOC.c.customer_id == T_CUSTOMER.c.id, T_DOC.c.currency == T_CUSTOMER.c.currency, _overdue_docs(as_of))
        .scalar_subquery()
    )


@dataclass
class _Plan:
    """One customer-list query, analysed once: tokens, resolved operator, match estimates."""

    session: Connection
    tokens: list[str]
    only_overdue: bool
    assigned: str | None
    as_of: date
    operator_id: int | None = None
    nothing: bool = False  # the filter cannot match anything (unknown operator, no FTS hit)
    fts_matches: int | None = None  # customers matching the long tokens (SQLite FTS), if any
    customers: int = 0  # rough size of the customer table (max id)

    @classmethod
    def make(cls, session: Connection, query: str, *, only_overdue: bool, assigned: str | None,
             as_of: date | None) -> _Plan:
        plan = cls(session, _tokens(query), only_overdue, assigned or None, as_of or date.today())
        if plan.assigned:
            plan.operator_id = session.execute(
                sa.select(T_OP.c.id).where(T_OP.c.username == plan.assigned)).scalar_one_or_none()
            plan.nothing = plan.operator_id is None
        if plan.sqlite and plan.long_tokens and not plan.nothing:
            plan.fts_matches = int(session.execute(
                sa.text("SELECT count(*) FROM customer_fts WHERE customer_fts MATCH :fts").bindparams(
                    fts=_fts_match(plan.long_tokens))).scalar_one())
            plan.nothing = plan.fts_matches == 0
            plan.customers = int(session.execute(sa.select(sa.func.max(T_CUSTOMER.c.id))).scalar_one() or 0)
        return plan

    @property
    def sqlite(self) -> bool:
        return self.session.dialect.name == "sqlite"

    @property
    def long_tokens(self) -> list[str]:
        return [t for t in self.tokens if len(t) >= FTS_MIN]

    @property
    def only_fts(self) -> bool:
        """Only long tokens and no other filter: the FTS index alone answers the count."""
        return bool(self.tokens) and len(self.long_tokens) == len(self.tokens) and not (
            self.only_overdue or self.assigned)

    def fts_pays(self, rows_needed: int, *, covering: bool = True) -> bool:
        """Fetching the FTS matches and sorting them beats walking an index in order with LIKE.

        ``covering``: the walk reads only an index (the name order); otherwise every step also
        reads a customer row, which costs about as much as one FTS match.
        """
        if self.fts_matches is None:
            return False
        matches = max(1, self.fts_matches)
        scan = rows_needed * max(1, self.customers) / matches  # entries walked until the page is full
        return matches * (FTS_ROW_COST if covering else 1) < scan

    def conds(self, *, use_fts: bool) -> list:
        conds = _text_conds(self.session, self.tokens, use_fts=use_fts)
        if self.operator_id is not None:
            column = T_CUSTOMER.c.assigned_operator_id
            if self.sqlite and not use_fts and self.tokens:
                # With LIKE filters the covering list index beats the operator index (which would
                # read every customer row to test the LIKE); "+ 0" keeps SQLite off the latter.
                column = column + 0
            conds.append(column == self.operator_id)
        if self.only_overdue:  # probed per candidate (ix_document_open)
            conds.append(sa.exists().where(T_DOC.c.customer_id == T_CUSTOMER.c.id, _overdue_docs(self.as_of)))
        return conds


# ------------------------------------------------------------------------------------- counting
def count_customers(session: Connection, query: str = "", *, only_overdue: bool = False, assigned: str | None = None,
                    as_of: date | None = None) -> int:
    """How many customers match (the same filter as ``search_customers``)."""
    plan = _Plan.make(session, query, only_overdue=only_overdue, assigned=assigned, as_of=as_of)
    if plan.nothing:
        return 0
    if plan.sqlite and plan.only_fts and plan.fts_matches is not None:
        return plan.fts_matches
    if plan.only_overdue and not plan.tokens and plan.operator_id is None:
        # Only the overdue filter: one pass over the open documents' partial index.
        stmt = sa.select(sa.func.count(sa.distinct(T_DOC.c.customer_id))).where(_overdue_docs(plan.as_of))
        return int(session.execute(stmt).scalar_one())
    use_fts = plan.fts_matches is not None and plan.fts_matches * 8 < max(1, plan.customers)
    stmt = sa.select(sa.func.count()).select_from(T_CUSTOMER).where(*plan.conds(use_fts=use_fts))
    return int(session.execute(stmt).scalar_one())


ESTIMATE_ABOVE = 20_000
"""Customers; below this an exact count is always cheap enough for a keystroke."""
ESTIMATE_SAMPLE = 2_000
"""Most recent customers (by id) an estimate looks at."""
ESTIMATE_MIN_HITS = 40
"""Fewer matches than this in the sample: too few to extrapolate (the exact count is used)."""


def estimate_customers(session: Connection, query: str = "", *, only_overdue: bool = False,
                       assigned: str | None = None, as_of: date | None = None) -> int | None:
    """A quick estimate of ``count_customers`` for the filters whose exact count reads every
    customer (a token shorter than three characters, the overdue filter), or ``None`` when the
    exact count is cheap anyway or the filter is too rare to extrapolate from a sample.

    The estimate is the share of matches among the most recent ``ESTIMATE_SAMPLE`` customers times
    the number of customers: a one-letter search on 100,000 customers is estimated in about a
    millisecond instead of counted in a full scan. The screen shows it as approximate until the
    exact count (run next, off the keystroke's path) replaces it.
    """
    plan = _Plan.make(session, query, only_overdue=only_overdue, assigned=assigned, as_of=as_of)
    if plan.nothing:
        return None
    short = len(plan.long_tokens) < len(plan.tokens)
    if not (short or plan.only_overdue):
        return None  # no filter, operator only, or FTS only: exact counts are index lookups
    use_fts = plan.fts_matches is not None and plan.fts_matches * 8 < max(1, plan.customers)
    if use_fts:
        return None  # a few FTS matches narrow the scan already
    # Two statements: SQLite answers a bare count(*) and a bare max(id) without scanning.
    total = int(session.execute(sa.select(sa.func.count()).select_from(T_CUSTOMER)).scalar_one())
    if total < ESTIMATE_ABOVE:
        return None
    top = int(session.execute(sa.select(sa.func.max(T_CUSTOMER.c.id))).scalar_one() or 0)
    sample_ids = T_CUSTOMER.c.id > top - ESTIMATE_SAMPLE
    sampled = int(session.execute(sa.select(sa.func.count()).where(sample_ids)).scalar_one())
    hits = int(session.execute(sa.select(sa.func.count()).select_from(T_CUSTOMER)
                               .where(sample_ids, *plan.conds(use_fts=False))).scalar_one())
    if not sampled or hits < ESTIMATE_MIN_HITS:
        return None
    return min(total, round(hits * total / sampled))


# --------------------------------------------------------------------------------------- paging
def name_order(session: Connection) -> tuple:
    """A-to-Z, ignoring case and accents ("Ñandú" among the N's), then by id.

    SQLite compares bytes, so it orders by ``search_text`` (which starts with the folded name) and
    reads that order from ``ix_customer_list_search``; PostgreSQL's collation already ignores case
    and accents, so ``name`` (``ix_customer_name``).
    """
    if session.dialect.name == "sqlite":
        return (T_CUSTOMER.c.search_text, T_CUSTOMER.c.id)
    return (T_CUSTOMER.c.name, T_CUSTOMER.c.id)


def _by_name(plan: _Plan, offset: int, limit: int, extra: Sequence = ()) -> list[int]:
    use_fts = plan.fts_pays(offset + limit)
    stmt = (sa.select(T_CUSTOMER.c.id).where(*plan.conds(use_fts=use_fts), *extra)
            .order_by(*name_order(plan.session)).offset(offset).limit(limit))
    return list(plan.session.execute(stmt).scalars())


def _two_part(plan: _Plan, offset: int, limit: int, head, head_count, has_value) -> list[int]:  # type: ignore[no-untyped-def]
    """Customers with a value (``head(offset, limit)``, largest first), then the rest by name."""
    ids = head(offset, limit)
    if len(ids) == limit:
        return ids
    before = offset + len(ids) if ids else head_count()  # customers in the first part
    rest = _by_name(plan, max(0, offset - before), limit - len(ids), extra=[~has_value])
    return ids + rest


def _by_balance(plan: _Plan, offset: int, limit: int) -> list[int]:
    use_fts = plan.fts_pays(offset + limit, covering=False)
    joined = sa.and_(T_BALANCE.c.customer_id == T_CUSTOMER.c.id, T_BALANCE.c.currency == T_CUSTOMER.c.currency,
                     T_BALANCE.c.open_cents > 0)

    def head(off: int, lim: int) -> list[int]:
        # Walks ix_customer_list_balance from the largest balance down until the page is full.
        stmt = (sa.select(T_BALANCE.c.customer_id).select_from(T_BALANCE).join(T_CUSTOMER, joined)
                .where(*plan.conds(use_fts=use_fts))
                .order_by(T_BALANCE.c.open_cents.desc(), T_BALANCE.c.customer_id.desc()).offset(off).limit(lim))
        return list(plan.session.execute(stmt).scalars())

    def head_count() -> int:
        stmt = (sa.select(sa.func.count()).select_from(T_BALANCE).join(T_CUSTOMER, joined)
                .where(*plan.conds(use_fts=use_fts)))
        return int(plan.session.execute(stmt).scalar_one())

    has_value = sa.exists().where(T_BALANCE.c.customer_id == T_CUSTOMER.c.id,
                                  T_BALANCE.c.currency == T_CUSTOMER.c.currency, T_BALANCE.c.open_cents > 0)
    return _two_part(plan, offset, limit, head, head_count, has_value)


def _by_overdue(plan: _Plan, offset: int, limit: int) -> list[int]:
    as_of = plan.as_of
    needed = offset + limit
    small = plan.fts_matches is not None and plan.fts_matches <= SMALL_SET
    conds = plan.conds(use_fts=small or plan.fts_pays(needed, covering=False))
    amount = _overdue_amount(as_of)
    if small:
        # A few candidates: their overdue amounts one by one, sorted.
        rows = plan.session.execute(sa.select(T_CUSTOMER.c.id, amount).where(*conds)).all()
        ranked = sorted((-int(over), cid) for cid, over in rows if over and over > 0)
        total = len(ranked)
    elif needed > DEEP_PAGE:
        # Far down the list (End, a long scroll): one pass over all overdue documents is cheaper
        # than walking balances until this many customers have been found.
        sums = (sa.select(T_DOC.c.customer_id, T_DOC.c.currency, sa.func.sum(T_DOC.c.balance_cents).label("overdue"))
                .where(_overdue_docs(as_of)).group_by(T_DOC.c.customer_id, T_DOC.c.currency).subquery())
        rows = plan.session.execute(
            sa.select(T_CUSTOMER.c.id, sums.c.overdue).select_from(sums)
            .join(T_CUSTOMER, sa.and_(T_CUSTOMER.c.id == sums.c.customer_id, T_CUSTOMER.c.currency == sums.c.currency))
            .where(*plan.conds(use_fts=plan.fts_pays(needed, covering=False)))).all()
        ranked = sorted((-int(over), cid) for cid, over in rows if over and over > 0)
        total = len(ranked)
    else:
        ranked, total = _top_overdue(plan, conds, amount, needed)
    ids = [cid for _, cid in ranked[offset:needed]]
    if len(ids) == limit:
        return ids
    has_value = sa.exists().where(T_DOC.c.customer_id == T_CUSTOMER.c.id, T_DOC.c.currency == T_CUSTOMER.c.currency,
                                  _overdue_docs(as_of))
    assert total is not None  # the walk went to the end: every customer with an overdue amount was seen
    rest = _by_name(plan, max(0, offset - total), limit - len(ids), extra=[~has_value])
    return ids + rest


def _top_overdue(plan: _Plan, conds: list, amount, needed: int) -> tuple[list[tuple[int, int]], int | None]:  # type: ignore[no-untyped-def]
    """The ``needed`` largest overdue amounts without aggregating every open document.

    A customer's overdue amount never exceeds its open balance, so customers are walked from the
    largest open balance down (ix_customer_list_balance), in batches, computing each one's overdue
    amount; the walk stops once the next balance is below the ``needed``-th largest overdue amount
    found so far. Returns ``[(-overdue, id), ...]`` sorted, and the number of customers with an
    overdue amount when the walk reached the end (``None`` when it stopped early).
    """
    batch = max(500, needed)
    joined = sa.and_(T_CUSTOMER.c.id == T_BALANCE.c.customer_id, T_CUSTOMER.c.currency == T_BALANCE.c.currency)
    base = (sa.select(T_BALANCE.c.customer_id, T_BALANCE.c.open_cents, amount)
            .select_from(T_BALANCE).join(T_CUSTOMER, joined).where(T_BALANCE.c.open_cents > 0, *conds)
            .order_by(T_BALANCE.c.open_cents.desc(), T_BALANCE.c.customer_id.desc()).limit(batch))
    found: list[tuple[int, int]] = []
    after: tuple[int, int] | None = None
    while True:
        stmt = base
        if after is not None:
            stmt = stmt.where(sa.tuple_(T_BALANCE.c.open_cents, T_BALANCE.c.customer_id) < sa.tuple_(*after))
        rows = plan.session.execute(stmt).all()
        found += [(-int(over), cid) for cid, _, over in rows if over and over > 0]
        if len(rows) < batch:
            found.sort()
            return found, len(found)
        after = (int(rows[-1][1]), int(rows[-1][0]))
        if len(found) >= needed:
            found.sort()
            del found[needed:]
            if after[0] < -found[-1][0]:  # nobody further down can reach the top ``needed``
                return found, None


def _generic(plan: _Plan, offset: int, limit: int, sort: str, descending: bool) -> list[int]:
    """Any other order (identifier, name Z→A, smallest balance first...): a plain sorted query."""
    open_cents = sa.func.coalesce(
        sa.select(T_BALANCE.c.open_cents).where(T_BALANCE.c.customer_id == T_CUSTOMER.c.id,
                                                T_BALANCE.c.currency == T_CUSTOMER.c.currency).scalar_subquery(), 0)
    key = {"name": name_order(plan.session)[0], "identifier": T_CUSTOMER.c.identifier, "balance": open_cents,
           "overdue": _overdue_amount(plan.as_of)}[sort]
    stmt = (sa.select(T_CUSTOMER.c.id).where(*plan.conds(use_fts=plan.fts_pays(offset + limit)))
            .order_by(key.desc() if descending else key.asc(), T_CUSTOMER.c.id).offset(offset).limit(limit))
    return list(plan.session.execute(stmt).scalars())


def customer_page_ids(
    session: Connection,
    query: str = "",
    *,
    offset: int = 0,
    limit: int = 50,
    sort: str = "name",
    descending: bool = False,
    only_overdue: bool = False,
    assigned: str | None = None,
    as_of: date | None = None,
) -> list[int]:
    """The ids of one page of the customer list, in order (see the module docstring)."""
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {SORTS}")
    offset, limit = max(0, offset), max(0, limit)
    plan = _Plan.make(session, query, only_overdue=only_overdue, assigned=assigned, as_of=as_of)
    if plan.nothing or limit == 0:
        return []
    if sort == "name" and not descending:
        return _by_name(plan, offset, limit)
    if sort == "balance" and descending:
        return _by_balance(plan, offset, limit)
    if sort == "overdue" and descending:
        return _by_overdue(plan, offset, limit)
    return _generic(plan, offset, limit, sort, descending)


def customer_rows(session: Connection, ids: Sequence[int], *, as_of: date | None = None) -> list[CustomerRow]:
    """List rows for ``ids`` (in that order): balances in each customer's main currency."""
    if not ids:
        return []
    as_of = as_of or date.today()
    stmt = (
        sa.select(T_CUSTOMER.c.id, T_CUSTOMER.c.identifier, T_CUSTOMER.c.name, T_CUSTOMER.c.rfc, T_OP.c.username,
                  T_CUSTOMER.c.currency, sa.func.coalesce(T_BALANCE.c.open_cents, 0),
                  sa.func.coalesce(T_BALANCE.c.credit_cents, 0), _overdue_amount(as_of))
        .select_from(T_CUSTOMER)
        .outerjoin(T_OP, T_OP.c.id == T_CUSTOMER.c.assigned_operator_id)
        .outerjoin(T_BALANCE, sa.and_(T_BALANCE.c.customer_id == T_CUSTOMER.c.id, T_BALANCE.c.currency == T_CUSTOMER.c.currency))
        .where(T_CUSTOMER.c.id.in_(list(ids)))
    )
    found = {}
    for cid, ident, name, rfc, user, cur, total, credit, over in session.execute(stmt):
        total, over = int(total), int(over)
        found[cid] = CustomerRow(cid, ident, name, rfc, user or "", cur, total - over, over, total, int(credit))
    return [found[i] for i in ids if i in found]


def search_customers(
    session: Connection,
    query: str = "",
    *,
    offset: int = 0,
    limit: int = 50,
    sort: str = "name",
    descending: bool = False,
    only_overdue: bool = False,
    assigned: str | None = None,
    as_of: date | None = None,
) -> list[CustomerRow]:
    """One page of customers matching ``query`` with their balance in their main currency."""
    as_of = as_of or date.today()
    ids = customer_page_ids(session, query, offset=offset, limit=limit, sort=sort, descending=descending,
                            only_overdue=only_overdue, assigned=assigned, as_of=as_of)
    return customer_rows(session, ids, as_of=as_of)


def find_customers(session: Connection, query: str, *, limit: int = 1000) -> list[int]:
    """Ids for a CLI query: an exact identifier or RFC first, else a search over every field."""
    q = query.strip()
    if not q:
        return []
    # Index lookups only (no lower(identifier): that is a scan of every customer). An identifier
    # typed in another mix of cases than it was saved in is still found by the search below.
    spellings = sorted({q, q.upper(), q.lower()})
    exact = session.execute(
        sa.select(T_CUSTOMER.c.id).where(sa.or_(T_CUSTOMER.c.identifier.in_(spellings),
                                                T_CUSTOMER.c.rfc == q.upper())).order_by(T_CUSTOMER.c.name).limit(limit)
    ).scalars().all()
    if exact:
        return list(exact)
    cond = search_condition(session, q)
    return list(session.execute(sa.select(T_CUSTOMER.c.id).where(cond).order_by(T_CUSTOMER.c.name, T_CUSTOMER.c.id)
                                .limit(limit)).scalars().all())


def customer_detail(session: Connection, customer_id: int) -> CustomerDetail:
    row = session.execute(
        sa.select(T_CUSTOMER, T_OP.c.username, T_OP.c.full_name.label("op_name"), T_OP.c.email.label("op_email"))
        .outerjoin(T_OP, T_OP.c.id == T_CUSTOMER.c.assigned_operator_id)
        .where(T_CUSTOMER.c.id == customer_id)
    ).first()
    if row is None:
        raise NotFound(f"customer {customer_id} does not exist")
    m = row._mapping
    return CustomerDetail(
        id=m["id"], identifier=m["identifier"], name=m["name"], rfc=m["rfc"], rfc_check_ok=m["rfc_check_ok"],
        tax_regime=m["tax_regime"], uso_cfdi=m["uso_cfdi"], street=m["street"], ext_number=m["ext_number"],
        int_number=m["int_number"], colonia=m["colonia"], municipio=m["municipio"], state=m["state"],
        postal_code=m["postal_code"], country=m["country"], phone=m["phone"],
        emails=tuple(e for e in m["emails"].split(",") if e), language=m["language"], assigned=m["username"] or "",
        assigned_name=m["op_name"] or "", assigned_email=m["op_email"] or "", payment_terms_days=m["payment_terms_days"],
        credit_limit_cents=m["credit_limit_cents"], currency=m["currency"], version=m["version"],
    )
