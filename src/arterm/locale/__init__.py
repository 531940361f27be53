"""Message catalogs: one flat ``dict[str, str]`` per language.

Keys are dotted (``status.overdue``, ``ui.save``); values are plain text templates with
``str.format`` named placeholders (``{n}``) and no markup. Every key must exist in every language
with the same placeholders (``tests/unit/test_i18n.py`` checks it). Use ``arterm.i18n.t`` to read
them; add a key to ``es.py`` and ``en.py`` together.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

from importlib import import_module

from .en import MESSAGES as _EN_BASE
from .es import MESSAGES as _ES_BASE

# Each area of the app keeps its own strings in ``locale/<area>.py`` (dicts ``ES`` and ``EN``), so
# people working on different screens never edit the same catalog file. A key may live in one
# place only (tests/unit/test_i18n.py checks both languages agree).
FRAGMENTS: tuple[str, ...] = ("tui_app", "tui_customers", "tui_profile", "tui_forms", "mail", "cfdi", "contracts")


def _merge() -> tuple[dict[str, str], dict[str, str]]:
    es, en = dict(_ES_BASE), dict(_EN_BASE)
    for name in FRAGMENTS:
        module = import_module(f"{__name__}.{name}")
        for target, extra, lang in ((es, module.ES, "es"), (en, module.EN, "en")):
            clash = set(target) & set(extra)
            if clash:
                raise RuntimeError(f"locale/{name}.py redefines {lang} key(s): {sorted(clash)}")
            target.update(extra)
    return es, en


ES, EN = _merge()

DEFAULT_LANGUAGE = "es"
FALLBACK_LANGUAGE = "en"
LANGUAGES: tuple[str, ...] = ("es", "en")

CATALOGS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {"es": MappingProxyType(ES), "en": MappingProxyType(EN)}
)

__all__ = ["CATALOGS", "DEFAULT_LANGUAGE", "FALLBACK_LANGUAGE", "LANGUAGES"]
