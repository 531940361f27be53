"""The contract billing catch-up when the app starts (``[contracts] bill_on_start``).

``maybe_bill_on_start(app)`` counts, in a thread worker, the contract invoices due up to the app's
business date. With ``"ask"`` (the default) it then shows ``BillingPrompt`` (how many invoices of
how many contracts); with ``"always"`` it bills at once; with ``"never"`` it does nothing. The
billing itself runs in a thread worker (``ledger.billing.bill_contracts``: one transaction per
invoice, each period exactly once even if another operator bills at the same time) and ends with a
notification. Call it from ``ArtermApp.on_mount`` as a worker, so the first frame is not delayed::

    self.run_worker(maybe_bill_on_start(self), group="billing-on-start", exit_on_error=False)
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static
from textual.worker import WorkerCancelled, WorkerFailed

from ... import i18n
from ..base import BaseModal

if TYPE_CHECKING:
    from ..app import ArtermApp


class BillingPrompt(BaseModal):
    """"N invoices of M contracts are due. Issue them now?" — dismisses with True or False."""

    DEFAULT_CSS = """
    BillingPrompt {
        align: center middle;
        background: $background 60%;
    }
    BillingPrompt > Vertical {
        width: 70;
        max-width: 100%;
        height: auto;
        border: round $primary;
        background: $panel;
        padding: 0 1;
    }
    BillingPrompt #billing-title {
        text-style: bold;
        width: 100%;
    }
    BillingPrompt #billing-message {
        width: 100%;
        padding: 1 0;
    }
    BillingPrompt Horizontal {
        height: auto;
        width: 100%;
        align-horizontal: right;
    }
    BillingPrompt Button {
        margin-left: 1;
        min-width: 12;
    }
    """
    AUTO_FOCUS = "#billing-yes"
    BINDINGS = [
        Binding("escape,n", "answer(False)", "contracts.bill_no", id="billing_prompt_no"),
    ]

    def __init__(self, invoices: int, contracts: int, until: date) -> None:
        super().__init__()
        self.invoices = invoices
        self.contracts = contracts
        self.until = until

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("", id="billing-title")
            yield Static("", id="billing-message")
            with Horizontal():
                yield Button("", id="billing-yes", variant="primary")
                yield Button("", id="billing-no")

    def on_mount(self) -> None:
        self.apply_language()

    def apply_language(self) -> None:
        self.query_one("#billing-title", Static).update(self.tr("contracts.bill_title"))
        self.query_one("#billing-message", Static).update(self.message)
        self.query_one("#billing-yes", Button).label = self.tr("contracts.bill_yes")
        self.query_one("#billing-no", Button).label = self.tr("contracts.bill_no")

    @property
    def message(self) -> str:
        lang = self.app.lang
        return i18n.tn("contracts.bill_prompt", self.invoices, lang, date=self.day(self.until),
                       contracts=i18n.tn("contracts.n_contracts", self.contracts, lang))

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "billing-yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


def _count_due(app: ArtermApp, until: date) -> tuple[int, int] | None:
    """Thread worker: (invoices, contracts) due; None when the database is not usable."""
    from ...queries.billing import count_due

    try:
        database = app.database()
        with database.read() as session:
            return count_due(session, until=until)
    except Exception:  # noqa: BLE001 - the app already reports a database that did not open
        return None


def _bill(app: ArtermApp, until: date, contract_ids: list[int] | None = None) -> None:
    """Thread worker: run the billing and say what it did."""
    from ...ledger.billing import bill_contracts

    try:
        report = bill_contracts(app.database(), actor=app.operator, until=until, contract_ids=contract_ids)
    except Exception as exc:  # noqa: BLE001 - shown to the operator
        app.call_from_thread(app.notify, str(exc), title=app.tr("ui.error"), severity="error", timeout=10)
        return
    app.call_from_thread(notify_report, app, report)
    if report.issued:
        app.call_from_thread(_tell_screens, app)


def _tell_screens(app: Any) -> None:
    """Screens that show billed data refresh themselves: any screen in the stack with a
    ``billing_done()`` method gets it called after a billing run issued something."""
    for screen in list(app.screen_stack):
        hook = getattr(screen, "billing_done", None)
        if callable(hook):
            hook()


def notify_report(app: Any, report: Any) -> None:
    """One notification summing up a billing run (event loop)."""
    if not report.issued and not report.already and not report.errors:
        app.notify(app.tr("contracts.nothing_due"), timeout=4)
        return
    parts = [app.tr("contracts.billed", invoices=len(report.issued), charges=report.charges,
                    contracts=i18n.tn("contracts.n_contracts", report.contracts, app.lang))]
    if report.already:
        parts.append(i18n.tn("contracts.billed_already", report.already, app.lang))
    if report.errors:
        parts.append(app.tr("contracts.billed_errors", errors="; ".join(report.errors)))
    app.notify(" ".join(parts), title=app.tr("contracts.bill_title"),
               severity="warning" if report.errors else "information", timeout=8)


def start_billing(app: ArtermApp, until: date, contract_ids: list[int] | None = None) -> Any:
    """Run the billing in a thread worker (returns the worker)."""
    return app.run_worker(lambda: _bill(app, until, contract_ids), thread=True, group="contract-billing",
                          name="contract billing", exit_on_error=False)


async def maybe_bill_on_start(app: ArtermApp) -> None:
    """Bill the contracts that fell due, as ``[contracts] bill_on_start`` says (ask/always/never)."""
    mode = app.settings.contracts.bill_on_start
    if mode not in ("ask", "always"):
        return
    until = app.today()
    counter = app.run_worker(lambda: _count_due(app, until), thread=True, group="billing-on-start-count",
                             name="count contract invoices due", exit_on_error=False)
    try:
        found = await counter.wait()
    except (WorkerFailed, WorkerCancelled):
        return
    if not found or not found[0]:
        return
    invoices, contracts = found
    if mode == "always":
        start_billing(app, until)
        return

    def answered(yes: bool | None) -> None:
        if yes:
            start_billing(app, until)

    app.push_screen(BillingPrompt(invoices, contracts, until), answered)
