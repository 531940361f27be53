"""Deterministic generator of CFDI 4.0 XML, for tests and benchmarks of the importer.

Everything here is schema-shaped CFDI 4.0 with a ``TimbreFiscalDigital`` (so every document has a
UUID) but **not signed**: ``Sello``/``Certificado``/``SelloSAT`` are empty. Amounts are ``Decimal``
with 2 decimals and IVA 16 % unless a line says otherwise; the same arguments always give the same
bytes.

* :func:`invoice_xml` — factura (type I), PUE or PPD, MXN or USD (with ``TipoCambio``)
* :func:`credit_note_xml` — nota de crédito (type E, TipoRelacion 01 by default)
* :func:`payment_xml` — REP (type P) with a Pagos 2.0 complement
* :func:`substitution_xml` — type I replacing a cancelled CFDI (TipoRelacion 04)
* :func:`generate_set` — a realistic mix of all of the above for several customers
"""

from __future__ import annotations

import random
import uuid as _uuidlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from arterm.domain.rfc import check_character

__all__ = [
    "Issuer",
    "Customer",
    "Line",
    "PaidDocument",
    "Payment",
    "Totals",
    "DEFAULT_ISSUER",
    "DEFAULT_CUSTOMER",
    "GENERIC_RFC",
    "compute_totals",
    "invoice_xml",
    "credit_note_xml",
    "payment_xml",
    "substitution_xml",
    "generate_set",
    "random_rfc",
]

NS_CFD4 = "http://www.sat.gob.mx/cfd/4"
NS_TFD = "http://www.sat.gob.mx/TimbreFiscalDigital"
NS_PAGOS20 = "http://www.sat.gob.mx/Pagos20"
GENERIC_RFC = "XAXX010101000"

CENT = Decimal("0.01")
_MICRO = Decimal("0.000001")
_EQ_PLACES = Decimal("0.0000000001")
IVA16 = Decimal("0.16")
_ONE = Decimal(1)
_ZERO = Decimal(0)
_UUID_NS = _uuidlib.UUID("6f1b3c52-8a43-4d7e-9a55-2f1c9b7d0e11")


@dataclass(frozen=True)
class Issuer:
    rfc: str = "EKU9003173C9"
    name: str = "ESCUELA KEMPER URGATE"
    regimen: str = "601"
    postal_code: str = "42501"  # LugarExpedicion


@dataclass(frozen=True)
class Customer:
    rfc: str
    name: str
    postal_code: str
    regimen: str = "601"
    uso_cfdi: str = "G03"


@dataclass(frozen=True)
class Line:
    description: str
    quantity: Decimal
    unit_price: Decimal
    iva_rate: Decimal = IVA16
    clave_prod_serv: str = "81112100"
    clave_unidad: str = "E48"

    @property
    def amount(self) -> Decimal:
        return _q2(self.quantity * self.unit_price)

    @property
    def iva(self) -> Decimal:
        return _q2(self.amount * self.iva_rate)


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    iva: Decimal
    total: Decimal


@dataclass(frozen=True)
class PaidDocument:
    """One ``DoctoRelacionado`` of a REP: an invoice (partly) paid by a Pago."""

    uuid: str
    previous_balance: Decimal  # ImpSaldoAnt, in the invoice currency
    paid: Decimal  # ImpPagado, in the invoice currency
    installment: int = 1
    series: str | None = None
    folio: str | None = None
    currency: str = "MXN"  # MonedaDR
    equivalence: Decimal = _ONE  # EquivalenciaDR: units of MonedaDR per unit of MonedaP

    @property
    def remaining(self) -> Decimal:
        return self.previous_balance - self.paid

    @property
    def paid_in_payment_currency(self) -> Decimal:
        return self.paid if self.equivalence == _ONE else self.paid / self.equivalence


@dataclass(frozen=True)
class Payment:
    """One ``Pago`` node. ``amount`` (Monto) defaults to the documents' sum, in MonedaP."""

    paid_at: datetime
    documents: Sequence[PaidDocument]
    amount: Decimal | None = None
    forma_pago: str = "03"
    currency: str = "MXN"
    exchange_rate: Decimal | None = None  # TipoCambioP; written as 1 for MXN
    operation_number: str | None = None

    @property
    def monto(self) -> Decimal:
        if self.amount is not None:
            return self.amount
        return _q2(sum((d.paid_in_payment_currency for d in self.documents), _ZERO))


DEFAULT_ISSUER = Issuer()
DEFAULT_CUSTOMER = Customer("KIJ0906199R1", "KIJ, S.A DE C.V.", "59820", "601", "G03")
_DEFAULT_DATE = datetime(2024, 3, 15, 10, 30, 0)


# --------------------------------------------------------------------------------------------
# Formatting helpers
# --------------------------------------------------------------------------------------------


def _q2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _q6(value: Decimal) -> Decimal:
    return value.quantize(_MICRO, rounding=ROUND_HALF_UP)


def _m(value: Decimal) -> str:
    """Money with exactly 2 decimals."""
    return f"{_q2(value):.2f}"


def _num(value: Decimal) -> str:
    """A quantity / price as written (no exponent), at most 6 decimals."""
    if value.as_tuple().exponent < -6:  # type: ignore[operator]
        value = _q6(value)
    return format(value, "f")


def _dt(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S")


def _esc(value: str) -> str:
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("\n", "&#10;")
        .replace("\r", "&#13;")
        .replace("\t", "&#9;")
    )


def _attrs(pairs: Sequence[tuple[str, object]]) -> str:
    return "".join(f' {k}="{_esc(str(v))}"' for k, v in pairs if v is not None)


def _default_uuid(*parts: object) -> str:
    return str(_uuidlib.uuid5(_UUID_NS, "|".join(str(p) for p in parts))).upper()


def compute_totals(lines: Sequence[Line]) -> Totals:
    """SubTotal, IVA and Total exactly as :func:`invoice_xml` writes them."""
    subtotal = sum((ln.amount for ln in lines), _ZERO)
    iva = sum((ln.iva for ln in lines), _ZERO)
    return Totals(subtotal=_q2(subtotal), iva=_q2(iva), total=_q2(subtotal + iva))


# --------------------------------------------------------------------------------------------
# Document builders
# --------------------------------------------------------------------------------------------


def _document(
    *,
    kind: str,
    uuid: str,
    issued_at: datetime,
    issuer: Issuer,
    customer: Customer,
    series: str | None,
    folio: str | None,
    body: str,
    comprobante_attrs: Sequence[tuple[str, object]],
    uso_cfdi: str | None = None,
    related: Sequence[tuple[str, str]] = (),
    pagos: bool = False,
) -> bytes:
    ns = f'xmlns:cfdi="{NS_CFD4}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    schema = f"{NS_CFD4} http://www.sat.gob.mx/sitio_internet/cfd/4/cfdv40.xsd"
    if pagos:
        ns += f' xmlns:pago20="{NS_PAGOS20}"'
        schema += f" {NS_PAGOS20} http://www.sat.gob.mx/sitio_internet/cfd/Pagos/Pagos20.xsd"
    head = _attrs(
        [
            ("xsi:schemaLocation", schema),
            ("Version", "4.0"),
            ("Serie", series),
            ("Folio", folio),
            ("Fecha", _dt(issued_at)),
            ("Sello", ""),
            ("NoCertificado", "00001000000000000000"),
            ("Certificado", ""),
            *comprobante_attrs,
            ("TipoDeComprobante", kind),
            ("Exportacion", "01"),
            ("LugarExpedicion", issuer.postal_code),
        ]
    )
    out = [f'<?xml version="1.0" encoding="UTF-8"?>\n<cfdi:Comprobante {ns}{head}>\n']
    # One CfdiRelacionados block per TipoRelacion, in first-seen order.
    blocks: dict[str, list[str]] = {}
    for tipo, rel_uuid in related:
        blocks.setdefault(tipo, []).append(rel_uuid)
    for tipo, uuids in blocks.items():
        out.append(f'  <cfdi:CfdiRelacionados TipoRelacion="{_esc(tipo)}">\n')
        for rel_uuid in uuids:
            out.append(f'    <cfdi:CfdiRelacionado UUID="{_esc(rel_uuid)}"/>\n')
        out.append("  </cfdi:CfdiRelacionados>\n")
    out.append(
        "  <cfdi:Emisor"
        + _attrs([("Rfc", issuer.rfc), ("Nombre", issuer.name), ("RegimenFiscal", issuer.regimen)])
        + "/>\n"
    )
    out.append(
        "  <cfdi:Receptor"
        + _attrs(
            [
                ("Rfc", customer.rfc),
                ("Nombre", customer.name),
                ("DomicilioFiscalReceptor", customer.postal_code),
                ("RegimenFiscalReceptor", customer.regimen),
                ("UsoCFDI", uso_cfdi or customer.uso_cfdi),
            ]
        )
        + "/>\n"
    )
    out.append(body)
    stamped_at = issued_at + timedelta(minutes=2)
    out.append(
        f'    <tfd:TimbreFiscalDigital xmlns:tfd="{NS_TFD}" Version="1.1" UUID="{_esc(uuid)}"'
        f' FechaTimbrado="{_dt(stamped_at)}" RfcProvCertif="SAT970701NN3" SelloCFD=""'
        ' NoCertificadoSAT="00001000000000000000" SelloSAT=""/>\n'
    )
    out.append("  </cfdi:Complemento>\n</cfdi:Comprobante>\n")
    return "".join(out).encode("utf-8")


def _concepts_and_taxes(lines: Sequence[Line]) -> tuple[str, Totals]:
    if not lines:
        raise ValueError("a CFDI needs at least one line")
    totals = compute_totals(lines)
    out = ["  <cfdi:Conceptos>\n"]
    by_rate: dict[Decimal, tuple[Decimal, Decimal]] = {}
    for ln in lines:
        amount, iva = ln.amount, ln.iva
        rate = f"{ln.iva_rate:.6f}"
        out.append(
            "    <cfdi:Concepto"
            + _attrs(
                [
                    ("ClaveProdServ", ln.clave_prod_serv),
                    ("Cantidad", _num(ln.quantity)),
                    ("ClaveUnidad", ln.clave_unidad),
                    ("Descripcion", ln.description),
                    ("ValorUnitario", _num(ln.unit_price)),
                    ("Importe", _m(amount)),
                    ("ObjetoImp", "02"),
                ]
            )
            + ">\n      <cfdi:Impuestos>\n        <cfdi:Traslados>\n"
            f'          <cfdi:Traslado Base="{_m(amount)}" Impuesto="002" TipoFactor="Tasa"'
            f' TasaOCuota="{rate}" Importe="{_m(iva)}"/>\n'
            "        </cfdi:Traslados>\n      </cfdi:Impuestos>\n    </cfdi:Concepto>\n"
        )
        base0, iva0 = by_rate.get(ln.iva_rate, (_ZERO, _ZERO))
        by_rate[ln.iva_rate] = (base0 + amount, iva0 + iva)
    out.append("  </cfdi:Conceptos>\n")
    out.append(f'  <cfdi:Impuestos TotalImpuestosTrasladados="{_m(totals.iva)}">\n    <cfdi:Traslados>\n')
    for rate, (base, iva) in by_rate.items():
        out.append(
            f'      <cfdi:Traslado Base="{_m(base)}" Impuesto="002" TipoFactor="Tasa"'
            f' TasaOCuota="{rate:.6f}" Importe="{_m(iva)}"/>\n'
        )
    out.append("    </cfdi:Traslados>\n  </cfdi:Impuestos>\n  <cfdi:Complemento>\n")
    return "".join(out), totals


def invoice_xml(
    *,
    uuid: str | None = None,
    issued_at: datetime = _DEFAULT_DATE,
    customer: Customer = DEFAULT_CUSTOMER,
    lines: Sequence[Line] = (Line("SERVICIOS DE CONSULTORIA", Decimal(1), Decimal("1000.00")),),
    series: str | None = "A",
    folio: str | None = "1",
    metodo_pago: str = "PPD",
    forma_pago: str | None = None,
    currency: str = "MXN",
    exchange_rate: Decimal | None = None,
    payment_terms: str | None = None,
    related: Sequence[tuple[str, str]] = (),
    issuer: Issuer = DEFAULT_ISSUER,
    kind: str = "I",
) -> bytes:
    """A stamped CFDI 4.0 invoice (type I). PPD defaults to FormaPago 99, PUE to 03.

    ``related`` is a list of ``(TipoRelacion, UUID)``; USD (or any non-MXN) needs ``exchange_rate``.
    """
    if metodo_pago not in ("PUE", "PPD"):
        raise ValueError(f"metodo_pago must be PUE or PPD, not {metodo_pago!r}")
    if currency != "MXN" and exchange_rate is None:
        raise ValueError(f"an invoice in {currency} needs an exchange_rate (TipoCambio)")
    if forma_pago is None:
        forma_pago = "99" if metodo_pago == "PPD" else "03"
    if uuid is None:
        uuid = _default_uuid(kind, series, folio, issued_at, customer.rfc, customer.name)
    body, totals = _concepts_and_taxes(lines)
    attrs: list[tuple[str, object]] = [
        ("FormaPago", forma_pago),
        ("CondicionesDePago", payment_terms),
        ("SubTotal", _m(totals.subtotal)),
        ("Moneda", currency),
        ("TipoCambio", None if currency == "MXN" else _num(exchange_rate)),  # type: ignore[arg-type]
        ("Total", _m(totals.total)),
        ("MetodoPago", metodo_pago),
    ]
    return _document(
        kind=kind,
        uuid=uuid,
        issued_at=issued_at,
        issuer=issuer,
        customer=customer,
        series=series,
        folio=folio,
        body=body,
        comprobante_attrs=attrs,
        related=related,
    )


def credit_note_xml(
    related_uuids: Sequence[str],
    *,
    uuid: str | None = None,
    issued_at: datetime = _DEFAULT_DATE,
    customer: Customer = DEFAULT_CUSTOMER,
    amount: Decimal | None = None,
    lines: Sequence[Line] | None = None,
    series: str | None = "NC",
    folio: str | None = "1",
    forma_pago: str = "15",
    currency: str = "MXN",
    exchange_rate: Decimal | None = None,
    tipo_relacion: str = "01",
    issuer: Issuer = DEFAULT_ISSUER,
) -> bytes:
    """A nota de crédito (type E, PUE) related to ``related_uuids`` with ``tipo_relacion``.

    Give either ``lines`` or ``amount`` (the credit before IVA; IVA 16 % is added).
    """
    if not related_uuids:
        raise ValueError("a credit note must relate to at least one CFDI")
    if lines is None:
        if amount is None:
            raise ValueError("give the credit note's amount or lines")
        lines = (Line("BONIFICACION", Decimal(1), _q2(amount), clave_prod_serv="84111506", clave_unidad="ACT"),)
    if uuid is None:
        uuid = _default_uuid("E", series, folio, issued_at, *related_uuids)
    return invoice_xml(
        uuid=uuid,
        issued_at=issued_at,
        customer=customer,
        lines=lines,
        series=series,
        folio=folio,
        metodo_pago="PUE",
        forma_pago=forma_pago,
        currency=currency,
        exchange_rate=exchange_rate,
        related=[(tipo_relacion, u) for u in related_uuids],
        issuer=issuer,
        kind="E",
    )


def substitution_xml(replaced_uuid: str, **kwargs: object) -> bytes:
    """An invoice (type I) that replaces the cancelled ``replaced_uuid`` (TipoRelacion 04).

    Takes the same keyword arguments as :func:`invoice_xml`.
    """
    related = list(kwargs.pop("related", ()))  # type: ignore[call-overload]
    return invoice_xml(related=[("04", replaced_uuid), *related], **kwargs)  # type: ignore[arg-type]


def payment_xml(
    pagos: Sequence[Payment],
    *,
    uuid: str | None = None,
    issued_at: datetime | None = None,
    customer: Customer = DEFAULT_CUSTOMER,
    series: str | None = "P",
    folio: str | None = "1",
    issuer: Issuer = DEFAULT_ISSUER,
) -> bytes:
    """A REP: CFDI type P (Moneda XXX, totals 0, UsoCFDI CP01) with a Pagos 2.0 complement.

    Each document is taxed as IVA 16 %: BaseDR = ImpPagado / 1.16, as the usual PAC tools do.
    """
    if not pagos:
        raise ValueError("a REP needs at least one Pago")
    if issued_at is None:
        issued_at = max(p.paid_at for p in pagos) + timedelta(hours=1)
    if uuid is None:
        uuid = _default_uuid("P", series, folio, issued_at, customer.rfc, customer.name)
    pago_xml: list[str] = []
    total_mxn = _ZERO
    total_base_mxn = _ZERO
    total_iva_mxn = _ZERO
    for p in pagos:
        if not p.documents:
            raise ValueError("a Pago needs at least one document")
        rate = _ONE if p.currency == "MXN" else p.exchange_rate
        if rate is None:
            raise ValueError(f"a Pago in {p.currency} needs an exchange_rate (TipoCambioP)")
        monto = p.monto
        total_mxn += monto * rate
        docs: list[str] = []
        base_p = _ZERO
        iva_p = _ZERO
        for d in p.documents:
            if d.paid <= 0 or d.paid > d.previous_balance:
                raise ValueError(f"ImpPagado {d.paid} must be > 0 and <= ImpSaldoAnt {d.previous_balance}")
            base = _q6(d.paid / (_ONE + IVA16))
            iva = _q6(base * IVA16)
            base_p += base / d.equivalence
            iva_p += iva / d.equivalence
            docs.append(
                "        <pago20:DoctoRelacionado"
                + _attrs(
                    [
                        ("IdDocumento", d.uuid),
                        ("Serie", d.series),
                        ("Folio", d.folio),
                        ("MonedaDR", d.currency),
                        ("EquivalenciaDR", format(d.equivalence, "f")),  # up to 10 decimals
                        ("NumParcialidad", d.installment),
                        ("ImpSaldoAnt", _m(d.previous_balance)),
                        ("ImpPagado", _m(d.paid)),
                        ("ImpSaldoInsoluto", _m(d.remaining)),
                        ("ObjetoImpDR", "02"),
                    ]
                )
                + ">\n          <pago20:ImpuestosDR>\n            <pago20:TrasladosDR>\n"
                f'              <pago20:TrasladoDR BaseDR="{base}" ImpuestoDR="002" TipoFactorDR="Tasa"'
                f' TasaOCuotaDR="0.160000" ImporteDR="{iva}"/>\n'
                "            </pago20:TrasladosDR>\n          </pago20:ImpuestosDR>\n"
                "        </pago20:DoctoRelacionado>\n"
            )
        base_p, iva_p = _q6(base_p), _q6(iva_p)
        total_base_mxn += base_p * rate
        total_iva_mxn += iva_p * rate
        pago_xml.append(
            "      <pago20:Pago"
            + _attrs(
                [
                    ("FechaPago", _dt(p.paid_at)),
                    ("FormaDePagoP", p.forma_pago),
                    ("MonedaP", p.currency),
                    ("TipoCambioP", _num(rate)),
                    ("Monto", _m(monto)),
                    ("NumOperacion", p.operation_number),
                ]
            )
            + ">\n"
            + "".join(docs)
            + "        <pago20:ImpuestosP>\n          <pago20:TrasladosP>\n"
            f'            <pago20:TrasladoP BaseP="{base_p}" ImpuestoP="002" TipoFactorP="Tasa"'
            f' TasaOCuotaP="0.160000" ImporteP="{iva_p}"/>\n'
            "          </pago20:TrasladosP>\n        </pago20:ImpuestosP>\n      </pago20:Pago>\n"
        )
    body = (
        "  <cfdi:Conceptos>\n"
        '    <cfdi:Concepto ClaveProdServ="84111506" Cantidad="1" ClaveUnidad="ACT" Descripcion="Pago"'
        ' ValorUnitario="0" Importe="0" ObjetoImp="01"/>\n'
        "  </cfdi:Conceptos>\n  <cfdi:Complemento>\n"
        '    <pago20:Pagos Version="2.0">\n'
        f'      <pago20:Totales TotalTrasladosBaseIVA16="{_m(total_base_mxn)}"'
        f' TotalTrasladosImpuestoIVA16="{_m(total_iva_mxn)}" MontoTotalPagos="{_m(total_mxn)}"/>\n'
        + "".join(pago_xml)
        + "    </pago20:Pagos>\n"
    )
    return _document(
        kind="P",
        uuid=uuid,
        issued_at=issued_at,
        issuer=issuer,
        customer=customer,
        series=series,
        folio=folio,
        body=body,
        comprobante_attrs=[("SubTotal", "0"), ("Moneda", "XXX"), ("Total", "0")],
        uso_cfdi="CP01",
        pagos=True,
    )


# --------------------------------------------------------------------------------------------
# A realistic set
# --------------------------------------------------------------------------------------------

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ALNUM = "ABCDEFGHIJKLMNPQRSTUVWXYZ123456789"
_KNOWN_CUSTOMERS = (
    Customer("KIJ0906199R1", "KIJ, S.A DE C.V.", "59820", "601", "G03"),
    Customer("URE180429TM6", "UNIVERSIDAD ROBOTICA ESPAÑOLA", "86991", "601", "G03"),
    Customer("H&E951128469", "HERRERIA & ELECTRICOS", "06002", "601", "G01"),
    Customer("COSC8001137NA", "CARLOS CORTES SOTO", "52000", "612", "G03"),
    Customer("XIQB891116QE4", "BERENICE XIMO QUEZADA", "56820", "612", "G03"),
    Customer("MUÑ110218LJ6", "MUEBLES ÑANDU", "44100", "601", "G01"),
)
_COMPANY_WORDS = (
    "ABARROTES", "CONSTRUCTORA", "DISTRIBUIDORA", "FERRETERIA", "LOGISTICA", "SERVICIOS",
    "COMERCIALIZADORA", "TRANSPORTES", "INDUSTRIAS", "GRUPO", "TALLER", "CLINICA",
)  # fmt: skip
_SURNAMES = (
    "GARCIA", "HERNANDEZ", "LOPEZ", "MARTINEZ", "GONZALEZ", "PEREZ", "RODRIGUEZ", "SANCHEZ",
    "RAMIREZ", "TORRES", "FLORES", "RIVERA", "GOMEZ", "DIAZ", "MORALES", "ORTIZ",
)  # fmt: skip
_GIVEN = ("JUAN", "MARIA", "JOSE", "GUADALUPE", "LUIS", "ANA", "CARLOS", "SOFIA", "MIGUEL", "LAURA")
_PRODUCTS = (
    ("SERVICIOS DE CONSULTORIA", "81112100", "E48", 800, 25000),
    ("MANTENIMIENTO PREVENTIVO", "72101500", "E48", 500, 12000),
    ("LICENCIA DE SOFTWARE MENSUAL", "43232300", "E48", 300, 6000),
    ("TORNILLO HEXAGONAL 1/2 PULGADA", "31161500", "H87", 2, 40),
    ("CABLE CALIBRE 12 (METRO)", "26121600", "MTR", 10, 60),
    ("CAPACITACION EN SITIO", "86101700", "E48", 1500, 30000),
    ("RENTA DE EQUIPO", "80131500", "E48", 1000, 18000),
)


def random_rfc(rng: random.Random, *, person: bool = False) -> str:
    """A well-formed RFC with a correct check character (company: 12 chars, person: 13)."""
    letters = "".join(rng.choice(_LETTERS) for _ in range(4 if person else 3))
    year = rng.randrange(50, 100) if person else rng.randrange(0, 100)
    month = rng.randrange(1, 13)
    day = rng.randrange(1, 29)
    body = f"{letters}{year:02d}{month:02d}{day:02d}{rng.choice(_ALNUM)}{rng.choice(_ALNUM)}"
    return body + check_character(body + "0")


def _make_customers(rng: random.Random, count: int, our_rfc: str) -> list[Customer]:
    customers = [c for c in _KNOWN_CUSTOMERS if c.rfc != our_rfc]
    seen = {c.rfc for c in customers} | {our_rfc}
    while len(customers) < count:
        person = rng.random() < 0.3
        rfc = random_rfc(rng, person=person)
        if rfc in seen:
            continue
        seen.add(rfc)
        if person:
            name = f"{rng.choice(_GIVEN)} {rng.choice(_SURNAMES)} {rng.choice(_SURNAMES)}"
            regimen = rng.choice(("612", "626", "605"))
        else:
            name = f"{rng.choice(_COMPANY_WORDS)} {rng.choice(_SURNAMES)} {len(customers)} SA DE CV"
            regimen = rng.choice(("601", "601", "603", "626"))
        postal = f"{rng.randrange(1000, 99999):05d}"
        customers.append(Customer(rfc, name, postal, regimen, rng.choice(("G01", "G03", "G03"))))
    return customers


def _generic_customers(rng: random.Random, count: int, postal_code: str) -> list[Customer]:
    names: list[str] = []
    while len(names) < count:
        name = f"{rng.choice(_GIVEN)} {rng.choice(_SURNAMES)} {rng.choice(_SURNAMES)}"
        if name not in names:
            names.append(name)
    # Público en general: regimen 616, UsoCFDI S01, domicilio = lugar de expedición.
    return [Customer(GENERIC_RFC, n, postal_code, "616", "S01") for n in names]


@dataclass
class _Doc:
    """A document of :func:`generate_set` before its folio is known."""

    issued_at: datetime
    series: str
    uuid: str
    render: Callable[[], bytes] | None = None  # called once all folios are known
    folio: str = ""
    order: int = 0


def _split(amount: Decimal, parts: int, rng: random.Random) -> list[Decimal]:
    """Split ``amount`` (2 decimals) into ``parts`` positive amounts of at least 1 cent."""
    cents = int(amount * 100)
    parts = max(1, min(parts, cents))
    cuts = sorted(rng.sample(range(1, cents), parts - 1)) if parts > 1 else []
    bounds = [0, *cuts, cents]
    return [Decimal(bounds[i + 1] - bounds[i]) / 100 for i in range(parts)]


def generate_set(seed: int, n_invoices: int, our_rfc: str = "EKU9003173C9") -> list[tuple[str, bytes]]:
    """A deterministic, realistic year of CFDI issued by ``our_rfc``: ``[(filename, xml bytes)]``.

    The mix: PUE invoices (~40 %), PPD invoices (~60 %) paid by 1-3 REPs (some left partly paid
    or unpaid; same-day payments of one customer share a REP), credit notes (~10 %, TipoRelacion
    01), substitutions (~3 %, TipoRelacion 04, the replaced invoice never gets paid), USD invoices
    (~10 %, some paid in MXN with EquivalenciaDR), and several customers: known valid RFCs,
    random RFCs with correct check characters and público-en-general customers
    (XAXX010101000) distinguished by name. Files are ordered by issue date.
    """
    rng = random.Random(seed)
    issuer = DEFAULT_ISSUER if our_rfc == DEFAULT_ISSUER.rfc else Issuer(rfc=our_rfc, name=f"EMISOR {our_rfc}")
    named = _make_customers(rng, max(6, min(60, n_invoices // 8 + 6)), our_rfc)
    generic = _generic_customers(rng, 3, issuer.postal_code)
    start = datetime(2024, 1, 2, 9, 0, 0)
    span_minutes = 365 * 24 * 60
    issue_dates = sorted(
        start + timedelta(minutes=rng.randrange(span_minutes)) for _ in range(n_invoices)
    )

    def new_uuid() -> str:
        return str(_uuidlib.UUID(int=rng.getrandbits(128), version=4)).upper()

    docs: list[_Doc] = []
    # (customer, paid_at, pay currency, rate, PaidDocument factory inputs)
    installments: list[tuple[Customer, datetime, str, Decimal | None, _Doc, dict[str, object]]] = []

    for issued_at in issue_dates:
        issued_at = issued_at.replace(second=rng.randrange(60))
        if rng.random() < 0.12:
            customer = rng.choice(generic)
        else:
            # A few big customers get most invoices.
            idx = min(int(rng.paretovariate(1.2)) - 1, len(named) - 1)
            customer = named[idx] if rng.random() < 0.6 else rng.choice(named)
        is_generic = customer.rfc == GENERIC_RFC
        usd = not is_generic and rng.random() < 0.10
        currency = "USD" if usd else "MXN"
        rate = Decimal(rng.randrange(165000, 205000)) / 10000 if usd else None
        metodo = "PUE" if is_generic or rng.random() < 0.4 else "PPD"
        lines = []
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4))):
            desc, clave, unit, lo, hi = rng.choice(_PRODUCTS)
            price = Decimal(rng.randrange(lo * 100, hi * 100 + 1)) / 100
            if usd:
                price = _q2(price / 18)
                price = max(price, CENT)
            qty = Decimal(rng.randrange(1, 50) if unit in ("H87", "MTR") else rng.choice((1, 1, 1, 2, 3)))
            lines.append(Line(desc, qty, price, clave_prod_serv=clave, clave_unidad=unit))
        totals = compute_totals(lines)
        forma = "99" if metodo == "PPD" else rng.choice(("01", "03", "03", "04", "28"))
        terms = rng.choice(("CREDITO 15 DIAS", "CREDITO 30 DIAS", "CREDITO 30 DIAS", "CREDITO 60 DIAS")) if metodo == "PPD" else "CONTADO"

        def make_invoice(doc: _Doc, *, customer=customer, lines=lines, metodo=metodo, forma=forma,
                         currency=currency, rate=rate, terms=terms, related=()) -> bytes:  # fmt: skip
            return invoice_xml(
                uuid=doc.uuid, issued_at=doc.issued_at, customer=customer, lines=lines, series=doc.series,
                folio=doc.folio, metodo_pago=metodo, forma_pago=forma, currency=currency,
                exchange_rate=rate, payment_terms=terms, related=related, issuer=issuer,
            )  # fmt: skip

        inv = _Doc(issued_at, "A", new_uuid())
        inv.render = lambda inv=inv, mk=make_invoice: mk(inv)
        docs.append(inv)

        # A few invoices are cancelled and replaced (TipoRelacion 04); only the substitute lives on.
        if rng.random() < 0.03:
            sub = _Doc(issued_at + timedelta(days=rng.randrange(1, 4), minutes=rng.randrange(600)), "A", new_uuid())
            sub.render = lambda sub=sub, old=inv, mk=make_invoice: mk(sub, related=(("04", old.uuid),))
            docs.append(sub)
            inv = sub

        balance = totals.total
        last_date = inv.issued_at
        if not is_generic and rng.random() < 0.10:
            credit = _q2(totals.subtotal * Decimal(rng.randrange(5, 21)) / 100)
            credit = max(credit, CENT)
            if _q2(credit * (1 + IVA16)) < balance:
                cn_date = inv.issued_at + timedelta(days=rng.randrange(1, 15), minutes=rng.randrange(600))
                cn = _Doc(cn_date, "NC", new_uuid())

                def make_cn(cn: _Doc = cn, inv: _Doc = inv, credit: Decimal = credit, customer=customer,
                            currency=currency, rate=rate) -> bytes:  # fmt: skip
                    return credit_note_xml(
                        [inv.uuid], uuid=cn.uuid, issued_at=cn.issued_at, customer=customer, amount=credit,
                        series=cn.series, folio=cn.folio, currency=currency, exchange_rate=rate, issuer=issuer,
                    )  # fmt: skip

                cn.render = make_cn
                docs.append(cn)
                balance -= compute_totals([Line("BONIFICACION", Decimal(1), credit)]).total
                last_date = cn_date

        if metodo != "PPD":
            continue
        roll = rng.random()
        if roll < 0.12:
            continue  # not paid yet
        parts = rng.choice((1, 1, 1, 2, 2, 3))
        amounts = _split(balance, parts if roll >= 0.27 else max(parts, 2), rng)
        if roll < 0.27:
            amounts = amounts[:-1]  # partly paid: the last part is still owed
        paid_at = max(last_date, inv.issued_at) + timedelta(days=rng.randrange(5, 45))
        previous = balance
        for k, part in enumerate(amounts, 1):
            paid_at = paid_at.replace(hour=rng.randrange(9, 19), minute=rng.randrange(60), second=0)
            pay_currency, pay_rate = currency, rate
            if usd:
                pay_rate = Decimal(rng.randrange(165000, 205000)) / 10000
                if rng.random() < 0.3:
                    pay_currency = "MXN"
            installments.append(
                (customer, paid_at, pay_currency, pay_rate, inv,
                 {"installment": k, "previous": previous, "paid": part, "currency": currency})
            )  # fmt: skip
            previous -= part
            paid_at += timedelta(days=rng.randrange(7, 35))

    # One REP per (customer, day, payment currency); one Pago in it, one document per invoice.
    groups: dict[tuple[str, str, object, str], list] = {}
    for inst in installments:
        customer, paid_at, pay_currency = inst[0], inst[1], inst[2]
        key = (customer.rfc, customer.name, paid_at.date(), pay_currency)
        groups.setdefault(key, []).append(inst)
    for group in groups.values():
        customer, paid_at, pay_currency, pay_rate = group[0][0], group[0][1], group[0][2], group[0][3]
        forma = rng.choice(("03", "03", "03", "02", "04"))
        issued = paid_at + timedelta(days=rng.randrange(0, 4), hours=rng.randrange(1, 6))
        rep = _Doc(issued, "P", new_uuid())
        op = str(rng.randrange(10**6, 10**9))

        def make_rep(rep: _Doc = rep, group=group, customer=customer, paid_at=paid_at,
                     pay_currency=pay_currency, pay_rate=pay_rate, forma=forma, op=op) -> bytes:  # fmt: skip
            paid_docs = []
            for _c, _d, _pc, doc_rate, inv, info in group:
                dr_currency = info["currency"]
                if dr_currency == pay_currency:
                    eq = _ONE
                else:  # a USD invoice paid in MXN: EquivalenciaDR = USD per MXN
                    eq = (_ONE / doc_rate).quantize(_EQ_PLACES, rounding=ROUND_HALF_UP)  # type: ignore[operator]
                paid_docs.append(
                    PaidDocument(
                        uuid=inv.uuid, previous_balance=info["previous"], paid=info["paid"],  # type: ignore[arg-type]
                        installment=info["installment"], series=inv.series, folio=inv.folio,  # type: ignore[arg-type]
                        currency=dr_currency, equivalence=eq,  # type: ignore[arg-type]
                    )  # fmt: skip
                )
            pago = Payment(
                paid_at=paid_at, documents=paid_docs, forma_pago=forma, currency=pay_currency,
                exchange_rate=None if pay_currency == "MXN" else pay_rate, operation_number=op,
            )  # fmt: skip
            return payment_xml(
                [pago], uuid=rep.uuid, issued_at=rep.issued_at, customer=customer,
                series=rep.series, folio=rep.folio, issuer=issuer,
            )  # fmt: skip

        rep.render = make_rep
        docs.append(rep)

    # Folios follow issue order within each series.
    for i, doc in enumerate(docs):
        doc.order = i
    docs.sort(key=lambda d: (d.issued_at, d.order))
    counters: dict[str, int] = {}
    for doc in docs:
        counters[doc.series] = counters.get(doc.series, 0) + 1
        doc.folio = str(counters[doc.series])
    out: list[tuple[str, bytes]] = []
    for doc in docs:
        assert doc.render is not None
        out.append((f"{doc.series}{int(doc.folio):06d}_{doc.uuid.lower()}.xml", doc.render()))
    return out
