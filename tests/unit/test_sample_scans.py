"""The scan/photo builders and the sample corpus: deterministic, realistic
in the ways the readers care about, and carrying their ground truth."""
from __future__ import annotations

import io
import os

import pdfplumber
import pytest
from PIL import Image, ImageOps, ImageStat

from devtools.samples import corpus as corpus_module
from devtools.samples import scans
from devtools.samples.corpus import build_corpus
from devtools.samples.forms import build_form_docx, build_form_pdf, sample_applicants
from parsers.readers.sniff import extension_kind, sniff_kind

SOFFICE = scans.soffice_path()


@pytest.fixture(scope="module")
def applicant():
    return sample_applicants(2)[1]


@pytest.fixture(scope="module")
def page(applicant):
    return scans.render_pages(build_form_pdf(applicant), 60)[0]


def test_render_pages_gives_one_image_per_page_at_the_dpi(applicant):
    pages = scans.render_pages(build_form_pdf(applicant), 72)
    assert len(pages) == 1 and pages[0].mode == "RGB"
    assert abs(pages[0].width - 595) <= 1 and abs(pages[0].height - 842) <= 1  # A4 in points


def test_scan_image_is_deterministic_and_a_jpeg(page):
    first, again, other = scans.scan_image(page, 7), scans.scan_image(page, 7), scans.scan_image(page, 8)
    assert first == again and first != other
    image = Image.open(io.BytesIO(first))
    assert image.format == "JPEG" and image.size == page.size
    assert image.info.get("dpi", (0, 0))[0] == pytest.approx(60, abs=1)
    # Off-white paper, not pure white: the corner is tinted and noisy.
    corner = ImageStat.Stat(image.convert("L").crop((10, 10, 40, 40)))
    assert 200 < corner.mean[0] < 250 and corner.stddev[0] > 1


def test_phone_photo_stores_pixels_rotated_with_exif_orientation(page):
    seeds = {scans.phone_orientation(seed): seed for seed in range(40)}
    assert set(seeds) == {3, 6, 8}
    for seed in seeds.values():
        data = scans.phone_photo(page, seed)
        assert data == scans.phone_photo(page, seed)
        image = Image.open(io.BytesIO(data))
        orientation = image.getexif().get(scans.EXIF_ORIENTATION)
        assert orientation == scans.phone_orientation(seed) and orientation in (3, 6, 8)
        upright = scans.photograph(page, seed)
        assert ImageOps.exif_transpose(image).size == upright.size
        if orientation in (6, 8):
            assert image.size == (upright.height, upright.width)  # stored sideways, like a phone's sensor
    # The page sits on a background: the photo is bigger than the page.
    assert upright.width > page.width and upright.height > page.height


def test_image_only_pdf_has_pages_but_no_text_layer(page):
    scanned = [scans.degrade_scan(page, 1), scans.degrade_scan(page, 2)]
    data = scans.image_only_pdf(scanned)
    assert data == scans.image_only_pdf(scanned)
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        assert len(pdf.pages) == 2
        assert all(p.chars == [] and p.extract_text() == "" for p in pdf.pages)
        assert all(len(p.images) == 1 for p in pdf.pages)
    assert sniff_kind("扫描件.pdf", data) == "pdf"


def test_handwritten_form_and_non_forms_are_deterministic(applicant):
    first = scans.handwritten_form_image(applicant, 3, dpi=100)
    assert first.tobytes() == scans.handwritten_form_image(applicant, 3, dpi=100).tobytes()
    assert scans.id_card_image(applicant, 1).tobytes() == scans.id_card_image(applicant, 1).tobytes()


def test_corpus_items_carry_ground_truth(monkeypatch, tmp_path):
    monkeypatch.setattr(scans, "soffice_path", lambda: None)  # fast: no LibreOffice, reportlab pages
    with pytest.warns(UserWarning, match="LibreOffice"):
        items = build_corpus(("docx", "doc", "handwritten", "non_form"), applicants=1,
                             seed=3, jobs=1)
    person = sample_applicants(1, 3)[0]
    formats = {item.format for item in items}
    assert formats == {"docx", "handwritten", "non_form"}  # no .doc without soffice
    assert len({item.name for item in items}) == len(items)
    for item in items:
        assert item.data and item.pages >= 1
        assert sniff_kind(item.filename, item.data) == extension_kind(item.filename)  # bytes agree with the name
        if item.format == "non_form":
            assert item.expected is None and item.expected_forms == []
            continue
        assert item.applicant == person and item.expected == person.expected_fields()
        if item.format == "handwritten":
            assert item.review_keys == sorted(person.expected_fields())
        else:
            assert item.review_keys == []
    assert {item.filename.rsplit(".", 1)[1] for item in items if item.format == "non_form"} >= {"jpg", "docx"}


def test_corpus_cache_returns_the_same_items(tmp_path):
    first = build_corpus(("docx",), applicants=2, seed=1, cache_dir=tmp_path)
    assert len(list(tmp_path.iterdir())) == 1
    second = build_corpus(("docx",), applicants=2, seed=1, cache_dir=tmp_path)
    assert [(i.name, i.filename, i.data, i.expected, i.applicant) for i in first] == \
           [(i.name, i.filename, i.data, i.expected, i.applicant) for i in second]
    assert corpus_module.cache_key(("docx",), 2, 1) != corpus_module.cache_key(("docx",), 3, 1)


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="unknown formats"):
        build_corpus(("fax",), applicants=1)


@pytest.mark.skipif(SOFFICE is None and os.environ.get("CI") != "true", reason="LibreOffice is not installed")
def test_docx_converts_to_doc_and_wps_through_libreoffice(applicant):
    assert SOFFICE, "CI must have LibreOffice (soffice) installed"
    converted = scans.docx_to_many("doc", {"a": build_form_docx(applicant, "table4"),
                                           "b": build_form_docx(applicant, "merged")})
    for data in converted.values():
        assert data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")  # a Word 97 compound file
        assert sniff_kind("报名表.doc", data) == "doc" and sniff_kind("报名表.wps", data) == "wps"
    assert converted["a"] != converted["b"]
