"""Aging buckets by days past due. A document is overdue from the day after its due date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

DEFAULT_BUCKETS = (30, 60, 90, 120)


@dataclass(frozen=True)
class Bucket:
    key: str  # "current", "1-30", ..., "120+"
    lo: int  # days past due, inclusive (0 for current)
    hi: int | None  # inclusive; None = no upper bound


def buckets(limits: tuple[int, ...] = DEFAULT_BUCKETS) -> tuple[Bucket, ...]:
    out = [Bucket("current", 0, 0)]
    lo = 1
    for hi in limits:
        out.append(Bucket(f"{lo}-{hi}", lo, hi))
        lo = hi + 1
    out.append(Bucket(f"{limits[-1]}+", limits[-1] + 1, None))
    return tuple(out)


def bucket_keys(limits: tuple[int, ...] = DEFAULT_BUCKETS) -> tuple[str, ...]:
    return tuple(b.key for b in buckets(limits))


def days_past_due(due: date, as_of: date) -> int:
    return max(0, (as_of - due).days)


def bucket_for(due: date, as_of: date, limits: tuple[int, ...] = DEFAULT_BUCKETS) -> str:
    dpd = (as_of - due).days
    for b in buckets(limits):
        if dpd <= 0 and b.lo == 0:
            return b.key
        if b.lo >= 1 and dpd >= b.lo and (b.hi is None or dpd <= b.hi):
            return b.key
    raise AssertionError("unreachable")


def due_date_bounds(as_of: date, limits: tuple[int, ...] = DEFAULT_BUCKETS) -> list[tuple[str, date | None, date | None]]:
    """For each bucket, the due-date range [min, max] (inclusive) that falls into it as of ``as_of``.

    current: due >= as_of; "1-30": as_of-30 <= due <= as_of-1; last: due <= as_of-(last+1).
    """
    out: list[tuple[str, date | None, date | None]] = []
    for b in buckets(limits):
        if b.lo == 0:
            out.append((b.key, as_of, None))
        else:
            latest = as_of - timedelta(days=b.lo)
            earliest = as_of - timedelta(days=b.hi) if b.hi is not None else None
            out.append((b.key, earliest, latest))
    return out
