"""The Textual application: paints first, opens the database in a worker, then the screens fill in.

Nothing heavy is imported at module level (no SQLAlchemy/SQLModel): the first frame goes out while
a worker imports the database layer and opens the database (``python -X importtime -c "import
arterm.tui.app, arterm.tui.screens.customers"`` shows no sqlalchemy).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

from .. import i18n
from ..config import Settings
from .base import KEPT_PROFILE, clean, describe_error, show_error  # noqa: F401  (describe_error: re-exported)
from .commands import CustomerCommands, screen_commands
from .idle_gc import IdleCollector

if TYPE_CHECKING:
    from ..db.engine import Database


class KeysScreen(ModalScreen[None]):
    """The keys of the screen underneath (``?``/F1): this screen's own first, then the app's,
    translated. Textual's built-in key panel would list every text-editing key of the focused
    input, in English, before them."""

    BINDINGS = [Binding("escape,f1,question_mark,q", "dismiss", "key.back", id="keys.close")]
    DEFAULT_CSS = """
    KeysScreen > VerticalScroll {
        width: 90; max-width: 100%; max-height: 100%; height: auto; background: $panel;
        border-left: tall $accent; padding: 0 1;
    }
    """

    def __init__(self, rows: list[tuple[str, str, str, str]]) -> None:
        super().__init__()
        self.rows = rows  # (section, keys, description, binding ids for [ui] keymap)

    def compose(self) -> Any:
        from rich.table import Table
        from rich.text import Text
        from textual.containers import VerticalScroll
        from textual.widgets import Static

        app: Any = self.app
        table = Table.grid(padding=(0, 2))
        table.add_column(justify="right", style="bold", no_wrap=True)
        table.add_column()
        table.add_column(style="dim italic", no_wrap=True)
        section = ""
        for where, keys, description, ids in self.rows:
            if where != section:
                section = where
                table.add_row("", Text(app.tr(where), style="bold"), "")
            table.add_row(Text(keys), Text(description), Text(ids))
        table.add_row("", "", "")
        table.add_row(Text("esc f1"), Text(app.tr("ui.close"), style="italic"), Text("keys.close"))
        table.add_row("", Text(app.tr("keys.id_hint"), style="dim"), "")
        with VerticalScroll():
            yield Static(table)

    @staticmethod
    def rows_for(app: App[Any], screen: Screen[Any]) -> list[tuple[str, str, str, str]]:
        mine: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
        for active in screen.active_bindings.values():
            binding = active.binding
            if not (binding.id and binding.description) or binding.id.startswith("virtual_table."):
                continue  # Textual's own editing/scrolling keys
            where = "keys.global" if active.node is app else "keys.screen"
            keys, ids = mine.setdefault((where, binding.description), ([], []))
            keys.append(app.get_key_display(binding))
            ids.append(binding.id)
        ordered = sorted(mine.items(), key=lambda item: item[0][0] != "keys.screen")
        return [(where, " ".join(dict.fromkeys(keys)), description, " ".join(dict.fromkeys(ids)))
                for (where, description), (keys, ids) in ordered]


def _customers_screen() -> Screen[Any]:
    from .screens.customers import CustomersScreen

    return CustomersScreen()


class ArtermApp(App[None]):
    TITLE = "arterm"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {CustomerCommands}
    # The customers screen is the root of the stack (Escape never leaves it). As a mode, its .tcss
    # is loaded with it; it is imported on first use.
    MODES = {"customers": lambda: _customers_screen()}
    DEFAULT_MODE = "customers"
    # Every binding has an id: ``[ui] keymap = { help = "f1", "customers.new" = "f5" }`` remaps it.
    BINDINGS = [
        Binding("ctrl+l", "switch_language", "key.language", id="switch_language", tooltip="Español / English"),
        Binding("f2", "change_theme", "key.theme", id="change_theme"),
        # "?" types a question mark while the search box has focus; F1 works everywhere.
        Binding("f1,question_mark", "toggle_help", "key.help", id="help"),
        Binding("escape", "back", "key.back", id="back"),
        Binding("ctrl+p", "command_palette", "key.palette", id="command_palette", show=False, priority=True),
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
        self._db_claim = threading.Lock()
        self._db_claimed = database is not None  # a thread has started to open it (or it is open)
        if database is not None:
            self._db_ready.set()
        if settings.ui.theme:
            self.theme = settings.ui.theme
        self.idle_gc = IdleCollector()
        self._billing_check_due = False  # set on mount (see customers_shown)
        # Keys of ``[ui] keymap`` a focused widget takes from its screen (keymap.focus_conflicts):
        # checked once the start's keymap check has run, each reported once.
        self._focus_keys_checked = False
        self._focus_keys_reported: set[tuple[str, str, str]] = set()

    # ------------------------------------------------------------------------------- database
    def on_mount(self) -> None:
        # Full garbage collections wait for a pause in the typing (idle_gc.py).
        self.idle_gc.install()
        self.set_interval(0.25, self.idle_gc.tick, name="idle-gc")
        if self.settings.ui.keymap:
            self.apply_keymap(self.settings.ui.keymap)
            self._check_keymap(dict(self.settings.ui.keymap))
        # The database is opened for the first worker that needs it (``database()``), or once the
        # customers screen shows its first rows (``customers_shown``): when those were read ahead by
        # a child process (providers.read_first_page), importing SQLAlchemy here would only compete
        # with Textual for the interpreter until the first frame (~80 ms of it, bench/README-tui.md).
        # A fixed business date means a test or a replay: no catch-up billing.
        self._billing_check_due = self._today is None

    def notify(self, message: str, *, title: str = "", severity: Any = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """Every notification is plain text, whoever asks (``Widget.notify`` passes Textual's
        default ``markup=True``): messages carry data (an error naming a customer, a folio), and
        ``[bold]`` in it must show as typed; ``[/]`` alone made the toast fail to render. The
        app's own strings never use markup (the catalogs refuse it)."""
        super().notify(clean(message), title=clean(title), severity=severity, timeout=timeout, markup=False)

    def customers_shown(self) -> None:
        """The customers screen has shown its first rows: now the database is opened, if they came
        from the child that read them ahead, and the catch-up billing check may run.

        Not before: the check walks every contract's schedule in Python (~0.7 s of CPU with 8,000
        contracts), and at start it competed for the interpreter with the imports and the first
        page of customers.
        """
        if self._db is None:
            self.call_after_refresh(self._open_database)  # the rows are painted first
        if not self._billing_check_due:
            return
        self._billing_check_due = False
        from .dialogs.billing_prompt import maybe_bill_on_start

        self.run_worker(maybe_bill_on_start(self), group="billing-on-start", exit_on_error=False)

    def on_unmount(self) -> None:
        self.idle_gc.uninstall()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp,
                              events.Paste)):
            self.idle_gc.input_seen()
            # A key right after Enter on a customer belongs to the profile being opened: show it
            # now, before the key is handled (screens/customer.py ``open_profile``). Not a click:
            # it would land on the profile's widgets.
            if isinstance(event, events.Key) and self.profile_show_pending():
                self._installed_screens[KEPT_PROFILE].show_now()  # type: ignore[union-attr]
        await super().on_event(event)

    def profile_show_pending(self) -> bool:
        """The kept profile screen has a customer and waits for its data to be shown."""
        kept = self._installed_screens.get(KEPT_PROFILE)
        return bool(getattr(kept, "show_pending", False))

    def _open_database(self) -> None:
        """Open the database in a thread of its own, unless one has been started already (from
        any thread: the first worker that needs it, or ``customers_shown``)."""
        with self._db_claim:
            if self._db_claimed:
                return
            self._db_claimed = True
        threading.Thread(target=self._open_now, name="arterm-open-database").start()

    def _open_now(self) -> None:
        """Open the database in this thread (``_open_database``'s)."""
        try:
            from ..db.engine import open_database

            self._db = open_database(self.url)
        except Exception as exc:  # noqa: BLE001 - shown to the operator, the app keeps running
            self._db_error = describe_error(exc)
            try:
                self.call_from_thread(self.notify, self._db_error, title=self.tr("ui.database_error"),
                                      severity="error", timeout=30)
            except RuntimeError:
                pass  # the operator quit while it was opening: nobody left to tell
        finally:
            self._db_ready.set()

    def database(self, timeout: float = 60.0) -> Database:
        """The open database (call from a worker thread: waits while it is being opened, and has it
        opened if nobody has asked yet).

        Opened in a thread of its own, never in the caller's: the first caller waits at most
        ``timeout`` too (a server that does not answer left the first load "searching" for ever,
        instead of saying so after a minute)."""
        if not self._db_ready.is_set():
            self._open_database()
        if not self._db_ready.wait(timeout):
            raise RuntimeError(self.tr("ui.database_opening"))
        if self._db is None:
            raise RuntimeError(f"{self.tr('ui.database_error')}: {self._db_error or '?'}")
        return self._db

    @property
    def database_error(self) -> str | None:
        """Why the database could not be opened (already shown to the operator), if it failed."""
        return self._db_error

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Any worker error becomes a visible message; the app keeps running."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            show_error(self, event.worker.error)

    def today(self) -> date:
        """The business date screens compute overdue/aging against (``date.today()`` unless fixed)."""
        return self._today or date.today()

    # ------------------------------------------------------------------------------- keys
    def apply_keymap(self, keymap: dict[str, str]) -> None:
        """Remap bindings by id (``[ui] keymap``); keeps the footer's palette key in step."""
        self.set_keymap(keymap)
        # ``set_keymap`` tells the screen only once the app is mounted; the footer rebuilds only
        # when told (widgets/footer.py), so tell every screen now.
        for screen in self.screen_stack:
            screen.refresh_bindings()
        palette = keymap.get("command_palette")
        if palette:
            self.COMMAND_PALETTE_BINDING = self._normalize_keymap({"p": palette})["p"].split(",")[0]

    @work(thread=True, exclusive=True, group="check-keymap", exit_on_error=False)
    def _check_keymap(self, keymap: dict[str, str]) -> None:
        """Warn about ``[ui] keymap`` ids no binding has and keys another binding already uses
        (Textual ignores both silently). In a worker: it imports every screen's module."""
        from .keymap import check_keymap

        problems = check_keymap(keymap, type(self))
        if problems.unknown:
            self.call_from_thread(
                self.notify, self.tr("keymap.unknown", ids=", ".join(problems.unknown)),
                title=self.tr("keymap.title"), severity="error", timeout=60, markup=False)
        others: dict[tuple[str, str], list[str]] = {}
        for binding_id, key, other in problems.conflicts:
            others.setdefault((binding_id, key), []).append(other)
        for (binding_id, key), clashing in others.items():
            self.call_from_thread(
                self.notify, self.tr("keymap.conflict", id=binding_id, keys=key, others=", ".join(clashing)),
                title=self.tr("keymap.title"), severity="warning", timeout=60, markup=False)
        self.call_from_thread(self._start_focus_key_check)

    def _start_focus_key_check(self) -> None:
        """From now on every focus is checked (not during the start: the widget focused then is
        checked here, after the worker's own messages)."""
        self._focus_keys_checked = True
        if self.focused is not None:
            self._check_focus_keys(self.focused)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if self._focus_keys_checked:
            self._check_focus_keys(event.widget)

    def _check_focus_keys(self, widget: Any) -> None:
        """Warn, once per binding, key and kind of widget, when the focused widget takes a key
        ``[ui] keymap`` gave to its screen (or the other way round): the screen's binding does
        nothing while that widget has the focus (keymap.focus_conflicts)."""
        from .keymap import focus_conflicts

        for conflict in focus_conflicts(self._keymap, widget):
            seen = (conflict.binding_id, conflict.key, conflict.widget_class)
            if seen in self._focus_keys_reported:
                continue
            self._focus_keys_reported.add(seen)
            inner = conflict.inner or self.tr("keymap.typing")
            self.notify(self.tr("keymap.widget_conflict", id=conflict.binding_id, keys=conflict.key,
                                widget=conflict.widget, inner=inner, outer=conflict.outer),
                        title=self.tr("keymap.title"), severity="warning", timeout=60)

    def action_back(self) -> None:
        """Escape: close a dialog (as cancelled) or return to the previous screen."""
        screen = self.screen
        if isinstance(screen, ModalScreen):
            screen.dismiss(None)
        elif len(self.screen_stack) > 1:
            self.pop_screen()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back" and len(self.screen_stack) <= 1:
            return False  # nothing to go back to: hide it from the footer
        return True

    def action_toggle_help(self) -> None:
        if isinstance(self.screen, KeysScreen):
            self.screen.dismiss(None)
        else:
            self.push_screen(KeysScreen(KeysScreen.rows_for(self, self.screen)))

    def action_command_palette(self) -> None:
        from textual.command import CommandPalette

        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(CommandPalette(id="--command-palette", placeholder=self.tr("ui.palette_placeholder")))

    def action_change_theme(self) -> None:
        from textual.command import CommandPalette
        from textual.theme import ThemeProvider

        self.push_screen(CommandPalette(providers=[ThemeProvider], placeholder=self.tr("cmd.theme_placeholder")))

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

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The palette's own commands, translated (Textual's are English only)."""
        yield SystemCommand(self.tr("cmd.switch_language"), self.tr("cmd.switch_language_help"),
                            self.action_switch_language)
        yield SystemCommand(self.tr("cmd.change_theme"), self.tr("cmd.change_theme_help"), self.action_change_theme)
        yield SystemCommand(self.tr("cmd.show_keys"), self.tr("cmd.show_keys_help"), self.action_toggle_help)
        if len(self.screen_stack) > 1:
            yield SystemCommand(self.tr("cmd.back"), self.tr("cmd.back_help"), self.action_back)
        yield SystemCommand(self.tr("cmd.screenshot"), self.tr("cmd.screenshot_help"),
                            lambda: self.set_timer(0.1, self.deliver_screenshot))
        yield SystemCommand(self.tr("cmd.quit"), self.tr("cmd.quit_help"), self.action_quit)
        from .screens.outbox import palette_commands as outbox_commands

        for label, help_key, callback in outbox_commands(self):
            yield SystemCommand(self.tr(label), self.tr(help_key), callback)
        try:
            from .dialogs.import_cfdi import palette_commands as import_commands
        except ImportError:  # pragma: no cover - the CFDI import dialog is optional
            import_commands = None
        if import_commands is not None:
            for label, help_key, callback in import_commands(self):
                yield SystemCommand(self.tr(label), self.tr(help_key), callback)
        yield from screen_commands(self, screen)


def run_app(*, settings: Settings, url: str, operator: str) -> None:
    from .. import launch

    # The kept first frame, if one is on screen, stays there until the app paints its own.
    kept_frame = launch.end_first_frame(app_starting=True)
    app = ArtermApp(settings=settings, url=url, operator=operator)
    if kept_frame:
        from .first_frame import kept_frame_driver

        app.driver_class = kept_frame_driver(app.driver_class)
    try:
        app.run()
    finally:
        from .. import prefetch

        prefetch.discard()  # a first page nobody took (the app failed before its first load)
