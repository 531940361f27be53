"""Conventions shared by every screen, dialog and widget of the TUI.

- Text: ``self.app.tr(key, **kw)`` translates (arterm.i18n); untrusted values go through
  ``literal()`` so markup like ``[bold]`` or escape sequences are shown as typed.
- Bindings: their ``description`` is a translation key (``"key.search"``); ``TranslatedBindings``
  translates them for the footer and the help panel, and again when the language changes.
- Database work: in thread workers (``@work(thread=True, exclusive=True, group=...)``) that call
  ``self.app.database()`` (waits until the database is open) and then ``queries.*`` / ``ledger.*``;
  results go back with ``self.app.call_from_thread``. Worker errors become notifications
  (``ArtermApp.on_worker_state_changed``); the app keeps running.
- Language: the app calls ``apply_language()`` on every screen in the stack after a switch.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events
from textual.binding import ActiveBinding, Binding
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

from .. import i18n

if TYPE_CHECKING:
    from .app import ArtermApp

# Whole CSI escape sequences first (so "\x1b[31m" goes entirely), then any other control character.
_CONTROL = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(value: object) -> str:
    """Plain string with escape sequences and control characters removed (newlines kept)."""
    if value is None:
        return ""
    return _CONTROL.sub("", str(value))


def literal(value: object, style: str = "") -> Text:
    """Untrusted text as a Rich ``Text``: never parsed as markup."""
    return Text(clean(value), style=style, no_wrap=False)


class ReportsWorkerErrors:
    """``Worker.StateChanged`` does not bubble: a node that starts workers shows their errors itself."""

    app: ArtermApp

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            show_error(self.app, event.worker.error)


def describe_error(error: BaseException) -> str:
    """A short, operator-readable reason: domain errors as they are, database and driver errors by
    their first line (no SQL, no traceback links)."""
    from ..domain.errors import DomainError

    if not isinstance(error, DomainError | RuntimeError):
        orig = getattr(error, "orig", None)  # sqlalchemy.exc.DBAPIError wraps the driver's error
        error = orig if orig is not None else error
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def show_error(app: ArtermApp, error: BaseException) -> None:
    """A worker's exception as an error notification; the app keeps running."""
    app.notify(describe_error(error), title=i18n.t("ui.error", app.lang), severity="error", timeout=10)


class Translated(ReportsWorkerErrors):
    """Mixin for screens: translated binding descriptions, a language hook, worker errors shown."""

    app: ArtermApp

    @property
    def lang(self) -> str:
        return self.app.lang

    def tr(self, key: str, **kwargs: Any) -> str:
        return i18n.t(key, self.app.lang, **kwargs)

    def money(self, cents: int | None, currency: str = "MXN") -> str:
        return "" if cents is None else i18n.fmt_money(cents, currency, self.app.lang)

    def amount(self, cents: int | None) -> str:
        return "" if cents is None else i18n.fmt_amount(cents, self.app.lang)

    def day(self, value: date | datetime | None) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            return i18n.fmt_datetime(value.astimezone(), self.app.lang)
        return i18n.fmt_date(value, self.app.lang)

    def apply_language(self) -> None:
        """Re-render translated labels (override in screens that show any)."""

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:  # type: ignore[override]
        bindings = super().active_bindings  # type: ignore[misc]
        lang = self.app.lang
        out = {}
        for key, active in bindings.items():
            desc = active.binding.description
            if desc and "." in desc and " " not in desc:
                active = active._replace(binding=dataclasses.replace(active.binding, description=i18n.t(desc, lang)))
            out[key] = active
        return out


# The name the profile screen is installed under while it is kept for the next customer
# (screens/customer.py ``open_profile``; the app shows it early when a key comes first).
KEPT_PROFILE = "arterm-kept-profile"


class BaseScreen(Translated, Screen[Any]):
    _resumed_before = False

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        """Skip Textual's restyle of every node on the resume that follows the push.

        Textual calls the handlers of each class up the MRO, so this one runs just before
        ``Screen._on_screen_resume``. On a push that one restyles the whole screen, right after it
        was mounted with fresh styles: 10-15 ms of a profile open's median at 100k customers
        (bench/README-tui.md). Later resumes that ask for a restyle (``switch_screen``, modes)
        still get it; a pop never asks.
        """
        if not self._resumed_before:
            self._resumed_before = True
            event.refresh_styles = False


class BaseModal(Translated, ModalScreen[Any]):
    # Modal screens do not see the app's non-priority bindings: keep the language switch here.
    BINDINGS = [Binding("ctrl+l", "app.switch_language", "key.language", id="modal.switch_language", show=False)]
