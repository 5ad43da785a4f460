"""National IDs in free text: valid ones of NO, SE, DK and FI are found in their usual spellings,
whatever text surrounds them; what only looks like one (an order number, a phone number, a date,
a Swedish organisation number, a postcode, an amount, digits python-stdnum rejects) is not. The
valid IDs are generated with python-stdnum's own check digits, the phone numbers with
phonenumbers."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import phonenumbers
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st
from portal_kit.domain import DomainError
from portal_kit.sensitive import (
    SENSITIVE_DATA,
    check_no_national_id,
    contains_national_id,
    national_ids_in,
)
from stdnum import luhn
from stdnum.dk import cpr
from stdnum.fi import hetu
from stdnum.no import fodselsnummer
from stdnum.se import orgnr, personnummer

TODAY = date.today()
# Words around a number: anything but digits (they would make the number part of a longer one).
WORDS = st.lists(
    st.text(
        alphabet=st.characters(exclude_categories=("Nd", "Cs", "Cc", "Zs")),
        min_size=1,
        max_size=12,
    ),
    max_size=4,
).map(" ".join)


def embedded(before: str, number: str, after: str) -> tuple[str, int, int]:
    """The text with the number as a word of its own, and where the number is in it."""
    start = len(before) + 1
    return f"{before} {number} {after}", start, start + len(number)


def births(first: date, last: date) -> st.SearchStrategy[date]:
    return st.dates(min_value=first, max_value=min(last, TODAY))


# -- valid IDs, spelled as people write them ---------------------------------------------------


@st.composite
def norwegian(draw: st.DrawFn) -> str:
    born = draw(births(date(1900, 1, 1), date(2039, 12, 31)))
    individual = draw(st.integers(0, 499) if born.year < 2000 else st.integers(500, 999))
    day = born.day + (40 if draw(st.booleans()) else 0)  # D-nummer
    first_nine = f"{day:02d}{born:%m%y}{individual:03d}"
    check1 = fodselsnummer.calc_check_digit1(first_nine)
    assume(len(check1) == 1)
    check2 = fodselsnummer.calc_check_digit2(first_nine + check1)
    assume(len(check2) == 1)
    digits = first_nine + check1 + check2
    return digits[:6] + draw(st.sampled_from(["", " ", "-"])) + digits[6:]


@st.composite
def swedish(draw: st.DrawFn) -> str:
    centenarian = draw(st.booleans())
    if centenarian:
        born = draw(births(date(TODAY.year - 120, 1, 1), date(TODAY.year - 101, 12, 31)))
    else:
        born = draw(births(date(TODAY.year - 99, 1, 1), TODAY))
    day = born.day + (60 if draw(st.booleans()) else 0)  # samordningsnummer
    serial = f"{born:%y%m}{day:02d}{draw(st.integers(0, 999)):03d}"
    digits = serial + str(luhn.calc_check_digit(serial))
    if centenarian:
        return f"{digits[:6]}+{digits[6:]}"
    spelling = draw(st.sampled_from(["short-", "short", "long-", "long"]))
    if spelling == "short" and digits.startswith("0"):
        spelling = "short-"  # unseparated, a phone number's shape (see the module's notes)
    century = f"{born.year // 100}"
    return {
        "short-": f"{digits[:6]}-{digits[6:]}",
        "short": digits,
        "long-": f"{century}{digits[:6]}-{digits[6:]}",
        "long": f"{century}{digits}",
    }[spelling]


@st.composite
def danish(draw: st.DrawFn) -> str:
    born = draw(births(date(1937, 1, 1), date(2036, 12, 31)))
    # python-stdnum reads the century from the serial's first digit
    first = draw(st.integers(0, 3) if born.year < 2000 else st.sampled_from([4, 9]))
    serial = f"{first}{draw(st.integers(0, 999)):03d}"
    return f"{born:%d%m%y}{draw(st.sampled_from(['-', ' ']))}{serial}"


CENTURY_SIGNS = {18: "+", 19: "-YXWVU", 20: "ABCDEF"}


@st.composite
def finnish(draw: st.DrawFn) -> str:
    born = draw(births(date(1850, 1, 1), TODAY))
    sign = draw(st.sampled_from(CENTURY_SIGNS[born.year // 100]))
    stem = f"{born:%d%m%y}{sign}{draw(st.integers(2, 999)):03d}"
    [number] = [
        stem + control
        for control in "0123456789ABCDEFHJKLMNPRSTUVWXY"
        if hetu.is_valid(stem + control, allow_temporary=True)
    ]
    return number


ANY_ID = st.one_of(norwegian(), swedish(), danish(), finnish())


@given(number=ANY_ID, before=WORDS, after=WORDS)
def test_a_valid_national_id_is_found_wherever_it_stands(
    number: str, before: str, after: str
) -> None:
    text, start, end = embedded(before, number, after)
    assert (start, end) in [(f.start, f.end) for f in national_ids_in(text)], text


@pytest.mark.parametrize(
    ("text", "country"),
    [
        ("Ansatt Ola, fnr 15108695088, trenger samtale", "NO"),
        ("fødselsnummer 151086 95088.", "NO"),
        ("D-nummer: 55108695071", "NO"),  # day + 40
        ("Personnummer 880320-0016, ring innan", "SE"),
        ("pnr 19880320-0016", "SE"),
        ("198803200016", "SE"),
        ("8803200016", "SE"),
        ("samordningsnummer 701063-2391", "SE"),
        ("(211062-5629)", "DK"),
        ("CPR 211062 5629", "DK"),
        ("HETU 131052-308T", "FI"),
        ("hetu: 131052A308T", "FI"),
        ("uusi 010594Y9032", "FI"),
        ("tilapäinen 280202E998C", "FI"),  # a temporary one, of the newer century signs
    ],
)
def test_the_usual_spellings_are_found(text: str, country: str) -> None:
    [found] = national_ids_in(text)
    assert found.country == country
    assert text[found.start : found.end] not in repr(found)  # a finding never shows the number


# -- what must not trip it ---------------------------------------------------------------------


def rejected_by_stdnum(number: str) -> bool:
    """No scheme of python-stdnum accepts the number, nor is it a samordningsnummer."""
    digits = "".join(c for c in number if c.isdigit())
    short = digits[-10:]
    if len(digits) in (10, 12) and 61 <= int(short[4:6]) <= 91:
        return False
    return not (
        fodselsnummer.is_valid(number)
        or personnummer.is_valid(number)
        or cpr.is_valid(number)
        or hetu.is_valid(number, allow_temporary=True)
    )


@st.composite
def digit_runs(draw: st.DrawFn) -> str:
    """Ten to twelve digits, perhaps with a separator where an ID has its own."""
    digits = draw(st.text(alphabet="0123456789", min_size=10, max_size=12))
    separator = draw(st.sampled_from(["", "", "-", " ", "+"]))
    at = len(digits) - (5 if len(digits) == 11 else 4)
    return digits[:at] + separator + digits[at:]


@given(number=digit_runs(), before=WORDS, after=WORDS)
@example(number="880320-0018", before="pnr", after="")  # a wrong check digit
@example(number="311390-12345", before="", after="")  # 13th month
def test_digits_python_stdnum_rejects_are_not_found(number: str, before: str, after: str) -> None:
    assume(rejected_by_stdnum(number) and rejected_by_stdnum(number.replace("+", "-")))
    text, _, _ = embedded(before, number, after)
    assert not contains_national_id(text), text


@st.composite
def jm_order_numbers(draw: st.DrawFn) -> str:
    at = draw(st.datetimes(min_value=datetime(2015, 1, 1), max_value=datetime(2035, 12, 31)))
    return f"{at:%y%m%d-%H%M%S}-{draw(st.integers(1, 99)):02d}"


@st.composite
def bundle_numbers(draw: st.DrawFn) -> str:
    """Familjebostäder's Buntnummer: object number, day, and perhaps the sub-bundle."""
    day = draw(st.dates(min_value=date(2015, 1, 1), max_value=date(2035, 12, 31)))
    bundle = f"{draw(st.integers(10_000_000, 99_999_999))}-{day:%Y%m%d}"
    if draw(st.booleans()):
        bundle += f"-{draw(st.integers(1, 9))}-{draw(st.integers(1, 9))}"
    return bundle


PLAIN_NUMBERS = st.one_of(
    st.integers(1, 9_999_999).map(str),  # order and ticket numbers: Avonova's 307390, AO 2375
    st.integers(1, 9_999_999).map(lambda n: f"AO {n}"),
)


@st.composite
def nordic_phone_numbers(draw: st.DrawFn) -> str:
    """Valid NO, SE, DK and FI numbers, in the forms people type them."""
    region = draw(st.sampled_from(["NO", "SE", "DK", "FI"]))
    length = {"NO": 8, "DK": 8, "SE": 9, "FI": 9}[region]
    national = draw(st.text(alphabet="0123456789", min_size=length - 2, max_size=length))
    try:
        number = phonenumbers.parse(("0" if region in ("SE", "FI") else "") + national, region)
    except phonenumbers.NumberParseException:
        assume(False)
        raise
    assume(phonenumbers.is_valid_number(number))
    style = draw(
        st.sampled_from(
            [
                phonenumbers.PhoneNumberFormat.E164,
                phonenumbers.PhoneNumberFormat.INTERNATIONAL,
                phonenumbers.PhoneNumberFormat.NATIONAL,
            ]
        )
    )
    formatted = phonenumbers.format_number(number, style)
    return draw(
        st.sampled_from([formatted, formatted.replace(" ", ""), formatted.replace("-", "")])
    )


@st.composite
def dates(draw: st.DrawFn) -> str:
    day = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
    at = datetime.combine(day, datetime.min.time()) + timedelta(
        minutes=draw(st.integers(0, 24 * 60 - 1))
    )
    pattern = draw(
        st.sampled_from(
            [
                "%d.%m.%Y",
                "%Y-%m-%d",
                "%d/%m/%Y",
                "%Y%m%d",
                "%d%m%y",
                "%d.%m.%y",
                "%Y-%m-%dT%H:%M:%S",
                "%Y-%m-%d %H:%M",
                "%d.%m.%Y kl. %H.%M",
            ]
        )
    )
    return at.strftime(pattern)


POSTCODES = st.one_of(
    st.integers(0, 9999).map(lambda n: f"{n:04d}"),  # NO, DK
    st.integers(10_000, 99_999).map(lambda n: f"{n // 100} {n % 100:02d}"),  # SE
    st.integers(0, 99_999).map(lambda n: f"{n:05d}"),  # FI
)


@st.composite
def amounts(draw: st.DrawFn) -> str:
    whole = draw(st.integers(0, 999_999_999))
    cents = draw(st.integers(0, 99))
    grouped = f"{whole:,}".replace(",", draw(st.sampled_from([" ", ".", "\u00a0", ""])))
    return draw(
        st.sampled_from(
            [f"{grouped},{cents:02d}", f"kr {grouped},-", f"{whole}.{cents:02d} SEK", grouped]
        )
    )


@st.composite
def swedish_organisation_numbers(draw: st.DrawFn) -> str:
    """Organisationsnummer: a Luhn digit like a personnummer's, but the third digit is 2 or
    more, which no birth month is."""
    stem = f"{draw(st.integers(10, 99))}{draw(st.integers(2, 9))}{draw(st.integers(0, 999999)):06d}"
    digits = stem + luhn.calc_check_digit(stem)
    assert orgnr.is_valid(digits)
    return draw(st.sampled_from([f"{digits[:6]}-{digits[6:]}", digits]))


LOOK_ALIKES = st.one_of(
    swedish_organisation_numbers(),
    jm_order_numbers(),
    bundle_numbers(),
    PLAIN_NUMBERS,
    nordic_phone_numbers(),
    dates(),
    POSTCODES,
    amounts(),
)


@given(number=LOOK_ALIKES, before=WORDS, after=WORDS)
@example(number="250626-105451-01", before="bestilling", after="")
@example(number="64010765-20190819-1-1", before="Bunt", after="")
@example(number="0701234567", before="ring", after="")
@example(number="+46 70 123 45 67", before="", after="")
@example(number="+4791234567", before="tlf", after="")
def test_order_numbers_phone_numbers_dates_postcodes_and_amounts_are_not_found(
    number: str, before: str, after: str
) -> None:
    text, _, _ = embedded(before, number, after)
    assert not contains_national_id(text), text


# -- the check ---------------------------------------------------------------------------------


def test_the_check_names_the_field_says_why_and_never_repeats_the_number() -> None:
    with pytest.raises(DomainError) as refused:
        check_no_national_id("Gjelder Ola (15108695088)", field="description")
    assert refused.value.field == "description"
    assert refused.value.code == SENSITIVE_DATA
    assert "national identity number" in refused.value.message
    for part in ("15108695088", "151086", "95088"):
        assert part not in str(refused.value)
        assert part not in repr(refused.value)


def test_the_check_lets_text_without_a_national_id_through_unchanged() -> None:
    text = "Bestilling 250626-105451-01, ring 912 34 567 før 05.09.2024"
    assert check_no_national_id(text, field="description") == text
