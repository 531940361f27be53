"""Exact money: ``Decimal`` in Python, integer minor units (centavos) in storage.

Amounts round half-up to the currency's cents. Floats are refused on the money path.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .catalogs import MONEDA, NOT_FOR_BALANCES
from .errors import DomainError

CENT = Decimal("0.01")
CURRENCIES = ("MXN", "USD", "EUR")
MAX_CENTS = 10**15  # 10 trillion pesos: anything larger is a typo
# Far beyond any amount, quantity or rate, and small enough that products of two of them still
# quantize to cents within Decimal's 28 digits; larger inputs ("1e30") are refused as too large.
_MAX_MAGNITUDE = Decimal(10) ** 15


# An amount as a person writes it: optional sign and "$", ASCII digits with thousands separators
# in groups of three ("1,234,567.50") or none ("1234567.50"), an optional exponent ("1e3").
_NUMBER = re.compile(
    r"(?P<sign>[-+]?)\s*\$?\s*(?P<digits>(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]*)?|\.[0-9]+)"
    r"(?P<exp>[eE][-+]?[0-9]+)?",
    re.ASCII,
)
# A currency code written before or after the number: "5USD", "5 usd", "USD 5", "$5.00 MXN".
_PREFIX_CODE = re.compile(r"(?P<code>[A-Za-z]{3})\s*(?P<rest>[-+$0-9.].*)", re.ASCII | re.DOTALL)
_SUFFIX_CODE = re.compile(r"(?P<rest>.*[0-9.])\s*(?P<code>[A-Za-z]{3})", re.ASCII | re.DOTALL)


def split_currency(text: str) -> tuple[str, str | None]:
    """``"5 usd"`` → ``("5", "USD")``; ``"5"`` → ``("5", None)``. Only the outer code is split off."""
    text = text.strip()
    for rx in (_SUFFIX_CODE, _PREFIX_CODE):
        m = rx.fullmatch(text)
        if m is not None:
            return m["rest"].strip(), m["code"].upper()
    return text, None


def to_decimal(value: object, *, field: str = "amount", currency: str | None = None,
               context: str = "operation") -> Decimal:
    """Parse an amount typed by a person or read from a file into an exact ``Decimal``.

    Accepts ``Decimal``, ``int`` and strings such as ``"1,234.50"`` or ``"$1,234.50"``. Thousands
    separators must make groups of three; underscores, spaces inside the number and non-ASCII
    digits are refused. A currency code written with the amount (``"5USD"``, ``"USD 5"``) must be
    ``currency``, the currency of the ``context`` (``"payment"``, ``"invoice"``...); with no
    ``currency`` given (a quantity, a rate) any code is refused. Floats are refused: they cannot
    hold cents exactly.
    """
    if isinstance(value, bool):
        raise DomainError(f"{field}: not an amount", field=field)
    if isinstance(value, float):
        raise DomainError(f"{field}: floats are not accepted for money", field=field)
    if isinstance(value, Decimal):
        dec = value
    elif isinstance(value, int):
        dec = Decimal(value)
    elif isinstance(value, str):
        shown = " ".join(value.split())[:60]
        text, code = split_currency(value)
        if code is not None and code not in MONEDA:
            raise DomainError(f"{field}: {shown!r} is not a valid amount", field=field)
        if code is not None:
            if currency is None:
                raise DomainError(f"{field}: {shown} carries a currency; write the number alone", field=field)
            if code != currency.strip().upper():
                raise DomainError(f"{field}: {shown} is in {code} but the {context} is in {currency.strip().upper()}",
                                  field=field)
        if not text:
            raise DomainError(f"{field}: an amount is required", field=field)
        m = _NUMBER.fullmatch(text)
        if m is None:
            raise DomainError(f"{field}: {shown!r} is not a valid amount", field=field)
        try:
            dec = Decimal(m["sign"] + m["digits"].replace(",", "") + (m["exp"] or ""))
        except InvalidOperation:
            raise DomainError(f"{field}: {shown!r} is not a valid amount", field=field) from None
    else:
        raise DomainError(f"{field}: {value!r} is not a valid amount", field=field)
    if not dec.is_finite():
        raise DomainError(f"{field}: {value!r} is not a valid amount", field=field)
    if abs(dec) >= _MAX_MAGNITUDE:
        raise DomainError(f"{field}: amount is too large", field=field)
    return dec


def quantize(value: Decimal, *, field: str = "amount") -> Decimal:
    """Round half-up to cents; ``DomainError`` when the result does not fit (e.g. ``1e30``)."""
    try:
        return value.quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise DomainError(f"{field}: amount is too large", field=field) from None


def to_cents(value: object, *, field: str = "amount", currency: str | None = None,
             context: str = "operation") -> int:
    """Amount → integer centavos, rounded half-up (``currency``/``context``: see ``to_decimal``)."""
    cents = int(quantize(to_decimal(value, field=field, currency=currency, context=context)) * 100)
    if abs(cents) >= MAX_CENTS:
        raise DomainError(f"{field}: amount is too large", field=field)
    return cents


def positive_cents(value: object, *, field: str = "amount", currency: str | None = None,
                   context: str = "operation") -> int:
    cents = to_cents(value, field=field, currency=currency, context=context)
    if cents <= 0:
        raise DomainError(f"{field}: must be greater than zero", field=field)
    return cents


def from_cents(cents: int) -> Decimal:
    """Integer centavos → ``Decimal`` with two places."""
    return (Decimal(int(cents)) / 100).quantize(CENT)


def fmt_cents(cents: int) -> str:
    """Plain two-decimal string (``"1234.50"``), as used in JSON output (integer arithmetic: a
    report formats ~800,000 of them at 100k customers)."""
    if cents == 0 and type(cents) is int:
        return "0.00"  # most cells of an aging report
    units, frac = divmod(abs(int(cents)), 100)
    return f"{'-' if cents < 0 else ''}{units}.{frac:02d}"


def check_currency(code: str, *, field: str = "currency") -> str:
    """A currency a customer can owe or pay in: a SAT c_Moneda code (ISO 4217), not XXX (no
    currency), XTS (testing), metals or units of account. ``" usd "`` → ``"USD"``."""
    raw = code if isinstance(code, str) else ""
    code = raw.strip().upper()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise DomainError(f"{field}: {raw.strip()!r} is not a currency code (e.g. MXN, USD, EUR)", field=field)
    if code not in MONEDA:
        raise DomainError(f"{field}: {code} is not in the SAT catalog c_Moneda (e.g. MXN, USD, EUR)", field=field)
    if code in NOT_FOR_BALANCES:
        raise DomainError(f"{field}: {code} is not a currency documents or payments can be in", field=field)
    return code
