"""Contract commands (the billing run that issues their invoices lives in ledger.billing)."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..db import tables
from ..domain import catalogs
from ..domain.errors import DomainError, NotFound
from ..domain.schedule import BILLING_DAY_IGNORED, uses_billing_day
from ..domain.money import check_currency, positive_cents, to_decimal
from ..domain.text import clean_line
from ._base import check_date, customer_row, now, start

T_CONTRACT = tables.contract
FREQUENCIES = ("weekly", "biweekly", "monthly", "bimonthly", "quarterly", "semiannual", "yearly")
CONTRACT_STATUSES = ("active", "paused", "ended")


def mask_reference(value: str) -> str:
    """Keep only the last four characters of an account or card number."""
    digits = "".join(ch for ch in (value or "") if ch.isalnum())
    if not digits:
        return ""
    return "**** " + digits[-4:]


def create_contract(
    session: Connection,
    *,
    actor: str,
    customer_id: int,
    amount: Any,
    frequency: str,
    start_date: date,
    description: str = "",
    currency: str | None = None,
    tax_rate: Any = "0.16",
    end_date: date | None = None,
    periods: int | None = None,
    billing_day: int | None = None,
    payment_terms_days: int | None = None,
    metodo_pago: str = "PPD",
    direct_debit: bool = False,
    dd_forma_pago: str = "",
    dd_reference: str = "",
) -> int:
    log = start(session, actor)
    customer = customer_row(session, customer_id)
    currency = check_currency(currency or customer.currency)
    amount_cents = positive_cents(amount, field="amount", currency=currency, context="contract")
    if frequency not in FREQUENCIES:
        raise DomainError(f"frequency must be one of {', '.join(FREQUENCIES)}", field="frequency")
    start_date = check_date(start_date, field="start date")
    if end_date is not None:
        end_date = check_date(end_date, field="end date")
        if end_date <= start_date:
            raise DomainError("the end date must be after the start date (no period starts on or after it)",
                              field="end_date")
    if periods is not None and int(periods) < 1:
        raise DomainError("number of periods must be at least 1", field="periods")
    if billing_day is not None and not 1 <= int(billing_day) <= 31:
        raise DomainError("billing day must be between 1 and 31", field="billing_day")
    if billing_day is not None and not uses_billing_day(frequency):
        raise DomainError(BILLING_DAY_IGNORED, field="billing_day")
    if payment_terms_days is not None and not 0 <= int(payment_terms_days) <= 365:
        raise DomainError("payment terms: between 0 and 365 days", field="payment_terms_days")
    rate = to_decimal(tax_rate, field="tax rate")
    if not 0 <= rate <= to_decimal("0.5"):
        raise DomainError("tax rate must be between 0 and 0.50", field="tax_rate")
    metodo_pago = catalogs.check_metodo_pago(metodo_pago)
    if direct_debit:
        dd_forma_pago = catalogs.check_forma_pago(dd_forma_pago or "04", allow_99=False)
        if dd_forma_pago not in ("03", "04", "28"):
            raise DomainError("direct debit is charged by card (04, 28) or transfer (03)", field="dd_forma_pago")
    else:
        dd_forma_pago, dd_reference = "", ""
    stamp = now()
    contract_id = session.execute(
        T_CONTRACT.insert().values(
            customer_id=customer_id, description=clean_line(description, field="description", max_len=500),
            amount_cents=amount_cents, tax_rate=str(rate), currency=currency,
            frequency=frequency, start_date=start_date, end_date=end_date, periods=periods, billing_day=billing_day,
            payment_terms_days=payment_terms_days, metodo_pago=metodo_pago, forma_pago="99" if metodo_pago == "PPD" else "03",
            direct_debit=bool(direct_debit), dd_forma_pago=dd_forma_pago, dd_reference=mask_reference(dd_reference),
            status="active", created_at=stamp, updated_at=stamp, version=1,
        ).returning(T_CONTRACT.c.id)
    ).scalar_one()
    log(customer_id, "contract_created", contract_id=contract_id, amount_cents=amount_cents,
        detail=f"#{contract_id} {frequency}")
    return int(contract_id)


def set_contract_status(session: Connection, *, actor: str, contract_id: int, status: str, reason: str = "") -> None:
    """Pause, resume (active) or end a contract."""
    log = start(session, actor)
    if status not in CONTRACT_STATUSES:
        raise DomainError(f"status must be one of {', '.join(CONTRACT_STATUSES)}", field="status")
    row = session.execute(sa.select(T_CONTRACT.c.customer_id, T_CONTRACT.c.status).where(T_CONTRACT.c.id == contract_id)
                          .with_for_update()).first()
    if row is None:
        raise NotFound(f"contract #{contract_id} does not exist", field="contract")
    if row.status == "ended":
        raise DomainError(f"contract #{contract_id} has ended", field="status")
    reason = clean_line(reason, field="reason", max_len=500, required=status != "active")
    session.execute(T_CONTRACT.update().where(T_CONTRACT.c.id == contract_id).values(
        status=status, status_reason=reason, updated_at=now(), version=T_CONTRACT.c.version + 1))
    log(row.customer_id, "contract_updated", contract_id=contract_id, detail=f"{row.status} → {status}: {reason}".strip(": "))


__all__ = ["FREQUENCIES", "create_contract", "set_contract_status", "mask_reference", "customer_row"]
