"""RFC (Registro Federal de Contribuyentes) validation, per DOMAIN.md."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from .errors import DomainError

GENERIC_RFCS = frozenset({"XAXX010101000", "XEXX010101000"})
_PATTERN = re.compile(r"^([A-ZÑ&]{3,4})(\d{2})(\d{2})(\d{2})([A-Z0-9]{2})([0-9A])$")
_ALPHABET = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ Ñ"


def normalize_rfc(rfc: str) -> str:
    return (rfc or "").strip().upper().replace("-", "").replace(" ", "")


def check_character(rfc: str) -> str:
    """The check character an RFC (12 or 13 chars) should end with."""
    body = rfc[:-1].rjust(12)
    total = sum(_ALPHABET.index(ch) * (13 - i) for i, ch in enumerate(body))
    digit = (11 - total % 11) % 11
    return "A" if digit == 10 else str(digit)


@dataclass(frozen=True)
class RfcCheck:
    rfc: str
    generic: bool
    check_ok: bool  # False: well formed but the check character disagrees (a warning, not an error)
    person: bool  # persona física (13 chars)


def validate_rfc(rfc: str) -> RfcCheck:
    """Validate format and date; report (but do not reject) a wrong check character.

    Raises ``DomainError`` for a malformed RFC (length, characters, impossible date).
    """
    value = normalize_rfc(rfc)
    if value in GENERIC_RFCS:
        return RfcCheck(value, generic=True, check_ok=True, person=False)
    if len(value) not in (12, 13):
        raise DomainError(
            f"RFC {rfc!r}: must have 12 (company) or 13 (person) characters", field="rfc"
        )
    m = _PATTERN.match(value)
    if not m:
        raise DomainError(
            f"RFC {rfc!r}: expected 3-4 letters, a date YYMMDD, 2 characters and a check digit",
            field="rfc",
        )
    yy, mm, dd = int(m.group(2)), int(m.group(3)), int(m.group(4))
    try:
        date(2000 + yy, mm, dd)  # leap years repeat every 4 years; 2000 covers 1900-2099 well enough
    except ValueError:
        raise DomainError(f"RFC {rfc!r}: {m.group(2)}{m.group(3)}{m.group(4)} is not a valid date", field="rfc") from None
    return RfcCheck(value, generic=False, check_ok=check_character(value) == value[-1], person=len(value) == 13)


def clean_rfc(rfc: str, *, allow_bad_check: bool = False) -> str:
    """Validated, normalized RFC; a wrong check character is an error unless explicitly allowed."""
    result = validate_rfc(rfc)
    if not result.check_ok and not allow_bad_check:
        raise DomainError(
            f"RFC {result.rfc}: the check character should be {check_character(result.rfc)!r}; "
            "save anyway only if the SAT document shows it this way",
            field="rfc",
        )
    return result.rfc
