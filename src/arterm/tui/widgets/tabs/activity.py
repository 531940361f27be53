"""Activity tab: the customer's whole history, newest first, paged from the database."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from datetime import date

from rich.text import Text
from sqlalchemy.engine import Connection

from arterm.queries import lists, profile
from arterm.tui.base import literal
from arterm.tui.widgets.virtual_table import Row

from ._base import Fmt, ListTab, QueryProvider


def event_text(row: lists.ActivityRow, fmt: Fmt) -> Text:
    """``Pago registrado  A-12 1,000.00``: the translated kind, then the detail exactly as stored."""
    text = Text.assemble((fmt.tr(f"activity.{row.kind}"), "bold"))
    if row.detail:
        text.append("  ")
        text.append_text(literal(row.detail))
    return text


class ActivityTab(ListTab):
    TAB_ID = "activity"
    TITLE_KEY = "profile.tab.activity"
    NUMBER = 2
    EMPTY_KEY = "profile.empty.activity"
    COLUMNS = (
        ("date", "profile.col.date", 10, "left"),
        ("event", "profile.col.event", 38, "left"),
        ("doc_status", "profile.col.doc_status", 12, "left"),
        ("amount", "profile.col.amount", 17, "right"),
        ("balance", "profile.col.balance_after", 17, "right"),
        ("actor", "profile.col.actor", 10, "left"),
    )

    def make_provider(self) -> QueryProvider:
        customer_id = self.customer_id

        def count(session: Connection) -> int:
            return profile.count_activity(session, customer_id)

        def fetch(session: Connection, offset: int, limit: int, fmt: Fmt, today: date) -> Sequence[Row]:
            rows = lists.list_activity(session, customer_id, offset=offset, limit=limit, as_of=today)
            return [
                (r, (
                    fmt.day(r.on_date),
                    event_text(r, fmt),
                    fmt.status(r.document_status) if r.document_status else "",
                    fmt.money(r.amount, r.currency) if r.amount is not None and r.currency else "",
                    fmt.money(r.balance_after, r.currency) if r.balance_after is not None and r.currency else "",
                    literal(r.actor),
                ))
                for r in rows
            ]

        return QueryProvider(self.app, count, fetch, self.fmt)

    def describe(self, key: Hashable, fmt: Fmt) -> Text | None:
        if not isinstance(key, lists.ActivityRow):
            return None
        text = Text.assemble((fmt.day(key.at) + "  ", fmt.muted))
        text.append_text(event_text(key, fmt))
        if key.document_ref:
            text.append(f"  ·  {fmt.tr('profile.col.document')}: ", style=fmt.muted)
            text.append_text(literal(key.document_ref))
        if key.credit_after:
            text.append(f"  ·  {fmt.tr('profile.total.credit')}: {fmt.money(key.credit_after, key.currency)}",
                        style=fmt.muted)
        return text

    def target(self, key: Hashable) -> tuple[str, int] | None:
        if isinstance(key, lists.ActivityRow):
            if key.document_id is not None:
                return ("document", key.document_id)
            if key.payment_id is not None:
                return ("payment", key.payment_id)
        return None
