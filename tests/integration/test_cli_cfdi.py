"""``arterm import``: the --json report shape, exit codes, the human report, folders and .zip
archives, and hostile input (billion laughs, external entities, a 100 MB file, a truncated file, a
zip bomb, zip path traversal) rejected without writing anything and within a few MB of memory; in an
archive only the bad member is refused (once, with its own reason), unless the archive itself is at
fault (then it is refused whole, in one line)."""

from __future__ import annotations

import json
import struct
import tracemalloc
import zipfile
from datetime import datetime
from decimal import Decimal as D
from pathlib import Path

import pytest
from click.testing import CliRunner

from arterm.cfdi.generate import Customer, Issuer, Line, PaidDocument, Payment, invoice_xml, payment_xml
from arterm.cfdi.importer import import_paths
from arterm.cli import cli
from arterm.config import Settings
from arterm.db.engine import Database
from ledger_helpers import counts, integrity

KIJ = Customer("KIJ0906199R1", "KIJ, S.A DE C.V.", "59820", "601", "G03")
KEYS = ["imported", "duplicates", "not_ours", "waiting", "warnings", "rejected"]
HOSTILE_NAME = "[bold red]X[red] <b>"  # no "/": it names a folder


def U(n: int) -> str:
    return f"DDDDDDDD-0000-4000-8000-{n:012d}"


def inv(n: int, total: str = "1000.00", **kw: object) -> bytes:
    return invoice_xml(uuid=U(n), issued_at=datetime(2024, 3, 1), customer=kw.pop("customer", KIJ),  # type: ignore[arg-type]
                       folio=str(n), lines=(Line("SERVICIO", D(1), D(total), D(0)),), **kw)  # type: ignore[arg-type]


def rep(n: int, target: int, amount: str) -> bytes:
    return payment_xml([Payment(datetime(2024, 3, 20), [PaidDocument(U(target), D("1000"), D(amount))])], uuid=U(n),
                       customer=KIJ, folio=str(n))


def arterm(url: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", url, *args], catch_exceptions=False, env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def data_counts(url: str) -> dict[str, int]:
    db = Database(url)
    try:
        return {k: v for k, v in counts(db).items() if k != "operator"}
    finally:
        db.dispose()


# ---------------------------------------------------------------------------------------- report
def test_json_report_has_exactly_the_documented_shape(any_db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "sat"
    (folder / "2024" / "03").mkdir(parents=True)
    (folder / "2024" / "03" / "a.xml").write_bytes(inv(1))
    (folder / "2024" / "03" / "a.pdf").write_bytes(b"%PDF-1.7 not a CFDI")  # skipped silently in folders
    (folder / "2024" / "03" / "copy.XML").write_bytes(inv(1))
    (folder / "rep.xml").write_bytes(rep(2, 1, "400"))
    (folder / "waiting.xml").write_bytes(rep(3, 99, "10"))
    supplier = invoice_xml(uuid=U(4), customer=Customer("EKU9003173C9", "NOSOTROS", "42501"),
                           issuer=Issuer(rfc="URE180429TM6"))
    (folder / "supplier.xml").write_bytes(supplier)
    (folder / "over.xml").write_bytes(rep(5, 1, "900"))
    code, out, _err = arterm(any_db_url, "import", str(folder), "--json")
    assert code == 0
    report = json.loads(out)  # exactly one JSON object on stdout
    assert list(report) == KEYS
    assert report["imported"] == {"invoice": 1, "credit_note": 0, "payment": 3}
    assert report["duplicates"] == [str(folder / "2024" / "03" / "copy.XML")]
    assert report["not_ours"] == [str(folder / "supplier.xml")]
    assert report["waiting"] == [str(folder / "waiting.xml")]
    assert report["rejected"] == []
    assert all(list(w) == ["path", "message"] for w in report["warnings"])
    assert any(w["path"] == str(folder / "over.xml") and "ImpPagado" in w["message"] for w in report["warnings"])
    db = Database(any_db_url)
    assert integrity(db) == []
    db.dispose()


def test_a_changed_file_with_a_known_uuid_is_a_duplicate_with_a_warning(any_db_url: str, tmp_path: Path) -> None:
    (tmp_path / "a.xml").write_bytes(inv(1))
    (tmp_path / "reissued.xml").write_bytes(inv(1, "1160.00"))
    assert arterm(any_db_url, "import", str(tmp_path / "a.xml"), "--json")[0] == 0
    before = data_counts(any_db_url)
    code, out, _err = arterm(any_db_url, "import", str(tmp_path / "reissued.xml"), "--json")
    assert code == 0  # a duplicate is not a rejection
    report = json.loads(out)
    assert report["duplicates"] == [str(tmp_path / "reissued.xml")]
    assert report["warnings"] == [{"path": str(tmp_path / "reissued.xml"), "message": (
        f"el UUID {U(1).lower()} ya está en la cartera, pero este archivo no coincide con lo guardado (total "
        "$1,000.00 MXN en lo guardado, $1,160.00 MXN en el archivo): no se importa")}]
    assert data_counts(any_db_url) == before
    code, out, _err = arterm(any_db_url, "import", str(tmp_path / "reissued.xml"))
    assert "Avisos" in out and "$1,160.00 MXN en el archivo" in out


def test_exit_code_is_1_when_something_was_rejected(any_db_url: str, tmp_path: Path) -> None:
    (tmp_path / "ok.xml").write_bytes(inv(1))
    (tmp_path / "broken.xml").write_bytes(inv(2)[:200])
    code, out, _err = arterm(any_db_url, "import", str(tmp_path / "ok.xml"), str(tmp_path / "broken.xml"),
                             str(tmp_path / "missing.xml"), "--json")
    assert code == 1
    report = json.loads(out)
    assert report["imported"]["invoice"] == 1
    assert [r["path"] for r in report["rejected"]] == [str(tmp_path / "broken.xml"), str(tmp_path / "missing.xml")]
    assert report["rejected"][0]["reason"].startswith("not well-formed XML: ")
    assert report["rejected"][1]["reason"] == "cannot read file: No such file or directory"


def test_human_report_in_spanish_shows_paths_literally(sqlite_db: Database, tmp_path: Path) -> None:
    folder = tmp_path / HOSTILE_NAME
    folder.mkdir()
    (folder / "ok.xml").write_bytes(inv(1, customer=Customer("URE180429TM6", HOSTILE_NAME, "06000")))
    (folder / "bad.xml").write_bytes(b"<html>no</html>")
    code, out, _err = arterm(sqlite_db.url, "import", str(folder))
    assert code == 1
    assert "Importación de CFDI" in out and "Facturas importadas" in out and "Rechazados" in out
    assert f"{folder / 'bad.xml'}: not a CFDI: root element is 'html', expected Comprobante" in out
    code, out, _err = arterm(sqlite_db.url, "import", str(folder / "ok.xml"))
    assert code == 0 and "Duplicados" in out and str(folder / "ok.xml") in out


def test_unstamped_files_need_the_flag(sqlite_db: Database, tmp_path: Path) -> None:
    data = inv(1)
    start = data.index(b"<tfd:TimbreFiscalDigital")
    unstamped = data[:start] + data[data.index(b"/>", start) + 2:]
    (tmp_path / "draft.xml").write_bytes(unstamped)
    code, out, _err = arterm(sqlite_db.url, "import", str(tmp_path / "draft.xml"), "--json")
    assert code == 1 and json.loads(out)["rejected"][0]["reason"].startswith("sin timbre")  # LANG=es_MX
    code, out, _err = arterm(sqlite_db.url, "import", str(tmp_path / "draft.xml"), "--json", "--allow-unstamped")
    assert code == 0 and json.loads(out)["imported"]["invoice"] == 1


def test_zip_archive_is_imported_without_extracting(any_db_url: str, tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    archive = tmp_path / "in" / "sat-descarga.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("emitidos/2024/a.xml", inv(1))
        zf.writestr("emitidos/2024/b.xml", inv(2))
        zf.writestr("emitidos/2024/a.pdf", b"%PDF")
        zf.writestr("emitidos/2024/p.xml", rep(3, 1, "250"))
    code, out, _err = arterm(any_db_url, "import", str(tmp_path / "in"), "--json")  # a folder holding the zip
    assert code == 0
    report = json.loads(out)
    assert report["imported"] == {"invoice": 2, "credit_note": 0, "payment": 1}
    assert sorted((tmp_path / "in").iterdir()) == [archive]  # nothing extracted


# ---------------------------------------------------------------------------------------- hostile input
LOL = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
       + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                  for i in range(1, 10))
       + b']>\n<cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/4" Version="4.0">&lol9;</cfdi:Comprobante>')
XXE = (b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
       b'<cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/4" Version="4.0">&x;</cfdi:Comprobante>')


def make_hostile(tmp_path: Path) -> dict[str, Path]:
    tmp_path.mkdir(parents=True)
    out = {}
    for name, data in (("laughs.xml", LOL), ("xxe.xml", XXE), ("truncated.xml", inv(1)[: len(inv(1)) // 2])):
        out[name] = tmp_path / name
        out[name].write_bytes(data)
    big = tmp_path / "huge.xml"
    with open(big, "wb") as fh:  # sparse: a real header, then a hole up to 100 MB
        fh.write(inv(1)[:300])
        fh.truncate(100 * 1024 * 1024)
    out["huge.xml"] = big
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("facturas/bomb.xml", "w", force_zip64=True) as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(100):  # 100 MB of zeros compress to ~100 KB
                member.write(chunk)
        zf.writestr("facturas/ok.xml", inv(2))  # harmless: still imported
    out["bomb.zip"] = bomb
    traversal = tmp_path / "traversal.zip"
    with zipfile.ZipFile(traversal, "w") as zf:
        zf.writestr("facturas/ok.xml", inv(3))
        zf.writestr("../../../tmp/arterm-evil.xml", inv(4))
    out["traversal.zip"] = traversal
    out["overlap.zip"] = overlapping_zip(tmp_path / "overlap.zip")
    return out


def overlapping_zip(path: Path) -> Path:
    """Two central-directory entries pointing at the same compressed data (the "overlap" bomb)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.xml", inv(5) * 3)
        zf.writestr("b.xml", inv(6))
    data = bytearray(path.read_bytes())
    cd = data.rfind(b"PK\x01\x02")  # the last central directory entry (b.xml)
    struct.pack_into("<I", data, cd + 42, 0)  # its local header offset → a.xml's
    path.write_bytes(bytes(data))
    return path


def test_hostile_files_are_rejected_by_arterm_import_and_write_nothing(any_db_url: str, tmp_path: Path) -> None:
    hostile = make_hostile(tmp_path / "in")
    before = data_counts(any_db_url)
    code, out, _err = arterm(any_db_url, "import", *(str(p) for p in hostile.values()), "--json")
    assert code == 1
    report = json.loads(out)
    reasons = {Path(r["path"].split("!")[0]).name + ("!" + r["path"].split("!")[1] if "!" in r["path"] else ""):
               r["reason"] for r in report["rejected"]}
    assert reasons["laughs.xml"] == "entity declarations are not allowed (<!ENTITY in a DTD)"
    assert reasons["xxe.xml"] == "entity declarations are not allowed (<!ENTITY in a DTD)"
    assert reasons["truncated.xml"].startswith("not well-formed XML: ")
    assert reasons["huge.xml"] == f"file is too large: {100 * 1024 * 1024} bytes (limit {2 * 1024 * 1024})"
    # A hostile member is refused alone; the harmless member next to it is still imported.
    assert reasons["bomb.zip!facturas/bomb.xml"].startswith("member 'facturas/bomb.xml' expands")
    assert reasons["traversal.zip!../../../tmp/arterm-evil.xml"] == (
        "member '../../../tmp/arterm-evil.xml' has an unsafe path (path traversal): not read")
    # Overlapping members are a fault of the archive itself: refused whole, reported once.
    assert reasons["overlap.zip"] == "archive rejected: members overlap (zip bomb)"
    assert len(report["rejected"]) == 7
    assert report["imported"] == {"invoice": 2, "credit_note": 0, "payment": 0}
    after = data_counts(any_db_url)
    assert after["document"] == before["document"] + 2  # facturas/ok.xml of bomb.zip and of traversal.zip
    db = Database(any_db_url)
    try:
        with db.read() as s:
            uuids = sorted(s.exec_driver_sql("SELECT cfdi_uuid FROM document").scalars().all())
        assert integrity(db) == []
    finally:
        db.dispose()
    assert uuids == [U(2).lower(), U(3).lower()]
    assert not Path("/tmp/arterm-evil.xml").exists()


def test_hostile_files_use_a_few_mb_of_memory(sqlite_db: Database, tmp_path: Path) -> None:
    hostile = make_hostile(tmp_path / "in")
    import_paths(sqlite_db, [], settings=Settings(), actor="tester")  # warm up: imports, first transaction
    tracemalloc.start()
    try:
        report = import_paths(sqlite_db, [str(p) for p in hostile.values()], settings=Settings(), actor="tester")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(report.rejected) == 7 and report.total_imported == 2
    assert peak < 4 * 1024 * 1024, peak


def test_one_bad_member_of_a_zip_is_refused_alone_and_once(any_db_url: str, tmp_path: Path) -> None:
    """QA: one malformed or hostile member used to refuse the whole archive, with the same reason
    repeated for every member. Now the good members are imported and each bad one is reported once,
    with its own reason."""
    archive = tmp_path / "descarga.zip"
    padded = inv(7).replace(b"?>", b"?>" + b" " * (2 * 1024 * 1024), 1)  # XML a zip bomb by ratio
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("emitidos/a.xml", inv(1))
        zf.writestr("emitidos/laughs.xml", LOL)
        zf.writestr("emitidos/broken.xml", inv(5)[:250])
        zf.writestr("emitidos/padded.xml", padded)
        zf.writestr("../../../tmp/arterm-evil.xml", inv(6))
        zf.writestr("emitidos/nested.zip", b"PK\x05\x06" + b"\0" * 18)
        zf.writestr("emitidos/b.xml", inv(2))
        zf.writestr("emitidos/p.xml", rep(3, 1, "250"))
    code, out, _err = arterm(any_db_url, "import", str(archive), "--json")
    assert code == 1
    report = json.loads(out)
    assert report["imported"] == {"invoice": 2, "credit_note": 0, "payment": 1}
    rejected = {r["path"].removeprefix(f"{archive}!"): r["reason"] for r in report["rejected"]}
    assert len(rejected) == len(report["rejected"]) == 5  # one line per bad member, none for the good ones
    assert rejected["emitidos/laughs.xml"] == "entity declarations are not allowed (<!ENTITY in a DTD)"
    assert rejected["emitidos/broken.xml"].startswith("not well-formed XML: ")
    assert rejected["emitidos/padded.xml"].startswith("member 'emitidos/padded.xml' expands ")
    assert rejected["emitidos/padded.xml"].endswith("x (zip bomb): not read")
    assert rejected["../../../tmp/arterm-evil.xml"] == (
        "member '../../../tmp/arterm-evil.xml' has an unsafe path (path traversal): not read")
    assert rejected["emitidos/nested.zip"] == "nested archive not opened: extract it first"
    db = Database(any_db_url)
    try:
        with db.read() as s:
            uuids = sorted(s.exec_driver_sql("SELECT cfdi_uuid FROM document").scalars().all())
            reps = s.exec_driver_sql("SELECT rep_uuid FROM payment").scalars().all()
        assert integrity(db) == []
    finally:
        db.dispose()
    assert uuids == [U(1).lower(), U(2).lower()] and reps == [U(3).lower()]
    assert not Path("/tmp/arterm-evil.xml").exists()


def test_a_fault_of_the_whole_archive_is_reported_once(sqlite_db: Database, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Limits about the archive as a whole refuse it whole, in one line under the archive's path."""
    from arterm.cfdi import sources

    big = tmp_path / "big.zip"
    with zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as zf:
        for n in range(1, 4):
            zf.writestr(f"{n}.xml", inv(n))
    overlap = overlapping_zip(tmp_path / "overlap.zip")
    garbage = tmp_path / "garbage.zip"
    garbage.write_bytes(b"PK\x03\x04 not really a zip")
    before = counts(sqlite_db)
    report = import_paths(sqlite_db, [str(overlap), str(garbage)], settings=Settings(), actor="tester")
    with monkeypatch.context() as m:
        m.setattr(sources, "MAX_ARCHIVE_BYTES", 2 * len(inv(1)))
        report_big = import_paths(sqlite_db, [str(big)], settings=Settings(), actor="tester")
    assert report.total_imported == report_big.total_imported == 0
    assert [p for p, _r in report.rejected] == [str(garbage), str(overlap)]
    assert [p for p, _r in report_big.rejected] == [str(big)]
    reasons = dict(report.rejected + report_big.rejected)
    assert reasons[str(big)] == f"archive rejected: {sum(len(inv(n)) for n in range(1, 4))} bytes uncompressed " \
                                f"(limit {2 * len(inv(1))})"
    assert reasons[str(overlap)] == "archive rejected: members overlap (zip bomb)"
    assert reasons[str(garbage)].startswith("not a readable zip archive: ")
    assert {k: v for k, v in counts(sqlite_db).items() if k != "operator"} == {
        k: v for k, v in before.items() if k != "operator"}


def test_a_member_lying_about_its_size_is_stopped_at_the_limit(sqlite_db: Database, tmp_path: Path) -> None:
    """The header says 1 KiB, the data inflates to 5 MB: zipfile stops at the declared size (and the
    CRC check fails), so no more than the limit is ever inflated."""
    archive = tmp_path / "liar.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("liar.xml", inv(1) + b"<!--" + b"x" * (5 * 1024 * 1024) + b"-->")
    data = bytearray(archive.read_bytes())
    for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # uncompressed size in both headers
        at = data.find(sig)
        struct.pack_into("<I", data, at + offset, 1024)
    archive.write_bytes(bytes(data))
    report = import_paths(sqlite_db, [str(archive)], settings=Settings(), actor="tester")
    ((path, reason),) = report.rejected
    assert path.endswith("liar.zip!liar.xml")
    assert reason.startswith("archive rejected") or reason.startswith("cannot read archive member")


@pytest.mark.parametrize("name", ["nested.zip", "secret.xml"])
def test_nested_and_encrypted_members_are_refused(sqlite_db: Database, tmp_path: Path, name: str) -> None:
    archive = tmp_path / "outer.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(name, inv(1) if name.endswith(".xml") else b"PK\x05\x06" + b"\0" * 18)
    if name == "secret.xml":  # mark it encrypted (zipfile cannot write encrypted members)
        data = bytearray(archive.read_bytes())
        for sig, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            data[data.find(sig) + offset] |= 0x1
        archive.write_bytes(bytes(data))
    report = import_paths(sqlite_db, [str(archive)], settings=Settings(), actor="tester")
    ((_path, reason),) = report.rejected
    assert reason == ("nested archive not opened: extract it first" if name == "nested.zip"
                      else "encrypted archive member")


# ------------------------------------------------------------------------- untrusted text, currency
def test_bidi_overrides_in_a_receptor_name_are_dropped_at_import(any_db_url: str, tmp_path: Path) -> None:
    """QA: a Receptor Nombre with &#x202e; (RIGHT-TO-LEFT OVERRIDE) was stored and printed raw."""
    name = "ZETA \u202e LTR\u2066X\u2069 \u200fSA"
    path = tmp_path / "rlo.xml"
    path.write_bytes(inv(1, customer=Customer("KIJ0906199R1", name, "59820", "601", "G03")))
    assert b"&#x202e;" in path.read_bytes().lower() or "\u202e".encode() in path.read_bytes()
    code, _out, err = arterm(any_db_url, "import", "--json", str(path))
    assert code == 0, err
    db = Database(any_db_url)
    try:
        with db.read() as s:
            stored = s.exec_driver_sql("SELECT name FROM customer").scalar_one()
    finally:
        db.dispose()
    assert stored == "ZETA  LTRX SA"
    for args in (["show", "KIJ0906199R1"], ["customers"], ["aging", "--format", "csv"], ["statement", "KIJ0906199R1"]):
        code, out, err = arterm(any_db_url, *args)
        assert code == 0, (args, err)
        assert not any(ch in out for ch in "\u202e\u2066\u2069\u200f"), args


@pytest.mark.parametrize(("currency", "attr"), [("MNX", "Moneda"), ("XYZ", "Moneda")])
def test_an_invoice_in_a_currency_outside_c_moneda_is_rejected(any_db_url: str, tmp_path: Path, currency: str,
                                                              attr: str) -> None:
    path = tmp_path / "bad.xml"
    path.write_bytes(inv(1, currency=currency, exchange_rate=D(17)))
    ok = tmp_path / "ok.xml"
    ok.write_bytes(inv(2, currency="USD", exchange_rate=D(17)))
    code, out, _err = arterm(any_db_url, "import", "--json", str(path), str(ok))
    assert code == 1
    report = json.loads(out)
    assert report["imported"]["invoice"] == 1  # the good file of the batch still goes in
    rejected = json.dumps(report["rejected"], ensure_ascii=False)
    assert f"{attr} {currency} no está en el catálogo c_Moneda del SAT" in rejected, rejected
    db = Database(any_db_url)
    try:
        with db.read() as s:
            assert s.exec_driver_sql("SELECT currency FROM document").scalars().all() == ["USD"]
            assert s.exec_driver_sql("SELECT DISTINCT currency FROM customer_balance").scalars().all() == ["USD"]
    finally:
        db.dispose()
