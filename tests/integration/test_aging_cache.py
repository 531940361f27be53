"""The aging cache kept on ``customer_balance`` (``queries.balances``), on SQLite and PostgreSQL.

As of today or later, aging reads the buckets stored for a (customer, currency) while nothing
changed its open documents (``rev``) and no document has changed bucket (``aging_until``); it
computes the rest and hands them back for ``save_aging``. Every answer here is compared with the
aging computed from the documents alone (``use_cache=False``), and ``check_ledger`` checks every
cache row still in force.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from cli_helpers import ArtermCli
from ledger_helpers import ACTOR, customer, integrity, invoice, pay, warm_aging

from arterm import ledger as L
from arterm.db import tables
from arterm.db.engine import Database
from arterm.domain.aging import bucket_keys
from arterm.queries.balances import (
    AgingRefresh,
    age_packed_documents,
    aging_totals,
    is_packed_documents,
    pack_documents,
    pack_sums,
    save_aging,
    unpack_documents,
    unpack_sums,
)
from arterm.queries.integrity import check_ledger

TODAY = date.today()
B = tables.customer_balance
D = tables.aging_documents


def aging(db: Database, as_of: date = TODAY, limits: tuple[int, ...] = (30, 60, 90, 120),
          ids: list[int] | None = None) -> tuple[dict, list[AgingRefresh]]:
    """(the aging, the rows it computed afresh), after checking it against the uncached aging."""
    refreshed: list[AgingRefresh] = []
    with db.read() as s:
        got = aging_totals(s, as_of=as_of, limits=limits, customer_ids=ids, refreshed=refreshed)
        assert got == aging_totals(s, as_of=as_of, limits=limits, customer_ids=ids, use_cache=False)
    return named(got, limits), refreshed


def named(totals: dict, limits: tuple[int, ...] = (30, 60, 90, 120)) -> dict:
    """``aging_totals`` with each row's bucket sums keyed by bucket name."""
    keys = bucket_keys(limits)
    return {key: (dict(zip(keys, sums, strict=True)), credit) for key, (sums, credit) in totals.items()}


def cache_row(db: Database, cid: int):  # type: ignore[no-untyped-def]
    with db.read() as s:
        return s.execute(sa.select(B).where(B.c.customer_id == cid, B.c.currency == "MXN")).one()


def kept_documents(db: Database, cid: int) -> bytes:
    with db.read() as s:
        return s.execute(sa.select(D.c.documents).where(D.c.customer_id == cid, D.c.currency == "MXN")).scalar_one()


def book(db: Database) -> int:
    """A customer with an invoice in every bucket (terms 0: due on the issue date) and credit."""
    cid = customer(db, payment_terms_days=0)
    for ago, amount in ((0, "100.00"), (10, "200.00"), (45, "300.00"), (75, "400.00"), (100, "500.00"), (300, "600.00")):
        invoice(db, cid, amount, issue=TODAY - timedelta(days=ago))
    pay(db, cid, "50.00", allocations=None)  # stays as credit
    return cid


def test_a_report_fills_the_cache_and_the_next_one_reads_it(db: Database) -> None:
    cid = book(db)
    first, refreshed = aging(db)
    assert first[(cid, "MXN")] == ({"current": 10000, "1-30": 20000, "31-60": 30000, "61-90": 40000,
                                    "91-120": 50000, "120+": 60000}, 5000)
    assert [r[:2] for r in refreshed] == [(cid, "MXN")]
    with db.write() as w:
        assert save_aging(w, refreshed) == 1
    row = cache_row(db, cid)
    assert (row.aging_rev, row.aging_as_of, row.aging_limits) == (row.rev, TODAY, "30,60,90,120")
    assert row.aging_until == TODAY + timedelta(days=1)  # today's invoice is overdue tomorrow
    second, again = aging(db)
    assert second == first and again == []
    # The stored row is what the second report read: alter it and the report follows it; the
    # reconciliation check is what catches such a row.
    with db.write() as w:
        w.execute(B.update().where(B.c.customer_id == cid).values(aging_sums=pack_sums((10000, 20000, 30000, 40000, 50000, 1))))
    with db.read() as s:
        assert named(aging_totals(s, as_of=TODAY))[(cid, "MXN")][0]["120+"] == 1
        assert check_ledger(s) == [(f"customer {cid} MXN: cached aging [10000, 20000, 30000, 40000, 50000, 1] "
                                    "but documents say [10000, 20000, 30000, 40000, 50000, 60000]")]
    # A row of the wrong size is not read: the report computes it again, and the check names it.
    with db.write() as w:
        w.execute(B.update().where(B.c.customer_id == cid).values(aging_sums=pack_sums((1, 2, 3, 4, 5))))
    third, again = aging(db)
    assert third == first and [r[:2] for r in again] == [(cid, "MXN")]
    with db.read() as s:
        assert check_ledger(s) == [f"customer {cid} MXN: cached aging of 40 bytes for bucket limits '30,60,90,120'"]


def test_every_change_to_the_open_documents_makes_the_row_stale(db: Database) -> None:
    cid = book(db)
    oldest = invoice(db, cid, "70.00", issue=TODAY - timedelta(days=400))
    changes = [
        lambda s: L.record_payment(s, actor=ACTOR, customer_id=cid, amount="10.00"),
        lambda s: L.issue_document(s, actor=ACTOR, customer_id=cid, lines=[L.LineInput("x", "1", "5.00", "0")]),
        lambda s: L.issue_credit_note(s, actor=ACTOR, customer_id=cid, lines=[L.LineInput("x", "1", "7.00", "0")],
                                      applies_to="oldest"),
        lambda s: L.apply_credit(s, actor=ACTOR, customer_id=cid, payment_id=1),
        lambda s: L.cancel_document(s, actor=ACTOR, document_id=oldest, reason="duplicada"),
    ]
    for change in changes:
        assert warm_aging(db) >= 0
        rev = cache_row(db, cid).rev
        assert cache_row(db, cid).aging_rev == rev
        with db.write() as w:
            change(w)
        assert cache_row(db, cid).rev > rev
        assert integrity(db) == []
        _, refreshed = aging(db)
        assert [r[:2] for r in refreshed] == [(cid, "MXN")]


def test_a_row_computed_before_a_payment_landed_is_not_stored(db: Database) -> None:
    cid = book(db)
    before, refreshed = aging(db)
    pay(db, cid, "600.00")  # between the report's read and its save: pays the 120+ invoice
    with db.write() as w:
        assert save_aging(w, refreshed) == 0
    assert cache_row(db, cid).aging_rev is None
    after, _ = aging(db)
    assert after[(cid, "MXN")][0]["120+"] == 0 != before[(cid, "MXN")][0]["120+"]
    assert integrity(db) == []


def test_the_row_expires_the_day_a_document_changes_bucket(db: Database) -> None:
    cid = customer(db, payment_terms_days=10)
    invoice(db, cid, "100.00", issue=TODAY)  # due in 10 days
    invoice(db, cid, "30.00", issue=TODAY + timedelta(days=5))  # issued later: not owed until then
    _, refreshed = aging(db)
    with db.write() as w:
        save_aging(w, refreshed)
    assert cache_row(db, cid).aging_until == TODAY + timedelta(days=5)
    got, refreshed = aging(db, TODAY + timedelta(days=4))
    assert refreshed == [] and got[(cid, "MXN")][0]["current"] == 10000
    got, refreshed = aging(db, TODAY + timedelta(days=5))
    assert len(refreshed) == 1 and got[(cid, "MXN")][0]["current"] == 13000
    with db.write() as w:
        save_aging(w, refreshed)
    assert cache_row(db, cid).aging_until == TODAY + timedelta(days=11)
    got, refreshed = aging(db, TODAY + timedelta(days=11))
    assert len(refreshed) == 1 and got[(cid, "MXN")][0]["1-30"] == 10000
    with db.write() as w:
        save_aging(w, refreshed)
    for day in (12, 40, 41, 200):  # every later bucket change, then none (120+ is the last)
        aging(db, TODAY + timedelta(days=day))
    with db.write() as w:
        save_aging(w, aging(db, TODAY + timedelta(days=200))[1])
    assert cache_row(db, cid).aging_until is None
    got, refreshed = aging(db, TODAY + timedelta(days=5000))
    assert refreshed == [] and got[(cid, "MXN")][0]["120+"] == 13000
    with db.read() as s:
        assert check_ledger(s, today=TODAY + timedelta(days=200)) == []


def test_other_bucket_limits_and_past_dates_do_not_use_the_row(db: Database) -> None:
    cid = book(db)
    warm_aging(db)
    got, refreshed = aging(db, limits=(15, 45))
    assert len(refreshed) == 1 and got[(cid, "MXN")][0] == {"current": 10000, "1-15": 20000, "16-45": 30000,
                                                             "45+": 150000}
    many = (10, 20, 30, 40, 50, 60, 70)  # any number of buckets is cached
    got, refreshed = aging(db, limits=many)
    assert len(refreshed) == 1 and sum(got[(cid, "MXN")][0].values()) == 210000
    with db.write() as w:
        assert save_aging(w, refreshed) == 1
    assert aging(db, limits=many) == (got, [])
    with db.read() as s:
        assert check_ledger(s) == []
    longest = tuple(range(10, 200, 10))  # a key longer than the column: computed in SQL, not cached
    got, refreshed = aging(db, limits=longest)
    assert refreshed == [] and sum(got[(cid, "MXN")][0].values()) == 210000
    with db.read() as s:  # last month: rebuilt from the history, cache or not
        past = named(aging_totals(s, as_of=TODAY - timedelta(days=30)))
    assert past[(cid, "MXN")][0]["current"] == 0 and sum(past[(cid, "MXN")][0].values()) == 180000


def test_customers_selected_by_id_and_customers_with_only_credit(db: Database) -> None:
    cid = book(db)
    other = customer(db, name="Solo Anticipo SA", rfc="KIJ0906199R1")
    pay(db, other, "99.00", allocations=None)
    got, refreshed = aging(db, ids=[other])
    assert got == {(other, "MXN"): ({"current": 0, "1-30": 0, "31-60": 0, "61-90": 0, "91-120": 0, "120+": 0}, 9900)}
    assert refreshed == []  # nothing open: nothing to cache
    got, refreshed = aging(db, ids=[cid, other])
    assert set(got) == {(cid, "MXN"), (other, "MXN")} and [r[:2] for r in refreshed] == [(cid, "MXN")]


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_arterm_aging_keeps_what_it_computed(any_db_url: str, monkeypatch: pytest.MonkeyPatch, fmt: str) -> None:
    db = Database(any_db_url)
    try:
        cid = book(db)
        cli = ArtermCli(any_db_url, monkeypatch)
        first = cli.invoke("aging", "--format", fmt)
        assert first.exit_code == 0, first.output
        row = cache_row(db, cid)
        assert row.aging_rev == row.rev and row.aging_as_of == TODAY
        second = cli.invoke("aging", "--format", fmt)
        assert second.output == first.output
        pay(db, cid, "100.00")
        third = cli.invoke("aging", "--format", fmt)
        assert third.output != first.output and "1-30" in third.output
        assert integrity(db) == []
    finally:
        db.dispose()


@pytest.mark.parametrize("way", ["one pass over all open documents", "lookups in chunks of one customer"])
def test_many_stale_customers_are_aged_the_same_either_way(db: Database, monkeypatch: pytest.MonkeyPatch,
                                                            way: str) -> None:
    from arterm.queries import balances

    if way.startswith("one pass"):
        monkeypatch.setattr(balances, "_STALE_SCAN", 1)
    else:
        monkeypatch.setattr(balances, "_CHUNK", 1)
    ids = [book(db) for _ in range(3)]
    with db.write() as w:
        L.issue_document(w, actor=ACTOR, customer_id=ids[1], currency="USD", exchange_rate="17.25",
                         lines=[L.LineInput("x", "1", "10.00", "0")], issue_date=TODAY - timedelta(days=40))
    got, refreshed = aging(db)
    assert sorted(r[:2] for r in refreshed) == sorted([(i, "MXN") for i in ids] + [(ids[1], "USD")])
    assert got[(ids[1], "USD")][0]["31-60"] == 1000
    with db.write() as w:
        assert save_aging(w, refreshed) == 4
    assert aging(db)[1] == []
    assert integrity(db) == []


def test_arterm_aging_does_not_wait_long_to_store_its_rows(any_db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another writer holds the lock (a long import, say): the report is printed, the cache is
    left for the next report after a short wait, and a note says so. (On SQLite, opening the
    database used to wait for that lock too, and failed after 30 s: it only reads the schema
    revision now.)"""
    import time

    db = Database(any_db_url)
    try:
        cid = book(db)
        expected = ArtermCli(any_db_url, monkeypatch).invoke("aging", "--format", "csv", "--as-of",
                                                             (TODAY - timedelta(days=1)).isoformat())
        with db.write_engine.connect() as other:  # holds the write lock / the customer's row
            if db.is_sqlite:
                other.connection.dbapi_connection.execute("BEGIN IMMEDIATE")  # type: ignore[union-attr]
            else:
                other.begin()
                other.execute(sa.select(B.c.rev).where(B.c.customer_id == cid).with_for_update())
            started = time.monotonic()
            result = ArtermCli(any_db_url, monkeypatch).invoke("aging", "--format", "csv")
            waited = time.monotonic() - started
            if db.is_sqlite:
                other.connection.dbapi_connection.execute("ROLLBACK")  # type: ignore[union-attr]
        assert result.exit_code == 0 and result.stdout.startswith("identifier,name,rfc"), result.output
        assert f",{cid}," not in result.stdout and "TOTAL" in result.stdout and expected.exit_code == 0
        assert result.stderr.startswith("note: aging cache not updated")
        assert waited < 15  # 2 s wait, not SQLite's 30 s busy timeout nor an endless row-lock wait
        assert cache_row(db, cid).aging_rev is None
        assert integrity(db) == []
    finally:
        db.dispose()


def test_the_reconciliation_check_catches_a_cached_row_that_would_last_too_long(db: Database) -> None:
    cid = customer(db, payment_terms_days=10)
    invoice(db, cid, "100.00", issue=TODAY)  # current until its due date, 10 days from now
    warm_aging(db)
    assert cache_row(db, cid).aging_until == TODAY + timedelta(days=11)
    with db.read() as s:
        assert check_ledger(s) == []
    with db.write() as w:  # claims it stays current for 20 more days
        w.execute(B.update().where(B.c.customer_id == cid).values(aging_until=TODAY + timedelta(days=21)))
    with db.read() as s:
        last = (TODAY + timedelta(days=20)).isoformat()
        assert check_ledger(s) == [(f"customer {cid} MXN: cached aging [10000, 0, 0, 0, 0, 0] but documents say "
                                    f"[0, 10000, 0, 0, 0, 0] on {last}")]
    with db.write() as w:
        w.execute(B.update().where(B.c.customer_id == cid).values(aging_limits=""))
    with db.read() as s:
        assert check_ledger(s) == [f"customer {cid} MXN: cached aging with bucket limits ''"]


def test_packed_sums_round_trip_and_refuse_partial_bytes() -> None:
    sums = (0, 1, -1, 2**63 - 1, 123456789012)
    assert unpack_sums(pack_sums(sums)) == sums and len(pack_sums(sums)) == 40
    with pytest.raises(ValueError, match="not whole 8-byte sums"):
        unpack_sums(b"\0" * 12)


def test_later_dates_and_other_limits_come_from_the_cached_documents(db: Database) -> None:
    """A row cached at its customer's revision keeps its open documents: the aging for any later
    day, or for other bucket limits, is computed from the row, without reading the documents,
    and equals the aging computed from the documents in SQL (``aging`` checks every answer)."""
    cid = book(db)
    later = customer(db, name="Posfechado SA", rfc="KIJ0906199R1", payment_terms_days=15)
    invoice(db, later, "70.00", issue=TODAY + timedelta(days=3))  # not owed for three more days
    invoice(db, later, "30.00", issue=TODAY - timedelta(days=20))
    assert warm_aging(db) == 2
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    for days in (0, 1, 3, 4, 16, 31, 46, 200, 5000):
        for limits in ((30, 60, 90, 120), (15, 45), (7,), tuple(range(10, 130, 10))):
            as_of = TODAY + timedelta(days=days)
            refreshed: list[AgingRefresh] = []
            with db.read() as s:
                sa.event.listen(s, "before_cursor_execute", seen)
                try:
                    got = aging_totals(s, as_of=as_of, limits=limits, refreshed=refreshed)
                finally:
                    sa.event.remove(s, "before_cursor_execute", seen)
                assert got == aging_totals(s, as_of=as_of, limits=limits, use_cache=False)
            assert {r[:2] for r in refreshed} <= {(cid, "MXN"), (later, "MXN")}
    queries = [s for s in statements if s != "BEGIN"]  # SQLite: the read transaction (engine.py)
    assert queries and not any(re.search(r"\bdocument\b", s) for s in queries)  # the ledger's table
    assert any("aging_documents" in s for s in queries)
    with db.read() as s:
        assert check_ledger(s) == []


def test_a_change_to_the_documents_is_read_from_the_ledger_not_the_cached_documents(db: Database) -> None:
    cid = book(db)
    warm_aging(db)
    pay(db, cid, "250.00", allocations="oldest")  # the row's revision moves on: its documents are old
    got, refreshed = aging(db, TODAY + timedelta(days=10))
    assert [r[:2] for r in refreshed] == [(cid, "MXN")]
    assert sum(got[(cid, "MXN")][0].values()) == 210000 - 25000
    with db.write() as w:
        assert save_aging(w, refreshed) == 1
    with db.read() as s:
        assert check_ledger(s) == []


def test_damaged_cached_documents_are_named_by_the_check_and_not_used(db: Database) -> None:
    cid = book(db)
    warm_aging(db)
    with db.write() as w:  # one document's balance changed behind the ledger's back
        packed = kept_documents(db, cid)
        docs = unpack_documents(bytes(packed))
        docs[0] = (docs[0][0], docs[0][1], docs[0][2] + 1)
        w.execute(D.update().where(D.c.customer_id == cid).values(documents=pack_documents(docs)))
    with db.read() as s:
        assert [p for p in check_ledger(s) if p.startswith(f"customer {cid} MXN: kept open documents [")] != []
    with db.write() as w:  # not documents at all: computed from the ledger again
        w.execute(D.update().where(D.c.customer_id == cid).values(documents=b"\x00" * 12))
    _, refreshed = aging(db, TODAY + timedelta(days=1))
    assert [r[:2] for r in refreshed] == [(cid, "MXN")]
    with db.read() as s:
        assert check_ledger(s) == [f"customer {cid} MXN: kept open documents damaged"]


def test_packed_documents_age_like_the_documents() -> None:
    day = (TODAY - date(1970, 1, 1)).days
    docs = [(day - 10, day - 5, 100), (day + 2, day + 30, 7), (day - 400, day - 300, 5), (day, day, 1)]
    sums, until = age_packed_documents(pack_documents(docs), TODAY, (30, 60, 90, 120))
    assert sums == (1, 100, 0, 0, 0, 5) and until == TODAY + timedelta(days=1)  # today's is overdue tomorrow
    assert age_packed_documents(pack_documents([]), TODAY, (30,)) == ((0, 0, 0), None)
    assert is_packed_documents(pack_documents(docs)) and not is_packed_documents(pack_sums((1, 2)))


@pytest.mark.parametrize("damage", ["x" * 48, "ñ" * 48, -1, 1.5, 48], ids=["text", "text-utf8", "negative", "real", "int"])
def test_a_cached_row_that_is_not_bytes_is_computed_again_and_named(sqlite_db: Database, damage: object) -> None:
    """SQLite keeps any type in any column (a hand edit, another tool): the report computes such a
    row again instead of failing (``length()`` of text counts characters, so 48 of them passed as
    six sums), and ``arterm db check`` names it instead of failing (``bytes()`` of text, of a
    negative number or of a real raised; of 48 it made 48 zero bytes). The same for the kept
    documents."""
    db = sqlite_db
    cid = book(db)
    first, refreshed = aging(db)
    with db.write() as w:
        assert save_aging(w, refreshed) == 1
    with db.write() as w:
        w.execute(sa.text("UPDATE customer_balance SET aging_sums = :v WHERE customer_id = :c"), {"v": damage, "c": cid})
    again, refreshed = aging(db)
    assert again == first and [r[:2] for r in refreshed] == [(cid, "MXN")]
    with db.read() as s:
        assert check_ledger(s) == [(f"customer {cid} MXN: cached aging stored as {type(damage).__name__}, not bytes, "
                                    "for bucket limits '30,60,90,120'")]
    with db.write() as w:
        w.execute(sa.text("UPDATE aging_documents SET documents = :v WHERE customer_id = :c"), {"v": damage, "c": cid})
    again, refreshed = aging(db, TODAY + timedelta(days=1))  # not from the documents kept: from the ledger
    assert [r[:2] for r in refreshed] == [(cid, "MXN")]
    with db.read() as s:
        assert f"customer {cid} MXN: kept open documents damaged" in check_ledger(s)


def test_a_cached_row_without_its_day_is_named_not_a_crash(db: Database) -> None:
    cid = book(db)
    warm_aging(db)
    with db.write() as w:
        w.execute(B.update().where(B.c.customer_id == cid).values(aging_as_of=None))
    _, refreshed = aging(db)  # not in force: computed from the kept documents
    assert [r[:2] for r in refreshed] == [(cid, "MXN")]
    with db.read() as s:
        assert check_ledger(s) == [f"customer {cid} MXN: cached aging without the day it was computed for"]


@pytest.mark.parametrize(("column", "damage", "problem"), [
    ("aging_as_of", "garbage", "cached aging computed for 'garbage', not a day"),
    ("aging_as_of", "2026-13-45", "cached aging computed for '2026-13-45', not a day"),
    ("aging_as_of", 0, "cached aging computed for 0, not a day"),
    ("aging_until", "never", "cached aging in force until 'never', not a day"),
    ("aging_limits", b"30,60,90,120", "cached aging with bucket limits b'30,60,90,120'"),
], ids=["text", "no-such-month", "int", "until-text", "limits-blob"])
def test_a_cached_row_with_a_damaged_day_or_limits_is_named_not_a_crash(sqlite_db: Database, column: str,
                                                                          damage: object, problem: str) -> None:
    """SQLite keeps any type in any column: ``arterm db check`` names a cached row whose day or
    bucket limits are not what the cache writes, instead of failing on it (the date columns were
    parsed on the way out: ``ValueError``; limits as bytes: ``TypeError``). A text ``aging_until``
    is even in force for ever (text sorts after every ISO day): naming it is what catches it."""
    db = sqlite_db
    cid = book(db)
    warm_aging(db)
    with db.write() as w:
        w.execute(sa.text(f"UPDATE customer_balance SET {column} = :v WHERE customer_id = :c"), {"v": damage, "c": cid})
    with db.read() as s:
        assert check_ledger(s) == [f"customer {cid} MXN: {problem}"]


def test_cached_bucket_limits_beyond_the_calendar_are_named_not_a_crash(db: Database) -> None:
    """Limits whose oldest bucket starts before year 1 (a hand edit): the check cannot age the
    documents with them (``OverflowError``); it names the row."""
    cid = book(db)
    warm_aging(db)
    with db.write() as w:
        w.execute(B.update().where(B.c.customer_id == cid).values(aging_limits="30,60,90,99999999"))
    with db.read() as s:
        assert check_ledger(s) == [f"customer {cid} MXN: cached aging with bucket limits '30,60,90,99999999'"]
