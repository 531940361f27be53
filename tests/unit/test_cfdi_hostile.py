"""Hostile input for the CFDI parser: every case must raise CfdiError with a clear reason, fast,
without expanding entities, touching the network or the file system, or reading huge files."""

from __future__ import annotations

import http.server
import os
import stat
import threading
import time
import tracemalloc
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arterm.cfdi import CfdiError, parse_cfdi, parse_cfdi_file
from arterm.cfdi import parser as cfdi_parser
from arterm.cfdi.generate import invoice_xml

DATA = Path(__file__).resolve().parents[1] / "data" / "cfdi"
VALID = invoice_xml(uuid="11111111-2222-3333-4444-555555555555")
ROOT_START = VALID.index(b"<cfdi:Comprobante")
PROLOG = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def reason(data: bytes, **kw: int) -> str:
    with pytest.raises(CfdiError) as info:
        parse_cfdi(data, **kw)
    return info.value.reason


def file_reason(path: Path | str, **kw: int) -> str:
    with pytest.raises(CfdiError) as info:
        parse_cfdi_file(path, **kw)
    return info.value.reason


def with_dtd(dtd: bytes, entity_ref: bytes = b"", *, in_text: bool = False) -> bytes:
    """The valid invoice with a DOCTYPE before the root and ``entity_ref`` used in an attribute
    (a Concepto description) or, with ``in_text``, as text content of the Emisor."""
    body = VALID[ROOT_START:]
    if entity_ref and in_text:
        start = body.index(b"<cfdi:Emisor ")
        end = body.index(b"/>", start)
        body = body[:end] + b">" + entity_ref + b"</cfdi:Emisor>" + body[end + 2 :]
    elif entity_ref:
        body = body.replace(b'Descripcion="SERVICIOS DE CONSULTORIA"', b'Descripcion="X' + entity_ref + b'"', 1)
    return PROLOG + dtd + b"\n" + body


def lol_dtd(levels: int = 9) -> bytes:
    return (
        b'<!DOCTYPE cfdi:Comprobante [\n <!ENTITY lol "lol">\n'
        + b"".join(
            b' <!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
            for i in range(1, levels + 1)
        )
        + b"]>"
    )


BILLION_LAUGHS = with_dtd(lol_dtd(), b"&lol9;")
BILLION_LAUGHS_TEXT = with_dtd(lol_dtd(), b"&lol9;", in_text=True)
DTD_REJECTED = "a DTD (<!DOCTYPE) is not allowed in a CFDI"


def lxml_layer_rejected(got: str) -> bool:
    """Without the byte scan, lxml itself refuses (entities in attributes are a hard error there,
    amplification is capped) or the tree's DOCTYPE is found; either way nothing was expanded."""
    return got == DTD_REJECTED or got.startswith("not well-formed XML: ")


@pytest.fixture
def no_prescan(monkeypatch: pytest.MonkeyPatch) -> None:
    """Switch off the byte-level scan to prove the lxml layer holds on its own."""
    monkeypatch.setattr(cfdi_parser, "_precheck", lambda data: None)


# --------------------------------------------------------------------------------------------
# DTDs and entities
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [BILLION_LAUGHS, BILLION_LAUGHS_TEXT], ids=["in-attribute", "in-text"])
def test_billion_laughs_is_rejected_fast(data: bytes) -> None:
    start = time.perf_counter()
    assert reason(data) == "entity declarations are not allowed (<!ENTITY in a DTD)"
    assert time.perf_counter() - start < 1


@pytest.mark.parametrize("data", [BILLION_LAUGHS, BILLION_LAUGHS_TEXT], ids=["in-attribute", "in-text"])
def test_billion_laughs_without_the_byte_scan_is_not_expanded(no_prescan: None, data: bytes) -> None:
    tracemalloc.start()
    start = time.perf_counter()
    try:
        got = reason(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert lxml_layer_rejected(got), got
    assert "lollollol" not in got
    assert time.perf_counter() - start < 1
    assert peak < 5 * 1024 * 1024  # 10**9 "lol"s were never built


def test_internal_entity_in_text_reaches_the_doctype_check(no_prescan: None) -> None:
    # resolve_entities=False leaves text entities unexpanded; the tree still has its DOCTYPE.
    assert reason(with_dtd(b'<!DOCTYPE r [<!ENTITY e "expanded">]>', b"&e;", in_text=True)) == DTD_REJECTED


@pytest.mark.parametrize("in_text", [False, True], ids=["in-attribute", "in-text"])
def test_xxe_file_entity_is_rejected(in_text: bool) -> None:
    data = with_dtd(b'<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', b"&xxe;", in_text=in_text)
    got = reason(data)
    assert got == "entity declarations are not allowed (<!ENTITY in a DTD)"
    assert "root:" not in got


@pytest.mark.parametrize("in_text", [False, True], ids=["in-attribute", "in-text"])
def test_xxe_file_entity_without_the_byte_scan_never_reads_the_file(
    no_prescan: None, tmp_path: Path, in_text: bool
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    data = with_dtd(b'<!DOCTYPE r [<!ENTITY xxe SYSTEM "%s">]>' % secret.as_uri().encode(), b"&xxe;", in_text=in_text)
    got = reason(data)
    assert "TOP-SECRET" not in got
    assert lxml_layer_rejected(got), got
    if in_text:
        assert got == DTD_REJECTED


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        type(self).hits.append(self.path)
        body = b'<!ENTITY leak "LEAKED">'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[str]:
    _Recorder.hits = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.mark.parametrize("in_text", [False, True], ids=["in-attribute", "in-text"])
@pytest.mark.parametrize("prescan", [True, False], ids=["with-byte-scan", "lxml-only"])
def test_xxe_http_entity_never_touches_the_network(
    http_server: str, prescan: bool, in_text: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not prescan:
        monkeypatch.setattr(cfdi_parser, "_precheck", lambda data: None)
    data = with_dtd(b'<!DOCTYPE r [<!ENTITY xxe SYSTEM "%s/xxe">]>' % http_server.encode(), b"&xxe;", in_text=in_text)
    got = reason(data)
    if prescan:
        assert got == "entity declarations are not allowed (<!ENTITY in a DTD)"
    else:
        assert lxml_layer_rejected(got), got
    assert "LEAKED" not in got
    assert _Recorder.hits == []


@pytest.mark.parametrize("prescan", [True, False], ids=["with-byte-scan", "lxml-only"])
def test_parameter_entities_are_rejected_without_fetching(
    http_server: str, prescan: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not prescan:
        monkeypatch.setattr(cfdi_parser, "_precheck", lambda data: None)
    data = with_dtd(
        b'<!DOCTYPE r [<!ENTITY %% remote SYSTEM "%s/evil.dtd"> %%remote; '
        b'<!ENTITY %% inner "<!ENTITY local \'x\'>"> %%inner;]>' % http_server.encode(),
        b"&leak;",
    )
    got = reason(data)
    if prescan:
        assert got == "entity declarations are not allowed (<!ENTITY in a DTD)"
    else:
        assert lxml_layer_rejected(got), got
    assert "LEAKED" not in got
    assert _Recorder.hits == []


def test_external_dtd_is_rejected(http_server: str) -> None:
    data = with_dtd(b'<!DOCTYPE cfdi:Comprobante SYSTEM "%s/cfdv40.dtd">' % http_server.encode())
    assert reason(data) == DTD_REJECTED
    assert _Recorder.hits == []


def test_harmless_looking_doctype_is_rejected_too() -> None:
    assert reason(with_dtd(b"<!DOCTYPE cfdi:Comprobante>")) == "a DTD (<!DOCTYPE) is not allowed in a CFDI"


def test_undeclared_entity_reference_is_malformed() -> None:
    got = reason(VALID.replace(b'Descripcion="SERVICIOS', b'Descripcion="&nbsp;SERVICIOS', 1))
    assert got.startswith("not well-formed XML:") and "nbsp" in got


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("utf-16", "not UTF-8: CFDI files must be UTF-8 (UTF-16/UTF-32 found)"),
        ("utf-16-le", "not UTF-8: CFDI files must be UTF-8 (UTF-16/UTF-32 found)"),
        ("utf-32", "not UTF-8: CFDI files must be UTF-8 (UTF-16/UTF-32 found)"),
    ],
)
def test_wide_encodings_cannot_hide_a_dtd_from_the_byte_scan(encoding: str, expected: str) -> None:
    text = BILLION_LAUGHS.decode("utf-8").replace('encoding="UTF-8"', f'encoding="{encoding}"')
    assert reason(text.encode(encoding)) == expected


@pytest.mark.parametrize("encoding", ["UTF-7", "EBCDIC-US", "cp037", "UTF-16"])
def test_non_ascii_compatible_declared_encodings_are_refused(encoding: str) -> None:
    data = VALID.replace(b'encoding="UTF-8"', b'encoding="%s"' % encoding.encode(), 1)
    assert reason(data) == f"unsupported encoding {encoding.lower()!r}: CFDI files must be UTF-8"


def test_latin1_declaration_and_utf8_bom_are_accepted() -> None:
    assert parse_cfdi(b"\xef\xbb\xbf" + VALID).uuid == "11111111-2222-3333-4444-555555555555"
    latin1 = VALID.decode("utf-8").replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').encode("latin-1")
    assert parse_cfdi(latin1).receptor.name == "KIJ, S.A DE C.V."


# --------------------------------------------------------------------------------------------
# Size limits
# --------------------------------------------------------------------------------------------


def test_100_mb_file_is_rejected_by_size_without_reading_it(tmp_path: Path) -> None:
    big = tmp_path / "huge.xml"
    with open(big, "wb") as fh:  # sparse: a real header, then a hole up to 100 MB
        fh.write(VALID[:ROOT_START])
        fh.truncate(100 * 1024 * 1024)
    assert big.stat().st_size == 100 * 1024 * 1024
    tracemalloc.start()
    try:
        got = file_reason(big)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert got == f"file is too large: {100 * 1024 * 1024} bytes (limit {2 * 1024 * 1024})"
    assert peak < 256 * 1024  # nothing close to the 2 MB limit, let alone 100 MB, was allocated


def test_streamed_100_mb_file_is_rejected_by_size(tmp_path: Path) -> None:
    big = tmp_path / "streamed.xml"
    chunk = b"<cfdi:Concepto/>" * 4096  # 64 KiB
    with open(big, "wb") as fh:
        fh.write(VALID[:ROOT_START])
        for _ in range(100 * 16):
            fh.write(chunk)
    tracemalloc.start()
    try:
        got = file_reason(big)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert got.startswith("file is too large:") and "(limit 2097152)" in got
    assert peak < 256 * 1024


def test_size_limit_is_exact(tmp_path: Path) -> None:
    path = tmp_path / "ok.xml"
    path.write_bytes(VALID)
    assert parse_cfdi_file(path, max_bytes=len(VALID)).uuid is not None
    assert parse_cfdi(VALID, max_bytes=len(VALID)).uuid is not None
    assert file_reason(path, max_bytes=len(VALID) - 1) == f"file is too large: {len(VALID)} bytes (limit {len(VALID) - 1})"
    assert reason(VALID, max_bytes=100) == f"file is too large: {len(VALID)} bytes (limit 100)"


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs Linux /proc")
def test_file_larger_than_its_stat_size_is_read_only_up_to_the_limit() -> None:
    # /proc files report st_size 0 but have content: the read must still stop at max_bytes + 1.
    assert file_reason("/proc/self/maps", max_bytes=100) == "file is too large: 101 bytes (limit 100)"


# --------------------------------------------------------------------------------------------
# Broken, empty, non-XML, wrong documents
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cut", [0.5, 0.9, 0.99])
def test_truncated_file_is_rejected(tmp_path: Path, cut: float) -> None:
    path = tmp_path / "truncated.xml"
    path.write_bytes(VALID[: int(len(VALID) * cut)])
    got = file_reason(path)
    assert got.startswith("not well-formed XML: ")


def test_truncated_real_sample_is_rejected() -> None:
    data = (DATA / "cfdi40-valid.xml").read_bytes()
    got = reason(data[: len(data) // 2])
    assert got.startswith("not well-formed XML: ")


def test_trailing_garbage_is_rejected() -> None:
    assert reason(VALID + b"<extra/>").startswith("not well-formed XML: ")


def test_empty_and_blank_files_are_rejected(tmp_path: Path) -> None:
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"")
    assert file_reason(empty) == "empty file"
    assert reason(b"") == "empty file"
    assert reason(b" \n\t\r\n") == "empty file"


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n",
        b'{"uuid": "11111111-2222-3333-4444-555555555555", "total": 1160}',
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00",  # a zip
        b"UUID,Total\n1111,1160.00\n",
        b"\xef\xbb\xbf",
        b"<html><body><p>Factura<br></body></html>",
    ],
    ids=["pdf", "json", "zip", "csv", "bom-only", "html"],
)
def test_non_xml_is_rejected(data: bytes) -> None:
    got = reason(data)
    assert got.startswith("not well-formed XML: ") or got.startswith("not a CFDI")


def test_wrong_root_is_rejected() -> None:
    assert reason(PROLOG + b"<factura><total>1160</total></factura>") == (
        "not a CFDI: root element is 'factura', expected Comprobante"
    )
    html = reason(b"<html><body>hola</body></html>")
    assert html == "not a CFDI: root element is 'html', expected Comprobante"
    retenciones = b'<retenciones:Retenciones xmlns:retenciones="http://www.sat.gob.mx/esquemas/retencionpago/2" Version="2.0"/>'
    assert reason(retenciones) == "not a CFDI: root element is 'Retenciones', expected Comprobante"


@pytest.mark.parametrize(
    "namespace",
    [b"http://www.sat.gob.mx/cfd/2", b"http://www.sat.gob.mx/cfd/5", b"http://example.com/cfd/4", b""],
)
def test_wrong_namespace_is_rejected(namespace: bytes) -> None:
    data = VALID.replace(b'xmlns:cfdi="http://www.sat.gob.mx/cfd/4"', b'xmlns:cfdi="' + namespace + b'"', 1)
    if not namespace:  # an empty prefixed namespace is itself malformed XML
        assert reason(data).startswith("not well-formed XML: ")
        return
    assert reason(data) == (
        f"not a CFDI: Comprobante in namespace {namespace.decode()!r}, expected http://www.sat.gob.mx/cfd/4 or /cfd/3"
    )


def test_unprefixed_comprobante_without_namespace_is_rejected() -> None:
    got = reason(b'<Comprobante Version="4.0" Total="1"/>')
    assert got == "not a CFDI: Comprobante in namespace '(none)', expected http://www.sat.gob.mx/cfd/4 or /cfd/3"


def test_not_recovered_when_a_tag_is_left_open() -> None:
    broken = VALID.replace(b"</cfdi:Conceptos>", b"", 1)
    assert reason(broken).startswith("not well-formed XML: ")


def test_missing_directory_fifo_and_device_are_rejected(tmp_path: Path) -> None:
    assert file_reason(tmp_path / "nope.xml") == "cannot read file: No such file or directory"
    assert file_reason(tmp_path) == "not a regular file"
    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "pipe.xml"
        os.mkfifo(fifo)
        assert stat.S_ISFIFO(fifo.stat().st_mode)
        assert file_reason(fifo) == "not a regular file"  # and open() never blocked
    if Path("/dev/zero").exists():
        assert file_reason("/dev/zero") == "not a regular file"


def test_non_bytes_input_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        parse_cfdi(VALID.decode("utf-8"))  # type: ignore[arg-type]
    assert parse_cfdi(bytearray(VALID)).uuid == parse_cfdi(memoryview(VALID)).uuid


def test_deep_nesting_is_rejected_quickly() -> None:
    depth = 20_000
    data = VALID.replace(b"</cfdi:Complemento>", b"<x>" * depth + b"</x>" * depth + b"</cfdi:Complemento>", 1)
    start = time.perf_counter()
    got = reason(data)
    assert time.perf_counter() - start < 2
    assert got.startswith("not well-formed XML: ") and "depth" in got.lower()


def test_absurd_equivalencia_is_a_warning_not_a_crash() -> None:
    from decimal import Decimal as D

    from arterm.cfdi.generate import PaidDocument, Payment, payment_xml

    big = D("999999999999999999")
    rep = payment_xml([Payment(datetime(2024, 1, 1), [PaidDocument("AAAAAAAA-0000-4000-8000-000000000001", big, big)])])
    c = parse_cfdi(rep.replace(b'EquivalenciaDR="1"', b'EquivalenciaDR="0.0000000001"', 1))
    assert c.warnings == ("sum of ImpPagado in MXN cannot be compared with Monto 999999999999999999.00",)


# --------------------------------------------------------------------------------------------
# Fuzzing: whatever the bytes, the only possible failure is CfdiError
# --------------------------------------------------------------------------------------------

REP_SAMPLE = (DATA / "001.xml").read_bytes()
TOKENS = [
    b"<", b">", b"&", b'"', b"'", b"-", b"\x00", b"\xff", b"\xef\xbb\xbf", b"<!DOCTYPE x>", b"<!ENTITY",
    b"]]>", b"<![CDATA[", b"1e9", b"-1", b"NaN", b"0.0000001", b"&amp;", b"&#0;", b"&#x110000;",
    b'="', b"/>", b"</", b"<cfdi:Pago/>", b"\n", b" ", b"", b"9" * 40,
]  # fmt: skip


def _only_cfdi_error(data: bytes) -> None:
    try:
        result = parse_cfdi(data)
    except CfdiError as exc:
        assert exc.reason and isinstance(exc.reason, str)
    else:
        assert result.version in ("3.3", "4.0")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_random_bytes_only_raise_cfdi_error(data: bytes) -> None:
    _only_cfdi_error(data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([VALID, REP_SAMPLE]),
    st.lists(
        st.tuples(st.floats(0, 1), st.integers(0, 12), st.one_of(st.sampled_from(TOKENS), st.binary(max_size=8))),
        min_size=1,
        max_size=4,
    ),
)
def test_mutated_documents_only_raise_cfdi_error(base: bytes, edits: list[tuple[float, int, bytes]]) -> None:
    data = base
    for where, cut, insert in edits:
        pos = int(where * len(data))
        data = data[:pos] + insert + data[pos + cut :]
    _only_cfdi_error(data)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([b"Total", b"SubTotal", b"Descuento", b"TipoCambio", b"Monto", b"ImpPagado", b"ImpSaldoAnt",
                     b"EquivalenciaDR", b"NumParcialidad", b"Fecha", b"FechaPago", b"IdDocumento", b"UUID",
                     b"Cantidad", b"Importe", b"TasaOCuota", b"MonedaP", b"Version", b"TipoDeComprobante"]),
    st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters='"&<\x00'), max_size=40),
)  # fmt: skip
def test_any_attribute_value_only_raises_cfdi_error(attr: bytes, value: str) -> None:
    import re

    pattern = re.compile(rb'(\s' + attr + rb'=")[^"]*(")')
    for base in (VALID, REP_SAMPLE):
        data = pattern.sub(lambda m: m.group(1) + value.encode("utf-8") + m.group(2), base, count=1)
        _only_cfdi_error(data)


# --------------------------------------------------------------------------------------------
# Where files come from (cfdi/sources.py): folders and zip archives, read safely
# --------------------------------------------------------------------------------------------

import struct  # noqa: E402
import zipfile  # noqa: E402

from arterm.cfdi.sources import Reader, collect, unsafe_member_name  # noqa: E402


@pytest.mark.parametrize(
    ("name", "unsafe"),
    [("a.xml", False), ("dir/sub/a.xml", False), ("..a.xml", False), ("a..xml", False), ("../a.xml", True),
     ("dir/../../a.xml", True), ("/etc/a.xml", True), ("\\\\server\\a.xml", True), ("C:\\a.xml", True),
     ("c:a.xml", True), ("dir\\..\\..\\a.xml", True), ("", True), ("a\x00.xml", True)],
)
def test_unsafe_member_names(name: str, unsafe: bool) -> None:
    assert unsafe_member_name(name) is unsafe


def test_folders_are_walked_sorted_reading_only_xml_and_zip(tmp_path: Path) -> None:
    (tmp_path / "b" / "c").mkdir(parents=True)
    (tmp_path / "b" / "c" / "z.XML").write_bytes(VALID)
    (tmp_path / "b" / "a.xml").write_bytes(VALID)
    (tmp_path / "b" / "a.pdf").write_bytes(b"%PDF")
    (tmp_path / "notes.txt").write_text("hola")
    with zipfile.ZipFile(tmp_path / "d.zip", "w") as zf:
        zf.writestr("x.xml", VALID)
        zf.writestr("x.pdf", b"%PDF")
        zf.writestr("dir/", b"")
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (outside / "elsewhere.xml").write_bytes(VALID)
    (tmp_path / "link").symlink_to(outside, target_is_directory=True)  # not followed
    items = collect([tmp_path])
    assert [i.path for i in items] == [str(tmp_path / "b" / "a.xml"), str(tmp_path / "b" / "c" / "z.XML"),
                                       f"{tmp_path / 'd.zip'}!x.xml"]
    with Reader(2 * 1024 * 1024) as reader:
        assert reader.read(items[0]) is None  # a file on disk: the parser reads it (size-checked)
        assert reader.read(items[2]) == VALID


def test_a_named_file_is_read_whatever_its_extension(tmp_path: Path) -> None:
    (tmp_path / "factura.txt").write_bytes(VALID)
    (items,) = [collect([tmp_path / "factura.txt"])]
    assert [i.path for i in items] == [str(tmp_path / "factura.txt")] and items[0].error is None


def test_not_a_zip_is_refused(tmp_path: Path) -> None:
    (tmp_path / "fake.zip").write_bytes(VALID)
    (item,) = collect([tmp_path / "fake.zip"])
    assert item.error is not None and item.error.startswith("not a readable zip archive")


def test_zip_members_over_the_limit_are_refused_by_their_declared_size(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "big.zip", "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("big.xml", VALID + b" " * 5000)
    (item,) = collect([tmp_path / "big.zip"])
    tracemalloc.start()
    try:
        with Reader(1000) as reader, pytest.raises(CfdiError) as info:
            reader.read(item)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.reason == f"file is too large: {len(VALID) + 5000} bytes (limit 1000)"
    assert peak < 64 * 1024


def test_a_corrupted_member_is_rejected_by_its_crc(tmp_path: Path) -> None:
    path = tmp_path / "crc.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("a.xml", VALID)
    data = bytearray(path.read_bytes())
    at = data.find(b"Conceptos")
    data[at] = ord("X")
    path.write_bytes(bytes(data))
    (item,) = collect([path])
    with Reader(2 * 1024 * 1024) as reader, pytest.raises(CfdiError) as info:
        reader.read(item)
    assert info.value.reason.startswith("cannot read archive member: Bad CRC-32")


def test_too_many_members_or_too_many_bytes_reject_the_archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from arterm.cfdi import sources

    with zipfile.ZipFile(tmp_path / "many.zip", "w") as zf:
        for i in range(5):
            zf.writestr(f"{i}.xml", VALID)
    monkeypatch.setattr(sources, "MAX_MEMBERS", 4)
    # A fault of the archive as a whole: one item (the archive itself), not one per member.
    (item,) = collect([tmp_path / "many.zip"])
    assert (item.path, item.member, item.error) == (str(tmp_path / "many.zip"), None,
                                                    "archive rejected: 5 members (limit 4)")
    monkeypatch.setattr(sources, "MAX_MEMBERS", 100)
    monkeypatch.setattr(sources, "MAX_ARCHIVE_BYTES", len(VALID) * 4)
    (item,) = collect([tmp_path / "many.zip"])
    assert item.path == str(tmp_path / "many.zip") and item.error == (
        f"archive rejected: {len(VALID) * 5} bytes uncompressed (limit {len(VALID) * 4})")


def test_overlapping_members_are_a_zip_bomb(tmp_path: Path) -> None:
    path = tmp_path / "overlap.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.xml", VALID * 4)
        zf.writestr("b.xml", VALID)
    data = bytearray(path.read_bytes())
    struct.pack_into("<I", data, data.rfind(b"PK\x01\x02") + 42, 0)  # b.xml's data is a.xml's
    path.write_bytes(bytes(data))
    assert [(i.path, i.error) for i in collect([path])] == [(str(path), "archive rejected: members overlap (zip bomb)")]


def test_a_hostile_member_is_refused_alone_and_never_inflated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Path traversal and zip-bomb ratios are faults of one member: only that member is refused (by
    its name and declared sizes, nothing read), even one that would otherwise be skipped (a .pdf)."""
    path = tmp_path / "mixed.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("ok/a.xml", VALID)
        zf.writestr("../evil.xml", VALID)
        zf.writestr("bomb.xml", b"<a>" + b"\0" * (1024 * 1024) + b"</a>")
        zf.writestr("bomb.pdf", b"\0" * (1024 * 1024))
        zf.writestr("ok/b.xml", VALID)
    opened: list[object] = []

    def never(self: zipfile.ZipFile, member: object, *args: object, **kw: object) -> None:
        opened.append(member)
        raise AssertionError("a refused member was read")

    monkeypatch.setattr(zipfile.ZipFile, "open", never)
    items = collect([path])
    by_name = {i.path.removeprefix(f"{path}!"): i.error for i in items}
    assert list(by_name) == ["ok/a.xml", "../evil.xml", "bomb.xml", "bomb.pdf", "ok/b.xml"]
    assert by_name["ok/a.xml"] is None and by_name["ok/b.xml"] is None
    assert by_name["../evil.xml"] == "member '../evil.xml' has an unsafe path (path traversal): not read"
    assert by_name["bomb.xml"] is not None and by_name["bomb.xml"].startswith("member 'bomb.xml' expands ")
    assert by_name["bomb.pdf"] is not None and by_name["bomb.pdf"].endswith("x (zip bomb): not read")
    with Reader(2 * 1024 * 1024) as reader:
        for item in items:
            if item.error is not None:
                with pytest.raises(CfdiError) as info:
                    reader.read(item)
                assert info.value.reason == item.error
    assert opened == []
