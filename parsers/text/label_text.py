"""A label's text as labels are compared: width-folded, and reduced to its key text.

Every parse folds and keys thousands of cells, so both are cheap: folding is
one ``str.translate`` through a table filled as characters are met, and a
cell's key text is worked out once per distinct text.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

IGNORED = "-"  # key for labels that are part of the form but carry no data


class _WidthFolds(dict):
    """Each character's NFKC form where that is one character (else itself),
    worked out the first time the character is seen: ``str.translate`` then
    folds a text in C, and every parse folds thousands of cells."""

    def __missing__(self, code: int) -> int:
        folded = unicodedata.normalize("NFKC", chr(code))
        self[code] = ord(folded) if len(folded) == 1 else code
        return self[code]


_WIDTH_FOLDS = _WidthFolds()


def is_han(char: str) -> bool:
    """A Chinese character (the unified ideographs and extension A)."""
    return "\u3400" <= char <= "\u9fff"


def fold(text: str) -> str:
    """Width-fold character by character so indices match the original."""
    return text.translate(_WIDTH_FOLDS)


# Stray marks around a label: a required-field star, or a speck of dust
# (or a pen stroke running over the rule) that OCR reads as a dot or dash.
_LABEL_EDGE_MARKS = "*★·.。、,，-_—~'\"`"


@lru_cache(maxsize=8192)  # the same label cells come back in every form
def label_key_text(text: str) -> str:
    # Private-use glyphs are undecoded symbol-font marks (a Wingdings bullet before a label).
    text = re.sub(r"[\s\ue000-\uf8ff]+", "", fold(text)).lower()
    return text.strip(_LABEL_EDGE_MARKS).rstrip(":").rstrip(_LABEL_EDGE_MARKS)


@dataclass(frozen=True)
class Label:
    """What a piece of label text names."""

    # One field; several for a composite label ("学历/学位"), IGNORED for a
    # part this form does not ask ("出生年月/年龄"); (IGNORED,) for the
    # form's furniture; () for a label this form does not have.
    keys: tuple[str, ...]
    parts: tuple[str, ...]  # each field's part of the wording (key text)
    separator: str = ""  # written between a composite label's parts
    whole: bool = True  # every character is explained (no value glued on)

    @property
    def key(self) -> Optional[str]:
        """The (first) field named; IGNORED for furniture, None when unknown."""
        return next((key for key in self.keys if key != IGNORED), self.keys[0] if self.keys else None)

    @property
    def is_composite(self) -> bool:
        return len(self.keys) > 1

    @property
    def unknown(self) -> bool:
        return not self.keys


@dataclass(frozen=True)
class LabelHit:
    """A label followed by its colon inside a longer text."""

    label: Label
    start: int
    end: int  # after the colon (or the whitespace after a label without one)
    text: str  # the label as written, colon dropped
    colon: bool = True  # written with its colon
