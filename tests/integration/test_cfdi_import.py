"""CFDI import into the ledger, on SQLite and PostgreSQL: what each kind of CFDI becomes, customers,
due dates, credit notes, REPs (cross-currency, partial, overpaid), substitutions, matching payments
recorded by hand, duplicates, checks, and files rejected without leaving anything behind.

Every import here starts with the aging cache filled and ends with ``queries.integrity.check_ledger``
reporting nothing, cache included (``imp``)."""

from __future__ import annotations

import itertools
import zipfile
from datetime import date, datetime, timedelta
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from arterm import ledger as L
from arterm.cfdi.generate import (
    GENERIC_RFC,
    Customer,
    Issuer,
    Line,
    PaidDocument,
    Payment,
    credit_note_xml,
    invoice_xml,
    payment_xml,
    substitution_xml,
)
from arterm.cfdi.importer import ImportReport, Importer, import_paths, parse_terms
from arterm.config import CfdiSettings, CompanySettings, Settings
from arterm.db import tables
from arterm.db.engine import Database
from ledger_helpers import balance, counts, integrity, warm_aging

EKU = "EKU9003173C9"
KIJ = Customer("KIJ0906199R1", "KIJ, S.A DE C.V.", "59820", "601", "G03")
URE = Customer("URE180429TM6", "UNIVERSIDAD ROBOTICA ESPAÑOLA", "86991", "601", "G01")
_runs = itertools.count()


def U(n: int) -> str:
    return f"AAAAAAAA-0000-4000-8000-{n:012d}"


def u(n: int) -> str:
    return U(n).lower()


def imp(db: Database, tmp_path: Path, *files: bytes, rfc: tuple[str, ...] = (EKU,), pue_is_paid: bool = False,
        unstamped: bool = False, batch: int = 500, lang: str = "en") -> ImportReport:
    """Write ``files`` into a new folder (in the given order) and import it."""
    folder = tmp_path / f"run{next(_runs)}"
    folder.mkdir()
    for i, data in enumerate(files):
        (folder / f"{i:03d}.xml").write_bytes(data)
    settings = Settings(company=CompanySettings(rfc=rfc), cfdi=CfdiSettings(pue_is_paid=pue_is_paid))
    warm_aging(db)  # the import must invalidate the cached aging of every customer it touches
    report = import_paths(db, [str(folder)], settings=settings, actor="tester", allow_unstamped=unstamped, lang=lang,
                          batch_files=batch)
    assert integrity(db) == []
    return report


def inv(n: int, total: str = "1000.00", *, customer: Customer = KIJ, when: datetime = datetime(2024, 3, 1, 10),
        metodo: str = "PPD", currency: str = "MXN", rate: D | None = None, terms: str | None = None,
        iva: D = D(0), **kw: Any) -> bytes:
    return invoice_xml(uuid=U(n), issued_at=when, customer=customer, lines=(Line("SERVICIO", D(1), D(total), iva),),
                       metodo_pago=metodo, currency=currency, exchange_rate=rate, payment_terms=terms, folio=str(n),
                       **kw)


def rep(n: int, *docs: PaidDocument, when: datetime = datetime(2024, 3, 20, 12), customer: Customer = KIJ,
        currency: str = "MXN", rate: D | None = None, amount: D | None = None) -> bytes:
    return payment_xml([Payment(when, list(docs), currency=currency, exchange_rate=rate, amount=amount)], uuid=U(n),
                       customer=customer, folio=str(n))


def paid(n: int, previous: str, amount: str, installment: int = 1, **kw: Any) -> PaidDocument:
    return PaidDocument(U(n), D(previous), D(amount), installment=installment, **kw)


def doc(db: Database, n: int) -> Any:
    with db.read() as s:
        return s.execute(sa.select(tables.document).where(tables.document.c.cfdi_uuid == u(n))).one()


def payments(db: Database) -> list[Any]:
    with db.read() as s:
        return s.execute(sa.select(tables.payment).order_by(tables.payment.c.id)).all()


def active_allocations(db: Database) -> list[tuple[Any, ...]]:
    a, d = tables.allocation, tables.document
    cn = d.alias("cn")
    with db.read() as s:
        return [tuple(r) for r in s.execute(
            sa.select(d.c.cfdi_uuid, a.c.payment_id.is_not(None), cn.c.cfdi_uuid, a.c.amount_cents,
                      a.c.source_amount_cents, a.c.applied_on)
            .join(d, d.c.id == a.c.document_id).outerjoin(cn, cn.c.id == a.c.credit_note_id)
            .where(a.c.reversed_on.is_(None)).order_by(a.c.id))]


def customers(db: Database) -> list[Any]:
    with db.read() as s:
        return s.execute(sa.select(tables.customer).order_by(tables.customer.c.id)).all()


def messages(report: ImportReport) -> list[str]:
    return [m for _p, m in report.warnings]


def written(db: Database) -> dict[str, int]:
    """Rows per table, but the operators and the aging cache's kept documents (``imp`` fills the
    aging cache before each import: a cache, not something the import wrote)."""
    return {k: v for k, v in counts(db).items() if k not in ("operator", "aging_documents")}


# ---------------------------------------------------------------------------------------- customers
def test_new_customer_from_the_receptor_and_an_existing_one_matched_by_rfc(db: Database, tmp_path: Path) -> None:
    with db.write() as s:
        mine = L.create_customer(s, actor="tester", name="Kij (typed by hand)", rfc="KIJ0906199R1", identifier="KIJ",
                                 payment_terms_days=45)
    imp(db, tmp_path, inv(1), inv(2, customer=URE))
    rows = customers(db)
    assert len(rows) == 2
    kij, ure = rows
    assert (kij.id, kij.name, kij.identifier) == (mine, "Kij (typed by hand)", "KIJ")  # name kept as typed
    # Blank tax data of an existing customer is filled from its invoices; set values are never overwritten.
    assert (kij.tax_regime, kij.postal_code, kij.uso_cfdi) == ("601", "59820", "G03")
    assert (ure.name, ure.rfc, ure.tax_regime, ure.postal_code, ure.uso_cfdi, ure.payment_terms_days) == (
        "UNIVERSIDAD ROBOTICA ESPAÑOLA", "URE180429TM6", "601", "86991", "G01", 30)
    assert ure.identifier.startswith("C") and "universidad robotica espanola" in ure.search_text
    assert doc(db, 1).customer_id == mine
    assert doc(db, 1).due_date == date(2024, 4, 15)  # the customer's own 45 days
    with db.read() as s:
        kinds = s.execute(sa.select(tables.activity.c.kind).where(tables.activity.c.customer_id == ure.id)
                          .order_by(tables.activity.c.id)).scalars().all()
    assert kinds == ["customer_created", "invoice_issued"]


def test_generic_rfc_customers_are_told_apart_by_name(db: Database, tmp_path: Path) -> None:
    a = Customer(GENERIC_RFC, "JUAN PÉREZ LÓPEZ", "42501", "616", "S01")
    same = Customer(GENERIC_RFC, "Juan  Perez Lopez", "42501", "616", "S01")
    b = Customer(GENERIC_RFC, "MARIA GARCIA", "42501", "616", "S01")
    imp(db, tmp_path, inv(1, customer=a, metodo="PUE"), inv(2, customer=same, metodo="PUE"),
        inv(3, customer=b, metodo="PUE"))
    rows = customers(db)
    assert sorted(r.name for r in rows) == ["JUAN PÉREZ LÓPEZ", "MARIA GARCIA"]
    assert doc(db, 1).customer_id == doc(db, 2).customer_id != doc(db, 3).customer_id


def test_wrong_rfc_check_character_is_imported_with_a_warning(db: Database, tmp_path: Path) -> None:
    bad = Customer("BASJ600902KL9", "JUANITO BANANAS", "06000", "612", "G03")
    report = imp(db, tmp_path, inv(1, customer=bad))
    assert report.imported["invoice"] == 1
    assert messages(report) == ["RFC BASJ600902KL9: the check character should be 0; recorded as the CFDI states it"]
    assert customers(db)[0].rfc_check_ok is False


def test_malformed_receptor_rfc_is_rejected_and_writes_nothing(db: Database, tmp_path: Path) -> None:
    report = imp(db, tmp_path, inv(1, customer=Customer("EKU9013173C9", "MES TRECE", "06000")))
    ((_path, reason),) = report.rejected
    assert reason.startswith("invalid Receptor RFC: RFC 'EKU9013173C9'") and "not a valid date" in reason
    assert set(written(db).values()) == {0}


def test_values_outside_the_sat_catalogs_are_left_blank(db: Database, tmp_path: Path) -> None:
    odd = Customer("URE180429TM6", "UNIVERSIDAD", "123", "999", "XX1")
    report = imp(db, tmp_path, inv(1, customer=odd))
    c = customers(db)[0]
    assert (c.tax_regime, c.postal_code, c.uso_cfdi) == ("", "", "")
    assert messages(report) == ["tax regime 999 is not in the SAT catalog: left blank",
                                "postal code 123 does not have five digits: left blank",
                                "uso CFDI XX1 does not describe the customer: left blank"]


# ---------------------------------------------------------------------------------------- invoices
@pytest.mark.parametrize(("terms", "days"), [("30 días", 30), ("NET 15", 15), ("CREDITO 60 DIAS", 60),
                                             ("Contado", 0), ("Condiciones de pago", 30), (None, 30)])
def test_due_date_from_condiciones_de_pago_or_the_customer_terms(sqlite_db: Database, tmp_path: Path,
                                                                 terms: str | None, days: int) -> None:
    imp(sqlite_db, tmp_path, inv(1, terms=terms))
    d = doc(sqlite_db, 1)
    assert (d.due_date - d.issue_date).days == days


def test_parse_terms() -> None:
    assert [parse_terms(x) for x in ("30 días", "30 DIAS", "net 45", "N30", "Crédito a 60 días fecha factura",
                                     "90 days", "contado", "PAGO EN UNA SOLA EXHIBICION", "CONDICIONES", "", None,
                                     "999 días")] == [30, 30, 45, 30, 60, 90, 0, 0, None, None, None, None]


def test_invoice_amounts_and_lines_come_from_the_cfdi(db: Database, tmp_path: Path) -> None:
    lines = (Line("TORNILLO", D(3), D("10.333333")), Line("CABLE", D("2.5"), D("40"), D("0.08")))
    data = invoice_xml(uuid=U(1), customer=KIJ, lines=lines, series="F", folio="0042", metodo_pago="PPD",
                       issued_at=datetime(2024, 5, 31, 23, 59, 59))
    report = imp(db, tmp_path, data)
    assert report.imported == {"invoice": 1, "credit_note": 0, "payment": 0} and report.warnings == []
    d = doc(db, 1)
    # 31.00 + 100.00 = 131.00; IVA 4.96 + 8.00 = 12.96; Total 143.96 (as the generator wrote it).
    assert (d.series, d.folio, d.subtotal_cents, d.tax_cents, d.total_cents, d.balance_cents) == (
        "F", "0042", 13100, 1296, 14396, 14396)
    assert (d.issue_date, d.metodo_pago, d.forma_pago, d.status, d.description) == (
        date(2024, 5, 31), "PPD", "99", "current", "TORNILLO")
    with db.read() as s:
        rows = s.execute(sa.select(tables.document_line).where(tables.document_line.c.document_id == d.id)
                         .order_by(tables.document_line.c.position)).all()
    assert [(r.description, r.quantity, r.unit_price, r.tax_rate, r.amount_cents, r.tax_cents) for r in rows] == [
        ("TORNILLO", "3", "10.333333", "0.160000", 3100, 496), ("CABLE", "2.5", "40", "0.080000", 10000, 800)]
    with db.read() as s:
        act = s.execute(sa.select(tables.activity).where(tables.activity.c.document_id == d.id)).one()
    assert (act.kind, act.amount_cents, act.balance_after_cents, act.credit_after_cents, act.on_date) == (
        "invoice_issued", 14396, 14396, 0, date(2024, 5, 31))
    assert act.detail == f"F-0042 CFDI {u(1)}"


def test_usd_invoice_keeps_its_currency_and_rate(db: Database, tmp_path: Path) -> None:
    imp(db, tmp_path, inv(1, "500.00", currency="USD", rate=D("17.4523")))
    d = doc(db, 1)
    assert (d.currency, d.exchange_rate, d.total_cents) == ("USD", "17.4523", 50000)
    assert balance(db, d.customer_id, "USD") == (50000, 0) and balance(db, d.customer_id, "MXN") == (0, 0)


def test_pue_invoices_stay_open_unless_pue_is_paid(db: Database, tmp_path: Path) -> None:
    imp(db, tmp_path, inv(1, metodo="PUE", forma_pago="04"))
    assert (doc(db, 1).balance_cents, doc(db, 1).status) == (100000, "current") and payments(db) == []
    imp(db, tmp_path, inv(2, metodo="PUE", forma_pago="04", when=datetime(2024, 4, 2, 9)), pue_is_paid=True)
    assert (doc(db, 2).balance_cents, doc(db, 2).status) == (0, "paid")
    (p,) = payments(db)
    assert (p.origin, p.amount_cents, p.paid_on, p.forma_pago, p.rep_status, p.status, p.reference) == (
        "cfdi_import", 100000, date(2024, 4, 2), "04", "not_required", "applied", "PUE A-2")
    assert doc(db, 1).balance_cents == 100000  # imported before the setting: untouched


def test_zero_total_and_missing_exchange_rate_are_rejected(db: Database, tmp_path: Path) -> None:
    zero = invoice_xml(uuid=U(1), customer=KIJ, lines=(Line("REGALO", D(1), D(0)),))
    no_rate = inv(2, currency="USD", rate=D(1)).replace(b' TipoCambio="1"', b"")
    ok = inv(3)
    report = imp(db, tmp_path, zero, no_rate, ok)
    assert [r for _p, r in report.rejected] == ["Total is 0.00: nothing to collect", "Moneda USD without TipoCambio"]
    assert report.imported["invoice"] == 1
    with db.read() as s:
        assert s.execute(sa.select(tables.document.c.cfdi_uuid)).scalars().all() == [u(3)]


def test_types_t_and_n_and_supplier_invoices_are_not_ours(db: Database, tmp_path: Path) -> None:
    traslado = inv(1).replace(b'TipoDeComprobante="I"', b'TipoDeComprobante="T"')
    supplier = invoice_xml(uuid=U(2), issuer=Issuer(rfc="URE180429TM6", name="PROVEEDOR"),
                           customer=Customer(EKU, "NOSOTROS", "42501"))
    report = imp(db, tmp_path, traslado, supplier)
    assert len(report.not_ours) == 2 and report.total_imported == 0
    assert messages(report) == ["CFDI of type T (traslado or nómina): not a receivable, ignored"]
    assert set(written(db).values()) == {0}


# ---------------------------------------------------------------------------------------- duplicates
def test_same_uuid_twice_is_one_document_whatever_the_case(db: Database, tmp_path: Path) -> None:
    first = inv(1)
    upper_copy = first.replace(U(1).encode(), U(1).upper().encode())
    lower_copy = first.replace(U(1).encode(), u(1).encode())
    report = imp(db, tmp_path, first, lower_copy)
    assert report.imported["invoice"] == 1 and len(report.duplicates) == 1
    again = imp(db, tmp_path, upper_copy, first)
    assert again.imported["invoice"] == 0 and len(again.duplicates) == 2
    assert report.warnings == again.warnings == []  # identical copies: plain duplicates
    assert doc(db, 1).total_cents == 100000 and len(payments(db)) == 0


def test_document_typed_by_hand_with_the_uuid_is_the_same_document(db: Database, tmp_path: Path) -> None:
    with db.write() as s:
        cid = L.create_customer(s, actor="tester", name="KIJ", rfc="KIJ0906199R1")
        L.issue_document(s, actor="tester", customer_id=cid, lines=[L.LineInput("X", "1", "1000")],
                         issue_date=date(2024, 3, 1), cfdi_uuid=U(1))
    report = imp(db, tmp_path, inv(1))
    assert report.imported["invoice"] == 0 and len(report.duplicates) == 1


def differs(n: int, *diffs: str) -> str:
    return f"UUID {u(n)} is already in the ledger, but this file differs from what is stored ({'; '.join(diffs)}): " \
           "not imported"


def test_same_uuid_with_other_content_is_a_duplicate_with_a_warning(db: Database, tmp_path: Path) -> None:
    """QA: a re-issued or tampered file with a UUID already imported (another total, customer, date,
    folio) was reported as a plain duplicate. It is still a duplicate and writes nothing, but the
    report warns, naming each difference between what is stored and the file."""
    first = imp(db, tmp_path, inv(1, "1160.00"))
    assert first.imported["invoice"] == 1
    before = written(db)
    same = imp(db, tmp_path, inv(1, "1160.00"))
    assert len(same.duplicates) == 1 and same.warnings == []  # an identical re-import stays a plain duplicate
    tampered = inv(1, "1200.00", customer=URE, when=datetime(2024, 3, 2, 9, 30), series="B")
    report = imp(db, tmp_path, tampered)
    assert report.imported == {"invoice": 0, "credit_note": 0, "payment": 0} and report.rejected == []
    assert report.duplicates == [path for path, _m in report.warnings]
    assert messages(report) == [differs(
        1, "total $1,160.00 MXN stored, $1,200.00 MXN in the file",
        "receptor RFC KIJ0906199R1 stored, URE180429TM6 in the file",
        "Fecha 2024-03-01T10:00:00 stored, 2024-03-02T09:30:00 in the file",
        "series/folio A-1 stored, B-1 in the file")]
    assert written(db) == before  # nothing written: no customer URE, no document, no cfdi_file row
    assert doc(db, 1).total_cents == 116000


@pytest.mark.parametrize(("changed", "diff"), [
    (dict(total="1000.01"), "total $1,000.00 MXN stored, $1,000.01 MXN in the file"),
    (dict(currency="USD", rate=D("17.5")), "total $1,000.00 MXN stored, $1,000.00 USD in the file"),
    (dict(customer=Customer("KIJ0906199R1", "OTRO NOMBRE", "01000", "612", "S01")), None),  # names / tax data
    (dict(when=datetime(2024, 3, 1, 10, 0, 1)), "Fecha 2024-03-01T10:00:00 stored, 2024-03-01T10:00:01 in the file"),
    (dict(metodo="PUE", terms="contado"), None),  # not compared: the ledger may have corrected them
])
def test_each_compared_field_of_a_duplicate(sqlite_db: Database, tmp_path: Path, changed: dict[str, Any],
                                            diff: str | None) -> None:
    imp(sqlite_db, tmp_path, inv(1))
    before = written(sqlite_db)
    report = imp(sqlite_db, tmp_path, inv(1, **{"total": "1000.00", **changed}))
    assert len(report.duplicates) == 1 and report.total_imported == 0
    assert messages(report) == ([differs(1, diff)] if diff else [])
    assert written(sqlite_db) == before


def test_rep_and_credit_note_with_a_known_uuid_are_compared_too(db: Database, tmp_path: Path) -> None:
    cn = credit_note_xml([U(1)], uuid=U(4), customer=KIJ, amount=D("100"), issued_at=datetime(2024, 3, 5))
    imp(db, tmp_path, inv(1), rep(9, paid(1, "1000", "400")), cn)
    before = written(db)
    assert imp(db, tmp_path, rep(9, paid(1, "1000", "400")), cn).warnings == []  # identical: no warning
    other_rep = rep(9, paid(1, "1000", "450"), when=datetime(2024, 3, 21, 12))
    other_cn = credit_note_xml([U(1)], uuid=U(4), customer=KIJ, amount=D("150"), issued_at=datetime(2024, 3, 5))
    report = imp(db, tmp_path, other_rep, other_cn)
    assert len(report.duplicates) == 2 and report.total_imported == 0
    assert messages(report) == [
        differs(9, "payment amount $400.00 MXN stored, $450.00 MXN in the file",
                "Fecha 2024-03-20T13:00:00 stored, 2024-03-21T13:00:00 in the file",  # issued an hour after
                "FechaPago 2024-03-20 stored, 2024-03-21 in the file"),
        differs(4, "total $116.00 MXN stored, $174.00 MXN in the file")]
    assert written(db) == before


def test_a_document_typed_by_hand_is_compared_on_what_it_keeps(db: Database, tmp_path: Path) -> None:
    with db.write() as s:
        cid = L.create_customer(s, actor="tester", name="KIJ", rfc="KIJ0906199R1")
        L.issue_document(s, actor="tester", customer_id=cid, lines=[L.LineInput("X", "1", "1000", "0")],
                         issue_date=date(2024, 3, 1), cfdi_uuid=U(1))
    before = written(db)
    assert imp(db, tmp_path, inv(1, when=datetime(2024, 3, 1, 18))).warnings == []  # a date, no time, is kept
    report = imp(db, tmp_path, inv(1, "999.00", when=datetime(2024, 3, 2, 9)))
    assert messages(report) == [differs(1, "total $1,000.00 MXN stored, $999.00 MXN in the file",
                                        "issue date 2024-03-01 stored, 2024-03-02 in the file")]
    assert written(db) == before


def test_two_files_of_one_run_with_one_uuid_are_compared(db: Database, tmp_path: Path) -> None:
    """The second file of a run with a UUID is compared with the first (read again from its zip)."""
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("f1.xml", inv(1))
        zf.writestr("f2.xml", inv(2))
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "copy.xml").write_bytes(inv(2))
    (tmp_path / "b" / "other.xml").write_bytes(inv(1, "1200.00"))
    report = import_paths(db, [str(archive), str(tmp_path / "b")], settings=Settings(company=CompanySettings(rfc=(EKU,))),
                          actor="tester", lang="es")
    assert report.imported["invoice"] == 2 and report.rejected == []
    assert report.duplicates == [str(tmp_path / "b" / "copy.xml"), str(tmp_path / "b" / "other.xml")]
    assert report.warnings == [(str(tmp_path / "b" / "other.xml"), (
        f"el UUID {u(1)} también viene en {archive}!f1.xml, pero este archivo no coincide con aquel (total "
        "$1,000.00 MXN en aquel, $1,200.00 MXN en este): no se importa"))]
    assert doc(db, 1).total_cents == 100000


def test_a_duplicate_stored_by_a_concurrent_run_is_still_compared(db: Database, tmp_path: Path, monkeypatch) -> None:
    """A concurrent import stored the same UUID after our look-up: whether our insert meets it at once
    or the batch is redone with immediate writes, the duplicate is still compared."""
    imp(db, tmp_path, inv(1))
    before = written(db)
    real = Importer._known

    def stale(self: Importer, raw: Any, entries: list[Any]) -> None:
        real(self, raw, entries)
        if not self._safe:  # as if another run stored them after our look-up
            self._known_files, self._known_docs = {}, set()

    monkeypatch.setattr(Importer, "_known", stale)
    modes: list[bool] = []
    transaction = Importer._transaction
    monkeypatch.setattr(Importer, "_transaction", lambda self, entries, *, safe: modes.append(safe) or
                        transaction(self, entries, safe=safe))
    # Alone in its run, the invoice is written at once: its insert meets the stored UUID.
    report = imp(db, tmp_path, inv(1, "1000.50"))
    assert len(report.duplicates) == 1 and report.rejected == []
    assert messages(report) == [differs(1, "total $1,000.00 MXN stored, $1,000.50 MXN in the file")]
    assert written(db) == before and modes == [False]
    # After another invoice of a known customer it is bulk-inserted: the batch is redone file by file.
    report = imp(db, tmp_path, inv(2, when=datetime(2024, 2, 1)), inv(1, "1000.50"))
    assert modes == [False, False, True]
    assert report.imported["invoice"] == 1 and len(report.duplicates) == 1 and report.rejected == []
    assert messages(report) == [differs(1, "total $1,000.00 MXN stored, $1,000.50 MXN in the file")]
    assert doc(db, 1).total_cents == 100000


def test_reimporting_a_folder_imports_nothing_twice(db: Database, tmp_path: Path) -> None:
    files = [inv(1), inv(2), rep(3, paid(1, "1000", "400")), credit_note_xml([U(2)], uuid=U(4), customer=KIJ,
                                                                             amount=D("100"))]
    first = imp(db, tmp_path, *files)
    assert first.imported == {"invoice": 2, "credit_note": 1, "payment": 1}
    before = written(db)
    second = imp(db, tmp_path, *files)
    assert second.imported == {"invoice": 0, "credit_note": 0, "payment": 0} and len(second.duplicates) == 4
    assert written(db) == before


# ---------------------------------------------------------------------------------------- credit notes
def test_credit_note_applies_to_its_invoices_in_xml_order(db: Database, tmp_path: Path) -> None:
    # 116.00 + IVA = 134.56 split over two invoices of 100.00 and 50.00: the first takes 100.00.
    cn = credit_note_xml([U(2), U(1)], uuid=U(3), customer=KIJ, amount=D("116.00"), issued_at=datetime(2024, 3, 5))
    report = imp(db, tmp_path, inv(1, "100.00"), inv(2, "50.00"), cn)
    assert report.imported["credit_note"] == 1 and report.warnings == []
    c = doc(db, 3)
    assert (c.kind, c.total_cents, c.subtotal_cents, c.tax_cents, c.balance_cents, c.status, c.forma_pago) == (
        "credit_note", 13456, 11600, 1856, 0, "paid", "15")
    assert (doc(db, 2).balance_cents, doc(db, 1).balance_cents) == (0, 10000 - 8456)
    assert balance(db, c.customer_id) == (15000 - 13456, 0)
    assert active_allocations(db) == [(u(2), False, u(3), 5000, 5000, date(2024, 3, 5)),
                                      (u(1), False, u(3), 8456, 8456, date(2024, 3, 5))]


def test_credit_note_bigger_than_what_is_open_leaves_credit(db: Database, tmp_path: Path) -> None:
    cn = credit_note_xml([U(1)], uuid=U(2), customer=KIJ, amount=D("200.00"))
    report = imp(db, tmp_path, inv(1, "100.00"), cn)
    assert messages(report) == ["the credit note is more than its invoices had open: $132.00 MXN stays as customer credit"]
    assert doc(db, 1).balance_cents == 0 and doc(db, 2).balance_cents == 13200
    assert balance(db, doc(db, 1).customer_id) == (0, 13200)


def test_credit_note_without_relation_or_in_another_currency_is_credit(db: Database, tmp_path: Path) -> None:
    loose = credit_note_xml([U(1)], uuid=U(2), customer=KIJ, amount=D("10"), tipo_relacion="04")
    usd = credit_note_xml([U(1)], uuid=U(3), customer=KIJ, amount=D("10"), currency="USD", exchange_rate=D("17"),
                          series="NCU")
    report = imp(db, tmp_path, inv(1, "100.00"), loose, usd)
    assert "credit note without a related CFDI (TipoRelacion 01): it stays as customer credit" in messages(report)
    assert any("is in MXN and the payment documents it in USD" in m for m in messages(report))
    assert doc(db, 1).balance_cents == 10000
    cid = doc(db, 1).customer_id
    assert balance(db, cid, "MXN") == (10000, 1160) and balance(db, cid, "USD") == (0, 1160)


# ---------------------------------------------------------------------------------------- REPs
def test_rep_pays_several_invoices_partly_and_records_its_uuid(db: Database, tmp_path: Path) -> None:
    r = rep(9, paid(1, "1000.00", "1000.00"), paid(2, "500.00", "200.00"))
    report = imp(db, tmp_path, inv(1, "1000.00"), inv(2, "500.00"), r)
    assert report.imported == {"invoice": 2, "credit_note": 0, "payment": 1} and report.warnings == []
    (p,) = payments(db)
    assert (p.amount_cents, p.unapplied_cents, p.status, p.origin, p.rep_status, p.rep_uuid) == (
        120000, 0, "applied", "cfdi_import", "issued", u(9))
    assert (p.paid_on, p.forma_pago, p.currency, p.reference) == (date(2024, 3, 20), "03", "MXN", "REP P-9")
    assert (doc(db, 1).status, doc(db, 2).balance_cents) == ("paid", 30000)
    assert active_allocations(db) == [(u(1), True, None, 100000, 100000, date(2024, 3, 20)),
                                      (u(2), True, None, 20000, 20000, date(2024, 3, 20))]
    with db.read() as s:
        act = s.execute(sa.select(tables.activity).where(tables.activity.c.payment_id == p.id)).one()
    assert (act.kind, act.amount_cents, act.balance_after_cents, act.credit_after_cents) == (
        "payment_recorded", 120000, 30000, 0)
    assert act.detail == f"REP {u(9)}: A-1 1000.00; A-2 200.00"


def test_usd_invoice_paid_in_pesos_takes_imppagado_over_equivalencia(db: Database, tmp_path: Path) -> None:
    # USD 100.00 paid with MXN: EquivalenciaDR 0.0571428571 (USD per MXN) → 100 / 0.0571428571 = 1750.00 MXN.
    eq = D("0.0571428571")
    r = rep(9, paid(1, "100.00", "100.00", currency="USD", equivalence=eq))
    report = imp(db, tmp_path, inv(1, "100.00", currency="USD", rate=D("17.5")), r)
    assert report.warnings == []
    (p,) = payments(db)
    assert (p.currency, p.amount_cents, p.unapplied_cents, p.rep_status) == ("MXN", 175000, 0, "issued")
    assert active_allocations(db) == [(u(1), True, None, 10000, 175000, date(2024, 3, 20))]
    cid = doc(db, 1).customer_id
    assert balance(db, cid, "USD") == (0, 0) and balance(db, cid, "MXN") == (0, 0)


def test_usd_payment_of_usd_invoice_and_rounding_half_up(db: Database, tmp_path: Path) -> None:
    # 33.335 MXN of a peso invoice paid in dollars at 17.5: 1.904857... → 1.90 USD.
    r = rep(9, paid(1, "1000.00", "33.34", equivalence=D("17.5")), currency="USD", rate=D("17.5"))
    imp(db, tmp_path, inv(1, "1000.00"), r)
    (a,) = active_allocations(db)
    assert (a[3], a[4]) == (3334, 191)  # 33.34 / 17.5 = 1.90514 → 1.91
    (p,) = payments(db)
    assert (p.currency, p.amount_cents, p.unapplied_cents) == ("USD", 191, 0)


def test_overpayment_applies_what_fits_and_keeps_the_rest_as_credit(db: Database, tmp_path: Path) -> None:
    r = rep(9, paid(1, "1500.00", "1500.00"))
    report = imp(db, tmp_path, inv(1, "1000.00"), r)
    assert "this payment: ImpPagado $1,500.00 MXN is more than A-1 had open; $1,000.00 MXN applied, the rest stays " \
           "as customer credit" in messages(report)
    assert "A-1, installment 1: ImpSaldoAnt $1,500.00 MXN but our balance was $1,000.00 MXN" in messages(report)
    (p,) = payments(db)
    assert (p.amount_cents, p.unapplied_cents, p.status) == (150000, 50000, "partial")
    assert balance(db, doc(db, 1).customer_id) == (0, 50000)


def test_rep_checks_saldo_anterior_and_parcialidades(db: Database, tmp_path: Path) -> None:
    r1 = rep(11, paid(1, "1000.00", "300.00", 1), when=datetime(2024, 3, 10))
    r3 = rep(13, paid(1, "700.00", "200.00", 3), when=datetime(2024, 3, 30))  # installment 2 missing
    r3b = rep(14, paid(1, "500.00", "100.00", 3), when=datetime(2024, 4, 5))  # 3 again
    wrong = rep(15, paid(2, "999.00", "100.00", 1), when=datetime(2024, 3, 10))  # A-2 had 1000.00 open
    report = imp(db, tmp_path, inv(1), inv(2), r1, r3, r3b, wrong)
    msgs = messages(report)
    assert msgs.count("A-1: NumParcialidad 3 without installment 2") == 2
    assert msgs.count("A-1: NumParcialidad 3 appears in more than one REP") == 2
    assert "A-2, installment 1: ImpSaldoAnt $999.00 MXN but our balance was $1,000.00 MXN" in msgs
    assert doc(db, 1).balance_cents == 40000  # still imported as the REPs state
    # Installment 2 arrives later: the gap is gone from that run's report.
    r2 = rep(12, paid(1, "700.00", "0.01", 2), when=datetime(2024, 3, 20))
    later = imp(db, tmp_path, r2)
    assert not any("NumParcialidad" in m for m in messages(later))


def test_rep_with_two_pagos_makes_two_payments(db: Database, tmp_path: Path) -> None:
    data = payment_xml([Payment(datetime(2024, 3, 10), [paid(1, "1000", "100")]),
                        Payment(datetime(2024, 3, 11), [paid(1, "900", "250")], forma_pago="04")],
                       uuid=U(9), customer=KIJ)
    report = imp(db, tmp_path, inv(1), data)
    assert report.imported["payment"] == 1
    assert [(p.amount_cents, p.paid_on, p.forma_pago, p.rep_uuid) for p in payments(db)] == [
        (10000, date(2024, 3, 10), "03", u(9)), (25000, date(2024, 3, 11), "04", u(9))]
    assert doc(db, 1).balance_cents == 65000


def test_rep_for_another_customers_invoice_stays_as_credit(db: Database, tmp_path: Path) -> None:
    r = rep(9, paid(1, "1000", "1000"), customer=URE)
    report = imp(db, tmp_path, inv(1), r)
    assert any(m.startswith("money of this payment is not applied: A-1 belongs to another customer") for m in
               messages(report))
    assert doc(db, 1).balance_cents == 100000
    ure = [c for c in customers(db) if c.rfc == "URE180429TM6"][0]
    assert balance(db, ure.id) == (0, 100000)


def test_equivalencia_missing_between_currencies_rejects_the_file(db: Database, tmp_path: Path) -> None:
    r = rep(9, paid(1, "100.00", "100.00", currency="USD", equivalence=D("0.05")))
    r = r.replace(b' EquivalenciaDR="0.05"', b"")
    report = imp(db, tmp_path, inv(1, "100.00", currency="USD", rate=D("20")), r)
    assert [x for _p, x in report.rejected] == [
        "DoctoRelacionado 1: MonedaDR USD differs from MonedaP MXN but there is no EquivalenciaDR"]
    assert payments(db) == [] and doc(db, 1).balance_cents == 10000


# ---------------------------------------------------------------------------------------- waiting
def test_payment_before_its_invoice_waits_as_credit_then_applies(db: Database, tmp_path: Path) -> None:
    r = rep(9, paid(1, "1000.00", "400.00"))
    report = imp(db, tmp_path, r)
    assert report.waiting == [str(next(tmp_path.glob("run*/000.xml")))] and report.imported["payment"] == 1
    (p,) = payments(db)
    cid = p.customer_id
    assert (p.unapplied_cents, p.status, p.rep_status) == (40000, "unapplied", "issued")
    assert balance(db, cid) == (0, 40000)
    with db.read() as s:
        (claim,) = s.execute(sa.select(tables.cfdi_claim)).all()
    assert (claim.status, claim.target_key, claim.amount_cents, claim.installment, claim.previous_cents) == (
        "pending", u(1), 40000, 1, 100000)
    report = imp(db, tmp_path, inv(1))
    assert report.waiting == [] and report.resolved == 1
    assert doc(db, 1).balance_cents == 60000 and balance(db, cid) == (60000, 0)
    (p,) = payments(db)
    assert (p.unapplied_cents, p.status) == (0, "applied")
    with db.read() as s:
        assert s.execute(sa.select(tables.cfdi_claim.c.status, tables.cfdi_claim.c.applied_cents)).all() == [
            ("applied", 40000)]
        kinds = s.execute(sa.select(tables.activity.c.kind).where(tables.activity.c.payment_id == p.id)
                          .order_by(tables.activity.c.id)).scalars().all()
    assert kinds == ["payment_recorded", "credit_applied"]


def test_waiting_payment_applies_to_an_invoice_typed_by_hand_with_its_uuid(db: Database, tmp_path: Path) -> None:
    imp(db, tmp_path, rep(9, paid(1, "1000.00", "400.00")))
    cid = payments(db)[0].customer_id
    with db.write() as s:
        L.issue_document(s, actor="tester", customer_id=cid, lines=[L.LineInput("X", "1", "1000", "0")],
                         issue_date=date(2024, 3, 1), cfdi_uuid=U(1))
    report = imp(db, tmp_path)  # any run first applies waiting money whose invoice is now there
    assert report.resolved == 1
    assert doc(db, 1).balance_cents == 60000


# ---------------------------------------------------------------------------------------- substitution
def test_substitution_cancels_the_old_invoice_and_moves_its_payments(db: Database, tmp_path: Path) -> None:
    old = inv(1, "1000.00")
    paid_old = rep(8, paid(1, "1000.00", "400.00"), when=datetime(2024, 3, 5))
    new = substitution_xml(U(1), uuid=U(2), customer=KIJ, lines=(Line("SERVICIO", D(1), D("1000.00"), D(0)),),
                           issued_at=datetime(2024, 3, 10), folio="2")
    report = imp(db, tmp_path, old, paid_old, new)
    assert f"replaces A-1 ({u(1)}): it is cancelled and its payments move to this CFDI" in messages(report)
    a = doc(db, 1)
    assert (a.status, a.balance_cents, a.cancelled_on) == ("cancelled", 0, date(2024, 3, 10))
    assert a.cancel_reason == f"replaced by CFDI {u(2)}"
    assert doc(db, 2).balance_cents == 60000
    assert active_allocations(db) == [(u(2), True, None, 40000, 40000, date(2024, 3, 10))]
    assert balance(db, a.customer_id) == (60000, 0)


def test_replaced_invoice_arriving_late_is_imported_cancelled(db: Database, tmp_path: Path) -> None:
    new = substitution_xml(U(1), uuid=U(2), customer=KIJ, lines=(Line("SERVICIO", D(1), D("1000.00"), D(0)),),
                           issued_at=datetime(2024, 3, 10), folio="2")
    imp(db, tmp_path, new)
    report = imp(db, tmp_path, inv(1), rep(8, paid(1, "1000.00", "400.00")))
    assert f"already replaced by CFDI {u(2)}: imported as cancelled" in messages(report)
    a = doc(db, 1)
    assert (a.status, a.balance_cents, a.cancelled_on) == ("cancelled", 0, date(2024, 3, 10))
    # The REP names the replaced invoice: its money goes to the replacement.
    assert doc(db, 2).balance_cents == 60000
    assert balance(db, a.customer_id) == (60000, 0)


def test_substitution_moves_a_payment_recorded_by_hand(db: Database, tmp_path: Path) -> None:
    imp(db, tmp_path, inv(1, "1000.00"))
    a = doc(db, 1)
    with db.write() as s:
        pid = L.record_payment(s, actor="tester", customer_id=a.customer_id, amount="250", paid_on=date(2024, 3, 5),
                               allocations=[(a.id, "250")])
    new = substitution_xml(U(1), uuid=U(2), customer=KIJ, lines=(Line("SERVICIO", D(1), D("1000.00"), D(0)),),
                           issued_at=datetime(2024, 3, 10), folio="2")
    imp(db, tmp_path, new)
    assert doc(db, 1).status == "cancelled" and doc(db, 2).balance_cents == 75000
    with db.read() as s:
        rows = s.execute(sa.select(tables.allocation).where(tables.allocation.c.payment_id == pid)
                         .order_by(tables.allocation.c.id)).all()
    assert [(r.document_id, r.amount_cents, r.reversed_on) for r in rows] == [
        (a.id, 25000, date(2024, 3, 10)), (doc(db, 2).id, 25000, None)]


def test_pue_substitution_with_pue_is_paid_keeps_one_automatic_payment(db: Database, tmp_path: Path) -> None:
    old = inv(1, metodo="PUE", forma_pago="03")
    new = substitution_xml(U(1), uuid=U(2), customer=KIJ, lines=(Line("SERVICIO", D(1), D("1000.00"), D(0)),),
                           issued_at=datetime(2024, 3, 10), folio="2", metodo_pago="PUE", forma_pago="03")
    imp(db, tmp_path, old, new, pue_is_paid=True)
    active = [p for p in payments(db) if p.status != "cancelled"]
    assert [(p.amount_cents, p.paid_on, p.reference) for p in active] == [(100000, date(2024, 3, 10), "PUE A-2")]
    assert doc(db, 2).status == "paid" and doc(db, 1).status == "cancelled"
    assert balance(db, doc(db, 1).customer_id) == (0, 0)


# ---------------------------------------------------------------------------------------- hand-made payments
def test_rep_documents_a_payment_recorded_by_hand_instead_of_a_second_one(db: Database, tmp_path: Path) -> None:
    imp(db, tmp_path, inv(1, "1000.00"), inv(2, "500.00"))
    d1, d2 = doc(db, 1), doc(db, 2)
    with db.write() as s:
        pid = L.record_payment(s, actor="tester", customer_id=d1.customer_id, amount="1200", paid_on=date(2024, 3, 20),
                               allocations=[(d1.id, "1000"), (d2.id, "200")])
    assert payments(db)[0].rep_status == "pending"
    report = imp(db, tmp_path, rep(9, paid(1, "1000.00", "1000.00"), paid(2, "500.00", "200.00")))
    assert f"documents payment #{pid} recorded by hand: its REP is recorded, no payment created" in messages(report)
    (p,) = payments(db)
    assert (p.id, p.rep_status, p.rep_uuid, p.origin) == (pid, "issued", u(9), "manual")
    assert doc(db, 2).balance_cents == 30000


def test_hand_made_payment_of_another_amount_or_date_is_not_matched(db: Database, tmp_path: Path) -> None:
    imp(db, tmp_path, inv(1, "1000.00"))
    d1 = doc(db, 1)
    with db.write() as s:
        L.record_payment(s, actor="tester", customer_id=d1.customer_id, amount="300", paid_on=date(2024, 3, 20),
                         allocations=[(d1.id, "300")])
    imp(db, tmp_path, rep(9, paid(1, "700.00", "400.00")))  # 400, not 300: another payment
    assert [(p.origin, p.amount_cents, p.rep_uuid) for p in payments(db)] == [("manual", 30000, None),
                                                                          ("cfdi_import", 40000, u(9))]
    assert doc(db, 1).balance_cents == 30000


def test_rep_uuid_recorded_by_hand_makes_the_import_create_nothing(db: Database, tmp_path: Path) -> None:
    imp(db, tmp_path, inv(1, "1000.00"))
    d1 = doc(db, 1)
    with db.write() as s:
        pid = L.record_payment(s, actor="tester", customer_id=d1.customer_id, amount="1000", paid_on=date(2024, 3, 21),
                               allocations=[(d1.id, "1000")])
        L.set_rep(s, actor="tester", payment_id=pid, rep_uuid=U(9))
    report = imp(db, tmp_path, rep(9, paid(1, "1000.00", "1000.00")))
    assert report.imported["payment"] == 1
    assert messages(report) == [f"this REP is already recorded on payment #{pid}: no payment created"]
    assert len(payments(db)) == 1


# ---------------------------------------------------------------------------------------- safety
def test_a_bad_file_in_a_batch_is_rejected_alone(db: Database, tmp_path: Path) -> None:
    good = [inv(n) for n in range(1, 6)]
    bad = inv(6, currency="USD", rate=D(1)).replace(b' TipoCambio="1"', b"")
    broken = inv(7)[:300]
    report = imp(db, tmp_path, good[0], bad, good[1], broken, *good[2:], batch=3)
    assert report.imported["invoice"] == 5 and len(report.rejected) == 2
    with db.read() as s:
        assert sorted(s.execute(sa.select(tables.document.c.cfdi_uuid)).scalars().all()) == [u(n) for n in range(1, 6)]
        assert s.execute(sa.select(sa.func.count()).select_from(tables.cfdi_file)).scalar_one() == 5


def test_fecha_9999_is_rejected_alone_instead_of_stopping_the_import(db: Database, tmp_path: Path) -> None:
    """Fecha 9999-12-31 made the due date (issue + terms) overflow: OverflowError, the whole batch lost."""
    late = inv(2, terms="30 días").replace(b'Fecha="2024-03-01T10:00:00"', b'Fecha="9999-12-31T23:59:59"')
    after_2100 = inv(3).replace(b'Fecha="2024-03-01T10:00:00"', b'Fecha="2100-12-20T10:00:00"')  # due 2101
    credit = credit_note_xml([U(1)], uuid=U(4), customer=KIJ, amount=D("10.00"), issued_at=datetime(2024, 3, 2, 10)
                             ).replace(b'Fecha="2024-03-02T10:00:00"', b'Fecha="9999-12-31T23:59:59"')
    report = imp(db, tmp_path, inv(1), late, after_2100, credit, inv(5))
    assert sorted(r for _p, r in report.rejected) == [
        "Fecha 2100-12-20T10:00:00 is out of range: dates (and due dates) go up to 2100-12-31",
        "Fecha 9999-12-31T23:59:59 is out of range: dates (and due dates) go up to 2100-12-31",
        "Fecha 9999-12-31T23:59:59 is out of range: dates (and due dates) go up to 2100-12-31",
    ]
    assert report.imported == {"invoice": 2, "credit_note": 0, "payment": 0}
    with db.read() as s:
        assert sorted(s.execute(sa.select(tables.document.c.cfdi_uuid)).scalars().all()) == [u(1), u(5)]


def test_rep_dated_in_the_future_is_rejected(db: Database, tmp_path: Path) -> None:
    """``arterm pay`` refuses a future payment date; a REP with a future FechaPago was accepted, and its
    9999-12-31 made ``show`` and ``rep pending`` crash computing the REP deadline."""
    tomorrow = datetime.combine(date.today(), datetime.min.time()).replace(hour=12) + timedelta(days=1)
    far = payment_xml([Payment(datetime(9999, 12, 31), [paid(1, "1000", "100")])], uuid=U(9), customer=KIJ, folio="9",
                      issued_at=datetime(2024, 3, 20, 13))
    soon = payment_xml([Payment(tomorrow, [paid(1, "1000", "100")])], uuid=U(10), customer=KIJ, folio="10",
                       issued_at=datetime(2024, 3, 20, 13))
    two = payment_xml([Payment(datetime(2024, 3, 20, 12), [paid(1, "1000", "100")]),
                       Payment(datetime(2099, 1, 1), [paid(1, "900", "100")])],
                      uuid=U(11), customer=KIJ, folio="11", issued_at=datetime(2024, 3, 20, 13))
    report = imp(db, tmp_path, inv(1), far, soon, two, rep(12, paid(1, "1000", "250")))
    assert sorted(r for _p, r in report.rejected) == [
        f"FechaPago {tomorrow.isoformat()} is in the future",
        "FechaPago 9999-12-31T00:00:00 is in the future",
        "Pago 2: FechaPago 2099-01-01T00:00:00 is in the future",
    ]
    assert report.imported["payment"] == 1
    assert [(p.rep_uuid, p.amount_cents) for p in payments(db)] == [(u(12), 25000)]
    assert doc(db, 1).balance_cents == 75000
    es = imp(db, tmp_path, rep(13, paid(1, "750", "1"), when=datetime(9999, 12, 31)), lang="es")
    assert [r for _p, r in es.rejected] == ["FechaPago 9999-12-31T00:00:00 está en el futuro"]


def test_a_file_failing_halfway_leaves_nothing_behind(db: Database, tmp_path: Path, monkeypatch) -> None:
    """A database error after some of a file's writes rolls back that file's savepoint only."""
    from arterm.cfdi import _ops

    original = _ops.Ops.allocate

    def failing(self, doc, **kw):  # type: ignore[no-untyped-def]
        if doc.uuid == u(2):
            raise self.raw.integrity_error("simulated failure")  # type: ignore[misc]
        return original(self, doc, **kw)

    imp(db, tmp_path, inv(1), inv(2))
    before = written(db)
    monkeypatch.setattr(_ops.Ops, "allocate", failing)
    report = imp(db, tmp_path, rep(9, paid(1, "1000", "100"), paid(2, "1000", "100")), rep(10, paid(1, "900", "50")))
    assert [x for _p, x in report.rejected] == ["database error: simulated failure"]
    assert report.imported["payment"] == 1
    after = written(db)
    assert after["payment"] == before["payment"] + 1 and after["allocation"] == before["allocation"] + 1
    assert doc(db, 1).balance_cents == 95000 and doc(db, 2).balance_cents == 100000


def test_concurrent_import_of_the_same_files_falls_back_to_file_by_file(db: Database, tmp_path: Path,
                                                                        monkeypatch) -> None:
    """If another run stored the same CFDI between our check and our end-of-batch insert, the batch
    is redone with immediate writes and the late file is a duplicate."""
    imp(db, tmp_path, inv(1))
    monkeypatch.setattr(Importer, "_known", lambda self, raw, entries: setattr(self, "_known_files", {}) or
                        setattr(self, "_known_docs", set()) or setattr(self, "_known_reps", set()))
    report = imp(db, tmp_path, inv(2), inv(1), rep(9, paid(2, "1000", "10")), rep(8, paid(7, "50", "50")))
    assert report.imported == {"invoice": 1, "credit_note": 0, "payment": 2} and len(report.duplicates) == 1
    assert report.warnings == [] and len(report.waiting) == 1  # nothing counted twice by the redo
    assert doc(db, 2).balance_cents == 99000
    assert len(payments(db)) == 2


def test_report_messages_in_spanish(sqlite_db: Database, tmp_path: Path) -> None:
    report = imp(sqlite_db, tmp_path, inv(1, "1000"), rep(9, paid(1, "1500", "1500")), lang="es")
    assert ("este pago: ImpPagado $1,500.00 MXN es más de lo pendiente en A-1; se aplican $1,000.00 MXN y el resto "
            "queda como saldo a favor") in messages(report)


def test_pue_is_paid_also_for_invoices_without_metodo_pago(sqlite_db: Database, tmp_path: Path) -> None:
    first = inv(1, metodo="PUE", forma_pago="03")  # creates the customer: later ones take the bulk path
    second = inv(2, metodo="PUE", forma_pago="03").replace(b' MetodoPago="PUE"', b"")
    report = imp(sqlite_db, tmp_path, first, second, pue_is_paid=True)
    assert report.imported["invoice"] == 2 and report.rejected == []
    assert "no MetodoPago: taken as PUE" in messages(report)
    assert doc(sqlite_db, 2).status == "paid" and len(payments(sqlite_db)) == 2


def test_concurrent_import_of_the_same_rep_is_a_duplicate_not_a_database_error(db: Database, tmp_path: Path,
                                                                                monkeypatch) -> None:
    """Two imports of one folder at the same time (PostgreSQL: 400 of 1,200 files reported as
    'rejected: database error: duplicate key value violates unique constraint
    "uq_cfdi_claim_source_key_position"', exit 1): the REP another run stored between our check
    and our insert is a duplicate, like an invoice in the same race."""
    imp(db, tmp_path, inv(1), rep(9, paid(1, "1000", "10")))
    before = written(db)
    monkeypatch.setattr(Importer, "_known", lambda self, raw, entries: setattr(self, "_known_files", {}) or
                        setattr(self, "_known_docs", set()) or setattr(self, "_known_reps", set()))
    report = imp(db, tmp_path, rep(9, paid(1, "1000", "10")))
    assert report.rejected == []
    assert len(report.duplicates) == 1 and report.imported["payment"] == 0
    assert written(db) == before
    assert doc(db, 1).balance_cents == 99000
