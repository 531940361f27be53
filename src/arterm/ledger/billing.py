"""Contracts that bill themselves: edit, pause/resume/end, the billing run, direct-debit charges.

The billing rule
    A contract issues one invoice per period of its schedule (``domain.schedule``) whose billing
    date is on or before the run's ``until`` date. The key ``(contract_id, period_start)`` is
    UNIQUE on ``document``: a period is billed exactly once, whatever runs overlap or die midway.
    Each invoice is its own transaction (invoice + its direct-debit charge + activity), so a run
    killed midway leaves only whole invoices behind and the next run completes the set.

Missed runs
    Periods whose billing date passed while nobody ran the billing are billed by the next run,
    with their own billing date as issue date (so their due dates and aging are the real ones).

Pause, resume, end (what a collector expects)
    A paused contract does not bill: every period whose **billing date falls while the contract is
    paused** (``[paused_on, resumed_on)``) is *skipped for good*, not billed on resume: the customer
    did not get the service in that time, and a pile of invoices on resume is exactly what a
    collector does not want. Periods that were due before the pause but had not been billed yet
    (nobody ran the billing) are still billed, even during the pause: they were owed while the
    contract was active. An ended contract bills nothing with a billing date on or after its end
    date; periods due before the end are still billed by the next run. Paused/resumed/ended spans
    are kept in ``contract_hold``; use these functions (not ``set_contract_status`` alone) so the
    span is recorded. A contract whose status says paused/ended without a span bills nothing.

Invoices
    Issue date = the period's billing date; due date = issue + payment terms (the contract's, else
    the customer's); one line (contract amount before tax, contract tax rate); the description
    names the period in the customer's language. A cancelled contract invoice keeps its period:
    it is not re-issued automatically.

Direct debit
    For a domiciliado contract the same transaction records the charge: a ``payment`` with origin
    ``direct_debit``, status ``pending`` (not money: no credit, no allocation) dated on the
    invoice's due date, linked to the invoice in ``direct_debit_charge``. ``confirm_charge`` turns
    it into a real payment applied to that invoice; ``reject_charge`` leaves the invoice open.

Test hook
    ``bill_contracts(..., pause_after=N)`` (the CLI reads it from ``ARTERM_BILLING_PAUSE_AFTER``)
    prints ``billing paused after N invoices`` on stderr after N invoices are committed and sleeps,
    so a test can SIGKILL a run at a known point. Never set it in production.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..db import tables
from ..domain import catalogs
from ..domain import schedule as sched
from ..domain.errors import ConcurrencyError, DomainError, NotFound
from ..domain.money import check_currency, fmt_cents, from_cents, positive_cents, to_decimal
from ..domain.text import clean_line
from ..queries import billing as q
from ._base import bump_balance, check_date, now, operator_id, start, today
from .allocations import T_DOC, T_PAY, Source, apply_plan, reference
from .contracts import FREQUENCIES, T_CONTRACT, mask_reference, set_contract_status
from .documents import LineInput, issue_document
from .payments import record_payment

if TYPE_CHECKING:
    from ..db.engine import Database

T_HOLD = tables.contract_hold
T_CHARGE = tables.direct_debit_charge
T_RUN = tables.billing_run
DD_FORMAS = ("03", "04", "28")

_UNSET: Any = object()


class NotDue(DomainError):
    """The period is not (or no longer) to be billed: not in the schedule, not due yet, or held."""


# ------------------------------------------------------------------------------------------ edit
def _lock_contract(session: Connection, contract_id: int) -> q.ContractInfo:
    """Lock the contract row (PostgreSQL: FOR UPDATE; SQLite: the write lock is already held)."""
    row = session.execute(q.contracts_select().where(T_CONTRACT.c.id == contract_id)
                          .with_for_update(of=T_CONTRACT)).first()
    if row is None:
        raise NotFound(f"contract #{contract_id} does not exist", field="contract")
    return q.contract_from_row(row)


def _whole(value: Any, field: str) -> int:
    if isinstance(value, bool):
        raise DomainError(f"{field}: not a whole number", field=field)
    try:
        return int(str(value).strip())
    except ValueError:
        raise DomainError(f"{field}: {value!r} is not a whole number", field=field) from None


def _fmt_value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def update_contract(
    session: Connection,
    *,
    actor: str,
    contract_id: int,
    expected_version: int | None = None,
    description: Any = _UNSET,
    amount: Any = _UNSET,
    tax_rate: Any = _UNSET,
    currency: Any = _UNSET,
    frequency: Any = _UNSET,
    start_date: Any = _UNSET,
    end_date: Any = _UNSET,
    periods: Any = _UNSET,
    billing_day: Any = _UNSET,
    payment_terms_days: Any = _UNSET,
    metodo_pago: Any = _UNSET,
    direct_debit: Any = _UNSET,
    dd_forma_pago: Any = _UNSET,
    dd_reference: Any = _UNSET,
) -> int:
    """Change a contract's terms; they apply to the invoices not issued yet. Returns the new version.

    Once a contract has invoices its schedule (frequency, start, billing day) and currency are
    fixed (they define which periods were billed): end it and create a new one instead. The end
    date / number of periods cannot cut off periods already invoiced. ``expected_version`` (the
    version the operator edited) makes a concurrent edit fail instead of being overwritten.
    """
    log = start(session, actor)
    c = _lock_contract(session, contract_id)
    if expected_version is not None and c.version != expected_version:
        raise ConcurrencyError(f"contract #{contract_id} was changed by someone else; reload it and try again")
    if c.status == "ended":
        raise DomainError(f"contract #{contract_id} has ended; it cannot be changed", field="status")
    values: dict[str, Any] = {}
    if currency is not _UNSET:
        values["currency"] = check_currency(currency or c.currency)
    if description is not _UNSET:
        values["description"] = clean_line(description, field="description", max_len=500)
    if amount is not _UNSET:
        values["amount_cents"] = positive_cents(amount, field="amount", currency=values.get("currency", c.currency),
                                                context="contract")
    if tax_rate is not _UNSET:
        rate = to_decimal(tax_rate, field="tax rate")
        if not 0 <= rate <= to_decimal("0.5"):
            raise DomainError("tax rate must be between 0 and 0.50", field="tax_rate")
        values["tax_rate"] = str(rate)
    if frequency is not _UNSET:
        if frequency not in FREQUENCIES:
            raise DomainError(f"frequency must be one of {', '.join(FREQUENCIES)}", field="frequency")
        values["frequency"] = frequency
    if start_date is not _UNSET:
        values["start_date"] = check_date(start_date, field="start date")
    if end_date is not _UNSET:
        values["end_date"] = None if end_date is None else check_date(end_date, field="end date")
    if periods is not _UNSET:
        periods = None if periods is None else _whole(periods, "periods")
        if periods is not None and periods < 1:
            raise DomainError("number of periods must be at least 1", field="periods")
        values["periods"] = periods
    if billing_day is not _UNSET:
        billing_day = None if billing_day is None else _whole(billing_day, "billing_day")
        if billing_day is not None and not 1 <= billing_day <= 31:
            raise DomainError("billing day must be between 1 and 31", field="billing_day")
        values["billing_day"] = billing_day
    if payment_terms_days is not _UNSET:
        terms = None if payment_terms_days is None else _whole(payment_terms_days, "payment_terms_days")
        if terms is not None and not 0 <= terms <= 365:
            raise DomainError("payment terms: between 0 and 365 days", field="payment_terms_days")
        values["payment_terms_days"] = terms
    if metodo_pago is not _UNSET:
        values["metodo_pago"] = catalogs.check_metodo_pago(metodo_pago)
        values["forma_pago"] = "99" if values["metodo_pago"] == "PPD" else "03"
    dd = c.direct_debit if direct_debit is _UNSET else bool(direct_debit)
    if dd:
        forma = c.dd_forma_pago if dd_forma_pago is _UNSET else dd_forma_pago
        forma = catalogs.check_forma_pago(forma or "04", allow_99=False)
        if forma not in DD_FORMAS:
            raise DomainError("direct debit is charged by card (04, 28) or transfer (03)", field="dd_forma_pago")
        ref = c.dd_reference if dd_reference is _UNSET else mask_reference(clean_line(dd_reference, field="reference", max_len=60))
        values.update(direct_debit=True, dd_forma_pago=forma, dd_reference=ref)
    elif direct_debit is not _UNSET or c.direct_debit:
        values.update(direct_debit=False, dd_forma_pago="", dd_reference="")

    # A billing day means nothing weekly/biweekly: refused when given, dropped when the frequency
    # changes to one of those (the schedule ignored it, but the contract still showed it).
    frequency_now = values.get("frequency", c.frequency)
    if not sched.uses_billing_day(frequency_now):
        if values.get("billing_day") is not None:
            raise DomainError(sched.BILLING_DAY_IGNORED, field="billing_day")
        if "frequency" in values and values["frequency"] != c.frequency and c.billing_day is not None:
            values["billing_day"] = None
    # The resulting schedule must be valid, and must keep every period already invoiced.
    new = {k: values.get(k, getattr(c, k)) for k in ("frequency", "start_date", "end_date", "periods", "billing_day")}
    if "end_date" in values and new["end_date"] is not None and new["end_date"] <= new["start_date"]:
        raise DomainError("the end date must be after the start date (no period starts on or after it)",
                          field="end_date")
    try:
        sched.periods(new["start_date"], new["frequency"], billing_day=new["billing_day"], end=new["end_date"],
                      count=new["periods"])
    except DomainError as exc:
        field = {"end": "end_date", "start": "start_date", "count": "periods"}.get(exc.field or "", exc.field)
        raise DomainError(str(exc), field=field) from None
    billed = sorted(q.billed_starts(session, [contract_id])[contract_id])
    if billed:
        for key, label in (("frequency", "frequency"), ("start_date", "start date"), ("billing_day", "billing day"),
                           ("currency", "currency")):
            if key in values and values[key] != getattr(c, key):
                raise DomainError(f"contract #{contract_id} already has invoices: its {label} cannot change "
                                  "(end it and create a new contract)", field=key)
        if new["periods"] is not None and new["periods"] < len(billed):
            raise DomainError(f"{len(billed)} periods are already invoiced; the number of periods cannot be lower",
                              field="periods")
        if new["end_date"] is not None and new["end_date"] <= billed[-1]:
            raise DomainError(f"the period starting {billed[-1].isoformat()} is already invoiced; the end date must "
                              "be after it", field="end_date")
    changed = {k: v for k, v in values.items() if getattr(c, "amount" if k == "amount_cents" else k) != v}
    if not changed:
        return c.version
    result = session.execute(
        T_CONTRACT.update().where(T_CONTRACT.c.id == contract_id, T_CONTRACT.c.version == c.version)
        .values(**changed, updated_at=now(), version=T_CONTRACT.c.version + 1)
    )
    if result.rowcount != 1:
        raise ConcurrencyError(f"contract #{contract_id} was changed by someone else; nothing was saved")
    parts = []
    for k, v in changed.items():
        if k == "forma_pago":
            continue
        old = getattr(c, "amount" if k == "amount_cents" else k)
        if k == "amount_cents":
            parts.append(f"amount {fmt_cents(old)} → {fmt_cents(v)}")
        else:
            parts.append(f"{k} {_fmt_value(old)} → {_fmt_value(v)}")
    log(c.customer_id, "contract_updated", contract_id=contract_id, detail=f"#{contract_id}: " + "; ".join(parts))
    return c.version + 1


# ------------------------------------------------------------------------------ pause / resume / end
def _holds(session: Connection, contract_id: int) -> list[q.Hold]:
    return q.holds_of(session, [contract_id])[contract_id]


def pause_contract(session: Connection, *, actor: str, contract_id: int, reason: str, on: date | None = None) -> None:
    """Pause from ``on`` (default today): periods whose billing date falls in the pause are skipped."""
    c = _lock_contract(session, contract_id)
    if c.status != "active":
        raise DomainError(f"contract #{contract_id} is {c.status}; only an active contract can be paused", field="status")
    on = check_date(on or today(), field="pause date")
    reason = clean_line(reason, field="reason", max_len=500, required=True)
    last_end = max((h.end_on for h in _holds(session, contract_id) if h.end_on is not None), default=None)
    if last_end is not None and on < last_end:
        raise DomainError(f"the contract was paused until {last_end.isoformat()}; pause it from that day on",
                          field="on")
    set_contract_status(session, actor=actor, contract_id=contract_id, status="paused", reason=reason)
    session.execute(T_HOLD.insert().values(contract_id=contract_id, kind="pause", start_on=on, end_on=None,
                                           reason=reason, end_reason="", created_at=now(),
                                           created_by=operator_id(session, actor)))


def resume_contract(session: Connection, *, actor: str, contract_id: int, reason: str = "",
                    on: date | None = None) -> None:
    """Resume on ``on`` (default today): periods billed from that day on are invoiced again."""
    c = _lock_contract(session, contract_id)
    if c.status != "paused":
        raise DomainError(f"contract #{contract_id} is {c.status}; only a paused contract can be resumed", field="status")
    on = check_date(on or today(), field="resume date")
    reason = clean_line(reason, field="reason", max_len=500)
    open_pause = [h for h in _holds(session, contract_id) if h.kind == "pause" and h.end_on is None]
    for h in open_pause:
        if on < h.start_on:
            raise DomainError(f"the contract was paused on {h.start_on.isoformat()}; it cannot resume before that",
                              field="on")
    set_contract_status(session, actor=actor, contract_id=contract_id, status="active", reason=reason)
    if open_pause:
        session.execute(T_HOLD.update().where(T_HOLD.c.id.in_([h.id for h in open_pause]), T_HOLD.c.end_on.is_(None))
                        .values(end_on=on, end_reason=reason))


def end_contract(session: Connection, *, actor: str, contract_id: int, reason: str, on: date | None = None) -> None:
    """End on ``on`` (default today): nothing billed on or after that day, ever."""
    c = _lock_contract(session, contract_id)
    if c.status == "ended":
        raise DomainError(f"contract #{contract_id} has already ended", field="status")
    on = check_date(on or today(), field="end date")
    reason = clean_line(reason, field="reason", max_len=500, required=True)
    open_pause = [h for h in _holds(session, contract_id) if h.kind == "pause" and h.end_on is None]
    for h in open_pause:
        if on < h.start_on:
            raise DomainError(f"the contract was paused on {h.start_on.isoformat()}; end it on or after that day",
                              field="on")
    set_contract_status(session, actor=actor, contract_id=contract_id, status="ended", reason=reason)
    if open_pause:
        session.execute(T_HOLD.update().where(T_HOLD.c.id.in_([h.id for h in open_pause]), T_HOLD.c.end_on.is_(None))
                        .values(end_on=on, end_reason=reason))
    session.execute(T_HOLD.insert().values(contract_id=contract_id, kind="end", start_on=on, end_on=None, reason=reason,
                                           end_reason="", created_at=now(), created_by=operator_id(session, actor)))


# ------------------------------------------------------------------------------------ one period
@dataclass(frozen=True)
class IssuedInvoice:
    contract_id: int
    customer_id: int
    document_id: int
    reference: str
    period_start: date
    billing_date: date
    due_date: date
    total: int
    currency: str
    charge_id: int | None  # the pending direct-debit charge (payment id)


def invoice_description(c: q.ContractInfo, period: sched.Period) -> str:
    from .. import i18n

    lang = c.customer_language if c.customer_language in ("es", "en") else "es"
    what = c.description or i18n.t("contracts.invoice.default_description", lang, id=c.id)
    suffix = i18n.t("contracts.invoice.period", lang, start=i18n.fmt_date(period.start, lang),
                    end=i18n.fmt_date(period.end, lang))
    room = 500 - len(suffix) - 3
    return f"{what[:room]} — {suffix}"


def _find_period(c: q.ContractInfo, period_start: date) -> sched.Period | None:
    for p in c.iter_periods():
        if p.start == period_start:
            return p
        if p.start > period_start:
            return None
    return None


def bill_period(session: Connection, *, actor: str, contract_id: int, period_start: date,
                until: date | None = None) -> IssuedInvoice | None:
    """Issue the invoice of one contract period (and its direct-debit charge) in the caller's
    transaction. Returns ``None`` when that period already has its invoice (billed by someone else).

    Raises ``DomainError`` when the period is not in the schedule, is not due by ``until``, or falls
    on a day the contract is paused/ended.
    """
    c = _lock_contract(session, contract_id)  # serializes billers of one contract on PostgreSQL
    exists = session.execute(sa.select(T_DOC.c.id).where(T_DOC.c.contract_id == contract_id,
                                                         T_DOC.c.period_start == period_start)).first()
    if exists is not None:
        return None
    period = _find_period(c, period_start)
    if period is None:
        raise NotDue(f"contract #{contract_id} has no period starting {period_start.isoformat()}", field="period")
    if until is not None and period.billing_date > until:
        raise NotDue(f"the period starting {period_start.isoformat()} bills on {period.billing_date.isoformat()}",
                          field="period")
    if q.is_held(period.billing_date, q.effective_holds(c, _holds(session, contract_id))):
        raise NotDue(f"contract #{contract_id} is not billing on {period.billing_date.isoformat()} "
                          f"({c.status})", field="status")
    due = period.billing_date + timedelta(days=c.terms_days)
    desc = invoice_description(c, period)
    forma = "99" if c.metodo_pago == "PPD" else (c.dd_forma_pago if c.direct_debit and c.dd_forma_pago else c.forma_pago)
    doc_id = issue_document(
        session, actor=actor, customer_id=c.customer_id, kind="invoice",
        lines=[LineInput(desc, "1", from_cents(c.amount), c.tax_rate)], issue_date=period.billing_date, due_date=due,
        currency=c.currency, metodo_pago=c.metodo_pago, forma_pago=forma, contract_id=contract_id,
        period_start=period.start, description=desc,
    )
    doc = session.execute(sa.select(T_DOC.c.series, T_DOC.c.folio, T_DOC.c.total_cents).where(T_DOC.c.id == doc_id)).one()
    charge_id = None
    if c.direct_debit:
        charge_id = record_payment(
            session, actor=actor, customer_id=c.customer_id, amount=from_cents(doc.total_cents), paid_on=due,
            currency=c.currency, forma_pago=c.dd_forma_pago or "04",
            reference=f"{reference(doc.series, doc.folio, doc_id)} {c.dd_reference}".strip(), origin="direct_debit",
            allocations=None, contract_id=contract_id, status="pending",
        )
        session.execute(T_CHARGE.insert().values(payment_id=charge_id, document_id=doc_id, contract_id=contract_id,
                                                 scheduled_on=due))
    return IssuedInvoice(contract_id, c.customer_id, doc_id, reference(doc.series, doc.folio, doc_id), period.start,
                         period.billing_date, due, int(doc.total_cents), c.currency, charge_id)


# ----------------------------------------------------------------------------------- billing run
@dataclass
class BillingReport:
    until: date
    dry_run: bool
    due: list[q.DuePeriod] = field(default_factory=list)  # what was (or would be) billed
    issued: list[IssuedInvoice] = field(default_factory=list)
    already: int = 0  # billed meanwhile by another run
    skipped: int = 0  # paused/ended/rescheduled meanwhile
    errors: list[str] = field(default_factory=list)
    run_id: int | None = None

    @property
    def contracts(self) -> int:
        return len({i.contract_id for i in self.issued}) if not self.dry_run else len({d.contract_id for d in self.due})

    @property
    def charges(self) -> int:
        return sum(1 for i in self.issued if i.charge_id is not None)


def _is_period_collision(database: Database, contract_id: int, period_start: date) -> bool:
    with database.read() as s:
        return s.execute(sa.select(T_DOC.c.id).where(T_DOC.c.contract_id == contract_id,
                                                     T_DOC.c.period_start == period_start)).first() is not None


def bill_contracts(
    database: Database,
    *,
    actor: str,
    until: date | None = None,
    contract_ids: Sequence[int] | None = None,
    dry_run: bool = False,
    pause_after: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> BillingReport:
    """Issue every invoice due up to ``until`` (default today), each in its own transaction.

    Unlike other ledger commands this takes the ``Database``: it commits invoice by invoice, so
    a run that dies keeps what it finished and never leaves half an invoice. An invoice issued
    meanwhile by another run (the unique key on the period fires) counts as ``already``, not as
    an error. A contract whose period fails for another reason is reported in ``errors`` and its
    later periods are left for the next run; the other contracts go on.
    """
    until = until or today()
    report = BillingReport(until=until, dry_run=dry_run)
    with database.read() as s:
        report.due = q.find_due(s, until=until, contract_ids=contract_ids)
    if dry_run:
        return report
    with database.write() as s:
        report.run_id = int(s.execute(T_RUN.insert().values(
            started_at=now(), until_date=until, actor_id=operator_id(s, actor), host=socket.gethostname()[:100],
            pid=os.getpid(), status="running", issued=0, already=0, charges=0,
            detail=f"contracts {','.join(map(str, sorted(set(contract_ids))))}"[:2000] if contract_ids is not None else "",
        ).returning(T_RUN.c.id)).scalar_one())
    failed: set[int] = set()
    status = "failed"
    try:
        for n, item in enumerate(report.due, 1):
            if item.contract_id in failed:
                continue
            try:
                with database.write() as s:
                    issued = bill_period(s, actor=actor, contract_id=item.contract_id, period_start=item.period_start,
                                         until=until)
            except sa.exc.IntegrityError:
                if not _is_period_collision(database, item.contract_id, item.period_start):
                    raise
                issued = None
            except NotDue:
                # Changed since the run read it (paused, ended, rescheduled): nothing to bill.
                report.skipped += 1
                continue
            except DomainError as exc:
                failed.add(item.contract_id)
                report.errors.append(f"contract #{item.contract_id}, period {item.period_start.isoformat()}: {exc}")
                continue
            if issued is None:
                report.already += 1
            else:
                report.issued.append(issued)
                if pause_after is not None and len(report.issued) == pause_after:
                    print(f"billing paused after {pause_after} invoices", file=sys.stderr, flush=True)
                    time.sleep(3600)
            if progress is not None:
                progress(n, len(report.due))
        status = "done" if not report.errors else "failed"
    finally:
        with database.write() as s:
            s.execute(T_RUN.update().where(T_RUN.c.id == report.run_id).values(
                finished_at=now(), status=status, issued=len(report.issued), already=report.already,
                charges=report.charges, detail="; ".join(report.errors)[:2000]))
    return report


# ------------------------------------------------------------------------------- direct debit
def _charge(session: Connection, payment_id: int):  # type: ignore[no-untyped-def]
    row = session.execute(
        sa.select(T_CHARGE.c.document_id, T_CHARGE.c.contract_id, T_CHARGE.c.scheduled_on, T_PAY.c.customer_id,
                  T_PAY.c.status, T_PAY.c.amount_cents, T_PAY.c.currency, T_PAY.c.version)
        .join(T_PAY, T_PAY.c.id == T_CHARGE.c.payment_id)
        .where(T_CHARGE.c.payment_id == payment_id)
        .with_for_update(of=T_PAY)
    ).first()
    if row is None:
        raise NotFound(f"direct-debit charge #{payment_id} does not exist", field="charge")
    if row.status != "pending":
        raise DomainError(f"charge #{payment_id} is already {q.charge_status(row.status)}", field="charge")
    return row


def confirm_charge(session: Connection, *, actor: str, payment_id: int, on: date | None = None) -> list[tuple[str, int]]:
    """The bank charged it: the pending charge becomes a real payment applied to its invoice.

    ``on`` is the date the money came in (default: the scheduled date, or today if that is still
    ahead). What the invoice no longer needs (paid meanwhile, cancelled) stays as customer credit.
    Returns the (invoice reference, amount) applied.
    """
    log = start(session, actor)
    ch = _charge(session, payment_id)
    charged_on = check_date(on, field="charge date", allow_future=False) if on else min(ch.scheduled_on, today())
    flipped = session.execute(
        T_PAY.update()
        .where(T_PAY.c.id == payment_id, T_PAY.c.status == "pending", T_PAY.c.version == ch.version)
        .values(status="unapplied", unapplied_cents=ch.amount_cents, paid_on=charged_on, version=T_PAY.c.version + 1)
    )
    if flipped.rowcount != 1:
        raise ConcurrencyError(f"charge #{payment_id} was confirmed or rejected by someone else; nothing was saved")
    bump_balance(session, ch.customer_id, ch.currency, credit_delta=int(ch.amount_cents))
    doc = session.execute(sa.select(T_DOC.c.status, T_DOC.c.balance_cents, T_DOC.c.currency, T_DOC.c.series,
                                    T_DOC.c.folio).where(T_DOC.c.id == ch.document_id)).one()
    applied: list[tuple[str, int]] = []
    if doc.status == "current" and doc.balance_cents > 0 and doc.currency == ch.currency:
        take = min(int(ch.amount_cents), int(doc.balance_cents))
        applied = apply_plan(session, log, Source(ch.customer_id, ch.currency, payment_id=payment_id),
                             [(ch.document_id, from_cents(take))], charged_on)
    session.execute(T_CHARGE.update().where(T_CHARGE.c.payment_id == payment_id)
                    .values(decided_on=charged_on, decided_by=log.actor_id))
    leftover = int(ch.amount_cents) - sum(a for _, a in applied)
    parts = [f"{r} {fmt_cents(a)}" for r, a in applied] + ([f"credit {fmt_cents(leftover)}"] if leftover else [])
    log(ch.customer_id, "charge_confirmed", on_date=charged_on, payment_id=payment_id, document_id=ch.document_id,
        contract_id=ch.contract_id, amount_cents=int(ch.amount_cents), currency=ch.currency, detail="; ".join(parts))
    return applied


def reject_charge(session: Connection, *, actor: str, payment_id: int, reason: str, on: date | None = None) -> None:
    """The bank refused the charge: no money; the invoice stays open (overdue once due)."""
    log = start(session, actor)
    reason = clean_line(reason, field="reason", max_len=500, required=True)
    ch = _charge(session, payment_id)
    on = check_date(on or today(), field="date")
    done = session.execute(
        T_PAY.update()
        .where(T_PAY.c.id == payment_id, T_PAY.c.status == "pending", T_PAY.c.version == ch.version)
        .values(status="rejected", unapplied_cents=0, cancelled_on=on, cancel_reason=reason, version=T_PAY.c.version + 1)
    )
    if done.rowcount != 1:
        raise ConcurrencyError(f"charge #{payment_id} was confirmed or rejected by someone else; nothing was saved")
    session.execute(T_CHARGE.update().where(T_CHARGE.c.payment_id == payment_id)
                    .values(decided_on=on, decided_by=log.actor_id))
    doc = session.execute(sa.select(T_DOC.c.series, T_DOC.c.folio).where(T_DOC.c.id == ch.document_id)).one()
    log(ch.customer_id, "charge_rejected", on_date=on, payment_id=payment_id, document_id=ch.document_id,
        contract_id=ch.contract_id, amount_cents=int(ch.amount_cents), currency=ch.currency,
        detail=f"{reference(doc.series, doc.folio, ch.document_id)}: {reason}")


__all__ = [
    "BillingReport", "IssuedInvoice", "bill_contracts", "bill_period", "confirm_charge", "end_contract",
    "invoice_description", "pause_contract", "reject_charge", "resume_contract", "update_contract",
]
