"""Payments tab: date, amount, status, REP, origin and forma de pago, newest first."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from datetime import date

from rich.text import Text
from sqlalchemy.engine import Connection

from arterm.queries import lists, profile
from arterm.tui.base import literal
from arterm.tui.widgets.virtual_table import Row

from ._base import Fmt, ListTab, QueryProvider, styled


def rep_cell(row: lists.PaymentRow, fmt: Fmt, today: date) -> str | Text:
    if row.rep_status == "pending" and row.status not in ("cancelled", "rejected"):
        deadline = row.rep_deadline or lists.rep_deadline(row.paid_on)
        text = fmt.tr("profile.rep.pending_until", date=fmt.day(deadline))
        return styled(text, fmt.alert) if deadline < today else text
    if row.rep_status == "issued" and row.rep_uuid:
        return literal(row.rep_uuid)
    return styled(fmt.tr(f"rep.{row.rep_status}"), fmt.muted)


def forma_pago(code: str, fmt: Fmt) -> str:
    return f"{code} {fmt.tr(f'forma_pago.{code}')}" if code else ""


class PaymentsTab(ListTab):
    TAB_ID = "payments"
    TITLE_KEY = "profile.tab.payments"
    NUMBER = 5
    EMPTY_KEY = "profile.empty.payments"
    COLUMNS = (
        ("date", "profile.col.date", 10, "left"),
        ("amount", "profile.col.amount", 17, "right"),
        ("status", "profile.col.status", 11, "left"),
        ("rep", "profile.col.rep", 36, "left"),
        ("origin", "profile.col.origin", 14, "left"),
        ("forma_pago", "profile.col.forma_pago", 16, "left"),
    )

    def make_provider(self) -> QueryProvider:
        customer_id = self.customer_id

        def count(session: Connection) -> int:
            return profile.count_payments(session, customer_id)

        def fetch(session: Connection, offset: int, limit: int, fmt: Fmt, today: date) -> Sequence[Row]:
            rows = lists.list_payments(session, customer_id, offset=offset, limit=limit)
            return [
                (r, (
                    fmt.day(r.paid_on),
                    fmt.money(r.amount, r.currency),
                    styled(fmt.tr(f"status.{r.status}"), fmt.muted if r.status in ("cancelled", "rejected") else ""),
                    rep_cell(r, fmt, today),
                    fmt.tr(f"origin.{r.origin}"),
                    forma_pago(r.forma_pago, fmt),
                ))
                for r in rows
            ]

        return QueryProvider(self.app, count, fetch, self.fmt)

    def describe(self, key: Hashable, fmt: Fmt) -> Text | None:
        if not isinstance(key, lists.PaymentRow):
            return None
        text = Text.assemble((f"{fmt.tr('ui.payment')} #{key.id}  ", "bold"))
        text.append(forma_pago(key.forma_pago, fmt))
        if key.reference:
            text.append(f"  ·  {fmt.tr('ui.reference')}: ", style=fmt.muted)
            text.append_text(literal(key.reference))
        if key.unapplied:
            text.append(f"  ·  {fmt.tr('ui.unapplied')}: {fmt.money(key.unapplied, key.currency)}", style=fmt.muted)
        if key.contract_id:
            text.append(f"  ·  {fmt.tr('profile.col.contract')} #{key.contract_id}", style=fmt.muted)
        return text

    def target(self, key: Hashable) -> tuple[str, int] | None:
        return ("payment", key.id) if isinstance(key, lists.PaymentRow) else None
