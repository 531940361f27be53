"""Shared pieces of ledger commands: the actor, the activity log, balances and sequences.

Every ledger command runs inside the caller's transaction (``Database.write()``), validates its
input before writing, and records an ``Activity`` row with the customer's balance after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from ..db import tables
from ..domain.errors import DomainError, NotFound

T_OPERATOR = tables.operator
T_CUSTOMER = tables.customer
T_BALANCE = tables.customer_balance
T_ACTIVITY = tables.activity
T_SEQUENCE = tables.sequence


def now() -> datetime:
    return datetime.now(timezone.utc)


def today() -> date:
    return date.today()


def _insert(session: Connection, table: sa.Table):  # type: ignore[no-untyped-def]
    dialect = session.dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def operator_id(session: Connection, username: str, *, full_name: str = "", email: str = "") -> int:
    """The operator's id; unknown operators are created on first use."""
    username = (username or "").strip()
    if not username:
        raise DomainError("an operator username is required", field="operator")
    row = session.execute(sa.select(T_OPERATOR.c.id).where(T_OPERATOR.c.username == username)).first()
    if row is None:
        session.execute(
            _insert(session, T_OPERATOR)
            .values(username=username, full_name=full_name or username, email=email, created_at=now())
            .on_conflict_do_nothing(index_elements=["username"])
        )
        row = session.execute(sa.select(T_OPERATOR.c.id).where(T_OPERATOR.c.username == username)).one()
    return int(row[0])


def next_sequence(session: Connection, name: str, *, floor: int = 0) -> int:
    """Atomically bump a named counter (row-locked on PostgreSQL, serialized on SQLite)."""
    stmt = (
        _insert(session, T_SEQUENCE)
        .values(name=name, value=floor + 1)
        .on_conflict_do_update(index_elements=["name"], set_={"value": T_SEQUENCE.c.value + 1})
        .returning(T_SEQUENCE.c.value)
    )
    return int(session.execute(stmt).scalar_one())


def bump_balance(session: Connection, customer_id: int, currency: str, *, open_delta: int = 0, credit_delta: int = 0) -> tuple[int, int]:
    """Adjust the customer's open/credit totals in one currency; returns them after the change.

    A change to the open documents also bumps ``rev``, which invalidates the cached aging.
    """
    bump = 1 if open_delta else 0
    stmt = (
        _insert(session, T_BALANCE)
        .values(customer_id=customer_id, currency=currency, open_cents=open_delta, credit_cents=credit_delta, rev=bump)
        .on_conflict_do_update(
            index_elements=["customer_id", "currency"],
            set_={
                "open_cents": T_BALANCE.c.open_cents + open_delta,
                "credit_cents": T_BALANCE.c.credit_cents + credit_delta,
                "rev": T_BALANCE.c.rev + bump,
            },
        )
        .returning(T_BALANCE.c.open_cents, T_BALANCE.c.credit_cents)
    )
    open_cents, credit_cents = session.execute(stmt).one()
    if open_cents < 0 or credit_cents < 0:  # would mean a bug: refuse to commit it
        raise DomainError(f"internal error: balance of customer {customer_id} would become negative")
    return int(open_cents), int(credit_cents)


def current_balance(session: Connection, customer_id: int, currency: str) -> tuple[int, int]:
    row = session.execute(
        sa.select(T_BALANCE.c.open_cents, T_BALANCE.c.credit_cents).where(
            T_BALANCE.c.customer_id == customer_id, T_BALANCE.c.currency == currency
        )
    ).first()
    return (int(row[0]), int(row[1])) if row else (0, 0)


@dataclass
class Log:
    """Writes Activity rows for one command."""

    session: Connection
    actor_id: int

    def __call__(
        self,
        customer_id: int,
        kind: str,
        *,
        on_date: date | None = None,
        document_id: int | None = None,
        payment_id: int | None = None,
        contract_id: int | None = None,
        amount_cents: int | None = None,
        currency: str = "",
        detail: str = "",
        with_balance: bool = True,
    ) -> None:
        balance = credit = None
        if with_balance and currency:
            balance, credit = current_balance(self.session, customer_id, currency)
        self.session.execute(
            T_ACTIVITY.insert().values(
                customer_id=customer_id,
                at=now(),
                on_date=on_date or today(),
                kind=kind,
                document_id=document_id,
                payment_id=payment_id,
                contract_id=contract_id,
                actor_id=self.actor_id,
                amount_cents=amount_cents,
                currency=currency,
                balance_after_cents=balance,
                credit_after_cents=credit,
                detail=detail[:2000],
            )
        )


def start(session: Connection, actor: str) -> Log:
    return Log(session, operator_id(session, actor))


def customer_row(session: Connection, customer_id: int, *, lock: bool = False):  # type: ignore[no-untyped-def]
    stmt = sa.select(T_CUSTOMER).where(T_CUSTOMER.c.id == customer_id)
    if lock:
        stmt = stmt.with_for_update()
    row = session.execute(stmt).first()
    if row is None:
        raise NotFound(f"customer {customer_id} does not exist", field="customer")
    return row


def check_date(value: date | None, *, field: str, allow_future: bool = True) -> date:
    if value is None:
        raise DomainError(f"{field}: a date is required", field=field)
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        raise DomainError(f"{field}: {value!r} is not a date", field=field)
    if not allow_future and value > today():
        raise DomainError(f"{field}: {value.isoformat()} is in the future", field=field)
    if value.year < 1990 or value.year > 2100:
        raise DomainError(f"{field}: {value.isoformat()} is out of range", field=field)
    return value
