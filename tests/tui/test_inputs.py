"""Editing keys that arrive together are applied in order (see arterm.tui.widgets.inputs)."""

from __future__ import annotations

from typing import Any

from textual import events
from textual.app import App, ComposeResult
from textual.widgets import Input, TextArea

from arterm.tui.widgets.inputs import OrderedInput, OrderedTextArea

from .pilot_helpers import settle


def key(name: str) -> events.Key:
    return events.Key(name, name if len(name) == 1 else None)


BURST = ["b", "a", "backspace", "c", "k", "left", "left", "x", "end", "backspace", "!"]  # "bxc!"


class Harness(App[None]):
    def __init__(self, widget: Any) -> None:
        super().__init__()
        self.widget = widget

    def compose(self) -> ComposeResult:
        yield self.widget


async def typed(widget: Any) -> str:
    app = Harness(widget)
    async with app.run_test() as pilot:
        widget.focus()
        await pilot.pause()
        for name in BURST:  # all at once, as a fast typist, a macro or a slow link deliver them
            app.post_message(key(name))
        await settle(pilot)
        return str(widget.value if isinstance(widget, Input) else widget.text)


async def test_ordered_input_applies_a_burst_of_keys_in_order() -> None:
    assert await typed(OrderedInput()) == "bxc!"


async def test_ordered_text_area_applies_a_burst_of_keys_in_order() -> None:
    assert await typed(OrderedTextArea()) == "bxc!"


async def test_the_plain_widgets_do_not_which_is_why_ours_exist() -> None:
    """Textual's own Input and TextArea reorder such a burst (Textualize/textual#6605). If this
    starts failing, Textual fixed it and arterm.tui.widgets.inputs can go."""
    assert await typed(Input()) != "bxc!"
    assert await typed(TextArea()) != "bxc!"
