"""``NoteDialog(customer_id, document_id=None)``: type an internal note; dismisses with its id."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import TextArea
from ..widgets.inputs import OrderedTextArea

from ... import ledger
from ...domain.text import clean_text
from ...queries.customers import customer_detail
from ...queries.lists import document_detail
from ._form import FieldError, FormInvalid, FormModal, TLabel

MAX_NOTE = 5000


class NoteDialog(FormModal):
    """Enter writes new lines; ctrl+s saves, Escape cancels."""

    AUTO_FOCUS = "#note-text"

    def __init__(self, customer_id: int, document_id: int | None = None) -> None:
        super().__init__()
        self.customer_id = customer_id
        self.document_id = document_id

    def form_title(self) -> tuple[str]:
        return ("form.note.title",)

    def compose_body(self) -> ComposeResult:
        yield TLabel("form.note.about", id="note-about", classes="muted", name="…", document="")
        yield OrderedTextArea(id="note-text", soft_wrap=True, show_line_numbers=False, tab_behavior="focus")
        yield FieldError("note")
        yield TLabel("form.note.hint", classes="muted")

    def read(self, session: Any) -> tuple[str, str]:
        name = customer_detail(session, self.customer_id).name
        ref = document_detail(session, self.document_id).row.reference if self.document_id is not None else ""
        return name, ref

    def loaded_data(self, data: tuple[str, str]) -> None:
        name, ref = data
        about = self.query_one("#note-about", TLabel)
        if ref:
            about.set_key("form.note.about_document", name=name, document=ref)
        else:
            about.set_key("form.note.about", name=name)

    def relabel(self) -> None:
        self.query_one("#note-text", TextArea).placeholder = self.tr("form.note.placeholder")

    def validate(self) -> str:
        text = self.query_one("#note-text", TextArea).text
        if not text.strip():
            raise FormInvalid({"note": ("form.err.required", {})})
        if len(clean_text(text, max_len=10**9)) > MAX_NOTE:
            raise FormInvalid({"note": ("form.err.too_long", {"n": MAX_NOTE})})
        return text

    def write(self, session: Any, payload: str) -> int:
        return ledger.add_note(session, actor=self.app.operator, customer_id=self.customer_id, text=payload,
                               document_id=self.document_id)
