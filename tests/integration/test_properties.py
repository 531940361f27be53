"""Property tests: any sequence of invoices, payments, credit notes, cancellations and credit
applications keeps the ledger exact.

Invariants checked after every step:
- each document's open balance = total − active allocations, never negative (check_ledger);
- a customer's stored total = sum of its open documents, credit = unapplied payments + credit notes;
- nothing is created or lost: money in (payments + credit notes) = allocated + credit;
- the aging rebuilt from history as of today equals the one read from maintained balances, and
  the one read from the aging cache (filled at every step, so every command must invalidate it);
- a refused command changes nothing.
"""

from __future__ import annotations

import os
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from arterm import ledger as L
from arterm.db import tables
from arterm.db.engine import Database
from arterm.domain.errors import DomainError
from arterm.queries.balances import aging_totals, customer_balances, save_aging
from arterm.queries.integrity import check_ledger

TODAY = date.today()
amounts = st.integers(min_value=1, max_value=500_000).map(lambda c: f"{c // 100}.{c % 100:02d}")
days_ago = st.integers(min_value=0, max_value=200)


def make_machine(db: Database):  # type: ignore[no-untyped-def]
    class LedgerMachine(RuleBasedStateMachine):
        @initialize()
        def new_customer(self) -> None:
            with db.write() as s:
                self.cid = L.create_customer(s, actor="prop", name="Propiedad SA", rfc="XAXX010101000",
                                             payment_terms_days=30)
            self.docs: list[int] = []
            self.credit_notes: list[int] = []
            self.payments: list[int] = []

        def _snapshot(self):  # type: ignore[no-untyped-def]
            with db.read() as s:
                return [s.execute(sa.select(t).order_by(*t.primary_key.columns)).all()
                        for t in (tables.document, tables.payment, tables.allocation, tables.customer_balance)]

        def _attempt(self, fn, **kw):  # type: ignore[no-untyped-def]
            before = self._snapshot()
            try:
                with db.write() as s:
                    return fn(s, actor="prop", **kw)
            except DomainError:
                assert self._snapshot() == before, "a refused command changed the ledger"
                return None

        @rule(amount=amounts, ago=days_ago, kind=st.sampled_from(["invoice", "sales_note"]))
        def issue(self, amount: str, ago: int, kind: str) -> None:
            doc = self._attempt(L.issue_document, customer_id=self.cid, kind=kind,
                                lines=[L.LineInput("x", "1", amount, "0.16")], issue_date=TODAY - timedelta(days=ago))
            if doc:
                self.docs.append(doc)

        @rule(amount=amounts, ago=days_ago, mode=st.sampled_from(["oldest", "none", "one", "over"]), data=st.data())
        def pay(self, amount: str, ago: int, mode: str, data: st.DataObject) -> None:
            plan: object = {"oldest": "oldest", "none": None}.get(mode)
            if mode in ("one", "over") and self.docs:
                target = data.draw(st.sampled_from(self.docs))
                plan = [(target, amount)] if mode == "one" else [(target, amount), (target, "0.01")]
            elif mode in ("one", "over"):
                plan = "oldest"
            pid = self._attempt(L.record_payment, customer_id=self.cid, amount=amount,
                                paid_on=TODAY - timedelta(days=ago), allocations=plan)
            if pid:
                self.payments.append(pid)

        @rule(amount=amounts, apply=st.booleans())
        def credit_note(self, amount: str, apply: bool) -> None:
            cn = self._attempt(L.issue_credit_note, customer_id=self.cid, lines=[L.LineInput("cn", "1", amount, "0")],
                               applies_to="oldest" if apply else None)
            if cn:
                self.credit_notes.append(cn)

        @precondition(lambda self: self.docs or self.credit_notes)
        @rule(data=st.data())
        def cancel_document(self, data: st.DataObject) -> None:
            target = data.draw(st.sampled_from(self.docs + self.credit_notes))
            self._attempt(L.cancel_document, document_id=target, reason="prueba")

        @precondition(lambda self: self.payments)
        @rule(data=st.data())
        def cancel_payment(self, data: st.DataObject) -> None:
            self._attempt(L.cancel_payment, payment_id=data.draw(st.sampled_from(self.payments)), reason="prueba")

        @precondition(lambda self: self.payments or self.credit_notes)
        @rule(data=st.data())
        def apply_credit(self, data: st.DataObject) -> None:
            source = data.draw(st.sampled_from([("p", p) for p in self.payments] + [("c", c) for c in self.credit_notes]))
            kw = {"payment_id": source[1]} if source[0] == "p" else {"credit_note_id": source[1]}
            self._attempt(L.apply_credit, customer_id=self.cid, **kw)

        @invariant()
        def reconciles(self) -> None:
            if not hasattr(self, "cid"):
                return
            with db.read() as s:
                assert check_ledger(s) == []
                d, p, a = tables.document, tables.payment, tables.allocation
                open_sum = s.execute(sa.select(sa.func.coalesce(sa.func.sum(d.c.balance_cents), 0)).where(
                    d.c.customer_id == self.cid, d.c.status == "current", d.c.kind != "credit_note")).scalar_one()
                money_in = s.execute(sa.select(sa.func.coalesce(sa.func.sum(p.c.amount_cents), 0)).where(
                    p.c.customer_id == self.cid, p.c.status != "cancelled")).scalar_one()
                money_in += s.execute(sa.select(sa.func.coalesce(sa.func.sum(d.c.total_cents), 0)).where(
                    d.c.customer_id == self.cid, d.c.kind == "credit_note", d.c.status != "cancelled")).scalar_one()
                allocated = s.execute(sa.select(sa.func.coalesce(sa.func.sum(a.c.source_amount_cents), 0)).where(
                    a.c.customer_id == self.cid, a.c.reversed_on.is_(None))).scalar_one()
                (bal,) = customer_balances(s, [self.cid], as_of=TODAY, include_zero=True)
                assert bal.total == open_sum
                assert bal.total == bal.current + bal.overdue == sum(bal.buckets.values())
                assert money_in == allocated + bal.credit
                assert min(bal.buckets.values()) >= 0 and bal.credit >= 0
                refreshed: list = []
                fast = aging_totals(s, as_of=TODAY, customer_ids=[self.cid], refreshed=refreshed)
            with db.write() as w:  # fill the aging cache; the next steps must keep it honest (check_ledger)
                save_aging(w, refreshed)
            with db.read() as s:
                assert check_ledger(s) == []
                cached = aging_totals(s, as_of=TODAY, customer_ids=[self.cid])
                history = aging_totals(s, as_of=TODAY, customer_ids=[self.cid], today=TODAY + timedelta(days=1))
                assert fast == cached == history
                for ahead in (1, 30, 31, 95, 400):  # the cache expires when a document changes bucket
                    day = TODAY + timedelta(days=ahead)
                    assert aging_totals(s, as_of=day, customer_ids=[self.cid]) == aging_totals(
                        s, as_of=day, customer_ids=[self.cid], use_cache=False)

    return LedgerMachine


@pytest.mark.parametrize("any_db_url", ["sqlite", "postgresql"], indirect=True)
def test_ledger_invariants(any_db_url: str) -> None:
    db = Database(any_db_url)
    try:
        machine = make_machine(db)
        examples = int(os.environ.get("ARTERM_HYPOTHESIS_EXAMPLES", "40"))
        if db.dialect == "postgresql":
            examples = max(10, examples // 2)
        machine.TestCase.settings = settings(max_examples=examples, stateful_step_count=25, deadline=None,
                                             suppress_health_check=[HealthCheck.too_slow])
        machine.TestCase().runTest()
    finally:
        db.dispose()
