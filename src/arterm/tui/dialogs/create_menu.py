"""``CreateMenu(customer_id)``: what to create for this customer — invoice (i), sales note (v),
contract (c) or credit note (n). It opens the matching form and dismisses with what that form
returned (the new document or contract id), or ``None`` when the operator backed out."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ..base import BaseModal
from ._form import LANGUAGE_BINDING, TLabel

CHOICES = (("i", "invoice"), ("v", "sales_note"), ("c", "contract"), ("n", "credit_note"))


class CreateMenu(BaseModal):
    CSS_PATH = "forms.tcss"
    AUTO_FOCUS = "#create-options"
    BINDINGS = [
        Binding("i", "choose('invoice')", "form.create.invoice", id="create_invoice"),
        Binding("v", "choose('sales_note')", "form.create.sales_note", id="create_sales_note"),
        Binding("c", "choose('contract')", "form.create.contract", id="create_contract"),
        Binding("n", "choose('credit_note')", "form.create.credit_note", id="create_credit_note"),
        Binding("escape", "close", "form.key.cancel", id="create_close"),
        LANGUAGE_BINDING,
    ]

    def __init__(self, customer_id: int) -> None:
        super().__init__()
        self.customer_id = customer_id

    def compose(self) -> ComposeResult:
        with Vertical(id="create-box"):
            yield TLabel("form.create.title", classes="form-title")
            yield OptionList(*self._options(), id="create-options")
            yield TLabel("form.create.hint", classes="muted")

    def _options(self) -> list[Option]:
        return [Option(f"{key}  {self.tr(f'form.create.{choice}')}", id=choice) for key, choice in CHOICES]

    def apply_language(self) -> None:
        for label in self.query(TLabel):
            label.relabel()
        options = self.query_one("#create-options", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        options.add_options(self._options())
        options.highlighted = highlighted

    @on(OptionList.OptionSelected, "#create-options")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.action_choose(event.option.id)

    def form_for(self, choice: str) -> Screen[Any] | None:
        if choice == "contract":
            try:
                from .contract_form import ContractForm
            except ImportError:
                self.notify(self.tr("form.create.contract_unavailable"), severity="error")
                return None
            return ContractForm(self.customer_id)
        from .document_form import DocumentForm

        return DocumentForm(self.customer_id, choice)  # type: ignore[arg-type]

    def action_choose(self, choice: str) -> None:
        form = self.form_for(choice)
        if form is None:
            return
        self.query_one("#create-box").display = False
        self.app.push_screen(form, self._form_done)

    def _form_done(self, result: Any) -> None:
        self.dismiss(result)

    def action_close(self) -> None:
        self.dismiss(None)
