"""The tabs of the customer profile screen, one module each (see ``_base`` for what they share).

Tab ids are fixed (tests, the screen's number keys and ``TabbedContent.active`` use them):
``balances`` 1, ``activity`` 2, ``sales`` 3, ``contracts`` 4, ``payments`` 5, ``credit_notes`` 6,
``notes`` 7.
"""

from ._base import Fmt, ListTab, ProfileTab, ProfileTable, QueryProvider
from .activity import ActivityTab
from .balances import BalancesTab
from .contracts import ContractsTab
from .credit_notes import CreditNotesTab
from .notes import NotesTab
from .payments import PaymentsTab
from .sales import SalesTab

PROFILE_TABS: tuple[type[ProfileTab], ...] = (
    BalancesTab, ActivityTab, SalesTab, ContractsTab, PaymentsTab, CreditNotesTab, NotesTab,
)
TAB_IDS: tuple[str, ...] = tuple(cls.TAB_ID for cls in PROFILE_TABS)

__all__ = [
    "PROFILE_TABS", "TAB_IDS", "ActivityTab", "BalancesTab", "ContractsTab", "CreditNotesTab", "Fmt", "ListTab",
    "NotesTab", "PaymentsTab", "ProfileTab", "ProfileTable", "QueryProvider", "SalesTab",
]
