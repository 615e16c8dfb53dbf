"""A label OCR misread by one character: "觉派面貌" for 党派面貌.

The recogniser reads a character as its look-alike (党 as 觉), and a label
it no longer recognises takes its field with it: in a table the misread
label reads as the answer of the label before it, and its own answer is
lost. The labels are a known vocabulary, so a reading the OCR itself
doubted is checked against it: when putting back one character, taken from
a wording or key term of the form where every other character of that word
already stands, makes the reading one field's label whole (every character
explained), that is the label. A reading that already is a label, holds an
answer word of any field, or could be put right into two different fields'
labels is left as read; so is one shorter than ``MIN_CHARS`` (a
two-character answer such as 汉族 is one character from the label 民族)
unless it stands in a label's place in its row: after an answer that
follows a label, and before an answer ("族别 | 汉 | 觉派 | 群众").
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Optional

from parsers.options import DEFAULT_REVIEW_BELOW
from parsers.schema import load_schema
from parsers.text.label_text import IGNORED, is_han, label_key_text
from parsers.text.labels import LabelIndex

MIN_CHARS = 3
_COLON = re.compile(r"[:：]")


@lru_cache(maxsize=1)
def _vocabulary() -> tuple[str, ...]:
    """The form's label wordings and key terms of two characters or more."""
    schema = load_schema()
    words = {label_key_text(label) for spec in schema.fields for label in spec.all_labels}
    words |= {term for spec in schema.fields for term, _ in spec.terms}
    return tuple(sorted(word for word in words if len(word) >= 2))


def _one_character_fixes(text: str, words: tuple[str, ...]) -> set[str]:
    """``text`` with one Chinese character replaced so that a word of
    ``words`` stands whole where all its other characters already stood."""
    fixed = set()
    for word in words:
        for start in range(len(text) - len(word) + 1):
            differ = [at for at in range(len(word)) if text[start + at] != word[at]]
            if len(differ) == 1 and is_han(text[start + differ[0]]) and is_han(word[differ[0]]):
                at = start + differ[0]
                fixed.add(text[:at] + word[differ[0]] + text[at + 1:])
    return fixed


def misread_label(index: LabelIndex, text: str, min_chars: int = MIN_CHARS) -> Optional[str]:
    """The label ``text`` (a whole cell, or what stands before its colon)
    was read from with one character wrong, colon and padding dropped;
    None when it is not one (see the module's docstring)."""
    key_text = label_key_text(text)
    if len(key_text) < max(2, min_chars):
        return None
    read = index.read(key_text)
    if read is not None and not read.unknown:
        return None
    if any(answer in key_text for answer in index.answers):
        return None
    found: dict[str, str] = {}
    for candidate in sorted(_one_character_fixes(key_text, _vocabulary())):
        label = index.read(candidate)
        if label is not None and not label.unknown and label.whole and label.key != IGNORED:
            found.setdefault(label.key, candidate)
    return next(iter(found.values())) if len(found) == 1 else None


def with_label_restored(index: LabelIndex, text: str) -> str:
    """``text`` with a misread label put right: the whole text, or the part
    before its first colon ("觉派面貌：群众")."""
    colon = _COLON.search(text)
    head, tail = (text[:colon.start()], text[colon.start():]) if colon else (text, "")
    fixed = misread_label(index, head)
    return text if fixed is None else fixed + tail


def _is_label(index: LabelIndex, text: str) -> bool:
    label = index.read(text) if text.strip() else None
    return label is not None and not label.unknown


def _in_a_labels_place(index: LabelIndex, cells: list[str], at: int) -> bool:
    """Label, answer, this cell, answer: the row alternates and this is a label's turn."""
    if at < 2 or at + 1 >= len(cells):
        return False
    label, answer, after = cells[at - 2], cells[at - 1], cells[at + 1]
    return (_is_label(index, label) and bool(answer.strip()) and not _is_label(index, answer)
            and bool(after.strip()) and not _is_label(index, after))


def row_with_labels_restored(index: LabelIndex, cells: list[str], confidences: list[float]) -> list[str]:
    """A row's cells (as OCR read them, with their confidences), each one
    the OCR doubted with a misread label put right."""
    restored = list(cells)
    for at, (text, confidence) in enumerate(zip(cells, confidences)):
        if confidence >= DEFAULT_REVIEW_BELOW or not text.strip():
            continue
        restored[at] = with_label_restored(index, text)
        if restored[at] == text and _in_a_labels_place(index, cells, at):
            fixed = misread_label(index, text, min_chars=2)
            # A row asks each field once: not the field of the label before.
            if fixed is not None and index.read(fixed).key != index.read(cells[at - 2]).key:
                restored[at] = fixed
    return restored
