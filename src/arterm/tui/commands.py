"""Command palette entries.

- ``screen_commands``: a screen lists its commands by defining ``palette_commands() ->
  Iterable[tuple[label_key, help_key, callback]]``; they appear in the palette translated, next to
  the app's own.
- ``CustomerCommands``: "go to customer". Typing part of a name, RFC, code, email or phone lists the
  matching customers (the same indexed search as the customers screen, run in a thread worker);
  choosing one opens the profile.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import App, SystemCommand
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.markup import escape
from textual.screen import Screen
from textual.worker import WorkerCancelled, WorkerFailed

from .base import clean

if TYPE_CHECKING:
    from ..queries.customers import CustomerRow

GOTO_LIMIT = 8
"""Customers listed at most for one palette query."""


def screen_commands(app: App[Any], screen: Screen[Any]) -> Iterable[SystemCommand]:
    provider = getattr(screen, "palette_commands", None)
    if provider is None:
        return
    tr = getattr(app, "tr")
    for label_key, help_key, callback in provider():
        yield SystemCommand(tr(label_key), tr(help_key), callback)


def open_customer(app: App[Any], customer_id: int) -> None:
    """Show the customer's profile (imported lazily: the profile screen is heavier than the list)."""
    from .screens.customer import open_profile

    open_profile(app, customer_id)


class CustomerCommands(Provider):
    """Palette provider: matching customers, by the indexed search of ``queries.customers``."""

    def _tr(self, key: str, **kwargs: Any) -> str:
        return getattr(self.app, "tr")(key, **kwargs)

    async def discover(self) -> Hits:
        # With an empty prompt: say that typing a name finds customers (selecting it does nothing).
        yield DiscoveryHit(self._tr("cmd.goto_customer_discover"), lambda: None,
                           help=escape(self._tr("cmd.goto_customer_discover_help")))

    async def search(self, query: str) -> Hits:
        text = query.strip()
        if len(text) < 2 or not hasattr(self.app, "database"):
            return
        worker = self.app.run_worker(partial(self._find, text), thread=True, exclusive=True,
                                     group="palette-customers", exit_on_error=False, name="palette search")
        try:
            rows: list[CustomerRow] = await worker.wait()
        except (WorkerCancelled, WorkerFailed):
            return  # superseded by the next keystroke, or reported by the app as an error
        for rank, row in enumerate(rows):
            name = clean(row.name)
            label = self._tr("cmd.goto_customer", name="\x00")
            before, _, after = label.partition("\x00")
            display = Text(before)
            display.append(name, style="bold")  # a Text prompt is never parsed as markup
            display.append(after)
            helptext = escape(self._tr("cmd.goto_customer_help", identifier=clean(row.identifier), rfc=clean(row.rfc)))
            # Database relevance (name order) is kept: every hit outranks fuzzy command matches.
            score = 0.9 - rank * 0.01
            yield Hit(score, display, partial(open_customer, self.app, row.id), text=f"{before}{name}{after}", help=helptext)

    def _find(self, text: str) -> list[CustomerRow]:
        from ..queries.customers import search_customers

        app: Any = self.app
        with app.database().read() as session:
            return search_customers(session, text, limit=GOTO_LIMIT, sort="name", as_of=app.today())
