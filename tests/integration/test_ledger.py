"""Ledger commands on SQLite and PostgreSQL: each is one transaction that writes its Activity."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from arterm import ledger as L
from arterm.db import tables
from arterm.domain.errors import DomainError, NotFound
from arterm.queries import lists
from arterm.queries.customers import customer_detail
from ledger_helpers import ACTOR, balance, counts, customer, doc, integrity, invoice, pay, payment

TODAY = date.today()


def activity_kinds(db, cid):  # type: ignore[no-untyped-def]
    with db.read() as s:
        return [a.kind for a in lists.list_activity(s, cid)]


# ------------------------------------------------------------------------------------ customers
def test_create_customer_validates_and_logs(db):
    cid = customer(db, name="  Ñandú Peña SA  ", rfc="eku9003173c9", emails="a@x.mx; B@y.mx", phone="55 1234 5678",
                   assigned_to="ana", payment_terms_days=15, address=L.Address(street="Reforma", postal_code="06600"))
    with db.read() as s:
        d = customer_detail(s, cid)
    assert (d.name, d.rfc, d.emails, d.assigned, d.payment_terms_days) == (
        "Ñandú Peña SA", "EKU9003173C9", ("a@x.mx", "B@y.mx"), "ana", 15)
    assert d.identifier == "C000001"
    assert d.address_lines[0] == "Reforma"
    assert activity_kinds(db, cid) == ["operator_assigned", "customer_created"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rfc": "EKU9013173C9"}, "not a valid date"),
        ({"rfc": "EKU900317"}, r"12 \(company\) or 13"),
        ({"rfc": "ABC1234567890"}, "expected 3-4 letters"),
        ({"rfc": "AAA010101AAA"}, "check character"),
        ({"emails": "not-an-email"}, "not a valid address"),
        ({"name": "   "}, "name: required"),
        ({"payment_terms_days": "treinta"}, "whole number"),
        ({"postal_code": "123"}, "five digits", ),
        ({"phone": "call me"}, "only digits"),
    ],
)
def test_invalid_customer_input_changes_nothing(db, kwargs, message):
    before = counts(db)
    kw = {"name": "Cliente", "rfc": "EKU9003173C9"} | kwargs
    if "postal_code" in kw:
        kw["address"] = L.Address(postal_code=kw.pop("postal_code"))
    with pytest.raises(DomainError, match=message), db.write() as s:
        L.create_customer(s, actor=ACTOR, **kw)
    assert counts(db) == before


def test_wrong_check_character_can_be_saved_explicitly(db):
    cid = customer(db, rfc="AAA010101AAA", allow_bad_rfc_check=True)
    with db.read() as s:
        assert customer_detail(s, cid).rfc_check_ok is False


def test_generic_rfc_is_not_unique_but_identifier_is(db):
    a = customer(db, name="Público A", rfc="XAXX010101000", identifier="PUB-1")
    b = customer(db, name="Público B", rfc="XAXX010101000")
    assert a != b
    with pytest.raises(DomainError, match="already used by Público A"), db.write() as s:
        L.set_identifier(s, actor=ACTOR, customer_id=b, identifier="pub-1")
    with db.write() as s:
        L.set_identifier(s, actor=ACTOR, customer_id=b, identifier="PUB-2")
    with db.read() as s:
        assert customer_detail(s, b).identifier == "PUB-2"


def test_edit_assign_terms_and_optimistic_version(db):
    cid = customer(db)
    with db.read() as s:
        version = customer_detail(s, cid).version
    with db.write() as s:
        L.update_customer(s, actor=ACTOR, customer_id=cid, expected_version=version, name="Nuevo Nombre", emails=["x@y.mx"])
    with pytest.raises(DomainError, match="changed by someone else"), db.write() as s:
        L.update_customer(s, actor=ACTOR, customer_id=cid, expected_version=version, name="Otro")
    with db.write() as s:
        L.upsert_operator(s, username="luis", full_name="Luis H", email="luis@example.com")
        L.assign_operator(s, actor=ACTOR, customer_id=cid, username="luis")
        L.set_payment_terms(s, actor=ACTOR, customer_id=cid, days=45)
    with pytest.raises(NotFound), db.write() as s:
        L.assign_operator(s, actor=ACTOR, customer_id=cid, username="nobody")
    with db.read() as s:
        d = customer_detail(s, cid)
    assert (d.name, d.emails, d.assigned, d.assigned_email, d.payment_terms_days) == (
        "Nuevo Nombre", ("x@y.mx",), "luis", "luis@example.com", 45)
    assert activity_kinds(db, cid)[:3] == ["terms_set", "operator_assigned", "customer_updated"]


def test_search_text_follows_edits(db):
    from arterm.queries.customers import search_customers

    cid = customer(db, name="Ferretería Álamo")
    with db.write() as s:
        L.update_customer(s, actor=ACTOR, customer_id=cid, name="Papelería Ñu")
    with db.read() as s:
        assert [r.id for r in search_customers(s, "papeleria nu")] == [cid]
        assert search_customers(s, "alamo") == []


# ------------------------------------------------------------------------------------ documents
def test_invoice_totals_round_half_up_and_due_date_from_terms(db):
    cid = customer(db, payment_terms_days=30)
    with db.write() as s:
        d = L.issue_document(s, actor=ACTOR, customer_id=cid, issue_date=date(2026, 1, 10), lines=[
            L.LineInput("A", "3", "0.335", "0.16"),  # 1.005 -> 1.01 ; tax 0.1616 -> 0.16
            L.LineInput("B", "1", "100", "0"),
        ])
    row = doc(db, d)
    assert (row.subtotal_cents, row.tax_cents, row.total_cents, row.balance_cents) == (10101, 16, 10117, 10117)
    assert row.due_date == date(2026, 2, 9)
    assert (row.series, row.folio, row.status) == ("A", "1", "current")
    assert balance(db, cid) == (10117, 0)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (L.LineInput("X", "0", "10"), "quantity must be greater than zero"),
        (L.LineInput("X", "1", "-10"), "cannot be negative"),
        (L.LineInput("X", "1", "abc"), "not a valid amount"),
        (L.LineInput("X", "1", 10.5), "floats are not accepted"),
        (L.LineInput("", "1", "10"), "description: required"),
        (L.LineInput("X", "1", "10", "0.9"), "tax rate"),
    ],
)
def test_invalid_lines_change_nothing(db, line, message):
    cid = customer(db)
    before = counts(db)
    with pytest.raises(DomainError, match=message), db.write() as s:
        L.issue_document(s, actor=ACTOR, customer_id=cid, lines=[line])
    assert counts(db) == before


def test_duplicate_uuid_is_refused_case_insensitively(db):
    cid = customer(db)
    invoice(db, cid, cfdi_uuid="AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE")
    with pytest.raises(DomainError, match="already exists"):
        invoice(db, cid, cfdi_uuid="aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")


def test_sales_note_has_no_metodo_pago(db):
    cid = customer(db)
    d = invoice(db, cid, kind="sales_note")
    assert (doc(db, d).metodo_pago, doc(db, d).series) == ("", "NV")


# ------------------------------------------------------------------------------------- payments
def test_payment_oldest_due_first_with_leftover_credit(db):
    cid = customer(db, payment_terms_days=0)
    old = invoice(db, cid, "100.00", issue=TODAY - timedelta(days=40))
    new = invoice(db, cid, "200.00", issue=TODAY - timedelta(days=10))
    p = pay(db, cid, "350.00")
    assert (doc(db, old).balance_cents, doc(db, old).status) == (0, "paid")
    assert (doc(db, new).balance_cents, doc(db, new).status) == (0, "paid")
    assert (payment(db, p).unapplied_cents, payment(db, p).status) == (5000, "partial")
    assert balance(db, cid) == (0, 5000)
    with db.read() as s:
        act = lists.list_activity(s, cid)[0]
    assert (act.kind, act.amount, act.balance_after, act.credit_after) == ("payment_recorded", 35000, 0, 5000)
    assert integrity(db) == []


def test_payment_to_chosen_documents_and_partial(db):
    cid = customer(db)
    a = invoice(db, cid, "100.00")
    b = invoice(db, cid, "100.00")
    p = pay(db, cid, "60.00", allocations=[(b, "60.00")])
    assert doc(db, a).balance_cents == 10000
    assert (doc(db, b).balance_cents, doc(db, b).status) == (4000, "current")
    assert payment(db, p).status == "applied"
    assert payment(db, p).rep_status == "pending"  # PPD invoice


@pytest.mark.parametrize(
    ("amount", "allocs", "message"),
    [
        ("150.00", "over", "open balance of 100.00; cannot apply 150.00"),
        ("50.00", "sum", "add up to 80.00 but only 50.00"),
        ("0", None, "greater than zero"),
        ("-5", None, "greater than zero"),
        ("1.2.3", None, "not a valid amount"),
    ],
)
def test_invalid_payments_change_nothing(db, amount, allocs, message):
    cid = customer(db)
    d = invoice(db, cid, "100.00")
    plan = {"over": [(d, "150.00")], "sum": [(d, "80.00")], None: "oldest"}[allocs]
    before = counts(db)
    with pytest.raises(DomainError, match=message):
        pay(db, cid, amount, allocations=plan)
    assert counts(db) == before
    assert doc(db, d).balance_cents == 10000


def test_payment_in_the_future_or_other_customer_is_refused(db):
    a, b = customer(db, name="A"), customer(db, name="B", rfc="KIJ0906199R1")
    d = invoice(db, a, "100.00")
    with pytest.raises(DomainError, match="in the future"):
        pay(db, a, "10", paid_on=TODAY + timedelta(days=1))
    with pytest.raises(NotFound, match="does not belong"):
        pay(db, b, "10", allocations=[(d, "10")])
    with pytest.raises(DomainError, match="in MXN"):
        pay(db, a, "10", currency="USD", allocations=[(d, "10")])


def test_apply_existing_credit_later(db):
    cid = customer(db)
    p = pay(db, cid, "500.00", allocations=None)
    assert balance(db, cid) == (0, 50000)
    d = invoice(db, cid, "300.00")
    with db.write() as s:
        applied = L.apply_credit(s, actor=ACTOR, customer_id=cid, payment_id=p)
    assert applied == [("A-1", 30000)]
    assert doc(db, d).status == "paid"
    assert balance(db, cid) == (0, 20000)
    with pytest.raises(DomainError, match="no open document"), db.write() as s:
        L.apply_credit(s, actor=ACTOR, customer_id=cid, payment_id=p)
    assert integrity(db) == []


def test_credit_note_against_several_invoices(db):
    cid = customer(db)
    a = invoice(db, cid, "100.00")
    b = invoice(db, cid, "200.00")
    with db.write() as s:
        cn = L.issue_credit_note(s, actor=ACTOR, customer_id=cid, lines=[L.LineInput("Bonificación", 1, "150", "0")],
                                 applies_to=[(a, "100.00"), (b, "20.00")])
    assert doc(db, a).status == "paid"
    assert doc(db, b).balance_cents == 18000
    assert (doc(db, cn).kind, doc(db, cn).balance_cents) == ("credit_note", 3000)
    assert balance(db, cid) == (18000, 3000)
    with db.read() as s:
        applied = lists.credit_note_applications(s, [cn])[cn]
    assert [(x.document_ref, x.amount) for x in applied] == [("A-1", 10000), ("A-2", 2000)]
    with pytest.raises(DomainError, match="add up to 200.00 but only 100.00"), db.write() as s:
        L.issue_credit_note(s, actor=ACTOR, customer_id=cid, lines=[L.LineInput("X", 1, "100", "0")],
                            applies_to=[(b, "180"), (a, "20")])


def test_cancel_invoice_frees_its_payments_as_credit(db):
    cid = customer(db)
    d = invoice(db, cid, "100.00")
    p = pay(db, cid, "40.00")
    with db.write() as s:
        L.cancel_document(s, actor=ACTOR, document_id=d, reason="Error en RFC")
    row = doc(db, d)
    assert (row.status, row.balance_cents, row.cancel_reason) == ("cancelled", 0, "Error en RFC")
    assert (payment(db, p).unapplied_cents, payment(db, p).status) == (4000, "unapplied")
    assert balance(db, cid) == (0, 4000)
    with pytest.raises(DomainError, match="already cancelled"), db.write() as s:
        L.cancel_document(s, actor=ACTOR, document_id=d, reason="otra vez")
    with pytest.raises(DomainError, match="reason: required"), db.write() as s:
        L.cancel_payment(s, actor=ACTOR, payment_id=p, reason=" ")
    assert integrity(db) == []


def test_cancel_payment_reopens_documents(db):
    cid = customer(db)
    d = invoice(db, cid, "100.00")
    p = pay(db, cid, "120.00")
    with db.write() as s:
        L.cancel_payment(s, actor=ACTOR, payment_id=p, reason="Cheque rebotado")
    assert (doc(db, d).status, doc(db, d).balance_cents) == ("current", 10000)
    assert (payment(db, p).status, payment(db, p).unapplied_cents) == ("cancelled", 0)
    assert balance(db, cid) == (10000, 0)
    with db.read() as s:
        allocs = lists.payment_detail(s, p)[1]
    assert allocs[0].reversed_on == TODAY
    assert integrity(db) == []


def test_cancel_credit_note_reopens_invoice(db):
    cid = customer(db)
    d = invoice(db, cid, "100.00")
    with db.write() as s:
        cn = L.issue_credit_note(s, actor=ACTOR, customer_id=cid, lines=[L.LineInput("X", 1, "30", "0")], applies_to="oldest")
        L.cancel_document(s, actor=ACTOR, document_id=cn, reason="mal aplicada")
    assert doc(db, d).balance_cents == 10000
    assert balance(db, cid) == (10000, 0)
    assert integrity(db) == []


def test_rep_can_be_recorded(db):
    cid = customer(db)
    invoice(db, cid, "100.00")
    p = pay(db, cid, "100.00")
    with db.write() as s:
        L.set_rep(s, actor=ACTOR, payment_id=p, rep_uuid="12345678-1234-1234-1234-123456789ABC")
    assert (payment(db, p).rep_status, payment(db, p).rep_uuid) == ("issued", "12345678-1234-1234-1234-123456789abc")


# ---------------------------------------------------------------------------------------- notes
def test_notes_on_customer_and_document(db):
    cid = customer(db)
    d = invoice(db, cid)
    with db.write() as s:
        L.add_note(s, actor=ACTOR, customer_id=cid, text="Promete pagar el viernes\nsegunda línea")
        L.add_note(s, actor="ana", customer_id=cid, document_id=d, text="[bold]Factura[/] revisada <b>")
    with db.read() as s:
        notes = lists.list_notes(s, cid)
        doc_notes = lists.list_notes(s, cid, document_id=d)
    assert [n.text for n in notes] == ["[bold]Factura[/] revisada <b>", "Promete pagar el viernes\nsegunda línea"]
    assert [(n.author, n.document_ref) for n in doc_notes] == [("ana", "A-1")]
    with pytest.raises(DomainError, match="note: required"), db.write() as s:
        L.add_note(s, actor=ACTOR, customer_id=cid, text="   ")


# ------------------------------------------------------------------------------------- activity
def test_activity_is_complete_with_balance_after(db):
    cid = customer(db)
    d = invoice(db, cid, "100.00")
    pay(db, cid, "30.00")
    with db.write() as s:
        L.cancel_document(s, actor="luis", document_id=d, reason="x")
    with db.read() as s:
        acts = lists.list_activity(s, cid)
    assert [(a.kind, a.balance_after, a.credit_after, a.actor) for a in acts[:3]] == [
        ("document_cancelled", 0, 3000, "luis"),
        ("payment_recorded", 7000, 0, ACTOR),
        ("invoice_issued", 10000, 0, ACTOR),
    ]
    assert acts[2].document_ref == "A-1" and acts[2].document_status == "cancelled"


def test_unknown_operator_is_created_on_first_use(db):
    customer(db)
    with db.read() as s:
        users = s.execute(sa.select(tables.operator.c.username)).scalars().all()
    assert ACTOR in users
