"""CFDI parser: every sample in tests/data/cfdi, light validation, and generate.py round trips.

Expected values below were read by eye from the XML files (see tests/data/cfdi/SOURCES.txt).
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from datetime import date, datetime
from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arterm.cfdi import Cfdi, CfdiError, parse_cfdi, parse_cfdi_file
from arterm.cfdi.generate import (
    GENERIC_RFC,
    Customer,
    Line,
    PaidDocument,
    Payment,
    compute_totals,
    credit_note_xml,
    generate_set,
    invoice_xml,
    payment_xml,
    substitution_xml,
)
from arterm.domain.errors import DomainError
from arterm.domain.rfc import validate_rfc

DATA = Path(__file__).resolve().parents[1] / "data" / "cfdi"
# Each of these has its own test below; test_every_sample_file_has_a_test keeps the list honest.
SAMPLES = frozenset(
    {
        "001.xml",
        "cfdi33-valid.xml",
        "cfdi40-valid.xml",
        "cfdv33-pagos10.xml",
        "cfdv40-pagos20.xml",
        "created-cfdi40-pago20-valid.xml",
        "credit-note.xml",
        "h&e951128469_ingreso_iva16_stamped.xml",
        "invoice-b2b-bare.xml",
        "invoice-multi-currency.xml",
        "pago_h&e951128469_ingreso_iva16.xml",
        "pago_xiqb891116qe4_ingreso_iva16.xml",
        "registro_fiscal.xml",
        "sample-errors.xml",
        "sample-factura123.xml",
        "xiqb891116qe4_ingreso_iva16_stamped.xml",
    }
)


def sample(name: str) -> Cfdi:
    assert name in SAMPLES
    cfdi = parse_cfdi_file(DATA / name)
    # Same result from bytes; and the fast constructor filled every field (replace() calls __init__).
    assert parse_cfdi((DATA / name).read_bytes()) == cfdi
    assert dataclasses.replace(cfdi) == cfdi
    for pago in cfdi.payments:
        assert dataclasses.replace(pago) == pago
        for doc in pago.documents:
            assert dataclasses.replace(doc) == doc
    for concept in cfdi.concepts:
        assert dataclasses.replace(concept) == concept
    return cfdi


def rejected(name: str) -> str:
    assert name in SAMPLES
    with pytest.raises(CfdiError) as info:
        parse_cfdi_file(DATA / name)
    return info.value.reason


def amounts(doc) -> tuple:  # type: ignore[no-untyped-def]
    return (doc.previous_balance, doc.paid, doc.remaining)


# --------------------------------------------------------------------------------------------
# One test per sample file
# --------------------------------------------------------------------------------------------


def test_001_pagos20_many_partial_payments() -> None:
    c = sample("001.xml")
    assert (c.kind, c.version, c.uuid) == ("P", "4.0", None)
    assert (c.series, c.folio) == ("PAGO", "37")
    assert c.issued_at == datetime(2023, 6, 13, 10, 31, 53)
    assert (c.emisor.rfc, c.emisor.name, c.emisor.regimen) == ("EKU9003173C9", "ESCUELA KEMPER URGATE", "601")
    r = c.receptor
    assert (r.rfc, r.name, r.postal_code, r.regimen, r.uso_cfdi) == (
        "MASO451221PM4", "MARIA OLIVIA MARTINEZ SAGAZ", "80290", "605", "CP01"
    )  # fmt: skip
    assert (c.currency, c.subtotal, c.total, c.forma_pago, c.metodo_pago) == ("XXX", D(0), D(0), None, None)
    assert len(c.payments) == 2

    p1, p2 = c.payments
    assert (p1.paid_at, p1.forma_pago, p1.currency, p1.exchange_rate, p1.amount) == (
        datetime(2023, 6, 4, 10, 18, 53), "04", "MXN", D(1), D("1840")
    )  # fmt: skip
    assert p1.paid_on == date(2023, 6, 4)
    assert [(d.uuid, d.series, d.folio, d.installment) for d in p1.documents] == [
        ("6de9442d-ed57-5320-b2ba-f73e15079fa3", "PACIE", "2", 3),
        ("ae577e8f-2047-5ab2-8513-9e7299a6da03", "PACIE", "13", 2),
        ("62679627-3802-58ce-9109-3868f877f3d2", "PACIE", "15", 2),
        ("cec032c8-9c43-54b3-a4f5-4c4bc5dff794", "PACIE", "19", 5),
    ]
    assert [amounts(d) for d in p1.documents] == [
        (D("6591.64"), D("850"), D("5741.64")),
        (D("5234"), D("478"), D("4756")),
        (D("154"), D("150"), D("4")),
        (D("4976.36"), D("362"), D("4614.36")),
    ]
    assert all((d.currency, d.equivalence) == ("MXN", D(1)) for d in p1.documents)
    assert sum(d.paid for d in p1.documents) == p1.amount

    # USD 40 paying an MXN invoice: EquivalenciaDR 17.36075 -> 694.43 MXN.
    assert (p2.paid_at, p2.currency, p2.exchange_rate, p2.amount) == (
        datetime(2023, 6, 9, 10, 31, 3), "USD", D("17.3608"), D("40")
    )  # fmt: skip
    (d,) = p2.documents
    assert (d.uuid, d.folio, d.currency, d.equivalence, d.installment) == (
        "17f4b4fc-89e1-5770-b8bb-00958f217486", "1", "MXN", D("17.36075"), 3
    )  # fmt: skip
    assert amounts(d) == (D("2817"), D("694.43"), D("2122.57"))
    assert d.metodo_pago_dr is None
    assert c.warnings == ()


def test_cfdi33_valid_invoice_with_related_and_retenciones() -> None:
    c = sample("cfdi33-valid.xml")  # an XML comment precedes the root
    assert (c.kind, c.version, c.uuid) == ("I", "3.3", "9fb6ed1a-5f37-4fef-980a-7f8c83b51894")
    assert (c.series, c.folio, c.issued_at) == ("A", "167ABC", datetime(2021, 1, 13, 14, 15, 16))
    assert (c.forma_pago, c.metodo_pago, c.condiciones_pago) == ("01", "PUE", "CONDICIONES")
    assert (c.currency, c.exchange_rate) == ("MXN", D(1))
    assert (c.subtotal, c.discount, c.total) == (D("2269400"), D("0.00"), D("2382870"))
    assert (c.taxes_transferred, c.taxes_withheld) == (D("363104"), D("249634"))
    assert (c.emisor.rfc, c.emisor.name) == ("EKU9003173C9", "ESCUELA KEMPER URGATE SA DE CV")
    r = c.receptor
    assert (r.rfc, r.name, r.uso_cfdi, r.postal_code, r.regimen) == (
        "COSC8001137NA", "CARLOS CORTES SOTO", "G01", None, None  # 3.3: no domicilio/regimen
    )  # fmt: skip
    assert [(x.tipo_relacion, x.uuid) for x in c.related] == [("01", "a39da66b-52ca-49e3-879b-5c05185b0ef7")]
    assert [(x.description, x.quantity, x.unit_price, x.amount) for x in c.concepts] == [
        ("ACERO", D("1.5"), D("1500000"), D("2250000")),
        ("ALUMINIO", D("1.6"), D("1500"), D("2400")),
        ("ZAMAC", D("1.7"), D("10000"), D("17000")),
    ]
    # Its concept traslados say Impuesto="001" (ISR), not IVA (002): no IVA rate to report.
    assert all(x.tax_rate is None and x.tax_amount == 0 for x in c.concepts)
    assert c.payments == () and c.warnings == ()


def test_cfdi40_valid_invoice_with_discount() -> None:
    c = sample("cfdi40-valid.xml")
    assert (c.kind, c.version, c.uuid) == ("I", "4.0", "6f35d3b5-3651-5370-bc2c-14cdbe384cd7")
    assert (c.series, c.folio, c.issued_at) == (None, None, datetime(2025, 2, 19, 8, 32, 29))
    assert c.issued_on == date(2025, 2, 19)
    assert (c.forma_pago, c.metodo_pago, c.currency, c.exchange_rate) == ("01", "PUE", "MXN", None)
    assert (c.subtotal, c.discount, c.total) == (D("3824.15"), D("956.04"), D("3327.01"))
    assert (c.taxes_transferred, c.taxes_withheld) == (D("458.90"), D(0))
    assert c.emisor.rfc == "EKU9003173C9"
    r = c.receptor
    assert (r.rfc, r.name, r.postal_code, r.regimen, r.uso_cfdi) == (
        "MCI7306249Y1", "MUNICIPIO DE CUAUTITLAN IZCALLI", "54700", "603", "G03"
    )  # fmt: skip
    (x,) = c.concepts
    assert x.description == "Portable tetris gamepad pro++ \u23fb"
    assert (x.quantity, x.unit_price, x.amount, x.discount) == (D(4), D("956.04"), D("3824.15"), D("956.04"))
    assert (x.tax_rate, x.tax_amount) == (D("0.160000"), D("458.90"))
    assert c.stamped and c.warnings == ()


def test_cfdv33_pagos10_on_type_i_is_parsed_as_invoice_with_warnings() -> None:
    # cryptosys "nonsense values" file: TipoDeComprobante I carrying a Pagos 1.0 complement.
    c = sample("cfdv33-pagos10.xml")
    assert (c.kind, c.version, c.uuid, c.series, c.folio) == ("I", "3.3", None, None, None)
    assert c.issued_at == datetime(2017, 5, 1, 1, 23, 59)
    assert c.emisor.rfc == "AAA010101AAA"  # written as " AAA010101AAA": whitespace collapsed
    assert (c.emisor.name, c.emisor.regimen) == (None, "622")
    assert (c.receptor.rfc, c.receptor.uso_cfdi, c.receptor.name) == ("BASJ600902KL9", "G03", None)
    assert (c.currency, c.forma_pago, c.metodo_pago) == ("MXN", "02", None)
    assert (c.subtotal, c.total) == (D("1000"), D("1500"))
    assert (c.taxes_transferred, c.taxes_withheld) == (D("360000"), D("247500"))
    (x,) = c.concepts
    assert (x.description, x.quantity, x.unit_price, x.amount, x.tax_rate) == (
        "ACERO", D("1.5"), D("1500000"), D("2250000"), None
    )  # fmt: skip
    assert c.payments == ()  # a Pagos complement only counts on a type P
    assert c.warnings == (
        "Pagos complement ignored: the CFDI is of type I, not P",
        "Total 1500 differs from SubTotal - Descuento + taxes = 113500",
    )


def test_cfdv40_pagos20_three_pagos_without_equivalencia() -> None:
    c = sample("cfdv40-pagos20.xml")
    assert (c.kind, c.version, c.uuid, c.series, c.folio) == ("P", "4.0", None, None, None)
    assert c.issued_at == datetime(2021, 12, 8, 23, 59, 59)
    assert c.forma_pago == "02"  # nonsense on a P, but not a ledger problem
    assert [(x.tipo_relacion, x.uuid) for x in c.related] == [("09", "f4f09aef-57f2-4be0-a828-87d1a80ed61c")]
    assert (c.emisor.rfc, c.emisor.name, c.emisor.regimen) == ("AAA010101AAA", "Esta es una demostración", "622")
    r = c.receptor
    assert (r.rfc, r.name, r.postal_code, r.regimen, r.uso_cfdi) == (
        "BASJ600902KL9", "Juanito Bananas De la Sierra", "99999", "630", "P01"
    )  # fmt: skip
    assert [(p.paid_at, p.forma_pago, p.currency, p.exchange_rate, p.amount) for p in c.payments] == [
        (datetime(2021, 12, 3, 12, 37, 13), "03", "MXN", None, D("6066.66")),
        (datetime(2021, 12, 4, 12, 38, 15), "03", "MXN", None, D("5055.55")),
        (datetime(2021, 12, 5, 12, 39, 43), "03", "MXN", None, D("4044.44")),
    ]
    docs = [p.documents for p in c.payments]
    assert [[(d.uuid, d.series, d.folio, d.installment, d.equivalence) for d in ds] for ds in docs] == [
        [("c1df8d01-8436-4e7d-becf-20f31624280d", "D", "12345", 2, None)],
        [("cb675288-97c8-45c2-9618-27fef433ad59", "D", "12345", 2, None)],
        [("cb36554d-af7b-4ebc-97cb-8c40fdfd9e20", "D", "12345", 2, None)],
    ]
    assert [amounts(ds[0]) for ds in docs] == [
        (D("6066.66"), D("6066.66"), D(0)),
        (D("5055.55"), D("5055.55"), D(0)),
        (D("4044.44"), D("4044.44"), D(0)),
    ]
    assert c.warnings == ()


def test_created_cfdi40_pago20_one_full_one_partial() -> None:
    c = sample("created-cfdi40-pago20-valid.xml")
    assert (c.kind, c.version, c.uuid, c.series, c.folio) == ("P", "4.0", None, None, None)
    assert c.issued_at == datetime(2023, 6, 13, 14, 15, 16)
    assert (c.emisor.rfc, c.receptor.rfc, c.receptor.postal_code, c.receptor.uso_cfdi) == (
        "EKU9003173C9", "COSC8001137NA", "52000", "CP01"
    )  # fmt: skip
    (p,) = c.payments
    assert (p.paid_at, p.forma_pago, p.currency, p.exchange_rate, p.amount, p.operation_number) == (
        datetime(2023, 6, 12, 17, 18, 19), "03", "MXN", D(1), D("15000.00"), "963852"
    )  # fmt: skip
    full, partial = p.documents
    assert (full.uuid, full.installment, full.equivalence, full.series) == (
        "00000000-1111-2222-3333-00000000000a", 2, D(1), None
    )  # fmt: skip
    assert amounts(full) == (D("12000.00"), D("12000.00"), D(0))
    assert (partial.uuid, partial.installment) == ("00000000-1111-2222-3333-00000000000b", 1)
    assert amounts(partial) == (D("10000.00"), D("3000.00"), D("7000.00"))
    assert c.warnings == ()


def test_credit_note_type_e_related_01() -> None:
    c = sample("credit-note.xml")
    assert (c.kind, c.version, c.uuid, c.series, c.folio) == ("E", "4.0", None, "CN", "0003")
    assert c.issued_at == datetime(2023, 7, 26, 12, 0, 0)
    assert (c.forma_pago, c.metodo_pago, c.condiciones_pago) == ("99", "PPD", "Condiciones de pago")
    assert (c.currency, c.subtotal, c.total, c.taxes_transferred) == ("MXN", D("1.77"), D("1.77"), D("0.00"))
    assert [(x.tipo_relacion, x.uuid) for x in c.related] == [("01", "1fac4464-1111-0000-1111-cd37179db12e")]
    assert c.emisor.rfc == "EKU9003173C9"
    r = c.receptor
    assert (r.rfc, r.name, r.postal_code, r.regimen, r.uso_cfdi) == (
        "URE180429TM6", "UNIVERSIDAD ROBOTICA ESPAÑOLA", "86991", "601", "G03"
    )  # fmt: skip
    assert [(x.description, x.quantity, x.unit_price, x.amount, x.tax_rate, x.tax_amount) for x in c.concepts] == [
        ("Cobro por tarjetas", D("1.33"), D("1.32"), D("1.76"), D("0.000000"), D(0)),
        ("Porcentaje sobre GMV", D(1), D("0.0087"), D("0.01"), D("0.000000"), D(0)),
    ]
    assert not c.stamped and c.warnings == ()


def test_he951128469_invoice_stamped_rfc_with_ampersand() -> None:
    c = sample("h&e951128469_ingreso_iva16_stamped.xml")
    assert (c.kind, c.version, c.uuid) == ("I", "4.0", "6d7434a6-e3f2-47ad-9e4c-08849946afa0")
    assert (c.series, c.folio, c.issued_at) == ("A", "123456", datetime(2020, 1, 1, 22, 40, 38))
    assert (c.forma_pago, c.metodo_pago, c.currency) == (None, "PPD", "MXN")
    assert (c.subtotal, c.discount, c.total) == (D("15390.30"), D(0), D("17852.75"))
    assert (c.taxes_transferred, c.taxes_withheld) == (D("2462.45"), D(0))
    assert (c.emisor.rfc, c.emisor.name, c.emisor.regimen) == ("H&E951128469", "HERRERIA & ELECTRICOS", "601")
    r = c.receptor
    assert (r.rfc, r.name, r.postal_code, r.regimen, r.uso_cfdi) == ("KIJ0906199R1", "KIJ, S.A DE C.V.", "59820", "601", "G03")
    (x,) = c.concepts
    assert (x.quantity, x.unit_price, x.amount, x.tax_rate, x.tax_amount) == (
        D("1.00"), D("15390.30"), D("15390.30"), D("0.160000"), D("2462.45")
    )  # fmt: skip
    assert c.warnings == ()


def test_invoice_b2b_bare_unstamped_ppd() -> None:
    c = sample("invoice-b2b-bare.xml")
    assert (c.kind, c.version, c.uuid, c.series, c.folio) == ("I", "4.0", None, "LMC", "0010")
    assert c.issued_at == datetime(2023, 5, 29, 12, 0, 0)
    assert (c.forma_pago, c.metodo_pago, c.currency, c.exchange_rate) == ("99", "PPD", "MXN", None)
    assert (c.subtotal, c.total, c.taxes_transferred) == (D("200.00"), D("232.00"), D("32.00"))
    assert (c.emisor.rfc, c.receptor.rfc, c.receptor.postal_code, c.receptor.uso_cfdi) == (
        "EKU9003173C9", "URE180429TM6", "65000", "G01"
    )  # fmt: skip
    (x,) = c.concepts
    assert (x.description, x.quantity, x.unit_price, x.amount, x.tax_rate, x.tax_amount) == (
        "Cigarros", D(2), D("100.00"), D("200.00"), D("0.160000"), D("32.0000")
    )  # fmt: skip
    assert c.warnings == ()


def test_invoice_multi_currency_usd() -> None:
    c = sample("invoice-multi-currency.xml")
    assert (c.kind, c.version, c.uuid, c.series, c.folio) == ("I", "4.0", None, "LMC", "0010")
    assert (c.currency, c.exchange_rate) == ("USD", D("17.46"))
    assert (c.forma_pago, c.metodo_pago) == ("99", "PPD")
    assert (c.subtotal, c.total, c.taxes_transferred) == (D("200.00"), D("232.00"), D("32.00"))
    assert (c.emisor.rfc, c.receptor.rfc) == ("EKU9003173C9", "URE180429TM6")
    assert c.warnings == ()


def test_pago_he951128469_pays_the_invoice_in_full() -> None:
    c = sample("pago_h&e951128469_ingreso_iva16.xml")
    assert (c.kind, c.version, c.uuid, c.series, c.folio) == ("P", "4.0", None, "A", "123456")
    assert (c.emisor.rfc, c.receptor.rfc, c.receptor.uso_cfdi) == ("H&E951128469", "KIJ0906199R1", "CP01")
    assert (c.currency, c.subtotal, c.total) == ("XXX", D(0), D(0))
    (p,) = c.payments
    assert (p.paid_at, p.forma_pago, p.currency, p.exchange_rate, p.amount) == (
        datetime(2020, 1, 2, 22, 40, 38), "03", "MXN", D(1), D("17852.75")
    )  # fmt: skip
    (d,) = p.documents
    invoice = parse_cfdi_file(DATA / "h&e951128469_ingreso_iva16_stamped.xml")
    assert d.uuid == invoice.uuid == "6d7434a6-e3f2-47ad-9e4c-08849946afa0"
    assert (d.series, d.folio, d.currency, d.equivalence, d.installment) == ("A", "123456", "MXN", D(1), 1)
    assert amounts(d) == (D("17852.75"), D("17852.75"), D("0.00"))
    assert d.previous_balance == invoice.total
    assert c.warnings == ()


def test_pago_xiqb891116qe4_pays_the_net_of_retenciones() -> None:
    c = sample("pago_xiqb891116qe4_ingreso_iva16.xml")
    assert (c.kind, c.version, c.uuid, c.series, c.folio) == ("P", "4.0", None, "A", "123456")
    assert (c.emisor.rfc, c.emisor.name, c.receptor.rfc) == ("XIQB891116QE4", "BERENICE XIMO QUEZADA", "KIJ0906199R1")
    (p,) = c.payments
    assert (p.paid_at, p.currency, p.amount) == (datetime(2020, 1, 2, 22, 40, 38), "MXN", D("14672.08"))
    (d,) = p.documents
    assert (d.uuid, d.installment) == ("6d7434a6-e3f2-47ad-9e4c-08849946afa0", 1)
    assert amounts(d) == (D("14672.08"), D("14672.08"), D("0.00"))
    assert c.warnings == ()


def test_registro_fiscal_is_rejected_with_lxml_namespace_error() -> None:
    # UTF-8 BOM + xmlns:schemaLocation="<two URIs>" -> libxml2: not a valid URI. Never "recovered".
    reason = rejected("registro_fiscal.xml")
    assert reason.startswith("not well-formed XML: ")
    assert "xmlns:schemaLocation" in reason and "is not a valid URI" in reason


def test_sample_errors_pagos10_imppagado_differs_from_monto_is_a_warning() -> None:
    c = sample("sample-errors.xml")
    assert (c.kind, c.version, c.uuid, c.series, c.folio) == ("P", "3.3", None, "P", "66")
    assert c.issued_at == datetime(2017, 7, 8, 15, 46, 12)
    assert (c.emisor.rfc, c.emisor.name) == ("AAA010101AAA", "ACCEM SERVICIOS EMPRESARIALES SC")
    assert (c.receptor.rfc, c.receptor.uso_cfdi) == ("FUD1206133IA", "P01")
    (p,) = c.payments
    assert (p.paid_at, p.forma_pago, p.currency, p.exchange_rate, p.amount) == (
        datetime(2017, 7, 8, 15, 46, 10), "01", "MXN", None, D("1866.12")
    )  # fmt: skip
    (d,) = p.documents
    assert (d.uuid, d.series, d.folio, d.currency, d.metodo_pago_dr, d.installment, d.equivalence) == (
        "fc37a176-bd91-4de4-9a97-5e835e5134b8", "A", "407", "MXN", "PUE", None, None
    )  # fmt: skip
    assert amounts(d) == (D("1866.12"), D("1866.11"), D("0"))
    assert "sum of ImpPagado 1866.11 differs from Monto 1866.12" in c.warnings
    assert "DoctoRelacionado 1: ImpSaldoInsoluto 0 differs from ImpSaldoAnt - ImpPagado = 0.01" in c.warnings
    assert len(c.warnings) == 2


def test_sample_factura123_pagos10_consistent() -> None:
    c = sample("sample-factura123.xml")
    assert (c.kind, c.version, c.uuid, c.series, c.folio) == ("P", "3.3", None, "P", "66")
    (p,) = c.payments
    assert (p.currency, p.amount, p.forma_pago) == ("MXN", D("1866.12"), "01")
    (d,) = p.documents
    assert (d.uuid, d.metodo_pago_dr) == ("fc37a176-bd91-4de4-9a97-5e835e5134b8", "PUE")
    assert amounts(d) == (D("1866.12"), D("1866.12"), D("0"))
    assert c.warnings == ()


def test_xiqb891116qe4_invoice_with_retenciones_shares_uuid_with_he() -> None:
    c = sample("xiqb891116qe4_ingreso_iva16_stamped.xml")
    assert (c.kind, c.version, c.uuid) == ("I", "4.0", "6d7434a6-e3f2-47ad-9e4c-08849946afa0")
    assert (c.series, c.folio, c.metodo_pago) == ("A", "123456", "PPD")
    assert (c.subtotal, c.total) == (D("15390.30"), D("14672.08"))
    assert (c.taxes_transferred, c.taxes_withheld) == (D("2462.45"), D("3180.67"))
    assert (c.emisor.rfc, c.emisor.name) == ("XIQB891116QE4", "BERENICE XIMO QUEZADA")
    (x,) = c.concepts
    assert (x.tax_rate, x.tax_amount) == (D("0.160000"), D("2462.45"))  # retenciones are not IVA traslado
    # Fixture reuse: same UUID as the H&E invoice, different issuer -> a duplicate-UUID case.
    other = parse_cfdi_file(DATA / "h&e951128469_ingreso_iva16_stamped.xml")
    assert other.uuid == c.uuid and other.emisor.rfc != c.emisor.rfc
    assert c.warnings == ()


def test_every_sample_file_has_a_test() -> None:
    on_disk = {p.name for p in DATA.glob("*.xml")}
    assert on_disk == SAMPLES
    # Attribution travels with the copies: every sample is listed in SOURCES.txt.
    sources = (DATA / "SOURCES.txt").read_text(encoding="utf-8")
    assert all(f"{name}\trepo=" in sources for name in SAMPLES)
    # Each sample is named in exactly one test of this file (besides the list above).
    text = Path(__file__).read_text(encoding="utf-8")
    for name in SAMPLES:
        assert text.count(f'("{name}")') == 1, name


# --------------------------------------------------------------------------------------------
# Light validation: what corrupts a ledger is an error, business-rule slips are warnings
# --------------------------------------------------------------------------------------------

BASE = invoice_xml(uuid="11111111-2222-3333-4444-555555555555")


def mutated(old: bytes, new: bytes, data: bytes = BASE) -> bytes:
    assert old in data, old
    return data.replace(old, new, 1)


def reason_of(data: bytes) -> str:
    with pytest.raises(CfdiError) as info:
        parse_cfdi(data)
    return info.value.reason


def test_cfdi_error_is_a_domain_error() -> None:
    err = CfdiError("boom")
    assert isinstance(err, DomainError) and err.reason == "boom" and str(err) == "boom"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (b' Total="1160.00"', b"", "missing required attribute Comprobante/@Total"),
        (b' Total="1160.00"', b' Total="-1160.00"', "negative amount in Comprobante/@Total: '-1160.00'"),
        (b' Total="1160.00"', b' Total="1,160.00"', "bad amount in Comprobante/@Total: '1,160.00'"),
        (b' Total="1160.00"', b' Total="1e3"', "bad amount in Comprobante/@Total"),
        (b' Total="1160.00"', b' Total="NaN"', "bad amount in Comprobante/@Total"),
        (b' Total="1160.00"', b' Total="1160.0000001"', "bad amount in Comprobante/@Total"),
        (b' SubTotal="1000.00"', b' SubTotal=""', "bad amount in Comprobante/@SubTotal"),
        (b'Importe="1000.00" ObjetoImp', b'Importe="-1" ObjetoImp', "negative amount in Concepto[1]/@Importe"),
        (b'Fecha="2024-03-15T10:30:00"', b'Fecha="2024-02-30T10:30:00"', "bad date in Comprobante/@Fecha"),
        (b'Fecha="2024-03-15T10:30:00"', b'Fecha="15/03/2024"', "bad date in Comprobante/@Fecha"),
        (b'Fecha="2024-03-15T10:30:00"', b'Fecha="2024-03-15T10:30:00-06:00"', "bad date"),
        (b' Fecha="2024-03-15T10:30:00"', b"", "missing required attribute Comprobante/@Fecha"),
        (b'Version="4.0"', b'Version="3.3"', "unsupported CFDI version '3.3'"),
        (b'Version="4.0"', b'version="3.2"', "unsupported CFDI version '3.2'"),
        (b'TipoDeComprobante="I"', b'TipoDeComprobante="X"', "unsupported TipoDeComprobante 'X'"),
        (b' TipoDeComprobante="I"', b"", "missing required attribute Comprobante/@TipoDeComprobante"),
        (b'Moneda="MXN"', b'Moneda="pesos"', "bad currency in Comprobante/@Moneda"),
        (b'Moneda="MXN"', b'Moneda="MXN" TipoCambio="0"', "bad exchange rate in Comprobante/@TipoCambio"),
        (b'UUID="11111111-2222-3333-4444-555555555555"', b'UUID="not-a-uuid"', "bad UUID in TimbreFiscalDigital"),
        (b'<cfdi:Emisor Rfc="EKU9003173C9"', b'<cfdi:Emisor', "missing required attribute Emisor/@Rfc"),
        (b"<cfdi:Emisor ", b"<cfdi:Otro ", "missing Emisor"),
        (b'Descripcion="SERVICIOS DE CONSULTORIA" ', b"", "missing required attribute Concepto[1]/@Descripcion"),
    ],
)
def test_invalid_content_is_rejected_with_its_reason(old: bytes, new: bytes, expected: str) -> None:
    assert expected in reason_of(mutated(old, new))


def test_the_base_document_is_fine() -> None:
    c = parse_cfdi(BASE)
    assert (c.kind, c.uuid, c.total, c.warnings) == ("I", "11111111-2222-3333-4444-555555555555", D("1160.00"), ())


def test_two_timbres_are_rejected() -> None:
    tfd = BASE[BASE.index(b"<tfd:") : BASE.index(b"</cfdi:Complemento>")]
    assert "more than one TimbreFiscalDigital" in reason_of(mutated(b"</cfdi:Complemento>", tfd + b"</cfdi:Complemento>"))


def test_total_inconsistent_with_taxes_is_a_warning() -> None:
    c = parse_cfdi(mutated(b' Total="1160.00"', b' Total="1170.00"'))
    assert c.total == D("1170.00")
    assert c.warnings == ("Total 1170.00 differs from SubTotal - Descuento + taxes = 1160.00",)


def test_several_cfdi_relacionados_blocks() -> None:
    data = invoice_xml(related=[("07", "AAAAAAAA-0000-4000-8000-000000000001"), ("04", "BBBBBBBB-0000-4000-8000-000000000002"),
                                ("07", "CCCCCCCC-0000-4000-8000-000000000003")])  # fmt: skip
    assert data.count(b"<cfdi:CfdiRelacionados ") == 2
    c = parse_cfdi(data)
    assert [(r.tipo_relacion, r.uuid) for r in c.related] == [
        ("07", "aaaaaaaa-0000-4000-8000-000000000001"),
        ("07", "cccccccc-0000-4000-8000-000000000003"),
        ("04", "bbbbbbbb-0000-4000-8000-000000000002"),
    ]


REP = payment_xml(
    [Payment(datetime(2024, 4, 1, 12, 0), [PaidDocument("AAAAAAAA-0000-4000-8000-000000000001", D("1160.00"), D("500.00"))])],
    uuid="99999999-0000-4000-8000-000000000009",
)


def test_payment_without_pagos_complement_is_rejected() -> None:
    start, end = REP.index(b"<pago20:Pagos "), REP.index(b"</pago20:Pagos>") + len(b"</pago20:Pagos>")
    assert "type P) without a Pagos complement" in reason_of(REP[:start] + REP[end:])


def test_pago_without_docto_relacionado_is_rejected() -> None:
    start = REP.index(b"<pago20:DoctoRelacionado ")
    end = REP.index(b"</pago20:DoctoRelacionado>") + len(b"</pago20:DoctoRelacionado>")
    assert reason_of(REP[:start] + REP[end:]) == "Pago[1] has no DoctoRelacionado"


def test_pagos_without_pago_is_rejected() -> None:
    start, end = REP.index(b"<pago20:Pago "), REP.index(b"</pago20:Pago>") + len(b"</pago20:Pago>")
    assert reason_of(REP[:start] + REP[end:]) == "Pagos complement without any Pago"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (b'ImpSaldoInsoluto="660.00"', b'ImpSaldoInsoluto="-660.00"', "negative amount in Pago[1]/DoctoRelacionado[1]/@ImpSaldoInsoluto"),
        (b' ImpPagado="500.00"', b"", "missing required attribute Pago[1]/DoctoRelacionado[1]/@ImpPagado"),
        (b' NumParcialidad="1"', b"", "missing required attribute Pago[1]/DoctoRelacionado[1]/@NumParcialidad"),
        (b'NumParcialidad="1"', b'NumParcialidad="0"', "bad NumParcialidad"),
        (b'Monto="500.00"', b'Monto="abc"', "bad amount in Pago[1]/@Monto"),
        (b'FechaPago="2024-04-01T12:00:00"', b'FechaPago="2024-04-01"', "bad date in Pago[1]/@FechaPago"),
        (b'IdDocumento="AAAAAAAA-0000-4000-8000-000000000001"', b'IdDocumento="123"', "bad UUID in Pago[1]/DoctoRelacionado[1]/@IdDocumento"),
        (b'EquivalenciaDR="1"', b'EquivalenciaDR="0"', "bad exchange rate in Pago[1]/DoctoRelacionado[1]/@EquivalenciaDR"),
        (b'<pago20:Pagos Version="2.0">', b'<pago20:Pagos Version="1.0">', "unsupported Pagos version '1.0'"),
    ],
)
def test_invalid_payment_content_is_rejected(old: bytes, new: bytes, expected: str) -> None:
    assert expected in reason_of(mutated(old, new, REP))


def test_payment_business_rule_slips_are_warnings() -> None:
    c = parse_cfdi(mutated(b'ImpSaldoInsoluto="660.00"', b'ImpSaldoInsoluto="600.00"', REP))
    assert c.warnings == ("DoctoRelacionado 1: ImpSaldoInsoluto 600.00 differs from ImpSaldoAnt - ImpPagado = 660.00",)
    c = parse_cfdi(mutated(b'Monto="500.00"', b'Monto="500.01"', REP))
    assert c.warnings == ("sum of ImpPagado 500.00 differs from Monto 500.01",)
    c = parse_cfdi(REP)
    assert c.warnings == () and c.payments[0].documents[0].remaining == D("660.00")


# --------------------------------------------------------------------------------------------
# generate.py round trips
# --------------------------------------------------------------------------------------------

ACME = Customer("URE180429TM6", "UNIVERSIDAD ROBOTICA ESPAÑOLA", "86991", "601", "G03")


def test_invoice_xml_round_trip() -> None:
    lines = [Line("HORA DE SOPORTE", D(3), D("850.50")), Line("TORNILLO <1/2> & TUERCA", D("2.5"), D("10.99"))]
    data = invoice_xml(uuid="A1B2C3D4-0000-4000-8000-00000000000F", issued_at=datetime(2024, 5, 2, 9, 15, 0),
                       customer=ACME, lines=lines, series="F", folio="77", metodo_pago="PPD",
                       payment_terms="CREDITO 30 DIAS")  # fmt: skip
    c = parse_cfdi(data)
    assert (c.kind, c.version, c.uuid, c.series, c.folio) == ("I", "4.0", "a1b2c3d4-0000-4000-8000-00000000000f", "F", "77")
    assert (c.issued_at, c.forma_pago, c.metodo_pago, c.condiciones_pago) == (
        datetime(2024, 5, 2, 9, 15), "99", "PPD", "CREDITO 30 DIAS"
    )  # fmt: skip
    # 3 x 850.50 = 2551.50 (IVA 408.24); 2.5 x 10.99 = 27.475 -> 27.48 (IVA 4.40)
    assert (c.subtotal, c.taxes_transferred, c.total) == (D("2578.98"), D("412.64"), D("2991.62"))
    assert [(x.description, x.quantity, x.unit_price, x.amount, x.tax_rate, x.tax_amount) for x in c.concepts] == [
        ("HORA DE SOPORTE", D(3), D("850.50"), D("2551.50"), D("0.160000"), D("408.24")),
        ("TORNILLO <1/2> & TUERCA", D("2.5"), D("10.99"), D("27.48"), D("0.160000"), D("4.40")),
    ]
    assert (c.receptor.rfc, c.receptor.name, c.receptor.postal_code, c.receptor.uso_cfdi) == (
        "URE180429TM6", "UNIVERSIDAD ROBOTICA ESPAÑOLA", "86991", "G03"
    )  # fmt: skip
    assert c.emisor.rfc == "EKU9003173C9" and c.warnings == ()
    assert invoice_xml(uuid="A1B2C3D4-0000-4000-8000-00000000000F", issued_at=datetime(2024, 5, 2, 9, 15, 0),
                       customer=ACME, lines=lines, series="F", folio="77", metodo_pago="PPD",
                       payment_terms="CREDITO 30 DIAS") == data  # fmt: skip  (deterministic)


def test_pue_and_usd_invoice() -> None:
    c = parse_cfdi(invoice_xml(metodo_pago="PUE", currency="USD", exchange_rate=D("17.1234")))
    assert (c.metodo_pago, c.forma_pago, c.currency, c.exchange_rate) == ("PUE", "03", "USD", D("17.1234"))
    assert c.uuid is not None and c.warnings == ()
    with pytest.raises(ValueError):
        invoice_xml(currency="USD")


def test_credit_note_and_substitution_round_trip() -> None:
    cn = parse_cfdi(credit_note_xml(["AAAAAAAA-0000-4000-8000-000000000001"], amount=D("100"), customer=ACME))
    assert (cn.kind, cn.metodo_pago, cn.subtotal, cn.total) == ("E", "PUE", D("100.00"), D("116.00"))
    assert [(r.tipo_relacion, r.uuid) for r in cn.related] == [("01", "aaaaaaaa-0000-4000-8000-000000000001")]
    sub = parse_cfdi(substitution_xml("BBBBBBBB-0000-4000-8000-000000000002", folio="8"))
    assert (sub.kind, sub.folio) == ("I", "8")
    assert [(r.tipo_relacion, r.uuid) for r in sub.related] == [("04", "bbbbbbbb-0000-4000-8000-000000000002")]


def test_payment_xml_round_trip_two_pagos_and_currencies() -> None:
    usd_inv = "CCCCCCCC-0000-4000-8000-000000000003"
    pagos = [
        Payment(datetime(2024, 6, 3, 11, 0), [
            PaidDocument("AAAAAAAA-0000-4000-8000-000000000001", D("1160.00"), D("1160.00"), 2, "A", "10"),
            PaidDocument("BBBBBBBB-0000-4000-8000-000000000002", D("2320.00"), D("1000.00"), 1, "A", "11"),
        ], operation_number="778899"),
        # A USD invoice paid in MXN at 17.50: EquivalenciaDR = USD per MXN.
        Payment(datetime(2024, 6, 4, 11, 0), [
            PaidDocument(usd_inv, D("116.00"), D("100.00"), 1, "A", "12", "USD", D("0.0571428571")),
        ]),
    ]  # fmt: skip
    c = parse_cfdi(payment_xml(pagos, customer=ACME, folio="5"))
    assert (c.kind, c.currency, c.total, c.receptor.uso_cfdi, c.folio) == ("P", "XXX", D(0), "CP01", "5")
    p1, p2 = c.payments
    assert (p1.amount, p1.currency, p1.exchange_rate, p1.operation_number) == (D("2160.00"), "MXN", D(1), "778899")
    assert [(d.installment, *amounts(d)) for d in p1.documents] == [
        (2, D("1160.00"), D("1160.00"), D("0.00")),
        (1, D("2320.00"), D("1000.00"), D("1320.00")),
    ]
    (d,) = p2.documents
    assert (d.uuid, d.currency, d.equivalence) == (usd_inv.lower(), "USD", D("0.0571428571"))
    assert p2.amount == D("1750.00")  # 100 / 0.0571428571 = 1750.0000004
    assert c.warnings == ()


cents = st.integers(min_value=1, max_value=10**10).map(lambda n: D(n) / 100)
quantities = st.one_of(st.integers(1, 10_000).map(D), st.integers(1, 10**6).map(lambda n: D(n) / 1000))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(quantities, cents), min_size=1, max_size=6), st.sampled_from(["PUE", "PPD"]))
def test_generated_invoice_amounts_round_trip(items: list[tuple[D, D]], metodo: str) -> None:
    lines = [Line(f"ARTICULO {i}", q, p) for i, (q, p) in enumerate(items)]
    totals = compute_totals(lines)
    c = parse_cfdi(invoice_xml(lines=lines, metodo_pago=metodo))
    assert (c.subtotal, c.taxes_transferred, c.total) == (totals.subtotal, totals.iva, totals.total)
    assert c.total == c.subtotal + c.taxes_transferred
    assert [(x.quantity, x.unit_price, x.amount, x.tax_amount) for x in c.concepts] == [
        (ln.quantity, ln.unit_price, ln.amount, ln.iva) for ln in lines
    ]
    assert all(x.tax_rate == D("0.16") for x in c.concepts)
    assert all(-x.as_tuple().exponent <= 6 for x in (c.subtotal, c.total))  # type: ignore[operator]
    assert c.warnings == ()


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(cents, st.integers(1, 100), st.integers(1, 99)), min_size=1, max_size=5))
def test_generated_payment_amounts_round_trip(docs: list[tuple[D, int, int]]) -> None:
    paid_docs = []
    for i, (balance, pct, installment) in enumerate(docs):
        paid = max(D("0.01"), (balance * pct / 100).quantize(D("0.01")))
        paid_docs.append(PaidDocument(f"AAAAAAAA-0000-4000-8000-{i:012d}", balance, min(paid, balance), installment))
    c = parse_cfdi(payment_xml([Payment(datetime(2024, 7, 1, 10, 0), paid_docs)]))
    (p,) = c.payments
    assert p.amount == sum(d.paid for d in paid_docs)
    assert [(d.uuid, d.installment, *amounts(d)) for d in p.documents] == [
        (d.uuid.lower(), d.installment, d.previous_balance, d.paid, d.remaining) for d in paid_docs
    ]
    assert all(d.remaining is not None and d.remaining >= 0 for d in p.documents)
    assert c.warnings == ()


def test_generate_set_is_deterministic_realistic_and_parses_cleanly() -> None:
    files = generate_set(42, 400)
    assert files == generate_set(42, 400)
    assert files != generate_set(43, 400)
    names = [n for n, _ in files]
    assert len(set(names)) == len(names)

    parsed = {name: parse_cfdi(data) for name, data in files}
    assert all(c.warnings == () for c in parsed.values())
    assert all(c.emisor.rfc == "EKU9003173C9" and c.uuid for c in parsed.values())
    assert len({c.uuid for c in parsed.values()}) == len(files)
    issued = [c.issued_at for c in parsed.values()]
    assert issued == sorted(issued)

    invoices = {c.uuid: c for c in parsed.values() if c.kind == "I"}
    credits = [c for c in parsed.values() if c.kind == "E"]
    reps = [c for c in parsed.values() if c.kind == "P"]
    subs = [c for c in invoices.values() if any(r.tipo_relacion == "04" for r in c.related)]
    mix = Counter((c.metodo_pago, c.currency) for c in invoices.values())
    assert len(invoices) >= 400 and mix[("PPD", "MXN")] > 100 and mix[("PUE", "MXN")] > 80
    assert mix[("PPD", "USD")] + mix[("PUE", "USD")] >= 10
    assert len(credits) >= 15 and len(reps) >= 100 and len(subs) >= 3
    assert all(inv.exchange_rate is not None for inv in invoices.values() if inv.currency == "USD")
    # Substituted invoices are never paid; substitutes point to an existing invoice.
    replaced = {r.uuid for s in subs for r in s.related}
    assert replaced <= set(invoices)

    # Customers: valid RFCs (check character included) and generic ones told apart by name.
    receptors = {(c.receptor.rfc, c.receptor.name) for c in parsed.values()}
    assert len({rfc for rfc, _ in receptors}) >= 8
    for rfc, _ in receptors:
        check = validate_rfc(rfc)
        assert check.check_ok, rfc
    generic_names = {name for rfc, name in receptors if rfc == GENERIC_RFC}
    assert len(generic_names) >= 2

    # Balances: credit notes first, then REP installments 1..k chaining ImpSaldoAnt -> ImpSaldoInsoluto.
    credit_by_invoice: dict[str, D] = defaultdict(D)
    for cn in credits:
        (rel,) = cn.related
        assert rel.tipo_relacion == "01" and rel.uuid in invoices
        credit_by_invoice[rel.uuid] += cn.total
    installments = defaultdict(list)
    for rep in reps:
        for pago in rep.payments:
            assert pago.paid_at <= rep.issued_at
            for d in pago.documents:
                installments[d.uuid].append((pago.paid_at, d))
    assert installments
    for inv_uuid, seq in installments.items():
        inv = invoices[inv_uuid]
        assert inv.metodo_pago == "PPD" and inv_uuid not in replaced
        seq.sort(key=lambda item: item[0])
        balance = inv.total - credit_by_invoice[inv_uuid]
        for k, (paid_at, d) in enumerate(seq, 1):
            assert paid_at > inv.issued_at
            assert (d.installment, d.previous_balance, d.currency) == (k, balance, inv.currency)
            assert d.remaining == d.previous_balance - d.paid >= 0
            balance = d.remaining
    assert any(seq[-1][1].remaining == 0 for seq in installments.values())
    assert any(seq[-1][1].remaining > 0 for seq in installments.values())
    assert any(len(p.documents) > 1 for rep in reps for p in rep.payments)  # one transfer, several invoices
    assert any(len(seq) == 3 for seq in installments.values())
