"""Schema versioning: a new or one-version-behind database is upgraded when opened; the
migrations, the SQLModel models and the generated Core tables all agree."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from arterm.db import migrate
from arterm.db.engine import Database, normalize_url
from arterm.queries.customers import search_customers


def old_customer(conn: sa.Connection, cid: int | None, identifier: str, name: str, search: str) -> None:
    """A customer inserted with the columns every revision from 0001 on has (no ORM: the schema
    may be an old one)."""
    conn.execute(sa.text(
        "INSERT INTO customer (" + ("id, " if cid is not None else "") + "identifier, name, rfc, rfc_check_ok, "
        "tax_regime, uso_cfdi, street, ext_number, int_number, colonia, municipio, state, postal_code, country, "
        "phone, emails, language, payment_terms_days, currency, search_text, created_at, updated_at, version) "
        "VALUES (" + (":id, " if cid is not None else "") + ":identifier, :name, 'XAXX010101000', true, '', '', '', "
        "'', '', '', '', '', '', 'MEX', '', '', 'es', 30, 'MXN', :search, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)"),
        {"id": cid, "identifier": identifier, "name": name, "search": search})


def test_new_database_is_created_at_head(any_db_url: str) -> None:
    db = Database(any_db_url)
    with db.read() as s:
        assert migrate.current_revision(s) == migrate.HEAD_REVISION
    db.dispose()


def test_database_one_version_behind_is_upgraded_on_open(any_db_url: str) -> None:
    engine = sa.create_engine(normalize_url(any_db_url))
    migrate.upgrade(engine, "0001")
    with engine.begin() as conn:
        old_customer(conn, None, "OLD-1", "Tlapalería Ñú", "tlapaleria nu | old-1")
        assert migrate.current_revision(conn) == "0001"
    engine.dispose()
    db = Database(any_db_url)  # opening upgrades
    with db.read() as s:
        assert migrate.current_revision(s) == migrate.HEAD_REVISION
        assert [r.identifier for r in search_customers(s, "TLAPALERIA")] == ["OLD-1"]  # indexed by the upgrade
    db.dispose()


def test_newer_database_is_refused(any_db_url: str) -> None:
    db = Database(any_db_url)
    with db.write() as s:
        s.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    db.dispose()
    with pytest.raises(migrate.SchemaError, match="newer than this arterm"):
        Database(any_db_url)


def test_models_match_migrations(any_db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from arterm.db.models import TABLES

    db = Database(any_db_url)
    with db.write_engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = [d for d in compare_metadata(ctx, TABLES) if not _ignorable(d)]
    db.dispose()
    assert diff == []


def _ignorable(d) -> bool:  # type: ignore[no-untyped-def]
    """Objects arterm adds outside the models: the search indexes and the FTS5 shadow tables."""
    text = repr(d)
    return any(name in text for name in ("customer_fts", "ix_customer_search_trgm", "alembic_version",
                                         # customers-screen indexes (migration 0006), partly engine-specific
                                         "ix_customer_list_"))


def test_generated_core_tables_are_up_to_date() -> None:
    from arterm.db import gen_tables

    assert gen_tables.TARGET.read_text(encoding="utf-8") == gen_tables.render(), (
        "run `python -m arterm.db.gen_tables` after changing arterm/db/models.py"
    )


def test_head_revision_constant_matches_alembic() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(migrate.MIGRATIONS_DIR))
    script = ScriptDirectory.from_config(cfg)
    assert script.get_current_head() == migrate.HEAD_REVISION
    assert tuple(sorted(r.revision for r in script.walk_revisions())) == migrate.KNOWN_REVISIONS


def test_upgrade_to_packed_aging_sums_drops_the_cached_rows_and_keeps_the_balances(any_db_url: str) -> None:
    """0009: the eight bucket columns become one packed column; the rows cached by 0008 are
    forgotten (computed again by the next report), the balances themselves are kept."""
    from datetime import date

    from arterm.queries.balances import aging_totals, save_aging, unpack_sums

    engine = sa.create_engine(normalize_url(any_db_url))
    migrate.upgrade(engine, "0008")
    with engine.begin() as conn:
        old_customer(conn, 7, "OLD-7", "Anticipos", "anticipos | old-7")
        conn.execute(sa.text(
            "INSERT INTO customer_balance (customer_id, currency, open_cents, credit_cents, rev, aging_rev, aging_as_of, "
            "aging_limits, aging_b0) VALUES (7, 'MXN', 0, 4200, 3, 3, '2026-11-01', '30,60,90,120', 99)"))
    engine.dispose()
    db = Database(any_db_url)
    with db.read() as s:
        row = s.execute(sa.text("SELECT open_cents, credit_cents, rev, aging_rev, aging_sums FROM customer_balance")).one()
        assert tuple(row) == (0, 4200, 3, None, None)
        # today= pinned: as of a fixed day, the report is historical (no cache, credit from the
        # payments, of which there are none here) from the next day on.
        day = date(2026, 11, 29)
        assert aging_totals(s, as_of=day, today=day) == {(7, "MXN"): ((0,) * 6, 4200)}
    with db.write() as w:
        assert save_aging(w, [(7, "MXN", 3, date(2026, 11, 29), None, "30,60", (1, 2, 3, 4), b"doc1")]) == 1
    with db.read() as s:
        packed = s.execute(sa.text("SELECT aging_sums FROM customer_balance")).scalar_one()
        assert unpack_sums(bytes(packed)) == (1, 2, 3, 4)
    db.dispose()


def test_the_aging_cache_migrations_go_down_and_up_again_keeping_the_balances(any_db_url: str) -> None:
    """0010 and 0009 undone (back to eight bucket columns) and done again: the balances stay, the
    cache is forgotten each way."""
    from alembic import command

    db = Database(any_db_url)
    db.dispose()
    engine = sa.create_engine(normalize_url(any_db_url))
    with engine.begin() as conn:
        old_customer(conn, 8, "OLD-8", "Abajo", "abajo | old-8")
        conn.execute(sa.text(
            "INSERT INTO customer_balance (customer_id, currency, open_cents, credit_cents, rev, aging_rev, aging_sums) "
            "VALUES (8, 'MXN', 0, 700, 5, 5, :s)"), {"s": b"\0" * 48})
        conn.execute(sa.text("INSERT INTO aging_documents (customer_id, currency, rev, documents) "
                             "VALUES (8, 'MXN', 5, :d)"), {"d": b"doc1"})
    with engine.begin() as conn:
        command.downgrade(migrate.alembic_config(conn), "0008")
    with engine.connect() as conn:
        assert migrate.current_revision(conn) == "0008"
        row = conn.execute(sa.text("SELECT open_cents, credit_cents, rev, aging_rev, aging_b0 FROM customer_balance")).one()
        assert tuple(row) == (0, 700, 5, None, 0)
    migrate.upgrade(engine)
    with engine.connect() as conn:
        assert migrate.current_revision(conn) == migrate.HEAD_REVISION
        row = conn.execute(sa.text("SELECT open_cents, credit_cents, rev, aging_rev, aging_sums FROM customer_balance")).one()
        assert tuple(row) == (0, 700, 5, None, None)
        assert conn.execute(sa.text("SELECT count(*) FROM aging_documents")).scalar_one() == 0
    engine.dispose()
