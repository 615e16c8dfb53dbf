"""Pages as images for OCR: decoding, caps and page normalisation.

    load_pages(kind, data, *, dpi=200, max_pages=20) -> list[PIL.Image.Image]
    pdf_image_pages(data, *, max_pages=20) -> list[int]     pages needing OCR
    pdf_scanned_pages(data, ...) -> [(index, page)]          those pages, ready for OCR
    page_has_text_layer(page) -> bool                        (a pypdfium2 page)
    normalise_page(page) -> Image      sheet rectified, upright, deskewed, grey
    flatten_sheet(page) -> Image       a photo's sheet warped to a rectangle
    detect_rotation(page) -> int       0/90/180/270, clockwise to make upright
    osd_rotation(page) -> int          the same by Tesseract's OSD (no RapidOCR)
    estimate_skew(page) -> float       degrees counter-clockwise to straighten
    binarise(page, method="sauvola") -> Image   0/255 "L" page, for the OCR side

``kind`` is what ``parsers.readers.sniff.sniff_kind`` said: "image" (JPEG, PNG,
TIFF with several pages, BMP, HEIC/HEIF from iPhones, WEBP and GIF best
effort) or "pdf" (only the pages without a text layer are rendered, in the
order ``pdf_image_pages`` gives).

Every page comes back as a new grayscale ("L") image with no metadata: the
EXIF orientation is applied first (``ImageOps.exif_transpose``) and EXIF,
GPS, ICC and text chunks are not carried over.

Caps (-> ``TooLarge``): an image over ``MAX_PIXELS`` (40 megapixels) or
one that makes Pillow warn about a decompression bomb is rejected before it
is decoded — except a JPEG, which is decoded at 1/2, 1/4 or 1/8 scale with
``Image.draft`` (a 48 MP phone photo costs 12 MP). Pages are shrunk to at
most ``MAX_SIDE`` pixels on the long side and ``MAX_TOTAL_PIXELS`` bounds
all pages of one file. Only the first ``max_pages`` frames/pages are used.

Orientation is read from the text lines by RapidOCR's models
(``parsers.ocr.orientation``); where they are not installed, by Tesseract's
OSD (``tesseract --psm 0``) as a subprocess with ``OMP_THREAD_LIMIT=1``
(its OpenMP threads oversubscribe a 2-core machine) and a time limit; skew (within ±5°) is found with a projection
profile of the dark pixels (numpy only).
"""
from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import warnings
from typing import Iterable

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from parsers.errors import CorruptFile, EncryptedFile, ParseError, TooLarge

__all__ = ["load_pages", "pdf_image_pages", "pdf_scanned_pages", "page_has_text_layer", "normalise_page", "detect_rotation",
           "osd_rotation", "estimate_skew", "deskew", "binarise", "flatten_sheet", "MAX_PIXELS", "MAX_SIDE", "MAX_TOTAL_PIXELS"]

MAX_PIXELS = 40_000_000  # one decoded image
MAX_SIDE = 4200  # long side of a returned page (A4 at ~360 dpi)
MAX_TOTAL_PIXELS = 150_000_000  # all returned pages of one file
MIN_TEXT_CHARS = 20  # a PDF page with fewer characters in its text layer needs OCR
MAX_SKEW = 5.0
OSD_TIMEOUT = 15.0
OSD_MIN_CONFIDENCE = 1.5
OSD_MIN_CONFIDENCE_180 = 6.0
OSD_SIDE = 1800  # OSD works on a copy this size: enough for a confident answer
_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif")
TOO_MANY_PIXELS = "图片像素过大（超过 {limit} 万像素），疑似异常文件，请申请人压缩后重新发送。"
IMAGE_UNREADABLE = "图片文件已损坏或格式无法识别，请申请人重新拍照或扫描后发送。"


# ---- decoding --------------------------------------------------------------

def _register_heif() -> None:
    try:
        import pillow_heif
    except ImportError as exc:
        raise CorruptFile("服务器缺少 HEIC 图片支持（pillow-heif），无法读取 iPhone 照片，"
                          "请申请人改用 JPG 格式发送。") from exc
    pillow_heif.register_heif_opener()


def _is_heif(data: bytes) -> bool:
    return data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS


def _too_large() -> TooLarge:
    return TooLarge(TOO_MANY_PIXELS.format(limit=MAX_PIXELS // 10_000))


def _open_image(data: bytes) -> Image.Image:
    """Open without decoding; a decompression-bomb warning is an error."""
    if _is_heif(data):
        _register_heif()
    is_jpeg = data[:3] == b"\xff\xd8\xff"
    try:
        with warnings.catch_warnings():
            # A JPEG can be decoded at reduced scale, so only the hard limit applies to it.
            warnings.simplefilter("ignore" if is_jpeg else "error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_large() from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise CorruptFile(IMAGE_UNREADABLE) from exc
    return image


def _decode_frame(image: Image.Image) -> Image.Image:
    """The current frame, loaded at a sane size, upright by EXIF, grey, no metadata."""
    width, height = image.size
    if image.format == "JPEG" and max(width, height) > MAX_SIDE:
        # Decode at 1/2, 1/4 or 1/8 scale: the smallest reduction that fits MAX_SIDE.
        factor = 2
        while max(width, height) / factor > MAX_SIDE and factor < 8:
            factor *= 2
        image.draft("L", (-(-width // factor), -(-height // factor)))
        width, height = image.size
    if width * height > MAX_PIXELS:
        raise _too_large()
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            upright = ImageOps.exif_transpose(image)
            grey = upright.convert("L") if upright.mode != "L" else upright.copy()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_large() from exc
    return _clean(_shrink(grey))


def _shrink(page: Image.Image) -> Image.Image:
    longest = max(page.size)
    if longest <= MAX_SIDE:
        return page
    scale = MAX_SIDE / longest
    return page.resize((max(1, round(page.width * scale)), max(1, round(page.height * scale))), Image.LANCZOS)


def _clean(page: Image.Image) -> Image.Image:
    """A fresh "L" image with the same pixels and nothing else (no EXIF/GPS/ICC)."""
    return Image.frombytes("L", page.size, page.convert("L").tobytes())


def _image_pages(data: bytes, max_pages: int) -> list[Image.Image]:
    image = _open_image(data)
    pages: list[Image.Image] = []
    try:
        frames: Iterable[Image.Image]
        # TIFF: every page; GIF/WEBP animations and HEIC bursts: the first frame.
        frames = ImageSequence.Iterator(image) if image.format == "TIFF" else [image]
        for number, frame in enumerate(frames):
            if number >= max_pages:
                break
            pages.append(_decode_frame(frame))
            _check_budget(pages)
    except ParseError:
        raise
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as exc:
        if isinstance(exc, Image.DecompressionBombError):
            raise _too_large() from exc
        raise CorruptFile(IMAGE_UNREADABLE) from exc
    finally:
        image.close()
    return pages


def _check_budget(pages: list[Image.Image]) -> None:
    if sum(page.width * page.height for page in pages) > MAX_TOTAL_PIXELS:
        raise TooLarge(f"图片总像素超过上限 {MAX_TOTAL_PIXELS // 10_000} 万像素，请申请人减少页数或压缩后重新发送。")


# ---- PDF ------------------------------------------------------------------------

def _open_pdf(data: bytes):
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise EncryptedFile("PDF 文件设置了打开密码，无法读取，请申请人取消密码后重新发送。") from exc
        raise CorruptFile("PDF 文件已损坏，无法读取，请申请人重新发送。") from exc


def page_has_text_layer(page, *, min_chars: int = MIN_TEXT_CHARS) -> bool:
    """Whether a pypdfium2 page carries real text (not just a few stray characters)."""
    textpage = page.get_textpage()
    try:
        text = textpage.get_text_range()
    finally:
        textpage.close()
    return len(re.sub(r"\s+", "", text)) >= min_chars


def pdf_image_pages(data: bytes, *, max_pages: int = 20) -> list[int]:
    """Indices of the pages (of the first ``max_pages``) that need OCR."""
    document = _open_pdf(data)
    try:
        return [index for index in range(min(len(document), max_pages))
                if not page_has_text_layer(document[index])]
    finally:
        document.close()


def _pdf_pages(data: bytes, dpi: int, max_pages: int) -> tuple[list[int], list[Image.Image]]:
    """The indices of the pages without a text layer, and those pages rendered."""
    document = _open_pdf(data)
    indices: list[int] = []
    pages: list[Image.Image] = []
    try:
        for index in range(min(len(document), max_pages)):
            page = document[index]
            if page_has_text_layer(page):
                continue
            width, height = page.get_size()  # points
            scale = dpi / 72
            # Never render more than MAX_SIDE on the long side (a poster-sized page).
            scale = min(scale, MAX_SIDE / max(width, height, 1))
            if width * height * scale * scale > MAX_PIXELS:
                raise _too_large()
            bitmap = page.render(scale=scale, grayscale=True)
            indices.append(index)
            pages.append(_clean(bitmap.to_pil()))
            _check_budget(pages)
    finally:
        document.close()
    return indices, pages


# ---- orientation and skew -----------------------------------------------------

def _tesseract() -> str | None:
    return shutil.which("tesseract")


def detect_rotation(page: Image.Image, *, timeout: float = OSD_TIMEOUT,
                    min_confidence: float = OSD_MIN_CONFIDENCE) -> int:
    """Degrees (0/90/180/270) to turn the page clockwise to make it upright;
    0 when unsure or there is too little text.

    RapidOCR's text detector and recogniser tell (``parsers.ocr.orientation``,
    about 0.5 s); without them, Tesseract's OSD (about 2 s)."""
    from parsers.ocr import ocr_available

    if not ocr_available("rapidocr"):
        return osd_rotation(page, timeout=timeout, min_confidence=min_confidence)
    import numpy as np

    from parsers.ocr.orientation import page_rotation

    return page_rotation(np.asarray(page.convert("L"), dtype=np.uint8)) or 0


def osd_rotation(page: Image.Image, *, timeout: float = OSD_TIMEOUT,
                 min_confidence: float = OSD_MIN_CONFIDENCE) -> int:
    """As ``detect_rotation``, by Tesseract's OSD (``--psm 0``); 0 when
    Tesseract is missing, unsure or finds too little text."""
    tesseract = _tesseract()
    if tesseract is None:
        return 0
    image = page if max(page.size) <= OSD_SIDE else _shrink_to(page, OSD_SIDE)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        done = subprocess.run([tesseract, "stdin", "stdout", "--psm", "0"], input=buffer.getvalue(),
                              capture_output=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return 0
    except OSError:
        return 0
    output = done.stdout.decode("utf-8", "replace")
    rotate = re.search(r"Rotate:\s*(\d+)", output)
    confidence = re.search(r"Orientation confidence:\s*([\d.]+)", output)
    if done.returncode != 0 or not rotate or not confidence:
        return 0
    turn = int(rotate.group(1)) % 360
    # Upside down is the answer OSD gives wrongly most often on Chinese
    # print (a photo's soft, unevenly lit text); a real upside-down scan
    # comes with a much clearer answer.
    needed = max(min_confidence, OSD_MIN_CONFIDENCE_180) if turn == 180 else min_confidence
    if float(confidence.group(1)) < needed:
        return 0
    return turn


def _shrink_to(page: Image.Image, side: int) -> Image.Image:
    scale = side / max(page.size)
    return page.resize((max(1, round(page.width * scale)), max(1, round(page.height * scale))), Image.BILINEAR)


def estimate_skew(page: Image.Image, *, max_angle: float = MAX_SKEW) -> float:
    """Degrees to rotate the page counter-clockwise (PIL's ``rotate`` sign)
    to make its text lines and table rules horizontal; 0.0 when unsure.

    Projection profile: for each candidate angle the dark pixels are
    projected onto the page's vertical axis along lines at that angle; the
    angle at which rows of text and ruled lines line up gives the sharpest
    histogram (largest sum of squares)."""
    import numpy as np

    small = page if max(page.size) <= 1600 else _shrink_to(page, 1600)
    pixels = np.asarray(binarise(small, method="otsu"))
    ys, xs = np.nonzero(pixels < 128)
    if len(xs) < 200:
        return 0.0
    if len(xs) > 400_000:  # plenty: subsample evenly for speed
        step = len(xs) // 400_000 + 1
        ys, xs = ys[::step], xs[::step]
    xs = xs.astype(np.float64) - small.width / 2
    ys = ys.astype(np.float64)
    height = small.height

    def score(angle: float) -> float:
        # A line rising to the right by `angle` degrees maps to one bin.
        shifted = ys + xs * np.tan(np.radians(angle))
        bins = np.clip(np.round(shifted).astype(np.int64) + height, 0, 3 * height)
        counts = np.bincount(bins, minlength=3 * height + 1).astype(np.float64)
        return float(np.dot(counts, counts))

    coarse = np.arange(-max_angle, max_angle + 1e-9, 0.5)
    best = max(coarse, key=score)
    fine = np.arange(best - 0.5, best + 0.5 + 1e-9, 0.05)
    best = float(max(fine, key=score))
    flat = score(0.0)
    if abs(best) < 0.05 or score(best) < flat * 1.02:  # no clear improvement: leave it
        return 0.0
    return -best


def deskew(page: Image.Image, angle: float | None = None) -> Image.Image:
    """The page rotated by ``estimate_skew`` (or ``angle``), white corners."""
    angle = estimate_skew(page) if angle is None else angle
    if abs(angle) < 0.05:
        return page
    return page.rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=255)


def flatten_sheet(page: Image.Image) -> Image.Image:
    """A photographed sheet cut out of its background and warped to a
    rectangle (keystone undone); a scan, which fills its picture, unchanged."""
    try:
        import numpy as np

        from parsers.ocr.geometry import rectify
    except ImportError:  # no OpenCV: the OCR side is not installed either
        return page
    grey = np.asarray(page, dtype=np.uint8)
    flat = rectify(grey)
    return page if flat is grey else Image.fromarray(flat, "L")


def normalise_page(page: Image.Image, *, orientation: bool = True, skew: bool = True,
                   contrast: bool = True, perspective: bool = True) -> Image.Image:
    """Sheet cut out of a photo (perspective), upright, straight (±5°)
    and, optionally, contrast-stretched grey page."""
    page = page.convert("L") if page.mode != "L" else page
    if perspective:
        page = flatten_sheet(page)
    if orientation:
        rotation = detect_rotation(page)
        if rotation:
            # PIL rotates counter-clockwise; Tesseract's figure is clockwise.
            page = page.rotate(-rotation, expand=True)
    if skew:
        page = deskew(page)
    if contrast:
        page = ImageOps.autocontrast(page, cutoff=1)
    return page


# ---- binarisation (for the OCR side) -------------------------------------------

def binarise(page: Image.Image, *, method: str = "sauvola", window: int | None = None,
             k: float = 0.2) -> Image.Image:
    """Black text on white as an "L" image of 0/255.

    "sauvola" (default) thresholds each pixel against its neighbourhood —
    T = m·(1 + k·(s/R − 1)) with local mean m and deviation s — so the
    shadow and glare of a phone photo do not swallow text; "otsu" uses one
    global threshold (clean scans)."""
    import numpy as np

    grey = np.asarray(page.convert("L"), dtype=np.float64)
    if method == "otsu":
        threshold = _otsu(grey)
        return Image.fromarray(np.where(grey > threshold, 255, 0).astype(np.uint8), "L")
    if method != "sauvola":
        raise ValueError(f"unknown binarisation method {method!r}")
    if window is None:
        window = max(15, (min(grey.shape) // 40) | 1)
    half = window // 2
    padded = np.pad(grey, half + 1, mode="reflect")
    integral = padded.cumsum(0).cumsum(1)
    squares = (padded * padded).cumsum(0).cumsum(1)
    rows, columns = grey.shape

    def window_sum(table):
        top, left = 0, 0
        bottom, right = top + window, left + window
        return (table[bottom:bottom + rows, right:right + columns] - table[top:top + rows, right:right + columns]
                - table[bottom:bottom + rows, left:left + columns] + table[top:top + rows, left:left + columns])

    area = float(window * window)
    mean = window_sum(integral) / area
    deviation = np.sqrt(np.maximum(window_sum(squares) / area - mean * mean, 0))
    threshold = mean * (1 + k * (deviation / 128.0 - 1))
    return Image.fromarray(np.where(grey > threshold, 255, 0).astype(np.uint8), "L")


def _otsu(grey) -> float:
    import numpy as np

    histogram = np.bincount(grey.astype(np.uint8).ravel(), minlength=256).astype(np.float64)
    total = histogram.sum()
    levels = np.arange(256)
    weight = np.cumsum(histogram)
    mean = np.cumsum(histogram * levels)
    between = (mean[-1] * weight - mean * total) ** 2 / np.maximum(weight * (total - weight), 1e-9)
    return float(np.argmax(between))


# ---- entry point ----------------------------------------------------------------------

def load_pages(kind: str, data: bytes, *, dpi: int = 200, max_pages: int = 20,
               normalise: bool = True) -> list[Image.Image]:
    """Grey pages ready for OCR: decoded, capped, upright and deskewed."""
    if kind == "pdf":
        pages = _pdf_pages(data, dpi, max_pages)[1]
    elif kind == "image":
        pages = _image_pages(data, max_pages)
    else:
        raise CorruptFile(f"不是图片或 PDF 文件（{kind}），无法识别文字。")
    return [normalise_page(page) for page in pages] if normalise else pages


def pdf_scanned_pages(data: bytes, *, dpi: int = 200, max_pages: int = 20) -> list[tuple[int, Image.Image]]:
    """(index, page ready for OCR) of each PDF page without a text layer,
    in page order: which pages, and the pages, from one pass over the file."""
    indices, pages = _pdf_pages(data, dpi, max_pages)
    return list(zip(indices, (normalise_page(page) for page in pages)))
