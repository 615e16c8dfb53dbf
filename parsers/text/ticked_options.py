"""Reading tick boxes such as "☑政策解读 □数字化转型" or "外贸（√）".

Forms mark a choice before the option ("☑外贸") or, less often, after it in
brackets ("外贸（√）"). Which convention a piece of text uses is decided by
whether a marker comes before its first option; mixing both in one cell is
not something applicants do.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

TICKED_MARKS = "☑■√✓✔☒▣▪✅"
UNTICKED_MARKS = "□☐◻▢"
# Stand-ins for bracketed marks, so "[√]" reads as one mark.
_BRACKET_TICKED = "\u2611"
_BRACKET_UNTICKED = "\u2610"
_BRACKETED_TICK = re.compile(r"[\[\(（【]\s*[√✓✔■☑xX×]\s*[\]\)）】]")
_BRACKETED_BLANK = re.compile(r"[\[\(（【][ \u3000]*[\]\)）】]")


@dataclass
class TickReading:
    ticked: list[str] = field(default_factory=list)  # in the options' order
    has_marks: bool = False  # the text used tick boxes at all
    # Options a mark could belong to as much as to its neighbour: the field
    # goes to review rather than guess which was meant.
    ambiguous: list[str] = field(default_factory=list)


def _tokenise(text: str, options: tuple[str, ...]) -> list[tuple[str, str]]:
    text = _BRACKETED_TICK.sub(_BRACKET_TICKED, text)
    text = _BRACKETED_BLANK.sub(_BRACKET_UNTICKED, text)
    names = "|".join(re.escape(option) for option in sorted(options, key=len, reverse=True))
    marks = re.escape(TICKED_MARKS + UNTICKED_MARKS)
    pattern = re.compile(rf"([{marks}])|({names})")
    tokens = []
    for match in pattern.finditer(text):
        if match.group(1):
            tokens.append(("mark", match.group(1)))
        else:
            tokens.append(("option", match.group(2)))
    return tokens


def read_ticks(text: str, options: tuple[str, ...]) -> TickReading:
    tokens = _tokenise(text, options)
    if not any(kind == "mark" for kind, _ in tokens):
        return TickReading()
    first_option = next((i for i, (kind, _) in enumerate(tokens) if kind == "option"), None)
    if first_option is None:
        return TickReading()  # marks for some other question (e.g. gender)
    marks_come_first = any(kind == "mark" for kind, _ in tokens[:first_option])
    ticked = set()
    for index, (kind, value) in enumerate(tokens):
        if kind != "option":
            continue
        neighbour = index - 1 if marks_come_first else index + 1
        if 0 <= neighbour < len(tokens) and tokens[neighbour][0] == "mark":
            if tokens[neighbour][1] in TICKED_MARKS:
                ticked.add(value)
    return TickReading(ticked=[o for o in options if o in ticked], has_marks=True)


def merge_readings(readings: list[TickReading], options: tuple[str, ...]) -> TickReading:
    ticked = {option for reading in readings for option in reading.ticked}
    ambiguous = {option for reading in readings for option in reading.ambiguous}
    return TickReading(
        ticked=[o for o in options if o in ticked],
        has_marks=any(reading.has_marks for reading in readings),
        ambiguous=[o for o in options if o in ambiguous],
    )
