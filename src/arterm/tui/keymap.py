"""Checking ``[ui] keymap`` (binding id -> key) against the bindings the app really has.

Textual's ``App.set_keymap`` ignores an id no binding uses, so a typo in the config file would do
nothing and say nothing. ``check_keymap`` imports every module of ``arterm.tui`` (a fraction of a
second: the app runs it in a worker, after the first paint) and reports:

* unknown ids: no screen, dialog, widget or app binding has them;
* conflicts: a remapped key that another binding of the same screen/dialog/widget (or of the app,
  whose keys work everywhere) already uses, so one of the two would never run.

Conflicts between a screen and a widget inside it are not found here (which widgets a screen holds
is only known once it is composed); Textual lets the focused widget win in that case.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any

from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode


@dataclass(frozen=True)
class KeymapProblems:
    unknown: tuple[str, ...] = ()
    conflicts: tuple[tuple[str, str, str], ...] = field(default=())  # (remapped id, key, other binding)

    def __bool__(self) -> bool:
        return bool(self.unknown or self.conflicts)


def _import_all() -> None:
    from arterm import tui

    for info in pkgutil.walk_packages(tui.__path__, tui.__name__ + "."):
        try:
            importlib.import_module(info.name)
        except ImportError:  # pragma: no cover - an optional part (e.g. the CFDI import without lxml)
            continue


def _subclasses(cls: type) -> list[type]:
    found: list[type] = []
    todo = [cls]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in found:
                found.append(sub)
                todo.append(sub)
    return found


def binding_classes(app_class: type[App[Any]] | None = None) -> list[type[DOMNode]]:
    """Every arterm screen, dialog, widget and app class that declares bindings."""
    _import_all()
    classes = [c for c in _subclasses(DOMNode) if c.__module__.startswith("arterm.")]
    if app_class is not None and app_class not in classes:
        classes.append(app_class)
    return [c for c in classes if c._merged_bindings is not None and c._merged_bindings.key_to_bindings]


def _bindings(cls: type[DOMNode]) -> list[Binding]:
    merged = cls._merged_bindings
    return [b for bindings in merged.key_to_bindings.values() for b in bindings] if merged else []


def known_binding_ids(app_class: type[App[Any]] | None = None) -> set[str]:
    return {b.id for cls in binding_classes(app_class) for b in _bindings(cls) if b.id}


def _keys(binding: Binding, keymap: dict[str, str]) -> list[str]:
    value = keymap.get(binding.id or "") or binding.key
    return [key.strip() for key in value.split(",") if key.strip()]


def check_keymap(keymap: dict[str, str], app_class: type[App[Any]]) -> KeymapProblems:
    """What is wrong with ``keymap`` for the bindings of ``app_class`` and of every arterm class."""
    normalized = App._normalize_keymap(keymap)
    classes = binding_classes(app_class)
    known = {b.id for cls in classes for b in _bindings(cls) if b.id}
    unknown = tuple(sorted(set(normalized) - known))
    app_bindings = _bindings(app_class)
    conflicts: list[tuple[str, str, str]] = []
    for cls in classes:
        own = _bindings(cls)
        # A screen's or widget's keys share the keyboard with the app's (never the app twice).
        group = own if issubclass(cls, App) else own + [b for b in app_bindings if b.id not in {o.id for o in own}]
        by_key: dict[str, list[Binding]] = {}
        for binding in group:
            for key in _keys(binding, normalized):
                if binding not in by_key.setdefault(key, []):
                    by_key[key].append(binding)
        for key, bindings in by_key.items():
            remapped = [b for b in bindings if b.id in normalized]
            for binding in remapped:
                for other in bindings:
                    if other is binding or (other.id is not None and other.id == binding.id):
                        continue
                    entry = (str(binding.id), key, other.id or other.action)
                    if entry not in conflicts:
                        conflicts.append(entry)
    return KeymapProblems(unknown, tuple(conflicts))
