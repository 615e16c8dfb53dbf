"""Page geometry and structure recovery under scan/photo degradations (no OCR)."""
from __future__ import annotations

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2")

from PIL import Image  # noqa: E402

from parsers.ocr import page_images as images  # noqa: E402
from parsers.ocr.geometry import find_sheet, order_corners, rectify  # noqa: E402
from parsers.ocr.grid import analyse, clear_edges, find_tables  # noqa: E402
from parsers.ocr.loose_view import table_area  # noqa: E402
from parsers.ocr.page import _join_paragraphs, _merge_loose, _Piece  # noqa: E402
from tests.unit.drawing import ruled_page  # noqa: E402

SHEET = (700, 990)  # width, height of the flat sheet
CORNERS = np.array([[150, 90], [790, 120], [840, 1130], [100, 1110]], np.float32)  # keystone


def ruled_sheet() -> np.ndarray:
    """A white sheet with a ruled 3×2 table."""
    return ruled_page(SHEET[1], SHEET[0], (200, 300, 400, 500), (100, 350, 600), paper=235, ink=30, thickness=3)


def photographed(sheet: np.ndarray) -> np.ndarray:
    """The sheet warped onto a darker, unevenly lit desk."""
    width, height = SHEET
    source = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], np.float32)
    matrix = cv2.getPerspectiveTransform(source, CORNERS)
    desk = np.full((1250, 950), 90, np.uint8)
    warped = cv2.warpPerspective(sheet, matrix, (950, 1250))
    mask = cv2.warpPerspective(np.full_like(sheet, 255), matrix, (950, 1250))
    photo = np.where(mask > 127, warped, desk).astype(np.float32)
    light = np.linspace(0.8, 1.05, photo.shape[1], dtype=np.float32)[None, :]
    noise = np.random.default_rng(1).normal(0, 3, photo.shape).astype(np.float32)
    return np.clip(photo * light + noise, 0, 255).astype(np.uint8)


def test_order_corners():
    shuffled = CORNERS[[2, 0, 3, 1]]
    assert np.array_equal(order_corners(shuffled), CORNERS)


def test_sheet_found_in_a_photo_and_warped_upright():
    photo = photographed(ruled_sheet())
    corners = find_sheet(photo)
    assert corners is not None
    assert np.abs(corners - CORNERS).max() < 12
    flat = rectify(photo, corners)
    assert abs(flat.shape[1] - SHEET[0]) < 0.1 * SHEET[0] and abs(flat.shape[0] - SHEET[1]) < 0.1 * SHEET[1]
    [table] = find_tables(analyse(flat))
    assert [len(row) for row in table.rows] == [2, 2, 2]
    # The rules came out axis-aligned: every cell is a clean rectangle of similar size.
    widths = [cell.x1 - cell.x0 for row in table.rows for cell in row]
    assert max(widths) - min(widths) < 12


def test_scan_filling_the_frame_is_left_alone():
    scan = ruled_sheet()
    assert find_sheet(scan) is None
    assert rectify(scan) is scan


def test_flatten_sheet_on_a_pil_page():
    page = Image.fromarray(photographed(ruled_sheet()), "L")
    flat = images.flatten_sheet(page)
    assert flat.mode == "L" and abs(flat.width - SHEET[0]) < 0.1 * SHEET[0]
    scan = Image.fromarray(ruled_sheet(), "L")
    assert images.flatten_sheet(scan) is scan


def test_character_strokes_near_rules_are_not_vertical_rules():
    page = ruled_page(600, 800, (100, 140, 180), (100, 400, 700), paper=250, ink=20)
    # Tall strokes of characters in tight rows, 3 px short of the rules.
    for x in range(150, 380, 40):
        page[105:137, x:x + 3] = 20
        page[145:177, x + 300:x + 303] = 20
    [table] = find_tables(analyse(page))
    assert [len(row) for row in table.rows] == [2, 2]


def test_slightly_tilted_table_keeps_its_rows():
    page = ruled_page(700, 900, (100, 160, 220, 280), (100, 450, 800), paper=245, ink=20)
    matrix = cv2.getRotationMatrix2D((450, 350), 0.4, 1.0)
    tilted = cv2.warpAffine(page, matrix, (900, 700), borderValue=245)
    [table] = find_tables(analyse(tilted))
    assert [len(row) for row in table.rows] == [2, 2, 2]


def test_edge_slivers_removed_text_kept():
    ink = np.zeros((400, 300), np.uint8)
    ink[:, 0:12] = 255  # the scanner lid's shadow
    ink[394:400, 100:200] = 255  # a strip along the bottom edge
    ink[100:130, 100:160] = 255  # text
    cleaned = clear_edges(ink)
    assert not cleaned[:, :12].any() and not cleaned[394:].any()
    assert cleaned[100:130, 100:160].all()


def piece(x0: int, x1: int, text: str, top: int = 100) -> _Piece:
    return _Piece((x0, top, x1, top + 36), 0, 0, text=text, confidence=0.99, has_ink=True)


def test_loose_line_cut_into_cells_like_the_text_pdf_reader():
    # "姓    名：冼浩      性    别：男": padded labels stay whole, fields part.
    row = [piece(250, 290, "姓"), piece(340, 450, "名：冼浩"), piece(500, 535, "性"), piece(585, 660, "别：男"),
           piece(1688, 1700, "")]  # a speck, read as nothing
    cells = _merge_loose(row)
    assert [cell.text for cell in cells] == ["姓名：冼浩", "性别：男"]
    assert [cell.column for cell in cells] == [0, 1]


def test_wrapped_paragraph_lines_join():
    placed = [(100, 1, None, False, False), (150, 1, None, False, False), (200, 1, None, False, False)]
    rows = [[piece(250, 1440, "熟悉数字化转型、科技创新", 100)], [piece(252, 340, "咨询。", 150)],
            [piece(250, 500, "主要工作经历：", 200)]]
    placed, rows = _join_paragraphs(placed, rows)
    assert [[cell.text for cell in row] for row in rows] == [["熟悉数字化转型、科技创新\n咨询。"], ["主要工作经历："]]
    assert len(placed) == 2


def test_text_at_the_top_edge_of_a_cut_page_is_kept():
    ink = np.zeros((400, 300), np.uint8)
    ink[4:24, 100:160] = 255  # the first row of a table cut over two pages
    ink[100:110, 290:298] = 255  # a blotch in the side band
    cleaned = clear_edges(ink)
    assert cleaned[4:24, 100:160].all() and not cleaned[100:110, 290:].any()


def test_a_tick_box_drawn_against_the_tables_edge_does_not_cost_it_its_rule():
    # The table's right rule runs on into a ☒ printed just below the table
    # (the last option of a list beside it): the rule is still the rule.
    page = ruled_page(700, 900, (100, 160, 220), (100, 450, 800), paper=245, ink=20)
    page[222:262, 800:803] = 20  # the box's left side, continuing the rule
    page[222:225, 800:840] = 20
    page[259:262, 800:840] = 20
    page[222:262, 837:840] = 20
    [table] = find_tables(analyse(page))
    assert [len(row) for row in table.rows] == [2, 2]


def test_one_line_answers_lose_the_spaces_chinese_has_none_of():
    from parsers.schema import load_schema
    from parsers.text.fields import normalise

    address = load_schema().spec_for("address")
    assert normalise(address, "广东省湛江市廉江市南桥南路 77 号丽景湾 B 座1206") == "广东省湛江市廉江市南桥南路77号丽景湾B座1206"
    employer = load_schema().spec_for("employer")
    assert normalise(employer, "TCL Technology 湛江分公司") == "TCL Technology湛江分公司"


def test_a_line_set_close_under_the_table_is_not_cut_by_the_tables_area():
    page = ruled_page(700, 900, (100, 160, 220), (100, 450, 800), paper=245, ink=20)
    for x in range(120, 400, 28):  # a line of text 6 px under the table's bottom rule
        page[228:250, x:x + 3] = 20
        page[238:241, x:x + 20] = 20
    ink = analyse(page)
    area = table_area(ink, find_tables(ink))
    assert area[150, 300] and not area[232:250, 120:400].any()
