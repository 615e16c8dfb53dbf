"""What each cell of a page should hold, told by the label beside or above it.

A value next to "身份证号码" is read as digits (Tesseract re-reads those with
a digit whitelist), a name is trusted only where every character is near
certain, and a cell holding tick boxes is re-read from the ink
(``tick_marks``). The hints are set on the page's pieces (``page._Piece``)
once their text is read, before they are read again with their hints.
"""
from __future__ import annotations

import re

from parsers.ocr import tick_marks
from parsers.schema import load_schema
from parsers.text.glued_labels import glued_label
from parsers.text.label_text import IGNORED
from parsers.text.labels import label_index

# "name": the engine trusts no doubtful character in it (rare characters
# are common in names, and engines read their common look-alikes).
HINT_BY_KIND = {"id_number": "digits", "mobile": "digits", "office_phone": "digits",
                "email": "email", "month": "date", "day": "date", "name": "name"}


def inline_label(text: str) -> str:
    """"专业领域：" when the text starts with a label and its colon — or,
    the gap OCR lost, with its answer run on ("参与方式线上…") — else ""."""
    index = label_index()
    found = index.find_inline(text)
    if found and found[0][1] == 0:
        return text[:found[0][2]]
    glued = glued_label(index, text, None)
    return text[:glued.hit.end] if glued is not None and glued.hit.start == 0 else ""


def value_hints(rows: list[list]) -> None:
    """Give each value cell the hint its label (left, or above) calls for."""
    index, schema = label_index(), load_schema()
    kinds = {spec.key: spec.kind for spec in schema.fields}
    for number, row in enumerate(rows):
        for position, piece in enumerate(row):
            key = index.match(piece.text) if piece.text else None
            if key is None or key not in kinds:
                if piece.text and _labels_own_name(piece.text, kinds):
                    piece.hint = "name"  # "姓名：冼浩" in one cell: its name is held to a name's standard
                continue
            hint = "ticks" if kinds[key] == "ticks" else HINT_BY_KIND.get(kinds[key])
            if hint is None:
                continue
            if position + 1 < len(row) and not index.match(row[position + 1].text or " "):
                row[position + 1].hint = hint
            elif number + 1 < len(rows) and position < len(rows[number + 1]):
                below = rows[number + 1][position]
                if not index.match(below.text or " "):
                    below.hint = hint


def _labels_own_name(text: str, kinds: dict[str, str]) -> bool:
    """The cell starts with the name's label and its answer follows."""
    label = inline_label(text)
    read = label_index().read(label) if label and len(label) < len(text.strip()) else None
    return read is not None and not read.unknown and kinds.get(read.key) == "name"


def options_label(text: str) -> str:
    """The label a tick list's options belong to, as it opens ``text``:
    "专业领域：" — or, where a shorter label of another field reads first
    ("专长" of "专长领域（请打√） □政策解读 …"), all that comes before the
    list's first option."""
    label = inline_label(text)
    read = label_index().read(label) if label else None
    listed = tick_marks.option_list(text)
    if listed is None or (read is not None and read.key in tick_marks.tick_fields()):
        return label
    flat, found = listed
    # The first option's mark goes with the options; a look-alike of it that
    # ends the label's own text ("所在区") stays.
    marks = re.escape(tick_marks.TICKED_LOOKALIKES + tick_marks.UNTICKED_LOOKALIKES)
    before = re.sub(rf"(?:^|(?<=[\s：:)）]))[{marks}\s]+$", "", flat[:found[0][0]]).rstrip()
    return before or label


def tick_hints(rows: list[list]) -> None:
    """Cells holding tick boxes: a tick field's value, its continuation in
    the next row (label cell merged or empty), or "专业领域：□…" in one cell."""
    index, schema = label_index(), load_schema()
    tick_keys = {spec.key for spec in schema.fields if spec.kind == "ticks"}
    tick_fields = tick_marks.tick_fields()
    for number, row in enumerate(rows):
        for position, piece in enumerate(row):
            if piece.hint == "ticks" or not piece.text:
                continue
            label = inline_label(piece.text)
            read = index.read(label) if label else None
            if any(key in tick_keys for key, _, _ in index.find_inline(piece.text)) or (
                    read is not None and read.key in tick_keys):
                piece.hint = "ticks"
            elif read is not None and read.key not in (None, IGNORED) and tick_marks.option_list(piece.text) is None:
                continue  # another field's answer ("主要工作经历：…从事会计相关工作") names options as prose
            elif any(len({option for *_, option in tick_marks.options_in(piece.text, options)}) >= 2
                     for options in tick_fields.values()):
                # A list's next line ("□法律 ☑财税 □会计"); prose naming options is left as it is by the rewrite.
                piece.hint = "ticks"
            elif number and position and not row[0].text.strip() and position < len(rows[number - 1]):
                if rows[number - 1][position].hint == "ticks":
                    piece.hint = "ticks"
