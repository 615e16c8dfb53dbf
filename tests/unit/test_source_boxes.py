"""Where each field was read, so staff can be shown the place on the page.

A box is in the coordinates of the page as the review app shows it: a PDF
page's points, typed or scanned (the app renders the same page), and an
image's pixels as the applicant sent it, turned upright by its EXIF
orientation (the app shows that image, scaled).
"""
from __future__ import annotations

import io

import cv2
import numpy as np
import pdfplumber
import pytest
from PIL import Image, ImageDraw, ImageOps

pytest.importorskip("rapidocr_onnxruntime")

from devtools.samples.forms import build_form_pdf, sample_applicants  # noqa: E402
from devtools.samples.scans import image_only_pdf, phone_photo, render_pages  # noqa: E402
from parsers import parse  # noqa: E402
from parsers.ocr import page_images  # noqa: E402
from parsers.ocr.engines import get_engine  # noqa: E402

APPLICANT = sample_applicants(5)[0]
SHOWN = ("name", "id_number", "county", "expertise")


@pytest.fixture(scope="module")
def form_pdf() -> bytes:
    return build_form_pdf(APPLICANT)


@pytest.fixture(scope="module")
def typed(form_pdf):
    [result] = parse("form.pdf", form_pdf)
    return result


def value_text(result, key: str) -> str:
    value = result.fields[key]
    return value[0] if isinstance(value, list) else value  # a tick list: its first ticked option


def value_start(result, key: str) -> str:
    """Enough of the value to find its first word on the page (an ID is set in groups of digits)."""
    return value_text(result, key)[:6]


def words_of(pdf: bytes, text: str) -> list[dict]:
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return [word for word in document.pages[0].extract_words() if text in word["text"]]


def holds(box: list[float], word: dict) -> bool:
    x0, top, x1, bottom = box
    middle_x, middle_y = (word["x0"] + word["x1"]) / 2, (word["top"] + word["bottom"]) / 2
    return x0 <= middle_x <= x1 and top <= middle_y <= bottom


def test_a_typed_pdf_says_where_each_field_was_read(form_pdf, typed):
    assert set(typed.source) == set(typed.fields)
    for key in SHOWN:
        source = typed.source[key]
        assert source["page"] == 1
        words = words_of(form_pdf, value_start(typed, key))
        assert words and any(holds(source["box"], word) for word in words), key


def test_a_scanned_pdf_points_at_the_same_places_in_points(form_pdf, typed):
    scanned = image_only_pdf(render_pages(form_pdf, 200), dpi=200)
    [result] = parse("scan.pdf", scanned)
    assert result.method.startswith("pdf-ocr")
    for key in SHOWN:
        assert result.fields[key] == typed.fields[key]
        source = result.source[key]
        x0, top, x1, bottom = source["box"]
        assert source["page"] == 1 and (x1 - x0) * (bottom - top) < 595 * 842 / 20  # a cell, not the page
        words = words_of(form_pdf, value_start(typed, key))
        assert any(holds(source["box"], word) for word in words), key


def test_a_phone_photo_points_at_the_value_on_the_photo_as_sent(form_pdf):
    data = phone_photo(render_pages(form_pdf, 180)[0], 3)  # stored sideways, EXIF says how to turn it
    [result] = parse("IMG_0001.jpg", data)
    as_shown = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("L")
    engine = get_engine("rapidocr")
    for key in SHOWN:
        source = result.source[key]
        assert source["page"] == 1
        crop = np.asarray(as_shown.crop(tuple(round(v) for v in source["box"])))
        [(read, _confidence)] = engine.read_cells([(crop, "chinese")])
        # A raw crop of a photo (shadowed, at an angle) reads worse than the
        # straightened page: the box holds the value when half of it is read there.
        expected = value_text(result, key)
        assert sum(ch in read for ch in expected) >= len(expected) / 2, (key, read)


def grey_marker(image: Image.Image) -> tuple[float, float]:
    """The middle of the one big mid-grey patch on a page (text and rules are black)."""
    pixels = np.asarray(image.convert("L"))
    patch = ((pixels > 110) & (pixels < 190)).astype(np.uint8)
    patch = cv2.morphologyEx(patch, cv2.MORPH_OPEN, np.ones((15, 15), np.uint8))
    ys, xs = np.nonzero(patch)
    assert len(xs), "marker not found"
    return float(xs.mean()), float(ys.mean())


def test_a_turned_and_skewed_scan_maps_back_onto_the_scan(form_pdf):
    page = render_pages(form_pdf, 150)[0].convert("L")
    ImageDraw.Draw(page).rectangle((120, 1500, 260, 1580), fill=150)
    scan = page.rotate(92, resample=Image.BICUBIC, expand=True, fillcolor=255)  # on its side, and 2° off
    upright = page_images.normalise_page(scan, contrast=False)
    assert upright.height > upright.width
    x, y = grey_marker(upright)
    x0, y0, x1, y1 = page_images.placement_of(upright).box((x, y, x, y))
    expected = grey_marker(scan)
    assert abs(x0 - expected[0]) < 4 and abs(y0 - expected[1]) < 4
    assert page_images.placement_of(scan).box((5, 5, 9, 9)) == (5, 5, 9, 9)  # an image of its own: its pixels
