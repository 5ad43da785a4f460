"""National identity numbers per country, validated with python-stdnum, and their masked form.

The masked form is what everyone reads: the birth-date part, then `*****` (Avonova's manual:
'120523*****'). The full value is only ever handed to the encryption adapter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from types import ModuleType

from portal_kit.domain import DomainError
from stdnum.dk import cpr
from stdnum.exceptions import InvalidChecksum, InvalidComponent, ValidationError
from stdnum.fi import hetu
from stdnum.no import fodselsnummer
from stdnum.se import personnummer

from portal_people.domain.messages import _

# The scope that shows a national ID in full (every reveal audited as an event).
REVEAL_SCOPE = "people:national-id:reveal"

_SCHEMES: dict[str, ModuleType] = {
    "NO": fodselsnummer,
    "SE": personnummer,
    "DK": cpr,
    "FI": hetu,
}
MASK = "*****"
FIELD = "nationalId"


@dataclass(frozen=True)
class NationalId:
    value: str  # the country's compact form; secret
    masked: str
    birth_date: date | None

    def __repr__(self) -> str:  # never in logs or tracebacks
        return f"NationalId(masked={self.masked!r})"


# Finnish HETU: the seventh character names the century (python-stdnum has no helper for it).
_HETU_CENTURY = {"+": 1800, "-": 1900, "A": 2000}
_HETU_CENTURY.update(dict.fromkeys("YXWVU", 1900))
_HETU_CENTURY.update(dict.fromkeys("BCDEF", 2000))


def _hetu_birth_date(value: str) -> date:
    century = _HETU_CENTURY.get(value[6].upper())
    if century is None:
        raise InvalidComponent()
    return date(century + int(value[4:6]), int(value[2:4]), int(value[0:2]))


def parse_national_id(raw: str, country: str) -> NationalId:
    scheme = _SCHEMES.get(country)
    if scheme is None:
        raise DomainError(_("this portal's country has no national ID scheme"), field=FIELD)
    cleaned = raw.strip()
    if len(cleaned) > 20:
        raise DomainError(_("not a valid national ID"), field=FIELD, code="INVALID_NATIONAL_ID")
    try:
        value = str(scheme.validate(cleaned))
        birth = _hetu_birth_date(value) if scheme is hetu else scheme.get_birth_date(value)
    except InvalidChecksum:
        raise DomainError(
            _("the national ID's check digits are wrong"), field=FIELD, code="INVALID_CHECKSUM"
        ) from None
    except InvalidComponent:
        raise DomainError(
            _("the national ID does not hold a valid birth date"), field=FIELD, code="INVALID_DATE"
        ) from None
    except (ValidationError, ValueError, TypeError):
        raise DomainError(
            _("not a valid national ID"), field=FIELD, code="INVALID_NATIONAL_ID"
        ) from None
    digits = "".join(c for c in value if c.isdigit())
    if len(digits) == 12:  # Swedish with the century (19880320-0016): the manual's form is YYMMDD
        digits = digits[2:]
    return NationalId(value=value, masked=digits[:6] + MASK, birth_date=birth)
