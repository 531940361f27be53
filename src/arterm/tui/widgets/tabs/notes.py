"""Notes tab: internal notes, newest first, with author, time and the document they belong to."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from datetime import date

from rich.text import Text
from sqlalchemy.engine import Connection

from arterm.queries import lists, profile
from arterm.tui.base import literal
from arterm.tui.widgets.virtual_table import Row

from ._base import Fmt, ListTab, QueryProvider


class NotesTab(ListTab):
    TAB_ID = "notes"
    TITLE_KEY = "profile.tab.notes"
    NUMBER = 7
    EMPTY_KEY = "profile.empty.notes"
    COLUMNS = (
        ("when", "profile.col.when", 16, "left"),
        ("author", "profile.col.author", 12, "left"),
        ("document", "profile.col.document", 10, "left"),
        ("note", "profile.col.note", 64, "left"),
    )

    def make_provider(self) -> QueryProvider:
        customer_id = self.customer_id

        def count(session: Connection) -> int:
            return profile.count_notes(session, customer_id)

        def fetch(session: Connection, offset: int, limit: int, fmt: Fmt, today: date) -> Sequence[Row]:
            rows = lists.list_notes(session, customer_id, offset=offset, limit=limit)
            return [
                (r, (fmt.day(r.created_at), literal(r.author), literal(r.document_ref), literal(r.text)))
                for r in rows
            ]

        return QueryProvider(self.app, count, fetch, self.fmt)

    def describe(self, key: Hashable, fmt: Fmt) -> Text | None:
        if not isinstance(key, lists.NoteRow):
            return None
        text = Text.assemble((f"{fmt.day(key.created_at)}  ", fmt.muted))
        text.append_text(literal(key.author, style="bold"))
        if key.document_ref:
            text.append("  ·  ", style=fmt.muted)
            text.append_text(literal(key.document_ref))
        text.append("\n")
        text.append_text(literal(key.text))  # the whole note, line breaks kept
        return text

    def target(self, key: Hashable) -> tuple[str, int] | None:
        if isinstance(key, lists.NoteRow) and key.document_id is not None:
            return ("document", key.document_id)
        return None

    def selected_document(self) -> int | None:
        return None
