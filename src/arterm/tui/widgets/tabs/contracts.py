"""Contracts tab: frequency, amount, direct debit, next billing date and status."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from datetime import date

from rich.text import Text
from sqlalchemy.engine import Connection

from arterm.queries import profile
from arterm.tui.base import literal
from arterm.tui.widgets.virtual_table import Row

from ._base import Fmt, ListTab, QueryProvider, styled


def next_billing_cell(summary: profile.ContractSummary, fmt: Fmt, today: date) -> str | Text:
    if summary.next_billing is None:
        return fmt.tr("profile.none")
    if summary.next_billing < today:  # a period that should have been invoiced already
        return styled(fmt.tr("profile.billing_pending", date=fmt.day(summary.next_billing)), fmt.alert)
    return fmt.day(summary.next_billing)


class ContractsTab(ListTab):
    TAB_ID = "contracts"
    TITLE_KEY = "profile.tab.contracts"
    NUMBER = 4
    EMPTY_KEY = "profile.empty.contracts"
    COLUMNS = (
        ("id", "profile.col.contract", 8, "left"),
        ("description", "profile.col.description", 24, "left"),
        ("frequency", "profile.col.frequency", 11, "left"),
        ("amount", "profile.col.amount", 17, "right"),
        ("direct_debit", "profile.col.direct_debit", 12, "left"),
        ("next", "profile.col.next_billing", 23, "left"),
        ("status", "profile.col.status", 10, "left"),
    )

    def make_provider(self) -> QueryProvider:
        customer_id = self.customer_id

        def count(session: Connection) -> int:
            return profile.count_contracts(session, customer_id)

        def fetch(session: Connection, offset: int, limit: int, fmt: Fmt, today: date) -> Sequence[Row]:
            rows = profile.list_contract_summaries(session, customer_id, offset=offset, limit=limit)
            out: list[Row] = []
            for r in rows:
                c = r.contract
                out.append((r, (
                    fmt.tr("profile.contract_ref", id=c.id),
                    literal(c.description),
                    fmt.tr(f"freq.{c.frequency}"),
                    fmt.money(c.amount, c.currency),
                    fmt.tr("profile.yes") if c.direct_debit else fmt.tr("profile.no"),
                    next_billing_cell(r, fmt, today),
                    styled(fmt.tr(f"status.{c.status}"), "" if c.status == "active" else fmt.muted),
                )))
            return out

        return QueryProvider(self.app, count, fetch, self.fmt)

    def describe(self, key: Hashable, fmt: Fmt) -> Text | None:
        if not isinstance(key, profile.ContractSummary):
            return None
        c = key.contract
        text = Text.assemble((f"#{c.id} ", "bold"))
        text.append_text(literal(c.description))
        text.append(f"  ·  {fmt.tr('ui.start_date')}: {fmt.day(c.start_date)}", style=fmt.muted)
        if c.end_date:
            text.append(f"  ·  {fmt.tr('ui.end_date')}: {fmt.day(c.end_date)}", style=fmt.muted)
        if c.direct_debit:
            forma = f"{c.dd_forma_pago} {fmt.tr(f'forma_pago.{c.dd_forma_pago}')}" if c.dd_forma_pago else ""
            text.append(f"  ·  {fmt.tr('ui.direct_debit')}: {forma} ", style=fmt.muted)
            text.append_text(literal(c.dd_reference, style=fmt.muted))
        if c.status_reason:
            text.append("  ·  ", style=fmt.muted)
            text.append_text(literal(c.status_reason, style=fmt.muted))
        return text

    def target(self, key: Hashable) -> tuple[str, int] | None:
        return ("contract", key.contract.id) if isinstance(key, profile.ContractSummary) else None
