"""queries.statement.build_statement on a hand-built ledger (numbers checked by hand, both engines)
and against customer_balances for random ledgers (hypothesis, SQLite)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arterm import ledger as L
from arterm.db.engine import Database
from arterm.domain.errors import DomainError, NotFound
from arterm.mail import StatementCompany, render_statement
from arterm.queries.balances import customer_balances
from arterm.queries.statement import build_statement, default_period, statement_candidates

ACTOR = "tester"
COMPANY = StatementCompany("Refacciones del Bajío SA de CV", "EKU9003173C9", payment_instructions="CLABE 012225001234567897")
AS_OF = date(2026, 11, 28)
D = date


def _w(db: Database, fn, **kw):  # type: ignore[no-untyped-def]
    with db.write() as s:
        return fn(s, actor=ACTOR, **kw)


def _inv(db: Database, cid: int, amount: str, issue: date, *, tax: str = "0", **kw) -> int:  # type: ignore[no-untyped-def]
    return _w(db, L.issue_document, customer_id=cid, lines=[L.LineInput("Refacciones", "1", amount, tax)],
              issue_date=issue, **kw)


def build_ledger(db: Database) -> dict[str, int]:
    """The ledger of the module docstring of this test (see test_hand_built_statement)."""
    with db.write() as s:
        L.upsert_operator(s, username="mgarcia", full_name="María García López", email="maria.garcia@refaccionesbajio.mx")
    cid = _w(db, L.create_customer, name="Constructora Ñandú SA de CV", rfc="KIJ0906199R1", identifier="C-0042",
             emails="pagos@nandu.example, tesoreria@nandu.example", assigned_to="mgarcia", payment_terms_days=30,
             address=L.Address(street="Blvd. Campestre", ext_number="2502", colonia="Jardines del Moral",
                               municipio="León", state="Guanajuato", postal_code="37160"))
    ids: dict[str, int] = {"customer": cid}
    # before the period (September)
    ids["A-1"] = _inv(db, cid, "10000.00", D(2026, 8, 10))  # due 09-09
    ids["A-2"] = _inv(db, cid, "5000.00", D(2026, 9, 15))  # due 10-15
    ids["B-1"] = _inv(db, cid, "1000.00", D(2026, 9, 5), currency="USD", exchange_rate="18.20", series="B")  # due 10-05
    ids["P-1"] = _w(db, L.record_payment, customer_id=cid, amount="4000.00", paid_on=D(2026, 9, 20))  # → A-1
    # the period: October
    ids["A-3"] = _inv(db, cid, "2000.00", D(2026, 10, 2), tax="0.16")  # 2,320.00, due 11-01
    ids["P-2"] = _w(db, L.record_payment, customer_id=cid, amount="7000.00", paid_on=D(2026, 10, 5),
                    reference="SPEI 88412")  # A-1 6,000 (paid) + A-2 1,000 (partial)
    ids["NC-1"] = _w(db, L.issue_credit_note, customer_id=cid, lines=[L.LineInput("Devolución", "1", "500.00", "0")],
                     applies_to=[(ids["A-2"], "500.00")], issue_date=D(2026, 10, 10))
    ids["A-4"] = _inv(db, cid, "1500.00", D(2026, 10, 12))
    _w(db, L.cancel_document, document_id=ids["A-4"], reason="error de captura", on=D(2026, 10, 15))
    ids["P-3"] = _w(db, L.record_payment, customer_id=cid, amount="400.00", currency="USD", exchange_rate="18.30",
                    paid_on=D(2026, 10, 20))  # → B-1
    ids["P-4"] = _w(db, L.record_payment, customer_id=cid, amount="3000.00", paid_on=D(2026, 10, 25),
                    allocations=None, forma_pago="01")  # all credit
    _w(db, L.apply_credit, customer_id=cid, payment_id=ids["P-4"], allocations=[(ids["A-2"], "1000.00")],
       on=D(2026, 10, 28))
    # after the period: must not change October's statement
    ids["A-5"] = _inv(db, cid, "800.00", D(2026, 11, 5))
    _w(db, L.cancel_payment, payment_id=ids["P-2"], reason="cheque devuelto", on=D(2026, 11, 6))
    return ids


def statement(db: Database, cid: int, start: date, end: date, **kw):  # type: ignore[no-untyped-def]
    with db.read() as s:
        return build_statement(s, customer_id=cid, date_from=start, date_to=end, as_of=AS_OF, company=COMPANY, **kw)


def test_hand_built_statement(db: Database) -> None:
    ids = build_ledger(db)
    cid = ids["customer"]
    st_ = statement(db, cid, D(2026, 10, 1), D(2026, 10, 31))

    assert st_.customer.identifier == "C-0042" and st_.customer.name == "Constructora Ñandú SA de CV"
    assert st_.customer.emails == ("pagos@nandu.example", "tesoreria@nandu.example")
    assert st_.customer.address_lines == ("Blvd. Campestre 2502", "Jardines del Moral, León", "Guanajuato, C.P. 37160")
    assert st_.customer.language == "es"
    assert st_.operator is not None and st_.operator.email == "maria.garcia@refaccionesbajio.mx"
    assert (st_.period_from, st_.period_to, st_.generated_on) == (D(2026, 10, 1), D(2026, 10, 31), AS_OF)
    assert [s.currency for s in st_.sections] == ["MXN", "USD"]
    mxn, usd = st_.sections

    # MXN opening (end of September): A-1 10,000 + A-2 5,000 − P-1 4,000 = 11,000.00
    assert mxn.opening_cents == 1_100_000
    rows = [(m.date, m.kind, m.reference, m.charge_cents, m.credit_cents, m.balance_cents) for m in mxn.movements]
    assert rows == [
        (D(2026, 10, 2), "invoice", "A-3", 232_000, 0, 1_332_000),
        (D(2026, 10, 5), "payment", "P-2", 0, 700_000, 632_000),
        (D(2026, 10, 10), "credit_note", "NC-1", 0, 50_000, 582_000),
        (D(2026, 10, 12), "invoice", "A-4", 150_000, 0, 732_000),
        (D(2026, 10, 15), "cancellation", "A-4", 0, 150_000, 582_000),
        (D(2026, 10, 25), "payment", "P-4", 0, 300_000, 282_000),
        (D(2026, 10, 28), "credit_applied", "P-4", 0, 0, 282_000),
    ]
    desc = {(m.kind, m.reference): m.description for m in mxn.movements}
    assert desc[("invoice", "A-3")] == "Refacciones · vence 01/11/2026"
    assert desc[("payment", "P-2")] == ("Transferencia electrónica de fondos · ref. SPEI 88412 · "
                                        "aplicado a A-1 (6,000.00), A-2 (1,000.00)")
    assert desc[("credit_note", "NC-1")] == "Devolución · aplicado a A-2 (500.00)"
    assert desc[("cancellation", "A-4")] == "Factura cancelada"
    assert desc[("payment", "P-4")] == "Efectivo · 3,000.00 a saldo a favor"
    assert desc[("credit_applied", "P-4")] == "aplicado a A-2 (1,000.00)"
    # closing = open documents − unapplied credit: A-2 2,500 + A-3 2,320 − P-4's 2,000 left = 2,820.00
    assert mxn.closing_cents == 282_000
    assert mxn.credit_cents == 200_000
    docs = [(d.reference, d.issue_date, d.due_date, d.days_overdue, d.total_cents, d.balance_cents)
            for d in mxn.open_documents]
    assert docs == [
        ("A-2", D(2026, 9, 15), D(2026, 10, 15), 16, 500_000, 250_000),  # partial: 5,000 − 1,000 − 500 − 1,000
        ("A-3", D(2026, 10, 2), D(2026, 11, 1), -1, 232_000, 232_000),
    ]
    assert [(b.label_key, b.cents) for b in mxn.aging] == [
        ("current", 232_000), ("1-30", 250_000), ("31-60", 0), ("61-90", 0), ("91-120", 0), ("120+", 0)]
    assert mxn.overdue_cents == 250_000

    # USD: B-1 1,000 opening; P-3 400 applied → 600 left, 26 days late on 31/10
    assert usd.opening_cents == 100_000
    assert [(m.kind, m.reference, m.credit_cents, m.balance_cents) for m in usd.movements] == [
        ("payment", "P-3", 40_000, 60_000)]
    assert usd.closing_cents == 60_000 and usd.credit_cents == 0
    assert [(d.reference, d.days_overdue, d.balance_cents) for d in usd.open_documents] == [("B-1", 26, 60_000)]
    assert [b.cents for b in usd.aging if b.label_key == "1-30"] == [60_000]

    # reconciles with the balances query, at the end of the period and the day before it starts
    with db.read() as s:
        for day, section_field in ((D(2026, 10, 31), "closing_cents"), (D(2026, 9, 30), "opening_cents")):
            balances = {b.currency: b.total - b.credit for b in customer_balances(s, [cid], as_of=day)}
            assert {sec.currency: getattr(sec, section_field) for sec in st_.sections} == balances

    # the text says it
    text = render_statement(st_, fmt="text")
    assert "Saldo inicial al 01/10/2026                                     $11,000.00 MXN" in text
    assert "Saldo final al 31/10/2026                                        $2,820.00 MXN" in text
    assert "Saldo a favor                                                    $2,000.00 MXN" in text
    assert "Un saldo positivo es a su cargo; un saldo negativo es a su favor." in text


def test_after_the_period_cancellations_show_in_the_next_one(db: Database) -> None:
    ids = build_ledger(db)
    cid = ids["customer"]
    st_ = statement(db, cid, D(2026, 11, 1), D(2026, 11, 28))
    mxn = st_.sections[0]
    assert mxn.opening_cents == 282_000  # = October's closing
    rows = [(m.date, m.kind, m.reference, m.charge_cents, m.credit_cents, m.balance_cents, m.description)
            for m in mxn.movements]
    assert rows == [
        (D(2026, 11, 5), "invoice", "A-5", 80_000, 0, 362_000, "Refacciones · vence 05/12/2026"),
        (D(2026, 11, 6), "cancellation", "P-2", 700_000, 0, 1_062_000,
         "Pago cancelado · los documentos que cubría (7,000.00) vuelven a quedar pendientes"),
    ]
    # P-2 cancelled: A-1 open again for 6,000 and A-2 back up by 1,000
    assert mxn.closing_cents == 1_062_000
    assert {d.reference: d.balance_cents for d in mxn.open_documents} == {
        "A-1": 600_000, "A-2": 350_000, "A-3": 232_000, "A-5": 80_000}
    with db.read() as s:
        (mxn_balance,) = [b for b in customer_balances(s, [cid], as_of=D(2026, 11, 28)) if b.currency == "MXN"]
    assert mxn.closing_cents == mxn_balance.total - mxn_balance.credit


def test_cancelled_paid_invoice_frees_credit_and_english(db: Database) -> None:
    cid = _w(db, L.create_customer, name="<b>Hostile</b> & [bold]Co[/]", rfc="XAXX010101000", emails="a@b.example",
             language="en")
    inv = _inv(db, cid, "1000.00", D(2026, 10, 1))
    _w(db, L.record_payment, customer_id=cid, amount="1200.00", paid_on=D(2026, 10, 3))  # 1,000 applied + 200 credit
    _w(db, L.cancel_document, document_id=inv, reason="duplicada", on=D(2026, 10, 4))
    st_ = statement(db, cid, D(2026, 10, 1), D(2026, 10, 31))
    (mxn,) = st_.sections
    assert st_.customer.language == "en" and st_.operator is None
    assert [(m.kind, m.charge_cents, m.credit_cents, m.balance_cents, m.description) for m in mxn.movements] == [
        ("invoice", 100_000, 0, 100_000, "Refacciones · due 2026-10-31"),
        ("payment", 0, 120_000, -20_000, "Electronic funds transfer · applied to A-1 (1,000.00) · 200.00 to credit"),
        ("cancellation", 0, 100_000, -120_000, "Invoice cancelled · the 1,000.00 already paid on it becomes credit"),
    ]
    assert mxn.closing_cents == -120_000 and mxn.credit_cents == 120_000 and mxn.open_documents == ()
    html = render_statement(st_, fmt="html")
    assert "&lt;b&gt;Hostile&lt;/b&gt; &amp; [bold]Co[/]" in html and "<b>Hostile" not in html
    assert "-$1,200.00 MXN" in html


def test_customer_without_history_gets_one_empty_section(db: Database) -> None:
    cid = _w(db, L.create_customer, name="Nuevo SA", rfc="XAXX010101000", currency="USD")
    st_ = statement(db, cid, D(2026, 11, 1), D(2026, 11, 28))
    assert [(s.currency, s.opening_cents, s.movements, s.closing_cents) for s in st_.sections] == [("USD", 0, (), 0)]
    assert "Sin movimientos en el periodo." in render_statement(st_, fmt="text")


def test_bad_periods_and_unknown_customer(db: Database) -> None:
    cid = _w(db, L.create_customer, name="Nuevo SA", rfc="XAXX010101000")
    with pytest.raises(DomainError, match="after it ends"):
        statement(db, cid, D(2026, 11, 2), D(2026, 11, 1))
    with pytest.raises(DomainError, match="cannot end after"):
        statement(db, cid, D(2026, 11, 1), AS_OF + timedelta(days=1))
    with pytest.raises(NotFound):
        statement(db, 999_999, D(2026, 11, 1), D(2026, 11, 2))
    assert default_period(D(2026, 11, 30), 30) == (D(2026, 11, 1), D(2026, 11, 30))
    assert default_period(D(2026, 11, 30), 1) == (D(2026, 11, 30), D(2026, 11, 30))


def test_statement_candidates(db: Database) -> None:
    ids = build_ledger(db)
    zero = _w(db, L.create_customer, name="Sin saldo SA", rfc="XAXX010101000")
    current = _w(db, L.create_customer, name="Al corriente SA", rfc="XAXX010101000")
    _inv(db, current, "10.00", AS_OF)
    with db.read() as s:
        assert statement_candidates(s, as_of=AS_OF) == [current, ids["customer"]]  # by name; never `zero`
        assert statement_candidates(s, as_of=AS_OF, overdue=True) == [ids["customer"]]
        assert statement_candidates(s, as_of=AS_OF, assigned="mgarcia") == [ids["customer"]]
        assert statement_candidates(s, as_of=AS_OF, assigned="nadie") == []
        assert zero not in statement_candidates(s, as_of=AS_OF)


# ------------------------------------------------------------------------------ random ledgers
BASE = date(2026, 1, 1)
_amount = st.integers(min_value=1, max_value=300_000).map(lambda c: f"{c // 100}.{c % 100:02d}")
_op = st.one_of(
    st.tuples(st.just("issue"), st.sampled_from(["invoice", "sales_note"]), st.sampled_from(["MXN", "USD"]), _amount),
    st.tuples(st.just("pay"), st.sampled_from(["oldest", "none"]), st.sampled_from(["MXN", "USD"]), _amount),
    st.tuples(st.just("credit_note"), st.booleans(), st.sampled_from(["MXN", "USD"]), _amount),
    st.tuples(st.just("cancel_doc"), st.integers(0, 30)),
    st.tuples(st.just("cancel_payment"), st.integers(0, 30)),
    st.tuples(st.just("apply_credit"), st.integers(0, 30)),
)
_steps = st.lists(st.tuples(st.integers(0, 12), _op), min_size=1, max_size=25)


@pytest.fixture(scope="module")
def random_db(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    database = Database(f"sqlite:///{tmp_path_factory.mktemp('stmt') / 'random.db'}")
    yield database
    database.dispose()


def _play(db: Database, steps: list) -> tuple[int, list[date]]:  # type: ignore[type-arg]
    cid = _w(db, L.create_customer, name="Aleatorio SA", rfc="XAXX010101000", payment_terms_days=15)
    day = BASE
    days = [day]
    docs: list[int] = []
    pays: list[int] = []
    for gap, op in steps:
        day += timedelta(days=gap)
        days.append(day)
        try:
            if op[0] == "issue":
                docs.append(_w(db, L.issue_document, customer_id=cid, kind=op[1], currency=op[2],
                               exchange_rate="1" if op[2] == "MXN" else "18", issue_date=day,
                               lines=[L.LineInput("x", "1", op[3], "0.16")]))
            elif op[0] == "pay":
                pays.append(_w(db, L.record_payment, customer_id=cid, amount=op[3], currency=op[2], paid_on=day,
                               allocations="oldest" if op[1] == "oldest" else None))
            elif op[0] == "credit_note":
                docs.append(_w(db, L.issue_credit_note, customer_id=cid, currency=op[2], issue_date=day,
                               exchange_rate="1" if op[2] == "MXN" else "18",
                               lines=[L.LineInput("nc", "1", op[3], "0")], applies_to="oldest" if op[1] else None))
            elif op[0] == "cancel_doc" and docs:
                _w(db, L.cancel_document, document_id=docs[op[1] % len(docs)], reason="prueba", on=day)
            elif op[0] == "cancel_payment" and pays:
                _w(db, L.cancel_payment, payment_id=pays[op[1] % len(pays)], reason="prueba", on=day)
            elif op[0] == "apply_credit" and pays:
                _w(db, L.apply_credit, customer_id=cid, payment_id=pays[op[1] % len(pays)], on=day)
        except DomainError:
            pass
    return cid, days


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=_steps, data=st.data())
def test_statement_reconciles_with_balances(random_db: Database, steps: list, data: st.DataObject) -> None:  # type: ignore[type-arg]
    db = random_db
    cid, days = _play(db, steps)
    today = date.today()
    # a few periods: random ones inside the history, and one ending today (stored balances)
    candidates = sorted(set(days))
    periods = [(today - timedelta(days=400), today)]
    for _ in range(3):
        a = data.draw(st.sampled_from(candidates))
        b = data.draw(st.sampled_from([d for d in candidates if d >= a]))
        periods.append((a, b))
    with db.read() as s:
        for start, end in periods:
            st_ = build_statement(s, customer_id=cid, date_from=start, date_to=end, as_of=today, company=COMPANY)
            for day, attr in ((end, "closing_cents"), (start - timedelta(days=1), "opening_cents")):
                expected = {b.currency: b.total - b.credit for b in customer_balances(s, [cid], as_of=day)}
                got = {sec.currency: getattr(sec, attr) for sec in st_.sections if getattr(sec, attr)}
                assert got == {c: v for c, v in expected.items() if v}, (start, end, attr)
            for sec in st_.sections:
                running = sec.opening_cents
                for m in sec.movements:
                    assert m.charge_cents >= 0 and m.credit_cents >= 0 and start <= m.date <= end
                    running += m.charge_cents - m.credit_cents
                    assert m.balance_cents == running
                assert running == sec.closing_cents
                assert sec.closing_cents == sum(d.balance_cents for d in sec.open_documents) - sec.credit_cents
                assert sec.aging_total_cents == sum(d.balance_cents for d in sec.open_documents)
                assert sec.credit_cents >= 0
                assert all(d.balance_cents > 0 for d in sec.open_documents)
