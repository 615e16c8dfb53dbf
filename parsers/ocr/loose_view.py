"""The page as the lines outside the tables see it.

    outside_tables(page, tables) -> PageInk   the tables painted out of the grey and the ink
    table_area(page, tables) -> mask          the tables' cells and rules

A title, a signature line or a tick list printed under the table is read
from a page where the tables are painted white, so that its crop does not
pick up a table row it overlaps. What is painted is the tables' cells and
rules, not the box around them, which would cut into a line set close
under the table (its ticks and the tops of its characters). The painted
area is the view's ``rules``: what a loose line's ink lost there may have
been its own (a tick box hung from the table's bottom rule has that rule
for its top side), and ``tick_shapes`` takes a box's side lying on it as
drawn.
"""
from __future__ import annotations

import cv2
import numpy as np

from parsers.ocr.grid import PageInk, Table


def table_area(page: PageInk, tables: list[Table]) -> np.ndarray:
    """Where the tables are: their cells, and the page's rules (boolean
    mask; a page without a table may still have rules: answer lines)."""
    area = page.rules > 0
    for table in tables:
        for cell in (cell for row in table.rows for cell in row if cell is not None):
            area[cell.y0:cell.y1, cell.x0:cell.x1] = True
    return cv2.dilate(area.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0


def outside_tables(page: PageInk, tables: list[Table]) -> PageInk:
    """The page with the tables painted white in the grey, cleared from the
    ink, and standing as its rules."""
    area = table_area(page, tables)
    grey, ink = page.grey.copy(), page.ink.copy()
    grey[area] = 255
    ink[area] = 0
    return PageInk(grey, ink, np.where(area, np.uint8(255), np.uint8(0)))
