"""Customer search and paging (accent- and case-insensitive substring over name, RFC, identifier,
emails and phone), and the customer's profile header."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..domain.errors import NotFound
from ..domain.text import fold
from ._tables import RECEIVABLE_KINDS, T_BALANCE, T_CUSTOMER, T_DOC, T_OP

SORTS = ("name", "balance", "overdue", "identifier")


@dataclass(frozen=True)
class CustomerRow:
    id: int
    identifier: str
    name: str
    rfc: str
    assigned: str
    currency: str
    current: int
    overdue: int
    total: int
    credit: int


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


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_condition(session: Connection, query: str):  # type: ignore[no-untyped-def]
    """WHERE clause for a free-text search; None when the query is empty."""
    tokens = [t for t in fold(query).split() if t]
    if not tokens:
        return None
    sqlite = session.dialect.name == "sqlite"
    conds = []
    fts_tokens = [t for t in tokens if len(t) >= 3] if sqlite else []
    if fts_tokens:
        match = " ".join('"' + t.replace('"', '""') + '"' for t in fts_tokens)
        conds.append(T_CUSTOMER.c.id.in_(sa.text("SELECT rowid FROM customer_fts WHERE customer_fts MATCH :fts").bindparams(fts=match)))
    for t in tokens:
        if t in fts_tokens:
            continue
        conds.append(T_CUSTOMER.c.search_text.like(f"%{_like_escape(t)}%", escape="\\"))
    return sa.and_(*conds)


def _filters(session: Connection, query: str, *, only_overdue: bool, assigned: str | None, as_of: date) -> list:
    conds = []
    cond = search_condition(session, query)
    if cond is not None:
        conds.append(cond)
    if assigned:
        conds.append(T_CUSTOMER.c.assigned_operator_id == sa.select(T_OP.c.id).where(T_OP.c.username == assigned).scalar_subquery())
    if only_overdue:
        conds.append(
            sa.exists().where(
                T_DOC.c.customer_id == T_CUSTOMER.c.id, T_DOC.c.status == "current", T_DOC.c.kind.in_(RECEIVABLE_KINDS),
                T_DOC.c.due_date < as_of, T_DOC.c.issue_date <= as_of,
            )
        )
    return conds


def count_customers(session: Connection, query: str = "", *, only_overdue: bool = False, assigned: str | None = None,
                    as_of: date | None = None) -> int:
    conds = _filters(session, query, only_overdue=only_overdue, assigned=assigned, as_of=as_of or date.today())
    return int(session.execute(sa.select(sa.func.count()).select_from(T_CUSTOMER).where(*conds)).scalar_one())


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
    conds = _filters(session, query, only_overdue=only_overdue, assigned=assigned, as_of=as_of)
    open_cents = sa.func.coalesce(T_BALANCE.c.open_cents, 0)
    overdue = (
        sa.select(sa.func.coalesce(sa.func.sum(T_DOC.c.balance_cents), 0))
        .where(T_DOC.c.customer_id == T_CUSTOMER.c.id, T_DOC.c.status == "current", T_DOC.c.kind.in_(RECEIVABLE_KINDS),
               T_DOC.c.currency == T_CUSTOMER.c.currency, T_DOC.c.due_date < as_of)
        .scalar_subquery()
    )
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {SORTS}")
    order_col = {"name": T_CUSTOMER.c.name, "identifier": T_CUSTOMER.c.identifier, "balance": open_cents,
                 "overdue": overdue}[sort]
    order = [order_col.desc() if descending else order_col.asc(), T_CUSTOMER.c.id]
    stmt = (
        sa.select(T_CUSTOMER.c.id, T_CUSTOMER.c.identifier, T_CUSTOMER.c.name, T_CUSTOMER.c.rfc, T_OP.c.username,
                  T_CUSTOMER.c.currency, open_cents, sa.func.coalesce(T_BALANCE.c.credit_cents, 0), overdue)
        .select_from(T_CUSTOMER)
        .outerjoin(T_OP, T_OP.c.id == T_CUSTOMER.c.assigned_operator_id)
        .outerjoin(T_BALANCE, sa.and_(T_BALANCE.c.customer_id == T_CUSTOMER.c.id, T_BALANCE.c.currency == T_CUSTOMER.c.currency))
        .where(*conds)
        .order_by(*order)
        .offset(max(0, offset))
        .limit(max(0, limit))
    )
    rows = []
    for cid, ident, name, rfc, user, cur, total, credit, over in session.execute(stmt):
        rows.append(CustomerRow(cid, ident, name, rfc, user or "", cur, int(total) - int(over), int(over), int(total), int(credit)))
    return rows


def find_customers(session: Connection, query: str, *, limit: int = 1000) -> list[int]:
    """Ids for a CLI query: an exact identifier or RFC first, else a search over every field."""
    q = query.strip()
    if not q:
        return []
    exact = session.execute(
        sa.select(T_CUSTOMER.c.id).where(sa.or_(sa.func.lower(T_CUSTOMER.c.identifier) == q.lower(),
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
