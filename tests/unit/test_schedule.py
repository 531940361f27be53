"""Contract billing periods: examples, validation and hypothesis properties."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from itertools import islice

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arterm.domain.errors import DomainError
from arterm.domain.schedule import (
    FREQUENCIES,
    Period,
    _Schedule,
    add_months,
    days_in_month,
    due_periods,
    next_billing_date,
    next_period,
    periods,
    unbilled_periods,
)

D = date
DAY = timedelta(days=1)
MONTHS = {"monthly": 1, "bimonthly": 2, "quarterly": 3, "semiannual": 6, "yearly": 12}
DAYS = {"weekly": 7, "biweekly": 14}


# -- independent reference arithmetic (deliberately not the module's helpers) ----------------------
def dim(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


def on_day(month_idx: int, day: int) -> date:
    y, m0 = divmod(month_idx, 12)
    return D(y, m0 + 1, min(day, dim(y, m0 + 1)))


def expected_start(start: date, frequency: str, k: int) -> date:
    if frequency in DAYS:
        return start + timedelta(days=DAYS[frequency] * k)
    return on_day(month_index(start) + MONTHS[frequency] * k, start.day)


def first_billing_on_or_after(d: date, billing_day: int) -> date:
    """The brief's rule: first date >= d whose day is billing_day (clamped to month end)."""
    candidate = on_day(month_index(d), billing_day)
    return candidate if candidate >= d else on_day(month_index(d) + 1, billing_day)


def take(it, n):
    return list(islice(it, n))


# -- strategies ----------------------------------------------------------------------------------
@st.composite
def dates(draw, lo: int = 1990, hi: int = 2100) -> date:
    """Dates biased towards month ends and Feb 29."""
    kind = draw(st.integers(0, 3))
    if kind == 0:
        year = draw(st.sampled_from([y for y in range(lo, hi + 1) if calendar.isleap(y)]))
        return D(year, 2, 29)
    year = draw(st.integers(lo, hi))
    month = draw(st.integers(1, 12))
    if kind == 1:
        day = draw(st.sampled_from([28, 29, 30, 31]))
    else:
        day = draw(st.integers(1, 31))
    return D(year, month, min(day, dim(year, month)))


billing_days = st.one_of(st.none(), st.sampled_from([1, 5, 15, 28, 29, 30, 31]), st.integers(1, 31))
frequencies = st.sampled_from(FREQUENCIES)


# -- explicit examples -----------------------------------------------------------------------------
def test_frequencies():
    assert FREQUENCIES == ("weekly", "biweekly", "monthly", "bimonthly", "quarterly", "semiannual", "yearly")


def test_monthly_from_jan_31_does_not_drift():
    got = take(periods(D(2027, 1, 31), "monthly"), 4)
    assert [p.start for p in got] == [D(2027, 1, 31), D(2027, 2, 28), D(2027, 3, 31), D(2027, 4, 30)]
    assert [p.billing_date for p in got] == [p.start for p in got]
    assert got[0] == Period(0, D(2027, 1, 31), D(2027, 2, 27), D(2027, 1, 31))
    assert got[1].end == D(2027, 3, 30)


def test_monthly_from_jan_31_leap_year_bills_feb_29():
    got = take(periods(D(2028, 1, 31), "monthly"), 3)
    assert [p.billing_date for p in got] == [D(2028, 1, 31), D(2028, 2, 29), D(2028, 3, 31)]
    assert got[0].end == D(2028, 2, 28)


def test_jan_31_billing_day_31_bills_month_ends():
    got = take(periods(D(2027, 1, 31), "monthly", billing_day=31), 3)
    assert [p.billing_date for p in got] == [D(2027, 1, 31), D(2027, 2, 28), D(2027, 3, 31)]
    got = take(periods(D(2028, 1, 31), "monthly", billing_day=31), 2)
    assert got[1].billing_date == D(2028, 2, 29)


def test_billing_day_31_in_april_is_april_30():
    got = take(periods(D(2026, 4, 1), "monthly", billing_day=31), 3)
    assert [p.billing_date for p in got] == [D(2026, 4, 30), D(2026, 5, 31), D(2026, 6, 30)]


def test_billing_day_before_start_day_bills_next_month():
    got = take(periods(D(2026, 1, 20), "monthly", billing_day=5), 3)
    assert [p.billing_date for p in got] == [D(2026, 2, 5), D(2026, 3, 5), D(2026, 4, 5)]


def test_billing_day_equal_to_start_day():
    got = take(periods(D(2026, 1, 20), "quarterly", billing_day=20), 2)
    assert [p.billing_date for p in got] == [D(2026, 1, 20), D(2026, 4, 20)]


def test_clamped_period_start_does_not_bill_twice_on_one_day():
    # Start Jan 31, bill on the 30th: one bill a month, never two on Feb 28.
    got = take(periods(D(2027, 1, 31), "monthly", billing_day=30), 5)
    assert [p.billing_date for p in got] == [
        D(2027, 2, 28), D(2027, 3, 30), D(2027, 4, 30), D(2027, 5, 30), D(2027, 6, 30)
    ]
    # Bimonthly from Dec 31 with day 30 keeps a two-month rhythm.
    got = take(periods(D(2026, 12, 31), "bimonthly", billing_day=30), 4)
    assert [p.billing_date for p in got] == [D(2027, 1, 30), D(2027, 3, 30), D(2027, 5, 30), D(2027, 7, 30)]


def test_yearly_from_feb_29():
    got = take(periods(D(2028, 2, 29), "yearly"), 5)
    assert [p.start for p in got] == [
        D(2028, 2, 29), D(2029, 2, 28), D(2030, 2, 28), D(2031, 2, 28), D(2032, 2, 29)
    ]
    assert got[0].end == D(2029, 2, 27)
    assert got[3].end == D(2032, 2, 28)


def test_other_month_steps():
    start = D(2026, 8, 31)
    assert [p.start for p in take(periods(start, "bimonthly"), 4)] == [
        D(2026, 8, 31), D(2026, 10, 31), D(2026, 12, 31), D(2027, 2, 28)
    ]
    assert [p.start for p in take(periods(start, "quarterly"), 3)] == [D(2026, 8, 31), D(2026, 11, 30), D(2027, 2, 28)]
    assert [p.start for p in take(periods(start, "semiannual"), 3)] == [D(2026, 8, 31), D(2027, 2, 28), D(2027, 8, 31)]


def test_weekly_and_biweekly_ignore_billing_day():
    weekly = take(periods(D(2026, 11, 28), "weekly", billing_day=5), 3)
    assert [(p.start, p.end, p.billing_date) for p in weekly] == [
        (D(2026, 11, 28), D(2026, 12, 4), D(2026, 11, 28)),
        (D(2026, 12, 5), D(2026, 12, 11), D(2026, 12, 5)),
        (D(2026, 12, 12), D(2026, 12, 18), D(2026, 12, 12)),
    ]
    biweekly = take(periods(D(2026, 12, 25), "biweekly", billing_day=31), 2)
    assert [(p.start, p.end) for p in biweekly] == [
        (D(2026, 12, 25), D(2027, 1, 7)), (D(2027, 1, 8), D(2027, 1, 21))
    ]
    assert [p.billing_date for p in biweekly] == [p.start for p in biweekly]


def test_count_and_end_limit_the_schedule():
    assert len(list(periods(D(2026, 1, 1), "monthly", count=3))) == 3
    # A period is included while its start < end: no period starts on or after the end date.
    got = list(periods(D(2026, 1, 1), "monthly", end=D(2026, 3, 1)))
    assert [p.start for p in got] == [D(2026, 1, 1), D(2026, 2, 1)]
    got = list(periods(D(2026, 1, 1), "monthly", end=D(2026, 3, 2)))
    assert [p.start for p in got] == [D(2026, 1, 1), D(2026, 2, 1), D(2026, 3, 1)]
    assert got[-1].end == D(2026, 3, 31)  # the last period keeps its full length (billed whole)
    got = list(periods(D(2026, 1, 1), "monthly", end=D(2026, 2, 28)))
    assert len(got) == 2
    assert list(periods(D(2026, 1, 1), "monthly", end=D(2026, 1, 1))) == []  # an end on the start: none
    # QA: Jan 31 to Jun 30 billed a month from Jun 30 for its last day; weekly to a Monday, a week.
    got = list(periods(D(2025, 1, 31), "monthly", end=D(2025, 6, 30)))
    assert [p.start for p in got] == [D(2025, 1, 31), D(2025, 2, 28), D(2025, 3, 31), D(2025, 4, 30), D(2025, 5, 31)]
    assert [p.start for p in periods(D(2025, 11, 3), "weekly", end=D(2025, 11, 10))] == [D(2025, 11, 3)]
    assert len(list(periods(D(2026, 1, 1), "yearly", end=D(2027, 1, 1)))) == 1
    # Whichever limit comes first wins.
    assert len(list(periods(D(2026, 1, 1), "weekly", end=D(2026, 12, 31), count=2))) == 2
    assert len(list(periods(D(2026, 1, 1), "yearly", end=D(2027, 6, 30), count=10))) == 2


def test_periods_is_infinite_without_limits():
    assert len(take(periods(D(2026, 1, 1), "weekly"), 10_000)) == 10_000


def test_schedule_stops_at_date_max():
    got = list(periods(D(9999, 11, 15), "monthly"))
    assert [p.start for p in got] == [D(9999, 11, 15), D(9999, 12, 15)]
    assert got[-1].end == date.max
    assert next_billing_date(D(9999, 11, 15), "monthly", after=D(9999, 12, 15)) is None
    assert next_billing_date(D(9999, 11, 30), "monthly", billing_day=5, after=D(9999, 12, 20)) is None


def test_due_periods_examples():
    start = D(2026, 1, 15)
    assert due_periods(start, "monthly", until=D(2026, 1, 14)) == []
    assert [p.index for p in due_periods(start, "monthly", until=D(2026, 1, 15))] == [0]
    assert [p.index for p in due_periods(start, "monthly", until=D(2026, 4, 14))] == [0, 1, 2]
    assert [p.index for p in due_periods(start, "monthly", until=D(2026, 4, 15))] == [0, 1, 2, 3]
    # billing day 10 < start day 15: the first bill is Feb 10
    assert due_periods(start, "monthly", billing_day=10, until=D(2026, 2, 9)) == []
    assert [p.billing_date for p in due_periods(start, "monthly", billing_day=10, until=D(2026, 3, 10))] == [
        D(2026, 2, 10), D(2026, 3, 10)
    ]
    assert len(due_periods(start, "monthly", until=D(2030, 1, 1), count=4)) == 4
    assert len(due_periods(start, "monthly", until=D(2030, 1, 1), end=D(2026, 6, 30))) == 6


def test_next_billing_date_examples():
    start = D(2026, 1, 15)
    assert next_billing_date(start, "monthly", after=D(2025, 1, 1)) == D(2026, 1, 15)
    assert next_billing_date(start, "monthly", after=D(2026, 1, 14)) == D(2026, 1, 15)
    assert next_billing_date(start, "monthly", after=D(2026, 1, 15)) == D(2026, 2, 15)  # strictly after
    assert next_billing_date(start, "monthly", billing_day=31, after=D(2026, 2, 1)) == D(2026, 2, 28)
    assert next_billing_date(start, "monthly", after=D(2026, 3, 15), count=3) is None
    assert next_billing_date(start, "monthly", after=D(2026, 3, 14), count=3) == D(2026, 3, 15)
    assert next_billing_date(start, "monthly", after=D(2026, 6, 1), end=D(2026, 6, 14)) is None
    assert next_billing_date(D(2020, 1, 1), "weekly", after=D(2026, 11, 28)) == D(2026, 12, 2)
    p = next_period(start, "quarterly", after=D(2026, 5, 1))
    assert p == Period(2, D(2026, 7, 15), D(2026, 10, 14), D(2026, 7, 15))


def test_add_months():
    assert add_months(D(2026, 1, 31), 1) == D(2026, 2, 28)
    assert add_months(D(2026, 3, 31), -1) == D(2026, 2, 28)
    assert add_months(D(2026, 11, 15), 2) == D(2027, 1, 15)
    assert add_months(D(2026, 1, 10), 1, day=31) == D(2026, 2, 28)
    with pytest.raises(OverflowError):
        add_months(D(9999, 12, 1), 1)


# -- validation ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "field", "fragment"),
    [
        ({"frequency": "daily"}, "frequency", "unknown frequency 'daily'"),
        ({"frequency": None}, "frequency", "unknown frequency"),
        ({"billing_day": 0}, "billing_day", "outside 1..31"),
        ({"billing_day": 32}, "billing_day", "outside 1..31"),
        ({"billing_day": True}, "billing_day", "not a day"),
        ({"billing_day": "5"}, "billing_day", "not a day"),
        ({"end": D(2025, 12, 31)}, "end", "before its start"),
        ({"count": 0}, "count", "at least 1"),
        ({"count": -3}, "count", "at least 1"),
        ({"count": 1.5}, "count", "not a whole number"),
        ({"start": datetime(2026, 1, 1, 12)}, "start", "not a date"),
        ({"start": "2026-01-01"}, "start", "not a date"),
    ],
)
def test_validation(kwargs, field, fragment):
    args = {"start": D(2026, 1, 1), "frequency": "monthly"} | kwargs
    start, frequency = args.pop("start"), args.pop("frequency")
    for call in (
        lambda: periods(start, frequency, **args),  # eager: no iteration needed
        lambda: due_periods(start, frequency, until=D(2027, 1, 1), **args),
        lambda: next_billing_date(start, frequency, after=D(2026, 1, 1), **args),
    ):
        with pytest.raises(DomainError) as exc:
            call()
        assert exc.value.field == field
        assert fragment in str(exc.value)


def test_frequency_is_normalised():
    assert take(periods(D(2026, 1, 1), " Monthly "), 1)[0].end == D(2026, 1, 31)


def test_until_and_after_must_be_dates():
    with pytest.raises(DomainError, match="until"):
        due_periods(D(2026, 1, 1), "monthly", until=datetime(2026, 5, 1))
    with pytest.raises(DomainError, match="after"):
        next_billing_date(D(2026, 1, 1), "monthly", after="2026-05-01")


def test_end_before_start_message_is_clear():
    with pytest.raises(DomainError, match=r"end: the contract end 2025-12-31 is before its start 2026-01-01"):
        periods(D(2026, 1, 1), "monthly", end=D(2025, 12, 31))


# -- properties ------------------------------------------------------------------------------------
@settings(max_examples=300, deadline=None)
@given(
    start=dates(),
    frequency=frequencies,
    billing_day=billing_days,
    span=st.integers(-40, 4000),
)
def test_due_periods_structure(start, frequency, billing_day, span):
    until = start + timedelta(days=span)
    due = due_periods(start, frequency, until=until, billing_day=billing_day)
    for k, p in enumerate(due):
        assert p.index == k
        # exactly one period per frequency step, anchored on the original start day
        assert p.start == expected_start(start, frequency, k)
        assert p.end == expected_start(start, frequency, k + 1) - DAY
        assert p.start <= p.end
        # billing within [period start, next period start]; never before the contract starts
        assert start <= p.start <= p.billing_date <= p.end + DAY
        assert p.billing_date <= until
        if frequency in DAYS or billing_day is None:
            assert p.billing_date == p.start
        else:
            assert p.billing_date.day == min(billing_day, dim(p.billing_date.year, p.billing_date.month))
    if due:
        assert due[0].start == start
    # contiguous, no overlap, billing strictly increasing (so never two bills on one day)
    for prev, cur in zip(due, due[1:]):
        assert cur.start == prev.end + DAY
        assert prev.billing_date < cur.billing_date
    # complete: the next period is not yet due
    following = take(periods(start, frequency, billing_day=billing_day), len(due) + 1)[-1]
    assert following.billing_date > until
    assert following.index == len(due)


@settings(max_examples=300, deadline=None)
@given(start=dates(), frequency=frequencies, billing_day=billing_days)
def test_first_billing_is_first_billing_day_on_or_after_start(start, frequency, billing_day):
    first = next(periods(start, frequency, billing_day=billing_day))
    if frequency in DAYS or billing_day is None:
        assert first.billing_date == start
    else:
        assert first.billing_date == first_billing_on_or_after(start, billing_day)


@settings(max_examples=300, deadline=None)
@given(
    start=dates(),
    frequency=st.sampled_from(sorted(MONTHS)),
    billing_day=st.integers(1, 31),
    k=st.integers(0, 200),
)
def test_billing_rule_matches_first_billing_day_after_period_start_unless_clamped(start, frequency, billing_day, k):
    """Away from clamped period starts, every period bills on its first billing day >= its start."""
    p = take(periods(start, frequency, billing_day=billing_day), k + 1)[-1]
    if p.start.day == start.day:  # this period's start was not clamped
        assert p.billing_date == first_billing_on_or_after(p.start, billing_day)


@settings(max_examples=200, deadline=None)
@given(
    start=dates(),
    frequency=frequencies,
    billing_day=billing_days,
    a=st.integers(-40, 3000),
    b=st.integers(-40, 3000),
)
def test_due_periods_is_stable(start, frequency, billing_day, a, b):
    a, b = sorted((a, b))
    earlier = due_periods(start, frequency, until=start + timedelta(days=a), billing_day=billing_day)
    later = due_periods(start, frequency, until=start + timedelta(days=b), billing_day=billing_day)
    assert later[: len(earlier)] == earlier


@settings(max_examples=300, deadline=None)
@given(
    start=dates(),
    frequency=frequencies,
    billing_day=billing_days,
    end_after=st.one_of(st.none(), st.integers(0, 2000)),
    count=st.one_of(st.none(), st.integers(1, 60)),
    span=st.integers(-40, 4000),
)
def test_count_and_end_are_respected(start, frequency, billing_day, end_after, count, span):
    end = None if end_after is None else start + timedelta(days=end_after)
    until = start + timedelta(days=span)
    unlimited = due_periods(start, frequency, until=until, billing_day=billing_day)
    limited = due_periods(start, frequency, until=until, billing_day=billing_day, end=end, count=count)
    expected = [
        p for p in unlimited if (count is None or p.index < count) and (end is None or p.start < end)
    ]
    assert limited == expected
    if end is not None or count is not None:
        every = list(periods(start, frequency, billing_day=billing_day, end=end, count=count))
        assert every[: len(limited)] == limited
        # end > start (what the ledger accepts) and count >= 1: a contract has at least one period
        assert len(every) >= 1 or end == start
        if count is not None:
            assert len(every) <= count
        if end is not None:
            assert all(p.start < end for p in every)
            # ...and the schedule ends only when it must
            if count is None or len(every) < count:
                after_last = take(periods(start, frequency, billing_day=billing_day), len(every) + 1)[-1]
                assert after_last.start >= end


@settings(max_examples=400, deadline=None)
@given(
    start=dates(),
    frequency=frequencies,
    billing_day=billing_days,
    span=st.integers(-400, 4000),
    end_after=st.one_of(st.none(), st.integers(0, 4000)),
    count=st.one_of(st.none(), st.integers(1, 300)),
)
def test_next_billing_date_matches_walking_the_schedule(start, frequency, billing_day, span, end_after, count):
    after = start + timedelta(days=span)
    end = None if end_after is None else start + timedelta(days=end_after)
    # walking stops at the first match, so this terminates for infinite schedules too
    walked = next(
        (
            p
            for p in periods(start, frequency, billing_day=billing_day, end=end, count=count)
            if p.billing_date > after
        ),
        None,
    )
    got = next_period(start, frequency, after=after, billing_day=billing_day, end=end, count=count)
    assert got == walked
    assert next_billing_date(start, frequency, after=after, billing_day=billing_day, end=end, count=count) == (
        None if walked is None else walked.billing_date
    )
    # consistent with due_periods: everything up to `after` is due, the next one is not
    due = due_periods(start, frequency, until=after, billing_day=billing_day, end=end, count=count)
    if walked is not None:
        assert walked.index == len(due)


def test_period_contains():
    p = Period(0, D(2026, 1, 1), D(2026, 1, 31), D(2026, 1, 1))
    assert D(2026, 1, 31) in p and D(2026, 1, 1) in p
    assert D(2026, 2, 1) not in p
    assert datetime(2026, 1, 5) not in p


def test_days_in_month_matches_the_calendar():
    for year in (*range(1, 30), *range(1896, 2105), *range(9970, 10000)):
        for month in range(1, 13):
            assert days_in_month(year, month) == calendar.monthrange(year, month)[1], (year, month)


@given(
    start=st.one_of(dates(), dates(9990, 9999), dates(1, 8)),
    frequency=frequencies,
    billing_day=billing_days,
    end_after=st.one_of(st.none(), st.integers(0, 3000)),
    count=st.one_of(st.none(), st.integers(1, 80)),
)
def test_walking_the_schedule_gives_each_period_as_random_access_does(start, frequency, billing_day, end_after,
                                                                      count):
    """``iter`` works each start out once (the previous period's end + 1 day); ``period(k)`` alone."""
    end = None if end_after is None else min(date.max - timedelta(days=end_after), start) + timedelta(days=end_after)
    schedule = _Schedule(start, frequency, billing_day, end, count)
    walked = take(schedule.iter(), 120)
    expected = []
    for k in range(120):
        p = schedule.period(k)
        if p is None:
            break
        expected.append(p)
        if p.end == date.max:
            break
    assert walked == expected


@given(
    start=dates(),
    frequency=frequencies,
    billing_day=billing_days,
    end_after=st.one_of(st.none(), st.integers(0, 3000)),
    count=st.one_of(st.none(), st.integers(1, 80)),
    span=st.integers(-40, 4000),
    billed_mask=st.lists(st.booleans(), max_size=200),
    stray=st.lists(st.integers(-60, 4000), max_size=5),
)
def test_unbilled_periods_are_the_due_periods_not_billed(start, frequency, billing_day, end_after, count, span,
                                                         billed_mask, stray):
    """The fast walk (starts only, for billed periods) gives what filtering ``due_periods`` gives,
    whatever was billed, including dates that are no period's start (a schedule edited later)."""
    end = None if end_after is None else start + timedelta(days=end_after)
    until = start + timedelta(days=span)
    due = due_periods(start, frequency, until=until, billing_day=billing_day, end=end, count=count)
    billed = {p.start for p, bit in zip(due, billed_mask) if bit} | {start + timedelta(days=d) for d in stray}
    got = list(unbilled_periods(start, frequency, until=until, billed=billed, billing_day=billing_day, end=end,
                                count=count))
    assert got == [p for p in due if p.start not in billed]


def test_unbilled_periods_until_near_date_max():
    billed = {D(9999, 10, 1)}
    got = list(unbilled_periods(D(9999, 9, 1), "monthly", until=D(9999, 12, 31), billed=billed))
    assert [p.start for p in got] == [D(9999, 9, 1), D(9999, 11, 1), D(9999, 12, 1)]
