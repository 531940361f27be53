"""Message catalogs: one flat ``dict[str, str]`` per language.

Keys are dotted (``status.overdue``, ``ui.save``); values are plain text templates with
``str.format`` named placeholders (``{n}``) and no markup. Every key must exist in every language
with the same placeholders (``tests/unit/test_i18n.py`` checks it). Use ``arterm.i18n.t`` to read
them; add a key to ``es.py`` and ``en.py`` together.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

from .en import MESSAGES as EN
from .es import MESSAGES as ES

DEFAULT_LANGUAGE = "es"
FALLBACK_LANGUAGE = "en"
LANGUAGES: tuple[str, ...] = ("es", "en")

CATALOGS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {"es": MappingProxyType(ES), "en": MappingProxyType(EN)}
)

__all__ = ["CATALOGS", "DEFAULT_LANGUAGE", "FALLBACK_LANGUAGE", "LANGUAGES"]
