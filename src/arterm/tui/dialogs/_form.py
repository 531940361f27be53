"""Shared pieces of the modal forms: translated labels, inline field errors, parsing, save workers.

A form is a ``FormModal``: it composes its fields with ``field_row`` (a label, the input widgets
and a ``FieldError`` line under them), validates what was typed into plain Python values
(raising ``FormInvalid`` with one message per field — nothing is written), then runs ``write()``
in a thread worker inside one ``db.write()`` transaction. A ``DomainError`` from the ledger is
shown next to the field named by its ``.field`` attribute (or above the buttons when the form has
no such field). Messages are either ``(translation_key, kwargs)`` — re-translated when the
operator switches language — or literal text from the ledger; both are drawn with ``literal()``.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from rich.text import Text
from textual import events, on, work
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Select, Static, TextArea

from ... import i18n
from ...domain import catalogs
from ...domain.errors import ConcurrencyError, DomainError
from ...domain.money import MAX_CENTS, split_currency
from ..base import BaseModal, literal
from ..widgets.checkbox import StateCheckbox

# A modal screen does not inherit the app's (non-priority) bindings: dialogs repeat ctrl+l.
LANGUAGE_BINDING = Binding("ctrl+l", "app.switch_language", "key.language", id="dialog_switch_language", show=False)

Message = tuple[str, dict[str, Any]] | str
"""A translation key with its values, or literal text (a ledger message)."""

CURRENCIES = ("MXN", "USD", "EUR")
_AMOUNT = re.compile(r"^-?\d+(\.\d*)?$|^-?\.\d+$")
# Thousands separators in groups of three, or none: "1,2,3" is a typo, not 123.
_GROUPED = re.compile(r"-?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]*)(?:\.[0-9]*)?", re.ASCII)
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


# ------------------------------------------------------------------------------------ messages
def render_message(message: Message, lang: str) -> str:
    if isinstance(message, tuple):
        key, values = message
        return i18n.t(key, lang, **values)
    return message


class FormInvalid(Exception):
    """What the operator typed cannot be saved: ``{field: message}``."""

    def __init__(self, errors: dict[str, Message]) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


class Problems:
    """Collects one message per field while a form validates, then raises them together."""

    def __init__(self) -> None:
        self.errors: dict[str, Message] = {}

    def add(self, field: str, key: str, **values: Any) -> None:
        self.errors.setdefault(field, (key, values))

    def __contains__(self, field: str) -> bool:
        return field in self.errors

    def check(self) -> None:
        if self.errors:
            raise FormInvalid(dict(self.errors))


# ------------------------------------------------------------------------------------ parsing
class BadValue(Exception):
    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


def parse_cents(text: str, *, allow_zero: bool = False, currency: str | None = None) -> int:
    """An amount typed by the operator (``1,234.50``, ``$1234.5``, ``500 MXN``) → centavos, exactly.

    More than two decimals is refused rather than rounded: it is almost always a typo. A currency
    written with the amount must be the form's ``currency`` ("5USD" in a payment in pesos was
    read as 5 pesos); thousands separators must make groups of three, digits are ASCII.
    """
    raw = (text or "").strip()
    if not raw:
        raise BadValue("form.err.required")
    number, code = split_currency(raw)
    if code is not None and code != (currency or "").strip().upper():
        raise BadValue("form.err.amount_currency", value=raw, currency=currency or "—")
    cleaned = number.replace("$", "", 1).strip()
    if not _GROUPED.fullmatch(cleaned):
        raise BadValue("form.err.amount_invalid", value=raw)
    cleaned = cleaned.replace(",", "")
    if not _AMOUNT.match(cleaned):
        raise BadValue("form.err.amount_invalid", value=raw)
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise BadValue("form.err.amount_invalid", value=raw) from None
    if value != value.quantize(Decimal("0.01")):
        raise BadValue("form.err.amount_decimals", value=raw)
    cents = int(value * 100)
    if cents < 0 or (cents == 0 and not allow_zero):
        raise BadValue("form.err.amount_positive")
    if cents >= MAX_CENTS:
        raise BadValue("form.err.amount_too_large")
    return cents


def parse_decimal(text: str, *, key: str = "form.err.number_invalid") -> Decimal:
    raw = (text or "").strip()
    if not raw:
        raise BadValue("form.err.required")
    if not _GROUPED.fullmatch(raw):
        raise BadValue(key, value=text.strip())
    raw = raw.replace(",", "")
    if not _AMOUNT.match(raw):
        raise BadValue(key, value=text.strip())
    return Decimal(raw)


def parse_day(text: str, lang: str, today: date) -> date:
    try:
        value = i18n.parse_date(text or "", lang, today=today)
    except DomainError:
        if not (text or "").strip():
            raise BadValue("form.err.required") from None
        raise BadValue("form.err.date_invalid", value=text.strip()) from None
    if not 1990 <= value.year <= 2100:
        raise BadValue("form.err.date_range", value=text.strip())
    return value


def check_uuid(text: str) -> str:
    value = (text or "").strip().lower()
    if not value:
        raise BadValue("form.err.required")
    if not _UUID.match(value):
        raise BadValue("form.err.uuid_invalid", value=text.strip())
    return value


def fill_loaded(field: Input, value: str) -> None:
    """Put a value read from the database into a field the operator may already be in.

    Not over what they typed while it was read; selected when the field has the focus (as on
    focus), so that typing replaces it: an identifier field filled after it took the focus got the
    new code appended ("C000008" + "C000184"), a payment amount "136416.00" + "50000".
    """
    if field.value:
        return
    field.value = value
    if field.has_focus:
        field.select_all()


def cents_text(cents: int) -> str:
    """Centavos → what the operator edits: ``1160.00`` (no thousands separators)."""
    sign = "-" if cents < 0 else ""
    units, frac = divmod(abs(cents), 100)
    return f"{sign}{units}.{frac:02d}"


def cents_decimal(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


# ------------------------------------------------------------------------------------ widgets
class TLabel(Static):
    """Static text from a translation key; re-translated when the language changes.

    Values passed in ``values`` may be untrusted (customer names): the result is a ``Text``, never
    parsed as markup.
    """

    def __init__(self, key: str, *, id: str | None = None, classes: str = "", **values: Any) -> None:
        super().__init__("", id=id, classes=classes)
        self.key = key
        self.values = values

    def on_mount(self) -> None:
        self.relabel()

    def set_key(self, key: str, **values: Any) -> None:
        self.key = key
        self.values = values
        if self.is_mounted:
            self.relabel()

    def relabel(self) -> None:
        self.update(literal(i18n.t(self.key, self.app.lang, **self.values)))


class TButton(Button):
    """A button whose label is a translation key."""

    def __init__(self, key: str, *, id: str | None = None, variant: str = "default", classes: str = "") -> None:
        super().__init__("", id=id, variant=variant, classes=classes)  # type: ignore[arg-type]
        self.key = key

    def on_mount(self) -> None:
        self.relabel()

    def relabel(self) -> None:
        self.label = Text(i18n.t(self.key, self.app.lang))


class FieldError(Static):
    """The inline message under a field; hidden while there is nothing to say."""

    def __init__(self, name: str, *, focus: str | None = None) -> None:
        super().__init__("", id=f"err-{name}", classes="field-error")
        self.field = name
        self.focus_within = focus
        """Selector of what to focus when this message shows (default: this error's own row)."""
        self.message: Message | None = None
        self.display = False

    def show(self, message: Message | None) -> None:
        self.message = message
        self.relabel()

    def relabel(self) -> None:
        if self.message is None:
            self.update("")
            self.display = False
        else:
            self.update(literal("⚠ " + render_message(self.message, self.app.lang)))
            self.display = True
        screen = self.screen if self.is_attached else None
        if isinstance(screen, FormModal):
            screen.call_after_refresh(screen.fit_body)  # a message outside the body takes room

    @property
    def text(self) -> str:
        return "" if self.message is None else render_message(self.message, self.app.lang)


def field_row(name: str, label_key: str, *widgets: Widget, classes: str = "") -> Vertical:
    """``label  [widget…]`` with the field's error line underneath."""
    return Vertical(
        Horizontal(TLabel(label_key, classes="field-label"), *widgets, classes="field-line"),
        FieldError(name),
        id=f"field-{name}",
        classes=f"field {classes}".strip(),
    )


def forma_pago_options(lang: str, codes: Iterable[str] | None = None) -> list[tuple[str, str]]:
    return [(f"{code} {i18n.t(f'forma_pago.{code}', lang)}", code) for code in (codes or catalogs.FORMA_PAGO)]


def set_select(select: Select[Any], options: list[tuple[str, Any]], value: Any = Select.NULL) -> None:
    """Replace a Select's options and choose ``value`` (when it is one of them), without posting
    ``Select.Changed``. The shown label is refreshed even when the value itself did not change."""
    with select.prevent(Select.Changed):
        select.set_options(options)
        if value is not Select.NULL and any(v == value for _, v in options):
            select.value = value
        select.mutate_reactive(Select.value)


def relabel_select(select: Select[Any], options: list[tuple[str, Any]]) -> None:
    """Replace a Select's option labels (language switch) keeping its value."""
    set_select(select, options, select.value)


def explain(exc: BaseException) -> Message:
    """A ledger refusal as the operator should read it."""
    if isinstance(exc, ConcurrencyError):
        return ("form.err.concurrency", {"detail": str(exc)})
    if isinstance(exc, DomainError):
        return ("form.err.refused", {"detail": str(exc)})
    return ("form.err.unexpected", {"detail": f"{type(exc).__name__}: {exc}"})


# ------------------------------------------------------------------------------------ the modal
class FormModal(BaseModal):
    """A modal form: ctrl+s (or Enter on the last field) saves, Escape cancels."""

    CSS_PATH = "forms.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", "form.key.save", id="form_save"),
        Binding("escape", "cancel", "form.key.cancel", id="form_cancel"),
        LANGUAGE_BINDING,
        # Moving between fields is a priority binding: the app runs it as it reads the key, so the
        # keys typed after it go to the next field. As a plain binding it ran only once the key
        # had gone through the field, and keys typed in the same burst (a fast typist, a paste, a
        # slow SSH link) were already queued in the field being left: "3<Tab>250" in the
        # quantity gave a quantity of 3250 (seen in tmux).
        Binding("tab", "next_field", show=False, priority=True),
        Binding("shift+tab", "previous_field", show=False, priority=True),
        Binding("enter", "submit_field", show=False, priority=True),
    ]
    FIELD_ALIASES: dict[str, str] = {}
    """Ledger ``DomainError.field`` → this form's field name (spaces become underscores first)."""
    SAVE_KEY = "form.button.save"
    CLOSE_KEY = "form.button.cancel"
    SAVE_VARIANT = "primary"

    def __init__(self) -> None:
        super().__init__()
        self.saving = False
        self.loaded = False
        # The ledger refused a save: what the screen below shows may be stale (someone else paid
        # the invoice meanwhile), so it reloads even when the form is then cancelled.
        self.refused = False
        # What the fields held once the form was built and filled from the database: Escape asks
        # before throwing away anything the operator changed since (``has_changes``).
        self._baseline: dict[Widget, Any] = {}

    # -- layout -----------------------------------------------------------------------------
    BODY_MAX_HEIGHT = 30

    def on_resize(self, event: events.Resize) -> None:
        self.call_after_refresh(self.fit_body)

    def fit_body(self) -> None:
        """Give the scrolling body (``.form-body``) only the rows the screen has left once the
        title, messages and buttons are drawn: on a small terminal (80x24) the credit note form
        ran past the bottom and its Save/Cancel buttons were cut off. The body scrolls instead,
        and the focused field is scrolled into view."""
        if not self.is_attached:
            return
        found = self.query(".form-body")
        if not found:
            return
        body = found.first()
        box = body.parent
        if not isinstance(box, Widget):
            return
        others = sum(child.outer_size.height + child.styles.margin.height
                     for child in box.children if child is not body and child.display)
        room = self.size.height - others - box.styles.gutter.height - box.styles.margin.height
        height = max(3, min(self.BODY_MAX_HEIGHT, room))
        if body.styles.max_height is None or body.styles.max_height.value != height:
            body.styles.max_height = height

    def compose(self) -> ComposeResult:
        with Vertical(classes="form-box"):
            yield TLabel(*self.form_title(), id="form-title", classes="form-title")
            yield from self.compose_body()
            yield FieldError("form")
            with Horizontal(classes="form-buttons"):
                yield TButton(self.save_key(), id="form-save", variant=self.SAVE_VARIANT)
                yield TButton(self.CLOSE_KEY, id="form-cancel")

    def form_title(self) -> tuple[str]:
        return ("form.title",)

    def save_key(self) -> str:
        return self.SAVE_KEY

    def compose_body(self) -> ComposeResult:
        yield from ()

    @on(Button.Pressed, "#form-save")
    def _save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_save()

    @on(Button.Pressed, "#form-cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_cancel()

    def action_next_field(self) -> None:
        self.focus_next()

    def action_previous_field(self) -> None:
        self.focus_previous()

    def action_submit_field(self) -> None:
        """Enter in a text field other than the last moves to the next field, at once (see
        BINDINGS). Elsewhere Enter does what the focused widget does with it (a button presses,
        a list chooses); on the last text field it goes through the field, after the keys typed
        before it, and saves (``_submitted``)."""
        focused = self.focused
        if not isinstance(focused, Input) or self._is_last_input(focused):
            raise SkipAction()
        self.focus_next()

    def _is_last_input(self, field: Input) -> bool:
        inputs = [w for w in self.focus_chain if isinstance(w, Input)]
        return bool(inputs) and field is inputs[-1]

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        """Enter moves to the next field; on the last field it saves."""
        event.stop()
        if self._is_last_input(event.input):
            self.action_save()
        else:
            self.focus_next()

    def action_cancel(self) -> None:
        """Escape / Cancel: close at once when nothing was changed, else ask first."""
        if self.saving:
            return  # the transaction is running: its result decides what happens
        if self.has_changes():
            from .confirm import ConfirmDialog

            self.app.push_screen(ConfirmDialog(self.tr("form.confirm.discard")), self._discard_answered)
            return
        self.dismiss(self.cancel_result())

    def _discard_answered(self, discard: bool | None) -> None:
        if discard and self.is_open and not self.saving:
            self.dismiss(self.cancel_result())

    # -- changes ----------------------------------------------------------------------------
    def field_values(self) -> dict[Widget, Any]:
        """Every editable widget of the form and what it holds now."""
        values: dict[Widget, Any] = {}
        for widget in self.query("Input, TextArea, Select, Checkbox"):
            if isinstance(widget, Input):
                values[widget] = widget.value
            elif isinstance(widget, TextArea):
                values[widget] = widget.text
            elif isinstance(widget, (Select, Checkbox)):
                values[widget] = widget.value
        return values

    def has_changes(self) -> bool:
        """The operator changed something since the form was built and loaded (what the form
        filled in from the database is not a change; lines added or removed are)."""
        current = self.field_values()
        if current.keys() != self._baseline.keys():
            return True
        return any(value != self._baseline[widget] for widget, value in current.items())

    @property
    def is_open(self) -> bool:
        return self.is_attached and self in self.app.screen_stack

    def cancel_result(self) -> Any:
        return None

    # -- language ---------------------------------------------------------------------------
    def apply_language(self) -> None:
        for widget in self.query(TLabel):
            widget.relabel()
        for button in self.query(TButton):
            button.relabel()
        for error in self.query(FieldError):
            error.relabel()
        for box in self.query(StateCheckbox):
            box.refresh(layout=True)  # Yes/No in the new language
        self.relabel()

    def relabel(self) -> None:
        """Forms re-translate what TLabel/TButton do not cover (selects, tables, placeholders)."""

    # -- errors -----------------------------------------------------------------------------
    def clear_errors(self) -> None:
        for error in self.query(FieldError):
            error.show(None)

    def field_error(self, name: str) -> FieldError:
        found = self.query(f"#err-{name}")
        return found.first(FieldError) if found else self.query_one("#err-form", FieldError)

    def show_errors(self, errors: dict[str, Message]) -> None:
        first: Widget | None = None
        for name, message in errors.items():
            target = self.field_error(name)
            if target.message is not None and target.field == "form":
                continue  # keep the first general message
            target.show(message)
            if first is None and target.field != "form":
                first = target
        if first is not None and first.parent is not None:
            area = self.query_one(first.focus_within) if first.focus_within else first.parent
            for widget in area.query("Input, Select, Checkbox, TextArea"):
                if widget.focusable:
                    widget.focus()
                    break

    def map_field(self, field: str | None) -> str:
        if not field:
            return "form"
        name = field.strip().replace(" ", "_")
        if name.startswith("line_"):
            return "lines"
        return self.FIELD_ALIASES.get(name, name)

    def errors_text(self) -> dict[str, str]:
        """Every visible error message by field (for tests and screen readers)."""
        return {e.field: e.text for e in self.query(FieldError) if e.message is not None}

    # -- loading ----------------------------------------------------------------------------
    def on_mount(self) -> None:
        # Textual runs every class's own on_mount: subclasses override start(), not on_mount().
        self.relabel()
        self.start()
        self._baseline = self.field_values()

    def start(self) -> None:
        self.run_load()

    def read(self, session: Any) -> Any:
        """Read what the form needs (worker thread)."""
        return None

    def loaded_data(self, data: Any) -> None:
        """Fill the form (event loop)."""

    @work(thread=True, exclusive=True, group="form-load", exit_on_error=False)
    def run_load(self) -> None:
        try:
            db = self.app.database()
            with db.read() as session:
                data = self.read(session)
        except Exception as exc:  # noqa: BLE001 - shown to the operator
            self.app.call_from_thread(self._load_failed, exc)
            return
        self.app.call_from_thread(self._loaded, data)

    async def _loaded(self, data: Any) -> None:
        if not self.is_open:
            return
        before = self.field_values()
        result = self.loaded_data(data)
        if inspect.isawaitable(result):
            await result
        self.loaded = True
        # What loading filled in becomes the baseline; a field the operator typed in before the
        # data arrived keeps it (fill_loaded leaves it alone), so it still counts as a change.
        after = self.field_values()
        for widget, value in after.items():
            if widget not in before or before[widget] != value or widget not in self._baseline:
                self._baseline[widget] = value
        for widget in [w for w in self._baseline if w not in after]:
            del self._baseline[widget]

    def _load_failed(self, exc: BaseException) -> None:
        if self.is_open:
            self.field_error("form").show(explain(exc))

    # -- saving -----------------------------------------------------------------------------
    def validate(self) -> Any:
        """Read the widgets into a payload or raise ``FormInvalid`` (event loop)."""
        return None

    def write(self, session: Any, payload: Any) -> Any:
        """Call the ledger (worker thread, inside one transaction)."""
        raise NotImplementedError

    def saved(self, result: Any) -> None:
        self.dismiss(result)

    def action_save(self) -> None:
        if self.saving:
            return
        if not self.loaded:
            self.field_error("form").show(("form.err.still_loading", {}))
            return
        self.clear_errors()
        try:
            payload = self.validate()
        except FormInvalid as invalid:
            self.show_errors(invalid.errors)
            return
        self.saving = True
        self.run_save(payload)

    @work(thread=True, exclusive=True, group="form-save", exit_on_error=False)
    def run_save(self, payload: Any) -> None:
        try:
            db = self.app.database()
            with db.write() as session:
                result = self.write(session, payload)
        except Exception as exc:  # noqa: BLE001 - DomainError goes next to its field, anything else on top
            self.app.call_from_thread(self._save_failed, exc)
            return
        self.app.call_from_thread(self._saved, result)

    def _saved(self, result: Any) -> None:
        self.saving = False
        if self.is_open:
            self.saved(result)

    def _save_failed(self, exc: BaseException) -> None:
        self.saving = False
        if not self.is_open:
            return
        self.refused = True
        field = self.map_field(getattr(exc, "field", None)) if isinstance(exc, DomainError) else "form"
        if isinstance(exc, ConcurrencyError):
            field = "form"
        self.show_errors({field: self.explain(exc)})
        self.save_failed(exc)

    def explain(self, exc: BaseException) -> Message:
        return explain(exc)

    def save_failed(self, exc: BaseException) -> None:
        """Hook: e.g. reload balances after the ledger refused a stale allocation."""


def value_of(select: Select[Any], default: Any = "") -> Any:
    value = select.value
    return default if value is Select.NULL else value
