"""Names an answer is written with, read one character off: the form's
place names ("厂东省湛江市美川市…") and an employer's legal form ("（晋通合伙）").

Addresses and employers on this form name the province, the city and one of
its districts or counties (the county field's options), and the recogniser
takes a character of them for a look-alike (广 as 厂, 吴 as 美, 廉 as 康)
as readily as anywhere. Where such a name can stand — at the start of the
text, or right after the name above it (广东省 → 湛江市 → a county) — a
reading one character off it, its last character (省, 市, 区, 县) right, is
that name. A near name is put right only beside a name read exactly: "山东省" before
湛江市 cannot be, but "镇江市" alone is a real city; anywhere else in the
text a near name is left as read.
The cell's confidence is not raised: a character was misread there.

A partnership writes its legal form in brackets after its name, in the
words of the Partnership Enterprise Law (普通合伙, 特殊普通合伙, 有限合伙):
a bracketed note one character off one of them, and off no other, is it.
"""
from __future__ import annotations

import re
from functools import lru_cache

from parsers.schema import load_schema

PROVINCE, CITY = "广东省", "湛江市"
LEGAL_FORMS = ("普通合伙", "特殊普通合伙", "有限合伙")
_NOTE = re.compile(r"(?<=[(（])[\u4e00-\u9fff]{4,6}(?=[)）])")


@lru_cache(maxsize=1)
def _counties() -> tuple[str, ...]:
    return tuple(option for spec in load_schema().fields if spec.kind == "county"
                 for option in spec.options if len(option) == 3)


def one_character_apart(read: str, name: str) -> bool:
    """``read`` is ``name`` with one character read as another (as long, one place differs)."""
    return len(read) == len(name) and sum(a != b for a, b in zip(read, name)) == 1


def _one_off(read: str, name: str) -> bool:
    return read[-1:] == name[-1:] and one_character_apart(read, name)


def _name_at(text: str, at: int, names: tuple[str, ...]) -> str | None:
    """The one name of ``names`` standing at ``at``, as read or one character off."""
    read = text[at:at + 3]
    if read in names:
        return read
    near = [name for name in names if _one_off(read, name)]
    return near[0] if len(near) == 1 else None


def with_place_names_restored(text: str) -> str:
    """``text`` (one line) with the province, city and county at its start
    put right where one is a character off and a name beside it stands
    exactly as written (so "镇江市…" alone, a real city, is left as read)."""
    at, found = 0, []  # (where, the name, read exactly)
    for names in ((PROVINCE,), (CITY,), _counties()):
        name = _name_at(text, at, names)
        if name is None:
            if found:
                break
            continue  # the address may start lower down: "湛江市…", "吴川市…"
        found.append((at, name, text[at:at + 3] == name))
        at += 3
    out = text
    for number, (where, name, exact) in enumerate(found):
        beside = [found[n][2] for n in (number - 1, number + 1) if 0 <= n < len(found)]
        if not exact and any(beside):
            out = out[:where] + name + out[where + 3:]
    return out


def with_legal_form_restored(text: str) -> str:
    """``text`` with a bracketed legal form read one character off put right."""
    def restored(note: re.Match) -> str:
        near = [form for form in LEGAL_FORMS if one_character_apart(note.group(), form)]
        return near[0] if len(near) == 1 else note.group()
    return _NOTE.sub(restored, text)
