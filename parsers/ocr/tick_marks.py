"""Tick boxes read from the image, written back as the text docx gives.

An option cell such as "□政策解读 ■数字化转型 √智能制造" is OCR'd like any
other cell, but OCR is poor at the marks themselves (□ comes out as 口, ■
as 国 or 回). So the marks are read twice:

* from the text: the character just before each option name (or the
  bracket just after it, "外贸（√）") is mapped from its look-alikes;
* from the ink: square boxes of about the text's height are found in the
  cell, and the ink inside each says ticked (■, ☑, a pen tick) or not (□);
  for marks in brackets after the options, the pairs of round brackets
  are found and a mark between them is a tick (``tick_shapes``).

When the boxes found are exactly one per option, the ink decides (and,
each box clearly inked or empty and agreeing with any mark the text shows,
the reading is sure whatever OCR thought of the mark glyphs); else the
text does. The result is rewritten as "☑政策解读 □数字化转型 …" so that
``parsers.text.ticked_options`` reads it like a docx cell. A confidence comes with it:
low where a mark is unclear or an option has no mark next to it.
"""
from __future__ import annotations

import re

import numpy as np

from parsers.ocr.option_stretches import starts_with_upright, stretches_by_line
from parsers.ocr.tick_shapes import Box, find_boxes, find_brackets
from parsers.schema import load_schema
from parsers.text.ticked_options import TICKED_MARKS, UNTICKED_MARKS, short_form

# The marks a docx uses, and what OCR makes of them.
TICKED_LOOKALIKES = TICKED_MARKS + "回国团図田区凶囚VvY∨～~丶×X"  # (×, X: a crossed box, ☒)
UNTICKED_LOOKALIKES = UNTICKED_MARKS + "口〇OoD0"
# A check mark written instead of a box ("✓行业发展") read as its long stroke
# alone: a tick only when the boxes in the ink leave room for it (``_strokes_as_ticks``).
STROKE_LOOKALIKES = "/／\\|｜丿"


def flattened(text: str) -> str:
    """A list's lines as one: a line break inside a list parts nothing (an option wraps)."""
    return re.sub(r"\s*\n\s*", "", text)


def tick_fields() -> dict[str, tuple[str, ...]]:
    return {spec.key: spec.options for spec in load_schema().fields if spec.kind == "ticks"}


def options_in(text: str, options: tuple[str, ...], *, misread: bool = False) -> list[tuple[int, int, str]]:
    """(start, end, option) of each option in the text, in order: named in
    full, or by short forms in what is left ("线上 □线下 ☑对接"; with the
    marks between them lost, "线下对接" is two short forms), and with
    ``misread``, in a list read from the ink, with one character misread
    (``misread_option``)."""
    names = "|".join(re.escape(o) for o in sorted(options, key=len, reverse=True))
    found = [(m.start(), m.end(), m.group(0)) for m in re.finditer(names, text)]
    for stretch in re.finditer(r"[\u4e00-\u9fff]{2,16}", _unnamed_text(text, options, found)):
        cut = _short_forms(stretch.group(0), options)
        guess = misread_option(stretch.group(0), options) if misread and not cut else None
        if guess and guess not in {option for *_, option in found}:
            cut = [(0, len(stretch.group(0)), guess)]
        found.extend((stretch.start() + start, stretch.start() + end, option) for start, end, option in cut)
    return sorted(found)


def _unnamed_text(text: str, options: tuple[str, ...], found: list[tuple[int, int, str]]) -> str:
    """``text`` with the options ``found`` and the marks blanked out: marks
    (and what OCR makes of them: 口, 国) part the words, unless an option
    uses the character."""
    in_options = set("".join(options))
    masked = [" " if ch in TICKED_LOOKALIKES + UNTICKED_LOOKALIKES and ch not in in_options else ch for ch in text]
    for start, end, _ in found:
        masked[start:end] = " " * (end - start)
    return "".join(masked)


MISREAD_FROM = 4  # characters: an option this long, one of them misread, is still told from the others
MISREAD_NAME_CONFIDENCE = 0.75  # a list with an option so named is read, and goes to review


def misread_option(word: str, options: tuple[str, ...]) -> str | None:
    """The one option ``word`` is with one character misread ("智能制适"
    for 智能制造, "数学化转型" for 数字化转型): as long, at least
    ``MISREAD_FROM`` characters, alike but for one, and no other option so
    close ("线X志愿服务" is either mode, so none)."""
    if len(word) < MISREAD_FROM:
        return None
    close = [option for option in options
             if len(option) == len(word) and sum(a != b for a, b in zip(option, word)) == 1]
    return close[0] if len(close) == 1 else None


def option_list(text: str) -> tuple[str, list[tuple[int, int, str]]] | None:
    """The flattened text and its options when, from the first option on, it
    is a list of a tick field's options (at least three, and nearly all of
    what follows the first is their names, marks and gaps), not prose that
    names a few ("熟悉数字化转型、科技创新、外贸等业务，……")."""
    flat = flattened(text)
    for options in tick_fields().values():
        found = options_in(flat, options)
        if len({option for *_, option in found}) < 3:
            continue
        rest = re.sub(r"[\s:：_]", "", flat[found[0][0]:])
        named = sum(end - start for start, end, _ in found)
        unnamed = len(rest) - named - sum(ch in TICKED_LOOKALIKES + UNTICKED_LOOKALIKES + "()（）[]【】" for ch in rest)
        if unnamed <= 0.25 * len(rest):
            return flat, found
    return None


def _short_forms(stretch: str, options: tuple[str, ...]) -> list[tuple[int, int, str]]:
    """``stretch`` cut wholly into short forms of distinct options, else []."""
    ways: list[list[tuple[int, int, str]] | None] = [[]] + [None] * len(stretch)
    for end in range(2, len(stretch) + 1):
        for start in range(0, end - 1):
            before = ways[start]
            option = short_form(stretch[start:end], options) if before is not None else None
            if option and all(option != taken for _, _, taken in before):
                ways[end] = [*before, (start, end, option)]
                break
    return ways[-1] or []


def _text_marks(text: str, found: list[tuple[int, int, str]]) -> list[str | None]:
    """"ticked", "unticked" or None (no mark) for each option, from the text."""
    marks: list[str | None] = []
    for start, end, _option in found:
        before = text[:start].rstrip(" \u3000")
        after = text[end:].lstrip(" \u3000")
        mark = None
        if before and before[-1] in TICKED_LOOKALIKES:
            mark = "ticked"
        elif before and before[-1] in UNTICKED_LOOKALIKES:
            mark = "unticked"
        bracket = re.match(r"^[\[\(（【]\s*([^\]\)）】\s]{0,2})\s*[\]\)）】]", after)
        if bracket:
            # Anything written in the brackets is a tick; an empty pair is not.
            mark = "ticked" if bracket.group(1) else "unticked"
        marks.append(mark)
    return marks


def _stroke_before(text: str, start: int) -> bool:
    before = text[:start].rstrip(" \u3000")
    return bool(before) and before[-1] in STROKE_LOOKALIKES


def _strokes_as_ticks(text: str, found: list[tuple[int, int, str]], states: list[str | None],
                      boxes: list[Box]) -> bool:
    """Options OCR read with a stroke before them ("智能制造/行业发展") are
    the ticked ones when, counting them so, the boxes found in the ink are
    all empty and exactly as many as the options not ticked: a check mark
    replaced those options' boxes. With no box in the ink at all, every
    option ticked so, one of them by a mark OCR did read as a tick
    ("√线上志愿服务 √线下志愿服务 /精准对接")."""
    strokes = [state is None and _stroke_before(text, start) for (start, _, _), state in zip(found, states)]
    ticked = sum(state == "ticked" or stroke for state, stroke in zip(states, strokes))
    return (any(strokes) and (bool(boxes) or "ticked" in states) and all(not box.ticked for box in boxes)
            and len(boxes) == len(found) - ticked)


def marks_by_stretches(text: str, ink: np.ndarray | None, line_height: int, found: list[tuple[int, int, str]],
                    boxes: list[Box]) -> list[str] | None:
    """Each option ticked or not, told by the ink line by line: each option
    OCR read stands apart with its mark, and one whose stretch of ink starts
    with an empty box is not ticked, one starting with a check mark written
    instead of the box is. None unless the cell's lines and stretches match
    the options one for one and every box found starts one of them."""
    if ink is None or not boxes:
        return None
    text_lines = [line for line in text.split("\n") if line.strip()]
    options = tuple(option for _, _, option in found)
    per_line = [[option for *_, option in options_in(line, options, misread=True)] for line in text_lines]
    if [option for line in per_line for option in line] != list(options):
        return None
    lines = stretches_by_line(ink, line_height)
    if len(lines) != len(text_lines):
        return None
    # Each option, its stretch's width (its name's, after a box), the box starting it, where it starts.
    placed: list[tuple[str, int, Box | None, tuple[int, int, int]]] = []
    for (top, bottom, stretches), line, names in zip(lines, text_lines, per_line):
        first = options_in(line, options, misread=True)[0][0] if names else len(line)
        labelled = bool(re.search(r"[\u4e00-\u9fffA-Za-z]", line[:first]))
        label_apart = labelled and len(stretches) == len(names) + 1
        if label_apart:
            stretches = stretches[1:]  # the question's label, before its options
        if len(stretches) != len(names):
            return None
        # The question's label run into the first option ("*志愿服务领域：□政策解读"):
        # that stretch's box, inside it, starts the option; without one it cannot be told.
        label_run_in = labelled and not label_apart and bool(names)
        for number, (name, (left, right)) in enumerate(zip(names, stretches)):
            start = left - line_height // 3
            end = right if label_run_in and number == 0 else left + line_height // 3
            box = next((b for b in boxes if top - line_height // 2 <= b.y0 < bottom and start <= b.x0 <= end), None)
            if label_run_in and number == 0:
                if box is None:
                    return None
                left = box.x0
            placed.append((name, right - left if box is None else right - box.x1, box, (top, bottom, left)))
    if sum(box is not None for _, _, box, _ in placed) != len(boxes):
        return None
    # A stretch with no box holds a mark besides its name: wider than the name at the boxed names' pitch.
    pitch = float(np.median([width / len(name) for name, width, box, _ in placed if box is not None]))
    if any(box is None and width < len(name) * pitch + 0.5 * line_height for name, width, box, _ in placed):
        return None
    if any(box is None and starts_with_upright(ink, *start, line_height) for _, _, box, start in placed):
        return None  # a box that was not found (drawn large, or against another), not a check mark
    return ["unticked" if box is not None and not box.ticked else "ticked" for _, _, box, _ in placed]


def _unnamed_words(text: str, found: list[tuple[int, int, str]], options: tuple[str, ...], label: str) -> list[str]:
    """Words of two Chinese characters or more after the question's label
    that name no option: an option OCR misread past knowing. The marks and
    what OCR makes of them are no words, nor is a note in brackets
    ("（限选三项）") or what is filled in after a colon ("其他：碳中和咨询")."""
    label = flattened(label)
    start = len(label) if label and text.startswith(label) else (found[0][0] if label else 0)
    rest = _unnamed_text(text, options, found)[start:]
    words = re.sub(r"[（(【\[][^）)】\]]*[）)】\]]|[：:]\s*[\u4e00-\u9fff]+", " ", rest)
    return re.findall(r"[\u4e00-\u9fff]{2,}", words)


def _odd_bracket_marks(text: str, found: list[tuple[int, int, str]]) -> bool:
    """A bracket holding something that is no known tick glyph."""
    for _start, end, _option in found:
        bracket = re.match(r"^\s*[\[\(（【]\s*([^\]\)）】\s]{1,2})\s*[\]\)）】]", text[end:])
        if bracket and not all(ch in TICKED_LOOKALIKES + "xX×" for ch in bracket.group(1)):
            return True
    return False


def rewrite(text: str, ink: np.ndarray | None, line_height: int, confidence: float, *,
            label: str = "", rules: np.ndarray | None = None) -> tuple[str, float]:
    """The option cell as "☑a □b …" and how sure the reading is.

    Text that names no option of any tick field comes back unchanged.
    ``label``: the question's label the text starts with, if any, whose
    note may show a sample box ("请在□内打√"). ``rules``: what was painted
    out of ``ink`` (``tick_shapes.find_boxes``).
    """
    flat = flattened(text)
    for options in tick_fields().values():
        found = options_in(flat, options, misread=True)
        if len(found) >= 2 or (found and _text_marks(flat, found)[0]):
            break
    else:
        return text, confidence
    text_marks = _text_marks(flat, found)
    bracketed = any(re.match(r"^\s*[\[\(（【]", flat[end:]) for _, end, _ in found)
    # Marks in brackets after the options: no boxes to look for, but the
    # brackets, and what is written inside them.
    boxes = find_boxes(ink, line_height, rules) if ink is not None and not bracketed else []
    unnamed = _unnamed_words(flat, found, options, label)
    # A box more than the options named: the label's sample box, first on
    # the line, unless a word after the label named no option (an option
    # misread past knowing), whose box it may as well be.
    box_for_unnamed = bool(unnamed) and len(boxes) > len(found)
    if label and len(boxes) == len(found) + 1 and not unnamed:
        boxes = boxes[1:]
    brackets = find_brackets(ink, line_height) if ink is not None and bracketed else []
    # Fewer boxes than options: check marks may stand in for the others.
    stretched = marks_by_stretches(text, ink, line_height, found, boxes) if len(boxes) < len(found) else None
    if all(mark is None for mark in text_marks) and len(boxes) != len(found) and stretched is None and not (
            _strokes_as_ticks(flat, found, text_marks, boxes)):
        return text, confidence  # options named in prose, not tick boxes
    if brackets and len(brackets) == len(found):
        states = ["ticked" if bracket.ticked else "unticked" for bracket in brackets]
        sure = all(bracket.clear for bracket in brackets)
        agree = all(t is None or t == s for t, s in zip(text_marks, states))
        confidence = 0.97 if sure and agree else min(confidence, 0.75 if sure else 0.5)
    elif bracketed:
        # The brackets could not all be found in the ink: a "√" the OCR
        # missed would read as an empty pair, so the text alone is not enough.
        states = list(text_marks)
        confidence = min(confidence, 0.7)
    elif len(boxes) == len(found):
        states = ["ticked" if box.ticked else "unticked" for box in boxes]
        sure = all(box.clear for box in boxes)
        # Where the text read a clear mark, it should agree with the ink.
        agree = all(t is None or t == s for t, s in zip(text_marks, states))
        if sure and agree:
            # One box per option, each clearly inked or clearly empty: the ink
            # decides, whatever the OCR's doubt about the mark glyphs (which
            # it misreads by nature); option names matched the known list.
            confidence = 0.97
        else:
            confidence = min(confidence, 0.75 if sure else 0.5)
    else:
        states = list(text_marks)
        hollow = [box for box in boxes if not box.ticked]
        unmarked = [n for n, state in enumerate(states) if state is None]
        if unmarked and len(hollow) == len(boxes) == sum(state != "ticked" for state in states):
            # Ticks written as "√" and empty boxes OCR could not see: the
            # boxes found are exactly the options not ticked.
            for n in unmarked:
                states[n] = "unticked"
            confidence = min(confidence, 0.9)
        elif unmarked and stretched is not None and all(t is None or t == g for t, g in zip(states, stretched)):
            # A check mark written in place of a box, which OCR dropped: each
            # option's mark and name stand apart in the ink, and the options
            # without a box before them are the ticked ones.
            states = stretched
            confidence = min(confidence, 0.9)
        elif unmarked and _strokes_as_ticks(flat, found, states, boxes):
            # Check marks read as strokes, and the empty boxes found are
            # exactly the options left: the same count, as above.
            states = ["ticked" if state is None and _stroke_before(flat, start) else state or "unticked"
                      for (start, _, _), state in zip(found, states)]
            # With no box in the ink to count against, a "/" may as well part
            # the options ("线上/线下/对接") as tick one: sent to review.
            confidence = min(confidence, 0.9 if boxes else 0.7)
        elif unmarked:
            # An option without a readable mark: unsure whether it was ticked.
            confidence = min(confidence, 0.5)
        elif boxes and sum(state == "unticked" for state in states) != len(boxes):
            confidence = min(confidence, 0.7)
        if _odd_bracket_marks(flat, found):
            confidence = min(confidence, 0.7)
    if box_for_unnamed:
        confidence = min(confidence, 0.5)
    if any(misread_option(flat[start:end], options) == option for start, end, option in found):
        # Which option a misread name is, is a guess (智能建造 would pass for 智能制造).
        confidence = min(confidence, MISREAD_NAME_CONFIDENCE)
    written = " ".join(("☑" if state == "ticked" else "□") + option for (_, _, option), state in zip(found, states))
    return written, confidence
