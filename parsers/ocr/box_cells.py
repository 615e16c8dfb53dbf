"""Tick boxes drawn as cells of a table's row.

Some forms draw each option's box as tall as the row it stands in
("服务形式 | ☒ | 线上志愿服务 | ☒ | 线下志愿服务 | □ | 精准对接"): the grid takes
the boxes' sides for rules, and OCR reads each box as a cell of its own (an
"×", or nothing). A cell no bigger than a box, just before a cell that
names one option of a tick list and nothing else, is that option's box,
ticked when it holds ink; the options with their boxes become one cell
("☑线上志愿服务 ☑线下志愿服务 □精准对接"), as a .docx row gives them.
"""
from __future__ import annotations

from dataclasses import replace

from parsers.ocr.tick_marks import TICKED_LOOKALIKES, UNTICKED_LOOKALIKES, options_in, tick_fields

BOX_CELL = 1.6  # a cell no wider and no taller than this many lines is a box's size
TICKED_INK = 40  # px of ink in a box cell that make it ticked (a cross, a tick) …
EMPTY_INK = 12  # … and fewer than these, empty; between the two, unclear
CLEAR = 0.97  # every box clearly ticked or empty
UNCLEAR = 0.5


def joined_box_cells(row: list, ink_counts: list[int], line_height: int) -> list:
    """The row's cells (the page's pieces: box, text, confidence) with each
    run of options after their box cells (and of options read with their
    mark, where a box's side was not taken for a rule: "×线下志愿服务") made
    one cell; the row as it is when no box cell is in it.
    ``ink_counts``: each cell's pixels of ink."""
    boxed = {number for number in range(len(row) - 1)
             if _box_sized(row[number].box, line_height) and _one_option(row[number + 1].text)}
    if not boxed:
        return row
    out: list = []
    number = 0
    while number < len(row):
        first, texts, confidence = number, [], CLEAR
        while number in boxed or (texts and number < len(row) and _one_option(row[number].text, marked=True)):
            if number in boxed:
                ink = ink_counts[number]
                texts.append(("☑" if ink >= TICKED_INK else "□") + row[number + 1].text.strip())
                confidence = min(confidence, row[number + 1].confidence,
                                 CLEAR if ink >= TICKED_INK or ink < EMPTY_INK else UNCLEAR)
                number += 2
            else:
                texts.append(row[number].text.strip())
                confidence = min(confidence, row[number].confidence)
                number += 1
        if not texts:
            out.append(row[number])
            number += 1
            continue
        cells = row[first:number]
        box = (min(c.box[0] for c in cells), min(c.box[1] for c in cells),
               max(c.box[2] for c in cells), max(c.box[3] for c in cells))
        out.append(replace(row[first], box=box, text=" ".join(texts), confidence=confidence, has_ink=True))
    for column, piece in enumerate(out):
        piece.column = column
    return out


def _box_sized(box: tuple[int, int, int, int], line_height: int) -> bool:
    width, height = box[2] - box[0], box[3] - box[1]
    return 0 < width <= BOX_CELL * line_height and 0 < height <= BOX_CELL * line_height


def _one_option(text: str, marked: bool = False) -> bool:
    """The text is one option of a tick list, named in full or short
    ("线上"); ``marked``: after the mark read before it ("×线下志愿服务")."""
    text = text.strip()
    if marked:
        if len(text) < 2 or text[0] not in TICKED_LOOKALIKES + UNTICKED_LOOKALIKES:
            return False
        text = text[1:].strip()
    return bool(text) and any(
        [(start, end) for start, end, _ in options_in(text, options)] == [(0, len(text))]
        for options in tick_fields().values())

