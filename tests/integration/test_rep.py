"""REP tracking: which payments still need their REP, the deadline (5th calendar day of the next
month) and days left / late — the query and ``arterm rep pending`` / ``arterm rep set`` on SQLite
and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal as D
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from arterm import ledger as L
from arterm.cfdi.generate import Customer, Line, PaidDocument, Payment, invoice_xml, payment_xml
from arterm.cfdi.importer import import_paths
from arterm.cli import cli
from arterm.config import Settings
from arterm.db import tables
from arterm.db.engine import Database
from arterm.queries.lists import rep_deadline
from arterm.queries.rep import count_rep_pending, days_left, rep_pending

ACTOR = "tester"
KIJ = Customer("KIJ0906199R1", "KIJ, S.A DE C.V.", "59820", "601", "G03")
REP_UUID = "cccccccc-0000-4000-8000-000000000009"


# ---------------------------------------------------------------------------------------- deadline math
@pytest.mark.parametrize(("paid_on", "deadline"), [
    (date(2026, 1, 1), date(2026, 2, 5)),
    (date(2026, 1, 31), date(2026, 2, 5)),
    (date(2026, 2, 28), date(2026, 3, 5)),
    (date(2024, 2, 29), date(2024, 3, 5)),  # leap day
    (date(2026, 11, 30), date(2026, 12, 5)),
    (date(2026, 12, 1), date(2027, 1, 5)),  # year end
    (date(2026, 12, 31), date(2027, 1, 5)),
    (date(9999, 11, 30), date(9999, 12, 5)),
    (date(9999, 12, 1), date.max),  # no year 10000: the last day instead of a ValueError
    (date(9999, 12, 31), date.max),
])
def test_deadline_is_the_5th_of_the_next_month(paid_on: date, deadline: date) -> None:
    assert rep_deadline(paid_on) == deadline


def test_days_left_and_days_late() -> None:
    assert days_left(date(2026, 11, 10), date(2026, 11, 28)) == 7  # due 5 Dec
    assert days_left(date(2026, 11, 10), date(2026, 12, 5)) == 0
    assert days_left(date(2026, 11, 10), date(2026, 12, 8)) == -3
    assert days_left(date(2026, 12, 31), date(2026, 12, 31)) == 5  # due 5 Jan of the next year
    assert days_left(date(2026, 12, 31), date(2027, 1, 6)) == -1


# ---------------------------------------------------------------------------------------- the query
def ledger(db: Database) -> dict[str, int]:
    """Two customers (one assigned to mgarcia) with PPD and PUE invoices and payments of all kinds."""
    with db.write() as s:
        L.upsert_operator(s, username="mgarcia", full_name="María García")
        a = L.create_customer(s, actor=ACTOR, name="Ñandú [bold]SA[/]", rfc="KIJ0906199R1", identifier="A",
                              assigned_to="mgarcia")
        b = L.create_customer(s, actor=ACTOR, name="Beta", rfc="URE180429TM6", identifier="B")
        ppd = L.issue_document(s, actor=ACTOR, customer_id=a, lines=[L.LineInput("X", "1", "3000", "0")],
                               issue_date=date(2026, 9, 1), metodo_pago="PPD", series="A", folio="1")
        pue = L.issue_document(s, actor=ACTOR, customer_id=a, lines=[L.LineInput("X", "1", "500", "0")],
                               issue_date=date(2026, 9, 1), metodo_pago="PUE", forma_pago="03", series="A", folio="2")
        ppd_b = L.issue_document(s, actor=ACTOR, customer_id=b, lines=[L.LineInput("X", "1", "800", "0")],
                                 issue_date=date(2026, 9, 1), metodo_pago="PPD", series="B", folio="1")
        ids = {
            "october": L.record_payment(s, actor=ACTOR, customer_id=a, amount="1000", paid_on=date(2026, 10, 31),
                                        allocations=[(ppd, "1000")]),
            "november": L.record_payment(s, actor=ACTOR, customer_id=a, amount="500", paid_on=date(2026, 11, 20),
                                         allocations=[(ppd, "500")]),
            "pue": L.record_payment(s, actor=ACTOR, customer_id=a, amount="500", paid_on=date(2026, 11, 2),
                                    allocations=[(pue, "500")]),
            "credit": L.record_payment(s, actor=ACTOR, customer_id=a, amount="50", paid_on=date(2026, 11, 3),
                                       allocations=None),
            "beta": L.record_payment(s, actor=ACTOR, customer_id=b, amount="800", paid_on=date(2026, 11, 25),
                                     allocations=[(ppd_b, "800")]),
            "cancelled": L.record_payment(s, actor=ACTOR, customer_id=a, amount="100", paid_on=date(2026, 11, 1),
                                          allocations=[(ppd, "100")]),
            "a": a, "b": b,
        }
        L.cancel_payment(s, actor=ACTOR, payment_id=ids["cancelled"], reason="bounced", on=date(2026, 11, 5))
    return ids


def test_rep_pending_lists_payments_on_ppd_invoices_most_urgent_first(db: Database) -> None:
    ids = ledger(db)
    with db.read() as s:
        rows = rep_pending(s, as_of=date(2026, 11, 28))
        assert count_rep_pending(s) == 3
    assert [r.payment_id for r in rows] == [ids["october"], ids["november"], ids["beta"]]
    october, november, beta = rows
    assert (october.deadline, october.days_left, october.late, october.days_late) == (date(2026, 11, 5), -23, True, 23)
    assert (november.deadline, november.days_left, november.late) == (date(2026, 12, 5), 7, False)
    assert (october.identifier, october.name, october.assigned, october.invoices) == ("A", "Ñandú [bold]SA[/]",
                                                                                       "mgarcia", ("A-1",))
    assert (october.amount, october.currency, october.paid_on) == (100000, "MXN", date(2026, 10, 31))
    assert (beta.assigned, beta.invoices, beta.days_left) == ("", ("B-1",), 7)


def test_rep_pending_filters_by_operator_and_customer(db: Database) -> None:
    ids = ledger(db)
    with db.read() as s:
        assert [r.payment_id for r in rep_pending(s, as_of=date(2026, 11, 28), assigned="mgarcia")] == [
            ids["october"], ids["november"]]
        assert count_rep_pending(s, assigned="mgarcia") == 2
        assert rep_pending(s, as_of=date(2026, 11, 28), assigned="nobody") == []
        assert [r.payment_id for r in rep_pending(s, as_of=date(2026, 11, 28), customer_id=ids["b"])] == [ids["beta"]]
        assert len(rep_pending(s, as_of=date(2026, 11, 28), limit=1, offset=1)) == 1


def test_recording_the_rep_by_hand_clears_it(db: Database) -> None:
    ids = ledger(db)
    with db.write() as s:
        L.set_rep(s, actor=ACTOR, payment_id=ids["october"], rep_uuid=REP_UUID.upper())
    with db.read() as s:
        assert [r.payment_id for r in rep_pending(s, as_of=date(2026, 11, 28))] == [ids["november"], ids["beta"]]


def test_importing_the_rep_of_a_payment_recorded_by_hand_clears_it(db: Database, tmp_path: Path) -> None:
    ids = ledger(db)
    settings = Settings()
    inv_uuid = "cccccccc-0000-4000-8000-000000000001"
    inv = invoice_xml(uuid=inv_uuid, issued_at=datetime(2026, 9, 2), customer=KIJ, folio="77",
                      lines=(Line("X", D(1), D("400.00"), D(0)),))
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "inv.xml").write_bytes(inv)
    import_paths(db, [str(tmp_path / "a")], settings=settings, actor=ACTOR)
    with db.read() as s:
        doc_id = s.exec_driver_sql("SELECT id FROM document WHERE cfdi_uuid = ?" if db.is_sqlite else
                                   "SELECT id FROM document WHERE cfdi_uuid = %s", (inv_uuid,)).scalar_one()
    with db.write() as s:
        manual = L.record_payment(s, actor=ACTOR, customer_id=ids["a"], amount="400", paid_on=date(2026, 11, 26),
                                  allocations=[(doc_id, "400")])
    with db.read() as s:
        assert manual in [r.payment_id for r in rep_pending(s, as_of=date(2026, 11, 28))]
    rep = payment_xml([Payment(datetime(2026, 11, 26, 13), [PaidDocument(inv_uuid, D("400"), D("400"))])],
                      uuid=REP_UUID, customer=KIJ)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "rep.xml").write_bytes(rep)
    report = import_paths(db, [str(tmp_path / "b")], settings=settings, actor=ACTOR, lang="en")
    assert report.imported["payment"] == 1 and f"documents payment #{manual}" in report.warnings[0][1]
    with db.read() as s:
        assert manual not in [r.payment_id for r in rep_pending(s, as_of=date(2026, 11, 28))]
        assert count_rep_pending(s) == 3


def test_imported_rep_payments_never_show_as_pending(db: Database, tmp_path: Path) -> None:
    inv_uuid = "cccccccc-0000-4000-8000-000000000001"
    inv = invoice_xml(uuid=inv_uuid, issued_at=datetime(2026, 9, 2), customer=KIJ,
                      lines=(Line("X", D(1), D("400.00"), D(0)),))
    rep = payment_xml([Payment(datetime(2026, 11, 26, 13), [PaidDocument(inv_uuid, D("400"), D("150"))])],
                      uuid=REP_UUID, customer=KIJ)
    for name, data in (("inv.xml", inv), ("rep.xml", rep)):
        (tmp_path / name).write_bytes(data)
    import_paths(db, [str(tmp_path)], settings=Settings(), actor=ACTOR)
    with db.read() as s:
        assert count_rep_pending(s) == 0


# ---------------------------------------------------------------------------------------- CLI
def arterm(url: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", url, *args], catch_exceptions=False, env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def test_cli_rep_pending_json(any_db_url: str) -> None:
    db = Database(any_db_url)
    ids = ledger(db)
    db.dispose()
    code, out, _err = arterm(any_db_url, "rep", "pending", "--json", "--as-of", "2026-11-28")
    assert code == 0
    data = json.loads(out)
    assert (data["as_of"], data["count"]) == ("2026-11-28", 3)
    first = data["payments"][0]
    assert first == {
        "payment_id": ids["october"], "customer": {"id": ids["a"], "identifier": "A", "name": "Ñandú [bold]SA[/]",
                                                   "rfc": "KIJ0906199R1"},
        "assigned": "mgarcia", "paid_on": "2026-10-31", "amount": "1000.00", "currency": "MXN", "forma_pago": "03",
        "reference": "", "invoices": ["A-1"], "deadline": "2026-11-05", "days_left": -23, "late": True}
    code, out, _err = arterm(any_db_url, "rep", "pending", "--json", "--assigned", "mgarcia", "--as-of", "28/11/2026")
    assert [p["payment_id"] for p in json.loads(out)["payments"]] == [ids["october"], ids["november"]]


def test_cli_rep_pending_table_and_set(any_db_url: str) -> None:
    db = Database(any_db_url)
    ids = ledger(db)
    db.dispose()
    code, out, _err = arterm(any_db_url, "rep", "pending", "--as-of", "2026-11-28")
    assert code == 0
    assert "REP pendientes: 3" in out and "Ñandú [bold]SA[/]" in out  # shown literally
    assert "23 días de atraso" in out and "faltan 7 días" in out and "05/11/2026" in out
    code, out, _err = arterm(any_db_url, "rep", "set", str(ids["october"]), REP_UUID.upper())
    assert code == 0 and out.strip() == f"REP {REP_UUID} registrado en el pago #{ids['october']}"
    code, out, _err = arterm(any_db_url, "rep", "pending", "--json", "--as-of", "2026-11-28")
    assert json.loads(out)["count"] == 2
    code, _out, err = arterm(any_db_url, "rep", "set", str(ids["october"]), "not-a-uuid")
    assert code == 1 and "is not a UUID" in err
    code, _out, err = arterm(any_db_url, "rep", "set", "999999", REP_UUID)
    assert code == 1 and "does not exist" in err


def test_cli_rep_pending_when_nothing_is_pending(any_db_url: str, db: Database) -> None:
    """On an empty ledger (``db`` creates it: a missing SQLite file is refused by read commands)."""
    code, out, _err = arterm(any_db_url, "rep", "pending")
    assert code == 0 and out.strip() == "Ningún pago espera su REP."


def test_a_payment_stored_with_date_9999_does_not_break_show_or_rep_pending(any_db_url: str) -> None:
    """Before the import refused future REPs, one dated 9999-12-31 was stored; its REP deadline (year
    10000) made ``arterm show`` and ``arterm rep pending`` crash with a ValueError."""
    db = Database(any_db_url)
    ids = ledger(db)
    with db.write() as s:
        s.execute(sa.update(tables.payment).where(tables.payment.c.id == ids["november"])
                  .values(paid_on=date(9999, 12, 31)))
    with db.read() as s:
        rows = rep_pending(s, as_of=date(2026, 11, 28))
    db.dispose()
    assert [(r.payment_id, r.deadline) for r in rows][-1] == (ids["november"], date.max)
    code, out, _err = arterm(any_db_url, "rep", "pending", "--json", "--as-of", "2026-11-28")
    assert code == 0 and json.loads(out)["payments"][-1]["deadline"] == "9999-12-31"
    code, out, _err = arterm(any_db_url, "rep", "pending", "--as-of", "2026-11-28")
    assert code == 0 and "REP pendientes: 3" in out
    code, out, _err = arterm(any_db_url, "show", "A")
    assert code == 0 and "Ñandú [bold]SA[/]" in out
