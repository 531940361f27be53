"""Contract billing periods (pure, no I/O).

A contract starting on ``start`` with a ``frequency`` is cut into contiguous periods::

    period k: [start_k, start_{k+1} - 1 day], billed on billing_date_k

Period starts
    ``weekly`` / ``biweekly``: ``start + k * 7`` / ``start + k * 14`` days.
    Month-based frequencies (``monthly`` 1, ``bimonthly`` 2, ``quarterly`` 3, ``semiannual`` 6,
    ``yearly`` 12 months): ``start`` shifted by ``k * step`` months, always anchored on the
    ORIGINAL start day and clamped to the month's end, so a contract starting Jan 31 runs
    Jan 31 → Feb 28 (Feb 29 in leap years) → Mar 31 → Apr 30 → May 31, never drifting to the 28th.

Billing dates
    ``billing_day=None``: the period's start date.
    ``billing_day=D`` (1..31, month-based frequencies): the first period bills on the first date
    ``>= start`` whose day is ``D`` (clamped to the month's end: 31 bills Apr 30 and Feb 28/29).
    So a contract never bills before it starts: a contract starting on the 20th that bills on the
    5th bills its first period on the 5th of the next month. Every later period bills on day ``D``
    of the month that lies the same number of months after its own start month as the first one
    did (0 when ``D >= start.day``, otherwise 1). Billing dates are therefore strictly increasing,
    exactly one per period, and always fall within ``[period.start, next period start]``.

    Why not "the first date >= period.start with day D" for *every* period: when the period start
    itself is clamped (start on the 31st, a period starting Feb 28) and ``D`` is 29 or 30, that rule
    bills two consecutive periods on the same day (Feb 28 and Feb 28) and then skips a month.
    The anchored rule gives the same answer as that one for the first period and everywhere no
    clamping is involved.
    ``weekly`` / ``biweekly``: always the period start; ``billing_day`` is validated but ignored.

Limits
    A period is included while ``period.start < end`` and ``index < count``: from its end date on,
    no period of a contract starts (what ``contracts end`` means too). A contract from Jan 31 to
    Jun 30 bills Jan 31, Feb 28, Mar 31, Apr 30 and May 31, not a month from Jun 30 for its last
    day; a yearly one from 2026-01-01 to 2027-01-01 bills one year. ``period.end`` is always the
    day before the next period starts, even for the last period of a contract that ends
    mid-period (a period under way is billed whole: proration is the caller's business).
    Without ``end``/``count`` the schedule is infinite (it stops only at ``date.max``).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .errors import DomainError

FREQUENCIES: tuple[str, ...] = (
    "weekly",
    "biweekly",
    "monthly",
    "bimonthly",
    "quarterly",
    "semiannual",
    "yearly",
)

_DAY_STEPS = {"weekly": 7, "biweekly": 14}


def uses_billing_day(frequency: str) -> bool:
    """Whether a billing day (1..31) means anything for ``frequency``: not for weekly/biweekly,
    which bill on the period start (the start date's weekday)."""
    return frequency not in _DAY_STEPS


BILLING_DAY_IGNORED = ("a billing day applies to monthly and longer frequencies; weekly and biweekly contracts "
                       "bill on the start date's weekday")
_MONTH_STEPS = {"monthly": 1, "bimonthly": 2, "quarterly": 3, "semiannual": 6, "yearly": 12}
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Period:
    """One billing period of a contract. ``end`` is inclusive."""

    index: int  # 0-based
    start: date
    end: date
    billing_date: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and not isinstance(day, datetime) and self.start <= day <= self.end


_MONTH_DAYS = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def days_in_month(year: int, month: int) -> int:
    # A table, not calendar.monthrange (which also works out the weekday): the billing check
    # walks every period of every contract, ~3x faster.
    if month == 2 and calendar.isleap(year):
        return 29
    return _MONTH_DAYS[month]


def add_months(d: date, months: int, *, day: int | None = None) -> date:
    """``d`` moved by ``months`` months onto ``day`` (default ``d.day``), clamped to month end.

    Raises ``OverflowError`` past ``date.min``/``date.max``.
    """
    total = d.year * 12 + (d.month - 1) + months
    year, month0 = divmod(total, 12)
    if not 1 <= year <= 9999:
        raise OverflowError("date out of range")
    month = month0 + 1
    return date(year, month, min(day or d.day, days_in_month(year, month)))


def _check_date(value: object, field: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise DomainError(f"{field}: {value!r} is not a date", field=field)
    return value


class _Schedule:
    """Validated parameters with random access to period ``k``."""

    __slots__ = ("start", "frequency", "billing_day", "end", "count", "day_step", "month_step", "offset")

    def __init__(
        self,
        start: object,
        frequency: object,
        billing_day: object,
        end: object,
        count: object,
    ) -> None:
        self.start = _check_date(start, "start")
        freq = frequency.strip().lower() if isinstance(frequency, str) else frequency
        if freq not in FREQUENCIES:
            raise DomainError(
                f"frequency: unknown frequency {frequency!r}; expected one of {', '.join(FREQUENCIES)}",
                field="frequency",
            )
        self.frequency: str = freq  # type: ignore[assignment]
        if billing_day is not None:
            if isinstance(billing_day, bool) or not isinstance(billing_day, int):
                raise DomainError(f"billing_day: {billing_day!r} is not a day of the month", field="billing_day")
            if not 1 <= billing_day <= 31:
                raise DomainError(
                    f"billing_day: {billing_day} is outside 1..31", field="billing_day"
                )
        self.billing_day: int | None = billing_day  # type: ignore[assignment]
        if end is not None:
            _check_date(end, "end")
            if end < self.start:  # type: ignore[operator]
                raise DomainError(
                    f"end: the contract end {end} is before its start {self.start}", field="end"
                )
        self.end: date | None = end  # type: ignore[assignment]
        if count is not None:
            if isinstance(count, bool) or not isinstance(count, int):
                raise DomainError(f"count: {count!r} is not a whole number", field="count")
            if count < 1:
                raise DomainError(f"count: must be at least 1, not {count}", field="count")
        self.count: int | None = count  # type: ignore[assignment]
        self.day_step = _DAY_STEPS.get(self.frequency, 0)
        self.month_step = _MONTH_STEPS.get(self.frequency, 0)
        # Months between a period's start month and its billing month (month-based only).
        self.offset = 1 if self.billing_day is not None and self.billing_day < self.start.day else 0

    # -- random access -------------------------------------------------------------------------
    def period_start(self, k: int) -> date:
        if self.day_step:
            return self.start + timedelta(days=k * self.day_step)
        return add_months(self.start, k * self.month_step)

    def billing_date(self, k: int, period_start: date) -> date:
        if self.day_step or self.billing_day is None:
            return period_start
        return add_months(self.start, k * self.month_step + self.offset, day=self.billing_day)

    def included(self, k: int, period_start: date) -> bool:
        if self.count is not None and k >= self.count:
            return False
        return self.end is None or period_start < self.end

    def period(self, k: int) -> Period | None:
        """Period ``k``, or ``None`` when the contract has no such period (ended / out of range)."""
        try:
            start = self.period_start(k)
        except OverflowError:
            return None
        if not self.included(k, start):
            return None
        try:
            billing = self.billing_date(k, start)
        except OverflowError:
            return None
        try:
            end = self.period_start(k + 1) - _ONE_DAY
        except OverflowError:
            end = date.max
        return Period(k, start, end, billing)

    def iter(self) -> Iterator[Period]:
        """``period(0)``, ``period(1)``, ... as long as they exist; each period's start is worked
        out once (it is the previous period's end + 1 day)."""
        try:
            start = self.period_start(0)
        except OverflowError:
            return
        k = 0
        while self.included(k, start):
            try:
                billing = self.billing_date(k, start)
            except OverflowError:
                return
            try:
                following: date | None = self.period_start(k + 1)
            except OverflowError:
                following = None
            yield Period(k, start, date.max if following is None else following - _ONE_DAY, billing)
            if following is None:
                return
            start = following
            k += 1

    def first_index_billed_after(self, after: date) -> int:
        """Smallest k >= 0 whose billing date is > ``after`` (ignores end/count)."""
        if self.day_step:
            if after < self.start:
                return 0
            return (after - self.start).days // self.day_step + 1
        months = (after.year * 12 + after.month) - (self.start.year * 12 + self.start.month)
        k = max(0, (months - self.offset) // self.month_step - 1)

        def billed(i: int) -> date:
            return self.billing_date(i, self.period_start(i))

        while k > 0 and billed(k - 1) > after:
            k -= 1
        while billed(k) <= after:
            k += 1
        return k


def periods(
    start: date,
    frequency: str,
    *,
    billing_day: int | None = None,
    end: date | None = None,
    count: int | None = None,
) -> Iterator[Period]:
    """The contract's periods in order; infinite unless ``end`` or ``count`` is given.

    Arguments are validated immediately (not on first iteration); invalid input raises
    ``DomainError``.
    """
    return _Schedule(start, frequency, billing_day, end, count).iter()


def due_periods(
    start: date,
    frequency: str,
    *,
    until: date,
    billing_day: int | None = None,
    end: date | None = None,
    count: int | None = None,
) -> list[Period]:
    """Every period whose billing date is on or before ``until``."""
    schedule = _Schedule(start, frequency, billing_day, end, count)
    _check_date(until, "until")
    result: list[Period] = []
    for p in schedule.iter():
        if p.billing_date > until:
            break
        result.append(p)
    return result


def unbilled_periods(
    start: date,
    frequency: str,
    *,
    until: date,
    billed: set[date] | frozenset[date],
    billing_day: int | None = None,
    end: date | None = None,
    count: int | None = None,
) -> Iterator[Period]:
    """The periods of ``due_periods`` whose start is not in ``billed``, in order.

    A billed period costs one date computation (its start), not a ``Period``: the start-up
    billing check runs this for every contract, and nearly every period is billed.
    """
    schedule = _Schedule(start, frequency, billing_day, end, count)
    _check_date(until, "until")
    try:
        last = schedule.first_index_billed_after(until)  # periods 0 .. last - 1 bill by ``until``
    except OverflowError:  # ``until`` near date.max: walk the schedule instead
        for p in schedule.iter():
            if p.billing_date > until:
                return
            if p.start not in billed:
                yield p
        return
    for k in range(last):
        try:
            period_start = schedule.period_start(k)
        except OverflowError:
            return
        if not schedule.included(k, period_start):
            return
        if period_start in billed:
            continue
        period = schedule.period(k)
        if period is None:
            return
        yield period


def next_billing_date(
    start: date,
    frequency: str,
    *,
    after: date,
    billing_day: int | None = None,
    end: date | None = None,
    count: int | None = None,
) -> date | None:
    """The first billing date strictly after ``after``; ``None`` when the contract has ended.

    Computed directly (no walk from the contract start), so it is cheap for old weekly contracts.
    """
    p = next_period(
        start, frequency, after=after, billing_day=billing_day, end=end, count=count
    )
    return None if p is None else p.billing_date


def next_period(
    start: date,
    frequency: str,
    *,
    after: date,
    billing_day: int | None = None,
    end: date | None = None,
    count: int | None = None,
) -> Period | None:
    """The period billed first strictly after ``after`` (see ``next_billing_date``)."""
    schedule = _Schedule(start, frequency, billing_day, end, count)
    _check_date(after, "after")
    try:
        k = schedule.first_index_billed_after(after)
    except OverflowError:
        return None
    return schedule.period(k)
