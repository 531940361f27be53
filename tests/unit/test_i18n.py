"""Translation catalogs and the app's money/date formats."""

from __future__ import annotations

import re
import string
import sys
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arterm.domain.errors import DomainError
from arterm.domain.schedule import FREQUENCIES
from arterm.i18n import (
    LANGUAGES,
    fmt_amount,
    fmt_date,
    fmt_datetime,
    fmt_money,
    normalize_lang,
    parse_date,
    t,
    tn,
)
from arterm.locale import CATALOGS
from arterm.locale import EN  # merged catalogs (base + every area fragment)
from arterm.locale import ES

FORMA_PAGO_CODES = (
    "01 02 03 04 05 06 08 12 13 14 15 17 23 24 25 26 27 28 29 30 31 99".split()
)
REQUIRED_KEYS = (
    [f"status.{s}" for s in "current overdue paid cancelled applied partial unapplied pending rejected active paused ended".split()]
    + ["kind.invoice", "kind.sales_note", "kind.credit_note"]
    + ["origin.manual", "origin.cfdi_import", "origin.direct_debit"]
    + ["rep.pending", "rep.issued", "rep.not_required"]
    + [f"freq.{f}" for f in FREQUENCIES]
    + ["aging.current", "aging.range", "aging.over"]
    + [
        f"activity.{a}"
        for a in (
            "customer_created customer_updated operator_assigned identifier_set terms_set invoice_issued "
            "sales_note_issued credit_note_issued credit_applied payment_recorded payment_cancelled "
            "document_cancelled note_added statement_sent contract_created contract_updated charge_scheduled rep_recorded "
            "charge_confirmed charge_rejected"
        ).split()
    ]
    + [f"forma_pago.{c}" for c in FORMA_PAGO_CODES]
    + [
        f"ui.{w}"
        for w in (
            "search customers balances activity sales contracts payments credit_notes notes profile create "
            "save cancel confirm back help language theme total overdue current credit due_date issue_date "
            "amount reference date"
        ).split()
    ]
)


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


# -- catalogs ------------------------------------------------------------------------------------
def test_languages():
    assert LANGUAGES == ("es", "en")
    assert set(CATALOGS) == set(LANGUAGES)


def test_every_key_exists_in_both_languages():
    assert sorted(set(ES) - set(EN)) == [], "keys missing in en.py"
    assert sorted(set(EN) - set(ES)) == [], "keys missing in es.py"


@pytest.mark.parametrize("key", sorted(ES))
def test_placeholders_match_between_languages(key):
    assert fields(ES[key]) == fields(EN[key]), key


@pytest.mark.parametrize("lang", LANGUAGES)
def test_templates_are_well_formed(lang):
    for key, template in CATALOGS[lang].items():
        assert isinstance(template, str) and template.strip() == template and template, key
        for _, name, spec, conv in string.Formatter().parse(template):  # raises on bad braces
            if name is not None:
                # plain named fields only: no positional {}, {0}, attribute/index access or specs
                assert re.fullmatch(r"[a-z_][a-z0-9_]*", name), (key, name)
                assert not spec and conv is None, (key, name)
        # no Rich/Textual markup: the catalog is plain text
        assert not re.search(r"\[/?[a-z#@$]", template, re.I), key


def test_required_keys_are_present():
    for key in REQUIRED_KEYS:
        assert key in ES and key in EN, key


def test_forma_pago_catalog_is_the_sat_catalog():
    codes = sorted(k.split(".", 1)[1] for k in ES if k.startswith("forma_pago."))
    assert codes == FORMA_PAGO_CODES
    assert t("forma_pago.03") == "Transferencia electrónica de fondos"
    assert t("forma_pago.99", "en") == "To be defined"
    assert t("forma_pago.31") == "Intermediario pagos"


def test_spanish_examples():
    assert t("kind.invoice") == "Factura"
    assert t("kind.sales_note", "es") == "Nota de venta"
    assert t("kind.credit_note", "es") == "Nota de crédito"
    assert t("freq.weekly") == "Semanal"
    assert t("freq.yearly") == "Anual"
    assert t("aging.current") == "Vigente"
    assert t("aging.current", "en") == "Current"
    assert t("aging.range", "es", lo=1, hi=30) == "1-30 días"
    assert t("aging.range", "en", lo=31, hi=60) == "31-60 days"
    assert t("aging.over", "es", n=120) == "Más de 120 días"
    assert t("aging.over", "en", n=120) == "Over 120 days"


def test_modules_do_not_import_ui_or_database_libraries():
    import arterm.i18n  # noqa: F401
    import arterm.domain.schedule  # noqa: F401

    for name in ("arterm.i18n", "arterm.locale", "arterm.domain.schedule"):
        source = open(sys.modules[name].__file__, encoding="utf-8").read()
        assert not re.search(r"^\s*(from|import)\s+(textual|sqlmodel|sqlalchemy|rich)\b", source, re.M), name


# -- t() -----------------------------------------------------------------------------------------
def test_default_language_is_spanish():
    assert t("ui.save") == "Guardar"
    assert t("ui.save", "en") == "Save"


@pytest.mark.parametrize(("lang", "expected"), [("es_MX", "es"), ("es-MX", "es"), ("ES", "es"), ("en_US.UTF-8", "en"), ("", "es"), (None, "es"), ("fr", "fr")])
def test_normalize_lang(lang, expected):
    assert normalize_lang(lang) == expected


def test_locale_variants():
    assert t("ui.save", "es_MX") == "Guardar"
    assert t("ui.save", "en-US") == "Save"


def test_fallback_to_english_then_key(monkeypatch):
    monkeypatch.setitem(EN, "test.only_en", "Only in English {x}")
    assert t("test.only_en", "es", x=1) == "Only in English 1"
    assert t("test.only_en", "fr", x=2) == "Only in English 2"  # unsupported language
    assert t("no.such.key", "es") == "no.such.key"
    assert t("no.such.key", "en", x=1) == "no.such.key"


def test_missing_placeholder_stays_visible_and_extra_kwargs_are_ignored():
    assert t("aging.over", "en") == "Over {n} days"
    assert t("ui.save", "en", unused="x") == "Save"


def test_values_are_inserted_verbatim_without_markup_processing():
    hostile = "[bold red]ACME[/] {n} {{x}} %s"
    assert t("ui.as_of", "en", date=hostile) == f"As of {hostile}"
    assert t("aging.over", "es", n="[link=http://x]1[/link]") == "Más de [link=http://x]1[/link] días"


def test_key_and_lang_are_positional_only():
    # so that a placeholder may be called `key` or `lang`
    with pytest.raises(TypeError):
        t(key="ui.save")  # type: ignore[call-arg]


def test_tn_plurals():
    assert tn("ui.days_count", 1) == "1 día"
    assert tn("ui.days_count", 0) == "0 días"
    assert tn("ui.days_count", 5, "en") == "5 days"
    assert tn("ui.days_count", 1, "en") == "1 day"


# -- money ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", LANGUAGES)
def test_fmt_money(lang):
    assert fmt_money(1234567, "MXN", lang) == "$12,345.67 MXN"
    assert fmt_money(-123400, "MXN", lang) == "-$1,234.00 MXN"
    assert fmt_money(0, "MXN", lang) == "$0.00 MXN"
    assert fmt_money(5, "mxn", lang) == "$0.05 MXN"
    assert fmt_money(-5, "MXN", lang) == "-$0.05 MXN"
    assert fmt_money(123456789012, "USD", lang) == "$1,234,567,890.12 USD"
    assert fmt_money(100, "EUR", lang) == "€1.00 EUR"
    assert fmt_money(100000, "GBP", lang) == "1,000.00 GBP"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_fmt_amount(lang):
    assert fmt_amount(1234567, lang) == "12,345.67"
    assert fmt_amount(-99, lang) == "-0.99"
    assert fmt_amount(100000000, lang) == "1,000,000.00"
    assert fmt_amount(0, lang) == "0.00"


@pytest.mark.parametrize("bad", [1.5, Decimal("1.00"), "100", True])
def test_money_formats_refuse_non_integer_cents(bad):
    with pytest.raises(TypeError):
        fmt_amount(bad)
    with pytest.raises(TypeError):
        fmt_money(bad, "MXN", "es")


@given(st.integers(-(10**15), 10**15))
def test_fmt_amount_round_trips(cents):
    text = fmt_amount(cents, "es")
    assert re.fullmatch(r"-?\d{1,3}(,\d{3})*\.\d{2}", text)
    assert int(Decimal(text.replace(",", "")) * 100) == cents
    assert fmt_money(cents, "MXN", "en") == (
        f"-${text[1:]} MXN" if cents < 0 else f"${text} MXN"
    )


# -- dates ---------------------------------------------------------------------------------------
def test_fmt_date():
    d = date(2026, 11, 28)
    assert fmt_date(d, "es") == "28/11/2026"
    assert fmt_date(d, "es_MX") == "28/11/2026"
    assert fmt_date(d, "en") == "2026-11-28"
    assert fmt_date(date(2026, 1, 5), "es") == "05/01/2026"
    assert fmt_date(date(33, 1, 5), "en") == "0033-01-05"
    assert fmt_date(None, "es") == ""


def test_fmt_datetime():
    dt = datetime(2026, 11, 28, 14, 5, 59)
    assert fmt_datetime(dt, "es") == "28/11/2026 14:05"
    assert fmt_datetime(dt, "en") == "2026-11-28 14:05"
    assert fmt_datetime(datetime(2026, 1, 2, 3, 4, tzinfo=timezone(timedelta(hours=-6))), "es") == "02/01/2026 03:04"
    assert fmt_datetime(date(2026, 11, 28), "es") == "28/11/2026"
    assert fmt_datetime(None, "en") == ""


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("28/11/2026", date(2026, 11, 28)),
        ("28-11-2026", date(2026, 11, 28)),
        ("2026-11-28", date(2026, 11, 28)),
        ("2026/11/28", date(2026, 11, 28)),
        ("5/1/2026", date(2026, 1, 5)),
        ("  28/11/2026 ", date(2026, 11, 28)),
        ("29/02/2028", date(2028, 2, 29)),
    ],
)
def test_parse_date(text, expected, lang):
    assert parse_date(text, lang) == expected


@pytest.mark.parametrize("lang", LANGUAGES)
def test_parse_relative_words(lang):
    today = date(2026, 11, 28)
    for word in ("hoy", "today", "HOY", " Today "):
        assert parse_date(word, lang, today=today) == today
    assert parse_date("ayer", lang, today=today) == date(2026, 11, 27)
    assert parse_date("tomorrow", lang, today=today) == date(2026, 11, 29)
    assert parse_date("hoy", lang) == date.today()


@pytest.mark.parametrize(
    "text",
    ["", "   ", "mañana por la tarde", "31/02/2026", "29/02/2027", "2026-13-01", "00/01/2026",
     "28/11/26", "28.11.2026", "28/11-2026", "2026-11-28T10:00", "11/28/2026", "٢٨/١١/٢٠٢٦", None, 20261128],
)
def test_parse_date_rejects(text):
    with pytest.raises(DomainError, match="is not a valid date") as exc:
        parse_date(text, "es")
    assert exc.value.field == "date"


@given(st.dates(min_value=date(1000, 1, 1)), st.sampled_from(LANGUAGES))
def test_fmt_date_round_trips(d, lang):
    assert parse_date(fmt_date(d, lang), lang) == d
    # a date formatted in one language is read back in the other
    other = "en" if lang == "es" else "es"
    assert parse_date(fmt_date(d, lang), other) == d
