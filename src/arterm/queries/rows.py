"""Read models that cross a process boundary: no SQLAlchemy here.

The customers screen's first page is read in a forked child and sent back pickled
(``arterm.prefetch``); unpickling a row imports the module that defines its class, and that
must not cost the app the SQLAlchemy import it is waiting to avoid.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CustomerRow:
    """One line of the customers screen (amounts in centavos of ``currency``)."""

    id: int
    identifier: str
    name: str
    rfc: str
    assigned: str
    currency: str
    current: int
    overdue: int
    total: int
    credit: int
