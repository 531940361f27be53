"""What every sample in tests/data/cfdi becomes in the ledger (or why it is rejected / not ours).

Amounts are the XML's, read by eye (see tests/unit/test_cfdi_parser.py for what each file says).
``company.rfc`` is set per test to make the sample's Emisor "us" when that is what is tested. Most
samples are unstamped test files (no TimbreFiscalDigital): by default they are rejected as not
fiscal documents; ``allow_unstamped`` imports them so their amounts can be checked.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from arterm.cfdi.generate import Customer, Issuer, Line, invoice_xml
from arterm.cfdi.importer import ImportReport, import_paths
from arterm.config import CfdiSettings, CompanySettings, Settings
from arterm.db import tables
from arterm.db.engine import Database
from ledger_helpers import balance, counts, integrity

DATA = Path(__file__).resolve().parents[1] / "data" / "cfdi"
SAMPLES = {p.name for p in DATA.glob("*.xml")}
EKU = "EKU9003173C9"
UNSTAMPED = "not stamped: no TimbreFiscalDigital (UUID), not a fiscal document"


def imp(db: Database, *paths: str | Path, rfc: tuple[str, ...] = (EKU,), unstamped: bool = False,
        pue_is_paid: bool = False) -> ImportReport:
    settings = Settings(company=CompanySettings(rfc=rfc), cfdi=CfdiSettings(pue_is_paid=pue_is_paid))
    report = import_paths(db, [str(p) for p in paths], settings=settings, actor="tester", allow_unstamped=unstamped,
                          lang="en")
    assert integrity(db) == []
    return report


def sample(name: str) -> Path:
    assert name in SAMPLES, name
    return DATA / name


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def doc(db: Database, uuid: str | None = None, **where: Any) -> Any:
    t = tables.document
    cond = [t.c.cfdi_uuid == uuid] if uuid else [getattr(t.c, k) == v for k, v in where.items()]
    with db.read() as s:
        return s.execute(sa.select(t).where(*cond)).one()


def payments(db: Database) -> list[Any]:
    with db.read() as s:
        return s.execute(sa.select(tables.payment).order_by(tables.payment.c.paid_on, tables.payment.c.id)).all()


def allocations(db: Database) -> list[Any]:
    a, d = tables.allocation, tables.document
    with db.read() as s:
        return s.execute(sa.select(a.c.payment_id, a.c.credit_note_id, d.c.cfdi_uuid, a.c.amount_cents,
                                   a.c.source_amount_cents, a.c.applied_on)
                         .join(d, d.c.id == a.c.document_id).where(a.c.reversed_on.is_(None)).order_by(a.c.id)).all()


def customer(db: Database, rfc: str) -> Any:
    with db.read() as s:
        return s.execute(sa.select(tables.customer).where(tables.customer.c.rfc == rfc)).one()


def claims(db: Database) -> list[Any]:
    c = tables.cfdi_claim
    with db.read() as s:
        return s.execute(sa.select(c.c.target_key, c.c.status, c.c.amount_cents, c.c.applied_cents)
                         .order_by(c.c.id)).all()


def nothing_written(db: Database) -> bool:
    return all(n == 0 for name, n in counts(db).items() if name not in ("operator", "alembic_version"))


def messages(report: ImportReport) -> list[str]:
    return [m for _p, m in report.warnings]


def invoice_for(uuid: str, rfc: str, name: str, total: str, *, when: datetime = datetime(2023, 5, 1),
                currency: str = "MXN", rate: D | None = None, metodo: str = "PPD", folio: str = "1") -> bytes:
    """A stamped invoice from EKU for exactly ``total`` (IVA 0), to receive a sample's payment."""
    return invoice_xml(uuid=uuid, issued_at=when, customer=Customer(rfc, name, "06000", "601", "G03"),
                       lines=(Line("SERVICIO", D(1), D(total), iva_rate=D(0)),), currency=currency,
                       exchange_rate=rate, metodo_pago=metodo, folio=folio)


# ---------------------------------------------------------------------------------------- invoices
def test_cfdi40_valid_is_an_open_pue_invoice_with_discount(db: Database) -> None:
    report = imp(db, sample("cfdi40-valid.xml"))
    assert report.imported == {"invoice": 1, "credit_note": 0, "payment": 0} and report.ok
    d = doc(db, "6f35d3b5-3651-5370-bc2c-14cdbe384cd7")
    # SubTotal 3824.15, Descuento 956.04, IVA 458.90, Total 3327.01; no serie/folio
    assert (d.kind, d.subtotal_cents, d.discount_cents, d.tax_cents, d.total_cents) == ("invoice", 382415, 95604, 45890,
                                                                                       332701)
    assert (d.balance_cents, d.status, d.metodo_pago, d.forma_pago, d.currency) == (332701, "current", "PUE", "01", "MXN")
    assert (d.issue_date, d.due_date) == (date(2025, 2, 19), date(2025, 3, 21))  # no terms: the customer's 30 days
    c = customer(db, "MCI7306249Y1")
    assert (c.name, c.tax_regime, c.postal_code, c.uso_cfdi) == ("MUNICIPIO DE CUAUTITLAN IZCALLI", "603", "54700", "G03")
    # Its check character should be 6: imported anyway, flagged, with a warning.
    assert c.rfc_check_ok is False
    assert messages(report) == ["RFC MCI7306249Y1: the check character should be 6; recorded as the CFDI states it"]
    with db.read() as s:
        lines = s.execute(sa.select(tables.document_line).where(tables.document_line.c.document_id == d.id)).all()
    assert [(x.description, x.quantity, x.unit_price, x.tax_rate, x.amount_cents, x.tax_cents) for x in lines] == [
        ("Portable tetris gamepad pro++ \u23fb", "4", "956.04", "0.160000", 382415, 45890)]
    assert balance(db, c.id) == (332701, 0)


def test_cfdi33_valid_nets_withholdings_and_ignores_relation_01_on_an_invoice(db: Database) -> None:
    report = imp(db, sample("cfdi33-valid.xml"))
    assert report.imported["invoice"] == 1
    d = doc(db, "9fb6ed1a-5f37-4fef-980a-7f8c83b51894")
    # SubTotal 2269400, traslados 363104, retenciones 249634, Total 2382870: tax is the net 113470.
    assert (d.series, d.folio, d.subtotal_cents, d.tax_cents, d.total_cents) == ("A", "167ABC", 226940000, 11347000,
                                                                                238287000)
    assert (d.metodo_pago, d.forma_pago, d.issue_date, d.due_date) == ("PUE", "01", date(2021, 1, 13), date(2021, 2, 12))
    c = customer(db, "COSC8001137NA")
    assert (c.name, c.uso_cfdi, c.tax_regime, c.postal_code) == ("CARLOS CORTES SOTO", "G01", "", "")  # 3.3: no domicilio
    assert messages(report) == ["CfdiRelacionados of type 01 on an invoice: its balance does not change"]


def test_he951128469_invoice_is_ours_only_when_configured(db: Database, tmp_path: Path) -> None:
    path = sample("h&e951128469_ingreso_iva16_stamped.xml")
    report = imp(db, path)  # default company EKU9003173C9: somebody else's invoice
    assert report.not_ours == [str(path)] and report.total_imported == 0 and nothing_written(db)
    report = imp(db, path, rfc=("H&E951128469",))
    assert report.imported["invoice"] == 1 and report.warnings == []
    d = doc(db, "6d7434a6-e3f2-47ad-9e4c-08849946afa0")
    assert (d.series, d.folio, d.total_cents, d.subtotal_cents, d.tax_cents, d.metodo_pago, d.forma_pago) == (
        "A", "123456", 1785275, 1539030, 246245, "PPD", "99")
    assert (d.issue_date, d.due_date) == (date(2020, 1, 1), date(2020, 1, 31))
    c = customer(db, "KIJ0906199R1")
    assert (c.name, c.tax_regime, c.postal_code, c.uso_cfdi, c.rfc_check_ok) == ("KIJ, S.A DE C.V.", "601", "59820",
                                                                                 "G03", True)


def test_xiqb891116qe4_invoice_and_the_he_invoice_share_a_uuid(db: Database) -> None:
    xiqb, he = sample("xiqb891116qe4_ingreso_iva16_stamped.xml"), sample("h&e951128469_ingreso_iva16_stamped.xml")
    report = imp(db, xiqb, rfc=("XIQB891116QE4",))
    d = doc(db, "6d7434a6-e3f2-47ad-9e4c-08849946afa0")
    # 15390.30 + IVA 2462.45 − retenciones 3180.67 = 14672.08; tax stored net (−718.22).
    assert (d.total_cents, d.subtotal_cents, d.tax_cents, d.balance_cents) == (1467208, 1539030, -71822, 1467208)
    assert report.imported["invoice"] == 1
    # Both issuers ours: the same UUID is one document, the second file is a duplicate.
    report = imp(db, he, xiqb, rfc=("XIQB891116QE4", "H&E951128469"))
    assert report.duplicates == [str(he), str(xiqb)] and report.total_imported == 0
    assert doc(db, "6d7434a6-e3f2-47ad-9e4c-08849946afa0").total_cents == 1467208


def test_invoice_b2b_bare_unstamped_ppd(db: Database) -> None:
    path = sample("invoice-b2b-bare.xml")
    report = imp(db, path)
    assert report.rejected == [(str(path), UNSTAMPED)] and nothing_written(db)
    report = imp(db, path, unstamped=True)
    assert report.imported["invoice"] == 1
    assert messages(report) == ["unstamped CFDI imported on request (--allow-unstamped)"]
    d = doc(db, series="LMC", folio="0010")
    assert (d.cfdi_uuid, d.total_cents, d.subtotal_cents, d.tax_cents, d.metodo_pago, d.forma_pago) == (
        None, 23200, 20000, 3200, "PPD", "99")
    assert (d.issue_date, d.due_date) == (date(2023, 5, 29), date(2023, 6, 28))
    c = customer(db, "URE180429TM6")
    assert (c.name, c.postal_code, c.uso_cfdi, c.tax_regime) == ("UNIVERSIDAD ROBOTICA ESPAÑOLA", "65000", "G01", "601")


def test_invoice_multi_currency_usd_and_its_unstamped_twin(db: Database) -> None:
    path = sample("invoice-multi-currency.xml")
    report = imp(db, path, unstamped=True)
    assert report.imported["invoice"] == 1
    d = doc(db, series="LMC", folio="0010")
    assert (d.currency, d.exchange_rate, d.total_cents, d.balance_cents) == ("USD", "17.46", 23200, 23200)
    cid = customer(db, "URE180429TM6").id
    assert balance(db, cid, "USD") == (23200, 0) and balance(db, cid, "MXN") == (0, 0)
    # invoice-b2b-bare.xml is the same issuer, type, series and folio without a stamp: one document.
    report = imp(db, sample("invoice-b2b-bare.xml"), unstamped=True)
    assert report.duplicates == [str(sample("invoice-b2b-bare.xml"))]


def test_cfdv33_pagos10_is_an_invoice_whose_pagos_complement_is_ignored(db: Database) -> None:
    path = sample("cfdv33-pagos10.xml")
    assert imp(db, path, unstamped=True).not_ours == [str(path)]  # Emisor AAA010101AAA is not us
    report = imp(db, path, rfc=("AAA010101AAA",), unstamped=True)
    assert report.imported["invoice"] == 1
    d = doc(db, kind="invoice")
    # Total 1500 (its SubTotal 1000 and taxes do not add up: a warning, the Total rules).
    assert (d.total_cents, d.subtotal_cents, d.tax_cents, d.metodo_pago, d.forma_pago) == (150000, 100000, 50000,
                                                                                          "PUE", "02")
    assert messages(report) == [
        "Pagos complement ignored: the CFDI is of type I, not P",
        "Total 1500 differs from SubTotal - Descuento + taxes = 113500",
        "unstamped CFDI imported on request (--allow-unstamped)",
        "RFC BASJ600902KL9: the check character should be 0; recorded as the CFDI states it",
        "no MetodoPago: taken as PUE",
    ]
    c = customer(db, "BASJ600902KL9")
    assert (c.name, c.rfc_check_ok) == ("BASJ600902KL9", False)  # no Nombre in 3.3: the RFC names it


def test_registro_fiscal_is_rejected_by_the_parser(db: Database) -> None:
    path = sample("registro_fiscal.xml")
    report = imp(db, path, rfc=(EKU, "AAA010101AAA"), unstamped=True)
    ((where, reason),) = report.rejected
    assert where == str(path) and reason.startswith("not well-formed XML: ") and "is not a valid URI" in reason
    assert nothing_written(db)


# ---------------------------------------------------------------------------------------- credit notes
def test_credit_note_waits_for_its_invoice_then_applies(db: Database, tmp_path: Path) -> None:
    path = sample("credit-note.xml")
    report = imp(db, path, unstamped=True)
    assert report.imported["credit_note"] == 1 and report.waiting == [str(path)]
    cn = doc(db, kind="credit_note")
    assert (cn.series, cn.folio, cn.total_cents, cn.balance_cents, cn.status) == ("CN", "0003", 177, 177, "current")
    cid = customer(db, "URE180429TM6").id
    assert balance(db, cid) == (0, 177)  # customer credit while its invoice is missing
    assert claims(db) == [("1fac4464-1111-0000-1111-cd37179db12e", "pending", 177, 0)]
    inv = write(tmp_path, "inv.xml", invoice_for("1fac4464-1111-0000-1111-cd37179db12e", "URE180429TM6", "UNIVERSIDAD",
                                                   "100.00", when=datetime(2023, 7, 1)))
    report = imp(db, inv)
    assert report.imported["invoice"] == 1 and report.waiting == [] and report.resolved == 1
    assert doc(db, "1fac4464-1111-0000-1111-cd37179db12e").balance_cents == 10000 - 177
    assert doc(db, kind="credit_note").balance_cents == 0
    assert allocations(db) == [(None, cn.id, "1fac4464-1111-0000-1111-cd37179db12e", 177, 177, date(2023, 7, 26))]
    assert balance(db, cid) == (9823, 0)


# ---------------------------------------------------------------------------------------- REPs
def test_001_partial_payments_in_mxn_and_a_usd_payment_of_a_peso_invoice(db: Database, tmp_path: Path) -> None:
    rep = sample("001.xml")
    report = imp(db, rep, unstamped=True)
    assert report.imported["payment"] == 1 and report.waiting == [str(rep)]
    p1, p2 = payments(db)
    assert (p1.amount_cents, p1.currency, p1.unapplied_cents, p1.forma_pago, p1.paid_on) == (184000, "MXN", 184000,
                                                                                            "04", date(2023, 6, 4))
    assert (p2.amount_cents, p2.currency, p2.exchange_rate, p2.paid_on) == (4000, "USD", "17.3608", date(2023, 6, 9))
    cid = customer(db, "MASO451221PM4").id
    assert balance(db, cid, "MXN") == (0, 184000) and balance(db, cid, "USD") == (0, 4000)
    # The invoices arrive (each open for exactly its ImpSaldoAnt): every DoctoRelacionado is applied.
    invoices = {"6de9442d-ed57-5320-b2ba-f73e15079fa3": "6591.64", "ae577e8f-2047-5ab2-8513-9e7299a6da03": "5234",
                "62679627-3802-58ce-9109-3868f877f3d2": "154", "cec032c8-9c43-54b3-a4f5-4c4bc5dff794": "4976.36",
                "17f4b4fc-89e1-5770-b8bb-00958f217486": "2817"}
    files = [write(tmp_path, f"i{n}.xml", invoice_for(u, "MASO451221PM4", "MARIA OLIVIA MARTINEZ SAGAZ", total,
                                                      folio=str(n)))
             for n, (u, total) in enumerate(invoices.items())]
    report = imp(db, *files)
    assert report.imported["invoice"] == 5 and report.resolved == 5
    remaining = {u: doc(db, u).balance_cents for u in invoices}
    assert remaining == {"6de9442d-ed57-5320-b2ba-f73e15079fa3": 574164, "ae577e8f-2047-5ab2-8513-9e7299a6da03": 475600,
                         "62679627-3802-58ce-9109-3868f877f3d2": 400, "cec032c8-9c43-54b3-a4f5-4c4bc5dff794": 461436,
                         "17f4b4fc-89e1-5770-b8bb-00958f217486": 212257}
    # 694.43 MXN / EquivalenciaDR 17.36075 = 40.00002 → 40.00 USD taken from the dollar payment.
    usd = [a for a in allocations(db) if a.payment_id == p2.id]
    assert [(a.amount_cents, a.source_amount_cents) for a in usd] == [(69443, 4000)]
    p1, p2 = payments(db)
    assert (p1.unapplied_cents, p1.status, p2.unapplied_cents, p2.status) == (0, "applied", 0, "applied")
    # An unstamped REP is not a REP: these PPD payments still need theirs.
    assert (p1.rep_status, p1.rep_uuid) == ("pending", None)
    assert balance(db, cid, "MXN") == (574164 + 475600 + 400 + 461436 + 212257, 0)
    assert balance(db, cid, "USD") == (0, 0)


def test_created_cfdi40_pago20_one_full_one_partial(db: Database, tmp_path: Path) -> None:
    a, b = "00000000-1111-2222-3333-00000000000a", "00000000-1111-2222-3333-00000000000b"
    files = [write(tmp_path, "a.xml", invoice_for(a, "COSC8001137NA", "CARLOS CORTES SOTO", "12000.00", folio="1")),
             write(tmp_path, "b.xml", invoice_for(b, "COSC8001137NA", "CARLOS CORTES SOTO", "10000.00", folio="2"))]
    rep = sample("created-cfdi40-pago20-valid.xml")
    report = imp(db, *files, rep, unstamped=True)
    assert report.imported == {"invoice": 2, "credit_note": 0, "payment": 1} and report.waiting == []
    assert (doc(db, a).balance_cents, doc(db, a).status) == (0, "paid")
    assert (doc(db, b).balance_cents, doc(db, b).status) == (700000, "current")
    (p,) = payments(db)
    assert (p.amount_cents, p.unapplied_cents, p.status, p.reference) == (1500000, 0, "applied", "REP op 963852")
    # NumParcialidad 2 for A with no installment 1 in the ledger: reported; the data is imported as stated.
    assert "A-1: NumParcialidad 2 without installment 1" in messages(report)


def test_he951128469_payment_pays_its_invoice_in_full(db: Database) -> None:
    inv, rep = sample("h&e951128469_ingreso_iva16_stamped.xml"), sample("pago_h&e951128469_ingreso_iva16.xml")
    report = imp(db, rep, inv, rfc=("H&E951128469",), unstamped=True)  # the REP listed first: order does not matter
    assert report.imported == {"invoice": 1, "credit_note": 0, "payment": 1} and report.waiting == []
    d = doc(db, "6d7434a6-e3f2-47ad-9e4c-08849946afa0")
    assert (d.balance_cents, d.status) == (0, "paid")
    (p,) = payments(db)
    assert (p.amount_cents, p.unapplied_cents, p.paid_on, p.forma_pago) == (1785275, 0, date(2020, 1, 2), "03")
    assert balance(db, customer(db, "KIJ0906199R1").id) == (0, 0)


def test_xiqb891116qe4_payment_pays_the_net_of_withholdings(db: Database) -> None:
    inv, rep = sample("xiqb891116qe4_ingreso_iva16_stamped.xml"), sample("pago_xiqb891116qe4_ingreso_iva16.xml")
    report = imp(db, inv, rep, rfc=("XIQB891116QE4",), unstamped=True)
    assert report.imported == {"invoice": 1, "credit_note": 0, "payment": 1}
    assert doc(db, "6d7434a6-e3f2-47ad-9e4c-08849946afa0").balance_cents == 0
    (p,) = payments(db)
    assert (p.amount_cents, p.unapplied_cents) == (1467208, 0)


def test_cfdv40_pagos20_three_payments_waiting(db: Database) -> None:
    rep = sample("cfdv40-pagos20.xml")
    report = imp(db, rep, rfc=("AAA010101AAA",), unstamped=True)
    assert report.imported["payment"] == 1 and report.waiting == [str(rep)]
    assert [(p.amount_cents, p.paid_on, p.forma_pago, p.unapplied_cents) for p in payments(db)] == [
        (606666, date(2021, 12, 3), "03", 606666), (505555, date(2021, 12, 4), "03", 505555),
        (404444, date(2021, 12, 5), "03", 404444)]
    c = customer(db, "BASJ600902KL9")
    assert (c.name, c.tax_regime, c.postal_code, c.uso_cfdi) == ("Juanito Bananas De la Sierra", "", "99999", "")
    assert "tax regime 630 is not in the SAT catalog: left blank" in messages(report)
    assert balance(db, c.id) == (0, 606666 + 505555 + 404444)


def test_sample_factura123_pagos10_pays_its_invoice(db: Database, tmp_path: Path) -> None:
    rep = sample("sample-factura123.xml")
    uuid = "fc37a176-bd91-4de4-9a97-5e835e5134b8"
    report = imp(db, rep, rfc=("AAA010101AAA",), unstamped=True)
    assert report.waiting == [str(rep)]
    (p,) = payments(db)
    assert (p.amount_cents, p.forma_pago, p.paid_on) == (186612, "01", date(2017, 7, 8))
    inv = invoice_xml(uuid=uuid, issued_at=datetime(2017, 7, 1), lines=(Line("X", D(1), D("1866.12"), D(0)),),
                      customer=Customer("FUD1206133IA", "FACTURA UNO DOS TRES", "06000"), metodo_pago="PPD",
                      issuer=Issuer(rfc="AAA010101AAA"))
    report = imp(db, write(tmp_path, "inv.xml", inv), rfc=("AAA010101AAA",))
    assert report.resolved == 1 and doc(db, uuid).balance_cents == 0
    assert payments(db)[0].unapplied_cents == 0


def test_sample_errors_imppagado_short_of_monto_leaves_a_cent_of_credit(db: Database, tmp_path: Path) -> None:
    uuid = "fc37a176-bd91-4de4-9a97-5e835e5134b8"
    inv = invoice_xml(uuid=uuid, issued_at=datetime(2017, 7, 1), lines=(Line("X", D(1), D("1866.12"), D(0)),),
                      customer=Customer("FUD1206133IA", "FACTURA UNO DOS TRES", "06000"), issuer=Issuer(rfc="AAA010101AAA"))
    rep = sample("sample-errors.xml")
    report = imp(db, write(tmp_path, "inv.xml", inv), rep, rfc=("AAA010101AAA",), unstamped=True)
    assert "sum of ImpPagado 1866.11 differs from Monto 1866.12" in messages(report)
    assert "DoctoRelacionado 1: ImpSaldoInsoluto 0 differs from ImpSaldoAnt - ImpPagado = 0.01" in messages(report)
    assert doc(db, uuid).balance_cents == 1  # 1866.11 applied, as the REP states
    (p,) = payments(db)
    assert (p.amount_cents, p.unapplied_cents, p.status) == (186612, 1, "partial")
    # sample-factura123.xml has the same issuer, series and folio (both unstamped): one REP.
    assert imp(db, sample("sample-factura123.xml"), rfc=("AAA010101AAA",), unstamped=True).duplicates == [
        str(sample("sample-factura123.xml"))]


def test_every_sample_has_an_import_test() -> None:
    text = Path(__file__).read_text(encoding="utf-8")
    for name in SAMPLES:
        assert f'sample("{name}")' in text, name


@pytest.mark.parametrize("name", sorted(SAMPLES - {"registro_fiscal.xml"}))
def test_every_parsable_sample_is_not_ours_for_another_company(sqlite_db: Database, name: str) -> None:
    report = imp(sqlite_db, DATA / name, rfc=("ZZZ010101ZZ0",), unstamped=True)
    assert report.total_imported == 0 and nothing_written(sqlite_db)
    assert report.not_ours == [str(DATA / name)]
