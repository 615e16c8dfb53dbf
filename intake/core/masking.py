"""Hide ID-card and mobile numbers before text leaves the database.

Replies quote parsed fields back to applicants, and errors and logs may quote
mail; none of them should carry a full 身份证号码 or 手机号码. Everything here
is pure. The guarantee ``redact_text`` gives (checked by property tests): its
output never contains a match of ``ID_NUMBER_PATTERN`` or ``MOBILE_PATTERN``,
and a number written with spaces, dashes, dots or full-width digits
("4408 0219 7805 1212 34", "１３８－１２３４－５６７８") is masked too.
"""
from __future__ import annotations

import re
from typing import Any

# What counts as "a full number" for the guarantee; the tests use the same ones.
ID_NUMBER_PATTERN = re.compile(r"\d{17}[\dXx]")
MOBILE_PATTERN = re.compile(r"1[3-9]\d{9}")

# Every match of either pattern lies inside one maximal run of digits (an ID's
# final X included), so masking whole runs cannot leave or create a match.
_DIGIT_RUN = re.compile(r"\d+[Xx]?")
# Mobiles written in groups ("138 1234 1234", "138-1234-1234") escape the
# pattern above but are just as personal.
_GROUPED_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)([ -])\d{4}([ -])(\d{4})(?!\d)")
# 0759-2345678, (0759)2345678, 0759 2345678 转 123
_OFFICE_PHONE = re.compile(r"^\(?(0\d{2,3})\)?[\s-]?(\d{7,8})(?:\s*(?:-|转|ext\.?)\s*\d{1,6})?$", re.IGNORECASE)
_MOBILE_WITH_PREFIX = re.compile(r"^(?:\+?86[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})$")
_ID_SHAPE = re.compile(r"^(\d{6})(\d{5}|\d{8})(\d{3}[\dXx]|\d{4})$")

# Digits as people type them: ASCII or full-width, in groups joined by a
# space, dash or dot. Only a group whose digits alone are exactly an ID or a
# mobile (optionally +86) counts, so "1998.07-2003.06" in a CV stays readable.
_DIGIT = "0-9\uff10-\uff19"
_SEPARATOR = " \t\u3000\\-.\uff0d\uff0e\u2010-\u2014·"
_SEPARATED_NUMBER = re.compile(
    rf"(?<![{_DIGIT}])\+?[{_DIGIT}](?:[{_SEPARATOR}]{{0,2}}[{_DIGIT}])+(?:[{_SEPARATOR}]{{0,2}}[XxＸｘ])?(?![{_DIGIT}])"
)
_WHOLE_ID = re.compile(r"\d{17}[\dX]")
_WHOLE_MOBILE = re.compile(r"(?:86)?1[3-9]\d{9}")

ID_NUMBER_KEYS = frozenset({"id_number"})
PHONE_KEYS = frozenset({"mobile", "office_phone"})

STAR = "*"


def mask_id_number(value: str) -> str:
    """``440802197805121234`` → ``440802********1234``; 15-digit IDs keep the same ends."""
    compact = re.sub(r"\s+", "", value or "")
    shape = _ID_SHAPE.match(compact)
    if shape:
        head, middle, tail = shape.groups()
        return head + STAR * len(middle) + tail.upper()
    return _keep_last_digits(compact, 4)


def mask_phone(value: str) -> str:
    """Mobiles keep 3 + 4 digits (``138****1234``); office phones keep area code + last 4."""
    compact = (value or "").strip()
    mobile = _MOBILE_WITH_PREFIX.match(compact)
    if mobile:
        head, _middle, tail = mobile.groups()
        return f"{head}****{tail}"
    office = _OFFICE_PHONE.match(compact)
    if office:
        area, number = office.groups()
        return f"{area}-{STAR * (len(number) - 4)}{number[-4:]}"
    # Several numbers in one cell, or a shape we don't know: keep only the last
    # four digits of the whole value, which is enough for the owner to recognise.
    return _keep_last_digits(compact, 4)


def mask_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """A copy of parsed form fields safe to show outside the review app."""
    masked: dict[str, Any] = {}
    for key, value in fields.items():
        if key in ID_NUMBER_KEYS | PHONE_KEYS and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # a spreadsheet cell can hand us the number itself
        if key in ID_NUMBER_KEYS and isinstance(value, str):
            masked[key] = mask_id_number(value)
        elif key in PHONE_KEYS and isinstance(value, str):
            masked[key] = mask_phone(value)
        else:
            # A number typed into the wrong cell (备注, 工作简历) is still personal.
            masked[key] = _redact_value(value)
    return masked


def redact_text(text: str) -> str:
    """Mask every ID-number and mobile-number lookalike in free text (logs, errors)."""
    if not text:
        return text
    text = _SEPARATED_NUMBER.sub(_mask_written_number, text)
    text = _DIGIT_RUN.sub(_mask_run_if_sensitive, text)
    return _GROUPED_MOBILE.sub(lambda m: f"{m.group(1)}{m.group(2)}****{m.group(3)}{m.group(4)}", text)


def _mask_written_number(match: re.Match[str]) -> str:
    """An ID or mobile written in groups or full width: hide all but its ends,
    keeping the writer's separators so the owner still recognises it."""
    written = match.group(0)
    positions = [i for i, char in enumerate(written) if char.isdigit() or char in "XxＸｘ"]
    compact = "".join(_ascii_digit(written[i]) for i in positions).upper()
    if _WHOLE_ID.fullmatch(compact):
        keep_head, keep_tail = 6, 4
    elif _WHOLE_MOBILE.fullmatch(compact):
        keep_head, keep_tail = len(compact) - 8, 4
    else:
        return written
    hidden = set(positions[keep_head: len(positions) - keep_tail])
    return "".join(STAR if i in hidden else char for i, char in enumerate(written))


def _ascii_digit(char: str) -> str:
    if "\uff10" <= char <= "\uff19":
        return chr(ord(char) - 0xFF10 + ord("0"))
    return {"Ｘ": "X", "ｘ": "X"}.get(char, char)


def _mask_run_if_sensitive(match: re.Match[str]) -> str:
    run = match.group(0)
    if len(run) < 11 or not (ID_NUMBER_PATTERN.search(run) or MOBILE_PATTERN.search(run)):
        return run
    if len(run) == 18:
        return mask_id_number(run)
    if len(run) == 11:
        return run[:3] + STAR * 4 + run[-4:]
    # Longer runs (an ID glued to a phone, +86 prefixes): the ends alone.
    return run[:3] + STAR * (len(run) - 7) + run[-4:]


def _keep_last_digits(value: str, keep: int) -> str:
    digit_positions = [i for i, char in enumerate(value) if char.isdigit()]
    if len(digit_positions) <= keep:
        # Too short to be an ID or phone number; still hide it entirely.
        keep = 0
    hidden = set(digit_positions[: len(digit_positions) - keep])
    return "".join(STAR if i in hidden else char for i, char in enumerate(value))


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, list):
        return [_redact_value(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_redact_value(item) for item in value)
    if isinstance(value, dict):
        return {key: _redact_value(item) for key, item in value.items()}
    if isinstance(value, int) and not isinstance(value, bool):
        as_text = str(value)
        redacted = redact_text(as_text)
        return value if redacted == as_text else redacted
    return value
