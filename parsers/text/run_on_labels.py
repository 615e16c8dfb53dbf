"""A label run on after the answer before it: "学位：学士专业技术资格：税务师".

A line of a paragraph form holds several "label：answer" pairs set apart by
a gap OCR often reads as nothing, so the next label arrives glued to the
previous answer, and so does a label after a sentence's full stop
("…咨询与辅导。个人履历："). Before a colon, the piece of text is then no
label as a whole. Its end is, when it reads as one of the form's labels
whole (every character explained) and what stands before it plainly ends
something else: a sentence's closing mark, or an answer word of the form
("学士", "公司"). Anything less sure is left as it was: no label.

Kept apart from ``labels`` so that the rule reads on its own; the index
gives it the test for a field's whole label and the form's answer words.
"""
from __future__ import annotations

from typing import Callable, Optional

SENTENCE_ENDS = "。；;！!？?"
MIN_LABEL_CHARS = 2
MAX_LABEL_CHARS = 12


def label_run_on(piece: str, is_field_label: Callable[[str], bool], answers: tuple[str, ...]) -> Optional[int]:
    """Where in ``piece`` (the text before a colon, no whitespace in it) a
    label run on after an answer starts; None when none does.
    ``is_field_label``: the text is one field's label, whole."""
    for start in range(1, len(piece) - MIN_LABEL_CHARS + 1):
        tail = piece[start:]
        if len(tail) > MAX_LABEL_CHARS:
            continue
        before = piece[:start]
        if not (before[-1] in SENTENCE_ENDS or before.endswith(answers)):
            continue
        if is_field_label(tail):
            return start
    return None
