"""Sales tab: invoices and sales notes, newest first, with status, total and open balance."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from datetime import date
from typing import ClassVar

from rich.text import Text
from sqlalchemy.engine import Connection
from textual.binding import Binding

from arterm.queries import lists, profile
from arterm.tui.base import literal
from arterm.tui.widgets.virtual_table import Row

from ._base import Fmt, ListTab, QueryProvider

KINDS = ("invoice", "sales_note")


class SalesTab(ListTab):
    """All invoices and sales notes, newest first; ``f`` shows only those with an open balance,
    oldest due first (what a collector works through)."""

    BINDINGS: ClassVar = [Binding("f", "toggle_open", "profile.key.only_open", id="profile.sales_only_open")]

    only_open = False
    TAB_ID = "sales"
    TITLE_KEY = "profile.tab.sales"
    NUMBER = 3
    EMPTY_KEY = "profile.empty.sales"
    COLUMNS = (
        ("kind", "profile.col.kind", 13, "left"),
        ("reference", "profile.col.reference", 10, "left"),
        ("issue", "profile.col.issue_date", 10, "left"),
        ("due", "profile.col.due_date", 11, "left"),
        ("status", "profile.col.status", 14, "left"),
        ("total", "profile.col.total", 17, "right"),
        ("balance", "profile.col.open_balance", 17, "right"),
        ("contract", "profile.col.contract", 8, "left"),
    )

    def make_provider(self) -> QueryProvider:
        customer_id = self.customer_id
        only_open = self.only_open

        def count(session: Connection) -> int:
            if only_open:
                return profile.count_open_documents(session, customer_id, KINDS)
            return lists.count_documents(session, customer_id, kinds=KINDS)

        def fetch(session: Connection, offset: int, limit: int, fmt: Fmt, today: date) -> Sequence[Row]:
            rows = lists.list_documents(session, customer_id, kinds=KINDS, only_open=only_open, offset=offset,
                                        limit=limit, as_of=today)
            return [
                (r, (
                    fmt.tr(f"kind.{r.kind}"),
                    literal(r.reference),
                    fmt.day(r.issue_date),
                    fmt.day(r.due_date),
                    fmt.status(r.status, r.days_overdue),
                    fmt.money(r.total, r.currency),
                    fmt.money(r.balance, r.currency) if r.status != "cancelled" else "",
                    fmt.tr("profile.contract_ref", id=r.contract_id) if r.contract_id else "",
                ))
                for r in rows
            ]

        return QueryProvider(self.app, count, fetch, self.fmt)

    def describe(self, key: Hashable, fmt: Fmt) -> Text | None:
        if not isinstance(key, lists.DocumentRow):
            return None
        text = Text()
        text.append(f"{fmt.tr(f'kind.{key.kind}')} ", style="bold")
        text.append_text(literal(key.reference))
        if key.metodo_pago:
            text.append(f"  ·  {key.metodo_pago} {fmt.tr(f'metodo_pago.{key.metodo_pago}')}", style=fmt.muted)
        if key.cfdi_uuid:
            text.append(f"  ·  UUID {key.cfdi_uuid}", style=fmt.muted)
        if key.contract_id:
            text.append(f"  ·  {fmt.tr('profile.col.contract')} #{key.contract_id}", style=fmt.muted)
        return text

    def target(self, key: Hashable) -> tuple[str, int] | None:
        return ("document", key.id) if isinstance(key, lists.DocumentRow) else None

    async def forget(self) -> None:
        self.only_open = False
        await super().forget()

    def action_toggle_open(self) -> None:
        self.only_open = not self.only_open
        self.loaded = True
        self.table.set_provider(self.make_provider())

    def count_text(self, count: int) -> str:
        if self.only_open:
            return self.tr("profile.rows_open", n=count)
        return super().count_text(count)

    def selected_document(self) -> int | None:
        key = self.table.cursor_key if self.loaded else None
        return key.id if isinstance(key, lists.DocumentRow) else None

    def selected_row(self) -> lists.DocumentRow | None:
        key = self.table.cursor_key if self.loaded else None
        return key if isinstance(key, lists.DocumentRow) else None

    def selected_cancelled(self) -> bool:
        row = self.selected_row()
        return row is not None and row.status == "cancelled"
