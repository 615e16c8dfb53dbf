"""Where the options of a tick list stand in a cell's ink, line by line.

Each option is written with its mark ("□政策解读", "√行业发展") and set
apart from the next by a gap of a character or more, so a line's ink falls
into one stretch per option (``tick_marks.marks_by_stretches`` tells from the
start of each whether its mark is an empty box).
"""
from __future__ import annotations

import cv2
import numpy as np

from parsers.ocr.engines.crops import longest_run, text_lines

# Options of a list stand apart by a gap wider than this many lines; the gap
# between a mark and its option's name, or between the name's characters, is narrower.
OPTION_GAP = 0.6
FLAT = 0.35  # ink no taller than this many lines is a rule or an underline, not writing
UPRIGHT = 0.75  # a straight upright stroke this many lines tall is a box's side


def stretches_by_line(ink: np.ndarray, line_height: int) -> list[tuple[int, int, list[tuple[int, int]]]]:
    """(top, bottom, stretches) of each line of the cell's ink, each stretch
    (left, right) set apart by a gap wider than ``OPTION_GAP`` lines. The
    scan's grain (which puts a little ink in every row and column) is taken
    out first; a flat stretch (the blank "其他：____" leaves to fill in)
    belongs to the one before it."""
    clean = cv2.morphologyEx((ink > 0).astype(np.uint8), cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    lines = []
    for top, bottom in text_lines(np.where(clean > 0, 0, 255).astype(np.uint8)):
        lines.append((top, bottom, _stretches(clean[top:bottom], line_height)))
    return lines


def starts_with_upright(ink: np.ndarray, top: int, bottom: int, left: int, line_height: int) -> bool:
    """The stretch starting at ``left`` opens with a straight upright stroke
    most of a line tall (a box's side, where the box was not found: drawn
    against another): no check mark, which is all slants."""
    edge = ink[top:bottom, left:left + max(3, line_height // 6)] > 0
    longest = max((longest_run(column) for column in edge.T), default=0)
    return longest >= UPRIGHT * line_height


def _stretches(band: np.ndarray, line_height: int) -> list[tuple[int, int]]:
    columns = np.where(band.any(axis=0))[0]
    if not len(columns):
        return []
    cuts = np.where(np.diff(columns) > OPTION_GAP * line_height)[0]
    stretches: list[tuple[int, int]] = []
    for left, right in zip([columns[0], *columns[cuts + 1]], [*columns[cuts], columns[-1]]):
        rows = np.where(band[:, left:right + 1].any(axis=1))[0]
        if stretches and rows[-1] - rows[0] < FLAT * line_height:
            stretches[-1] = (stretches[-1][0], int(right) + 1)
        else:
            stretches.append((int(left), int(right) + 1))
    return stretches
