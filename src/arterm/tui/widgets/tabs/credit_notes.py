"""Credit notes tab: issue and due date, CFDI UUID, total and what each note was applied to."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from datetime import date

from rich.text import Text
from sqlalchemy.engine import Connection

from arterm.queries import lists, profile
from arterm.tui.base import literal
from arterm.tui.widgets.virtual_table import Row

from ._base import Fmt, ListTab, QueryProvider, styled


def applied_text(row: profile.CreditNoteRow, fmt: Fmt, *, full: bool = False) -> Text:
    """``A-1 200.00, A-2 50.00`` (active applications; reversed ones only in the full text),
    then what is left unapplied."""
    doc = row.document
    if doc.status == "cancelled":
        text = Text.assemble((fmt.tr("profile.cn.cancelled"), fmt.muted))
        if not full:
            return text
        text.append("  ")
    else:
        text = Text()
    parts = [a for a in row.applications if full or a.reversed_on is None]
    for i, a in enumerate(parts):
        if i:
            text.append(", ")
        text.append_text(literal(a.document_ref))
        text.append(f" {fmt.amount(a.amount)}")
        if a.reversed_on is not None:
            text.append(f" ({fmt.tr('profile.cn.reversed')} {fmt.day(a.reversed_on)})", style=fmt.muted)
    if doc.status != "cancelled" and doc.balance > 0:
        if parts:
            text.append("; ")
        text.append(fmt.tr("profile.cn.unapplied", amount=fmt.money(doc.balance, doc.currency)), style=fmt.muted)
    return text


class CreditNotesTab(ListTab):
    TAB_ID = "credit_notes"
    TITLE_KEY = "profile.tab.credit_notes"
    NUMBER = 6
    EMPTY_KEY = "profile.empty.credit_notes"
    COLUMNS = (
        ("issue", "profile.col.issue_date", 10, "left"),
        ("reference", "profile.col.reference", 9, "left"),
        ("due", "profile.col.due_date", 11, "left"),
        ("uuid", "profile.col.uuid", 36, "left"),
        ("total", "profile.col.total", 17, "right"),
        ("applied", "profile.col.applied_to", 20, "left"),
    )

    def make_provider(self) -> QueryProvider:
        customer_id = self.customer_id

        def count(session: Connection) -> int:
            return lists.count_documents(session, customer_id, kinds=("credit_note",))

        def fetch(session: Connection, offset: int, limit: int, fmt: Fmt, today: date) -> Sequence[Row]:
            rows = profile.list_credit_notes(session, customer_id, as_of=today, offset=offset, limit=limit)
            out: list[Row] = []
            for r in rows:
                d = r.document
                out.append((r, (
                    fmt.day(d.issue_date),
                    literal(d.reference),
                    fmt.day(d.due_date),
                    literal(d.cfdi_uuid or fmt.tr("profile.none")),
                    styled(fmt.money(d.total, d.currency), fmt.muted if d.status == "cancelled" else ""),
                    applied_text(r, fmt),
                )))
            return out

        return QueryProvider(self.app, count, fetch, self.fmt)

    def describe(self, key: Hashable, fmt: Fmt) -> Text | None:
        if not isinstance(key, profile.CreditNoteRow):
            return None
        text = Text.assemble((f"{fmt.tr('kind.credit_note')} ", "bold"))
        text.append_text(literal(key.document.reference))
        text.append(f"  {fmt.tr('profile.col.applied_to')}: ", style=fmt.muted)
        text.append_text(applied_text(key, fmt, full=True) or Text(fmt.tr("profile.cn.nothing")))
        return text

    def target(self, key: Hashable) -> tuple[str, int] | None:
        return ("document", key.document.id) if isinstance(key, profile.CreditNoteRow) else None

    def selected_document(self) -> int | None:
        key = self.table.cursor_key if self.loaded else None
        return key.document.id if isinstance(key, profile.CreditNoteRow) else None

    def selected_cancelled(self) -> bool:
        key = self.table.cursor_key if self.loaded else None
        return isinstance(key, profile.CreditNoteRow) and key.document.status == "cancelled"
