"""The customer profile: a header (who the customer is, how to reach them, what they owe) and seven
tabs (Saldos, Actividad, Ventas, Contratos, Pagos, Notas de crédito, Notas).

Everything is read in thread workers; a tab loads the first time it is shown. After anything is
saved (a dialog dismissed with a result, the payment terms edited in the Balances tab, or coming
back from a document/contract screen) the header and the visible tab reload at once and the other
tabs reload the next time they are shown.

The dialogs and screens this one opens belong to other parts of the app and are imported when
needed: until one exists the operator sees "not available yet" instead of a crash.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Static, TabbedContent
from textual.worker import Worker

from ...domain.errors import NotFound
from ...queries.balances import Balance, customer_balances
from ...queries.customers import CustomerDetail, customer_detail
from ..base import KEPT_PROFILE, BaseScreen, clean, literal
from ..widgets.footer import ArtermFooter
from ..widgets.tabs import PROFILE_TABS, TAB_IDS, ProfileTab
from ..widgets.tabs._base import Fmt, fmt_for, report_worker_error
from ..widgets.tabs.balances import BalancesData, BalancesTab, read_balances
from ..widgets.tabs.sales import SalesTab

DOCUMENT_TABS = ("sales", "credit_notes")

# A kept screen is shown once its header and first tab have their data, or after this long.
SHOW_DEADLINE = 0.08


def open_profile(app: Any, customer_id: int) -> None:
    """Show a customer's profile.

    The first profile of a session is built as any screen. When it closes it is kept (installed,
    still mounted) and forgets its customer; the next open gives it the new customer and pushes it
    once the header and the Balances tab have their data (``SHOW_DEADLINE`` at most). Composing,
    mounting and styling the screen's widgets, and a first frame showing "loading", were most of
    an open's cost (bench/README-tui.md). A profile opened while the kept one is on the stack
    (the palette's "go to customer" from a profile) is a new screen, removed when it closes.
    """
    kept = kept_profile(app)
    if kept is not None and kept not in app.screen_stack and kept.is_attached:
        kept.show_customer(customer_id)
        return
    screen = CustomerScreen(customer_id)
    if kept is None:
        app.install_screen(screen, KEPT_PROFILE)
    app.push_screen(screen)


def kept_profile(app: Any) -> CustomerScreen | None:
    """The profile screen kept for the next customer, if one was built."""
    try:
        screen = app.get_screen(KEPT_PROFILE)
    except KeyError:
        return None
    return screen if isinstance(screen, CustomerScreen) else None


def identity_text(detail: CustomerDetail, fmt: Fmt) -> Text:
    """The left part of the header: name, ids, operator, contact data and terms (values literal)."""
    muted = fmt.muted
    sep = ("  ·  ", muted)
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append_text(literal(detail.name, style="bold"))
    text.append("\n")
    text.append(f"{fmt.tr('profile.rfc')} ", style=muted)
    text.append_text(literal(detail.rfc))
    if not detail.rfc_check_ok:
        text.append(f" {fmt.tr('profile.rfc_bad_check')}", style=fmt.alert)
    text.append(*sep)
    text.append(f"{fmt.tr('profile.identifier')} ", style=muted)
    text.append_text(literal(detail.identifier))
    text.append(*sep)
    text.append(f"{fmt.tr('profile.operator')}: ", style=muted)
    if detail.assigned:
        text.append_text(literal(detail.assigned))
        if detail.assigned_name and detail.assigned_name != detail.assigned:
            text.append(" (")
            text.append_text(literal(detail.assigned_name))
            text.append(")")
    else:
        text.append(fmt.tr("profile.unassigned"), style=fmt.alert)
    text.append("\n")
    text.append(f"{fmt.tr('profile.emails')}: ", style=muted)
    if detail.emails:
        text.append_text(literal(", ".join(detail.emails)))
    else:
        text.append(fmt.tr("profile.no_emails"), style=fmt.alert)
    if detail.phone:
        text.append(*sep)
        text.append(f"{fmt.tr('profile.phone')} ", style=muted)
        text.append_text(literal(detail.phone))
    text.append("\n")
    text.append(f"{fmt.tr('profile.address')}: ", style=muted)
    if detail.address_lines:
        text.append_text(literal(", ".join(detail.address_lines)))
    else:
        text.append(fmt.tr("profile.no_address"), style=muted)
    text.append("\n")
    text.append(f"{fmt.tr('profile.terms')}: ", style=muted)
    text.append(fmt.terms(detail.payment_terms_days), style="bold")
    text.append(*sep)
    text.append(f"{fmt.tr('profile.credit_limit')}: ", style=muted)
    if detail.credit_limit_cents is None:
        text.append(fmt.tr("profile.no_credit_limit"))
    else:
        text.append(fmt.money(detail.credit_limit_cents, detail.currency))
    return text


def totals_table(balances: Iterable[Balance], fmt: Fmt) -> Table:
    """The right part of the header: current / overdue / total / credit, one column per currency."""
    rows = list(balances)
    table = Table.grid(padding=(0, 1))
    table.add_column(justify="left", no_wrap=True)
    for _ in rows:
        table.add_column(justify="right", no_wrap=True)
    table.add_row(Text(fmt.tr("profile.total.current"), style=fmt.muted),
                  *[fmt.money(b.current, b.currency) for b in rows])
    table.add_row(Text(fmt.tr("profile.total.overdue"), style=fmt.muted),
                  *[Text(fmt.money(b.overdue, b.currency), style=fmt.alert if b.overdue else "") for b in rows])
    table.add_row(Text(fmt.tr("profile.total.total"), style="bold"),
                  *[Text(fmt.money(b.total, b.currency), style="bold") for b in rows])
    table.add_row(Text(fmt.tr("profile.total.credit"), style=fmt.muted),
                  *[fmt.money(b.credit, b.currency) for b in rows])
    return table


class ProfileHeader(Horizontal):
    """Who the customer is and what they owe (data comes down from the screen)."""

    def compose(self) -> ComposeResult:
        yield Static("", id="profile-identity")
        yield Static("", id="profile-totals")

    def show(self, detail: CustomerDetail, balances: tuple[Balance, ...], fmt: Fmt) -> None:
        self.remove_class("-missing")
        self.query_one("#profile-identity", Static).update(identity_text(detail, fmt))
        self.query_one("#profile-totals", Static).update(totals_table(balances, fmt))

    def show_message(self, message: str, *, error: bool = False) -> None:
        self.set_class(error, "-missing")
        self.query_one("#profile-identity", Static).update(literal(message))
        self.query_one("#profile-totals", Static).update("")


class CustomerScreen(BaseScreen):
    """The profile of one customer."""

    CSS_PATH = "customer.tcss"

    BINDINGS = [
        Binding("e", "edit_profile", "profile.key.edit", id="profile.edit"),
        Binding("o", "assign_operator", "profile.key.operator", id="profile.assign_operator"),
        Binding("i", "set_identifier", "profile.key.identifier", id="profile.set_identifier"),
        Binding("c", "create_menu", "profile.key.create", id="profile.create"),
        Binding("p", "add_payment", "profile.key.payment", id="profile.add_payment"),
        Binding("n", "add_note", "profile.key.note", id="profile.add_note"),
        Binding("s", "send_statement", "profile.key.statement", id="profile.send_statement"),
        Binding("x", "cancel_document", "profile.key.cancel", id="profile.cancel_document"),
        Binding("t", "edit_terms", "profile.key.terms", id="profile.edit_terms", show=False),
        Binding("f5,ctrl+r", "reload", "profile.key.reload", id="profile.reload", show=False),
        Binding("escape", "back", "key.back", id="profile.back"),
        *[
            Binding(str(cls.NUMBER), f"show_tab('{cls.TAB_ID}')", cls.TITLE_KEY, id=f"profile.tab_{cls.TAB_ID}",
                    show=False)
            for cls in PROFILE_TABS
        ],
    ]

    def __init__(self, customer_id: int) -> None:
        super().__init__()
        self.customer_id = int(customer_id)
        self.detail: CustomerDetail | None = None
        self.balances: tuple[Balance, ...] = ()
        self._reload_on_resume = False
        self._missing = False
        self._header_shown = False  # on_mount has run: header data can be painted as it arrives
        # Kept screen (``open_profile``): waiting for data before being pushed again.
        self._show_timer: Timer | None = None
        self._styled_at = -1  # the app's CSS generation when this screen was last on the stack
        self._lang_shown = ""
        self._on_stack = False  # pushed (and showing its customer) until popped
        self._forgetting = False  # closed, emptying itself (``_forget``)
        self._next_customer: int | None = None  # asked for while it was emptying

    # ------------------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        # Read the header now, while the widgets are mounted and styled (~50-100 ms): the data is
        # usually there for the first frame instead of one frame later.
        self.load_header()
        yield ProfileHeader(id="profile-header")
        with TabbedContent(id="profile-tabs", initial=TAB_IDS[0]):
            for cls in PROFILE_TABS:
                yield cls(self.customer_id, cls.title_for(self.lang), build_now=cls.TAB_ID == TAB_IDS[0])
        yield ArtermFooter(compact=True)

    def on_mount(self) -> None:
        self._on_stack = True
        self.app.screen_change_signal.subscribe(self, self._screen_changed, immediate=True)
        self._header_shown = True
        self._lang_shown = self.lang
        self._paint_header()  # the data if it already arrived, else "loading"
        self.active_tab.ensure_loaded()

    # ------------------------------------------------------------------------------ kept for the next customer
    @property
    def show_pending(self) -> bool:
        """Given a new customer, not pushed yet (waiting for its data)."""
        return self._show_timer is not None

    def show_customer(self, customer_id: int) -> None:
        """Read another customer into this kept screen (off the stack, emptied when it was closed)
        and push it when the header and the first tab have their data."""
        if self._forgetting:  # closed a moment ago and still emptying: right after that
            self._next_customer = int(customer_id)
            return
        app = self.app
        self.customer_id = int(customer_id)
        for tab in self.query(ProfileTab):
            tab.customer_id = self.customer_id
        if self._lang_shown != self.lang:  # the language changed while the screen was closed
            self.apply_language()
        # Textual restyles a screen on every push; this one is styled already unless the theme or
        # CSS changed while it was off the stack (``App.refresh_css`` only restyles the stack).
        self._resumed_before = self._styled_at != app._css_update_count
        if self._show_timer is not None:
            self._show_timer.stop()
        self._show_timer = app.set_timer(SHOW_DEADLINE, self.show_now, name="profile-show")
        self._read_header_and_balances(self.customer_id)

    @work(thread=True, exclusive=True, group="profile-header", exit_on_error=False)
    def _read_header_and_balances(self, customer_id: int) -> None:
        """The header and the Balances tab in one read (what a kept screen waits for; a reload
        while Balances is shown)."""
        app = self.app
        try:
            data = read_balances(app, customer_id)
        except NotFound:
            app.call_from_thread(self._show_missing, customer_id)
            return
        app.call_from_thread(self._show_header_and_balances, data)

    def _show_header_and_balances(self, data: BalancesData) -> None:
        if data.detail.id != self.customer_id:
            return
        self.query_one(BalancesTab).show_data(data)
        self._show_header(data.detail, data.balances)
        self.show_now()

    def show_now(self) -> None:
        """Push the kept screen now (its data arrived, the deadline passed, or a key was pressed:
        keys typed right after Enter belong to the profile)."""
        if self._show_timer is None:
            return
        self._show_timer.stop()
        self._show_timer = None
        self._on_stack = True
        self.app.push_screen(self)

    def _screen_changed(self, _screen: Screen[Any]) -> None:
        """Called at once when a screen is pushed or popped: closed means emptied before anything
        else runs (Escape and Enter on another customer may come in one read)."""
        app = self.app
        if self._on_stack and self not in app.screen_stack:
            self._on_stack = False
            if kept_profile(app) is self:
                self._forgetting = True
                # An app worker: a screen that fails to empty removes itself, which would cancel its own.
                app.run_worker(self._forget(), group="profile-forget", exit_on_error=False)

    async def _forget(self) -> None:
        """Closed, and kept for the next customer: nothing of this one may show there."""
        try:
            await self._empty()
        except BaseException:
            # Not reusable: remove it (the next profile is a new screen), then report the error.
            self.app.uninstall_screen(self)
            await self.remove()
            raise
        finally:
            self._forgetting = False
        customer_id, self._next_customer = self._next_customer, None
        if customer_id is not None:
            self.show_customer(customer_id)

    async def _empty(self) -> None:
        self._styled_at = self.app._css_update_count
        self._lang_shown = self.lang
        self.detail, self.balances, self._missing = None, (), False
        self._reload_on_resume = False
        self.tabs.active = TAB_IDS[0]
        # Focus where a new screen starts (the tab bar, the first focusable widget) now rather than
        # when the screen is pushed again: focusing restyles the tab bar (~5 ms of the next open).
        self.set_focus(None)
        self._update_auto_focus()
        self._paint_header()
        for tab in self.query(ProfileTab):
            await tab.forget()

    @property
    def tabs(self) -> TabbedContent:
        return self.query_one("#profile-tabs", TabbedContent)

    @property
    def active_tab(self) -> ProfileTab:
        return self.query_one(f"#{self.tabs.active or TAB_IDS[0]}", ProfileTab)

    def tab(self, tab_id: str) -> ProfileTab:
        return self.query_one(f"#{tab_id}", ProfileTab)

    # ------------------------------------------------------------------------------ loading
    def load_header(self) -> None:
        self._read_header(self.customer_id)

    @work(thread=True, exclusive=True, group="profile-header", exit_on_error=False)
    def _read_header(self, customer_id: int) -> None:
        app = self.app
        try:
            with app.database().read() as s:
                detail = customer_detail(s, customer_id)
                balances = customer_balances(s, [customer_id], as_of=app.today(),
                                             limits=tuple(app.settings.aging_buckets), include_zero=True)
        except NotFound:
            app.call_from_thread(self._show_missing, customer_id)
            return
        app.call_from_thread(self._show_header, detail, tuple(balances))

    def _show_header(self, detail: CustomerDetail, balances: tuple[Balance, ...]) -> None:
        if detail.id != self.customer_id:  # read for the customer this kept screen showed before
            return
        self.detail, self.balances, self._missing = detail, balances, False
        if self._header_shown:  # else on_mount paints it
            self._paint_header()

    def _show_missing(self, customer_id: int) -> None:
        if customer_id != self.customer_id:
            return
        self._missing = True
        if self._header_shown:
            self._paint_header()
        self.show_now()  # a kept screen waiting for this customer: nothing more will come

    def _paint_header(self) -> None:
        header = self.query_one(ProfileHeader)
        if self._missing:
            header.show_message(self.tr("profile.not_found", id=self.customer_id), error=True)
        elif self.detail is not None:
            header.show(self.detail, self.balances, fmt_for(self.app))
        else:
            header.show_message(self.tr("profile.loading"))

    def reload(self) -> None:
        """Read the header and the visible tab again; the other tabs reload when next shown."""
        active = self.active_tab
        for tab in self.query(ProfileTab):
            if tab is not active and tab.loaded:
                tab.mark_stale()
        if isinstance(active, BalancesTab) and active.ready:
            # Balances shows the header's data too: one read for both.
            active.loaded, active.stale = True, False
            self._read_header_and_balances(self.customer_id)
        else:
            self.load_header()
            active.reload()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_worker_error(self, event)  # Worker.StateChanged does not bubble to the app

    def on_screen_resume(self) -> None:
        if self._reload_on_resume:
            self._reload_on_resume = False
            self.reload()

    @on(TabbedContent.TabActivated, "#profile-tabs")
    def _on_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        pane = event.pane
        if isinstance(pane, ProfileTab):
            pane.ensure_loaded()
        self.refresh_bindings()

    @on(ProfileTab.Changed)
    def _on_tab_changed(self, event: ProfileTab.Changed) -> None:
        event.stop()
        self.reload()

    @on(ProfileTab.Open)
    def _on_open(self, event: ProfileTab.Open) -> None:
        event.stop()
        if event.target == "document":
            self._open("screens.document", "DocumentScreen", "profile.what.document", event.item_id, screen=True)
        elif event.target == "contract":
            self._open("screens.contract", "ContractScreen", "profile.what.contract", event.item_id, screen=True)
        elif event.target == "payment":
            self._open("dialogs.payment", "PaymentDialog", "profile.what.payment", event.item_id)

    # ------------------------------------------------------------------------------ language
    def apply_language(self) -> None:
        self._paint_header()
        tabs = self.tabs
        for cls in PROFILE_TABS:
            tabs.get_tab(cls.TAB_ID).label = cls.title_for(self.lang)  # type: ignore[assignment]
        for tab in self.query(ProfileTab):
            if tab.ready:  # the others are built in the new language when first shown
                tab.apply_language()

    # ------------------------------------------------------------------------------ opening others
    def _open(self, module: str, name: str, what_key: str, *args: Any, screen: bool = False, **kwargs: Any) -> None:
        """Push a dialog / screen written elsewhere (imported now: it may not exist yet)."""
        full = f"arterm.tui.{module}"
        try:
            factory = getattr(importlib.import_module(full), name)
        except (ModuleNotFoundError, AttributeError) as exc:
            if isinstance(exc, ModuleNotFoundError) and exc.name not in (full, *_parents(full)):
                self._error(exc)
                return
            self.notify(self.tr("profile.not_available", what=self.tr(what_key)), severity="warning", timeout=4)
            return
        except Exception as exc:  # noqa: BLE001 - a broken module must not take the app down
            self._error(exc)
            return
        try:
            instance = factory(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001
            self._error(exc)
            return
        if screen:
            self._reload_on_resume = True
            self.app.push_screen(instance)
        else:
            self.app.push_screen(instance, callback=lambda result: self._after_dialog(result, instance))

    def _after_dialog(self, result: Any, dialog: Any = None) -> None:
        """Dialogs dismiss with an id / True when they saved something, None / False otherwise; a
        form whose save the ledger refused (``refused``: the data it showed had changed) reloads too."""
        if (result is not None and result is not False) or getattr(dialog, "refused", False):
            self.reload()

    def _error(self, exc: BaseException) -> None:
        self.notify(clean(f"{type(exc).__name__}: {exc}"), title=self.tr("ui.error"), severity="error", timeout=10)

    # ------------------------------------------------------------------------------ actions
    def action_show_tab(self, tab_id: str) -> None:
        if tab_id not in TAB_IDS:
            return
        self.tabs.active = tab_id
        pane = self.tab(tab_id)
        pane.ensure_loaded()
        pane.when_ready(lambda: self.call_after_refresh(pane.focus_main))

    def action_edit_terms(self) -> None:
        self.tabs.active = "balances"
        balances = self.query_one(BalancesTab)
        balances.ensure_loaded()
        self.call_after_refresh(balances.focus_terms)

    def action_reload(self) -> None:
        self.reload()

    def action_back(self) -> None:
        self.dismiss(None)

    def action_edit_profile(self) -> None:
        self._open("dialogs.customer_form", "CustomerForm", "profile.what.customer_form", self.customer_id)

    def action_assign_operator(self) -> None:
        self._open("dialogs.assign", "AssignOperatorDialog", "profile.what.assign", self.customer_id)

    def action_set_identifier(self) -> None:
        self._open("dialogs.assign", "IdentifierDialog", "profile.what.identifier", self.customer_id)

    def action_create_menu(self) -> None:
        self._open("dialogs.create_menu", "CreateMenu", "profile.what.create_menu", self.customer_id)

    def action_send_statement(self) -> None:
        self._open("dialogs.statement", "StatementDialog", "profile.what.statement", self.customer_id)

    def action_add_payment(self) -> None:
        """On the Sales tab: to the selected document if it is open; elsewhere: oldest first."""
        document_id = None
        if self.tabs.active == "sales":
            row = self.query_one(SalesTab).selected_row()
            if row is not None and row.status in ("current", "overdue") and row.balance > 0:
                document_id = row.id
        self._open("dialogs.payment_form", "PaymentForm", "profile.what.payment_form", self.customer_id, document_id)

    def action_add_note(self) -> None:
        """A note on the customer; on the Sales tab, on the selected document."""
        document_id = self.query_one(SalesTab).selected_document() if self.tabs.active == "sales" else None
        self._open("dialogs.note_form", "NoteDialog", "profile.what.note", self.customer_id, document_id=document_id)

    def action_cancel_document(self) -> None:
        active = self.tabs.active
        if active not in DOCUMENT_TABS:
            return
        document_id = self.tab(active).selected_document()
        if document_id is None:
            self.notify(self.tr("profile.select_document"), severity="warning", timeout=4)
            return
        self._open("dialogs.cancel", "CancelDialog", "profile.what.cancel", document_id=document_id)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_document":
            try:
                active = self.tabs.active
                if active not in DOCUMENT_TABS:
                    return False
                return None if self.tab(active).selected_cancelled() else True  # shown, dimmed
            except Exception:  # noqa: BLE001 - not composed yet
                return False
        return True

    # ------------------------------------------------------------------------------ palette
    def palette_commands(self) -> Iterable[tuple[str, str, Callable[[], Any]]]:
        yield ("profile.cmd.payment", "profile.cmd.payment_help", self.action_add_payment)
        yield ("profile.cmd.note", "profile.cmd.note_help", self.action_add_note)
        yield ("profile.cmd.statement", "profile.cmd.statement_help", self.action_send_statement)
        yield ("profile.cmd.create", "profile.cmd.create_help", self.action_create_menu)
        yield ("profile.cmd.edit", "profile.cmd.edit_help", self.action_edit_profile)
        yield ("profile.cmd.operator", "profile.cmd.operator_help", self.action_assign_operator)
        yield ("profile.cmd.identifier", "profile.cmd.identifier_help", self.action_set_identifier)
        yield ("profile.cmd.terms", "profile.cmd.terms_help", self.action_edit_terms)
        yield ("profile.cmd.reload", "profile.cmd.reload_help", self.action_reload)


def _parents(module: str) -> tuple[str, ...]:
    parts = module.split(".")
    return tuple(".".join(parts[:i]) for i in range(1, len(parts)))
