"""Import CFDI XML from the TUI: a path (file, folder or .zip), a progress bar, then the report.

``ImportDialog()`` asks for a path (``~`` expanded), imports it in a thread worker with the same
importer as ``arterm import`` (``cfdi.importer.import_paths``: settings, operator and language of
the app) and shows the same report: imported by type, duplicates, not ours, waiting for their
invoice, warnings and rejected files with their reasons (file names and messages shown literally,
the first ``MAX_LINES`` of each list). Escape while importing asks the worker to stop at the next
batch boundary (what was imported stays); otherwise it closes the dialog. The dialog dismisses with
the ``ImportReport`` of the last run (``None`` when nothing was imported), so the caller can
refresh its lists.

``palette_commands(app)`` yields the command-palette entry that opens the dialog.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, ProgressBar, RichLog, Static
from ..widgets.inputs import OrderedInput

from ..base import BaseModal, literal

if TYPE_CHECKING:
    from ...cfdi.importer import ImportReport

MAX_LINES = 200


class ImportDialog(BaseModal):
    DEFAULT_CSS = """
    ImportDialog {
        align: center middle;
    }
    ImportDialog > #import-dialog {
        width: 100;
        max-width: 100%;
        height: 90%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    ImportDialog #import-title {
        text-style: bold;
        margin-bottom: 1;
    }
    ImportDialog #import-help {
        color: $text-muted;
    }
    ImportDialog #import-row {
        height: auto;
    }
    ImportDialog #import-path {
        width: 1fr;
    }
    ImportDialog #import-row Button {
        margin-left: 1;
    }
    ImportDialog #import-progress {
        margin: 1 0 0 0;
        display: none;
    }
    ImportDialog #import-progress.-shown {
        display: block;
    }
    ImportDialog #import-status {
        height: auto;
        min-height: 1;
    }
    ImportDialog #import-status.-error {
        color: $error;
    }
    ImportDialog #import-summary {
        height: auto;
        margin-top: 1;
    }
    ImportDialog #import-log {
        height: 1fr;
        border: round $panel;
    }
    ImportDialog #import-buttons {
        height: auto;
        align-horizontal: right;
    }
    """

    BINDINGS = [
        Binding("escape", "close", "cfdi.dialog.key_close", id="import.close"),
    ]

    def __init__(self, path: str = "") -> None:
        super().__init__()
        self._initial_path = path
        self._import_busy = False
        self._import_stop = threading.Event()
        self.report: ImportReport | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="import-dialog"):
            yield Label(self.tr("cfdi.dialog.title"), id="import-title")
            yield Label(self.tr("cfdi.dialog.help"), id="import-help")
            with Horizontal(id="import-row"):
                yield OrderedInput(self._initial_path, placeholder=self.tr("cfdi.dialog.placeholder"), id="import-path")
                yield Button(self.tr("cfdi.dialog.import"), id="import-run", variant="primary")
            yield ProgressBar(id="import-progress", show_eta=True)
            yield Static("", id="import-status")
            yield Static("", id="import-summary")
            yield RichLog(id="import-log", wrap=True, markup=False, highlight=False, max_lines=6 * MAX_LINES + 50)
            with Horizontal(id="import-buttons"):
                yield Button(self.tr("cfdi.dialog.close"), id="import-close")

    def on_mount(self) -> None:
        self.query_one("#import-path", Input).focus()

    def apply_language(self) -> None:
        self.query_one("#import-title", Label).update(self.tr("cfdi.dialog.title"))
        self.query_one("#import-help", Label).update(self.tr("cfdi.dialog.help"))
        self.query_one("#import-path", Input).placeholder = self.tr("cfdi.dialog.placeholder")
        self.query_one("#import-run", Button).label = self.tr("cfdi.dialog.import")
        self.query_one("#import-close", Button).label = self.tr("cfdi.dialog.close")
        if self.report is not None:
            self._show_report(self.report)

    # ------------------------------------------------------------------------------- actions
    @on(Input.Submitted, "#import-path")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_run()

    @on(Button.Pressed, "#import-run")
    def _run_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_run()

    @on(Button.Pressed, "#import-close")
    def _close_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_close()

    def action_run(self) -> None:
        if self._import_busy:
            return
        raw = self.query_one("#import-path", Input).value.strip()
        if not raw:
            self._status(self.tr("cfdi.dialog.no_path"), error=True)
            return
        path = os.path.expanduser(raw)
        if not os.path.exists(path):
            self._status(self.tr("cfdi.dialog.not_found", path=raw), error=True)
            return
        self._import_busy = True
        self._import_stop.clear()
        self.query_one("#import-run", Button).disabled = True
        self.query_one("#import-path", Input).disabled = True
        bar = self.query_one("#import-progress", ProgressBar)
        bar.update(total=None, progress=0)
        bar.add_class("-shown")
        self.query_one("#import-summary", Static).update("")
        self.query_one("#import-log", RichLog).clear()
        self._status(self.tr("cfdi.dialog.running"))
        self._import(path)

    def action_close(self) -> None:
        if self._import_busy:
            self._import_stop.set()
            self._status(self.tr("cfdi.dialog.stopping"))
            return
        self.dismiss(self.report)

    # ------------------------------------------------------------------------------- worker
    @work(thread=True, exclusive=True, group="import-cfdi", exit_on_error=False)
    def _import(self, path: str) -> None:
        from ...cfdi.importer import import_paths

        app = self.app
        try:
            db = app.database()
            report = import_paths(
                db, [path], settings=app.settings, actor=app.operator, lang=app.lang,
                progress=lambda done, total: app.call_from_thread(self._progress, done, total),
                should_stop=self._import_stop.is_set,
            )
        except Exception as exc:  # noqa: BLE001 - shown in the dialog; the app keeps running
            from ..base import describe_error

            app.call_from_thread(self._failed, describe_error(exc))
            return
        app.call_from_thread(self._done, report)

    def _progress(self, done: int, total: int) -> None:
        self.query_one("#import-progress", ProgressBar).update(total=max(total, 1), progress=done)
        self._status(self.tr("cfdi.dialog.progress", done=done, total=total))

    def _failed(self, message: str) -> None:
        self._finish()
        self._status(self.tr("cfdi.dialog.failed", error=message), error=True)

    def _done(self, report: ImportReport) -> None:
        self.report = report
        self._finish()
        key = "cfdi.dialog.done_stopped" if report.stopped else "cfdi.dialog.done"
        self._status(self.tr(key, n=report.total_imported), error=bool(report.rejected))
        self._show_report(report)

    def _finish(self) -> None:
        self._import_busy = False
        self.query_one("#import-run", Button).disabled = False
        self.query_one("#import-path", Input).disabled = False
        self.query_one("#import-close", Button).focus()

    # ------------------------------------------------------------------------------- report
    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#import-status", Static)
        status.update(literal(text))
        status.set_class(error, "-error")

    def summary_lines(self, report: ImportReport) -> list[str]:
        """The counts, one per line (also what tests read)."""
        lines = [self.tr(f"cfdi.cli.imported_{k}") + f": {report.imported[k]}" for k in
                 ("invoice", "credit_note", "payment")]
        for key, items in (("cfdi.cli.duplicates", report.duplicates), ("cfdi.cli.not_ours", report.not_ours),
                           ("cfdi.cli.waiting", report.waiting), ("cfdi.cli.warnings", report.warnings),
                           ("cfdi.cli.rejected", report.rejected)):
            lines.append(f"{self.tr(key)}: {len(items)}")
        return lines

    def _show_report(self, report: ImportReport) -> None:
        self.query_one("#import-summary", Static).update(literal("\n".join(self.summary_lines(report))))
        log = self.query_one("#import-log", RichLog)
        log.clear()

        def section(key: str, items: list[tuple[str, str]], style: str) -> None:
            if not items:
                return
            log.write(Text(self.tr(key), style="bold " + style))
            for path, message in items[:MAX_LINES]:
                line = literal("  " + path)
                if message:
                    line.append(": ")
                    line.append_text(literal(message, style=style))
                log.write(line)
            if len(items) > MAX_LINES:
                log.write(literal("  " + self.tr("cfdi.cli.more", n=len(items) - MAX_LINES)))

        section("cfdi.cli.rejected", report.rejected, "red")
        section("cfdi.cli.waiting", [(p, "") for p in report.waiting], "yellow")
        section("cfdi.cli.warnings", report.warnings, "yellow")
        section("cfdi.cli.duplicates", [(p, "") for p in report.duplicates], "")
        section("cfdi.cli.not_ours", [(p, "") for p in report.not_ours], "")


def refresh_after_import(app: Any, report: ImportReport | None) -> None:
    """When something was imported, reload the screen the dialog was opened from (its
    ``action_refresh`` or ``action_reload``, if it has one)."""
    if report is None or not (report.total_imported or report.resolved):
        return
    screen = app.screen
    reload = getattr(screen, "action_refresh", None) or getattr(screen, "action_reload", None)
    if reload is not None:
        reload()


def palette_commands(app: Any) -> Iterable[tuple[str, str, Callable[[], Any]]]:
    """The palette entry that opens the import dialog (for the app's / a screen's provider)."""
    yield ("cfdi.cmd.import", "cfdi.cmd.import_help",
           lambda: app.push_screen(ImportDialog(), lambda report: refresh_after_import(app, report)))
