"""Statement rendering: golden files (text + HTML, es + en), escaping, template override, subject.

Golden files live in tests/data/golden/. After an intended change to the templates or labels run

    ARTERM_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/unit/test_mail_render.py

and review the diff of tests/data/golden/ (and the HTML in a browser) before committing.
"""

from __future__ import annotations

import dataclasses
import email.utils
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import jinja2
import pytest

from arterm.mail import (
    AgingBucket,
    CurrencySection,
    Movement,
    Statement,
    build_message,
    build_subject,
    envelope_recipients,
    render_statement,
    sample_statement,
)
from arterm.mail.render import LABELS, bucket_label, format_amount, format_date

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "data" / "golden"
UPDATE_GOLDEN = os.environ.get("ARTERM_UPDATE_GOLDEN") == "1"

HOSTILE = "<script>alert(1)</script> & [bold]Co[/]"
HOSTILE_HTML = "&lt;script&gt;alert(1)&lt;/script&gt; &amp; [bold]Co[/]"


def hostile_statement(language: str = "es") -> Statement:
    """The sample statement with customer-provided text that tries to inject markup everywhere."""
    base = sample_statement(language)  # type: ignore[arg-type]
    customer = dataclasses.replace(
        base.customer,
        name=HOSTILE,
        identifier='C-"42"',
        address_lines=("<b>Calle</b> 'Uno' & Dos", "<img src=x onerror=alert(2)>"),
    )
    mxn = base.sections[0]
    first = dataclasses.replace(mxn.movements[0], description="<a href='http://evil.example'>pague aquí</a>")
    mxn = dataclasses.replace(mxn, movements=(first, *mxn.movements[1:]))
    return dataclasses.replace(base, customer=customer, sections=(mxn, *base.sections[1:]))


# --------------------------------------------------------------------------- the fixed sample itself


@pytest.mark.parametrize("language", ["es", "en"])
def test_sample_statement_is_consistent(language: str) -> None:
    """The golden data must add up, or the goldens would enshrine nonsense."""
    st = sample_statement(language)  # type: ignore[arg-type]
    assert st.customer.language == language
    assert [s.currency for s in st.sections] == ["MXN", "USD"]
    for s in st.sections:
        balance = s.opening_cents
        for m in s.movements:
            balance += m.charge_cents - m.credit_cents
            assert m.balance_cents == balance, m
        assert s.closing_cents == balance
        open_total = sum(d.balance_cents for d in s.open_documents)
        assert s.aging_total_cents == open_total
        assert s.closing_cents == open_total - s.credit_cents
        for d in s.open_documents:
            assert d.days_overdue == (st.period_to - d.due_date).days
    overdue_buckets = {b.label_key for s in st.sections for b in s.aging if b.cents and b.is_overdue}
    assert overdue_buckets == {"1-30", "31-60", "61-90", "91-120", "120+"}
    assert any(s.credit_cents for s in st.sections)


# --------------------------------------------------------------------------- golden files


def _check_golden(name: str, actual: str) -> None:
    path = GOLDEN_DIR / name
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="\n")
        pytest.skip(f"rewrote {path}: review it before committing")
    if not path.exists():
        pytest.fail(f"{path} is missing; create it with ARTERM_UPDATE_GOLDEN=1 and review it")
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"{name} differs from its golden file; if intended, ARTERM_UPDATE_GOLDEN=1"


@pytest.mark.parametrize("language", ["es", "en"])
@pytest.mark.parametrize(("fmt", "ext"), [("text", "txt"), ("html", "html")])
def test_statement_matches_golden(language: str, fmt: str, ext: str) -> None:
    out = render_statement(sample_statement(language), fmt=fmt)  # type: ignore[arg-type]
    _check_golden(f"statement-{language}.{ext}", out)


# --------------------------------------------------------------------------- content


@pytest.mark.parametrize("language", ["es", "en"])
def test_text_fits_78_columns(language: str) -> None:
    out = render_statement(sample_statement(language), fmt="text")  # type: ignore[arg-type]
    too_long = [line for line in out.splitlines() if len(line) > 78]
    assert not too_long
    assert not [line for line in out.splitlines() if line != line.rstrip()], "trailing whitespace"


def test_spanish_text_content() -> None:
    out = render_statement(sample_statement("es"), fmt="text")
    for needle in [
        "ESTADO DE CUENTA",
        "RFC: EKU9003173C9",
        "Constructora Ñandú SA de CV",
        "KIJ0906199R1",
        "C-0042",
        "Periodo:        01/11/2026 al 30/11/2026",
        "Saldo inicial al 01/11/2026",
        "$85,000.00 MXN",
        "Saldo final al 30/11/2026",
        "$92,560.00 MXN",
        "$4,199.50 USD",
        "Nota de crédito NC-0107",
        "Vigente",
        "1-30 días",
        "Más de 120 días",
        "Saldo a favor",
        "$5,000.00 MXN",
        "CLABE 012225001234567897",
        "María García López",
        "maria.garcia@refaccionesbajio.mx",
    ]:
        assert needle in out, needle
    # running balance, days overdue and due date of an overdue document on one line
    assert any("10/07/2026" in line and " 143 " in line and "30,000.00" in line for line in out.splitlines())


def test_english_html_content() -> None:
    out = render_statement(sample_statement("en"), fmt="html")
    for needle in [
        '<html lang="en">',
        "Account statement".upper(),
        "2026-11-01 to 2026-11-30",
        "$92,560.00 MXN",
        "Over 120 days",
        "Unapplied credit",
        "How to pay".upper(),
        "Your collections contact is María García López.",
    ]:
        assert needle in out, needle
    assert "28/11/2026" not in out and "2026-11-28" in out


def test_html_is_self_contained_email_html() -> None:
    out = render_statement(sample_statement("es"), fmt="html")
    lowered = out.lower()
    assert "<script" not in lowered
    assert "<style" not in lowered  # inline CSS only
    assert "<link" not in lowered and "src=" not in lowered and "url(" not in lowered  # no external assets
    assert "max-width:680px" in out
    assert 'align="right"' in out
    assert "color:#b91c1c" in out  # overdue highlighted


@pytest.mark.parametrize("fmt", ["text", "html"])
def test_renders_without_operator_or_sections(fmt: str) -> None:
    st = dataclasses.replace(sample_statement("es"), operator=None)
    out = render_statement(st, fmt=fmt)  # type: ignore[arg-type]
    assert "Para cualquier aclaración comuníquese con nosotros." in out
    empty = dataclasses.replace(
        st,
        sections=(CurrencySection("EUR", 0, (), 0),),
        company=dataclasses.replace(st.company, payment_instructions="", phone="", email=""),
    )
    out = render_statement(empty, fmt=fmt)  # type: ignore[arg-type]
    assert "Sin movimientos en el periodo." in out
    assert "No hay documentos pendientes de pago." in out
    assert "€0.00 EUR" in out


def test_negative_balance_and_credit_applied() -> None:
    st = sample_statement("en")
    section = CurrencySection(
        "MXN",
        -100_000,
        (Movement(date(2026, 11, 2), "credit_applied", "A-1", "", 0, 0, -100_000),),
        -100_000,
        aging=(AgingBucket("current", 0),),
        credit_cents=100_000,
    )
    out = render_statement(dataclasses.replace(st, sections=(section,)), fmt="text")
    assert "-$1,000.00 MXN" in out
    assert "Credit applied A-1" in out


# --------------------------------------------------------------------------- formatting helpers


@pytest.mark.parametrize(
    ("cents", "currency", "expected"),
    [
        (1_234_567, "MXN", "$12,345.67 MXN"),
        (0, "MXN", "$0.00 MXN"),
        (5, "USD", "$0.05 USD"),
        (-1_234_567, "MXN", "-$12,345.67 MXN"),
        (123_456_789_012, "MXN", "$1,234,567,890.12 MXN"),
        (99, "EUR", "€0.99 EUR"),
        (1_234_567, None, "12,345.67"),
    ],
)
def test_format_amount(cents: int, currency: str | None, expected: str) -> None:
    assert format_amount(cents, currency) == expected


def test_format_date() -> None:
    assert format_date(date(2026, 11, 28), "es") == "28/11/2026"
    assert format_date(date(2026, 11, 28), "en") == "2026-11-28"


@pytest.mark.parametrize(
    ("key", "es", "en"),
    [
        ("current", "Vigente", "Current"),
        ("1-30", "1-30 días", "1-30 days"),
        ("91-120", "91-120 días", "91-120 days"),
        ("120+", "Más de 120 días", "Over 120 days"),
        ("45+", "Más de 45 días", "Over 45 days"),  # buckets are configurable
    ],
)
def test_bucket_labels(key: str, es: str, en: str) -> None:
    assert bucket_label(key, "es") == es
    assert bucket_label(key, "en") == en


def test_both_languages_have_the_same_labels() -> None:
    assert LABELS["es"].keys() == LABELS["en"].keys()


# --------------------------------------------------------------------------- escaping


def test_hostile_text_is_escaped_in_html() -> None:
    out = render_statement(hostile_statement(), fmt="html")
    assert HOSTILE not in out
    assert HOSTILE_HTML in out
    assert "<script" not in out.lower()
    assert "<img" not in out.lower()
    assert "<a href='http://evil.example'>" not in out
    assert "&lt;a href=&#39;http://evil.example&#39;&gt;pague aquí&lt;/a&gt;" in out
    assert "&lt;b&gt;Calle&lt;/b&gt; &#39;Uno&#39; &amp; Dos" in out
    assert "C-&#34;42&#34;" in out
    # the <title> (built from the subject) is escaped too
    assert f"<title>Estado de cuenta al 30/11/2026 — {HOSTILE_HTML} (C-&#34;42&#34;)</title>" in out


def test_hostile_text_is_verbatim_in_text() -> None:
    out = render_statement(hostile_statement(), fmt="text")
    assert f"Cliente:        {HOSTILE}" in out
    assert "<b>Calle</b> 'Uno' & Dos" in out
    assert "<img src=x onerror=alert(2)>" in out
    assert "&lt;" not in out and "&amp;" not in out


def test_hostile_name_cannot_inject_headers() -> None:
    st = hostile_statement()
    st = dataclasses.replace(st, customer=dataclasses.replace(st.customer, name="Evil\r\nBcc: spy@evil.example"))
    subject = build_subject(st)
    assert "\n" not in subject and "\r" not in subject
    msg = build_message(st, sender="cobranza@refaccionesbajio.mx", to=["a@b.example"], cc=[], bcc=[])
    assert msg["Bcc"] is None
    assert "spy@evil.example" not in envelope_recipients(msg)
    with pytest.raises(ValueError, match="line breaks"):
        build_message(st, sender="cobranza@refaccionesbajio.mx", to=["a@b.example\r\nBcc: x@y"], cc=[], bcc=[])


# --------------------------------------------------------------------------- templates folder override


def test_user_template_folder_wins(tmp_path: Path) -> None:
    (tmp_path / "statement.txt.j2").write_text(
        "CUSTOM {{ t.statement }} {{ customer.name }} {{ sections[0].closing_cents|money('MXN') }}\n", encoding="utf-8"
    )
    st = hostile_statement()
    assert render_statement(st, fmt="text", templates_dir=tmp_path) == f"CUSTOM Estado de cuenta {HOSTILE} $92,560.00 MXN\n"
    # the HTML template was not overridden: the package one is used
    assert "max-width:680px" in render_statement(st, fmt="html", templates_dir=str(tmp_path))
    # and without the folder the package text template is back
    assert "CUSTOM" not in render_statement(st, fmt="text")


def test_user_html_template_is_autoescaped(tmp_path: Path) -> None:
    (tmp_path / "statement.html.j2").write_text("<p>{{ customer.name }}</p>", encoding="utf-8")
    out = render_statement(hostile_statement(), fmt="html", templates_dir=tmp_path)
    assert out == f"<p>{HOSTILE_HTML}</p>"


def test_undefined_names_fail_loudly(tmp_path: Path) -> None:
    (tmp_path / "statement.txt.j2").write_text("{{ customer.nmae }}", encoding="utf-8")
    with pytest.raises(jinja2.UndefinedError):
        render_statement(sample_statement(), fmt="text", templates_dir=tmp_path)
    (tmp_path / "statement.txt.j2").write_text("{{ t.no_such_label }}", encoding="utf-8")
    with pytest.raises(jinja2.UndefinedError):
        render_statement(sample_statement(), fmt="text", templates_dir=tmp_path)


def test_bad_format_is_refused() -> None:
    with pytest.raises(ValueError, match="fmt"):
        render_statement(sample_statement(), fmt="pdf")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- subject and message


def test_subject_in_both_languages() -> None:
    assert build_subject(sample_statement("es")) == "Estado de cuenta al 30/11/2026 — Constructora Ñandú SA de CV (C-0042)"
    assert build_subject(sample_statement("en")) == "Account statement as of 2026-11-30 — Constructora Ñandú SA de CV (C-0042)"


def test_build_message_structure() -> None:
    st = sample_statement("es")
    msg = build_message(
        st,
        sender="cobranza@refaccionesbajio.mx",
        to=list(st.customer.emails),
        cc=["maria.garcia@refaccionesbajio.mx"],
        bcc=["archivo@refaccionesbajio.mx", ""],
    )
    assert msg.get_content_type() == "multipart/alternative"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    assert "$92,560.00 MXN" in parts[0].get_content()
    assert "$92,560.00 MXN" in parts[1].get_content()
    assert msg["Subject"] == build_subject(st)
    assert msg["From"].addresses[0].addr_spec == "cobranza@refaccionesbajio.mx"
    assert msg["From"].addresses[0].display_name == "Refacciones del Bajío SA de CV"
    assert msg["To"] == "pagos@nandu.example, tesoreria@nandu.example"
    assert msg["Cc"] == "maria.garcia@refaccionesbajio.mx"
    assert msg["Bcc"] is None
    assert "archivo@" not in msg.as_string()
    assert msg["Message-ID"].endswith("@refaccionesbajio.mx>")
    assert email.utils.parsedate_to_datetime(msg["Date"]) is not None
    assert msg["Content-Language"] == "es-MX"
    assert envelope_recipients(msg, ["archivo@refaccionesbajio.mx", "PAGOS@nandu.example", ""]) == [
        "pagos@nandu.example",
        "tesoreria@nandu.example",
        "maria.garcia@refaccionesbajio.mx",
        "archivo@refaccionesbajio.mx",
    ]
    # every message gets its own Message-ID
    again = build_message(st, sender="Cobranza <cobranza@refaccionesbajio.mx>", to=["a@b.example"], cc=[], bcc=[])
    assert again["Message-ID"] != msg["Message-ID"]
    assert str(again["From"]) == "Cobranza <cobranza@refaccionesbajio.mx>"
    assert again["Cc"] is None


def test_build_message_needs_a_recipient_and_a_sender() -> None:
    st = sample_statement()
    with pytest.raises(ValueError, match="To"):
        build_message(st, sender="cobranza@refaccionesbajio.mx", to=[""], cc=[], bcc=[])
    with pytest.raises(ValueError, match="sender"):
        build_message(st, sender="cobranza", to=["a@b.example"], cc=[], bcc=[])


def test_mail_package_has_no_ui_or_orm_imports() -> None:
    code = (
        "import sys, arterm.mail, arterm.mail.render, arterm.mail.smtp, arterm.mail.recipients; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'sqlmodel', 'sqlalchemy')); "
        "print(','.join(bad)); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


# --------------------------------------------------------------------------- recipients


@dataclasses.dataclass(frozen=True)
class _Customer:
    identifier: str = "C-0042"
    name: str = "Constructora Ñandú SA de CV"
    emails: tuple[str, ...] = ("pagos@nandu.example", "tesoreria@nandu.example")
    assigned: str = "mgarcia"
    assigned_email: str = "maria.garcia@refaccionesbajio.mx"


def _settings(archive: str = ""):  # type: ignore[no-untyped-def]
    from arterm.config import Settings, SmtpSettings, UiSettings

    return Settings(smtp=SmtpSettings(archive_bcc=archive), ui=UiSettings(language="es"))


def test_recipients_to_billing_cc_operator_bcc_archive() -> None:
    from arterm.mail.recipients import recipients_for

    r = recipients_for(_Customer(), _settings("archivo@refaccionesbajio.mx"))
    assert r.to == ("pagos@nandu.example", "tesoreria@nandu.example")
    assert r.cc == ("maria.garcia@refaccionesbajio.mx",)
    assert r.bcc == ("archivo@refaccionesbajio.mx",)
    assert r.warnings == ()
    assert r.envelope == [*r.to, *r.cc, *r.bcc]


def test_recipients_never_repeat_an_address() -> None:
    from arterm.mail.recipients import recipients_for

    customer = _Customer(emails=("Pagos@nandu.example", "pagos@NANDU.example", "maria.garcia@refaccionesbajio.mx"))
    r = recipients_for(customer, _settings("archivo@x.example; MARIA.GARCIA@refaccionesbajio.mx"))
    assert r.to == ("Pagos@nandu.example", "maria.garcia@refaccionesbajio.mx")
    assert r.cc == ()  # the operator is already in To
    assert r.bcc == ("archivo@x.example",)


def test_customer_without_email_is_a_clear_error() -> None:
    from arterm.domain.errors import DomainError
    from arterm.mail.recipients import NoRecipientError, recipients_for

    with pytest.raises(NoRecipientError) as info:
        recipients_for(_Customer(emails=()), _settings())
    assert str(info.value) == ("C-0042 Constructora Ñandú SA de CV no tiene correo de facturación: "
                               "agrégalo en su perfil antes de enviar")
    assert isinstance(info.value, DomainError) and info.value.key == "mail.no_email"
    with pytest.raises(NoRecipientError, match="has no billing email"):
        recipients_for(_Customer(emails=("", "  ")), _settings(), lang="en")


def test_operator_without_email_or_no_operator_warns() -> None:
    from arterm.mail.recipients import recipients_for

    r = recipients_for(_Customer(assigned_email=""), _settings())
    assert r.cc == () and r.to
    assert r.warning_texts("es") == ["el operador asignado mgarcia no tiene correo: no irá en copia"]
    assert r.warning_texts("en") == ["the assigned operator mgarcia has no email: not copied"]
    r = recipients_for(_Customer(assigned_email="not-an-email"), _settings())
    assert r.cc == () and len(r.warnings) == 1
    r = recipients_for(_Customer(assigned="", assigned_email=""), _settings())
    assert r.cc == () and r.warning_texts("en") == ["no operator is assigned to this customer: nobody is copied"]


def test_bad_addresses_are_refused() -> None:
    from arterm.mail.recipients import RecipientError, recipients_for

    with pytest.raises(RecipientError, match="no es un correo válido"):
        recipients_for(_Customer(emails=("pagos@nandu.example", "pagos\r\nBcc: spy@evil.example")), _settings())
    with pytest.raises(RecipientError, match="archive_bcc"):
        recipients_for(_Customer(), _settings("archivo"))


def test_statement_labels_come_from_the_locale_fragment() -> None:
    from arterm.i18n import t

    assert LABELS["es"]["closing_balance"] == t("stmt.closing_balance", "es")
    assert LABELS["en"]["unapplied_credit"] == t("stmt.unapplied_credit", "en")
    assert not any(k.startswith("desc.") for k in LABELS["es"])
