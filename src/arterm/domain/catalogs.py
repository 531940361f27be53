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
