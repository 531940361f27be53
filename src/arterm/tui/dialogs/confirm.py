"""A yes/no question (reusable): ``ConfirmDialog(message)`` dismisses with ``True`` or ``False``."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from ..base import BaseModal, literal
from ._form import LANGUAGE_BINDING, TButton, TLabel


class ConfirmDialog(BaseModal):
    """Shows ``message`` literally (it may contain customer data) and asks to confirm.

    Keys: ``y``/``s`` (sí) or Enter on *Yes* confirm; ``n`` or Escape answer no.
    """

    CSS_PATH = "forms.tcss"
    AUTO_FOCUS = "#confirm-no"
    BINDINGS = [
        Binding("y,s", "answer(True)", "form.key.yes", id="confirm_yes"),
        Binding("n,escape", "answer(False)", "form.key.no", id="confirm_no"),
        LANGUAGE_BINDING,
    ]

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical():
            yield TLabel("form.confirm.title", classes="form-title")
            yield Static(literal(self.message), classes="confirm-message", id="confirm-message")
            with Horizontal(classes="form-buttons"):
                yield TButton("form.button.yes", id="confirm-yes", variant="error")
                yield TButton("form.button.no", id="confirm-no", variant="primary")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    def apply_language(self) -> None:
        for widget in self.query(TLabel):
            widget.relabel()
        for button in self.query(TButton):
            button.relabel()
