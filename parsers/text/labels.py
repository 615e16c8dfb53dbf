"""Recognising the form's labels.

Labels are matched after folding width variants (NFKC per character, so
string positions stay put), dropping whitespace — forms pad labels as
"姓　　名" — and trailing colons.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

from parsers.schema import load_schema

IGNORED = "-"  # key for labels that are part of the form but carry no data


def fold(text: str) -> str:
    """Width-fold character by character so indices match the original."""
    out = []
    for ch in text:
        folded = unicodedata.normalize("NFKC", ch)
        out.append(folded if len(folded) == 1 else ch)
    return "".join(out)


# Stray marks around a label: a required-field star, or a speck of dust
# (or a pen stroke running over the rule) that OCR reads as a dot or dash.
_LABEL_EDGE_MARKS = "*★·.。、,，-_—~'\"`"


def label_key_text(text: str) -> str:
    text = re.sub(r"\s+", "", fold(text)).lower()
    return text.strip(_LABEL_EDGE_MARKS).rstrip(":").rstrip(_LABEL_EDGE_MARKS)


@dataclass(frozen=True)
class LabelIndex:
    by_text: dict[str, str]
    inline_pattern: re.Pattern
    title_keywords: tuple[str, ...]
    label_prefixes: frozenset[str] = frozenset()

    def is_label_start(self, text: str) -> bool:
        """True for the first part of a label spread out by padding ("姓　　名")."""
        return label_key_text(text) in self.label_prefixes

    def match(self, text: str) -> Optional[str]:
        """Key of a cell that holds only a label, else None."""
        key_text = label_key_text(text)
        if not key_text or len(key_text) > 30:
            return None
        if key_text in self.by_text:
            return self.by_text[key_text]
        # "专业领域（可多选）": a trailing note in brackets.
        bare = re.sub(r"\([^()]*\)$", "", key_text)
        return self.by_text.get(bare) if bare != key_text else None

    def find_inline(self, text: str) -> list[tuple[str, int, int]]:
        """(key, start, end) of every "label:" in text; end is after the colon."""
        found = []
        for match in self.inline_pattern.finditer(fold(text)):
            found.append((self.by_text[label_key_text(match.group(1))], match.start(), match.end()))
        return found

    def is_title(self, text: str) -> bool:
        compact = re.sub(r"\s+", "", text)
        return len(compact) <= 40 and any(word in compact for word in self.title_keywords)


@lru_cache(maxsize=1)
def label_index() -> LabelIndex:
    schema = load_schema()
    by_text: dict[str, str] = {}
    for spec in schema.fields:
        for label in spec.all_labels:
            by_text.setdefault(label_key_text(label), spec.key)
    for label in schema.ignored_labels:
        by_text.setdefault(label_key_text(label), IGNORED)
    labels = sorted({fold(label) for label in by_text}, key=len, reverse=True)
    alternatives = "|".join(r"[ \t\u3000]*".join(re.escape(ch) for ch in label) for label in labels)
    pattern = re.compile(rf"[*★]?({alternatives})[ \t]*:", re.IGNORECASE)
    prefixes = frozenset(text[:end] for text in by_text for end in range(1, len(text)))
    return LabelIndex(by_text, pattern, schema.title_keywords, prefixes)
