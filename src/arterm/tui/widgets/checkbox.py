"""A checkbox readable without colour.

Textual's compact ``Checkbox`` draws ``▐X▌`` both on and off (only the colours differ), so on a
monochrome terminal, or to a colour-blind operator, the state was invisible; and with an empty
label its width came out two cells short (``▐X…``). ``StateCheckbox`` draws ``[x]`` / ``[ ]`` and,
when it has no label of its own (``words=True``: the field's label is beside it), the state in
words: ``[x] Sí`` / ``[ ] No``.
"""

from __future__ import annotations

from typing import Any

from textual.content import Content
from textual.geometry import Size
from textual.widgets import Checkbox

from ... import i18n


class StateCheckbox(Checkbox):
    def __init__(self, label: str = "", *, words: bool = False, **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.words = words

    @property
    def _button(self) -> Content:
        mark = "[x]" if self.value else "[ ]"
        return Content.styled(mark, "bold") if self.value else Content(mark)

    def _state_label(self, value: bool | None = None) -> Content:
        if self.words and not self._label.plain:
            on = self.value if value is None else value
            return Content(i18n.t("ui.yes" if on else "ui.no", self.app.lang))
        return self._label

    def render(self) -> Content:
        label = self._state_label()
        if not label.plain:
            return self._button
        return Content.assemble(self._button, label.pad(1, 1).stylize_before(self.get_visual_style("toggle--label")))

    def get_content_width(self, container: Size, viewport: Size) -> int:
        # Wide enough for either state, so toggling never cuts the word off.
        widths = [self._state_label(v).get_optimal_width(self.styles, 0) for v in (False, True)]
        label = max(widths)
        return 3 + (2 + label if label else 0)

    def watch_value(self) -> None:
        # Textual's own watcher posts Changed; this one also refits the width (Yes/No).
        super().watch_value()
        self.refresh(layout=True)
