"""What the parser should return for a drawn form: the ground truth.

Canonical values, whatever way the applicant wrote them: birth_date
``YYYY-MM``, fill_date ``YYYY-MM-DD``, the county's full name, ethnicity
with 族, the ID number with an upper-case X, mobile as 11 digits, office
phone ``0759-nnnnnnn``, e-mail in lower case, ticked options as a list in
the form's option order. A long answer written over several lines is its
lines joined by a line break (a scan cannot tell a break from wrapping, so
the bench compares long answers with line breaks ignored). A field left
blank, or answered 无 or /, is absent.
"""
from __future__ import annotations

from devtools.samples.layouts.people import Person


def true_value(person: Person, key: str):
    if key == "birth_date":
        return person.birth[:7]
    value = getattr(person, key)
    if isinstance(value, list):
        return "\n".join(value) if key in ("specialty", "experience", "achievements") else list(value)
    return value


def expected_fields(entries) -> dict:
    """The fields a filled form answers, from its entries, in form order."""
    truth: dict = {}
    for entry in entries:
        truth.update(entry.answers)
    return truth
