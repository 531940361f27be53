"""Customer commands: create, edit, assign operator, set identifier, set payment terms."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..domain import catalogs
from ..domain.errors import ConcurrencyError, DomainError, NotFound
from ..domain.money import check_currency, to_cents
from ..domain.rfc import clean_rfc, validate_rfc
from ..domain.text import clean_line, parse_emails, search_key
from ._base import T_CUSTOMER, T_OPERATOR, customer_row, next_sequence, now, operator_id, start

ADDRESS_FIELDS = ("street", "ext_number", "int_number", "colonia", "municipio", "state", "postal_code", "country")
EDITABLE = ADDRESS_FIELDS + ("name", "rfc", "phone", "emails", "tax_regime", "uso_cfdi", "language", "credit_limit", "currency")


@dataclass(frozen=True)
class Address:
    street: str = ""
    ext_number: str = ""
    int_number: str = ""
    colonia: str = ""
    municipio: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = "MEX"


def _search_text(values: dict[str, Any]) -> str:
    return search_key(values["name"], values["rfc"], values["identifier"], values["emails"].replace(",", " "), values["phone"])


def _clean_identifier(identifier: str) -> str:
    value = clean_line(identifier, field="identifier", max_len=40, required=True)
    if any(ch.isspace() for ch in value):
        raise DomainError("identifier: no spaces allowed", field="identifier")
    return value


def _check_identifier_free(session: Connection, identifier: str, *, except_id: int | None = None) -> None:
    row = session.execute(
        sa.select(T_CUSTOMER.c.id, T_CUSTOMER.c.name).where(sa.func.lower(T_CUSTOMER.c.identifier) == identifier.lower())
    ).first()
    if row is not None and row[0] != except_id:
        raise DomainError(f"identifier {identifier!r} is already used by {row[1]}", field="identifier")


def _clean_fields(changes: dict[str, Any], *, allow_bad_rfc_check: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "name":
            out["name"] = clean_line(value, field="name", max_len=300, required=True)
        elif key == "rfc":
            out["rfc"] = clean_rfc(value, allow_bad_check=allow_bad_rfc_check)
            out["rfc_check_ok"] = validate_rfc(out["rfc"]).check_ok
        elif key == "emails":
            out["emails"] = ",".join(parse_emails(value))
        elif key == "phone":
            phone = clean_line(value, field="phone", max_len=40)
            if phone and not all(ch.isdigit() or ch in "+-() ." for ch in phone):
                raise DomainError(f"phone {value!r}: only digits, spaces and + - ( ) .", field="phone")
            out["phone"] = phone
        elif key == "postal_code":
            pc = clean_line(value, field="postal_code", max_len=10)
            if pc and not (pc.isdigit() and len(pc) == 5):
                raise DomainError(f"postal code {value!r}: five digits", field="postal_code")
            out["postal_code"] = pc
        elif key in ADDRESS_FIELDS:
            out[key] = clean_line(value, field=key, max_len=200)
        elif key == "tax_regime":
            out[key] = catalogs.check_optional(value, catalogs.REGIMEN_FISCAL, "tax_regime")
        elif key == "uso_cfdi":
            out[key] = catalogs.check_optional(value, catalogs.USO_CFDI, "uso_cfdi")
        elif key == "language":
            if value not in ("es", "en"):
                raise DomainError("language: es or en", field="language")
            out[key] = value
        elif key == "credit_limit":
            # a currency code written with the limit must be the customer's currency, when it is given here
            limit_currency = check_currency(changes["currency"]) if changes.get("currency") else None
            out["credit_limit_cents"] = None if value in (None, "") else to_cents(
                value, field="credit_limit", currency=limit_currency, context="customer")
            if out["credit_limit_cents"] is not None and out["credit_limit_cents"] < 0:
                raise DomainError("credit_limit: cannot be negative", field="credit_limit")
        elif key == "currency":
            out[key] = check_currency(value)
        else:
            raise DomainError(f"{key}: not an editable customer field", field=key)
    return out


def _terms(days: Any) -> int:
    try:
        value = int(str(days).strip())
    except (TypeError, ValueError):
        raise DomainError(f"payment terms {days!r}: a whole number of days", field="payment_terms_days") from None
    if not 0 <= value <= 365:
        raise DomainError("payment terms: between 0 (contado) and 365 days", field="payment_terms_days")
    return value


def create_customer(
    session: Connection,
    *,
    actor: str,
    name: str,
    rfc: str,
    identifier: str | None = None,
    emails: str | list[str] | tuple[str, ...] = (),
    phone: str = "",
    address: Address | None = None,
    tax_regime: str = "",
    uso_cfdi: str = "",
    payment_terms_days: int = 30,
    credit_limit: Any = None,
    currency: str = "MXN",
    language: str = "es",
    assigned_to: str | None = None,
    allow_bad_rfc_check: bool = False,
) -> int:
    """Create a customer and return its id."""
    log = start(session, actor)
    address = address or Address()
    fields = _clean_fields(
        {
            "name": name, "rfc": rfc, "emails": emails, "phone": phone, "tax_regime": tax_regime,
            "uso_cfdi": uso_cfdi, "language": language, "credit_limit": credit_limit, "currency": currency,
            **{f: getattr(address, f) for f in ADDRESS_FIELDS},
        },
        allow_bad_rfc_check=allow_bad_rfc_check,
    )
    fields["payment_terms_days"] = _terms(payment_terms_days)
    if identifier:
        fields["identifier"] = _clean_identifier(identifier)
        _check_identifier_free(session, fields["identifier"])
    else:
        while True:
            candidate = f"C{next_sequence(session, 'customer_identifier'):06d}"
            try:
                _check_identifier_free(session, candidate)
                break
            except DomainError:
                continue
        fields["identifier"] = candidate
    fields["assigned_operator_id"] = operator_id(session, assigned_to) if assigned_to else None
    fields["search_text"] = _search_text(fields)
    stamp = now()
    customer_id = session.execute(
        T_CUSTOMER.insert().values(**fields, created_at=stamp, updated_at=stamp, version=1).returning(T_CUSTOMER.c.id)
    ).scalar_one()
    log(customer_id, "customer_created", detail=f"{fields['identifier']} {fields['name']}")
    if assigned_to:
        log(customer_id, "operator_assigned", detail=assigned_to)
    return int(customer_id)


def _update(session: Connection, customer_id: int, values: dict[str, Any], expected_version: int | None) -> dict[str, Any]:
    current = customer_row(session, customer_id, lock=True)
    if expected_version is not None and current.version != expected_version:
        raise ConcurrencyError("this customer was changed by someone else; reload and try again")
    merged = dict(current._mapping) | values
    values = {**values, "search_text": _search_text(merged), "updated_at": now(), "version": current.version + 1}
    result = session.execute(
        T_CUSTOMER.update().where(T_CUSTOMER.c.id == customer_id, T_CUSTOMER.c.version == current.version).values(**values)
    )
    if result.rowcount != 1:
        raise ConcurrencyError("this customer was changed by someone else; reload and try again")
    return dict(current._mapping)


def update_customer(
    session: Connection,
    *,
    actor: str,
    customer_id: int,
    expected_version: int | None = None,
    allow_bad_rfc_check: bool = False,
    **changes: Any,
) -> None:
    """Edit profile fields (name, rfc, address fields, phone, emails, tax data, language, ...)."""
    if "address" in changes:
        address = changes.pop("address")
        changes.update({f: getattr(address, f) for f in ADDRESS_FIELDS})
    log = start(session, actor)
    values = _clean_fields(changes, allow_bad_rfc_check=allow_bad_rfc_check)
    before = _update(session, customer_id, values, expected_version)
    changed = sorted(k for k, v in values.items() if before.get(k) != v and k != "rfc_check_ok")
    if changed:
        log(customer_id, "customer_updated", detail=", ".join(changed))


def assign_operator(session: Connection, *, actor: str, customer_id: int, username: str | None, expected_version: int | None = None) -> None:
    """Assign the customer to an operator (``None`` to unassign). The operator must exist."""
    log = start(session, actor)
    op_id = None
    if username:
        row = session.execute(sa.select(T_OPERATOR.c.id).where(T_OPERATOR.c.username == username)).first()
        if row is None:
            raise NotFound(f"operator {username!r} does not exist", field="operator")
        op_id = row[0]
    _update(session, customer_id, {"assigned_operator_id": op_id}, expected_version)
    log(customer_id, "operator_assigned", detail=username or "")


def set_identifier(session: Connection, *, actor: str, customer_id: int, identifier: str, expected_version: int | None = None) -> None:
    log = start(session, actor)
    value = _clean_identifier(identifier)
    _check_identifier_free(session, value, except_id=customer_id)
    before = _update(session, customer_id, {"identifier": value}, expected_version)
    log(customer_id, "identifier_set", detail=f"{before['identifier']} → {value}")


def set_payment_terms(session: Connection, *, actor: str, customer_id: int, days: Any, expected_version: int | None = None) -> None:
    log = start(session, actor)
    value = _terms(days)
    before = _update(session, customer_id, {"payment_terms_days": value}, expected_version)
    log(customer_id, "terms_set", detail=f"{before['payment_terms_days']} → {value}")


def upsert_operator(session: Connection, *, username: str, full_name: str = "", email: str = "") -> int:
    """Create or update an operator's name and email (used by config and demo)."""
    op_id = operator_id(session, username, full_name=full_name, email=email)
    values: dict[str, Any] = {}
    if full_name:
        values["full_name"] = clean_line(full_name, field="full_name", max_len=200)
    if email:
        values["email"] = parse_emails(email)[0]
    if values:
        session.execute(T_OPERATOR.update().where(T_OPERATOR.c.id == op_id).values(**values))
    return op_id
