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
"""

from __future__ import annotations

from textual.widgets import Footer

__all__ = ["ArtermFooter"]


class ArtermFooter(Footer):
    async def recompose(self) -> None:
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
