"""A composite label's answer ("学历/学位：本科/学士") cut into one part per field."""
from __future__ import annotations

import re

# Between the parts of a composite answer ("本科/学士", "某公司　总经理").
_VALUE_SEPARATORS = ("/", "／", "、", "，", ",", "；", ";")
_WHITESPACE_RUN = re.compile(r"\s+")
_OPENING_BRACKETS = ("(", "（", "[", "【")
_BRACKETED_PART = re.compile(r"^([^()（）]+)[(（]([^()（）]+)[)）]$")


def split_composite(value: str, count: int, bracketed: bool = False, first_asked: bool | None = None) -> list[str] | None:
    """A composite label's answer cut into ``count`` parts: on a separator
    written once per cut ("本科/学士"), else on the widest run of whitespace
    ("某公司　　总经理"); None when it does not cut into that many. The
    answer to a label written "学历（学位）" may be written the same way.
    ``first_asked``: only the first (True) or the last (False) part is
    asked, and the separator may occur inside it ("1990/12/02/34岁")."""
    value = value.strip()
    if count < 2 or not value:
        return [value] + [""] * (count - 1) if count >= 1 else None
    in_brackets = _BRACKETED_PART.match(value) if bracketed and count == 2 else None
    if in_brackets:
        return [in_brackets.group(1).strip(), in_brackets.group(2).strip()]
    for separator in _VALUE_SEPARATORS:
        if value.count(separator) == count - 1:
            return [part.strip() for part in value.split(separator)]
    used = next((separator for separator in _VALUE_SEPARATORS if separator in value), None)
    if first_asked is not None and used is not None:
        cut = value.rsplit(used, count - 1) if first_asked else value.split(used, count - 1)
        return [part.strip() for part in cut]
    # A note in brackets qualifies the word before it ("某事务所 （普通合伙）"):
    # OCR sets a gap before a bracket, which is no gap between two answers.
    runs = [run for run in _WHITESPACE_RUN.finditer(value) if value[run.end():run.end() + 1] not in _OPENING_BRACKETS]
    if runs:
        widest = max(len(run.group()) for run in runs)
        cuts = [run for run in runs if len(run.group()) == widest]
        if len(cuts) == count - 1:
            edges = [0] + [edge for run in cuts for edge in run.span()] + [len(value)]
            return [value[edges[n]:edges[n + 1]].strip() for n in range(0, len(edges), 2)]
    return None
