"""Synthetic page images for the OCR unit tests."""
from __future__ import annotations

import numpy as np


def ruled_page(
    height: int, width: int, rows: tuple[int, ...], columns: tuple[int, ...], *,
    paper: int = 255, ink: int = 0, thickness: int = 2,
) -> np.ndarray:
    """A grey page with a table: a rule at each row and column position, spanning the table."""
    page = np.full((height, width), paper, np.uint8)
    for y in rows:
        page[y:y + thickness, columns[0]:columns[-1] + 1] = ink
    for x in columns:
        page[rows[0]:rows[-1] + thickness, x:x + thickness] = ink
    return page
