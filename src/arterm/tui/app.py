"""The Textual application (placeholder until the workbench lands)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static

from ..config import Settings


class ArtermApp(App[None]):
    TITLE = "arterm"
    BINDINGS = [("q", "quit", "Quit")]

    def __init__(self, *, settings: Settings, url: str, operator: str) -> None:
        super().__init__()
        self.settings = settings
        self.url = url
        self.operator = operator

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("arterm — the workbench is coming. Use `arterm --help` meanwhile.")
        yield Footer()


def run_app(*, settings: Settings, url: str, operator: str) -> None:
    ArtermApp(settings=settings, url=url, operator=operator).run()
