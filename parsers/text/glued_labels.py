"""A label with its answer run on: "姓名陈翊", "办公电话（选填）0759 2714412".

Forms set an answer off its label by a wide gap; OCR often reads the gap as
nothing at all, and a typist may leave none, so label and answer arrive as
one piece. The piece starts with a label of this form — a listed wording,
or one whose every character a field's terms explain — and what follows is
no label: that is the answer.

Where the label ends is then a guess ("职称等级" is a label, "职称高工" a
label and its answer). The guess is trusted only when something confirms
it: the answer holds a number or an answer word of its field ("瑶族" is no
label, "0759 2714412" neither), or another label follows in the same row,
so the cell is not a label waiting for its answer beside it. Otherwise the
field goes to review with the reason. A cell with an answer beside it in
its row is a label, however it reads.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

from parsers.schema import load_schema
from parsers.text.label_text import IGNORED, LabelHit, fold, label_key_text
from parsers.text.labels import MAX_LABEL_CHARS, LabelIndex

GLUED_UNSURE = "“{label}”一栏的标签与所填内容之间没有间隔，分界是推断的，请对照原件核对"
_NOTE_CHARS = 24  # a bracketed note after the label ("（可多选，请在□内打√）")
_SURE_VALUE = re.compile(r"[\d@]")


@dataclass(frozen=True)
class GluedLabel:
    hit: LabelHit  # ends where the answer starts
    sure: bool  # the cut is confirmed (see the module's docstring)


@lru_cache(maxsize=1)
def _answer_words() -> dict[str, tuple[str, ...]]:
    return {spec.key: tuple(spec.answers) + tuple(spec.options) for spec in load_schema().fields}


def _label_prefix(index: LabelIndex, text: str) -> Optional[tuple[int, int]]:
    """(start, end) of the longest label opening ``text`` with something
    after it that is no label; None when there is none."""
    folded = fold(text)
    start = len(folded) - len(folded.lstrip())
    if _is_whole_label(index, folded[start:]):
        return None  # the whole piece is a label
    depth, best = 0, None
    for end in range(start + 1, min(len(folded), start + MAX_LABEL_CHARS + _NOTE_CHARS)):
        char = folded[end - 1]
        depth += (char == "(") - (char == ")")
        if depth > 0 or end - start < 2 or folded[end - 1].isspace():
            continue
        rest = folded[end:].strip()
        if not rest or rest.startswith((":", "(")):
            continue  # a label with its colon or note is read elsewhere
        if _is_whole_label(index, folded[start:end]) and index.read(rest) is None:
            best = (start, end)
    return best


def _is_whole_label(index: LabelIndex, text: str) -> bool:
    label = index.read(text)
    return (label is not None and not label.unknown and label.key != IGNORED
            and (label.whole or label_key_text(text) in index.by_text))


def glued_label(index: LabelIndex, text: str, next_cell: str | None) -> Optional[GluedLabel]:
    """The label ``text`` opens with its answer glued on, if it does.

    ``next_cell``: the next non-empty cell of the same row, None at the
    row's end."""
    if next_cell is not None and index.read(next_cell) is None and _label_prefix(index, next_cell) is None \
            and not index.find_labels(next_cell):
        return None  # an answer stands beside it: the cell is a label
    cut = _label_prefix(index, text)
    if cut is None:
        return None
    start, end = cut
    label = index.read(text[start:end])
    answer = text[end:].strip()
    words = [word for key in label.keys for word in _answer_words().get(key, ())]
    sure = bool(_SURE_VALUE.search(answer)) or any(word in answer for word in words) or next_cell is not None
    return GluedLabel(LabelHit(label, start, end, text[start:end].strip(), colon=False), sure)
