"""ISSN check digits and the EAN-13 a periodical prints on its cover (977 prefix, issue add-on)."""

from __future__ import annotations

import re

_ISSN = re.compile(r"^(\d{4})-?(\d{3})([\dX])$")


def issn_problem(issn: str) -> str | None:
    """None when `issn` is well formed with a correct check digit, else what is wrong."""
    match = _ISSN.match(issn.strip().upper())
    if not match:
        return "expected an ISSN such as 1234-5679"
    digits = match.group(1) + match.group(2)
    expected = issn_check_digit(digits)
    if match.group(3) != expected:
        return f"check digit is {match.group(3)}, but the digits {digits[:4]}-{digits[4:]} need {expected}"
    return None


def issn_check_digit(seven: str) -> str:
    total = sum(int(d) * w for d, w in zip(seven, range(8, 1, -1)))
    value = (11 - total % 11) % 11
    return "X" if value == 10 else str(value)


def ean13_for_issn(issn: str, variant: str = "00") -> str:
    """The 13-digit EAN of a serial: 977, the ISSN's seven digits, the variant (price) code, a check digit."""
    digits = re.sub(r"[^0-9X]", "", issn.upper())[:7]
    body = f"977{digits}{variant}"
    return body + ean_check_digit(body)


def ean_check_digit(twelve: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(twelve))
    return str((10 - total % 10) % 10)
