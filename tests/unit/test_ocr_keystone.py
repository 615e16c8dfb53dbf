"""A photo whose sheet edge was not found: the table's own rules square the page."""
from __future__ import annotations

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2")

from parsers.ocr.grid import analyse, find_tables  # noqa: E402
from parsers.ocr.keystone import frame_corners, square_to_rules  # noqa: E402
from tests.unit.drawing import ruled_page  # noqa: E402

ROWS = (300, 380, 460, 540, 620, 700)
COLUMNS = (120, 420, 700, 1000)


def form_page() -> np.ndarray:
    """A sheet filling the picture: a ruled 5×3 table on paper, as a phone
    held close sees it (no desk around it, so no outline to cut out)."""
    return ruled_page(1500, 1100, ROWS, COLUMNS, paper=235, ink=30, thickness=3)


def keystoned(page: np.ndarray) -> np.ndarray:
    """Taken at an angle: the top edge further away, shorter than the bottom."""
    height, width = page.shape
    source = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    leaning = np.array([[70, 40], [width - 90, 0], [width, height], [0, height - 20]], np.float32)
    matrix = cv2.getPerspectiveTransform(source, leaning)
    return cv2.warpPerspective(page, matrix, (width, height), borderValue=235)


def test_a_keystoned_table_comes_out_square_with_every_cell():
    photo = keystoned(form_page())
    assert frame_corners(photo) is not None
    squared, back = square_to_rules(photo)
    assert back is not None
    assert frame_corners(squared) is None  # nothing left to square
    [table] = find_tables(analyse(squared))
    assert [len(row) for row in table.rows] == [3] * 5
    lefts = [row[0].x0 for row in table.rows]
    assert max(lefts) - min(lefts) <= 4  # the left rule is upright again


def test_the_squared_page_maps_back_onto_the_photo():
    photo = keystoned(form_page())
    squared, back = square_to_rules(photo)
    # A corner of the table on the squared page lies on the photo's table corner.
    corners = frame_corners(photo)
    [table] = find_tables(analyse(squared))
    first = table.rows[0][0]
    x, y, w = back @ np.array([first.x0, first.y0, 1.0])
    assert np.hypot(x / w - corners[0][0], y / w - corners[0][1]) < 8


def test_a_flat_scan_is_left_exactly_as_it_is():
    scan = form_page()
    squared, back = square_to_rules(scan)
    assert back is None and squared is scan


def test_a_page_without_rules_is_left_alone():
    page = np.full((1500, 1100), 240, np.uint8)
    page[200:220, 100:900] = 40  # a heading's worth of ink, no table
    assert square_to_rules(page)[1] is None


def test_the_table_is_squared_not_the_sheet_edge_around_it():
    """A photo taken whole: the sheet's edge, a long dark line against the
    desk, frames the keystoned table. The frame is a bigger net of rules
    than the table but holds few rules across it; the table's rules square
    the page."""
    photo = keystoned(form_page())
    height, width = photo.shape
    framed = np.full((height + 200, width + 200), 235, np.uint8)
    framed[100:100 + height, 100:100 + width] = photo
    # The sheet's edge, leaning a little as the photo's rules do.
    cv2.polylines(framed, [np.array([[40, 60], [width + 150, 30], [width + 170, height + 150], [30, height + 170]],
                                    np.int32)], True, 40, 6)
    corners = frame_corners(framed)
    assert corners is not None
    # The corners found are the table's (its top-left rule crossing), not the sheet edge's.
    table_top_left = frame_corners(photo)[0] + 100
    assert np.hypot(*(corners[0] - table_top_left)) < 10
