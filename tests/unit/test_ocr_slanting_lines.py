"""A phone photo of a form set in paragraphs, its sheet curled: the lines
slope by a degree or two, more further down the page, and tightly set lines
overlap in a row projection. They came out as one tall "line" no engine
could read, and every field on them (phone, e-mail, address, the tick
lists, the free text) went missing. Each line is now found along its own
slope and read levelled.
"""
from __future__ import annotations

import io

import numpy as np
import pytest

from parsers.ocr.grid import analyse
from parsers.ocr.line_bands import Band, straighten
from parsers.ocr.page import _loose_lines

LINE_PITCH = 36  # px: glyphs 24 px high, 12 px of paper between lines


def _slanting_paragraphs(slopes: list[float]) -> np.ndarray:
    """Lines of text-like strokes, each sloping down to the right by its own slope."""
    page = np.full((1400, 1000), 255, np.uint8)
    for number, slope in enumerate(slopes):
        top = 100 + number * LINE_PITCH
        for x in range(80, 880, 30):
            y = top + int(round(slope * x))
            page[y:y + 24, x:x + 6] = 0
            page[y + 10:y + 14, x:x + 22] = 0
    return page


def test_tightly_set_lines_that_slope_are_found_one_by_one():
    slopes = [0.02] * 6 + [0.04] * 6  # about 1° at the top of the sheet, 2° lower down
    lines = _loose_lines(analyse(_slanting_paragraphs(slopes)))
    assert len(lines) == len(slopes), [top for top, _ in lines]
    for (_, pieces), slope in zip(lines, slopes):
        assert len(pieces) == 1
        assert pieces[0].band is not None and pieces[0].band.slope == pytest.approx(slope, abs=0.004)


def test_a_slanting_line_is_read_levelled_without_its_neighbours():
    slopes = [0.04] * 5
    page = analyse(_slanting_paragraphs(slopes))
    _, pieces = _loose_lines(page)[2]
    piece = pieces[0]
    strip = straighten(page.ink, piece.band, piece.box[0], piece.box[2], fill=0)
    inked_rows = np.flatnonzero(strip.any(axis=1))
    assert inked_rows[-1] - inked_rows[0] + 1 <= 26  # one line of 24 px glyphs, not parts of three
    # Every column of strokes sits at the same height once levelled.
    stroke_tops = [np.flatnonzero(strip[:, x])[0] for x in range(strip.shape[1])
                   if np.count_nonzero(strip[:, x]) >= 20]
    assert len(stroke_tops) >= 20
    assert max(stroke_tops) - min(stroke_tops) <= 2


def test_a_level_scan_keeps_its_plain_line_boxes():
    lines = _loose_lines(analyse(_slanting_paragraphs([0.0] * 8)))
    assert len(lines) == 8
    assert all(piece.band is None for _, pieces in lines for piece in pieces)


def test_a_level_band_is_a_plain_row_range():
    image = np.arange(100 * 50, dtype=np.uint8).reshape(100, 50)
    assert np.array_equal(straighten(image, Band(10, 20), 5, 30), image[10:20, 5:30])
    assert Band(10, 20, 0.1).box(0, 100) == (0, 10, 100, 30)


def test_a_curled_photo_of_a_paragraph_form_reads_every_line():
    pytest.importorskip("rapidocr_onnxruntime")
    pdfium = pytest.importorskip("pypdfium2")
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen.canvas import Canvas

    from parsers.ocr.engines import engine_for
    from parsers.ocr.page import read_page

    lines = ["所在县区：赤坎区  手机：18720656973", "办公电话：0759-2814024  电子邮件：4867746840@qq.com",
             "通讯地址：广东省湛江市赤坎区解放西路31号创业大厦8楼", "志愿服务时间：每月不少于2天"]
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(520, 200))
    canvas.setFont("STSong-Light", 12)
    for number, text in enumerate(lines):
        canvas.drawString(30, 160 - number * 16, text)  # set as tightly as the sample forms
    canvas.showPage()
    canvas.save()
    flat = np.asarray(pdfium.PdfDocument(out.getvalue())[0].render(scale=250 / 72).to_pil().convert("L"))
    # The sheet's curl: each column drops by 2.5 % of its distance from the left.
    curled = np.full((flat.shape[0] + 80, flat.shape[1]), 255, np.uint8)
    for x in range(flat.shape[1]):
        drop = int(0.025 * x)
        curled[20 + drop:20 + drop + flat.shape[0], x] = flat[:, x]
    rows = read_page(curled, engine_for("rapidocr", second_opinion=False))
    read = "".join("".join(row.cells) for row in rows).replace(" ", "")
    # (Lines running to the right margin are joined as one paragraph, as in a text PDF.)
    for line in lines:
        assert line.replace(" ", "") in read, read
