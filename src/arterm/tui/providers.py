"""Row providers for `VirtualTable` over the read models in ``arterm.queries``.

A provider is one query (search text, sort, filters) frozen at creation: the table calls its
``count()`` and ``fetch(offset, limit)`` from worker threads, so each call opens its own read
transaction (``app.database().read()``) and never touches widgets. Cells are formatted here, in
the worker thread (money per language; untrusted values stay plain strings, which the table draws
literally).

Imports of the database layer (SQLAlchemy) happen inside the methods, on the worker thread, so
importing this module costs nothing before the first paint.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING

from rich.text import Text

from .. import i18n

if TYPE_CHECKING:
    from ..db.engine import Database
    from ..queries.rows import CustomerRow

Row = tuple[int, Sequence[str | Text]]

PAGE_SIZE = 100
"""Rows per query: a screenful is ~35 rows; the next page is prefetched while the operator reads."""
FIRST_PAGE_WAIT = 2.0
"""Seconds the first load waits for that child before reading the database itself."""

SORTS = ("name", "balance", "overdue")
"""Sorts offered on the customers screen, in the order ctrl+s cycles through them."""


@dataclass(frozen=True)
class CustomerQuery:
    """What the customers screen asks for: search text, sort and quick filters."""

    text: str = ""
    sort: str = "name"
    only_overdue: bool = False
    mine: bool = False

    @property
    def descending(self) -> bool:
        return self.sort in ("balance", "overdue")  # who owes most comes first


@dataclass
class CustomerRows:
    """`VirtualTable` provider: one page of ``queries.customers.search_customers`` per fetch."""

    database: Callable[[], Database]
    query: CustomerQuery
    operator: str
    as_of: date
    lang: str = "es"
    overdue_style: str = ""
    """Rich style for a non-zero overdue amount (resolved from the theme on the event loop)."""
    money_width: int = 16
    """Width of the money columns (amounts that do not fit drop their symbol, then their code)."""
    allow_estimate: bool = True
    """The first count may be an estimate when the exact one would scan every customer."""
    exact: int | None = None
    """The exact number of matches, once counted."""
    estimated: int | None = None
    """The estimate handed to the table, if one was (see ``queries.customers.estimate_customers``)."""
    url: str = ""
    """The database's URL, set by the screen: with it, the first count and page may come from the
    child ``cli.open_app`` forked to read them ahead (``read_first_page``)."""
    _first: list[CustomerRow] | None = field(default=None, repr=False)
    _forgotten: int = field(default=0, repr=False)
    """``forget_count()`` calls so far: a page read ahead is for the load that asked for it."""

    @property
    def _assigned(self) -> str | None:
        return self.operator if self.query.mine else None

    @property
    def approximate(self) -> bool:
        """The table shows an estimated count; ``count_exactly()`` will replace it."""
        return self.exact is None and self.estimated is not None

    def first_page_key(self) -> tuple:
        """What the first load asks: a page read ahead is used only if it was read for the same."""
        return (self.url, self.operator, self.as_of, self.query, self.allow_estimate, PAGE_SIZE)

    def _take_first_page(self) -> None:
        from .. import prefetch

        forgotten = self._forgotten
        got = prefetch.take(f"{__name__}:{read_first_page.__name__}", FIRST_PAGE_WAIT)
        # A refresh (ctrl+r) while the child was awaited: its load reads the database itself, and
        # what the child read before it must not end up in that load's count or rows.
        if got is not None and got[0] == self.first_page_key() and forgotten == self._forgotten:
            _key, self.exact, self.estimated, self._first = got

    def count(self) -> int:
        if self.url and self.exact is None and self.estimated is None:
            self._take_first_page()
            if self.exact is None and self.estimated is not None:
                return self.estimated
        if self.exact is not None:
            return self.exact
        if self.allow_estimate and self.estimated is None:
            from ..queries.customers import estimate_customers

            with self.database().read() as session:
                estimate = estimate_customers(session, self.query.text, only_overdue=self.query.only_overdue,
                                              assigned=self._assigned, as_of=self.as_of)
            if estimate is not None:
                self.estimated = estimate
                return estimate
        return self.count_exactly()

    def forget_count(self) -> None:
        """The data may have changed (a refresh): count again next time, and read the rows too
        (a page read ahead that no fetch took, as when it counted none, is stale now)."""
        self._forgotten += 1
        self.exact = None
        self.estimated = None
        self._first = None

    def count_exactly(self) -> int:
        from ..queries.customers import count_customers

        with self.database().read() as session:
            self.exact = count_customers(session, self.query.text, only_overdue=self.query.only_overdue,
                                         assigned=self._assigned, as_of=self.as_of)
        return self.exact

    def fetch(self, offset: int, limit: int) -> list[Row]:
        return [self.cells(row) for row in self.fetch_rows(offset, limit)]

    def fetch_rows(self, offset: int, limit: int) -> list[CustomerRow]:
        first, self._first = self._first, None  # read ahead for the first fetch only
        if first is not None and offset == 0 and (limit <= len(first) or len(first) < PAGE_SIZE):
            return first[:limit]
        from ..queries.customers import search_customers

        query = self.query
        with self.database().read() as session:
            return search_customers(session, query.text, offset=offset, limit=limit, sort=query.sort,
                                    descending=query.descending, only_overdue=query.only_overdue,
                                    assigned=self._assigned, as_of=self.as_of)

    def money(self, cents: int, currency: str) -> str:
        return fit_money(cents, currency, self.lang, self.money_width)

    def cells(self, row: CustomerRow) -> Row:
        overdue: str | Text = self.money(row.overdue, row.currency)
        if row.overdue > 0 and self.overdue_style:
            # A span, not Text(style=...): VirtualTable draws a Text's spans but not its base style.
            overdue = Text(overdue)
            overdue.stylize(self.overdue_style)
        return row.id, (
            row.identifier,
            row.name,
            row.rfc,
            row.assigned,
            self.money(row.current, row.currency),
            overdue,
            self.money(row.total, row.currency),
        )


def read_first_page(url: str, operator: str, as_of: date) -> tuple:
    """In the child ``cli.open_app`` forks (``arterm.prefetch``): what the customers screen's first
    load will read, with the key it will ask it under (``CustomerRows.first_page_key``).

    The same provider code as the screen's, so the count (or its estimate) and the rows are what
    the screen would have read itself. Only reads: the database is neither created nor upgraded,
    and only one at the schema this arterm writes is read: an older one is upgraded by the app
    first (its rows may change), a newer one the app refuses to open (then it shows no rows).
    """
    from ..db.engine import open_database
    from ..db.migrate import HEAD_REVISION, SchemaError, current_revision

    database = open_database(url, upgrade=False, create=False)
    try:
        with database.read() as conn:
            found = current_revision(conn)
        if found != HEAD_REVISION:
            raise SchemaError(f"database schema {found!r}, not {HEAD_REVISION!r}: the app opens it itself")
        provider = CustomerRows(lambda: database, CustomerQuery(), operator, as_of)
        rows = provider.fetch_rows(0, PAGE_SIZE) if provider.count() else []
        return (replace(provider, url=url).first_page_key(), provider.exact, provider.estimated, rows)
    finally:
        database.dispose()


def fit_money(cents: int, currency: str, lang: str, width: int) -> str:
    """``$12,345.67 MXN``; when that is wider than the column, the symbol goes first, then the
    code (``1,065,669.08 MXN``, ``10,000,000.00``): an amount is never cut."""
    text = i18n.fmt_money(cents, currency, lang)
    if len(text) <= width:
        return text
    amount = i18n.fmt_amount(cents, lang)
    with_code = f"{amount} {currency}" if currency else amount
    return with_code if len(with_code) <= width else amount
