"""Safe, fast parsing of CFDI 3.3 / 4.0 XML into frozen dataclasses.

CFDI files come from outside (customers, suppliers, portal downloads) and are treated as hostile:

* the size is capped (``max_bytes``) before anything is parsed; files are ``stat``-ed before reading
  and never read past ``max_bytes + 1`` bytes;
* only ASCII-compatible encodings are accepted (CFDI must be UTF-8), so a plain byte scan for
  ``<!DOCTYPE`` / ``<!ENTITY`` cannot be bypassed by UTF-16 or EBCDIC tricks;
* any DTD is rejected (a billion-laughs or XXE file is refused, never expanded), both by that byte
  scan and, after parsing, by ``docinfo.doctype``;
* lxml runs with ``resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
  recover=False``: a file lxml refuses is rejected with lxml's own message, never "repaired".

Every problem raises :class:`CfdiError` with a short reason for the operator. Problems that do not
corrupt a ledger (e.g. the ImpPagado of a payment not adding up to its Monto) are reported in
``Cfdi.warnings`` instead.

No database or UI imports here: a later step maps :class:`Cfdi` into the ledger.
"""

from __future__ import annotations

import os
import re
import stat
import threading
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from lxml import etree

from arterm.domain.errors import DomainError

__all__ = [
    "DEFAULT_MAX_BYTES",
    "CfdiError",
    "Cfdi",
    "Party",
    "Receptor",
    "Related",
    "Concept",
    "Pago",
    "DoctoRelacionado",
    "parse_cfdi",
    "parse_cfdi_file",
    "NS_CFD3",
    "NS_CFD4",
    "NS_TFD",
    "NS_PAGOS10",
    "NS_PAGOS20",
]

DEFAULT_MAX_BYTES = 2 * 1024 * 1024

NS_CFD3 = "http://www.sat.gob.mx/cfd/3"
NS_CFD4 = "http://www.sat.gob.mx/cfd/4"
NS_TFD = "http://www.sat.gob.mx/TimbreFiscalDigital"
NS_PAGOS10 = "http://www.sat.gob.mx/Pagos"
NS_PAGOS20 = "http://www.sat.gob.mx/Pagos20"
NS_IMPLOCAL = "http://www.sat.gob.mx/implocal"

KINDS = frozenset({"I", "E", "P", "T", "N"})


class CfdiError(DomainError):
    """The file is not a CFDI we can safely import; ``reason`` says why, in a few words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, field="cfdi")
        self.reason = reason


# --------------------------------------------------------------------------------------------
# Result types
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Party:
    """Emisor (issuer). ``rfc`` is stripped and upper-cased; ``regimen`` is c_RegimenFiscal."""

    rfc: str
    name: str | None
    regimen: str | None


@dataclass(frozen=True)
class Receptor(Party):
    """Receptor (the customer, for receivables)."""

    postal_code: str | None = None  # DomicilioFiscalReceptor (4.0 only)
    uso_cfdi: str | None = None


@dataclass(frozen=True)
class Related:
    tipo_relacion: str  # 01 credit note, 02 debit note, 03 return, 04 substitution, 07 advance...
    uuid: str  # lower-case


@dataclass(frozen=True)
class Concept:
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal  # Importe (before discount)
    discount: Decimal  # Descuento, 0 when absent
    tax_rate: Decimal | None  # IVA (Impuesto 002) traslado TasaOCuota, e.g. 0.160000; None if none
    tax_amount: Decimal  # IVA traslado Importe, 0 when absent / exento


@dataclass(frozen=True)
class DoctoRelacionado:
    uuid: str  # IdDocumento, lower-case
    series: str | None
    folio: str | None
    currency: str  # MonedaDR
    equivalence: Decimal | None  # EquivalenciaDR (Pagos 2.0) or TipoCambioDR (Pagos 1.0)
    installment: int | None  # NumParcialidad
    previous_balance: Decimal | None  # ImpSaldoAnt (always present in Pagos 2.0)
    paid: Decimal  # ImpPagado, in MonedaDR
    remaining: Decimal | None  # ImpSaldoInsoluto (always present in Pagos 2.0)
    metodo_pago_dr: str | None = None  # MetodoDePagoDR (Pagos 1.0 only)


@dataclass(frozen=True)
class Pago:
    paid_at: datetime  # FechaPago, naive local time
    forma_pago: str  # FormaDePagoP
    currency: str  # MonedaP
    exchange_rate: Decimal | None  # TipoCambioP
    amount: Decimal  # Monto, in MonedaP
    operation_number: str | None  # NumOperacion
    documents: tuple[DoctoRelacionado, ...]

    @property
    def paid_on(self) -> date:
        return self.paid_at.date()


@dataclass(frozen=True)
class Cfdi:
    version: str  # "3.3" or "4.0"
    kind: str  # TipoDeComprobante: I, E, P, T, N
    uuid: str | None  # TimbreFiscalDigital UUID, lower-case; None when unstamped
    series: str | None
    folio: str | None
    issued_at: datetime  # Fecha, naive local time
    forma_pago: str | None
    metodo_pago: str | None  # PUE / PPD
    condiciones_pago: str | None
    currency: str  # Moneda
    exchange_rate: Decimal | None  # TipoCambio
    subtotal: Decimal
    discount: Decimal  # 0 when absent
    total: Decimal
    emisor: Party
    receptor: Receptor
    related: tuple[Related, ...]
    concepts: tuple[Concept, ...]
    taxes_transferred: Decimal  # TotalImpuestosTrasladados, 0 when absent
    taxes_withheld: Decimal  # TotalImpuestosRetenidos, 0 when absent
    payments: tuple[Pago, ...]  # only for kind "P"
    warnings: tuple[str, ...] = ()

    @property
    def issued_on(self) -> date:
        return self.issued_at.date()

    @property
    def stamped(self) -> bool:
        return self.uuid is not None


_object_new = object.__new__


def _make(cls: type, values: dict[str, object]):  # type: ignore[no-untyped-def]
    """Build a frozen dataclass without its generated ``__init__``.

    A frozen ``__init__`` sets every field through ``object.__setattr__``, which costs more than
    the XML parsing itself for a 22-field :class:`Cfdi`. ``values`` must name every field; the
    unit tests check that parsed objects survive ``dataclasses.replace`` (which calls
    ``__init__`` with all fields) unchanged.
    """
    obj = _object_new(cls)
    obj.__dict__.update(values)
    return obj


# --------------------------------------------------------------------------------------------
# Low-level checks and value parsing
# --------------------------------------------------------------------------------------------

_PARSER_LOCAL = threading.local()


def _parser() -> etree.XMLParser:
    # lxml parsers must not be used by two threads at once: keep one per thread.
    parser = getattr(_PARSER_LOCAL, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            recover=False,
            remove_comments=True,
            remove_pis=True,
            collect_ids=False,
        )
        _PARSER_LOCAL.parser = parser
    return parser


# ASCII-compatible encodings only: the byte scan for "<!DOCTYPE" relies on it.
_ALLOWED_ENCODINGS = frozenset(
    {"utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "latin1", "latin-1", "windows-1252", "cp1252"}
)
_ENCODING_DECL = re.compile(rb"(?:\xef\xbb\xbf)?<\?xml[^>]{0,200}?encoding\s*=\s*[\"']([^\"']{0,40})[\"']")

_AMOUNT = re.compile(r"\s*[0-9]{1,18}(?:\.[0-9]{1,6})?\s*")
_RATE = re.compile(r"\s*[0-9]{1,18}(?:\.[0-9]{1,10})?\s*")  # TipoCambio*, EquivalenciaDR
_DATETIME = re.compile(r"\s*[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\s*")
_UUID = re.compile(r"\s*[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\s*")
# Pagos 1.0 IdDocumento may also be the folio of an old paper/CBB document.
_ID_DOCUMENTO_OLD = re.compile(r"\s*[0-9]{3}-[0-9]{2}-[0-9]{9}\s*")
_CURRENCY = re.compile(r"\s*[A-Z]{3}\s*")
_INSTALLMENT = re.compile(r"\s*[1-9][0-9]{0,2}\s*")

_ZERO = Decimal(0)
_ONE = Decimal(1)
_CENT = Decimal("0.01")


def _precheck(data: bytes) -> None:
    """Cheap byte-level checks before lxml sees the data."""
    if not data or data.isspace():
        raise CfdiError("empty file")
    head = data[:4]
    if head[:2] in (b"\xfe\xff", b"\xff\xfe") or b"\x00" in head:
        raise CfdiError("not UTF-8: CFDI files must be UTF-8 (UTF-16/UTF-32 found)")
    m = _ENCODING_DECL.match(data)
    if m is not None:
        enc = m.group(1).decode("ascii", "replace").strip().lower()
        if enc not in _ALLOWED_ENCODINGS:
            raise CfdiError(f"unsupported encoding {enc!r}: CFDI files must be UTF-8")
    if b"<!ENTITY" in data:
        raise CfdiError("entity declarations are not allowed (<!ENTITY in a DTD)")
    if b"<!DOCTYPE" in data:
        raise CfdiError("a DTD (<!DOCTYPE) is not allowed in a CFDI")


def _missing(where: str, attr: str) -> CfdiError:
    return CfdiError(f"missing required attribute {where}/@{attr}")


# Validated amount text -> Decimal. Decimals are immutable, so sharing them is safe; the cache
# makes the frequent values ("0", "1", "0.160000", round prices...) almost free.
_DEC_CACHE: dict[str, Decimal] = {}
_DEC_CACHE_MAX = 4096


def _dec(value: str | None, where: str, attr: str, rx: re.Pattern[str] = _AMOUNT) -> Decimal:
    if rx is _AMOUNT:
        cached = _DEC_CACHE.get(value)  # type: ignore[arg-type]
        if cached is not None:
            return cached
    if value is None:
        raise _missing(where, attr)
    if rx.fullmatch(value) is None:
        text = value.strip()
        if text[:1] == "-" and rx.fullmatch(text[1:]) is not None:
            raise CfdiError(f"negative amount in {where}/@{attr}: {value!r}")
        raise CfdiError(f"bad amount in {where}/@{attr}: {value!r}")
    result = Decimal(value)
    if rx is _AMOUNT:
        if len(_DEC_CACHE) >= _DEC_CACHE_MAX:
            _DEC_CACHE.clear()
        _DEC_CACHE[value] = result
    return result


def _opt_dec(value: str | None, where: str, attr: str, rx: re.Pattern[str] = _AMOUNT) -> Decimal | None:
    if value is None:
        return None
    return _dec(value, where, attr, rx)


def _rate(value: str | None, where: str, attr: str) -> Decimal | None:
    """An optional exchange rate / equivalence: must be greater than zero when present."""
    if value is None:
        return None
    rate = _dec(value, where, attr, _RATE)
    if not rate:
        raise CfdiError(f"bad exchange rate in {where}/@{attr}: {value!r} (must be greater than zero)")
    return rate


def _datetime(value: str | None, where: str, attr: str) -> datetime:
    if value is None:
        raise _missing(where, attr)
    if _DATETIME.fullmatch(value) is not None:
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            pass
    raise CfdiError(f"bad date in {where}/@{attr}: {value!r} (expected YYYY-MM-DDThh:mm:ss)")


def _uuid(value: str | None, where: str, attr: str, *, allow_old: bool = False) -> str:
    if value is None:
        raise _missing(where, attr)
    if _UUID.fullmatch(value) is None and not (allow_old and _ID_DOCUMENTO_OLD.fullmatch(value)):
        raise CfdiError(f"bad UUID in {where}/@{attr}: {value!r}")
    return value.strip().lower()


def _currency(value: str | None, where: str, attr: str) -> str:
    if value is None:
        raise _missing(where, attr)
    if _CURRENCY.fullmatch(value) is None:
        raise CfdiError(f"bad currency in {where}/@{attr}: {value!r}")
    return value.strip()


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _required_text(value: str | None, where: str, attr: str) -> str:
    text = _text(value)
    if text is None:
        raise _missing(where, attr)
    return text


def _cents(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


# --------------------------------------------------------------------------------------------
# Tag names, computed once per namespace (no XPath: children are walked by tag)
# --------------------------------------------------------------------------------------------


class _Tags:
    __slots__ = (
        "emisor", "receptor", "conceptos", "concepto", "impuestos", "traslados", "traslado",
        "complemento", "relacionados", "relacionado",
    )  # fmt: skip

    def __init__(self, ns: str) -> None:
        q = "{%s}%%s" % ns
        self.emisor = q % "Emisor"
        self.receptor = q % "Receptor"
        self.conceptos = q % "Conceptos"
        self.concepto = q % "Concepto"
        self.impuestos = q % "Impuestos"
        self.traslados = q % "Traslados"
        self.traslado = q % "Traslado"
        self.complemento = q % "Complemento"
        self.relacionados = q % "CfdiRelacionados"
        self.relacionado = q % "CfdiRelacionado"


_ROOTS = {
    "{%s}Comprobante" % NS_CFD4: ("4.0", _Tags(NS_CFD4)),
    "{%s}Comprobante" % NS_CFD3: ("3.3", _Tags(NS_CFD3)),
}
_TFD = "{%s}TimbreFiscalDigital" % NS_TFD
_IMPLOCAL = "{%s}ImpuestosLocales" % NS_IMPLOCAL
_PAGOS = {
    "{%s}Pagos" % NS_PAGOS20: ("2.0", "{%s}Pago" % NS_PAGOS20, "{%s}DoctoRelacionado" % NS_PAGOS20),
    "{%s}Pagos" % NS_PAGOS10: ("1.0", "{%s}Pago" % NS_PAGOS10, "{%s}DoctoRelacionado" % NS_PAGOS10),
}
_PAGOS_FOR_CFDI = {"4.0": "2.0", "3.3": "1.0"}


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def parse_cfdi(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Cfdi:
    """Parse CFDI XML bytes. Raises :class:`CfdiError` with a short reason for anything wrong."""
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    elif not isinstance(data, bytes):
        raise TypeError(f"parse_cfdi expects bytes, not {type(data).__name__}")
    size = len(data)
    if size > max_bytes:
        raise CfdiError(f"file is too large: {size} bytes (limit {max_bytes})")
    _precheck(data)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise CfdiError(f"not well-formed XML: {exc.msg or exc}") from None
    except etree.LxmlError as exc:  # any other parser failure: still the file's fault
        raise CfdiError(f"not well-formed XML: {exc}") from None
    if root.getroottree().docinfo.doctype:  # defence in depth: the byte scan should catch it
        raise CfdiError("a DTD (<!DOCTYPE) is not allowed in a CFDI")
    return _comprobante(root)


def parse_cfdi_file(path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> Cfdi:
    """Parse a CFDI file: its size is checked with ``os.stat`` before reading, and at most
    ``max_bytes + 1`` bytes are ever read."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise CfdiError(f"cannot read file: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(st.st_mode):
        raise CfdiError("not a regular file")
    if st.st_size > max_bytes:
        raise CfdiError(f"file is too large: {st.st_size} bytes (limit {max_bytes})")
    try:
        # Unbuffered, and sized from stat: read(max_bytes + 1) would allocate max_bytes per file.
        with open(path, "rb", buffering=0) as fh:
            data = fh.read(st.st_size + 1)
            if len(data) > st.st_size:  # the file grew after stat: read on, up to the limit
                data += fh.read(max_bytes + 1 - len(data))
    except OSError as exc:
        raise CfdiError(f"cannot read file: {exc.strerror or exc}") from exc
    return parse_cfdi(data, max_bytes=max_bytes)


# --------------------------------------------------------------------------------------------
# Tree → dataclasses
# --------------------------------------------------------------------------------------------


def _comprobante(root: etree._Element) -> Cfdi:
    tag = root.tag
    found = _ROOTS.get(tag)
    if found is None:
        if not isinstance(tag, str):
            raise CfdiError("not a CFDI: no root element")
        ns, _, local = tag[1:].partition("}") if tag[:1] == "{" else ("", "", tag)
        if local == "Comprobante":
            raise CfdiError(
                f"not a CFDI: Comprobante in namespace {ns or '(none)'!r}, "
                "expected http://www.sat.gob.mx/cfd/4 or /cfd/3"
            )
        raise CfdiError(f"not a CFDI: root element is {local!r}, expected Comprobante")
    expected_version, T = found
    get = root.get
    W = "Comprobante"

    version = get("Version")
    if version is None:
        old = get("version")
        if old is not None:
            raise CfdiError(f"unsupported CFDI version {old.strip()!r} (only 3.3 and 4.0)")
        raise _missing(W, "Version")
    version = version.strip()
    if version != expected_version:
        raise CfdiError(
            f"unsupported CFDI version {version!r} for namespace "
            f"{'cfd/4' if expected_version == '4.0' else 'cfd/3'} (expected {expected_version})"
        )

    kind = get("TipoDeComprobante")
    if kind is None:
        raise _missing(W, "TipoDeComprobante")
    kind = kind.strip()
    if kind not in KINDS:
        raise CfdiError(f"unsupported TipoDeComprobante {kind!r} (expected I, E, P, T or N)")

    issued_at = _datetime(get("Fecha"), W, "Fecha")
    currency = _currency(get("Moneda"), W, "Moneda")
    exchange_rate = _rate(get("TipoCambio"), W, "TipoCambio")
    subtotal = _dec(get("SubTotal"), W, "SubTotal")
    discount_attr = get("Descuento")
    discount = _ZERO if discount_attr is None else _dec(discount_attr, W, "Descuento")
    total = _dec(get("Total"), W, "Total")

    warnings: list[str] = []
    emisor: Party | None = None
    receptor: Receptor | None = None
    related: list[Related] = []
    concepts: list[Concept] = []
    taxes_transferred = _ZERO
    taxes_withheld = _ZERO
    local_taxes = _ZERO
    uuid: str | None = None
    pagos_node: etree._Element | None = None
    pagos_info: tuple[str, str, str] | None = None

    # Direct children of Comprobante, dispatched by tag (no XPath: this is the hot path).
    for child in root:
        ctag = child.tag
        if ctag == T.conceptos:
            traslado_tag = T.traslado
            for n, c in enumerate(child.iterchildren(T.concepto), 1):
                concepts.append(_concept(c, f"Concepto[{n}]", traslado_tag))
        elif ctag == T.emisor:
            if emisor is not None:
                raise CfdiError("more than one Emisor")
            cg = child.get
            v1, v2 = cg("Nombre"), cg("RegimenFiscal")
            emisor = _make(Party, {
                "rfc": _required_text(cg("Rfc"), "Emisor", "Rfc").upper(),
                "name": (v1.strip() or None) if v1 else None,
                "regimen": (v2.strip() or None) if v2 else None,
            })
        elif ctag == T.receptor:
            if receptor is not None:
                raise CfdiError("more than one Receptor")
            cg = child.get
            v1, v2, v3, v4 = cg("Nombre"), cg("RegimenFiscalReceptor"), cg("DomicilioFiscalReceptor"), cg("UsoCFDI")
            receptor = _make(Receptor, {
                "rfc": _required_text(cg("Rfc"), "Receptor", "Rfc").upper(),
                "name": (v1.strip() or None) if v1 else None,
                "regimen": (v2.strip() or None) if v2 else None,
                "postal_code": (v3.strip() or None) if v3 else None,
                "uso_cfdi": (v4.strip() or None) if v4 else None,
            })
        elif ctag == T.impuestos:
            cg = child.get
            v = cg("TotalImpuestosTrasladados")
            if v is not None:
                taxes_transferred = _dec(v, "Impuestos", "TotalImpuestosTrasladados")
            v = cg("TotalImpuestosRetenidos")
            if v is not None:
                taxes_withheld = _dec(v, "Impuestos", "TotalImpuestosRetenidos")
        elif ctag == T.complemento:
            for comp in child:
                ptag = comp.tag
                if ptag == _TFD:
                    if uuid is not None:
                        raise CfdiError("more than one TimbreFiscalDigital")
                    uuid = _uuid(comp.get("UUID"), "TimbreFiscalDigital", "UUID")
                elif ptag in _PAGOS:
                    if pagos_node is not None:
                        raise CfdiError("more than one Pagos complement")
                    pagos_node, pagos_info = comp, _PAGOS[ptag]
                elif ptag == _IMPLOCAL:
                    lg = comp.get
                    local_taxes += _dec(lg("TotaldeTraslados") or "0", "ImpuestosLocales", "TotaldeTraslados")
                    local_taxes -= _dec(lg("TotaldeRetenciones") or "0", "ImpuestosLocales", "TotaldeRetenciones")
        elif ctag == T.relacionados:
            tipo = _required_text(child.get("TipoRelacion"), "CfdiRelacionados", "TipoRelacion")
            for r in child.iterchildren(T.relacionado):
                related.append(Related(tipo, _uuid(r.get("UUID"), "CfdiRelacionado", "UUID")))

    if emisor is None:
        raise CfdiError("missing Emisor")
    if receptor is None:
        raise CfdiError("missing Receptor")

    payments: tuple[Pago, ...] = ()
    if pagos_node is not None:
        assert pagos_info is not None
        if kind == "P":
            if pagos_info[0] != _PAGOS_FOR_CFDI[version]:
                warnings.append(f"Pagos {pagos_info[0]} complement in a CFDI {version}")
            payments = _pagos(pagos_node, pagos_info, warnings)
        else:
            warnings.append(f"Pagos complement ignored: the CFDI is of type {kind}, not P")
    elif kind == "P":
        raise CfdiError("payment CFDI (type P) without a Pagos complement")

    if kind != "P":
        expected = subtotal - discount + taxes_transferred - taxes_withheld + local_taxes
        if expected != total and _cents(expected) != _cents(total):
            warnings.append(f"Total {total} differs from SubTotal - Descuento + taxes = {expected}")

    v1, v2, v3, v4, v5 = get("Serie"), get("Folio"), get("FormaPago"), get("MetodoPago"), get("CondicionesDePago")
    return _make(Cfdi, {
        "version": version,
        "kind": kind,
        "uuid": uuid,
        "series": (v1.strip() or None) if v1 else None,
        "folio": (v2.strip() or None) if v2 else None,
        "issued_at": issued_at,
        "forma_pago": (v3.strip() or None) if v3 else None,
        "metodo_pago": (v4.strip() or None) if v4 else None,
        "condiciones_pago": (v5.strip() or None) if v5 else None,
        "currency": currency,
        "exchange_rate": exchange_rate,
        "subtotal": subtotal,
        "discount": discount,
        "total": total,
        "emisor": emisor,
        "receptor": receptor,
        "related": tuple(related),
        "concepts": tuple(concepts),
        "taxes_transferred": taxes_transferred,
        "taxes_withheld": taxes_withheld,
        "payments": payments,
        "warnings": tuple(warnings),
    })


def _concept(c: etree._Element, where: str, traslado_tag: str) -> Concept:
    get = c.get
    description = get("Descripcion")
    if description is None:
        raise _missing(where, "Descripcion")
    discount_attr = get("Descuento")
    tax_rate: Decimal | None = None
    tax_amount = _ZERO
    # Only Concepto/Impuestos/Traslados/Traslado carry this tag; iter() filters in C.
    for t in c.iter(traslado_tag):
        tget = t.get
        if tget("Impuesto") != "002" or tget("TipoFactor") != "Tasa":
            continue
        rate = _dec(tget("TasaOCuota"), where + "/Traslado", "TasaOCuota")
        if tax_rate is None:
            tax_rate = rate
        importe = tget("Importe")
        if importe is not None:
            tax_amount += _dec(importe, where + "/Traslado", "Importe")
    return _make(Concept, {
        "description": description.strip(),
        "quantity": _dec(get("Cantidad"), where, "Cantidad"),
        "unit_price": _dec(get("ValorUnitario"), where, "ValorUnitario"),
        "amount": _dec(get("Importe"), where, "Importe"),
        "discount": _ZERO if discount_attr is None else _dec(discount_attr, where, "Descuento"),
        "tax_rate": tax_rate,
        "tax_amount": tax_amount,
    })


def _pagos(node: etree._Element, info: tuple[str, str, str], warnings: list[str]) -> tuple[Pago, ...]:
    pagos_version, pago_tag, docto_tag = info
    v1 = pagos_version == "1.0"
    declared = _text(node.get("Version"))
    if declared != pagos_version:
        raise CfdiError(f"unsupported Pagos version {declared!r} (expected {pagos_version})")
    pago_nodes = list(node.iterchildren(pago_tag))
    if not pago_nodes:
        raise CfdiError("Pagos complement without any Pago")
    several = len(pago_nodes) > 1
    result: list[Pago] = []
    for i, p in enumerate(pago_nodes, 1):
        where = f"Pago[{i}]"
        prefix = f"Pago {i}: " if several else ""
        get = p.get
        currency = _currency(get("MonedaP"), where, "MonedaP")
        amount = _dec(get("Monto"), where, "Monto")
        docto_nodes = list(p.iterchildren(docto_tag))
        if not docto_nodes:
            raise CfdiError(f"{where} has no DoctoRelacionado")
        single = len(docto_nodes) == 1
        docs: list[DoctoRelacionado] = []
        for j, d in enumerate(docto_nodes, 1):
            dwhere = f"{where}/DoctoRelacionado[{j}]"
            dget = d.get
            dr_currency = _currency(dget("MonedaDR"), dwhere, "MonedaDR")
            equivalence = _rate(dget("TipoCambioDR" if v1 else "EquivalenciaDR"), dwhere,
                                "TipoCambioDR" if v1 else "EquivalenciaDR")
            installment_attr = dget("NumParcialidad")
            if installment_attr is None:
                if not v1:
                    raise _missing(dwhere, "NumParcialidad")
                installment = None
            elif _INSTALLMENT.fullmatch(installment_attr) is None:
                raise CfdiError(f"bad NumParcialidad in {dwhere}: {installment_attr!r}")
            else:
                installment = int(installment_attr)
            paid_attr = dget("ImpPagado")
            if paid_attr is None and v1 and single and dr_currency == currency:
                paid = amount  # Pagos 1.0: ImpPagado may be omitted, it is then the whole Monto
            else:
                paid = _dec(paid_attr, dwhere, "ImpPagado")
            if v1:
                previous = _opt_dec(dget("ImpSaldoAnt"), dwhere, "ImpSaldoAnt")
                remaining = _opt_dec(dget("ImpSaldoInsoluto"), dwhere, "ImpSaldoInsoluto")
            else:
                previous = _dec(dget("ImpSaldoAnt"), dwhere, "ImpSaldoAnt")
                remaining = _dec(dget("ImpSaldoInsoluto"), dwhere, "ImpSaldoInsoluto")
            if previous is not None and remaining is not None and previous - paid != remaining:
                warnings.append(
                    f"{prefix}DoctoRelacionado {j}: ImpSaldoInsoluto {remaining} differs from "
                    f"ImpSaldoAnt - ImpPagado = {previous - paid}"
                )
            docs.append(
                _make(DoctoRelacionado, {
                    "uuid": _uuid(dget("IdDocumento"), dwhere, "IdDocumento", allow_old=v1),
                    "series": _text(dget("Serie")),
                    "folio": _text(dget("Folio")),
                    "currency": dr_currency,
                    "equivalence": equivalence,
                    "installment": installment,
                    "previous_balance": previous,
                    "paid": paid,
                    "remaining": remaining,
                    "metodo_pago_dr": _text(dget("MetodoDePagoDR")) if v1 else None,
                })
            )
        _check_pago_sum(amount, currency, docs, prefix, warnings)
        result.append(
            _make(Pago, {
                "paid_at": _datetime(get("FechaPago"), where, "FechaPago"),
                "forma_pago": _required_text(get("FormaDePagoP"), where, "FormaDePagoP"),
                "currency": currency,
                "exchange_rate": _rate(get("TipoCambioP"), where, "TipoCambioP"),
                "amount": amount,
                "operation_number": _text(get("NumOperacion")),
                "documents": tuple(docs),
            })
        )
    return tuple(result)


def _check_pago_sum(
    amount: Decimal, currency: str, docs: list[DoctoRelacionado], prefix: str, warnings: list[str]
) -> None:
    """Warn when the ImpPagado (converted to MonedaP) do not add up to Monto.

    Without currency conversion the comparison is exact; each converted document allows one
    cent of rounding.
    """
    total = _ZERO
    converted = 0
    for d in docs:
        eq = d.equivalence
        if eq is None or eq == _ONE:
            total += d.paid
        else:
            total += d.paid / eq
            converted += 1
    if converted:
        try:
            total = _cents(total)
        except InvalidOperation:  # absurd EquivalenciaDR: more digits than Decimal keeps
            warnings.append(f"{prefix}sum of ImpPagado in {currency} cannot be compared with Monto {amount}")
            return
        if abs(total - amount) > _CENT * converted:
            warnings.append(f"{prefix}sum of ImpPagado {total} (in {currency}) differs from Monto {amount}")
    elif total != amount:
        warnings.append(f"{prefix}sum of ImpPagado {total} differs from Monto {amount}")
