"""National identity numbers in free text: found with python-stdnum, refused with a typed error.

Free text (an order's description, a comment, a ticket's subject) is shown to many people and
kept for years; the tenants' forms say "Merk IKKE sensitive opplysninger". A national ID that is
valid for its country (checksum and birth date, as python-stdnum checks them) is therefore
refused there. The one place that stores national IDs, people's employee register, has its own
encrypted field and does not use this check.

What counts as a national ID, in its usual spellings (a space, a hyphen or a dash may stand
where the country's form has its separator):

- Norway: fødselsnummer and D-nummer, 11 digits, `DDMMYYNNNNN` or `DDMMYY NNNNN`;
- Sweden: personnummer and samordningsnummer (day + 60), `YYMMDD-NNNN`, `YYMMDD+NNNN` (aged
  100 or more), `YYYYMMDD-NNNN`, or the same without separator;
- Denmark: CPR, `DDMMYY-SSSS` (or with a space);
- Finland: henkilötunnus, `DDMMYYCZZZQ`, with the century sign `+`, `-`, `A`, or one of the
  newer `B`–`F`, `U`–`Y`.

What must not be mistaken for one: order and bundle numbers (JM's `250626-105451-01`,
Familjebostäder's `64010765-20190819-1-1`), phone numbers (`+47 …`, 8 digits, Swedish and
Finnish ones that start with 0), dates, postcodes and amounts. Hence:

- a candidate is a whole token: not glued to letters or digits, not part of a chain of numbers
  joined by hyphens, dots or slashes, not after `+` (an international phone number);
- a Danish CPR number has no checksum since 2007 (python-stdnum checks only its date), so ten
  digits with a date in front are only read as one in the CPR's own spelling, with its
  separator: unseparated, they are far more often a phone number or an invoice reference;
- ten digits without separator that are a valid Swedish or Finnish phone number (both start
  with 0, phonenumbers decides) are read as a phone number. The personnummer of people born in
  2000–09 written that way is missed; written with its hyphen it is found.

What is left to chance: ten or twelve digits that begin with a date and end in a Luhn check
digit are a valid personnummer, whatever they were meant to be — one compact time stamp
`YYYYMMDDhhmm` in ten, and a few in a hundred of the ten-digit payment references (KID, OCR) that
carry a Luhn digit. Such text is refused; written with separators, dates and times pass.
Swedish organisation numbers (`556677-8899`) never look like a birth date and pass.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import phonenumbers
from stdnum import luhn
from stdnum.dk import cpr
from stdnum.exceptions import ValidationError
from stdnum.fi import hetu
from stdnum.no import fodselsnummer
from stdnum.se import personnummer

from portal_kit.domain import DomainError
from portal_kit.messages import Messages

_ = Messages("portal_kit")

SENSITIVE_DATA = "SENSITIVE_DATA"
MESSAGE = _(
    "this looks like a national identity number (fødselsnummer, personnummer, CPR number or "
    "henkilötunnus); such personal data may not be written here — leave it out"
)

_SPACES = " \u00a0\u2009\u202f"  # what people and word processors put between digit groups
_HYPHENS = "-\u2010\u2011\u2012\u2013"  # a hyphen, or the dash an editor turned it into
_SEPARATOR = "[" + re.escape(_SPACES + _HYPHENS + "+") + "]"
# A whole token: nothing alphanumeric or `+` just before, no number chained on by `-`, `.`, `/`.
_START = r"(?<![0-9A-Za-z+])(?<![0-9][-./])"
_END = r"(?![0-9A-Za-z])(?![-./][0-9])"


def _candidate(date: str, separator: str, rest: str) -> re.Pattern[str]:
    return re.compile(f"{_START}(?P<date>{date})(?P<sep>{separator})(?P<rest>{rest}){_END}")


_CANDIDATES = (
    _candidate("(?:18|19|20)[0-9]{6}", f"{_SEPARATOR}?", "[0-9]{4}"),  # Swedish, with century
    _candidate("[0-9]{6}", f"{_SEPARATOR}?", "[0-9]{5}"),  # Norwegian
    _candidate("[0-9]{6}", f"{_SEPARATOR}?", "[0-9]{4}"),  # Swedish, Danish
    _candidate("[0-9]{6}", "[-+A-FU-Ya-fu-y]", "[0-9]{3}[0-9A-Ya-y]"),  # Finnish
)


@dataclass(frozen=True)
class NationalIdFound:
    """Where in a text a national ID is, and of which country; never its value."""

    country: str
    start: int
    end: int

    def __repr__(self) -> str:  # the span only: the number itself stays out of logs
        return f"NationalIdFound({self.country}, {self.start}:{self.end})"


def _separator(raw: str) -> str:
    """The separator as the schemes spell it: '' none, ' ', '-' or '+' (or a Finnish letter)."""
    if not raw:
        return ""
    if raw in _SPACES:
        return " "
    if raw in _HYPHENS:
        return "-"
    return raw.upper()


def _norway(date: str, sep: str, rest: str) -> bool:
    return len(date + rest) == 11 and sep in ("", " ", "-") and fodselsnummer.is_valid(date + rest)


def _sweden(date: str, sep: str, rest: str) -> bool:
    if len(rest) != 4 or sep not in ("", "-", "+") or (sep == "+" and len(date) == 8):
        return False
    if not sep and len(date) == 6 and _is_phone_number(date + rest):
        return False
    number = f"{date}{sep or '-'}{rest}"
    if personnummer.is_valid(number):
        return True
    # A samordningsnummer has the day of birth plus 60, which personnummer's date check refuses:
    # the date is checked with the real day, the check digit over the digits as written.
    day = int(date[-2:])
    if not 61 <= day <= 91:
        return False
    try:
        personnummer.get_birth_date(f"{date[:-2]}{day - 60:02d}{sep or '-'}{rest}")
    except ValidationError:
        return False
    return luhn.is_valid((date + rest)[-10:])


def _denmark(date: str, sep: str, rest: str) -> bool:
    return len(date + rest) == 10 and sep in (" ", "-") and cpr.is_valid(date + rest)


def _finland(date: str, sep: str, rest: str) -> bool:
    if len(date) != 6 or len(rest) != 4 or sep in ("", " "):
        return False
    # Temporary identifiers (individual number 900–999) name a person as well.
    return hetu.is_valid(f"{date}{sep}{rest}", allow_temporary=True)


_SCHEMES: tuple[tuple[str, Callable[[str, str, str], bool]], ...] = (
    ("NO", _norway),
    ("SE", _sweden),
    ("DK", _denmark),
    ("FI", _finland),
)


def _is_phone_number(digits: str) -> bool:
    """Whether ten digits starting with 0 are a Swedish or Finnish phone number."""
    if not digits.startswith("0"):
        return False
    for region in ("SE", "FI"):
        try:
            if phonenumbers.is_valid_number(phonenumbers.parse(digits, region)):
                return True
        except phonenumbers.NumberParseException:
            continue
    return False


def national_ids_in(text: str) -> list[NationalIdFound]:
    """The valid national IDs of Norway, Sweden, Denmark and Finland in the text, in order."""
    found: dict[tuple[int, int], NationalIdFound] = {}
    for candidate in _CANDIDATES:
        for match in candidate.finditer(text):
            date, rest = match["date"], match["rest"]
            sep = _separator(match["sep"])
            span = match.span()
            if span in found:
                continue
            for country, valid in _SCHEMES:
                if valid(date, sep, rest):
                    found[span] = NationalIdFound(country, *span)
                    break
    return sorted(found.values(), key=lambda f: (f.start, f.end))


def contains_national_id(text: str) -> bool:
    return bool(national_ids_in(text))


def check_no_national_id(value: str, *, field: str) -> str:
    """The text unchanged, or `SENSITIVE_DATA` naming the field: the message says why and never
    repeats the number (it would land in the client's logs and screenshots)."""
    if contains_national_id(value):
        raise DomainError(MESSAGE, field=field, code=SENSITIVE_DATA)
    return value
