"""queries.profile on SQLite and PostgreSQL, with ledgers built through the real ledger commands."""

from __future__ import annotations

from datetime import date

from arterm import ledger as L
from arterm.queries import lists
from arterm.queries import profile as P
from ledger_helpers import ACTOR, customer, invoice, pay

AS_OF = date(2026, 11, 28)


def _contract(db, cid, **kw):  # type: ignore[no-untyped-def]
    with db.write() as s:
        return L.create_contract(s, actor=ACTOR, customer_id=cid, amount="1000", **kw)


def _bill(db, cid, contract_id, period_start):  # type: ignore[no-untyped-def]
    return invoice(db, cid, "1160", issue=period_start, contract_id=contract_id, period_start=period_start)


def test_counts_follow_the_ledger(db):
    cid = customer(db)
    other = customer(db, name="Otro", rfc="KIJ0906199R1")
    inv = invoice(db, cid, issue=date(2026, 10, 1))
    invoice(db, other, issue=date(2026, 10, 1))
    pay(db, cid, "100", paid_on=date(2026, 10, 2))
    pay(db, other, "100", paid_on=date(2026, 10, 2))
    with db.write() as s:
        L.add_note(s, actor=ACTOR, customer_id=cid, text="llamar", document_id=inv)
        L.add_note(s, actor=ACTOR, customer_id=cid, text="otra")
    _contract(db, cid, frequency="monthly", start_date=date(2026, 1, 1))
    with db.read() as s:
        assert P.count_payments(s, cid) == 1
        assert P.count_notes(s, cid) == 2
        assert P.count_contracts(s, cid) == 1
        assert P.count_contracts(s, other) == 0
        # created, invoice, payment, 2 notes, contract
        assert P.count_activity(s, cid) == len(lists.list_activity(s, cid, limit=1000)) == 6


def test_count_open_documents_matches_the_open_list(db):
    cid = customer(db)
    paid = invoice(db, cid, "100", issue=date(2026, 9, 1))
    invoice(db, cid, "100", issue=date(2026, 9, 2))
    partly = invoice(db, cid, "100", issue=date(2026, 9, 3), kind="sales_note")
    cancelled = invoice(db, cid, "100", issue=date(2026, 9, 4))
    pay(db, cid, "100", paid_on=date(2026, 9, 5), allocations=[(paid, "100")])
    pay(db, cid, "40", paid_on=date(2026, 9, 5), allocations=[(partly, "40")])
    with db.write() as s:
        L.cancel_document(s, actor=ACTOR, document_id=cancelled, reason="duplicada")
        L.issue_credit_note(s, actor=ACTOR, customer_id=cid, lines=[L.LineInput("x", "1", "10", "0")])
    with db.read() as s:
        open_rows = lists.list_documents(s, cid, only_open=True, as_of=AS_OF)
        assert P.count_open_documents(s, cid) == len(open_rows) == 2
        assert P.count_open_documents(s, cid, kinds=("credit_note",)) == 1
        assert partly in [d.id for d in open_rows] and paid not in [d.id for d in open_rows]


def test_payment_summary_windows_and_currencies(db):
    cid = customer(db)
    invoice(db, cid, "100000", issue=date(2025, 1, 1))
    pay(db, cid, "100.00", paid_on=date(2026, 11, 28))   # 30, 90, ytd (the as-of day itself)
    pay(db, cid, "200.00", paid_on=date(2026, 10, 30))   # 30 (first day of the window), 90, ytd
    pay(db, cid, "400.00", paid_on=date(2026, 10, 29))   # 90, ytd
    pay(db, cid, "800.00", paid_on=date(2026, 8, 31))    # 90 (first day), ytd
    pay(db, cid, "1600.00", paid_on=date(2026, 1, 1))    # ytd only
    pay(db, cid, "3200.00", paid_on=date(2025, 12, 31))  # nothing
    cancelled = pay(db, cid, "6400.00", paid_on=date(2026, 11, 27))
    with db.write() as s:
        L.cancel_payment(s, actor=ACTOR, payment_id=cancelled, reason="rebotado")
    pay(db, cid, "10.00", paid_on=date(2026, 11, 1), currency="USD", exchange_rate="18.5")
    with db.read() as s:
        summary = P.payment_summary(s, cid, as_of=AS_OF)
        assert [t.currency for t in summary] == ["MXN", "USD"]
        mxn, usd = summary
        assert (mxn.last_30, mxn.count_30) == (30000, 2)
        assert (mxn.last_90, mxn.count_90) == (150000, 4)
        assert (mxn.year_to_date, mxn.count_ytd) == (310000, 5)
        assert mxn.last_paid_on == date(2026, 11, 28)
        assert (usd.last_30, usd.last_90, usd.year_to_date, usd.count_ytd) == (1000, 1000, 1000, 1)
        # As of an earlier date the later payments do not count.
        (early,) = [t for t in P.payment_summary(s, cid, as_of=date(2026, 10, 29)) if t.currency == "MXN"]
        assert (early.last_30, early.year_to_date, early.last_paid_on) == (40000, 280000, date(2026, 10, 29))
        assert P.payment_summary(s, customer(db, name="Sin pagos", rfc="URE180429TM6"), as_of=AS_OF) == ()


def test_rep_pending_deadlines(db):
    cid = customer(db)
    ppd1 = invoice(db, cid, "1000", issue=date(2026, 9, 1))                   # PPD by default
    ppd2 = invoice(db, cid, "1000", issue=date(2026, 9, 2))
    invoice(db, cid, "1000", issue=date(2026, 9, 3), metodo_pago="PUE", forma_pago="03")
    late = pay(db, cid, "500", paid_on=date(2026, 10, 15), allocations=[(ppd1, "500")], reference="SPEI 1")
    soon = pay(db, cid, "500", paid_on=date(2026, 11, 20), allocations=[(ppd2, "500")])
    december = pay(db, cid, "100", paid_on=date(2025, 12, 10), allocations=[(ppd1, "100")])
    issued = pay(db, cid, "100", paid_on=date(2026, 11, 1), allocations=[(ppd2, "100")])
    cancelled = pay(db, cid, "100", paid_on=date(2026, 11, 2), allocations=[(ppd2, "100")])
    oldest_first = pay(db, cid, "1000", paid_on=date(2026, 11, 3))  # PPD leftovers first, then the PUE
    with db.write() as s:
        L.set_rep(s, actor=ACTOR, payment_id=issued, rep_uuid="6f1c9d2e-0b8a-4c55-9f3e-2a7b1c4d5e6f")
        L.cancel_payment(s, actor=ACTOR, payment_id=cancelled, reason="error")
    with db.read() as s:
        rows = P.rep_pending(s, cid, as_of=AS_OF)
        assert P.count_rep_pending(s, cid) == len(rows) == 4
        by_id = {r.payment_id: r for r in rows}
        assert [r.payment_id for r in rows] == [december, late, oldest_first, soon]
        assert (by_id[december].deadline, by_id[december].days_left) == (date(2026, 1, 5), -327)
        assert (by_id[late].deadline, by_id[late].days_left, by_id[late].reference) == (date(2026, 11, 5), -23, "SPEI 1")
        assert (by_id[soon].deadline, by_id[soon].days_left, by_id[soon].amount) == (date(2026, 12, 5), 7, 50000)
        assert issued not in by_id and cancelled not in by_id
        assert [r.payment_id for r in P.rep_pending(s, cid, as_of=AS_OF, offset=1, limit=2)] == [late, oldest_first]


def test_next_billing_date_of_contracts(db):
    cid = customer(db)
    monthly = _contract(db, cid, frequency="monthly", start_date=date(2026, 6, 1))
    for month in (6, 7, 8, 9, 10):
        _bill(db, cid, monthly, date(2026, month, 1))
    future = _contract(db, cid, frequency="quarterly", start_date=date(2026, 12, 15))
    billing_day = _contract(db, cid, frequency="monthly", start_date=date(2026, 1, 20), billing_day=5)
    _bill(db, cid, billing_day, date(2026, 1, 20))
    finished = _contract(db, cid, frequency="monthly", start_date=date(2026, 3, 1), periods=2, direct_debit=True,
                         dd_forma_pago="04", dd_reference="4152313412345678")
    _bill(db, cid, finished, date(2026, 3, 1))
    _bill(db, cid, finished, date(2026, 4, 1))
    paused = _contract(db, cid, frequency="weekly", start_date=date(2026, 11, 2))
    with db.write() as s:
        L.set_contract_status(s, actor=ACTOR, contract_id=paused, status="paused", reason="vacaciones")
    with db.read() as s:
        rows = P.list_contract_summaries(s, cid)
    by_id = {r.contract.id: r for r in rows}
    assert [r.contract.id for r in rows] == [monthly, future, billing_day, finished, paused]  # active first
    assert (by_id[monthly].next_billing, by_id[monthly].billed_periods) == (date(2026, 11, 1), 5)
    assert by_id[monthly].last_period_start == date(2026, 10, 1)
    assert (by_id[future].next_billing, by_id[future].billed_periods) == (date(2026, 12, 15), 0)
    assert by_id[billing_day].next_billing == date(2026, 3, 5)  # period Feb 20 bills on Mar 5
    assert by_id[finished].next_billing is None
    assert by_id[finished].contract.direct_debit and by_id[finished].contract.dd_reference == "**** 5678"
    assert by_id[paused].next_billing is None and by_id[paused].contract.status == "paused"
    _bill(db, cid, monthly, date(2026, 11, 1))
    with db.read() as s:
        (again,) = [r for r in P.list_contract_summaries(s, cid) if r.contract.id == monthly]
        assert again.next_billing == date(2026, 12, 1)
        assert [r.contract.id for r in P.list_contract_summaries(s, cid, offset=1, limit=2)] == [future, billing_day]


def test_credit_notes_with_applications(db):
    cid = customer(db)
    a = invoice(db, cid, "1000", issue=date(2026, 10, 1), series="A", folio="1")
    b = invoice(db, cid, "1000", issue=date(2026, 10, 2), series="A", folio="2")
    with db.write() as s:
        first = L.issue_credit_note(s, actor=ACTOR, customer_id=cid, lines=[L.LineInput("Descuento", "1", "300", "0")],
                                    applies_to=[(a, "200"), (b, "50")], issue_date=date(2026, 10, 5),
                                    cfdi_uuid="A1B2C3D4-0000-4000-8000-000000000001")
        second = L.issue_credit_note(s, actor=ACTOR, customer_id=cid, lines=[L.LineInput("Bonificación", "1", "100", "0")],
                                     issue_date=date(2026, 11, 5))
    with db.read() as s:
        rows = P.list_credit_notes(s, cid, as_of=AS_OF)
    assert [r.document.id for r in rows] == [second, first]  # newest first
    newest, oldest = rows
    assert newest.applications == () and newest.document.balance == 10000
    assert oldest.document.cfdi_uuid == "a1b2c3d4-0000-4000-8000-000000000001"
    assert [(x.document_ref, x.amount, x.reversed_on) for x in oldest.applications] == [("A-1", 20000, None), ("A-2", 5000, None)]
    assert oldest.document.total == 30000 and oldest.document.balance == 5000


def test_payment_events_show_the_status_of_the_documents_they_paid(db):
    cid = customer(db)
    old = invoice(db, cid, "100", issue=date(2026, 8, 1))  # due 31/08 (30 days): overdue on AS_OF
    new = invoice(db, cid, "100", issue=date(2026, 11, 20))  # due 20/12: current
    both = pay(db, cid, "150", paid_on=date(2026, 11, 21), allocations=[(old, "100"), (new, "50")])
    rest = pay(db, cid, "30", paid_on=date(2026, 11, 22), allocations=[(new, "30")])
    partial_old = invoice(db, cid, "100", issue=date(2026, 7, 1))
    part = pay(db, cid, "10", paid_on=date(2026, 11, 23), allocations=[(partial_old, "10")])
    credit_only = pay(db, cid, "5", paid_on=date(2026, 11, 24), allocations=[])
    with db.read() as s:
        rows = {r.payment_id: r.document_status for r in lists.list_activity(s, cid, as_of=AS_OF)
                if r.kind == "payment_recorded"}
    # `both` paid `old` off and part of `new`: what it went to that is still open is current.
    assert rows == {both: "current", rest: "current", part: "overdue", credit_only: ""}
