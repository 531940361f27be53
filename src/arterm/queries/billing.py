"""Read models of contract billing: what is due, contract pages, invoices and direct-debit charges.

What a contract owes (the rule the billing run applies, see ``ledger/billing.py``):
a period is **due** when its billing date is on or before the run's ``until`` date, it has no
document yet (``document.contract_id`` + ``period_start``), and the contract was not *held* on its
billing date. Holds are the spans stored in ``contract_hold``: a pause covers
``[paused_on, resumed_on)``, an end covers ``[ended_on, ∞)``. So periods that fell due while a
contract was paused are skipped for good, never billed on resume, and periods that were due while
the contract was active are billed even when the run happens later (missed runs catch up).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import islice

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..db import tables
from ..domain import schedule
from ..domain.errors import NotFound
from ..domain.money import quantize, to_cents
from ._tables import T_CONTRACT, T_CUSTOMER, T_DOC, T_PAY
from .lists import display_status, reference

T_HOLD = tables.contract_hold
T_CHARGE = tables.direct_debit_charge
T_RUN = tables.billing_run
CHUNK = 500
SCHEDULE_LIMIT = 20_000  # safety net when walking a schedule


@dataclass(frozen=True)
class Hold:
    id: int
    kind: str  # pause | end
    start_on: date
    end_on: date | None  # exclusive; None: open
    reason: str
    end_reason: str

    def covers(self, day: date) -> bool:
        return self.start_on <= day and (self.end_on is None or day < self.end_on)


@dataclass(frozen=True)
class ContractInfo:
    """A contract with what billing needs of its customer."""

    id: int
    customer_id: int
    customer_identifier: str
    customer_name: str
    customer_language: str
    customer_terms_days: int
    description: str
    amount: int  # centavos before tax
    tax_rate: str
    currency: str
    frequency: str
    start_date: date
    end_date: date | None
    periods: int | None
    billing_day: int | None
    payment_terms_days: int | None
    metodo_pago: str
    forma_pago: str
    direct_debit: bool
    dd_forma_pago: str
    dd_reference: str
    status: str
    status_reason: str
    version: int

    @property
    def terms_days(self) -> int:
        """The contract's payment terms, else the customer's."""
        return self.payment_terms_days if self.payment_terms_days is not None else self.customer_terms_days

    @property
    def tax(self) -> int:
        return contract_tax(self.amount, self.tax_rate)

    @property
    def total(self) -> int:
        return self.amount + self.tax

    def iter_periods(self) -> Iterator[schedule.Period]:
        return schedule.periods(self.start_date, self.frequency, billing_day=self.billing_day, end=self.end_date,
                                count=self.periods)


@dataclass(frozen=True)
class DuePeriod:
    """One invoice the billing run would issue."""

    contract_id: int
    customer_id: int
    customer_identifier: str
    customer_name: str
    period_index: int
    period_start: date
    period_end: date
    billing_date: date
    due_date: date
    subtotal: int
    tax: int
    total: int
    currency: str
    direct_debit: bool


@dataclass(frozen=True)
class ScheduledPeriod:
    period_index: int
    period_start: date
    period_end: date
    billing_date: date
    due_date: date


@dataclass(frozen=True)
class InvoiceRow:
    id: int
    reference: str
    period_start: date | None
    issue_date: date
    due_date: date
    currency: str
    total: int
    balance: int
    status: str  # current | overdue | paid | cancelled


@dataclass(frozen=True)
class ChargeRow:
    payment_id: int
    contract_id: int
    customer_id: int
    customer_identifier: str
    customer_name: str
    document_id: int
    document_ref: str
    scheduled_on: date
    paid_on: date
    amount: int
    currency: str
    forma_pago: str
    reference: str
    status: str  # pending | confirmed | rejected | cancelled
    reason: str
    decided_on: date | None


@dataclass(frozen=True)
class ContractListItem:
    contract: ContractInfo
    next_billing_date: date | None
    invoices: tuple[InvoiceRow, ...]


@dataclass(frozen=True)
class ContractView:
    contract: ContractInfo
    holds: tuple[Hold, ...]
    next_billing_date: date | None
    upcoming: tuple[ScheduledPeriod, ...]  # the next periods to bill (skipping held ones)
    invoice_count: int
    pending_charges: int
    due_now: int  # periods due up to the as-of date and not billed yet


def contract_tax(amount_cents: int, tax_rate: str) -> int:
    """Tax of one line of ``amount_cents`` at ``tax_rate``, as ``ledger.compute_line`` rounds it."""
    return to_cents(quantize(Decimal(amount_cents) / 100 * Decimal(tax_rate)))


# -------------------------------------------------------------------------------------- loading
_CONTRACT_COLS = (
    T_CONTRACT, T_CUSTOMER.c.identifier.label("c_identifier"), T_CUSTOMER.c.name.label("c_name"),
    T_CUSTOMER.c.language.label("c_language"), T_CUSTOMER.c.payment_terms_days.label("c_terms"),
)


def contract_from_row(r) -> ContractInfo:  # type: ignore[no-untyped-def]
    m = r._mapping
    return ContractInfo(
        id=m["id"], customer_id=m["customer_id"], customer_identifier=m["c_identifier"], customer_name=m["c_name"],
        customer_language=m["c_language"], customer_terms_days=int(m["c_terms"]), description=m["description"],
        amount=int(m["amount_cents"]), tax_rate=m["tax_rate"], currency=m["currency"], frequency=m["frequency"],
        start_date=m["start_date"], end_date=m["end_date"], periods=m["periods"], billing_day=m["billing_day"],
        payment_terms_days=m["payment_terms_days"], metodo_pago=m["metodo_pago"], forma_pago=m["forma_pago"],
        direct_debit=bool(m["direct_debit"]), dd_forma_pago=m["dd_forma_pago"], dd_reference=m["dd_reference"],
        status=m["status"], status_reason=m["status_reason"], version=int(m["version"]),
    )


def contracts_select() -> sa.Select:
    """Contracts joined with what billing needs of their customer (see ``contract_from_row``)."""
    return sa.select(*_CONTRACT_COLS).join(T_CUSTOMER, T_CUSTOMER.c.id == T_CONTRACT.c.customer_id)


def contract_info(session: Connection, contract_id: int) -> ContractInfo:
    row = session.execute(contracts_select().where(T_CONTRACT.c.id == contract_id)).first()
    if row is None:
        raise NotFound(f"contract #{contract_id} does not exist", field="contract")
    return contract_from_row(row)


def load_contracts(session: Connection, *, contract_ids: Sequence[int] | None = None,
                   customer_id: int | None = None) -> list[ContractInfo]:
    stmt = contracts_select()
    if contract_ids is not None:
        stmt = stmt.where(T_CONTRACT.c.id.in_(list(contract_ids)))
    if customer_id is not None:
        stmt = stmt.where(T_CONTRACT.c.customer_id == customer_id)
    return [contract_from_row(r) for r in session.execute(stmt.order_by(T_CONTRACT.c.id))]


def billed_starts(session: Connection, contract_ids: Sequence[int]) -> dict[int, set[date]]:
    """Period starts that already have a document (whatever its status), per contract."""
    out: dict[int, set[date]] = {i: set() for i in contract_ids}
    if contract_ids:
        stmt = sa.select(T_DOC.c.contract_id, T_DOC.c.period_start).where(
            T_DOC.c.contract_id.in_(list(contract_ids)), T_DOC.c.period_start.is_not(None))
        for cid, start in session.execute(stmt):
            out[cid].add(start)
    return out


def _hold(r) -> Hold:  # type: ignore[no-untyped-def]
    return Hold(r.id, r.kind, r.start_on, r.end_on, r.reason, r.end_reason)


def holds_of(session: Connection, contract_ids: Sequence[int]) -> dict[int, list[Hold]]:
    out: dict[int, list[Hold]] = {i: [] for i in contract_ids}
    if contract_ids:
        stmt = sa.select(T_HOLD).where(T_HOLD.c.contract_id.in_(list(contract_ids))).order_by(T_HOLD.c.start_on, T_HOLD.c.id)
        for r in session.execute(stmt):
            out[r.contract_id].append(_hold(r))
    return out


def effective_holds(contract: ContractInfo, holds: Iterable[Hold]) -> list[Hold]:
    """The stored holds, plus a hold over everything for a paused/ended contract whose status was
    set without one (e.g. by ``ledger.set_contract_status`` directly)."""
    out = list(holds)
    if contract.status in ("paused", "ended"):
        kind = "pause" if contract.status == "paused" else "end"
        if not any(h.kind == kind and h.end_on is None for h in out):
            out.append(Hold(0, kind, date.min, None, contract.status_reason, ""))
    return out


def is_held(day: date, holds: Iterable[Hold]) -> bool:
    return any(h.covers(day) for h in holds)


def _open_from(holds: Iterable[Hold]) -> date | None:
    """The first day from which the contract is held for good (an open hold), if any."""
    starts = [h.start_on for h in holds if h.end_on is None]
    return min(starts) if starts else None


def unbilled_periods(contract: ContractInfo, billed: set[date], holds: Sequence[Hold], *,
                     until: date | None = None, limit: int | None = None) -> list[schedule.Period]:
    """Periods without a document and not held, in order: those billed on or before ``until``
    (``None``: any date), at most ``limit`` of them."""
    if until is not None:  # billed periods are skipped without building them (the start-up check)
        candidates: Iterable[schedule.Period] = schedule.unbilled_periods(
            contract.start_date, contract.frequency, until=until, billed=billed, billing_day=contract.billing_day,
            end=contract.end_date, count=contract.periods)
    else:
        candidates = (p for p in islice(contract.iter_periods(), SCHEDULE_LIMIT + 1) if p.start not in billed)
    out: list[schedule.Period] = []
    forever = _open_from(holds)
    for p in candidates:
        if forever is not None and p.billing_date >= forever:
            break  # billing dates only grow: every later period is held too
        if is_held(p.billing_date, holds):
            continue
        out.append(p)
        if limit is not None and len(out) >= limit:
            break
    return out


def _due(contract: ContractInfo, p: schedule.Period) -> DuePeriod:
    from datetime import timedelta

    tax = contract.tax
    return DuePeriod(contract.id, contract.customer_id, contract.customer_identifier, contract.customer_name, p.index,
                     p.start, p.end, p.billing_date, p.billing_date + timedelta(days=contract.terms_days),
                     contract.amount, tax, contract.amount + tax, contract.currency, contract.direct_debit)


def find_due(session: Connection, *, until: date, contract_ids: Sequence[int] | None = None) -> list[DuePeriod]:
    """Every invoice a billing run up to ``until`` would issue, oldest billing date first."""
    out: list[DuePeriod] = []
    if contract_ids is None:
        # Contracts that started after ``until`` cannot owe anything yet.
        ids = list(session.execute(sa.select(T_CONTRACT.c.id).where(T_CONTRACT.c.start_date <= until)
                                   .order_by(T_CONTRACT.c.id)).scalars())
    else:
        ids = sorted(set(contract_ids))
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i:i + CHUNK]
        contracts = load_contracts(session, contract_ids=chunk)
        billed = billed_starts(session, chunk)
        holds = holds_of(session, chunk)
        for c in contracts:
            eff = effective_holds(c, holds[c.id])
            out.extend(_due(c, p) for p in unbilled_periods(c, billed[c.id], eff, until=until))
    out.sort(key=lambda d: (d.billing_date, d.contract_id, d.period_start))
    return out


def count_due(session: Connection, *, until: date) -> tuple[int, int]:
    """(invoices, contracts) a billing run up to ``until`` would issue."""
    due = find_due(session, until=until)
    return len(due), len({d.contract_id for d in due})


def next_billing_date(contract: ContractInfo, billed: set[date], holds: Sequence[Hold]) -> date | None:
    """Billing date of the next invoice the contract will issue: its earliest period not invoiced
    and not held (in the past when a billing run is pending); ``None`` when it bills no more."""
    found = unbilled_periods(contract, billed, holds, limit=1)
    return found[0].billing_date if found else None


# --------------------------------------------------------------------------------------- invoices
_INV_COLS = (T_DOC.c.id, T_DOC.c.series, T_DOC.c.folio, T_DOC.c.period_start, T_DOC.c.issue_date, T_DOC.c.due_date,
             T_DOC.c.currency, T_DOC.c.total_cents, T_DOC.c.balance_cents, T_DOC.c.status)


def _inv(r, as_of: date) -> InvoiceRow:  # type: ignore[no-untyped-def]
    return InvoiceRow(r.id, reference(r.series, r.folio, r.id), r.period_start, r.issue_date, r.due_date, r.currency,
                      int(r.total_cents), int(r.balance_cents), display_status(r.status, r.due_date, as_of))


def contract_invoices(session: Connection, contract_id: int, *, as_of: date, offset: int = 0,
                      limit: int = 200, newest_first: bool = True) -> list[InvoiceRow]:
    order = (T_DOC.c.period_start.desc(), T_DOC.c.id.desc()) if newest_first else (T_DOC.c.period_start, T_DOC.c.id)
    stmt = (sa.select(*_INV_COLS).where(T_DOC.c.contract_id == contract_id).order_by(*order)
            .offset(max(0, offset)).limit(max(0, limit)))
    return [_inv(r, as_of) for r in session.execute(stmt)]


def count_contract_invoices(session: Connection, contract_id: int) -> int:
    return int(session.execute(sa.select(sa.func.count()).select_from(T_DOC)
                               .where(T_DOC.c.contract_id == contract_id)).scalar_one())


def contract_list(session: Connection, *, customer_id: int | None = None, as_of: date,
                  max_invoices: int | None = None) -> list[ContractListItem]:
    """Contracts (of one customer, or all) with their next billing date and invoices (oldest first)."""
    contracts = load_contracts(session, customer_id=customer_id)
    out: list[ContractListItem] = []
    for i in range(0, len(contracts), CHUNK):
        chunk = contracts[i:i + CHUNK]
        ids = [c.id for c in chunk]
        billed = billed_starts(session, ids)
        holds = holds_of(session, ids)
        invoices: dict[int, list[InvoiceRow]] = {c: [] for c in ids}
        for r in session.execute(sa.select(*_INV_COLS, T_DOC.c.contract_id).where(T_DOC.c.contract_id.in_(ids))
                                 .order_by(T_DOC.c.period_start, T_DOC.c.id)):
            invoices[r.contract_id].append(_inv(r, as_of))
        for c in chunk:
            rows = invoices[c.id]
            if max_invoices is not None:
                rows = rows[-max_invoices:]
            nxt = next_billing_date(c, billed[c.id], effective_holds(c, holds[c.id]))
            out.append(ContractListItem(c, nxt, tuple(rows)))
    return out


def contract_view(session: Connection, contract_id: int, *, as_of: date, upcoming: int = 6) -> ContractView:
    """What the contract screen shows above its lists."""
    from datetime import timedelta

    c = contract_info(session, contract_id)
    billed = billed_starts(session, [c.id])[c.id]
    stored = holds_of(session, [c.id])[c.id]
    eff = effective_holds(c, stored)
    nxt = unbilled_periods(c, billed, eff, limit=upcoming)
    due_now = len(unbilled_periods(c, billed, eff, until=as_of))
    pending = int(session.execute(
        sa.select(sa.func.count()).select_from(T_CHARGE).join(T_PAY, T_PAY.c.id == T_CHARGE.c.payment_id)
        .where(T_CHARGE.c.contract_id == contract_id, T_PAY.c.status == "pending")).scalar_one())
    terms = timedelta(days=c.terms_days)
    return ContractView(
        c, tuple(stored), nxt[0].billing_date if nxt else None,
        tuple(ScheduledPeriod(p.index, p.start, p.end, p.billing_date, p.billing_date + terms) for p in nxt),
        count_contract_invoices(session, contract_id), pending, due_now,
    )


# ---------------------------------------------------------------------------------------- charges
CHARGE_STATUSES = ("pending", "confirmed", "rejected", "cancelled")


def charge_status(payment_status: str) -> str:
    if payment_status in ("pending", "rejected", "cancelled"):
        return payment_status
    return "confirmed"


def _charge_filter(stmt: sa.Select, *, status: str | None, contract_id: int | None, customer_id: int | None) -> sa.Select:
    if status == "confirmed":
        stmt = stmt.where(T_PAY.c.status.in_(("applied", "partial", "unapplied")))
    elif status is not None and status != "all":
        stmt = stmt.where(T_PAY.c.status == status)
    if contract_id is not None:
        stmt = stmt.where(T_CHARGE.c.contract_id == contract_id)
    if customer_id is not None:
        stmt = stmt.where(T_PAY.c.customer_id == customer_id)
    return stmt


def list_charges(session: Connection, *, status: str | None = "pending", contract_id: int | None = None,
                 customer_id: int | None = None, payment_id: int | None = None, offset: int = 0,
                 limit: int = 200) -> list[ChargeRow]:
    """Direct-debit charges, oldest scheduled first (``status``: pending/confirmed/rejected/cancelled/all;
    ``payment_id``: only that charge)."""
    stmt = (sa.select(T_CHARGE, T_PAY.c.customer_id, T_PAY.c.paid_on, T_PAY.c.amount_cents, T_PAY.c.currency,
                      T_PAY.c.forma_pago, T_PAY.c.reference, T_PAY.c.status, T_PAY.c.cancel_reason,
                      T_CUSTOMER.c.identifier, T_CUSTOMER.c.name, T_DOC.c.series, T_DOC.c.folio)
            .join(T_PAY, T_PAY.c.id == T_CHARGE.c.payment_id)
            .join(T_DOC, T_DOC.c.id == T_CHARGE.c.document_id)
            .join(T_CUSTOMER, T_CUSTOMER.c.id == T_PAY.c.customer_id))
    stmt = _charge_filter(stmt, status=status, contract_id=contract_id, customer_id=customer_id)
    if payment_id is not None:
        stmt = stmt.where(T_CHARGE.c.payment_id == payment_id)
    stmt = stmt.order_by(T_CHARGE.c.scheduled_on, T_CHARGE.c.payment_id).offset(max(0, offset)).limit(max(0, limit))
    out = []
    for r in session.execute(stmt):
        m = r._mapping
        out.append(ChargeRow(
            m["payment_id"], m["contract_id"], m["customer_id"], m["identifier"], m["name"], m["document_id"],
            reference(m["series"], m["folio"], m["document_id"]), m["scheduled_on"], m["paid_on"],
            int(m["amount_cents"]), m["currency"], m["forma_pago"], m["reference"], charge_status(m["status"]),
            m["cancel_reason"] or "", m["decided_on"],
        ))
    return out


def count_charges(session: Connection, *, status: str | None = "pending", contract_id: int | None = None,
                  customer_id: int | None = None) -> int:
    stmt = sa.select(sa.func.count()).select_from(T_CHARGE).join(T_PAY, T_PAY.c.id == T_CHARGE.c.payment_id)
    return int(session.execute(_charge_filter(stmt, status=status, contract_id=contract_id,
                                              customer_id=customer_id)).scalar_one())


def last_runs(session: Connection, *, limit: int = 10) -> list[sa.Row]:
    return list(session.execute(sa.select(T_RUN).order_by(T_RUN.c.id.desc()).limit(limit)))
