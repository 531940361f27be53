"""Waiting for the app to be quiet before a test looks at it (one definition for every TUI test).

"Quiet" means: no worker running, every virtual table has its rows, no debounced search pending,
and every ``DataTable`` has applied the rows it was given. The last one matters for pictures:
``DataTable`` measures new rows and columns only when it next receives an ``Idle`` event, so on a
loaded machine a screenshot taken right after the data arrived can show the old column widths
(a snapshot failed in CI that way).
"""

from __future__ import annotations

import re
from typing import Any

from textual.widgets import DataTable
from textual.worker import WorkerCancelled, WorkerFailed

from arterm.tui.widgets import VirtualTable


def _busy(app: Any) -> bool:
    if any(worker.is_running for worker in app.workers):
        return True
    if any(getattr(screen, "query_pending", False) for screen in app.screen_stack):
        return True
    screen = app.screen
    if any(table.is_loading or table.pages_pending for table in screen.query(VirtualTable)):
        return True
    # Private, on purpose: nothing public tells whether a DataTable has measured its new rows.
    return any(table._require_update_dimensions or table._updated_cells for table in screen.query(DataTable))


async def settle(pilot: Any, *, rounds: int = 300) -> None:
    """Wait until the app is quiet (see the module docstring) for two rounds in a row."""
    app = pilot.app
    quiet = 0
    for _ in range(rounds):
        try:
            await app.workers.wait_for_complete()
        except (WorkerFailed, WorkerCancelled):
            pass  # the app turns failures into notifications (asserted where expected)
        await pilot.pause()
        quiet = 0 if _busy(app) else quiet + 1
        if quiet >= 2:
            return
    raise AssertionError("the screen never settled")


def steady_cursors(pilot: Any) -> None:
    """Stop cursors blinking so a picture does not depend on when it was taken."""
    for widget in pilot.app.screen.query("Input, TextArea"):
        widget.cursor_blink = False


def _picture(app: Any) -> str:
    return re.sub(r"terminal-\d+", "terminal", app.export_screenshot())


async def settle_steady(pilot: Any, *, rounds: int = 50) -> None:
    """What a snapshot waits for: ``settle``, cursors that do not blink, and the same picture twice.

    The last condition catches a layout still pending: a ``DataTable`` that measured its rows
    changes its height only at the next layout pass (a CI run once took the Balances tab with
    its right-hand tables still zero lines high).
    """
    await settle(pilot)
    steady_cursors(pilot)
    before = _picture(pilot.app)
    for _ in range(rounds):
        await pilot.pause()
        await settle(pilot)
        now = _picture(pilot.app)
        if now == before:
            return
        before = now
    raise AssertionError("the picture never stopped changing")


def notifications(app: Any) -> list[str]:
    """Record every notification (toasts expire; a slow run must not lose them)."""
    seen: list[str] = []
    original = app.notify

    def notify(message: str, *args: Any, **kwargs: Any) -> None:
        seen.append(str(message))
        original(message, *args, **kwargs)

    app.notify = notify
    return seen
