"""SAT catalogs an AR tool needs (see DOMAIN.md)."""

from __future__ import annotations

from .errors import DomainError

FORMA_PAGO = {
    "01": "Efectivo",
    "02": "Cheque nominativo",
    "03": "Transferencia electrónica de fondos",
    "04": "Tarjeta de crédito",
    "05": "Monedero electrónico",
    "06": "Dinero electrónico",
    "08": "Vales de despensa",
    "12": "Dación en pago",
    "13": "Pago por subrogación",
    "14": "Pago por consignación",
    "15": "Condonación",
    "17": "Compensación",
    "23": "Novación",
    "24": "Confusión",
    "25": "Remisión de deuda",
    "26": "Prescripción o caducidad",
    "27": "A satisfacción del acreedor",
    "28": "Tarjeta de débito",
    "29": "Tarjeta de servicios",
    "30": "Aplicación de anticipos",
    "31": "Intermediario pagos",
    "99": "Por definir",
}
METODO_PAGO = ("PUE", "PPD")
REGIMEN_FISCAL = ("601", "603", "605", "606", "607", "608", "610", "611", "612", "614", "615",
                  "616", "620", "621", "622", "623", "624", "625", "626")
USO_CFDI = tuple([f"G0{i}" for i in range(1, 4)] + [f"I0{i}" for i in range(1, 9)]
                 + [f"D{i:02d}" for i in range(1, 11)] + ["S01", "CP01", "CN01"])
# c_Moneda (SAT, CFDI 4.0): the ISO 4217 codes, including the replaced ones SAT still lists (BYR,
# MRO, STD, VEF, HRK...) and the fund / metal / special codes, plus XXX ("no currency", used by REP
# shells). See ``money.check_currency`` for the codes a balance may use.
MONEDA = frozenset({
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BHD",
    "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BYR", "BZD", "CAD", "CDF", "CHE",
    "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP",
    "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD",
    "HKD", "HNL", "HRK", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES",
    "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD",
    "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRO", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN",
    "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR",
    "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SLL", "SOS", "SRD",
    "SSP", "STD", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS",
    "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED", "VEF", "VES", "VND", "VUV", "WST", "XAF",
    "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XCD", "XDR", "XOF", "XPD", "XPF", "XPT", "XSU", "XTS", "XUA",
    "XXX", "YER", "ZAR", "ZMW", "ZWL"
})
# c_Moneda codes that are not money a customer can owe or pay: no currency (REP shells), the
# testing code, precious metals, IMF / bond-market units of account.
NOT_FOR_BALANCES = frozenset({"XXX", "XTS", "XAU", "XAG", "XPD", "XPT", "XBA", "XBB", "XBC", "XBD",
                              "XDR", "XSU", "XUA"})
DOCUMENT_KINDS = ("invoice", "sales_note", "credit_note")
PAYMENT_ORIGINS = ("manual", "cfdi_import", "direct_debit")


def check_forma_pago(code: str, *, allow_99: bool = True) -> str:
    code = (code or "").strip()
    if code.isdigit() and len(code) == 1:
        code = "0" + code
    if code not in FORMA_PAGO or (code == "99" and not allow_99):
        raise DomainError(f"forma de pago {code!r} is not in the SAT catalog c_FormaPago", field="forma_pago")
    return code


def check_metodo_pago(code: str) -> str:
    code = (code or "").strip().upper()
    if code not in METODO_PAGO:
        raise DomainError(f"método de pago {code!r} must be PUE or PPD", field="metodo_pago")
    return code


def check_optional(code: str, catalog: tuple[str, ...], field: str) -> str:
    code = (code or "").strip().upper()
    if code and code not in catalog:
        raise DomainError(f"{field} {code!r} is not in the SAT catalog", field=field)
    return code
