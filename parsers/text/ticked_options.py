"""Reading tick boxes such as "☑政策解读 □数字化转型" or "外贸（√）".

Applicants put a mark before its option ("☑外贸"), after it ("外贸√",
"外贸（√）"), with or without spaces, and sometimes mix the two in one
cell. So no convention is assumed for a whole cell: each mark binds to the
option it touches.

* A mark binds to the option on the side with no gap; failing that, to the
  nearer one (the gap counted in characters).
* A tie is broken by the mark's own form (a bracketed mark follows its
  option) or by the side every other mark in the text plainly took; when
  nothing breaks it, the options on both sides are ``ambiguous`` and the
  field goes to review rather than guess.
* A character of the Unicode private-use area where a mark would be is a
  symbol-font glyph nobody could decode (see ``readers.symbol_fonts``): it
  is a mark whose state is unknown, so its option is ``ambiguous`` too.

Options are recognised written out in full or by a short form that can
only mean one of them (``short_form``): "线上" for 线上志愿服务, "数转" for
数字化转型; in a plain list also said at length ("精准对接服务").
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

TICKED_MARKS = "☑■√✓✔☒▣▪✅⊠⌧🗹🗸"
UNTICKED_MARKS = "□☐◻▢"
_BRACKETED_TICK = re.compile(r"[\[\(（【]\s*[√✓✔■☑☒xX×]\s*[\]\)）】]")
_BRACKETED_BLANK = re.compile(r"[\[\(（【][ \u3000]*[\]\)）】]")
_PRIVATE_USE = re.compile(r"[\ue000-\uf8ff]")
# What OCR makes of a tick box it cannot read, glued before the option.
_UNREAD_BOX = re.compile(r"^[Xx×]")
# Words as applicants write options: runs of Chinese characters.
_WORD = re.compile(r"[\u3400-\u9fff]+")

TICKED, BLANK, UNKNOWN = "ticked", "blank", "unknown"
LEFT, RIGHT = "left", "right"


@dataclass
class TickReading:
    ticked: list[str] = field(default_factory=list)  # in the options' order
    has_marks: bool = False  # the text used tick boxes at all
    # Options a mark could belong to as much as to its neighbour: the field
    # goes to review rather than guess which was meant.
    ambiguous: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Mark:
    start: int
    end: int
    state: str
    bracketed: bool = False


@dataclass(frozen=True)
class _Option:
    start: int
    end: int
    name: str


def _is_subsequence(short: str, full: str) -> bool:
    remaining = iter(full)
    return all(ch in remaining for ch in short)


def short_form(word: str, options: tuple[str, ...]) -> Optional[str]:
    """The one option ``word`` abbreviates: its characters, in order, found
    in that option and in no other ("线上" → 线上志愿服务, "智造" → 智能制造;
    "志愿服务" is every mode's, so none). At least two characters."""
    if len(word) < 2:
        return None
    matches = [option for option in options if len(word) < len(option) and _is_subsequence(word, option)]
    return matches[0] if len(matches) == 1 else None


def _marks(text: str) -> list[_Mark]:
    marks: list[_Mark] = []
    taken = [False] * len(text)
    for pattern, state in ((_BRACKETED_TICK, TICKED), (_BRACKETED_BLANK, BLANK)):
        for match in pattern.finditer(text):
            if not any(taken[match.start():match.end()]):
                marks.append(_Mark(match.start(), match.end(), state, bracketed=True))
                taken[match.start():match.end()] = [True] * (match.end() - match.start())
    for index, ch in enumerate(text):
        if taken[index]:
            continue
        if ch in TICKED_MARKS:
            marks.append(_Mark(index, index + 1, TICKED))
        elif ch in UNTICKED_MARKS:
            marks.append(_Mark(index, index + 1, BLANK))
        elif _PRIVATE_USE.match(ch):
            marks.append(_Mark(index, index + 1, UNKNOWN))
    return sorted(marks, key=lambda mark: mark.start)


def _options(text: str, options: tuple[str, ...], marks: list[_Mark]) -> list[_Option]:
    """Options named in full, then short forms among the words left over."""
    masked = list(text)
    for mark in marks:
        masked[mark.start:mark.end] = " " * (mark.end - mark.start)
    found: list[_Option] = []
    names = "|".join(re.escape(option) for option in sorted(options, key=len, reverse=True))
    for match in re.finditer(names, "".join(masked)):
        found.append(_Option(match.start(), match.end(), match.group(0)))
        masked[match.start():match.end()] = " " * (match.end() - match.start())
    for word in _WORD.finditer("".join(masked)):
        option = short_form(word.group(0), options)
        if option:
            found.append(_Option(word.start(), word.end(), option))
    return sorted(found, key=lambda option: option.start)


def _neighbours(mark: _Mark, marks: list[_Mark], options: list[_Option]) -> tuple[_Option | None, _Option | None]:
    """The options either side of a mark with no other mark in between."""
    before = [m.end for m in marks if m.end <= mark.start]
    after = [m.start for m in marks if m.start >= mark.end]
    limit_left = max(before, default=-1)
    limit_right = min(after, default=10**9)
    left = [o for o in options if limit_left <= o.start and o.end <= mark.start]
    right = [o for o in options if mark.end <= o.start and o.end <= limit_right]
    return (left[-1] if left else None), (right[0] if right else None)


def _side(mark: _Mark, left: _Option | None, right: _Option | None) -> str | None:
    """The side a mark plainly binds to, or None for a tie."""
    if left is None or right is None:
        return LEFT if left is not None else RIGHT
    left_gap, right_gap = mark.start - left.end, right.start - mark.end
    if left_gap != right_gap:
        return LEFT if left_gap < right_gap else RIGHT
    return None


def read_ticks(text: str, options: tuple[str, ...]) -> TickReading:
    marks = _marks(text)
    if not marks:
        return TickReading()
    named = _options(text, options, marks)
    if not named:
        return TickReading()  # marks for some other question (e.g. gender)
    placed = []
    for mark in marks:
        left, right = _neighbours(mark, marks, named)
        if left is None and right is None:
            continue
        placed.append((mark, left, right, _side(mark, left, right)))
    # The convention the decided marks show, to settle a tie.
    sides = {side for _, _, _, side in placed if side is not None}
    convention = sides.pop() if len(sides) == 1 else None
    states: dict[str, set[str]] = {}
    ambiguous: set[str] = set()
    for mark, left, right, side in placed:
        if side is None:
            side = LEFT if mark.bracketed else convention
        if side is None:
            if mark.state != BLANK:  # a blank box on either side leaves both unticked
                ambiguous.update({left.name, right.name})
            continue
        option = left if side == LEFT else right
        states.setdefault(option.name, set()).add(mark.state)
    for name, seen in states.items():
        if UNKNOWN in seen or len(seen) > 1:
            ambiguous.add(name)
    ticked = {name for name, seen in states.items() if seen == {TICKED}} - ambiguous
    return TickReading(ticked=[o for o in options if o in ticked], has_marks=True,
                       ambiguous=[o for o in options if o in ambiguous])


def _said_at_length(word: str, options: tuple[str, ...]) -> Optional[str]:
    """The one option ``word`` holds whole with a few Chinese words of its
    own around it ("精准对接服务", "法律咨询"), or after the cross OCR makes
    of a tick box it cannot read ("X精准对接"); None when it holds two
    options, more words of its own than the option has, or anything else
    ("R线上志愿服务": a symbol-font mark nobody decoded, its state unknown)."""
    word = _UNREAD_BOX.sub("", word)
    if not _WORD.fullmatch(word):
        return None
    held = [option for option in options if option in word and len(word) - len(option) <= len(option)]
    return held[0] if len(held) == 1 else None


def named_options(text: str, options: tuple[str, ...]) -> Optional[list[str]]:
    """The options a plain list names ("财税、会计", "线上，对接"), in the
    options' order; None unless every part of it names one."""
    named = set()
    # A colon between two options is an enumeration comma misread ("外贸：法律；企业管理").
    for part in (part for part in re.split(r"[、,，;；:：/／\s]+", text) if part):
        if part in options:
            named.add(part)
            continue
        # "财税会计", "线上服务线下精准对接": options run together when the 、 or
        # the gap between them was lost (OCR). Before the readings of one
        # option: "数字化转型法律" also reads as 数字化转型 said at length.
        run = _run_of_options(part, options)
        option = None if run else short_form(part, options) or _said_at_length(part, options)
        if option is None and not run:
            return None
        named.update(run or [option])
    return [option for option in options if option in named] or None


def _run_of_options(part: str, options: tuple[str, ...]) -> Optional[list[str]]:
    """``part`` as two or more distinct options written back to back, each
    in full or by its short form ("财税会计", "线上服务线下精准对接"), when
    every way to cut it names the same options; else None. So is a run
    whose last word ends in a word both of two neighbours' options hold
    ("线上线下服务"): written once for both, or part of one, nobody can say."""
    cuts = _cuts(part, options, max(len(option) for option in options))
    named = {frozenset(option for _, option in cut) for cut in cuts}
    if len(named) != 1 or any(_shares_a_tail(cut, options) for cut in cuts):
        return None
    chosen = named.pop()
    return sorted(chosen, key=options.index) if len(chosen) >= 2 else None


def _cuts(part: str, options: tuple[str, ...], longest: int) -> list[list[tuple[str, str]]]:
    """Every way to cut ``part`` into words each naming a distinct option."""
    if not part:
        return [[]]
    found = []
    for end in range(2, min(len(part), longest) + 1):
        word = part[:end]
        option = word if word in options else short_form(word, options)
        if option is not None:
            found.extend([(word, option), *rest] for rest in _cuts(part[end:], options, longest)
                         if all(option != taken for _, taken in rest))
    return found


def _shares_a_tail(cut: list[tuple[str, str]], options: tuple[str, ...]) -> bool:
    """A word's end would also finish the word before it ("线上" + "线下服务":
    线上服务 and 线下 read as well as 线上 and 线下服务)."""
    for (first, first_option), (second, second_option) in zip(cut, cut[1:]):
        for at in range(1, len(second) - 1):
            head, tail = second[:at], second[at:]
            if (short_form(first + tail, options) == first_option
                    and (head == second_option or short_form(head, options) == second_option)):
                return True
    return False


def merge_readings(readings: list[TickReading], options: tuple[str, ...]) -> TickReading:
    ticked = {option for reading in readings for option in reading.ticked}
    ambiguous = {option for reading in readings for option in reading.ambiguous}
    return TickReading(
        ticked=[o for o in options if o in ticked],
        has_marks=any(reading.has_marks for reading in readings),
        ambiguous=[o for o in options if o in ambiguous],
    )
