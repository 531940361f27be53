"""Checking ``[ui] keymap`` (binding id -> key) against the bindings the app really has.

Textual's ``App.set_keymap`` ignores an id no binding uses, so a typo in the config file would do
nothing and say nothing. ``check_keymap`` imports every module of ``arterm.tui`` (a fraction of a
second: the app runs it in a worker, after the first paint) and reports:

* unknown ids: no screen, dialog, widget or app binding has them;
* conflicts: a remapped key that another binding of the same screen/dialog/widget (or of the app,
  whose keys work everywhere) already uses, so one of the two would never run. A widget class is
  compared with the app's priority keys only (the others depend on where the widget is: see
  below), and a remapped priority key is not reported against a widget's key: it is meant to
  win (``quit = "ctrl+a"`` works in the search box, whose ctrl+a gives way).

Which widgets a screen holds is only known once it is composed (screens take arguments, profile
tabs are built when first shown, form lines are added), so a screen's keys are compared with the
keys of the widgets inside it on the live screen, each time a widget takes the focus
(``focus_conflicts``; the app reports each conflict once). That is when it matters: Textual offers
a key to the focused widget and then to each container up to the screen and the app, and the first
binding for it wins. A conflict is a key, remapped in ``[ui] keymap`` on either side, that

* a binding of the focused widget, or of a container between it and the screen, uses while a
  binding of a node above it (a container, the screen, the app) uses it too: the one above never
  runs while that widget has the focus (e.g. ``customers.new = "ctrl+a"``: the search box moves
  its cursor home);
* the focused text field types (a printable character) while a binding above it uses it, when
  that binding's own default key is not typed there either (``customers.new = "n"`` in the search
  box). A binding whose default key is a letter (the profile's ``e``, ``p``...) already gives way
  to a text field with the focus by design, so moving it to another letter is not reported.

Not conflicts: the binding above is a priority binding (Textual runs it before the widget sees the
key: ``quit``, ``command_palette``, the forms' Tab/Enter); the two are the same binding (same id,
e.g. one ``Binding`` shared by several classes); a key neither side remapped (the defaults share
keys on purpose: the customers screen's arrows reach the table from the search box); Textual's
own scrolling bindings on a widget that cannot scroll that way when it takes the focus (the search
box's up/down: Textual skips them and the key goes on to the screen).
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any

from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode
from textual.keys import key_to_character
from textual.screen import Screen
from textual.widget import Widget


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
        # A screen's keys share the keyboard with the app's (never the app twice). A widget's, with
        # the app's priority keys only (run before any widget sees the key): whether a widget takes
        # a key from the app's other bindings depends on where it is (a modal dialog passes no
        # key on to them; focus_conflicts checks it on the live screen).
        if issubclass(cls, App):
            shared: list[Binding] = []
        elif issubclass(cls, Screen):
            shared = app_bindings
        else:
            shared = [b for b in app_bindings if b.priority]
        group = own + [b for b in shared if b.id not in {o.id for o in own}]
        by_key: dict[str, list[Binding]] = {}
        for binding in group:
            for key in _keys(binding, normalized):
                if binding not in by_key.setdefault(key, []):
                    by_key[key].append(binding)
        for key, bindings in by_key.items():
            remapped = [b for b in bindings if b.id in normalized]
            for binding in remapped:
                if binding.priority and binding not in own and not issubclass(cls, Screen):
                    continue  # a remapped app key taken from a widget on purpose (a priority key)
                for other in bindings:
                    if other is binding or (other.id is not None and other.id == binding.id):
                        continue
                    entry = (str(binding.id), key, other.id or other.action)
                    if entry not in conflicts:
                        conflicts.append(entry)
    return KeymapProblems(unknown, tuple(conflicts))


# ------------------------------------------------------------------------------------ focus
# Textual's scrolling actions (``Widget.action_*``) raise SkipAction when the widget cannot scroll
# that way, and the key goes on up the chain.
_SCROLLS = {
    "scroll_up": "y", "scroll_down": "y", "page_up": "y", "page_down": "y",
    "scroll_left": "x", "scroll_right": "x", "page_left": "x", "page_right": "x",
    "scroll_home": "xy", "scroll_end": "xy",
}


def _takes(node: DOMNode, binding: Binding) -> bool:
    """Whether ``node`` keeps a key it has ``binding`` for (see ``_SCROLLS``)."""
    axes = _SCROLLS.get(binding.action)
    if axes is None or not isinstance(node, Widget):
        return True
    method = f"action_{binding.action}"
    if getattr(type(node), method, None) is not getattr(Widget, method, None):
        return True  # the widget's own action (DataTable's page_down moves its cursor)
    # As Textual decides when the key arrives: whether the widget scrolls that way now (a form's
    # body scrolls once its fields overflow; the check runs again on every focus).
    return any(node.allow_vertical_scroll if axis == "y" else node.allow_horizontal_scroll for axis in axes)


def describe(node: DOMNode) -> str:
    """``SearchBox #customers-search``: how a conflict names a widget."""
    return f"{type(node).__name__} #{node.id}" if node.id else type(node).__name__


@dataclass(frozen=True)
class FocusConflict:
    binding_id: str  # the remapped id
    key: str
    widget: str  # the widget (or container) that takes the key: ``describe(node)``
    inner: str  # its binding's id or action, or "" when it types the key
    outer: str  # the id or action of the binding above it that never runs there
    widget_class: str  # for reporting once per kind of widget, not once per field


def _name(binding: Binding) -> str:
    return binding.id or binding.action


def focus_conflicts(keymap: dict[str, str], focused: Widget) -> list[FocusConflict]:
    """Keys of ``keymap`` that a binding above ``focused`` (up to the app, or to the modal screen it
    is in) never receives while ``focused`` has the focus (module docstring: what counts). Reads the
    live DOM: call it on the event loop. ``keymap`` as given to ``App.set_keymap``."""
    normalized = App._normalize_keymap(keymap)
    if not normalized:
        return []
    chain: list[DOMNode] = []
    for node in focused.ancestors_with_self:
        chain.append(node)
        if node.is_modal:
            break  # a modal screen does not pass keys on to the app's (non-priority) bindings
    found: list[FocusConflict] = []
    for above_at, above in enumerate(chain[1:], start=1):
        for outer in (b for bs in above._bindings.key_to_bindings.values() for b in bs):
            if outer.priority:
                continue  # runs before any widget sees the key
            outer_keys = _keys(outer, normalized)
            for key in outer_keys:
                for below in chain[:above_at]:
                    if isinstance(below, Screen):
                        continue  # app vs screen: check_keymap's job
                    for inner in below._bindings.key_to_bindings.values():
                        for binding in inner:
                            if binding is outer or (binding.id is not None and binding.id == outer.id):
                                continue
                            if key not in _keys(binding, normalized) or not _takes(below, binding):
                                continue
                            remapped = [b for b in (outer, binding) if b.id in normalized]
                            if not remapped:
                                continue
                            found.append(FocusConflict(str(remapped[0].id), key, describe(below), _name(binding),
                                                       _name(outer), type(below).__name__))
                if outer.id in normalized and _types(focused, key) and not any(
                        _types(focused, default) for default in _split(outer.key)):
                    found.append(FocusConflict(outer.id, key, describe(focused), "", _name(outer),
                                               type(focused).__name__))
    unique: list[FocusConflict] = []
    for conflict in found:
        if conflict not in unique:
            unique.append(conflict)
    return unique


def _split(keys: str) -> list[str]:
    return [key.strip() for key in keys.split(",") if key.strip()]


def _types(widget: Widget, key: str) -> bool:
    """The focused widget takes ``key`` as typed text (Input, TextArea: printable characters)."""
    return widget.check_consume_key(key, key_to_character(key))
