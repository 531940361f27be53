"""Full garbage collections while the operator pauses, not in the middle of a keystroke.

Python runs a full (generation 2) collection whenever enough objects have survived the younger
ones, wherever that happens to fall. A full collection walks every live object: with the
customers screen, its page caches and the database layer loaded that is ~280,000 objects and
60-150 ms on the 2-core server we measure on, and it landed in 12 of 20 profile opens (Enter ->
header painted: 363 ms median with it, 237 ms with collections moved to pauses; bench/README-tui.md).

``IdleCollector`` keeps Python's young-generation collections as they are, stops the automatic
full ones, and runs them itself from a timer: when one is due (``due_after`` young collections
since the last full one, Python's own default) and no key or mouse input arrived for ``idle``
seconds; or regardless of input once ``force_after`` are pending, so memory cannot grow without
bound under continuous typing or key repeat.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

__all__ = ["IdleCollector"]

NEVER = 1 << 30
"""A generation-2 threshold Python never reaches: no automatic full collections."""


class IdleCollector:
    def __init__(self, *, idle: float = 1.0, due_after: int = 10, force_after: int = 200,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.idle = idle
        self.due_after = due_after
        self.force_after = force_after
        self.clock = clock
        self.last_input = clock()
        self.collections = 0
        self._saved: tuple[int, int, int] | None = None
        self._was_enabled = True

    @property
    def installed(self) -> bool:
        return self._saved is not None

    def install(self) -> None:
        """Stop automatic full collections; young ones run (collection is enabled if the start-up
        had turned it off while importing)."""
        if self._saved is None:
            self._saved = gc.get_threshold()
            self._was_enabled = gc.isenabled()
            young, middle, _ = self._saved
            gc.set_threshold(young, middle, NEVER)
            gc.enable()

    def uninstall(self) -> None:
        """Give Python back its thresholds and on/off state (the app is closing)."""
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            if not self._was_enabled:
                gc.disable()
            self._saved = None

    def input_seen(self) -> None:
        self.last_input = self.clock()

    def pending(self) -> int:
        """Young (generation 1) collections since the last full one."""
        return gc.get_count()[2]

    def tick(self) -> bool:
        """Collect if a full collection is due and the operator is pausing (or it is overdue)."""
        pending = self.pending()
        quiet = self.clock() - self.last_input >= self.idle
        if (quiet and pending >= self.due_after) or pending >= self.force_after:
            gc.collect()
            self.collections += 1
            return True
        return False
