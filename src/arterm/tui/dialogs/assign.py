"""Assign the customer's operator (``AssignOperatorDialog``) and set its identifier
(``IdentifierDialog``). Both dismiss with ``True`` when something was saved."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Input, Select

from ... import ledger
from ...queries.customers import CustomerDetail, customer_detail
from ...queries.operators import OperatorRow, list_operators
from ..base import literal
from ..widgets.inputs import OrderedInput
from ._form import (
    FormInvalid,
    FormModal,
    TLabel,
    field_row,
    fill_loaded,
    relabel_select,
    set_select,
    value_of,
)

UNASSIGNED = "__none__"


class AssignOperatorDialog(FormModal):
    AUTO_FOCUS = "#operator"
    FIELD_ALIASES = {"operator": "operator"}

    def __init__(self, customer_id: int) -> None:
        super().__init__()
        self.customer_id = customer_id
        self.version: int | None = None
        self.operators: list[OperatorRow] = []

    def form_title(self) -> tuple[str]:
        return ("form.assign.title",)

    def compose_body(self) -> ComposeResult:
        yield TLabel("form.customer_line", id="customer-line", classes="muted", name="…")
        yield field_row("operator", "form.field.operator",
                        Select([("…", UNASSIGNED)], id="operator", allow_blank=False, compact=True))

    def read(self, session: Any) -> tuple[CustomerDetail, list[OperatorRow]]:
        return customer_detail(session, self.customer_id), list_operators(session)

    def _options(self) -> list[tuple[Any, str]]:
        options: list[tuple[Any, str]] = [(self.tr("form.assign.nobody"), UNASSIGNED)]
        for op in self.operators:
            label = op.username if not op.full_name or op.full_name == op.username else f"{op.username} · {op.full_name}"
            options.append((literal(label), op.username))  # names are data: never markup
        return options

    def loaded_data(self, data: tuple[CustomerDetail, list[OperatorRow]]) -> None:
        detail, self.operators = data
        self.version = detail.version
        self.query_one("#customer-line", TLabel).set_key("form.customer_line", name=detail.name)
        set_select(self.query_one("#operator", Select), self._options(), detail.assigned or UNASSIGNED)

    def relabel(self) -> None:
        if self.loaded:
            relabel_select(self.query_one("#operator", Select), self._options())

    def validate(self) -> str | None:
        value = value_of(self.query_one("#operator", Select), UNASSIGNED)
        return None if value == UNASSIGNED else value

    def write(self, session: Any, payload: str | None) -> bool:
        ledger.assign_operator(session, actor=self.app.operator, customer_id=self.customer_id, username=payload,
                               expected_version=self.version)
        return True

    def cancel_result(self) -> bool:
        return False


class IdentifierDialog(FormModal):
    """The customer's own short code (``C000123``, a legacy account number…); unique, no spaces."""

    AUTO_FOCUS = "#identifier"

    def __init__(self, customer_id: int) -> None:
        super().__init__()
        self.customer_id = customer_id
        self.version: int | None = None

    def form_title(self) -> tuple[str]:
        return ("form.identifier.title",)

    def compose_body(self) -> ComposeResult:
        yield TLabel("form.customer_line", id="customer-line", classes="muted", name="…")
        yield field_row("identifier", "form.field.identifier", OrderedInput(id="identifier", compact=True, max_length=40))

    def read(self, session: Any) -> CustomerDetail:
        return customer_detail(session, self.customer_id)

    def loaded_data(self, data: CustomerDetail) -> None:
        self.version = data.version
        self.query_one("#customer-line", TLabel).set_key("form.customer_line", name=data.name)
        fill_loaded(self.query_one("#identifier", Input), data.identifier)

    def validate(self) -> str:
        value = self.query_one("#identifier", Input).value.strip()
        if not value:
            raise FormInvalid({"identifier": ("form.err.required", {})})
        if any(ch.isspace() for ch in value):
            raise FormInvalid({"identifier": ("form.err.identifier_spaces", {})})
        return value

    def write(self, session: Any, payload: str) -> bool:
        ledger.set_identifier(session, actor=self.app.operator, customer_id=self.customer_id, identifier=payload,
                              expected_version=self.version)
        return True

    def cancel_result(self) -> bool:
        return False
