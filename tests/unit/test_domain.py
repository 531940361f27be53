"""Pure domain rules: RFC, money, text folding/emails and aging buckets (no I/O)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from arterm.domain.aging import (
    DEFAULT_BUCKETS,
    bucket_for,
    bucket_keys,
    buckets,
    days_past_due,
    due_date_bounds,
)
from arterm.domain.errors import DomainError
from arterm.domain.money import check_currency, fmt_cents, from_cents, positive_cents, quantize, to_cents, to_decimal
from arterm.domain.rfc import GENERIC_RFCS, check_character, clean_rfc, normalize_rfc, validate_rfc
from arterm.domain.text import clean_line, clean_text, fold, parse_emails, search_key, validate_email

# ------------------------------------------------------------------------------------------- RFC
VALID = ["EKU9003173C9", "H&E951128469", "KIJ0906199R1", "URE180429TM6", "XIQB891116QE4", "COSC8001137NA",
         "MUÑ110218LJ6"]
WRONG_CHECK = ["AAA010101AAA", "BASJ600902KL9"]
INVALID = {
    "EKU9013173C9": "not a valid date",  # month 13
    "EKU9002303C9": "not a valid date",  # 30 February
    "EKU9002293C9": "not a valid date",  # 29 February 1990 (not a leap year)
    "EKU900317": r"12 \(company\) or 13 \(person\)",
    "ABC1234567890": "expected 3-4 letters",
    "": r"12 \(company\) or 13",
    "EKU9003173C": r"12 \(company\) or 13",  # 11 characters
    "EK19003173C9": "expected 3-4 letters",  # digit among the letters
    "EKU9003173CB": "expected 3-4 letters",  # check character must be 0-9 or A
}


@pytest.mark.parametrize("rfc", VALID)
def test_valid_rfcs_from_domain_md(rfc: str) -> None:
    result = validate_rfc(rfc)
    assert result.rfc == rfc
    assert result.check_ok is True
    assert result.generic is False
    assert result.person is (len(rfc) == 13)
    assert check_character(rfc) == rfc[-1]
    assert clean_rfc(rfc) == rfc


@pytest.mark.parametrize("rfc", WRONG_CHECK)
def test_wrong_check_character_is_a_warning_not_a_format_error(rfc: str) -> None:
    result = validate_rfc(rfc)
    assert result.check_ok is False
    assert check_character(rfc) != rfc[-1]
    with pytest.raises(DomainError, match=f"check character should be '{check_character(rfc)}'"):
        clean_rfc(rfc)
    assert clean_rfc(rfc, allow_bad_check=True) == rfc


def test_check_character_values() -> None:
    assert check_character("AAA010101AAA") == "1"
    assert check_character("BASJ600902KL9") == "0"
    # The body alone decides: whatever the last character is, the answer is the same.
    assert check_character("EKU9003173C0") == check_character("EKU9003173CZ") == "9"


@pytest.mark.parametrize(("rfc", "message"), list(INVALID.items()))
def test_invalid_rfcs_are_rejected(rfc: str, message: str) -> None:
    with pytest.raises(DomainError, match=message) as info:
        validate_rfc(rfc)
    assert info.value.field == "rfc"
    with pytest.raises(DomainError):
        clean_rfc(rfc, allow_bad_check=True)


@pytest.mark.parametrize("rfc", sorted(GENERIC_RFCS))
def test_generic_rfcs(rfc: str) -> None:
    result = validate_rfc(rfc)
    assert result.generic and result.check_ok and not result.person


def test_rfc_is_normalized() -> None:
    assert normalize_rfc(" eku-900317-3c9 ") == "EKU9003173C9"
    assert validate_rfc("muñ110218lj6").rfc == "MUÑ110218LJ6"
    assert validate_rfc("xaxx010101000").generic


def test_leap_day_rfc_of_a_person_born_on_29_february() -> None:
    body = "GOMA960229AB"  # 1996 was a leap year
    rfc = body + check_character(body + "0")
    assert validate_rfc(rfc).check_ok


# ----------------------------------------------------------------------------------------- money
@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("0.005", 1),  # half-up, not banker's rounding
        ("0.0049", 0),
        ("2.675", 268),  # a float would give 2.67
        ("2.665", 267),
        ("1.005", 101),
        ("1,234.50", 123450),
        ("$1,234.50", 123450),
        ("  99 ", 9900),
        ("-0.005", -1),
        ("0", 0),
    ],
)
def test_to_cents_rounds_half_up(text: str, cents: int) -> None:
    assert to_cents(text) == cents


def test_decimal_and_int_inputs() -> None:
    assert to_cents(Decimal("2.675")) == 268
    assert to_cents(7) == 700
    assert to_decimal("10.10") == Decimal("10.10")
    assert quantize(Decimal("0.125")) == Decimal("0.13")


@pytest.mark.parametrize("value", [0.1, 2.675, 1.0, float("nan")])
def test_floats_are_refused(value: float) -> None:
    with pytest.raises(DomainError, match="floats are not accepted"):
        to_cents(value)


@pytest.mark.parametrize("value", ["abc", "", "   ", "NaN", "Infinity", "1.2.3", True, None, [1]])
def test_not_an_amount(value: object) -> None:
    with pytest.raises(DomainError):
        to_cents(value)


@pytest.mark.parametrize(
    "value",
    ["1e14", "1e27", "1e30", "-1e30", "1E+999999", "9" * 40, "1" + "0" * 28 + ".005", "$1e30 MXN",
     Decimal("1e30"), Decimal("-1e27"), 10**40],
)
def test_huge_amounts_are_too_large_not_a_crash(value: object) -> None:
    """``1e27``/``1e30`` used to escape as ``decimal.InvalidOperation`` from ``quantize``."""
    for parse in (to_cents, positive_cents):
        with pytest.raises(DomainError, match="amount: amount is too large"):
            parse(value, currency="MXN")


def test_quantize_of_a_huge_product_is_too_large() -> None:
    with pytest.raises(DomainError, match="line 1 amount: amount is too large"):
        quantize(Decimal("9e14") * Decimal("9e14"), field="line 1 amount")


def test_invoice_line_with_huge_quantity_times_price_is_refused() -> None:
    from arterm.ledger.documents import LineInput, compute_line

    with pytest.raises(DomainError, match="too large"):
        compute_line(LineInput("x", "9e14", "9e14", "0"))
    with pytest.raises(DomainError, match="too large"):
        compute_line(LineInput("x", "1e30", "1", "0"))


def test_amount_limits() -> None:
    with pytest.raises(DomainError, match="too large"):
        to_cents(10**13)
    with pytest.raises(DomainError, match="greater than zero"):
        positive_cents("0.004")  # rounds to 0
    with pytest.raises(DomainError, match="greater than zero"):
        positive_cents("-5")
    assert positive_cents("0.005") == 1


def test_formatting_cents() -> None:
    assert fmt_cents(0) == "0.00"
    assert fmt_cents(5) == "0.05"
    assert fmt_cents(123456) == "1234.56"
    assert fmt_cents(-150) == "-1.50"
    assert from_cents(12345) == Decimal("123.45")


def test_currency_codes() -> None:
    assert check_currency(" usd ") == "USD"
    for bad in ("", "US", "DOLLARS", "U$D"):
        with pytest.raises(DomainError):
            check_currency(bad)


@pytest.mark.parametrize("code", ["MXN", "usd", "EUR", "GBP", "JPY", "CAD", "MXV", "VES"])
def test_currency_in_c_moneda(code: str) -> None:
    assert check_currency(code) == code.upper()


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("MNX", "currency: MNX is not in the SAT catalog c_Moneda"),  # the QA typo
        ("XYZ", "currency: XYZ is not in the SAT catalog c_Moneda"),
        ("ABC", "not in the SAT catalog c_Moneda"),
        ("XXX", "currency: XXX is not a currency documents or payments can be in"),  # REP shells only
        ("XTS", "not a currency documents or payments can be in"),
        ("XAU", "not a currency documents or payments can be in"),
        ("ÜSD", "is not a currency code"),
        ("M\u202eXN", "is not a currency code"),
    ],
)
def test_currency_outside_c_moneda_is_refused(code: str, message: str) -> None:
    with pytest.raises(DomainError, match=message) as err:
        check_currency(code)
    assert err.value.field == "currency"
    assert "\n" not in str(err.value)


def test_c_moneda_catalog() -> None:
    from arterm.domain.catalogs import MONEDA, NOT_FOR_BALANCES

    assert {"MXN", "USD", "EUR", "XXX"} <= MONEDA
    assert NOT_FOR_BALANCES <= MONEDA
    assert all(len(c) == 3 and c.isalpha() and c.isupper() for c in MONEDA)


@pytest.mark.parametrize(
    ("text", "currency", "cents"),
    [
        ("1234.5 MXN", "MXN", 123450),
        ("5mxn", "MXN", 500),
        ("5USD", "USD", 500),
        ("USD 5", "USD", 500),
        ("usd5.25", "USD", 525),
        ("$1,234.50 EUR", "EUR", 123450),
        ("5", "USD", 500),  # no code: the operation's currency
    ],
)
def test_amount_with_the_operations_currency(text: str, currency: str, cents: int) -> None:
    assert to_cents(text, currency=currency, context="payment") == cents
    assert positive_cents(text, currency=currency, context="payment") == cents


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("5USD", "amount: 5USD is in USD but the payment is in MXN"),
        ("5 usd", "amount: 5 usd is in USD but the payment is in MXN"),
        ("EUR 10", "amount: EUR 10 is in EUR but the payment is in MXN"),
        ("$1,000.00 GBP", "is in GBP but the payment is in MXN"),
    ],
)
def test_amount_in_another_currency_is_refused(text: str, message: str) -> None:
    for parse in (to_cents, positive_cents, to_decimal):
        with pytest.raises(DomainError, match=re.escape(message)):
            parse(text, currency="MXN", context="payment")


def test_amount_with_a_currency_where_none_applies_is_refused() -> None:
    """A quantity, a rate or an amount parsed without the operation's currency: no code at all."""
    with pytest.raises(DomainError, match="quantity: 5 USD carries a currency"):
        to_decimal("5 USD", field="quantity")
    with pytest.raises(DomainError, match="carries a currency"):
        to_cents("1234.5 MXN")


@pytest.mark.parametrize(
    "text",
    [
        "1,2,3",  # misplaced thousands separators
        "12,34",
        "1234,50",  # a decimal comma
        "1,0000",
        ",123",
        "1,234,56",
        "1_000",  # underscores (Decimal accepts them)
        "1_000.50",
        "\u0661\u0662\u0663",  # Arabic-Indic digits (Decimal accepts them)
        "\u0661.\u0665",
        "\uff11\uff12\uff13",  # full-width digits
        "\u0967\u0968",  # Devanagari digits
        "1 000",  # a space inside the number
        "5 XYZ",  # not a currency, not an amount
        "5MNX",
        "5 US D",
        "--5",
        "1.2.3",
    ],
)
def test_malformed_amounts_are_refused(text: str) -> None:
    for parse in (to_cents, to_decimal):
        with pytest.raises(DomainError, match="amount: .* is not a valid amount") as err:
            parse(text, currency="MXN", context="payment")
        assert err.value.field == "amount"


@pytest.mark.parametrize(
    ("text", "cents"),
    [("1,234", 123400), ("12,345.67", 1234567), ("1,234,567.8", 123456780), ("-1,000", -100000),
     ("+5", 500), ("$ 5", 500), (".5", 50), ("5.", 500), ("1e3", 100000)],
)
def test_well_formed_amounts(text: str, cents: int) -> None:
    assert to_cents(text) == cents


# ------------------------------------------------------------------------------------------ text
@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Ñandú Peña", "nandu pena"),
        ("ÉCOLE Über", "ecole uber"),
        ("Straße", "strasse"),
        ("ＡＢＣ", "abc"),  # full-width letters (NFKD)
        ("", ""),
        (None, ""),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_search_key_joins_folded_non_empty_fields() -> None:
    assert search_key("  Peña SA ", "", "C000001", "A@X.MX") == "pena sa | c000001 | a@x.mx"
    assert search_key() == ""


def test_parse_emails() -> None:
    assert parse_emails("a@x.mx; B@y.mx, a@x.mx  A@X.MX\nc@z.com.mx") == ("a@x.mx", "B@y.mx", "c@z.com.mx")
    assert parse_emails(["a@x.mx", " ", "b@x.mx"]) == ("a@x.mx", "b@x.mx")
    assert parse_emails("") == ()
    for bad in ("not-an-email", "a@b", "a@@b.mx", "a b@c.mx;", "x@-bad.mx"):
        with pytest.raises(DomainError, match="not a valid address"):
            parse_emails(bad)


def test_validate_email_length() -> None:
    with pytest.raises(DomainError):
        validate_email("a" * 250 + "@x.mx")


def test_clean_line_and_text() -> None:
    assert clean_line(" a\tb\x00c\nd ") == "a bc d"
    with pytest.raises(DomainError, match="required"):
        clean_line("  \x07 ", required=True)
    with pytest.raises(DomainError, match="at most 3"):
        clean_line("abcd", max_len=3)
    assert clean_text("uno\r\ndos\x1b[31m") == "uno\ndos[31m"


# ----------------------------------------------------------------------------------------- aging
AS_OF = date(2026, 3, 31)


@pytest.mark.parametrize(
    ("days", "key"),
    [
        (-10, "current"),  # not yet due
        (0, "current"),  # due today: not overdue yet
        (1, "1-30"),  # overdue from the day after the due date
        (30, "1-30"),
        (31, "31-60"),
        (60, "31-60"),
        (61, "61-90"),
        (90, "61-90"),
        (91, "91-120"),
        (120, "91-120"),
        (121, "120+"),
        (2000, "120+"),
    ],
)
def test_bucket_for_boundaries(days: int, key: str) -> None:
    assert bucket_for(AS_OF - timedelta(days=days), AS_OF) == key
    assert days_past_due(AS_OF - timedelta(days=days), AS_OF) == max(0, days)


def test_default_bucket_keys() -> None:
    assert DEFAULT_BUCKETS == (30, 60, 90, 120)
    assert bucket_keys() == ("current", "1-30", "31-60", "61-90", "91-120", "120+")
    assert [(b.lo, b.hi) for b in buckets()] == [(0, 0), (1, 30), (31, 60), (61, 90), (91, 120), (121, None)]


@pytest.mark.parametrize(("days", "key"), [(0, "current"), (1, "1-15"), (15, "1-15"), (16, "16-30"), (30, "16-30"),
                                           (31, "30+"), (400, "30+")])
def test_custom_bucket_limits(days: int, key: str) -> None:
    limits = (15, 30)
    assert bucket_keys(limits) == ("current", "1-15", "16-30", "30+")
    assert bucket_for(AS_OF - timedelta(days=days), AS_OF, limits) == key


def test_single_limit() -> None:
    assert bucket_keys((45,)) == ("current", "1-45", "45+")
    assert bucket_for(AS_OF - timedelta(days=46), AS_OF, (45,)) == "45+"


@pytest.mark.parametrize("limits", [DEFAULT_BUCKETS, (15, 30), (7, 14, 28, 56, 112, 365)])
def test_due_date_bounds_agree_with_bucket_for(limits: tuple[int, ...]) -> None:
    """The SQL aging (due-date ranges) and the Python rule (bucket_for) must put every day in the same bucket."""
    bounds = due_date_bounds(AS_OF, limits)
    assert [k for k, _, _ in bounds] == list(bucket_keys(limits))
    for offset in range(-5, 500):
        due = AS_OF - timedelta(days=offset)
        if offset <= 0:
            in_range = [k for k, lo, _ in bounds if k == "current" and due >= lo]  # type: ignore[operator]
        else:
            in_range = [k for k, lo, hi in bounds if k != "current" and due <= hi and (lo is None or due >= lo)]  # type: ignore[operator]
        assert in_range == [bucket_for(due, AS_OF, limits)], offset


# ----------------------------------------------------------------------- bidi controls, CSV cells
BIDI_CHARS = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
              "\u200e", "\u200f", "\u061c"]


@pytest.mark.parametrize("ch", BIDI_CHARS)
def test_bidi_controls_are_dropped_at_input(ch: str) -> None:
    assert clean_line(f"Zeta {ch}RTL") == "Zeta RTL"
    assert clean_line(f"{ch}{ch}", field="name", required=False) == ""
    assert clean_text(f"uno{ch}\ndos") == "uno\ndos"
    with pytest.raises(DomainError, match="name: required"):
        clean_line(f" {ch} ", field="name", required=True)


def test_line_separators_and_kept_text() -> None:
    from arterm.domain.text import strip_bidi

    assert clean_line("a\u2028b\u2029c") == "a b c"
    assert clean_text("a\u2028b") == "a\nb"
    assert clean_line("Ñandú Peña — \u05e9\u05dc\u05d5\u05dd") == "Ñandú Peña — \u05e9\u05dc\u05d5\u05dd"  # RTL letters stay
    assert strip_bidi("x\u202ey\u2066z") == "xyz"
    assert strip_bidi("sin cambios") == "sin cambios"


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ("=cmd|calc!A1", "'=cmd|calc!A1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "' =1"),
        ("\r=1", "' =1"),
        ("  =1", "'  =1"),
        ("Ferretería = SA", "Ferretería = SA"),
        ("Zeta \u202e RTL", "Zeta  RTL"),
        ("", ""),
    ],
)
def test_csv_text(text: str, cell: str) -> None:
    from arterm.domain.text import csv_text

    assert csv_text(text) == cell
