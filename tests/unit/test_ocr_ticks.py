"""Tick boxes found in the ink of scans and photos (parsers.ocr.tick_marks)."""
from __future__ import annotations

import numpy as np

from parsers.ocr.tick_marks import rewrite
from parsers.ocr.tick_shapes import find_boxes


def _box(ink, x, y, size=24, filled=False, cut_bottom=0):
    ink[y:y + size, x:x + size] = 255
    if not filled:
        ink[y + 3:y + size - 3, x + 3:x + size - 3] = 0
    if cut_bottom:
        ink[y + size - cut_bottom:y + size, x + 4:x + size - 4] = 0


def _glyph(ink, x, y, size=24):
    """A character-like blob: a cross of strokes."""
    ink[y + size // 2 - 1:y + size // 2 + 2, x:x + size] = 255
    ink[y:y + size, x + size // 2 - 1:x + size // 2 + 2] = 255


def test_box_cut_by_the_crop_edge_is_still_a_box():
    # The cell's rule took the box's bottom side: the crop ends inside it.
    ink = np.zeros((26, 200), np.uint8)
    _box(ink, 10, 4, size=24)  # runs past the crop's bottom edge
    ink[25, 14:30] = 0  # only the sides reach the last row
    _box(ink, 100, 2, size=24, filled=True)
    boxes = find_boxes(ink, 27)
    assert [(b.x0, b.ticked) for b in boxes] == [(10, False), (100, True)]


def test_box_touching_the_option_name_is_found():
    ink = np.zeros((40, 300), np.uint8)
    _box(ink, 10, 8)
    _glyph(ink, 34, 8)  # the first character touches the box's right side
    _box(ink, 150, 8, filled=True)
    _glyph(ink, 174, 8)
    boxes = find_boxes(ink, 27)
    assert [(b.x0, b.ticked) for b in boxes] == [(10, False), (150, True)]


def test_boxes_decide_when_ocr_lost_every_mark():
    ink = np.zeros((30, 600), np.uint8)
    for x, filled in [(10, False), (200, True), (400, False)]:
        _box(ink, x, 2, filled=filled)
        _glyph(ink, x + 24, 2)
    text, confidence = rewrite("线上志愿服务线下志愿服务精准对接", ink, 27, 0.99)
    assert text == "□线上志愿服务 ☑线下志愿服务 □精准对接" and confidence >= 0.9


def test_one_box_missing_leaves_the_reading_in_doubt():
    ink = np.zeros((30, 600), np.uint8)
    for x, filled in [(10, False), (200, True)]:
        _box(ink, x, 2, filled=filled)
    text, confidence = rewrite("口线上志愿服务口线下志愿服务精准对接", ink, 27, 0.99)
    assert confidence < 0.8


def test_short_forms_are_options_even_with_the_marks_between_them_lost():
    from parsers.ocr.tick_marks import options_in, tick_fields

    modes = tick_fields()["service_modes"]
    # "☑线上 □线下 ☑对接" as OCR read it: the ☑ lost, the □ read as 口.
    assert [option for _, _, option in options_in("线上口线下对接", modes)] == list(modes)
    assert options_in("服务方式可多选", modes) == []


def test_a_tick_question_whose_label_ran_into_its_options_is_still_read_as_ticks():
    from parsers.ocr.cell_hints import inline_label as _inline_label

    # OCR lost the gap after the label: the line is still the question's tick list.
    assert _inline_label("参与方式线上志愿服务线下志愿服务精准对接") == "参与方式"
    assert _inline_label("专业领域：□政策解读") == "专业领域："
    assert _inline_label("熟悉政策解读等业务") == ""


def test_boxes_of_one_line_stay_in_order_whatever_pixel_they_start_on():
    from parsers.ocr.tick_shapes import Box, _reading_order

    # One line's boxes at y 49 and 50 (line height 50), then nothing below.
    boxes = [Box(207, 50, 230, 73, 0.3), Box(38, 49, 61, 72, 0.0), Box(122, 49, 145, 72, 0.0), Box(300, 5, 323, 28, 0.0)]
    assert [box.x0 for box in _reading_order(boxes, 50)] == [300, 38, 122, 207]


def test_a_lists_next_lines_are_read_as_ticks_and_prose_naming_options_is_left_alone():
    from parsers.ocr.tick_marks import rewrite

    # "□法律 ☑财税 □会计" on a line of its own, three boxes in its ink: the ink decides.
    import numpy as np
    ink = np.zeros((40, 400), np.uint8)
    for x, ticked in ((5, False), (140, True), (270, False)):
        ink[5:35, x:x + 30] = 255
        ink[8:32, x + 3:x + 27] = 255 if ticked else 0
    text, confidence = rewrite("法律财税会计", ink, 30, 0.4)
    assert text == "□法律 ☑财税 □会计" and confidence > 0.9
    prose = "熟悉政策解读、智能制造、科技创新等业务"
    assert rewrite(prose, np.zeros((40, 600), np.uint8), 30, 0.99) == (prose, 0.99)
