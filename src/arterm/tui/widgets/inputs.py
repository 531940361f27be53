"""Text fields whose editing keys run in the order they were typed.

Textual inserts a typed character as soon as the field handles the key, but runs the field's own
bindings (backspace, delete, arrows, home/end, ctrl+u...) only after the key has bubbled up to the
app. When the app is busy (a preview recomputed on every change, a slow SSH link, a loaded
server), keys that arrive together are applied out of order: in the payment form, clearing
"16202.88" with backspace and typing "2000" gave "1622000" and then "16" (seen in tmux; Textual
issue #6605). On the money path that is a wrong amount. These fields run their own non-priority
bindings inline, before the next key is read, exactly as the app would have run them.
"""

from __future__ import annotations

from textual import events
from textual.widget import Widget
from textual.widgets import Input, TextArea

__all__ = ["OrderedInput", "OrderedTextArea", "run_own_binding"]


async def run_own_binding(widget: Widget, event: events.Key) -> bool:
    """Run ``widget``'s own binding for this key now (keymap applied); True if one ran."""
    if event.is_printable:
        return False
    bindings = widget._bindings.copy()
    keymap = widget.app._keymap
    if keymap:
        bindings.apply_keymap(keymap)
    for binding in bindings.key_to_bindings.get(event.key, ()):
        if not binding.priority and await widget.app.run_action(binding.action, widget):
            event.stop()
            event.prevent_default()
            return True
    return False


class OrderedInput(Input):
    async def _on_key(self, event: events.Key) -> None:
        if await run_own_binding(self, event):
            self._restart_blink()
            return
        await super()._on_key(event)


class OrderedTextArea(TextArea):
    async def _on_key(self, event: events.Key) -> None:
        if await run_own_binding(self, event):
            return
        await super()._on_key(event)
