"""Scanned and photographed forms: parse() on images and image-only PDFs.

Pages are clean 200-dpi renders of ``build_form_pdf`` (the scan/photo
fixtures with noise, blur and perspective live in intake/samples/scans.py).
Each OCR'd page costs a few seconds, so results are computed once per module.
"""
from __future__ import annotations

import io
from dataclasses import asdict

import numpy as np
import pytest

pytest.importorskip("rapidocr_onnxruntime")
pdfium = pytest.importorskip("pypdfium2")

from devtools.samples.forms import Applicant, build_form_pdf, sample_applicants  # noqa: E402
from parsers import parse  # noqa: E402
from parsers.ocr import REVIEW_BELOW  # noqa: E402

APPLICANTS = sample_applicants(5)
# 0: "■" before options; 3: "√" before; 4: "（√）" after.
CLEAN = [APPLICANTS[0], APPLICANTS[3]]


def render(pdf: bytes, dpi: int = 200):
    document = pdfium.PdfDocument(pdf)
    return [page.render(scale=dpi / 72, grayscale=True).to_pil() for page in document]


def png(image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def image_pdf(images) -> bytes:
    """A PDF of page images only, as a scanner makes it."""
    out = io.BytesIO()
    images[0].convert("L").save(out, "PDF", resolution=200, save_all=True,
                                append_images=[image.convert("L") for image in images[1:]])
    return out.getvalue()


def blank_applicant() -> Applicant:
    values = asdict(APPLICANTS[0])
    return Applicant(**{key: ([] if isinstance(value, list) else 0 if key == "style" else "")
                        for key, value in values.items()})


def assert_never_silently_wrong(result, expected: dict) -> None:
    for key, value in expected.items():
        if result.fields.get(key) != value:
            assert key in result.needs_review, f"{key}: {result.fields.get(key)!r} != {value!r}, not flagged"
    for key in result.fields:
        if key not in expected:
            assert key in result.needs_review, f"{key} read from nowhere: {result.fields[key]!r}"


@pytest.fixture(scope="module")
def clean_results():
    return [parse("scan.png", png(render(build_form_pdf(applicant))[0])) for applicant in CLEAN]


def test_clean_renders_read_back_every_field(clean_results):
    for applicant, results in zip(CLEAN, clean_results):
        assert len(results) == 1
        result = results[0]
        assert result.method == "ocr-rapidocr"
        assert result.fields == applicant.expected_fields()
        assert result.needs_review == []
        assert all(REVIEW_BELOW <= c <= 1.0 for c in result.confidence.values())


def _mixed_pdf(text_pdf: bytes, image) -> bytes:
    """Text page first, then the image as a page of its own (pypdfium2 only)."""
    document = pdfium.PdfDocument(text_pdf)
    scan = pdfium.PdfDocument(image_pdf([image]))
    document.import_pages(scan)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_ticks_in_brackets_after_options_are_read_from_the_ink():
    applicant = APPLICANTS[4]
    result = parse("scan.png", png(render(build_form_pdf(applicant))[0]))[0]
    assert_never_silently_wrong(result, applicant.expected_fields())
    assert result.fields["expertise"] == applicant.expertise
    assert result.fields["service_modes"] == applicant.service_modes


def test_pdf_mixing_text_and_scanned_pages():
    typed, scanned = APPLICANTS[3], APPLICANTS[0]
    data = _mixed_pdf(build_form_pdf(typed), render(build_form_pdf(scanned))[0])
    results = parse("mixed.pdf", data)
    assert [r.fields.get("name") for r in results] == [typed.name, scanned.name]
    assert results[0].fields == typed.expected_fields()
    assert_never_silently_wrong(results[1], scanned.expected_fields())
    assert results[1].method == "pdf-ocr-rapidocr"


def test_form_scanned_over_two_pages_is_one_form():
    applicant = APPLICANTS[0]
    page = render(build_form_pdf(applicant))[0]
    width, height = page.size
    cut = int(height * 0.31)  # on the rule between the ID and address rows
    top, bottom = page.crop((0, 0, width, cut)), page.crop((0, cut, width, height))
    results = parse("two.pdf", image_pdf([top, bottom]))
    assert len(results) == 1
    assert_never_silently_wrong(results[0], applicant.expected_fields())
    assert results[0].fields["name"] == applicant.name
    assert results[0].fields["specialty"] == applicant.specialty


def test_upside_down_scan_is_turned():
    applicant = APPLICANTS[3]
    page = render(build_form_pdf(applicant))[0].rotate(180)
    results = parse("upside.png", png(page))
    assert len(results) == 1
    assert_never_silently_wrong(results[0], applicant.expected_fields())
    assert results[0].fields["id_number"] == applicant.id_number


def test_blank_form_gives_a_form_with_no_fields():
    results = parse("blank.png", png(render(build_form_pdf(blank_applicant()))[0]))
    assert len(results) == 1
    assert results[0].fields == {}
    assert results[0].needs_review == []


def test_unreadable_scribble_is_missing_and_flagged_not_guessed():
    import cv2

    page = np.asarray(render(build_form_pdf(blank_applicant()))[0]).copy()
    # Scribble in the name value cell (row 1, column 2 of the printed table).
    rng = np.random.default_rng(1)
    for _ in range(12):
        x0, y0 = int(rng.integers(420, 760)), int(rng.integers(232, 270))
        x1, y1 = x0 + int(rng.integers(-40, 40)), int(rng.integers(232, 270))
        cv2.line(page, (x0, y0), (x1, y1), 0, 3)
    from PIL import Image

    result = parse("scribble.png", png(Image.fromarray(page)))[0]
    assert "name" not in result.fields or "name" in result.needs_review
    if "name" not in result.fields:
        assert "name" in result.needs_review
        assert any("姓名" in warning for warning in result.warnings)


def test_wrong_id_check_digit_is_flagged():
    applicant = sample_applicants(1)[0]
    wrong = "0" if applicant.id_number[5] != "0" else "1"
    applicant.id_number = applicant.id_number[:5] + wrong + applicant.id_number[6:]
    result = parse("a.png", png(render(build_form_pdf(applicant))[0]))[0]
    assert result.fields["id_number"] == applicant.id_number
    assert "id_number" in result.needs_review
    assert any("校验位" in warning for warning in result.warnings)


def test_image_without_a_form_is_readable_and_no_form():
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen.canvas import Canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(400, 250))
    canvas.setFont("STSong-Light", 14)
    for y, text in [(200, "中华人民共和国"), (170, "居民身份证"), (130, "签发机关  湛江市公安局赤坎分局"),
                    (100, "有效期限  2016.05.12-2036.05.12")]:
        canvas.drawString(40, y, text)
    canvas.showPage()
    canvas.save()
    assert parse("id-card.jpg", png(render(out.getvalue())[0])) == []
