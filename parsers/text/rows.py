"""Rows of text cells: what docx and PDF readers hand to the form reader.

A table row is several cells; a paragraph or a line of PDF words is a row
of one (or, for widely spaced PDF words, a few) cells. Readers do not
interpret labels; that happens once, in ``parsers.text.pairs``.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TextRow:
    cells: tuple[str, ...]
    in_table: bool = False
    starts_page: bool = False  # first row after a page break
    starts_table: bool = False  # first row of a (new) table
    # How sure the reader is of each cell's text (OCR); None: all certain.
    confidences: tuple[float, ...] | None = None

    def confidence(self, position: int) -> float:
        if self.confidences is None or position >= len(self.confidences):
            return 1.0
        return self.confidences[position]

    @property
    def text(self) -> str:
        return " ".join(cell for cell in self.cells if cell)
