"""The Textual application: paints first, opens the database in a worker, then the screens fill in."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from .. import i18n
from ..config import Settings

if TYPE_CHECKING:
    from ..db.engine import Database


class ArtermApp(App[None]):
    TITLE = "arterm"
    CSS_PATH = "app.tcss"
    BINDINGS = [
        Binding("ctrl+l", "switch_language", "key.language", id="switch_language", tooltip="Español / English"),
        Binding("f2", "change_theme", "key.theme", id="change_theme", show=False),
        Binding("question_mark", "toggle_help", "key.help", id="help"),
        Binding("ctrl+q", "quit", "key.quit", id="quit", priority=True),
    ]

    def __init__(self, *, settings: Settings, url: str, operator: str, database: Database | None = None,
                 today: date | None = None) -> None:
        super().__init__()
        self._today = today  # fixed "today" for reproducible screens (tests, snapshots)
        self.settings = settings
        self.url = url
        self.operator = operator
        self.lang = i18n.normalize_lang(settings.language)
        self._db: Database | None = database
        self._db_error: str | None = None
        self._db_ready = threading.Event()
        if database is not None:
            self._db_ready.set()
        if settings.ui.theme:
            self.theme = settings.ui.theme

    # ------------------------------------------------------------------------------- database
    def on_mount(self) -> None:
        if self.settings.ui.keymap:
            self.set_keymap(self.settings.ui.keymap)
        from .screens.customers import CustomersScreen

        self.push_screen(CustomersScreen())
        if self._db is None:
            self._open_database()

    @work(thread=True, exclusive=True, group="open-database", exit_on_error=False)
    def _open_database(self) -> None:
        from ..db.engine import DatabaseError, open_database
        from ..db.migrate import SchemaError

        try:
            self._db = open_database(self.url)
        except (DatabaseError, SchemaError, Exception) as exc:  # noqa: BLE001 - shown to the operator
            self._db_error = str(exc)
            self.call_from_thread(self.notify, str(exc), title=self.tr("ui.error"), severity="error", timeout=30)
        finally:
            self._db_ready.set()

    def database(self, timeout: float = 60.0) -> Database:
        """The open database (call from a worker thread: waits while it is being opened)."""
        if not self._db_ready.wait(timeout):
            raise RuntimeError("the database is still opening")
        if self._db is None:
            raise RuntimeError(self._db_error or "no database")
        return self._db

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Any worker error becomes a visible message; the app keeps running."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            from ..domain.errors import DomainError

            error = event.worker.error
            text = str(error) if isinstance(error, DomainError | RuntimeError) else f"{type(error).__name__}: {error}"
            self.notify(text, title=self.tr("ui.error"), severity="error", timeout=10)

    def today(self) -> date:
        """The business date screens compute overdue/aging against (``date.today()`` unless fixed)."""
        return self._today or date.today()

    # ----------------------------------------------------------------------------------- text
    def tr(self, key: str, **kwargs: Any) -> str:
        return i18n.t(key, self.lang, **kwargs)

    def action_switch_language(self) -> None:
        self.set_language("en" if self.lang == "es" else "es")

    def set_language(self, lang: str) -> None:
        self.lang = i18n.normalize_lang(lang)
        for screen in self.screen_stack:
            apply = getattr(screen, "apply_language", None)
            if apply is not None:
                apply()
            screen.refresh_bindings()
        self.notify(self.tr("ui.language_set"), timeout=2)

    def action_toggle_help(self) -> None:
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand(self.tr("cmd.switch_language"), self.tr("cmd.switch_language_help"),
                            self.action_switch_language)
        from .commands import screen_commands

        yield from screen_commands(self, screen)


def run_app(*, settings: Settings, url: str, operator: str) -> None:
    ArtermApp(settings=settings, url=url, operator=operator).run()
