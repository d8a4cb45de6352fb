"""Checks of identity documents and phone numbers, shared by forms, imports and the API.

Each ``validate_*`` function takes what a person typed, raises ``ValidationError`` with a
translatable message when it is wrong and returns the value in its stored form (upper
case, no spaces, no country prefix), so that callers store and blind-index the same text.
"""

from __future__ import annotations

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError

MOBILE = re.compile(r"^1[3-9]\d{9}$")
# ICAO 9303 allows up to 9 characters in the machine-readable zone; some countries use
# letters only at the start (E12345678, EA1234567, G12345678, K1234567...).
PASSPORT = re.compile(r"^(?=.*\d)[A-Z0-9]{6,9}$")

# First two digits of a resident ID: the province (GB/T 2260), 71 Taiwan, 81/82 HK/Macao.
PROVINCE_CODES = frozenset(
    {
        *range(11, 16),
        *range(21, 24),
        *range(31, 38),
        *range(41, 47),
        *range(50, 55),
        *range(61, 66),
        71,
        81,
        82,
    }
)
OLDEST_BIRTH_DATE = date(1900, 1, 1)


def _compact(value: str) -> str:
    return "".join(str(value).split()).replace("-", "").upper()


def validate_resident_id(value: str) -> str:
    """Check an 18-character PRC resident ID number (GB 11643): digits, birth date, check.

    The county part is not looked up: codes of merged or renamed counties stay on valid
    cards for decades.
    """
    number = _compact(value)
    if len(number) != 18:
        raise ValidationError(
            _("A resident ID number has 18 characters (you entered %(count)d)."),
            code="resident_id_length",
            params={"count": len(number)},
        )
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValidationError(
            _("A resident ID number is 17 digits followed by a digit or X."),
            code="resident_id_format",
        )
    if int(number[:2]) not in PROVINCE_CODES:
        raise ValidationError(
            _("This resident ID number does not start with a province code."),
            code="resident_id_province",
        )
    try:
        birth_date = ric.get_birth_date(number)
    except StdnumError:
        birth_date = None
    if birth_date is None or not OLDEST_BIRTH_DATE <= birth_date <= timezone.localdate():
        raise ValidationError(
            _("The birth date in this resident ID number is not a real date."),
            code="resident_id_birth_date",
        )
    if ric.calc_check_digit(number) != number[17]:
        raise ValidationError(
            _("This resident ID number is wrong: its check character does not match."),
            code="resident_id_checksum",
        )
    return number


def resident_id_birth_date(value: str) -> date:
    """The birth date encoded in a valid resident ID number."""
    return ric.get_birth_date(_compact(value))


def resident_id_gender(value: str) -> str:
    """``"male"`` or ``"female"``: the parity of the 17th digit of a valid resident ID."""
    return "male" if int(_compact(value)[16]) % 2 else "female"


def validate_resident_id_matches(value: str, *, birth_date=None, gender: str = "") -> None:
    """Check a valid resident ID number against the birth date and gender entered with it."""
    errors = {}
    if birth_date and resident_id_birth_date(value) != birth_date:
        errors["birth_date"] = ValidationError(
            _("The birth date does not match the resident ID number."),
            code="resident_id_birth_date_mismatch",
        )
    if gender and resident_id_gender(value) != gender:
        errors["gender"] = ValidationError(
            _("The gender does not match the resident ID number."),
            code="resident_id_gender_mismatch",
        )
    if errors:
        raise ValidationError(errors)


def validate_passport(value: str) -> str:
    """Check a passport number: 6 to 9 letters and digits, at least one digit."""
    number = _compact(value)
    if not PASSPORT.match(number):
        raise ValidationError(
            _("A passport number has 6 to 9 letters and digits."), code="passport_format"
        )
    return number


def validate_uscc(value: str) -> str:
    """Check a unified social credit code (GB 32100): 18 characters with a check character."""
    code = _compact(value)
    if len(code) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters (you entered %(count)d)."),
            code="uscc_length",
            params={"count": len(code)},
        )
    try:
        uscc.validate(code)
    except uscc.InvalidChecksum:
        raise ValidationError(
            _("This unified social credit code is wrong: its check character does not match."),
            code="uscc_checksum",
        ) from None
    except StdnumError:
        raise ValidationError(
            _("This is not a unified social credit code: check the letters and digits."),
            code="uscc_format",
        ) from None
    return code


def validate_mobile(value: str) -> str:
    """Check a mainland China mobile number (11 digits from 13–19), +86 allowed in front."""
    number = _compact(value).replace("(", "").replace(")", "")
    for prefix in ("+86", "0086"):
        number = number.removeprefix(prefix)
    if not MOBILE.match(number):
        raise ValidationError(
            _("Enter a mainland mobile number: 11 digits starting with 13 to 19."),
            code="mobile_format",
        )
    return number


def validate_id_number(id_type: str, value: str) -> str:
    """Check ``value`` as a document of ``id_type`` (a ``Customer.IdType`` value)."""
    validators = {
        "resident_id": validate_resident_id,
        "passport": validate_passport,
        "uscc": validate_uscc,
    }
    if id_type not in validators:
        raise ValidationError(_("Choose the type of the ID document."), code="id_type")
    return validators[id_type](value)
