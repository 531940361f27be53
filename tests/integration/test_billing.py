"""Contract billing on SQLite and PostgreSQL: catch-up runs, billing day 31, pause/resume/end,
edits, and direct-debit charges (pending → confirmed / rejected) keeping the ledger exact."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa

from arterm import ledger as L
from arterm.db import tables
from arterm.db.engine import Database
from arterm.domain.errors import ConcurrencyError, DomainError
from arterm.domain.schedule import due_periods
from arterm.ledger import billing as B
from arterm.queries import billing as q
from arterm.queries.balances import customer_balances
from arterm.queries.customers import search_customers
from ledger_helpers import ACTOR, balance, counts, customer, doc, integrity, payment

D = date


def contract(db: Database, customer_id: int, **kw: Any) -> int:
    args: dict[str, Any] = {"amount": "1000.00", "frequency": "monthly", "start_date": D(2026, 1, 31), "tax_rate": "0.16"}
    args.update(kw)
    with db.write() as s:
        return L.create_contract(s, actor=ACTOR, customer_id=customer_id, **args)


def invoices(db: Database, contract_id: int) -> list[Any]:
    with db.read() as s:
        return s.execute(sa.select(tables.document).where(tables.document.c.contract_id == contract_id)
                         .order_by(tables.document.c.period_start)).all()


def run(db: Database, until: date, **kw: Any) -> B.BillingReport:
    return B.bill_contracts(db, actor=ACTOR, until=until, **kw)


def activity(db: Database, kind: str) -> list[Any]:
    with db.read() as s:
        return s.execute(sa.select(tables.activity).where(tables.activity.c.kind == kind)
                         .order_by(tables.activity.c.id)).all()


# ---------------------------------------------------------------------------------- the run
def test_catch_up_bills_every_missed_period_once_with_its_own_dates(db: Database) -> None:
    cid = customer(db, payment_terms_days=15, language="es")
    k = contract(db, cid, billing_day=31, description="Renta de equipo")
    before = counts(db)
    dry = run(db, D(2026, 6, 30), dry_run=True)
    assert counts(db) == before, "a dry run writes nothing"
    assert [d.billing_date for d in dry.due] == [D(2026, 1, 31), D(2026, 2, 28), D(2026, 3, 31), D(2026, 4, 30),
                                                  D(2026, 5, 31), D(2026, 6, 30)]
    report = run(db, D(2026, 6, 30))
    assert len(report.issued) == 6 and report.already == 0 and report.errors == []
    docs = invoices(db, k)
    assert [d.issue_date for d in docs] == [d.billing_date for d in dry.due]
    assert [d.due_date for d in docs] == [D(2026, 2, 15), D(2026, 3, 15), D(2026, 4, 15), D(2026, 5, 15),
                                          D(2026, 6, 15), D(2026, 7, 15)]  # customer's 15 days
    first = docs[0]
    assert (first.subtotal_cents, first.tax_cents, first.total_cents, first.balance_cents) == (100000, 16000, 116000, 116000)
    assert first.description == "Renta de equipo — periodo del 31/01/2026 al 27/02/2026"
    assert first.metodo_pago == "PPD" and first.forma_pago == "99" and first.kind == "invoice"
    with db.read() as s:
        line = s.execute(sa.select(tables.document_line).where(tables.document_line.c.document_id == first.id)).one()
    assert (line.amount_cents, line.tax_rate, line.quantity) == (100000, "0.16", "1")
    assert "periodo del 31/01/2026" in line.description
    # A second run (same or earlier date) issues nothing more.
    assert run(db, D(2026, 6, 30)).issued == []
    assert run(db, D(2026, 3, 1)).issued == []
    assert len(invoices(db, k)) == 6
    assert balance(db, cid) == (6 * 116000, 0)
    assert integrity(db) == []
    with db.read() as s:
        runs = s.execute(sa.select(tables.billing_run).order_by(tables.billing_run.c.id)).all()
    assert [(r.status, r.issued) for r in runs] == [("done", 6), ("done", 0), ("done", 0)]


def test_contract_terms_and_english_description(db: Database) -> None:
    cid = customer(db, payment_terms_days=30, language="en")
    k = contract(db, cid, frequency="weekly", start_date=D(2026, 3, 2), payment_terms_days=7, periods=3,
                 description="", tax_rate="0")
    run(db, D(2026, 12, 31))
    docs = invoices(db, k)
    assert [(d.issue_date, d.due_date) for d in docs] == [
        (D(2026, 3, 2), D(2026, 3, 9)), (D(2026, 3, 9), D(2026, 3, 16)), (D(2026, 3, 16), D(2026, 3, 23))]
    assert docs[0].description == f"Contract #{k} service — period 2026-03-02 to 2026-03-08"
    assert docs[0].total_cents == 100000


def test_end_date_and_period_count_limit_the_schedule(db: Database) -> None:
    cid = customer(db)
    k1 = contract(db, cid, frequency="quarterly", start_date=D(2026, 1, 15), end_date=D(2026, 7, 14))
    k2 = contract(db, cid, frequency="yearly", start_date=D(2020, 2, 29), periods=4)
    run(db, D(2030, 1, 1))
    assert [d.period_start for d in invoices(db, k1)] == [D(2026, 1, 15), D(2026, 4, 15)]
    assert [d.period_start for d in invoices(db, k2)] == [D(2020, 2, 29), D(2021, 2, 28), D(2022, 2, 28), D(2023, 2, 28)]
    with db.read() as s:
        items = {i.contract.id: i for i in q.contract_list(s, as_of=D(2030, 1, 1))}
    assert items[k1].next_billing_date is None and items[k2].next_billing_date is None


def test_matches_due_periods(db: Database) -> None:
    cid = customer(db)
    k = contract(db, cid, frequency="bimonthly", start_date=D(2025, 8, 20), billing_day=5)
    run(db, D(2026, 11, 28))
    expected = due_periods(D(2025, 8, 20), "bimonthly", until=D(2026, 11, 28), billing_day=5)
    assert [(d.period_start, d.issue_date) for d in invoices(db, k)] == [(p.start, p.billing_date) for p in expected]


# ------------------------------------------------------------------------- pause / resume / end
def test_periods_falling_due_while_paused_are_skipped_not_billed_on_resume(db: Database) -> None:
    cid = customer(db)
    k = contract(db, cid, start_date=D(2026, 1, 1))
    run(db, D(2026, 2, 1))  # Jan, Feb
    with db.write() as s:
        B.pause_contract(s, actor=ACTOR, contract_id=k, reason="Cliente de vacaciones", on=D(2026, 3, 15))
    # Mar 1 was due before the pause (nobody billed it): still billed, even while paused.
    assert [i.period_start for i in run(db, D(2026, 6, 30)).issued] == [D(2026, 3, 1)]
    with db.write() as s:
        B.resume_contract(s, actor=ACTOR, contract_id=k, reason="Regresó", on=D(2026, 6, 10))
    # Apr 1, May 1, Jun 1 fell in the pause: skipped for good. Jul 1 onwards bill again.
    issued = run(db, D(2026, 8, 31)).issued
    assert [i.period_start for i in issued] == [D(2026, 7, 1), D(2026, 8, 1)]
    assert [d.period_start.month for d in invoices(db, k)] == [1, 2, 3, 7, 8]
    with db.read() as s:
        c = q.contract_info(s, k)
        holds = q.holds_of(s, [k])[k]
    assert c.status == "active"
    assert [(h.kind, h.start_on, h.end_on, h.reason, h.end_reason) for h in holds] == [
        ("pause", D(2026, 3, 15), D(2026, 6, 10), "Cliente de vacaciones", "Regresó")]
    kinds = [a.detail for a in activity(db, "contract_updated")]
    assert "active → paused: Cliente de vacaciones" in kinds and "paused → active: Regresó" in kinds
    # Pausing again cannot overlap the previous pause.
    with pytest.raises(DomainError, match="paused until"), db.write() as s:
        B.pause_contract(s, actor=ACTOR, contract_id=k, reason="otra", on=D(2026, 5, 1))


def test_ended_contract_stops_but_owes_what_fell_due_before(db: Database) -> None:
    cid = customer(db)
    k = contract(db, cid, start_date=D(2026, 1, 10))
    with db.write() as s:
        B.end_contract(s, actor=ACTOR, contract_id=k, reason="Canceló el servicio", on=D(2026, 3, 10))
    issued = run(db, D(2026, 12, 31)).issued
    assert [i.period_start for i in issued] == [D(2026, 1, 10), D(2026, 2, 10)]  # Mar 10 is the end day: not billed
    with pytest.raises(DomainError, match="already ended"), db.write() as s:
        B.end_contract(s, actor=ACTOR, contract_id=k, reason="x")
    with pytest.raises(DomainError, match="ended"), db.write() as s:
        B.resume_contract(s, actor=ACTOR, contract_id=k)
    with pytest.raises(DomainError, match="ended"), db.write() as s:
        B.update_contract(s, actor=ACTOR, contract_id=k, amount="5")


def test_status_set_without_a_hold_bills_nothing(db: Database) -> None:
    cid = customer(db)
    k = contract(db, cid, start_date=D(2026, 1, 1))
    with db.write() as s:
        L.set_contract_status(s, actor=ACTOR, contract_id=k, status="paused", reason="directo")
    assert run(db, D(2026, 6, 1)).due == []


def test_pause_requires_a_reason_and_an_active_contract(db: Database) -> None:
    cid = customer(db)
    k = contract(db, cid)
    before = counts(db)
    with pytest.raises(DomainError, match="reason"), db.write() as s:
        B.pause_contract(s, actor=ACTOR, contract_id=k, reason="  ")
    with pytest.raises(DomainError, match="only a paused"), db.write() as s:
        B.resume_contract(s, actor=ACTOR, contract_id=k)
    assert counts(db) == before


# ------------------------------------------------------------------------------------- edits
def test_edits_apply_to_future_invoices_and_keep_the_billed_schedule(db: Database) -> None:
    cid = customer(db)
    k = contract(db, cid, start_date=D(2026, 1, 1), direct_debit=True, dd_forma_pago="04", dd_reference="4111 1111 1111 1234")
    run(db, D(2026, 2, 1))
    with db.read() as s:
        version = q.contract_info(s, k).version
    with db.write() as s:
        new_version = B.update_contract(s, actor=ACTOR, contract_id=k, expected_version=version, amount="1500",
                                        tax_rate="0.08", description="Plan plus", payment_terms_days=10,
                                        dd_reference="**** 1234")
    assert new_version == version + 1
    run(db, D(2026, 3, 1))
    docs = invoices(db, k)
    assert [d.total_cents for d in docs] == [116000, 116000, 162000]
    assert docs[-1].due_date == D(2026, 3, 11) and docs[-1].description.startswith("Plan plus")
    with db.read() as s:
        c = q.contract_info(s, k)
    assert c.dd_reference == "**** 1234"
    before = counts(db)
    for kw, match in (({"frequency": "weekly"}, "frequency cannot change"), ({"start_date": D(2026, 1, 2)}, "start date"),
                      ({"billing_day": 15}, "billing day"), ({"periods": 2}, "periods"),
                      ({"end_date": D(2026, 2, 15)}, "end date"), ({"amount": "-1"}, "greater than zero"),
                      ({"tax_rate": "0.9"}, "tax rate"), ({"dd_forma_pago": "01"}, "card")):
        with pytest.raises(DomainError, match=match), db.write() as s:
            B.update_contract(s, actor=ACTOR, contract_id=k, **kw)
    with pytest.raises(ConcurrencyError), db.write() as s:
        B.update_contract(s, actor=ACTOR, contract_id=k, expected_version=version, amount="2")
    assert counts(db) == before
    # Without invoices the schedule may still change.
    k2 = contract(db, cid, start_date=D(2027, 1, 1))
    with db.write() as s:
        B.update_contract(s, actor=ACTOR, contract_id=k2, frequency="quarterly", billing_day=31, direct_debit=False)
    with db.read() as s:
        c2 = q.contract_info(s, k2)
    assert (c2.frequency, c2.billing_day, c2.direct_debit) == ("quarterly", 31, False)


# ------------------------------------------------------------------------------ direct debit
def _dd_setup(db: Database) -> tuple[int, int, list[Any]]:
    cid = customer(db, payment_terms_days=10)
    k = contract(db, cid, start_date=D(2026, 1, 5), direct_debit=True, dd_forma_pago="28",
                 dd_reference="0123-4567-8901-2345")
    report = run(db, D(2026, 3, 5))
    return cid, k, report.issued


def test_direct_debit_charge_is_pending_on_the_due_date_and_not_credit(db: Database) -> None:
    cid, k, issued = _dd_setup(db)
    assert len(issued) == 3 and all(i.charge_id for i in issued)
    p = payment(db, issued[0].charge_id)
    assert (p.status, p.origin, p.paid_on, p.amount_cents, p.forma_pago, p.contract_id) == (
        "pending", "direct_debit", D(2026, 1, 15), 116000, "28", k)
    assert p.reference == "A-1 **** 2345"
    assert balance(db, cid) == (3 * 116000, 0), "a pending charge is not money"
    assert [a.on_date for a in activity(db, "charge_scheduled")] == [D(2026, 1, 15), D(2026, 2, 15), D(2026, 3, 15)]
    with db.read() as s:
        pending = q.list_charges(s)
    assert [(c.payment_id, c.document_id, c.status, c.scheduled_on) for c in pending] == [
        (i.charge_id, i.document_id, "pending", i.due_date) for i in issued]
    assert integrity(db) == []


def test_confirming_a_charge_pays_its_invoice(db: Database) -> None:
    cid, k, issued = _dd_setup(db)
    target = issued[1]
    with db.write() as s:
        applied = B.confirm_charge(s, actor=ACTOR, payment_id=target.charge_id)
    assert applied == [(target.reference, 116000)]
    p = payment(db, target.charge_id)
    assert (p.status, p.unapplied_cents, p.paid_on, p.rep_status) == ("applied", 0, D(2026, 2, 15), "pending")
    d = doc(db, target.document_id)
    assert (d.status, d.balance_cents) == ("paid", 0)
    assert doc(db, issued[0].document_id).balance_cents == 116000, "only that invoice is paid"
    assert balance(db, cid) == (2 * 116000, 0)
    act = activity(db, "charge_confirmed")
    assert [(a.payment_id, a.document_id, a.contract_id, a.amount_cents, a.balance_after_cents) for a in act] == [
        (target.charge_id, target.document_id, k, 116000, 2 * 116000)]
    with db.read() as s:
        assert q.list_charges(s, status="confirmed")[0].decided_on == D(2026, 2, 15)
    before = counts(db)
    with pytest.raises(DomainError, match="already confirmed"), db.write() as s:
        B.confirm_charge(s, actor=ACTOR, payment_id=target.charge_id)
    with pytest.raises(DomainError, match="already confirmed"), db.write() as s:
        B.reject_charge(s, actor=ACTOR, payment_id=target.charge_id, reason="x")
    with pytest.raises(DomainError, match="does not exist"), db.write() as s:
        B.confirm_charge(s, actor=ACTOR, payment_id=999_999)
    assert counts(db) == before
    assert integrity(db) == []


def test_confirming_a_charge_of_an_invoice_already_paid_leaves_credit(db: Database) -> None:
    cid, _, issued = _dd_setup(db)
    target = issued[0]
    with db.write() as s:
        L.record_payment(s, actor=ACTOR, customer_id=cid, amount="1160.00", paid_on=D(2026, 1, 10),
                         allocations=[(target.document_id, "1160.00")])
    with db.write() as s:
        assert B.confirm_charge(s, actor=ACTOR, payment_id=target.charge_id, on=D(2026, 1, 15)) == []
    assert payment(db, target.charge_id).status == "unapplied"
    assert balance(db, cid) == (2 * 116000, 116000)
    assert "credit 1160.00" in activity(db, "charge_confirmed")[0].detail
    assert integrity(db) == []


def test_rejected_charge_leaves_the_invoice_open_and_overdue(db: Database) -> None:
    cid, k, issued = _dd_setup(db)
    target = issued[2]
    with db.write() as s:
        B.reject_charge(s, actor=ACTOR, payment_id=target.charge_id, reason="Fondos insuficientes", on=D(2026, 3, 15))
    p = payment(db, target.charge_id)
    assert (p.status, p.cancel_reason, p.cancelled_on, p.unapplied_cents) == ("rejected", "Fondos insuficientes",
                                                                            D(2026, 3, 15), 0)
    d = doc(db, target.document_id)
    assert (d.status, d.balance_cents) == ("current", 116000)
    act = activity(db, "charge_rejected")
    assert len(act) == 1 and act[0].detail == f"{target.reference}: Fondos insuficientes"
    assert (act[0].document_id, act[0].contract_id, act[0].payment_id) == (target.document_id, k, target.charge_id)
    assert balance(db, cid) == (3 * 116000, 0)
    with db.read() as s:
        # Not due yet on the 15th; overdue from the 16th.
        assert [r.id for r in search_customers(s, only_overdue=True, as_of=D(2026, 1, 15))] == []
        assert [r.id for r in search_customers(s, only_overdue=True, as_of=D(2026, 3, 16))] == [cid]
        b = customer_balances(s, [cid], as_of=D(2026, 3, 16))[0]
        assert b.overdue == 3 * 116000 and b.credit == 0
        assert q.list_charges(s, status="rejected")[0].reason == "Fondos insuficientes"
    with pytest.raises(DomainError, match="reason"), db.write() as s:
        B.reject_charge(s, actor=ACTOR, payment_id=issued[0].charge_id, reason="")
    assert integrity(db) == []


def test_pending_charge_called_off_cannot_be_confirmed(db: Database) -> None:
    cid, _, issued = _dd_setup(db)
    with db.write() as s:
        L.cancel_payment(s, actor=ACTOR, payment_id=issued[0].charge_id, reason="Se canceló el cargo",
                         on=D(2026, 1, 20))
    with db.read() as s:
        assert q.list_charges(s, status="rejected")[0].payment_id == issued[0].charge_id
    with pytest.raises(DomainError, match="already rejected"), db.write() as s:
        B.confirm_charge(s, actor=ACTOR, payment_id=issued[0].charge_id)
    assert balance(db, cid) == (3 * 116000, 0)
    assert integrity(db) == []


def test_bill_period_refuses_what_is_not_due(db: Database) -> None:
    cid = customer(db)
    k = contract(db, cid, start_date=D(2026, 1, 1))
    with pytest.raises(B.NotDue), db.write() as s:
        B.bill_period(s, actor=ACTOR, contract_id=k, period_start=D(2026, 1, 2))
    with pytest.raises(B.NotDue), db.write() as s:
        B.bill_period(s, actor=ACTOR, contract_id=k, period_start=D(2026, 3, 1), until=D(2026, 2, 1))
    with db.write() as s:
        assert B.bill_period(s, actor=ACTOR, contract_id=k, period_start=D(2026, 1, 1)) is not None
    with db.write() as s:
        assert B.bill_period(s, actor=ACTOR, contract_id=k, period_start=D(2026, 1, 1)) is None
    assert len(invoices(db, k)) == 1


def test_unique_key_collision_counts_as_already_billed(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """The last line of defence: when another process committed the same period after this run
    looked (the database's unique key fires), the run counts it as billed by someone else."""
    cid = customer(db)
    k = contract(db, cid, start_date=D(2026, 1, 1))
    with db.read() as s:
        stale = q.find_due(s, until=D(2026, 3, 1))  # what a run read before the other committed
    with db.write() as s:
        assert B.bill_period(s, actor="other", contract_id=k, period_start=D(2026, 2, 1)) is not None
    real = B.bill_period

    def no_precheck(session: Any, **kw: Any) -> Any:
        if kw["period_start"] == D(2026, 2, 1):  # as if the other commit landed after our check
            return L.issue_document(session, actor=ACTOR, customer_id=cid, lines=[L.LineInput("x", "1", "1", "0")],
                                    issue_date=D(2026, 2, 1), contract_id=k, period_start=D(2026, 2, 1))
        return real(session, **kw)

    monkeypatch.setattr(q, "find_due", lambda s, **kw: stale)
    monkeypatch.setattr(B, "bill_period", no_precheck)
    report = run(db, D(2026, 3, 1))
    assert report.errors == [] and report.already == 1
    assert [i.period_start for i in report.issued] == [D(2026, 1, 1), D(2026, 3, 1)]
    assert [d.period_start for d in invoices(db, k)] == [D(2026, 1, 1), D(2026, 2, 1), D(2026, 3, 1)]
    assert integrity(db) == []


def test_no_period_starts_on_or_after_the_end_date(db: Database) -> None:
    """QA: a monthly contract from Jan 31 to Jun 30 billed a sixth month, from Jun 30, for its last
    day. The end date now means what `contracts end` means: no period starts on or after it."""
    cid = customer(db)
    k = contract(db, cid, start_date=D(2025, 1, 31), end_date=D(2025, 6, 30))
    run(db, until=D(2025, 12, 31))
    assert [r.period_start for r in invoices(db, k)] == [D(2025, 1, 31), D(2025, 2, 28), D(2025, 3, 31),
                                                         D(2025, 4, 30), D(2025, 5, 31)]
    with pytest.raises(DomainError, match="end date must be after the start date"):
        contract(db, cid, start_date=D(2025, 1, 31), end_date=D(2025, 1, 31))  # would never bill
    with db.write() as s, pytest.raises(DomainError, match="starting 2025-05-31 is already invoiced; the end date must"):
        B.update_contract(s, actor=ACTOR, contract_id=k, end_date=D(2025, 5, 31))  # would drop an invoiced one
    with db.write() as s:
        B.update_contract(s, actor=ACTOR, contract_id=k, end_date=D(2025, 6, 1))
    assert integrity(db) == []
