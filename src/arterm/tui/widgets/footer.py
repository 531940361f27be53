"""The footer every screen shows: Textual's ``Footer`` without its leak.

Textual's ``Footer`` rebuilds its keys whenever the screen's bindings change (focus moves, a
screen is pushed or popped). Each new ``FooterKey`` is ``data_bind``-ed to the footer's
``compact`` attribute, which stores a watcher ``(key, callback)`` on the footer; Textual drops
stale watchers only when ``compact`` changes, which it never does here. So every rebuild kept the
previous keys alive, with their styles and rendered lines (Textualize/textual#6666). On the
customers screen that was ~22 widgets and ~11,000 objects per profile opened and closed, and
Python's full garbage collections, which walk every live object, grew from ~60 ms to ~290 ms over
twenty profiles: an operator's app got slower all day. ``ArtermFooter`` drops the watchers of
keys that are no longer in the DOM after each rebuild.

It also rebuilds only when what it shows changed. Textual rebuilds on every change of the
screen's bindings, also when the keys shown stay the same (focus moving between two widgets
with the same keys, a kept profile screen pushed again): 13 new keys to mount, style, lay out
and draw, about a third of a profile open's cost (bench/README-tui.md).
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer

__all__ = ["ArtermFooter"]


class ArtermFooter(Footer):
    _shown: tuple[Any, ...] | None = None  # what the keys on screen were built from

    def bindings_changed(self, screen: Screen[Any]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen:
            self.call_after_refresh(self._recompose_if_changed)

    def shown_keys(self) -> tuple[Any, ...]:
        """Everything ``Footer.compose`` builds the keys from (bindings shown, their labels,
        keys, enabled state and tooltips, the palette key)."""
        app = self.app
        return (
            tuple((key, binding.key, binding.action, binding.description, binding.group, enabled, tooltip,
                   app.get_key_display(binding))
                  for key, (_, binding, enabled, tooltip) in self.screen.active_bindings.items() if binding.show),
            self.show_command_palette and app.ENABLE_COMMAND_PALETTE, app.COMMAND_PALETTE_BINDING,
        )

    async def _recompose_if_changed(self) -> None:
        if not self.is_attached:
            return
        if self.shown_keys() != self._shown:
            await self.recompose()

    async def recompose(self) -> None:
        self._shown = self.shown_keys() if self._bindings_ready else None
        await super().recompose()
        prune_dead_watchers(self)


def prune_dead_watchers(node: object) -> int:
    """Forget watchers on ``node`` whose watching widget has left the DOM; how many went."""
    watchers: dict[str, list[tuple[object, object]]] = getattr(node, "__watchers", None) or {}
    dropped = 0
    for entries in watchers.values():
        alive = [(owner, callback) for owner, callback in entries if getattr(owner, "is_attached", True)]
        dropped += len(entries) - len(alive)
        entries[:] = alive
    return dropped
