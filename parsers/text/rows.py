"""Rows of text cells: what docx and PDF readers hand to the form reader.

A table row is several cells; a paragraph or a line of PDF words is a row
of one (or, for widely spaced PDF words, a few) cells. Readers do not
interpret labels; that happens once, in ``parsers.text.pairs``. ``unwrap``
joins a cell's wrapped lines back into its text (PDF and OCR cells).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_ASCII_WORD_END = re.compile(r"[A-Za-z0-9]$")
_ASCII_WORD_START = re.compile(r"^[A-Za-z0-9]")


@dataclass(frozen=True)
class SourceBox:
    """A place on a page as the review app shows it: 1-based page number
    and a box (x0, top, x1, bottom; origin top left) in PDF points for a
    PDF page, typed or scanned, or for an image file in its pixels as sent
    (full size, turned upright by its EXIF orientation). A scan or photo is
    read turned, straightened and cut out of its background; its boxes are
    mapped back through all of that (``parsers.ocr.geometry.Placement``),
    so a box read on a sheet photographed at an angle is the smallest
    upright box around that place on the photo."""

    page: int
    box: tuple[float, float, float, float]

    def union(self, other: SourceBox | None) -> SourceBox:
        if other is None or other.page != self.page:
            return self
        (a0, a1, a2, a3), (b0, b1, b2, b3) = self.box, other.box
        return SourceBox(self.page, (min(a0, b0), min(a1, b1), max(a2, b2), max(a3, b3)))

    def to_json(self) -> dict:
        return {"page": self.page, "box": [round(value, 1) for value in self.box]}


@dataclass(frozen=True)
class TextRow:
    cells: tuple[str, ...]
    in_table: bool = False
    starts_page: bool = False  # first row after a page break
    starts_table: bool = False  # first row of a (new) table
    # How sure the reader is of each cell's text (OCR); None: all certain.
    confidences: tuple[float, ...] | None = None
    # Where each cell was read, for staff to see it on the page (PDF, scans,
    # photos); None: the format has no pages (Word) or the reader kept none.
    boxes: tuple[SourceBox | None, ...] | None = None

    def box(self, position: int) -> SourceBox | None:
        if self.boxes is None or position >= len(self.boxes):
            return None
        return self.boxes[position]

    def confidence(self, position: int) -> float:
        if self.confidences is None or position >= len(self.confidences):
            return 1.0
        return self.confidences[position]

    @property
    def text(self) -> str:
        return " ".join(cell for cell in self.cells if cell)


def unwrap(text: str) -> str:
    """Join the visual lines of a cell: wrapping is layout, not content."""
    joined = ""
    for line in (line.strip() for line in text.splitlines()):
        if not line:
            continue
        glue = " " if _ASCII_WORD_END.search(joined) and _ASCII_WORD_START.match(line) else ""
        joined = f"{joined}{glue}{line}" if joined else line
    return joined


def gathered_under(heads: TextRow, values: TextRow) -> TextRow:
    """``values`` with its cells gathered under the cells of ``heads`` above
    them, by where each was read: a photo's grid may cut a row of answers
    into more cells than its row of labels has (a bold bracket read as a
    rule). ``values`` as it is when it has no more cells, or when a cell
    with text lies under none of the heads, or positions are unknown."""
    if len(values.cells) <= len(heads.cells) or heads.boxes is None or values.boxes is None:
        return values
    spans = [(box.box[0], box.box[2]) if box is not None else None for box in heads.boxes]
    if None in spans or len(spans) != len(heads.cells):
        return values
    texts: list[list[str]] = [[] for _ in spans]
    confidences: list[float] = [1.0] * len(spans)
    boxes: list[SourceBox | None] = [None] * len(spans)
    for position, text in enumerate(values.cells):
        box = values.box(position)
        if box is None and not text.strip():
            continue  # an empty cell with no place on the page (a merged cell's remnant)
        if box is None:
            return values
        centre = (box.box[0] + box.box[2]) / 2
        column = next((number for number, (x0, x1) in enumerate(spans) if x0 <= centre <= x1), None)
        if column is None:
            if text.strip():
                return values
            continue
        if text.strip():
            texts[column].append(text.strip())
        confidences[column] = min(confidences[column], values.confidence(position))
        boxes[column] = box if boxes[column] is None else boxes[column].union(box)
    return TextRow(tuple(" ".join(parts) for parts in texts), values.in_table, values.starts_page,
                   values.starts_table, tuple(confidences), tuple(boxes))


def merged_empty_cells(row: TextRow) -> TextRow:
    """A row of labels with each empty cell joined to the label on its left
    (a photo's grid may cut "姓名（中文）" in two at a bracket), when where
    each cell was read is known; the row as it is otherwise."""
    if row.boxes is None or len(row.boxes) != len(row.cells) or all(cell.strip() for cell in row.cells):
        return row
    cells: list[str] = []
    boxes: list[SourceBox | None] = []
    confidences: list[float] = []
    for position, (cell, box) in enumerate(zip(row.cells, row.boxes)):
        if not cell.strip() and box is None and position > 0:
            continue  # an empty cell with no place on the page (a merged cell's remnant)
        if not cell.strip() and cells and cells[-1].strip() and box is not None and boxes[-1] is not None:
            boxes[-1] = boxes[-1].union(box)
            continue
        cells.append(cell)
        boxes.append(box)
        confidences.append(row.confidence(position))
    return TextRow(tuple(cells), row.in_table, row.starts_page, row.starts_table, tuple(confidences), tuple(boxes))
