"""Rows of text cells: what docx and PDF readers hand to the form reader.

A table row is several cells; a paragraph or a line of PDF words is a row
of one (or, for widely spaced PDF words, a few) cells. Readers do not
interpret labels; that happens once, in ``parsers.pairs``.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TextRow:
    cells: tuple[str, ...]
    in_table: bool = False
    starts_page: bool = False  # first row after a page break
    starts_table: bool = False  # first row of a (new) table

    @property
    def text(self) -> str:
        return " ".join(cell for cell in self.cells if cell)
