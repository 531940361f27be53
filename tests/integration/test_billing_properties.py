"""Property tests of the billing run, on SQLite and PostgreSQL.

1. For random contracts (any frequency, start, billing day 1..31, end date or number of periods)
   and any sequence of billing runs at random dates, repeated, going back in time, dry runs and
   runs that overlap (a second run starts and finishes while the first is midway), the contract's
   invoices are exactly one per period that ``domain.schedule.due_periods`` says is due by the
   latest date billed.
2. A state machine mixing billing runs (including overlapping ones), pauses, resumes, ends,
   direct-debit confirmations and rejections, manual payments and cancellations: after every step
   the invoices are exactly the due periods not held, every direct-debit invoice has exactly one
   charge, pending/rejected charges hold no money, and ``check_ledger`` reconciles.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from arterm import ledger as L
from arterm.db import tables
from arterm.db.engine import Database
from arterm.domain.errors import DomainError
from arterm.domain.schedule import FREQUENCIES, due_periods
from arterm.ledger import billing as B
from arterm.queries import billing as q
from arterm.queries.integrity import check_ledger
from ledger_helpers import warm_aging

ACTOR = "prop"
EXAMPLES = int(os.environ.get("ARTERM_HYPOTHESIS_EXAMPLES", "40"))
BASE = date(2024, 1, 1)


def _examples(db: Database) -> int:
    return max(10, EXAMPLES // 2) if db.dialect == "postgresql" else EXAMPLES


def billed(db: Database, contract_id: int) -> list[tuple[date, date]]:
    with db.read() as s:
        rows = s.execute(sa.select(tables.document.c.period_start, tables.document.c.issue_date)
                         .where(tables.document.c.contract_id == contract_id)
                         .order_by(tables.document.c.period_start)).all()
    return [(r[0], r[1]) for r in rows]


contract_params = st.fixed_dictionaries({
    "frequency": st.sampled_from(FREQUENCIES),
    "start_date": st.dates(min_value=date(2023, 1, 1), max_value=date(2025, 12, 31)),
    "billing_day": st.one_of(st.none(), st.integers(min_value=1, max_value=31)),
    "limit": st.one_of(st.none(), st.integers(min_value=1, max_value=30).map(lambda n: ("periods", n)),
                       st.integers(min_value=1, max_value=900).map(lambda n: ("end", n))),  # end > start
}).map(
    # The ledger refuses a billing day weekly/biweekly (the schedule would ignore it).
    lambda p: {**p, "billing_day": None} if p["frequency"] in ("weekly", "biweekly") else p)
runs = st.lists(
    st.tuples(st.integers(min_value=-60, max_value=1100), st.sampled_from(["run", "run", "dry", "overlap"]),
              st.integers(min_value=-40, max_value=40)),
    min_size=1, max_size=6,
)


@pytest.mark.parametrize("any_db_url", ["sqlite", "postgresql"], indirect=True)
def test_invoices_are_exactly_the_due_periods(any_db_url: str) -> None:
    db = Database(any_db_url)
    with db.write() as s:
        cid = L.create_customer(s, actor=ACTOR, name="Propiedad SA", rfc="XAXX010101000")

    @settings(max_examples=_examples(db), deadline=None, suppress_health_check=list(HealthCheck))
    @given(params=contract_params, sequence=runs)
    def check(params: dict[str, Any], sequence: list[tuple[int, str, int]]) -> None:
        kw: dict[str, Any] = {}
        if params["limit"] is not None:
            kind, n = params["limit"]
            if kind == "periods":
                kw["periods"] = n
            else:
                kw["end_date"] = params["start_date"] + timedelta(days=n)
        with db.write() as s:
            k = L.create_contract(s, actor=ACTOR, customer_id=cid, amount="100.00", frequency=params["frequency"],
                                  start_date=params["start_date"], billing_day=params["billing_day"], **kw)
        # Only this contract is billed: the database keeps the contracts of earlier examples.
        latest: date | None = None
        for offset, mode, delta in sequence:
            until = params["start_date"] + timedelta(days=offset)
            other = until + timedelta(days=delta)
            if mode != "dry":
                with db.read() as s:
                    assert q.find_due(s, until=until, contract_ids=[k]) == [
                        d for d in q.find_due(s, until=until) if d.contract_id == k]
            done = _run_one(db, k, until, mode, other)
            if done is not None:
                latest = done if latest is None else max(latest, done)
            expected = [] if latest is None else due_periods(
                params["start_date"], params["frequency"], until=latest, billing_day=params["billing_day"],
                end=kw.get("end_date"), count=kw.get("periods"))
            assert billed(db, k) == [(p.start, p.billing_date) for p in expected]

    check()
    with db.read() as s:
        assert check_ledger(s) == []
    db.dispose()


def _run_one(db: Database, contract_id: int, until: date, mode: str, other: date) -> date | None:
    if mode == "dry":
        report = B.bill_contracts(db, actor=ACTOR, until=until, contract_ids=[contract_id], dry_run=True)
        assert all(d.billing_date <= until for d in report.due)
        return None
    if mode == "overlap":
        started: list[bool] = []

        def second_run(done: int, total: int) -> None:
            if not started:
                started.append(True)
                inner = B.bill_contracts(db, actor="other", until=other, contract_ids=[contract_id])
                assert inner.errors == []

        report = B.bill_contracts(db, actor=ACTOR, until=until, contract_ids=[contract_id], progress=second_run)
        assert report.errors == []
        # The first run finds what the second billed meanwhile and does not bill it again.
        assert len(report.issued) + report.already == len(report.due)
        return max(until, other) if started else until
    report = B.bill_contracts(db, actor=ACTOR, until=until, contract_ids=[contract_id])
    assert report.errors == [] and report.already == 0
    return until


# ------------------------------------------------------------------------------ state machine
def make_machine(db: Database):  # type: ignore[no-untyped-def]
    class BillingMachine(RuleBasedStateMachine):
        @initialize(n=st.integers(min_value=1, max_value=3), data=st.data())
        def setup(self, n: int, data: st.DataObject) -> None:
            self.clock = BASE
            self.latest: date | None = None
            with db.write() as s:
                self.cid = L.create_customer(s, actor=ACTOR, name="Máquina SA", rfc="XAXX010101000",
                                             payment_terms_days=10)
            self.contracts: list[int] = []
            for _ in range(n):
                params = data.draw(contract_params)
                with db.write() as s:
                    self.contracts.append(L.create_contract(
                        s, actor=ACTOR, customer_id=self.cid, amount=str(data.draw(st.integers(1, 99_999))),
                        frequency=params["frequency"], start_date=BASE + (params["start_date"] - date(2023, 1, 1)) // 8,
                        billing_day=params["billing_day"], direct_debit=data.draw(st.booleans()),
                        dd_reference="4111111111111111"))

        @rule(days=st.integers(min_value=0, max_value=45))
        def advance(self, days: int) -> None:
            self.clock += timedelta(days=days)

        def _bill(self, until: date, **kw: Any) -> B.BillingReport:
            report = B.bill_contracts(db, actor=ACTOR, until=until, contract_ids=self.contracts, **kw)
            assert report.errors == []
            self.latest = until if self.latest is None else max(self.latest, until)
            return report

        @rule(back=st.integers(min_value=0, max_value=60))
        def run(self, back: int) -> None:
            self._bill(self.clock - timedelta(days=back))

        @rule()
        def overlapping_runs(self) -> None:
            started: list[bool] = []

            def second(done: int, total: int) -> None:
                if not started:
                    started.append(True)
                    self._bill(self.clock)

            report = self._bill(self.clock, progress=second)
            assert len(report.issued) + report.already + report.skipped == len(report.due)

        def _status(self, contract_id: int) -> str:
            with db.read() as s:
                return q.contract_info(s, contract_id).status

        @rule(data=st.data())
        def pause(self, data: st.DataObject) -> None:
            k = data.draw(st.sampled_from(self.contracts))
            try:
                with db.write() as s:
                    B.pause_contract(s, actor=ACTOR, contract_id=k, reason="pausa", on=self.clock + timedelta(days=1))
            except DomainError:
                pass  # not active, or still inside a pause scheduled earlier

        @rule(data=st.data(), days=st.integers(min_value=0, max_value=120))
        def pause_window(self, data: st.DataObject, days: int) -> None:
            """Pause from tomorrow and resume ``days`` later (a resume scheduled ahead)."""
            k = data.draw(st.sampled_from(self.contracts))
            try:
                with db.write() as s:
                    B.pause_contract(s, actor=ACTOR, contract_id=k, reason="ventana", on=self.clock + timedelta(days=1))
                    B.resume_contract(s, actor=ACTOR, contract_id=k, on=self.clock + timedelta(days=1 + days))
            except DomainError:
                pass

        @rule(data=st.data())
        def resume(self, data: st.DataObject) -> None:
            k = data.draw(st.sampled_from(self.contracts))
            try:
                with db.write() as s:
                    B.resume_contract(s, actor=ACTOR, contract_id=k, on=self.clock + timedelta(days=1))
            except DomainError:
                pass

        @rule(data=st.data())
        def end(self, data: st.DataObject) -> None:
            k = data.draw(st.sampled_from(self.contracts))
            try:
                with db.write() as s:
                    B.end_contract(s, actor=ACTOR, contract_id=k, reason="fin", on=self.clock + timedelta(days=1))
            except DomainError:
                pass

        def _pending(self) -> list[int]:
            with db.read() as s:
                return [c.payment_id for c in q.list_charges(s, customer_id=self.cid, limit=10_000)]

        @precondition(lambda self: self.latest is not None)
        @rule(data=st.data(), confirm=st.booleans())
        def decide_charge(self, data: st.DataObject, confirm: bool) -> None:
            pending = self._pending()
            if not pending:
                return
            pid = data.draw(st.sampled_from(pending))
            with db.write() as s:
                if confirm:
                    B.confirm_charge(s, actor=ACTOR, payment_id=pid)
                else:
                    B.reject_charge(s, actor=ACTOR, payment_id=pid, reason="rechazado por el banco",
                                    on=self.clock)

        @precondition(lambda self: self.latest is not None)
        @rule(amount=st.integers(min_value=1, max_value=500_000))
        def manual_payment(self, amount: int) -> None:
            with db.write() as s:
                L.record_payment(s, actor=ACTOR, customer_id=self.cid, amount=f"{amount // 100}.{amount % 100:02d}",
                                 paid_on=self.clock, allocations="oldest")

        @precondition(lambda self: self.latest is not None)
        @rule(data=st.data())
        def cancel_invoice(self, data: st.DataObject) -> None:
            with db.read() as s:
                ids = s.execute(sa.select(tables.document.c.id).where(
                    tables.document.c.customer_id == self.cid, tables.document.c.status != "cancelled")).scalars().all()
            if ids:
                with db.write() as s:
                    L.cancel_document(s, actor=ACTOR, document_id=data.draw(st.sampled_from(ids)), reason="error")

        @invariant()
        def invoices_are_the_due_periods(self) -> None:
            if not hasattr(self, "cid"):
                return
            with db.read() as s:
                assert check_ledger(s) == []  # includes the aging cache filled at the end of the last step
                infos = {c.id: c for c in q.load_contracts(s, contract_ids=self.contracts)}
                holds = q.holds_of(s, self.contracts)
                for k in self.contracts:
                    c = infos[k]
                    eff = q.effective_holds(c, holds[k])
                    expected = [] if self.latest is None else [
                        (p.start, p.billing_date) for p in due_periods(
                            c.start_date, c.frequency, until=self.latest, billing_day=c.billing_day)
                        if not q.is_held(p.billing_date, eff)]
                    assert billed(db, k) == expected
                d, p, ch = tables.document, tables.payment, tables.direct_debit_charge
                dd_invoices = s.execute(sa.select(sa.func.count()).select_from(d).join(
                    tables.contract, tables.contract.c.id == d.c.contract_id).where(
                    d.c.customer_id == self.cid, tables.contract.c.direct_debit.is_(True))).scalar_one()
                charges = s.execute(sa.select(ch.c.document_id).join(p, p.c.id == ch.c.payment_id)
                                    .where(p.c.customer_id == self.cid)).scalars().all()
                assert len(charges) == len(set(charges)) == dd_invoices
                idle = s.execute(sa.select(p.c.status, p.c.id).where(
                    p.c.customer_id == self.cid, p.c.status.in_(("pending", "rejected")))).all()
                allocated = s.execute(sa.select(sa.func.count()).select_from(tables.allocation).where(
                    tables.allocation.c.payment_id.in_([r.id for r in idle]))).scalar_one()
                assert allocated == 0, "pending or rejected charges never carry money"
                active = s.execute(sa.select(sa.func.coalesce(sa.func.sum(p.c.unapplied_cents), 0)).where(
                    p.c.customer_id == self.cid, p.c.status.in_(("applied", "partial", "unapplied")))).scalar_one()
                credit = s.execute(sa.select(sa.func.coalesce(sa.func.sum(tables.customer_balance.c.credit_cents), 0))
                                   .where(tables.customer_balance.c.customer_id == self.cid)).scalar_one()
                assert credit == active
            warm_aging(db)  # the next step must invalidate what it changes (checked by check_ledger)

    return BillingMachine


@pytest.mark.parametrize("any_db_url", ["sqlite", "postgresql"], indirect=True)
def test_billing_state_machine(any_db_url: str) -> None:
    db = Database(any_db_url)
    try:
        machine = make_machine(db)
        machine.TestCase.settings = settings(max_examples=_examples(db), stateful_step_count=20, deadline=None,
                                             suppress_health_check=list(HealthCheck))
        machine.TestCase().runTest()
    finally:
        db.dispose()
