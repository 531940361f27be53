"""Command palette entries contributed by the current screen.

A screen lists its commands by defining ``palette_commands() -> Iterable[tuple[label_key,
help_key, callback]]``; they appear in the palette translated, next to the app's own.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.app import App, SystemCommand
from textual.screen import Screen


def screen_commands(app: App[Any], screen: Screen[Any]) -> Iterable[SystemCommand]:
    provider = getattr(screen, "palette_commands", None)
    if provider is None:
        return
    tr = getattr(app, "tr")
    for label_key, help_key, callback in provider():
        yield SystemCommand(tr(label_key), tr(help_key), callback)
