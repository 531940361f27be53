"""``CustomerForm(customer_id | None)``: edit a customer's profile, or create one.

RFC: a malformed RFC is refused next to the field; a well-formed RFC whose check character
disagrees shows a warning and a "save anyway" checkbox (a small fraction of real RFCs carry a
wrong check character) — only with the box ticked is it saved (``allow_bad_rfc_check=True``).
Editing sends only the fields that changed, with the version read when the form opened: if
someone else saved the customer meanwhile the ledger refuses (``ConcurrencyError``) and the form
offers to reload.
"""

from __future__ import annotations

import re
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Checkbox, Input, Select

from ... import ledger
from ...domain import catalogs
from ...domain.errors import ConcurrencyError, DomainError
from ...domain.rfc import check_character, normalize_rfc, validate_rfc
from ...domain.text import validate_email
from ...queries.customers import CustomerDetail, customer_detail
from ..widgets.checkbox import StateCheckbox
from ..widgets.inputs import OrderedInput
from ._form import (
    FormModal,
    Message,
    Problems,
    TLabel,
    explain,
    field_row,
    fill_loaded,
    relabel_select,
    value_of,
)

_RFC_SHAPE = re.compile(r"^[A-ZÑ&]{3,4}\d{6}[A-Z0-9]{2}[0-9A]$")
ADDRESS = ("street", "ext_number", "int_number", "colonia", "municipio", "state", "postal_code", "country")
TEXT_FIELDS = ("name", "rfc", "emails", "phone") + ADDRESS
NONE = ""


def rfc_problem(text: str) -> tuple[str, dict[str, Any]] | None:
    """A translated reason why an RFC is malformed, or None when it is well formed."""
    value = normalize_rfc(text)
    if not value:
        return ("form.err.required", {})
    try:
        validate_rfc(value)
    except DomainError:
        if len(value) not in (12, 13):
            return ("form.err.rfc_length", {"value": value, "n": len(value)})
        if not _RFC_SHAPE.match(value):
            return ("form.err.rfc_format", {"value": value})
        return ("form.err.rfc_date", {"value": value, "date": value[-9:-3]})
    return None


def rfc_check_mismatch(text: str) -> str | None:
    """The expected check character when a well-formed RFC ends with another one."""
    value = normalize_rfc(text)
    if rfc_problem(value) is not None:
        return None
    return None if validate_rfc(value).check_ok else check_character(value)


def split_emails(text: str) -> list[str]:
    return [item for item in re.split(r"[,;\s]+", text or "") if item.strip()]


class CustomerForm(FormModal):
    AUTO_FOCUS = "#name"
    BINDINGS = [Binding("ctrl+r", "reload", "form.key.reload", id="form_reload")]
    FIELD_ALIASES = {"payment_terms_days": "payment_terms", "credit_limit": "form", "currency": "form"}

    def __init__(self, customer_id: int | None) -> None:
        super().__init__()
        self.customer_id = customer_id
        self.detail: CustomerDetail | None = None

    # -- layout -------------------------------------------------------------------------------
    def form_title(self) -> tuple[str]:
        return ("form.customer.title_edit" if self.customer_id is not None else "form.customer.title_new",)

    def _select(self, id: str, options: list[tuple[str, str]], *, blank: bool = True) -> Select[str]:
        return Select(options, id=id, allow_blank=blank, compact=True, prompt="—")

    def compose_body(self) -> ComposeResult:
        def text(name: str, **kw: Any) -> Input:
            return OrderedInput(id=name, compact=True, **kw)

        with VerticalScroll(classes="form-body"):
            yield field_row("name", "form.field.name", text("name", max_length=300))
            yield field_row("rfc", "form.field.rfc", text("rfc", max_length=20))
            yield TLabel("form.customer.rfc_check", id="rfc-warning", classes="field-warning", expected="")
            yield StateCheckbox(id="rfc-override", compact=True)
            yield field_row("emails", "form.field.emails", text("emails"))
            with Vertical(classes="field-grid"):
                yield field_row("phone", "form.field.phone", text("phone", max_length=40))
                yield field_row("language", "form.field.language",
                                self._select("language", self._language_options(), blank=False))
            yield field_row("street", "form.field.street", text("street", max_length=200))
            with Vertical(classes="field-grid"):
                yield field_row("ext_number", "form.field.ext_number", text("ext_number", max_length=200))
                yield field_row("int_number", "form.field.int_number", text("int_number", max_length=200))
                yield field_row("colonia", "form.field.colonia", text("colonia", max_length=200))
                yield field_row("municipio", "form.field.municipio", text("municipio", max_length=200))
                yield field_row("state", "form.field.state", text("state", max_length=200))
                yield field_row("postal_code", "form.field.postal_code", text("postal_code", max_length=10))
                yield field_row("country", "form.field.country", text("country", max_length=200, value="MEX"))
                if self.customer_id is None:
                    yield field_row("payment_terms", "form.field.payment_terms",
                                    text("payment_terms", value="30", max_length=3))
            yield field_row("tax_regime", "form.field.tax_regime", self._select("tax_regime", self._regime_options()))
            yield field_row("uso_cfdi", "form.field.uso_cfdi", self._select("uso_cfdi", self._uso_options()))

    def _language_options(self) -> list[tuple[str, str]]:
        return [(self.tr("lang.es"), "es"), (self.tr("lang.en"), "en")]

    def _regime_options(self) -> list[tuple[str, str]]:
        return [(f"{c} {self.tr(f'form.regimen.{c}')}", c) for c in catalogs.REGIMEN_FISCAL]

    def _uso_options(self) -> list[tuple[str, str]]:
        return [(f"{c} {self.tr(f'form.uso.{c}')}", c) for c in catalogs.USO_CFDI]

    def start(self) -> None:
        self._rfc_state()
        if self.customer_id is None:
            self.loaded = True
            self.query_one("#language", Select).value = "es"
        else:
            self.run_load()

    def relabel(self) -> None:
        self.query_one("#rfc-override", Checkbox).label = self.tr("form.customer.rfc_save_anyway")
        self.query_one("#emails", Input).placeholder = self.tr("form.customer.emails_placeholder")
        relabel_select(self.query_one("#language", Select), self._language_options())
        relabel_select(self.query_one("#tax_regime", Select), self._regime_options())
        relabel_select(self.query_one("#uso_cfdi", Select), self._uso_options())

    # -- loading ------------------------------------------------------------------------------
    def read(self, session: Any) -> CustomerDetail:
        assert self.customer_id is not None
        return customer_detail(session, self.customer_id)

    def loaded_data(self, data: CustomerDetail) -> None:
        first = self.detail is None  # a reload (after a conflict) shows what is stored now, everywhere
        self.detail = data
        for name, value in self._detail_values(data).items():
            widget = self.query_one(f"#{name}")
            if isinstance(widget, Select):
                widget.value = value if value else Select.NULL
            elif first and isinstance(widget, Input):
                fill_loaded(widget, value)  # typing right after opening replaces the name, not appends
            else:
                widget.value = value  # type: ignore[attr-defined]
        self.query_one("#rfc-override", Checkbox).value = not data.rfc_check_ok
        self._rfc_state()

    @staticmethod
    def _detail_values(data: CustomerDetail) -> dict[str, str]:
        values = {name: getattr(data, name) or "" for name in ("name", "rfc", "phone") + ADDRESS}
        values["emails"] = ", ".join(data.emails)
        values["language"] = data.language or "es"
        values["tax_regime"] = data.tax_regime or ""
        values["uso_cfdi"] = data.uso_cfdi or ""
        return values

    def action_reload(self) -> None:
        if self.customer_id is not None and not self.saving:
            self.clear_errors()
            self.loaded = False
            self.run_load()

    # -- RFC check character ----------------------------------------------------------------
    @on(Input.Changed, "#rfc")
    def _rfc_changed(self, event: Input.Changed) -> None:
        self._rfc_state()

    def _rfc_state(self) -> None:
        expected = rfc_check_mismatch(self.query_one("#rfc", Input).value)
        warning = self.query_one("#rfc-warning", TLabel)
        box = self.query_one("#rfc-override", Checkbox)
        if expected is None:
            warning.display = False
            box.display = False
            box.value = False
        else:
            warning.set_key("form.customer.rfc_check", expected=expected)
            warning.display = True
            box.display = True

    # -- saving -------------------------------------------------------------------------------
    def _current(self) -> dict[str, str]:
        values = {name: self.query_one(f"#{name}", Input).value for name in TEXT_FIELDS}
        for name in ("language", "tax_regime", "uso_cfdi"):
            values[name] = value_of(self.query_one(f"#{name}", Select), NONE)
        return values

    def validate(self) -> dict[str, Any]:
        values = self._current()
        problems = Problems()
        name = values["name"].strip()
        if not name:
            problems.add("name", "form.err.required")
        rfc = normalize_rfc(values["rfc"])
        rfc_changed = self.detail is None or rfc != self.detail.rfc
        allow_bad = False
        if rfc_changed:
            problem = rfc_problem(rfc)
            if problem is not None:
                problems.add("rfc", problem[0], **problem[1])
            else:
                expected = rfc_check_mismatch(rfc)
                if expected is not None:
                    allow_bad = self.query_one("#rfc-override", Checkbox).value
                    if not allow_bad:
                        problems.add("rfc", "form.err.rfc_check", value=rfc, expected=expected)
        for item in split_emails(values["emails"]):
            try:
                validate_email(item)
            except DomainError:
                problems.add("emails", "form.err.email_invalid", value=item)
                break
        phone = values["phone"].strip()
        if phone and not all(ch.isdigit() or ch in "+-() ." for ch in phone):
            problems.add("phone", "form.err.phone_invalid", value=phone)
        postal = values["postal_code"].strip()
        if postal and not (postal.isdigit() and len(postal) == 5):
            problems.add("postal_code", "form.err.postal_code", value=postal)
        terms = None
        if self.customer_id is None:
            raw = self.query_one("#payment_terms", Input).value.strip()
            if not raw.isdigit() or not 0 <= int(raw) <= 365:
                problems.add("payment_terms", "form.err.terms", value=raw)
            else:
                terms = int(raw)
        problems.check()
        values["name"] = name
        values["rfc"] = rfc
        values["emails"] = ", ".join(split_emails(values["emails"]))
        values["language"] = values["language"] or "es"
        if self.detail is None:
            return {"create": True, "values": values, "terms": terms, "allow_bad": allow_bad}
        before = self._detail_values(self.detail)
        before["emails"] = ", ".join(split_emails(before["emails"]))
        changes = {k: v for k, v in values.items() if v.strip() != (before.get(k) or "").strip()}
        return {"create": False, "changes": changes, "allow_bad": allow_bad, "version": self.detail.version}

    def write(self, session: Any, payload: dict[str, Any]) -> int:
        actor = self.app.operator
        if payload["create"]:
            v = payload["values"]
            return ledger.create_customer(
                session, actor=actor, name=v["name"], rfc=v["rfc"], emails=v["emails"], phone=v["phone"],
                address=ledger.Address(**{f: v[f] for f in ADDRESS}), tax_regime=v["tax_regime"],
                uso_cfdi=v["uso_cfdi"], payment_terms_days=payload["terms"], language=v["language"],
                allow_bad_rfc_check=payload["allow_bad"],
            )
        assert self.customer_id is not None
        if payload["changes"]:
            ledger.update_customer(session, actor=actor, customer_id=self.customer_id,
                                   expected_version=payload["version"], allow_bad_rfc_check=payload["allow_bad"],
                                   **payload["changes"])
        return self.customer_id

    def explain(self, exc: BaseException) -> Message:
        if isinstance(exc, ConcurrencyError):
            return ("form.customer.changed_elsewhere", {})
        return explain(exc)

