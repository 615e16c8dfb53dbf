"""Finding the form's ruled table in a page image.

The page is binarised; long horizontal and vertical runs of ink (OpenCV
morphological opening with long thin kernels) are the table's rules. Each
connected set of rules is one table; the closed regions inside it are its
cells. Cells are grouped into rows by their top edge; a cell merged over
several rows appears in the first and leaves an empty cell in the others,
as a vertically merged Word cell does.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

MIN_CELL = 14  # px: smaller closed regions are line junctions, not cells


@dataclass(frozen=True)
class Cell:
    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def height(self) -> int:
        return self.y1 - self.y0


@dataclass
class Table:
    box: tuple[int, int, int, int]
    rows: list[list[Cell | None]] = field(default_factory=list)  # None: covered by a merged cell above
    row_tops: list[int] = field(default_factory=list)


@dataclass
class PageInk:
    """The page with its lighting flattened, its ink (255) and the table
    rules found in the ink."""

    grey: np.ndarray
    ink: np.ndarray
    rules: np.ndarray


def flatten(grey: np.ndarray) -> np.ndarray:
    """The page with its lighting divided out: paper ~255 everywhere, so
    a shadow or a scanner's dark edge is not darker than ink elsewhere."""
    side = max(15, (min(grey.shape) // 30) | 1)
    # The paper's brightness: the brightest pixel nearby (text and rules
    # are thinner than the window), smoothed.
    background = cv2.dilate(grey, cv2.getStructuringElement(cv2.MORPH_RECT, (side, side)))
    background = cv2.blur(background, (side, side))
    flat = grey.astype(np.float32) * (255.0 / np.maximum(background.astype(np.float32), 1.0))
    return np.clip(flat, 0, 255).astype(np.uint8)


def ink_mask(flat: np.ndarray) -> np.ndarray:
    """Ink mask (255 = ink) of a flattened page. Adaptive, so what is left
    of a photo's shadows stays paper."""
    block = max(15, (min(flat.shape) // 40) | 1)
    adaptive = cv2.adaptiveThreshold(flat, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 15)
    # Adaptive thresholding hollows out solid areas (a filled ■); plainly
    # dark pixels are ink whatever their surroundings.
    return cv2.bitwise_or(adaptive, (flat < 100).astype(np.uint8) * 255)


def _horizontal_rules(ink: np.ndarray) -> np.ndarray:
    """Long horizontal runs of ink, allowed to drift a pixel (residual tilt)."""
    width = ink.shape[1]
    length = max(25, width // 20)
    # A rule tilted by a fraction of a degree steps up or down a pixel every
    # so often: look for runs in the ink thickened by a pixel vertically.
    thick = cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_RECT, (1, 2)))
    runs = cv2.morphologyEx(thick, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1)))
    return cv2.bitwise_and(cv2.dilate(runs, cv2.getStructuringElement(cv2.MORPH_RECT, (1, 3))), ink)


def _vertical_rules(ink: np.ndarray, horizontal: np.ndarray) -> np.ndarray:
    """Vertical runs that join a horizontal rule at both ends.

    A vertical run alone is not enough: the strokes of a large title (中,
    报) or of a character in a tight row are as tall as a short table row
    is high. A table's vertical rule runs from one horizontal rule to
    another (it touches both); a character's stroke stops short of them.
    """
    height = ink.shape[0]
    length = max(15, height // 110)
    thick = cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_RECT, (2, 1)))
    vertical = cv2.morphologyEx(thick, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, length)))
    touch = cv2.dilate(horizontal, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 5)))
    # In a photo, a row is barely taller than its text and a blurred stroke
    # (the 丨 of 单, the 阝 of 陈) can touch both rules. A rule has white
    # cell padding on either side; a stroke has the rest of its character.
    beside = cv2.bitwise_and(ink, cv2.bitwise_not(
        cv2.dilate(horizontal, cv2.getStructuringElement(cv2.MORPH_RECT, (1, 5)))))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(vertical, connectivity=8)
    out = np.zeros_like(vertical)
    for number in range(1, count):
        x, y, w, h, _area = stats[number]
        if w > max(8, h // 2):
            continue  # a blob, not a line
        # The run between the first and last rule it meets: a tick box
        # drawn against the table's edge may carry the run on past them.
        meets = np.nonzero(touch[y:y + h, x:x + w].any(axis=1))[0]
        if len(meets) < 2 or meets[-1] - meets[0] < length:
            continue
        top, bottom = y + int(meets[0]), y + int(meets[-1]) + 1
        own = labels[top:bottom, x:x + w] == number
        if own[:2].any() and own[-2:].any() and _stands_alone(beside, labels, number, x, top, w, bottom - top):
            out[top:bottom, x:x + w][own] = 255
    return out


STROKE_NEIGHBOURS = 0.5  # a run with ink beside it on more than this share of its rows is a stroke


def _stands_alone(ink: np.ndarray, labels: np.ndarray, number: int, x: int, y: int, w: int, h: int) -> bool:
    """Whether vertical run ``number`` (of ``labels``) has (mostly) no ink
    within a stroke's width beside it, over the middle of its length."""
    pad = max(4, w)
    top, bottom = y + h // 5, y + h - h // 5
    left, right = max(0, x - pad), x + w + pad
    own = cv2.dilate((labels[top:bottom, left:right] == number).astype(np.uint8), np.ones((1, 3), np.uint8)) > 0
    near = (ink[top:bottom, left:right] > 0) & ~own
    return bottom <= top or float(near.any(axis=1).mean()) <= STROKE_NEIGHBOURS


def find_rules(ink: np.ndarray) -> np.ndarray:
    """Table rules: long horizontal runs, and vertical runs between them."""
    horizontal = _horizontal_rules(ink)
    vertical = _vertical_rules(ink, horizontal)
    # Close small breaks in scanned rules, and let rules that stop a pixel
    # short of each other meet.
    horizontal = cv2.dilate(horizontal, cv2.getStructuringElement(cv2.MORPH_RECT, (9, 3)))
    vertical = cv2.dilate(vertical, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 9)))
    return cv2.bitwise_or(horizontal, vertical)


def clear_edges(ink: np.ndarray, depth: float = 0.06, band: float = 0.03) -> np.ndarray:
    """Ink with the slivers along the picture's edges removed: a scanner
    lid's shadow, the corners a deskew rotation fills in, the desk at a
    photo's border. Text never touches the edge of the page; a sliver is
    a blob touching an edge and reaching less than ``depth`` into it, or
    a blob lying wholly in the left or right ``band`` of the page (the
    blotches a scanner's shadow leaves; a page's side margins are wider
    than that — not the top and bottom: a form cut over two pages may
    start with a row right at the top edge)."""
    height, width = ink.shape
    margin = max(3, min(height, width) // 100)  # a white seam may part the sliver from the edge
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    drop = np.zeros(count, dtype=bool)
    for number in range(1, count):
        x, y, w, h, _area = stats[number]
        if x + w <= band * width or x >= (1 - band) * width:
            drop[number] = True
            continue
        left, top = x <= margin, y <= margin
        right, bottom = x + w >= width - margin, y + h >= height - margin
        if not (left or top or right or bottom):
            continue
        thin_side = ((left or right) and w < depth * width) or ((top or bottom) and h < depth * height)
        drop[number] = thin_side
    if not drop.any():
        return ink
    out = ink.copy()
    out[drop[labels]] = 0
    return out


def analyse(grey: np.ndarray) -> PageInk:
    # The OCR reads the flattened page too: a cell in a photo's shadow is
    # then as light around its text as one in the light.
    flat = flatten(grey)
    ink = clear_edges(ink_mask(flat))
    return PageInk(flat, ink, find_rules(ink))


def find_tables(page: PageInk) -> list[Table]:
    rules = page.rules
    height, width = rules.shape
    count, labels, stats, _ = cv2.connectedComponentsWithStats(rules, connectivity=8)
    tables = []
    for number in range(1, count):
        x, y, w, h, _area = stats[number]
        if w < width * 0.3 or h < 40:
            continue
        table = _table_cells(labels[y:y + h, x:x + w] == number, x, y)
        if table is not None:
            tables.append(table)
    tables.sort(key=lambda t: t.box[1])
    return tables


def _table_cells(mask: np.ndarray, left: int, top: int) -> Table | None:
    free = (~mask).astype(np.uint8)
    count, _labels, stats, _ = cv2.connectedComponentsWithStats(free, connectivity=4)
    h, w = mask.shape
    cells = []
    for number in range(1, count):
        x, y, cw, ch, area = stats[number]
        if x == 0 or y == 0 or x + cw >= w or y + ch >= h:
            continue  # outside the frame
        if cw < MIN_CELL or ch < MIN_CELL or area < 0.6 * cw * ch:
            continue
        cells.append(Cell(left + x, top + y, left + x + cw, top + y + ch))
    if len(cells) < 2:
        return None
    table = Table((left, top, left + w, top + h))
    tolerance = max(6, int(np.median([c.height for c in cells]) * 0.3))
    tops: list[int] = []
    for cell in sorted(cells, key=lambda c: c.y0):
        if not tops or cell.y0 - tops[-1] > tolerance:
            tops.append(cell.y0)
    for band_top in tops:
        row: list[tuple[int, Cell | None]] = []
        for cell in cells:
            if abs(cell.y0 - band_top) <= tolerance:
                row.append((cell.x0, cell))
            elif cell.y0 < band_top - tolerance and cell.y1 > band_top + tolerance:
                row.append((cell.x0, None))
        row.sort(key=lambda item: item[0])
        table.rows.append([cell for _, cell in row])
        table.row_tops.append(band_top)
    return table
