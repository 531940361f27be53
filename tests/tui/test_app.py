"""The app shell: start screen, Escape/back, help, palette, theme, language, keymap, errors and what
is imported before the first paint. Real SQLite database, fixed business date."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from textual.app import ComposeResult
from textual.widgets import Footer, Static

from arterm.config import Settings, UiSettings
from arterm.db.engine import Database
from arterm.tui.app import ArtermApp, KeysScreen, describe_error
from arterm.tui.base import BaseScreen
from arterm.tui.screens.customers import CustomersScreen
from .pilot_helpers import settle

TODAY = date(2026, 11, 28)
SIZE = (120, 40)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:  # SQLite only: the shell does not depend on the engine
    database = Database(f"sqlite:///{tmp_path / 'app.db'}")
    try:
        yield database
    finally:
        database.dispose()


def make_app(db: Database, **ui: Any) -> ArtermApp:
    settings = Settings(ui=UiSettings(**{"language": "es", **ui}))
    return ArtermApp(settings=settings, url=str(db.url), operator="tester", database=db, today=TODAY)


def footer(app: ArtermApp) -> str:
    return app.screen._compositor.render_strips()[-1].text


def text(app: ArtermApp) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


class Plain(BaseScreen):
    def compose(self) -> ComposeResult:
        yield Static("pantalla empujada")
        yield Footer()


@pytest.mark.parametrize(("env", "fps"), [(None, "120"), ("30", "30")])
def test_the_app_caps_textual_at_120_frames_per_second_unless_told(env: str | None, fps: str) -> None:
    """A change is painted on Textual's next frame tick: at 120 fps it waits at most 8.3 ms."""
    import os

    environ = {k: v for k, v in os.environ.items() if k != "TEXTUAL_FPS"}
    if env is not None:
        environ["TEXTUAL_FPS"] = env
    code = "import arterm.tui.app, textual.constants as c; print(c.MAX_FPS)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=environ)
    assert out.stdout.strip() == fps


def test_nothing_heavy_is_imported_before_the_first_paint() -> None:
    """The app module and the start screen import neither SQLAlchemy nor SQLModel/pydantic; nor do
    the modules that bring the first page from the child that read it (providers.read_first_page)."""
    code = ("import sys, arterm.tui.app, arterm.tui.screens.customers, arterm.tui.providers, arterm.prefetch,"
            " arterm.queries.rows;"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'sqlalchemy', 'sqlmodel', 'pydantic', 'alembic'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


async def test_starts_on_the_customers_screen_with_the_search_focused(db: Database) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, CustomersScreen) and len(app.screen_stack) == 1
        assert app.focused is app.screen.query_one("#customers-search")
        assert "Regresar" not in footer(app)  # nothing to go back to
        assert "^p Comandos" in footer(app) and "f1 Ayuda" in footer(app)


async def test_escape_goes_back(db: Database) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await app.push_screen(Plain())
        await settle(pilot)
        assert "esc Regresar" in footer(app)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, CustomersScreen)
        await pilot.press("escape")  # on the start screen Escape stays there
        await settle(pilot)
        assert isinstance(app.screen, CustomersScreen) and app.is_running


async def test_keys_help_with_f1_and_question_mark(db: Database) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, KeysScreen)
        panel = text(app)
        # This screen's keys first, then the app's, translated; no text-editing keys of the input.
        assert panel.index("En esta pantalla") < panel.index("^s  Ordenar") < panel.index("En toda la aplicación")
        assert panel.index("En toda la aplicación") < panel.index("^l  Idioma")
        assert "Delete" not in panel and "Move cursor" not in panel
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, CustomersScreen)
        app.screen.query_one("CustomerTable").focus()
        await pilot.press("question_mark")  # "?" types in the search box, but works elsewhere
        await pilot.pause()
        assert isinstance(app.screen, KeysScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, CustomersScreen)
        await pilot.press("slash", "question_mark")  # in the search box it is a character
        assert app.screen.query_one("#customers-search").value == "?"  # type: ignore[attr-defined]


async def test_palette_commands_are_translated(db: Database) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert "Buscar un comando o un cliente" in text(app)
        await pilot.press(*"tema")
        await pilot.pause(0.3)
        assert "Cambiar tema" in text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert "Buscar un tema" in text(app)
        await pilot.press(*"nord")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert app.theme == "nord" and isinstance(app.screen, CustomersScreen)


async def test_f2_changes_the_theme(db: Database) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f2", *"gruvbox")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert app.theme == "gruvbox"


@pytest.mark.parametrize(("lang_env", "configured", "expected"), [
    ("en_US.UTF-8", "", "en"), ("es_MX.UTF-8", "", "es"), ("en_US.UTF-8", "es", "es"), ("es_MX.UTF-8", "en", "en")])
async def test_language_from_config_or_lang(db: Database, monkeypatch: pytest.MonkeyPatch, lang_env: str,
                                            configured: str, expected: str) -> None:
    monkeypatch.setenv("LANG", lang_env)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.delenv("ARTERM_LANG", raising=False)
    app = make_app(db, language=configured)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.lang == expected
        assert ("Salir" if expected == "es" else "Quit") in footer(app)


async def test_switch_language_updates_every_screen_in_the_stack(db: Database) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await app.push_screen(Plain())
        await settle(pilot)
        assert "Regresar" in footer(app)
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert "Back" in footer(app) and "Language" in footer(app)
        await pilot.press("escape")
        await settle(pilot)
        assert "Customers" in text(app) and "Clientes" not in text(app)


async def test_app_level_keymap(db: Database) -> None:
    app = make_app(db, keymap={"help": "f10", "command_palette": "f12", "quit": "ctrl+x"})
    async with app.run_test(size=(140, 40)) as pilot:  # longer key names: a wider footer
        await settle(pilot)
        assert "f10 Ayuda" in footer(app) and "f12 Comandos" in footer(app) and "^x Salir" in footer(app)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, CustomersScreen)
        await pilot.press("f10")
        await pilot.pause()
        assert isinstance(app.screen, KeysScreen)
        await pilot.press("escape", "f12")
        await settle(pilot)
        assert type(app.screen).__name__ == "CommandPalette"


async def test_a_failing_worker_becomes_a_notification(db: Database) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)

        def boom() -> None:
            raise ValueError("algo falló")

        app.run_worker(boom, thread=True, exit_on_error=False)
        await settle(pilot)
        assert any("algo falló" in n.message and n.severity == "error" for n in app._notifications)
        assert app.is_running


def test_describe_error_keeps_the_driver_message_only() -> None:
    import sqlalchemy as sa

    engine = sa.create_engine("sqlite://")
    with engine.connect() as conn:
        try:
            conn.execute(sa.text("SELECT * FROM missing_table"))
        except sa.exc.DBAPIError as exc:
            assert describe_error(exc) == "no such table: missing_table"
    assert describe_error(RuntimeError("")) == "RuntimeError"


async def test_a_screen_is_not_restyled_on_the_resume_right_after_its_push(db: Database,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """BaseScreen skips Textual's whole-screen restyle on the first resume (the screen was just
    styled while mounting); a later resume that asks for it still restyles."""
    from textual import events

    restyled: list[str] = []
    real = BaseScreen.update_node_styles

    def spy(self: Any, animate: bool = True) -> None:
        restyled.append(type(self).__name__)
        real(self, animate)

    monkeypatch.setattr(BaseScreen, "update_node_styles", spy)

    class First(BaseScreen):
        def compose(self) -> ComposeResult:
            yield Static("first", id="first")

    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        first = First()
        await app.push_screen(first)
        await pilot.pause(0.1)
        assert restyled == [] and first.query_one("#first", Static).region.height == 1
        first.post_message(events.ScreenResume(refresh_styles=True))  # e.g. switch_screen back to it
        await pilot.pause(0.1)
        assert restyled == ["First"]


async def test_keymap_with_an_unknown_id_or_a_clashing_key_warns_at_start(db: Database) -> None:
    """Textual ignores an id no binding has; the app says so, naming it and where ids are listed."""
    app = make_app(db, language="en", keymap={"nonexistent_id": "f9", "profile.send_statement": "p",
                                              "customers.sort": "f6"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        unknown = [m for m in messages if "nonexistent_id" in m]
        assert len(unknown) == 1 and "help panel" in unknown[0] and "README" in unknown[0]
        clash = [m for m in messages if "profile.send_statement" in m]
        assert len(clash) == 1 and "profile.add_payment" in clash[0] and '"p"' in clash[0]
        assert not any("customers.sort" in m for m in messages)  # a fine remap says nothing


async def test_a_valid_keymap_says_nothing(db: Database) -> None:
    app = make_app(db, keymap={"help": "f10", "customers.new": "f5"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert not list(app._notifications)


async def test_help_shows_each_keys_binding_id(db: Database) -> None:
    app = make_app(db, keymap={"customers.sort": "f6"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        lines = text(app).splitlines()
        assert any("f6" in line and "Ordenar" in line and "customers.sort" in line for line in lines)
        assert any("^l" in line and "Idioma" in line and "switch_language" in line for line in lines)
        assert any("Ayuda" in line and line.rstrip().endswith("help") for line in lines)


async def test_notifications_show_data_literally(db: Database) -> None:
    """An error naming a customer whose name looks like markup: shown as typed, from the app or a
    widget (Widget.notify passes markup=True); an unbalanced '[/]' no longer breaks the toast."""
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.notify("cliente [bold red]X[/] duplicado")
        app.screen.notify("folio [/] A-1 \x1b[31mrojo", title="[b]Error")
        await settle(pilot)
        shown = list(app._notifications)
        assert [n.markup for n in shown] == [False, False]
        assert [n.message for n in shown] == ["cliente [bold red]X[/] duplicado", "folio [/] A-1 rojo"]
        assert shown[1].title == "[b]Error"
        assert app._exception is None  # nothing failed to render (a toast with markup=False is literal)


def messages(app: ArtermApp) -> list[str]:
    return [n.message for n in app._notifications]


@pytest.mark.parametrize(("keymap", "takes"), [
    ({"customers.new": "ctrl+a"}, "(home)"),  # the search box moves its cursor home
    ({"customers.new": "n"}, "(types it)"),  # ctrl+n was chosen because the search box types letters
])
async def test_a_screen_key_the_focused_widget_takes_is_reported(db: Database, keymap: dict[str, str],
                                                                 takes: str) -> None:
    """QA: the check compared a screen's keys with each other and the app's, not with the widgets
    inside it: the remapped key silently did nothing while the search box had the focus."""
    app = make_app(db, language="en", keymap=keymap)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        (key,) = keymap.values()
        (message,) = messages(app)
        assert message.startswith(f'customers.new = "{key}": while SearchBox #customers-search has the focus')
        assert takes in message and "customers.new does not run" in message
        await pilot.press(key)  # what the message says: the new-customer form does not open
        await settle(pilot)
        assert isinstance(app.screen, CustomersScreen)


async def test_a_key_the_table_takes_is_reported_when_the_table_has_the_focus(db: Database) -> None:
    """Each focused widget is checked once it has the focus, against its screen and the app."""
    app = make_app(db, language="en", keymap={"customers.refresh": "enter"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert messages(app) == ['customers.refresh = "enter": while SearchBox #customers-search has the focus it '
                                 'takes that key (customers.open_from_search) and customers.refresh does not run. '
                                 'Choose another key.']
        await pilot.press("tab")
        await settle(pilot)
        assert type(app.focused).__name__ == "CustomerTable"
        assert messages(app)[1:] == ['customers.refresh = "enter": while CustomerTable has the focus it takes that '
                                     'key (customers.open_row) and customers.refresh does not run. Choose another key.']
        await pilot.press("shift+tab", "tab")
        await settle(pilot)
        assert len(messages(app)) == 2  # each once


async def test_a_remapped_widget_key_that_takes_a_screen_key_is_reported(db: Database) -> None:
    app = make_app(db, language="en", keymap={"customers.open_row": "ctrl+n"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert messages(app) == []  # the search box does not take ctrl+n
        await pilot.press("tab")
        await settle(pilot)
        assert messages(app) == ['customers.open_row = "ctrl+n": while CustomerTable has the focus it takes that '
                                 'key (customers.open_row) and customers.new does not run. Choose another key.']


@pytest.mark.parametrize("keymap", [
    {"quit": "ctrl+a"},  # a priority key: the app runs it before the search box sees it
    {"command_palette": "ctrl+e"},
    {"customers.search": "backslash"},  # its own key '/' is typed in the search box too: by design
    {"customers.page_down": "ctrl+pagedown"},  # the search box cannot scroll: Textual passes it on
    {"help": "f10", "customers.new": "f5"},
])
async def test_keys_shared_on_purpose_are_not_reported(db: Database, keymap: dict[str, str]) -> None:
    app = make_app(db, language="en", keymap=keymap)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("tab")  # the table
        await settle(pilot)
        assert type(app.focused).__name__ == "CustomerTable"
        assert messages(app) == []


async def test_a_form_key_its_fields_take_is_reported_once(db: Database) -> None:
    """In a dialog the fields are checked against the dialog's keys; the app's (non-priority) keys
    do not reach a modal dialog at all, so a field taking one of them is nothing new there."""
    app = make_app(db, language="en", keymap={"form_save": "ctrl+e", "help": "ctrl+k"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert len(messages(app)) == 1 and messages(app)[0].startswith('help = "ctrl+k": while SearchBox')
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert type(app.screen).__name__ == "CustomerForm"
        await pilot.press("tab", "tab")
        await settle(pilot)
        later = messages(app)[1:]
        assert len(later) == 1, later
        assert later[0].startswith('form_save = "ctrl+e": while OrderedInput #')
        assert "(end)" in later[0] and "form_save does not run" in later[0]


async def test_a_widget_conflict_is_reported_in_spanish(db: Database) -> None:
    app = make_app(db, keymap={"customers.new": "ctrl+a"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert messages(app) == ['customers.new = "ctrl+a": mientras SearchBox #customers-search tiene el foco, '
                                 'esa tecla es suya (home) y customers.new no se ejecuta. Elige otra tecla.']


def test_the_first_caller_of_database_waits_no_longer_than_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    """The database is opened when a worker first asks for it; with a server that does not answer,
    that worker too gives up after ``timeout`` with the app's message (it waited for ever: the
    customers screen said "searching" and never that the database was still being opened); the
    database the open brings later is used from then on."""
    import threading

    from arterm.db import engine

    answer = threading.Event()
    opened = object()

    def open_database(url: str) -> object:
        answer.wait(10)
        return opened

    monkeypatch.setattr(engine, "open_database", open_database)
    app = ArtermApp(settings=Settings(ui=UiSettings(language="es")), url="sqlite:///hung.db", operator="tester")
    outcome: list[object] = []

    def first_load() -> None:
        try:
            outcome.append(app.database(timeout=0.3))
        except RuntimeError as error:
            outcome.append(error)

    worker = threading.Thread(target=first_load)
    worker.start()
    worker.join(3)
    assert not worker.is_alive()
    assert [str(e) for e in outcome] == [app.tr("ui.database_opening")]
    answer.set()
    assert app.database(timeout=3) is opened


async def test_a_start_across_midnight_keeps_each_days_frame_with_its_own_date(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """The screen painted the 28th; the frame is taken after midnight: it is the 28th's frame (and
    the 29th's is that one with the 29th's date), not the 29th's showing the 28th all day."""
    import datetime as dt

    from arterm import launch
    from arterm.tui import first_frame

    painted = dt.date.today()
    after_midnight = painted + dt.timedelta(days=1)

    class Tomorrow(dt.date):
        @classmethod
        def today(cls) -> dt.date:
            return after_midnight

    days = [(painted + dt.timedelta(days=n)).isoformat() for n in range(4)]
    saved: dict[str, str] = {}
    monkeypatch.setattr(first_frame, "days_to_keep", lambda screen: days)
    monkeypatch.setattr(first_frame, "date", Tomorrow)  # the clock keep() reads
    monkeypatch.setattr(first_frame, "depends_on", lambda: [])
    monkeypatch.setattr(launch, "save_first_frame",
                        lambda frame, size, files, day=None: saved.__setitem__(day, frame))
    app = ArtermApp(settings=Settings(ui=UiSettings(language="es")), url=str(db.url), operator="tester", database=db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.pause(0.2)
    assert sorted(saved) == days
    for day, frame in saved.items():
        assert f"tester · Al {dt.date.fromisoformat(day):%d/%m/%Y}" in frame
