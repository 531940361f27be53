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


async def test_search_box_scrolls_its_text_without_laying_out_the_screen() -> None:
    """The search box's growing text repaints the box only (no layout of the whole screen per
    keystroke), and still scrolls to keep the cursor in view, forwards and back."""
    from textual.widget import Widget

    from arterm.tui.screens.customers import SearchBox

    box = SearchBox()
    box.styles.width = 20
    app = Harness(box)
    async with app.run_test(size=(40, 5)) as pilot:
        box.focus()
        await settle(pilot)
        layouts: list[str] = []
        original = Widget.refresh

        def refresh(self: Widget, *args: Any, layout: bool = False, **kwargs: Any) -> Any:
            if layout:
                layouts.append(type(self).__name__)
            return original(self, *args, layout=layout, **kwargs)

        Widget.refresh = refresh  # type: ignore[method-assign]
        try:
            text = "ferreteria la esperanza del norte"
            for ch in text:
                await pilot.press("space" if ch == " " else ch)
            await settle(pilot)
            assert layouts == []
        finally:
            Widget.refresh = original  # type: ignore[method-assign]
        assert box.value == text and box.scroll_x > 0
        assert "del norte" in app.screen._compositor.render_strips()[1].text
        for _ in text:
            await pilot.press("backspace")
        await settle(pilot)
        assert box.value == "" and box.scroll_x == 0
        await pilot.press("a", "b")
        await settle(pilot)
        assert app.screen._compositor.render_strips()[1].text[1:].lstrip().startswith("ab")
