"""The largest and earliest figures a bank ever sends: one place for every entry to check.

Partner feeds, imports, staff forms and the database (CHECK constraints) all refuse a
figure outside these bounds, so that nothing derived from them can overflow: a customer's
AUM is kept in fen in a ``bigint`` and shown through the API as ``numeric(18, 2)``, the
daily channel roll-up sums a day's transactions.

- A single balance or transaction amount: at most one trillion yuan (10^12 CNY). The
  largest Chinese bank's whole balance sheet is about 50 trillion; no one account or
  payment comes near 10^12.
- The total of one customer's balances (AUM, and each figure of a monthly balance): at
  most ten trillion yuan (10^13 CNY, 10^15 fen), far inside a ``bigint`` of fen (9.2 *
  10^18) and the API's 18 digits.
- A customer's monthly income figure (interest earned on their deposits or loans, fees,
  other income, as the finance system reports it) may be negative (a loss, a refund) and
  lies within ±10^12 CNY, like a single amount.
- A product's funds-transfer-pricing spread lies within ±100 % a year.
- Amounts and balances are never negative: a loan's or a card's balance is what the
  customer owes, stored as a positive amount (liability products), as core banking
  reports it.
- Dates: nothing before 1900 (a default date such as 0001-01-01 sent by mistake). Dates of
  what has happened (a birth, an account's opening, a month's closing balances) are not
  after today; dates that may be planned (a relationship's end) not more than a year
  ahead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import CheckConstraint, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

AMOUNT_PLACES = 2
# One balance or transaction, in CNY: 10^12 needs 13 whole digits.
MAX_AMOUNT = Decimal("1000000000000.00")
AMOUNT_DIGITS = 15
# One customer's total (AUM, a monthly balance's figures), in CNY.
MAX_CUSTOMER_TOTAL = Decimal("10000000000000.00")
CUSTOMER_TOTAL_DIGITS = 16
MAX_CUSTOMER_TOTAL_FEN = int(MAX_CUSTOMER_TOTAL * 100)
# One customer's income of one kind in one month, in CNY, either sign: ±10^12.
MAX_MONTHLY_INCOME = MAX_AMOUNT
# A product's annual spread (0.015 is 1.5 % a year), either sign; six places.
MAX_SPREAD_RATE = Decimal("1.000000")
SPREAD_RATE_PLACES = 6
SPREAD_RATE_DIGITS = 7
# The daily roll-ups add up a day's transactions: numeric(28, 2) holds 10^26, the sum of
# 10^14 maximal transactions, more than any day can bring.
ROLLUP_DIGITS = 28

EARLIEST_DATE = date(1900, 1, 1)
# How far ahead a planned date may lie.
PLANNING_HORIZON = timedelta(days=366)

# Database ids are bigint.
MAX_ID = 2**63 - 1
# The longest piece of a refused input an error message repeats.
ECHO_LIMIT = 100
PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)


def today() -> date:
    """Today in the active time zone: the latest date of anything that has happened."""
    return timezone.localdate()


def latest_planned_date() -> date:
    """The latest date a plan may name."""
    return today() + PLANNING_HORIZON


def shown(value: object, limit: int = ECHO_LIMIT) -> str:
    """``value`` as an error message may repeat it: at most ``limit`` characters, and
    without characters the database or the answer cannot hold (NUL, lone surrogates)."""
    text = str(value)
    text = "".join(
        "\ufffd" if char == "\x00" or "\ud800" <= char <= "\udfff" else char
        for char in text[: limit + 1]
    )
    return text if len(text) <= limit else text[: limit - 1] + "…"


def is_plain_number(text: str) -> bool:
    """Whether ``text`` is a number written with the digits 0-9, a sign and a decimal point.

    Python reads full-width (１２３) and Arabic-Indic (١٢٣) digits, exponents and "NaN" as
    numbers too; no bank's system sends those.
    """
    return PLAIN_NUMBER.fullmatch(text) is not None


def is_plain_date(text: str) -> bool:
    """Whether every digit of ``text`` is one of 0-9 (date parsers read any script's)."""
    return all(char.isascii() for char in text if char.isdigit())


# Models: the same bounds as field validators (model forms, the admin) and as CHECK
# constraints, the database's backstop for writers that bypass both (set-based upserts).


def amount_validators(largest: Decimal = MAX_AMOUNT) -> list[Callable[[Any], None]]:
    return [MinValueValidator(Decimal(0)), MaxValueValidator(largest)]


def signed_validators(largest: Decimal) -> list[Callable[[Any], None]]:
    """Between ``-largest`` and ``largest``."""
    return [MinValueValidator(-largest), MaxValueValidator(largest)]


def not_after_today(value: date) -> None:
    if value > today():
        raise ValidationError(_("This date has not come yet."), code="future")


def date_validators(*, past: bool = True) -> list[Callable[[Any], None]]:
    """From 1900 on; ``past``: not after today either."""
    return [MinValueValidator(EARLIEST_DATE), *([not_after_today] if past else [])]


def amount_check(
    field: str, *, name: str, largest: Decimal = MAX_AMOUNT, nullable: bool = False
) -> CheckConstraint:
    """A CHECK that ``field`` lies between 0 and ``largest`` (or is null, if it may be)."""
    return _check(field, Q(**{f"{field}__gte": 0, f"{field}__lte": largest}), name, nullable)


def signed_check(field: str, *, name: str, largest: Decimal) -> CheckConstraint:
    """A CHECK that ``field`` lies between ``-largest`` and ``largest``."""
    return _check(field, Q(**{f"{field}__gte": -largest, f"{field}__lte": largest}), name, False)


def date_check(field: str, *, name: str, nullable: bool = False) -> CheckConstraint:
    """A CHECK that ``field`` is from 1900 on; "not after today" cannot be a CHECK (it
    would change truth overnight): the validators and the API see to that."""
    return _check(field, Q(**{f"{field}__gte": EARLIEST_DATE}), name, nullable)


def _check(field: str, condition: Q, name: str, nullable: bool) -> CheckConstraint:
    if nullable:
        condition = Q(**{f"{field}__isnull": True}) | condition
    return CheckConstraint(condition=condition, name=name)
