"""parsers/ocr/page_images.py and orientation.py: decoding, caps, orientation, skew and binarisation."""
from __future__ import annotations

import io
import shutil
import struct
import zlib

import pytest
from PIL import Image, ImageChops, ImageOps

from devtools.samples.forms import build_form_pdf, sample_applicants
from parsers.ocr import orientation
from parsers.ocr import page_images as images
from parsers.readers.pdf import scanned_pages
from parsers.errors import CorruptFile, EncryptedFile, TooLarge

pytest.importorskip("numpy")
TESSERACT = shutil.which("tesseract")
APPLICANT = sample_applicants(1)[0]


@pytest.fixture(scope="module")
def form_page() -> Image.Image:
    """The sample form rendered at 150 dpi, upright."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(build_form_pdf(APPLICANT))
    return document[0].render(scale=150 / 72, grayscale=True).to_pil().convert("L")


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute pixel difference (0..255) of two same-sized pages."""
    assert a.size == b.size
    histogram = ImageChops.difference(a, b).histogram()
    return sum(value * count for value, count in enumerate(histogram)) / (a.width * a.height)


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims a size: Pillow reads the header before any pixels."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def test_exif_rotated_jpeg_comes_out_upright_without_metadata(form_page):
    stored = form_page.rotate(90, expand=True)  # the sensor's landscape pixels
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to view
    exif[0x010F] = "Apple"
    exif.get_ifd(0x8825)[2] = (21.0, 16.0, 30.0)  # a GPS latitude
    data = encode(stored.convert("RGB"), "JPEG", quality=90, exif=exif.tobytes())
    [page] = images.load_pages(data, normalise=False)
    assert page.mode == "L"
    assert page.size == form_page.size
    assert difference(page, form_page) < 6
    assert page.info == {} and len(page.getexif()) == 0


@pytest.mark.parametrize("turned", [90, 180, 270])
def test_turned_scan_comes_back_upright(form_page, turned):
    pytest.importorskip("rapidocr_onnxruntime")
    data = encode(form_page.rotate(turned, expand=True), "PNG")
    [page] = images.load_pages(data, normalise=False)
    assert orientation.detect_rotation(page) == turned
    upright = images.normalise_page(page, skew=False, contrast=False)
    assert upright.size == form_page.size
    assert difference(upright, form_page) < 3


@pytest.mark.skipif(TESSERACT is None, reason="tesseract is not installed")
@pytest.mark.parametrize("turned", [0, 90])
def test_tesseract_osd_still_tells_without_rapidocr(form_page, turned):
    page = form_page.rotate(turned, expand=True)
    assert orientation.osd_rotation(page) == turned


def test_a_page_without_text_is_left_as_it_is():
    pytest.importorskip("rapidocr_onnxruntime")
    assert orientation.detect_rotation(Image.new("L", (800, 1100), 255)) == 0


@pytest.mark.parametrize("angle", [3.0, -3.0])
def test_small_skew_is_corrected(form_page, angle):
    skewed = form_page.rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=255)
    assert abs(orientation.estimate_skew(skewed) + angle) < 0.5
    straight = orientation.deskew(skewed)
    assert abs(orientation.estimate_skew(straight)) < 0.5
    assert orientation.estimate_skew(form_page) == pytest.approx(0, abs=0.5)


def test_multipage_tiff_gives_every_page(form_page):
    small = form_page.resize((form_page.width // 2, form_page.height // 2))
    frames = [small, ImageOps.invert(small), small.rotate(180)]
    data = encode(frames[0], "TIFF", save_all=True, append_images=frames[1:], compression="tiff_deflate")
    pages = images.load_pages(data, normalise=False)
    assert len(pages) == 3
    assert all(page.size == small.size for page in pages)
    assert len(images.load_pages(data, normalise=False, max_pages=2)) == 2


def test_heic_round_trip(form_page):
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    small = form_page.resize((form_page.width // 2, form_page.height // 2)).convert("RGB")
    data = encode(small, "HEIF", quality=90)
    assert data[4:8] == b"ftyp"
    from parsers.readers.sniff import sniff_kind
    assert sniff_kind("IMG_0001.HEIC", data) == "image"
    [page] = images.load_pages(data, normalise=False)
    assert page.size == small.size
    assert difference(page, small.convert("L")) < 8


@pytest.mark.parametrize("side", [12000, 20000, 7000])
def test_decompression_bombs_are_rejected(side):
    # 12000² makes Pillow warn, 20000² makes it refuse, 7000² is over our own 40 MP cap.
    with pytest.raises(TooLarge, match="像素") as caught:
        images.load_pages(png_header(side, side))
    assert caught.value.reason == "too_large"


def test_big_phone_jpeg_is_decoded_at_reduced_size():
    photo = Image.new("L", (8000, 6000), 200)  # 48 MP, over the cap until drafted
    data = encode(photo, "JPEG", quality=50)
    [page] = images.load_pages(data, normalise=False)
    assert max(page.size) <= images.MAX_SIDE
    assert page.size == (4000, 3000)


def test_corrupt_image():
    with pytest.raises(CorruptFile):
        images.load_pages(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    with pytest.raises(CorruptFile):
        images.load_pages(b"\xff\xd8\xff\xe0" + b"\x00" * 100)


def _pdf_text_then_image(form_page: Image.Image, **canvas_options) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    from devtools.samples import forms

    text_pdf = io.BytesIO()
    canvas = Canvas(text_pdf, pagesize=A4, **canvas_options)
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    pdfmetrics.registerFont(UnicodeCIDFont(forms.PDF_FONT))
    forms._draw_form(canvas, APPLICANT)
    canvas.showPage()
    canvas.drawImage(ImageReader(form_page.convert("RGB")), 0, 0, *A4)
    canvas.showPage()
    canvas.save()
    return text_pdf.getvalue()


def test_pdf_mixing_text_and_image_pages(form_page):
    data = _pdf_text_then_image(form_page)
    assert scanned_pages(data) == [1]
    [page] = images.render_pdf_pages(data, [1], dpi=100, normalise=False)
    assert page.mode == "L"
    assert page.size[0] == pytest.approx(595.27 * 100 / 72, abs=1)
    assert page.size[1] == pytest.approx(841.89 * 100 / 72, abs=1)


def test_encrypted_pdf(form_page):
    from reportlab.lib.pdfencrypt import StandardEncryption

    data = _pdf_text_then_image(form_page, encrypt=StandardEncryption("secret", canPrint=1))
    with pytest.raises(EncryptedFile, match="密码"):
        scanned_pages(data)
    with pytest.raises(EncryptedFile):
        images.render_pdf_pages(data, [1])


def test_sauvola_handles_uneven_light(form_page):
    import numpy as np

    page = np.asarray(form_page, dtype=np.float64)
    light = np.linspace(0.35, 1.0, page.shape[1])[None, :]  # a shadow over the left side
    photo = Image.fromarray((page * light).astype(np.uint8), "L")
    truth = np.asarray(form_page) < 128
    wrong = {method: float(np.mean((np.asarray(orientation.binarise(photo, method=method)) == 0) != truth))
             for method in ("sauvola", "otsu")}
    assert wrong["sauvola"] < 0.03, wrong
    assert wrong["sauvola"] < wrong["otsu"], wrong  # one global threshold loses the shadowed side
    out = orientation.binarise(photo)
    assert out.mode == "L" and set(np.unique(np.asarray(out))) <= {0, 255}


@pytest.mark.skipif(TESSERACT is None, reason="tesseract is not installed")
def test_load_pages_normalises_a_sideways_skewed_photo(form_page):
    photo = form_page.rotate(2, resample=Image.BICUBIC, expand=True, fillcolor=255).rotate(270, expand=True)
    [page] = images.load_pages(encode(photo.convert("RGB"), "JPEG", quality=85))
    assert page.height > page.width  # portrait again
    assert orientation.detect_rotation(page) == 0
    assert abs(orientation.estimate_skew(page)) < 0.5
