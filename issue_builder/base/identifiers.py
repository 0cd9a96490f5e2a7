"""ISSN check digits and the EAN-13 a periodical prints on its cover (977 prefix, issue add-on), with python-stdnum."""

from __future__ import annotations

import re

from stdnum import ean, issn
from stdnum.exceptions import ValidationError

# the spellings a manifest may use: 12345679 or 1234-5679, a lower-case x for the check digit X
_ISSN = re.compile(r"^\d{4}-?\d{3}[\dX]$")


def issn_problem(number: str) -> str | None:
    """None when `number` is well formed with a correct check digit, else what is wrong."""
    if not _ISSN.match(number.strip().upper()):
        return "expected an ISSN such as 1234-5679"
    try:
        issn.validate(number)
    except ValidationError:
        digits = issn.compact(number)
        return (
            f"check digit is {digits[-1]}, but the digits {digits[:4]}-{digits[4:7]} "
            f"need {issn.calc_check_digit(digits[:-1])}"
        )
    return None


def issn_check_digit(seven: str) -> str:
    """The check digit (0-9 or X) of the ISSN whose first seven digits are `seven`."""
    return issn.calc_check_digit(seven)


def format_issn(number: str) -> str:
    """The ISSN as it is printed: 1234-5679."""
    return issn.format(number)


def ean13_for_issn(number: str, variant: str = "00") -> str:
    """The 13-digit EAN of a serial: 977, the ISSN's seven digits, the variant (price) code, a check digit.

    Raises ValueError (stdnum's ValidationError) for an invalid ISSN or a variant that is not two digits.
    """
    if not re.fullmatch(r"\d{2}", variant):
        raise ValueError(f"EAN-13 variant code must be two digits, not {variant!r}")
    return issn.to_ean(number, variant)


def ean_check_digit(twelve: str) -> str:
    """The check digit of the EAN-13 whose first twelve digits are `twelve`."""
    return ean.calc_check_digit(twelve)
