"""Pages as images for OCR: decoding, caps and page normalisation.

    load_pages(data, *, max_pages=20, normalise=True, perspective=True) -> list[PIL.Image.Image]
    render_pdf_pages(data, indices, *, dpi=200, normalise=True) -> list[Image]  those PDF pages
    normalise_page(page, *, source=None) -> Image   sheet rectified, upright, deskewed, grey
    flatten_sheet(page) -> Image       a photo's sheet warped to a rectangle
    placement_of(page) -> Placement    where a page's pixels lie on the page staff are shown

``load_pages`` reads what ``parsers.readers.sniff.sniff_kind`` calls an
"image": JPEG, PNG, TIFF with several pages, BMP, HEIC/HEIF from iPhones,
WEBP and GIF best effort. ``render_pdf_pages`` renders the pages of a PDF
that ``parsers.readers.pdf`` found to have no text of their own (a scan,
a photo saved as PDF), in the order given.

Every page comes back as a new grayscale ("L") image with no metadata: the
EXIF orientation is applied first (``ImageOps.exif_transpose``) and EXIF,
GPS, ICC and text chunks are not carried over. A normalised page carries
one thing of ours in ``info``: its ``geometry.Placement`` (``placement_of``),
how its pixels map onto the source as staff see it — the image file's
pixels, upright by EXIF, at full size; a PDF page's points — through every
scaling, cut, turn and straightening done here.

Caps (-> ``TooLarge``): an image over ``MAX_PIXELS`` (40 megapixels) or
one that makes Pillow warn about a decompression bomb is rejected before it
is decoded — except a JPEG, which is decoded at 1/2, 1/4 or 1/8 scale with
``Image.draft`` (a 48 MP phone photo costs 12 MP). Pages are shrunk to at
most ``MAX_SIDE`` pixels on the long side and ``MAX_TOTAL_PIXELS`` bounds
all pages of one file. Only the first ``max_pages`` frames of an image are
used (``MAX_IMAGE_PAGES``); a PDF's page count is capped by its reader.

Normalising cuts a photographed sheet out of its background
(``parsers.ocr.geometry``), turns the page upright and straightens it
(``parsers.ocr.orientation``) and stretches its contrast. ``perspective=False``
reads a photo whole: the reader's second try when the sheet it cut out held
no form (the outline found was not the sheet's).
"""
from __future__ import annotations

import io
import warnings
from typing import Iterable, Sequence

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from parsers.errors import CorruptFile, EncryptedFile, ParseError, TooLarge
from parsers.ocr.geometry import Placement, rectify, rectify_mapped
from parsers.ocr.keystone import square_to_rules
from parsers.ocr.orientation import detect_rotation, estimate_skew

__all__ = ["load_pages", "render_pdf_pages", "normalise_page", "flatten_sheet", "placement_of", "Placement",
           "MAX_PIXELS", "MAX_SIDE", "MAX_TOTAL_PIXELS", "MAX_IMAGE_PAGES"]

MAX_PIXELS = 40_000_000  # one decoded image
MAX_SIDE = 4200  # long side of a returned page (A4 at ~360 dpi)
MAX_TOTAL_PIXELS = 150_000_000  # all returned pages of one file
MAX_IMAGE_PAGES = 20  # frames of one image file read (a long TIFF's rest is ignored)
PLACEMENT = "placement"  # a normalised page's ``info`` key for its Placement
MIN_SKEW = 0.05  # degrees: a smaller skew is left alone
EXIF_ORIENTATION = 0x0112
EXIF_SIDEWAYS = (5, 6, 7, 8)  # orientations that swap width and height
_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif")
TOO_MANY_PIXELS = "图片像素过大（超过 {limit} 万像素），疑似异常文件，请申请人压缩后重新发送。"
IMAGE_UNREADABLE = "图片文件已损坏或格式无法识别，请申请人重新拍照或扫描后发送。"


# ---- decoding --------------------------------------------------------------

def _register_heif() -> None:
    # Lazy: only a HEIC needs it, and registering it is a global change to
    # Pillow; a server without the wheel still reads every other image.
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


# The formats a phone or a scanner sends. Pillow would otherwise try every
# format it knows on any bytes (an EPS named .jpg goes to Ghostscript).
PHOTO_FORMATS = ("JPEG", "PNG", "GIF", "BMP", "TIFF", "WEBP", "HEIF")


def _open_image(data: bytes) -> Image.Image:
    """Open without decoding, only as a photo or scan format; a
    decompression-bomb warning is an error."""
    if _is_heif(data):
        _register_heif()
    is_jpeg = data[:3] == b"\xff\xd8\xff"
    try:
        with warnings.catch_warnings():
            # A JPEG can be decoded at reduced scale, so only the hard limit applies to it.
            warnings.simplefilter("ignore" if is_jpeg else "error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=PHOTO_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_large() from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise CorruptFile(IMAGE_UNREADABLE) from exc
    return image


def _decode_frame(image: Image.Image) -> tuple[Image.Image, Placement]:
    """The current frame, loaded at a sane size, upright by EXIF, grey, no
    metadata; and its placement on the frame as sent (upright, full size)."""
    width, height = image.size
    try:
        sideways = image.getexif().get(EXIF_ORIENTATION) in EXIF_SIDEWAYS
    except Exception:  # noqa: BLE001 - unreadable EXIF: exif_transpose ignores it too
        sideways = False
    full = (height, width) if sideways else (width, height)
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
    page = _clean(_shrink(grey))
    return page, Placement.scaled(full[0] / page.width, full[1] / page.height)


def _shrink(page: Image.Image) -> Image.Image:
    longest = max(page.size)
    if longest <= MAX_SIDE:
        return page
    scale = MAX_SIDE / longest
    return page.resize((max(1, round(page.width * scale)), max(1, round(page.height * scale))), Image.LANCZOS)


def _clean(page: Image.Image) -> Image.Image:
    """A fresh "L" image with the same pixels and nothing else (no EXIF/GPS/ICC)."""
    return Image.frombytes("L", page.size, page.convert("L").tobytes())


def _image_pages(data: bytes, max_pages: int) -> list[tuple[Image.Image, Placement]]:
    image = _open_image(data)
    pages: list[tuple[Image.Image, Placement]] = []
    try:
        frames: Iterable[Image.Image]
        # TIFF: every page; GIF/WEBP animations and HEIC bursts: the first frame.
        frames = ImageSequence.Iterator(image) if image.format == "TIFF" else [image]
        for number, frame in enumerate(frames):
            if number >= max_pages:
                break
            pages.append(_decode_frame(frame))
            _check_budget([page for page, _ in pages])
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

def _open_pdf(data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise EncryptedFile("PDF 文件设置了打开密码，无法读取，请申请人取消密码后重新发送。") from exc
        raise CorruptFile("PDF 文件已损坏，无法读取，请申请人重新发送。") from exc


def render_pdf_pages(data: bytes, indices: Sequence[int], *, dpi: int = 200,
                     normalise: bool = True) -> list[Image.Image]:
    """The PDF's pages at ``indices`` (0-based), rendered grey at ``dpi`` and,
    unless told otherwise, normalised for OCR (``normalise_page``)."""
    document = _open_pdf(data)
    pages: list[Image.Image] = []
    placements: list[Placement] = []
    try:
        for index in indices:
            page = document[index]
            width, height = page.get_size()  # points
            scale = dpi / 72
            # Never render more than MAX_SIDE on the long side (a poster-sized page).
            scale = min(scale, MAX_SIDE / max(width, height, 1))
            if width * height * scale * scale > MAX_PIXELS:
                raise _too_large()
            bitmap = page.render(scale=scale, grayscale=True)
            pages.append(_clean(bitmap.to_pil()))
            placements.append(Placement.scaled(1 / scale, 1 / scale))  # pixels → points
            _check_budget(pages)
    finally:
        document.close()
    if not normalise:
        return pages
    return [normalise_page(page, source=placement) for page, placement in zip(pages, placements)]


# ---- normalisation --------------------------------------------------------------

def flatten_sheet(page: Image.Image) -> Image.Image:
    """A photographed sheet cut out of its background and warped to a
    rectangle (keystone undone); a scan, which fills its picture, unchanged."""
    grey = np.asarray(page, dtype=np.uint8)
    flat = rectify(grey)
    return page if flat is grey else Image.fromarray(flat, "L")


def placement_of(page) -> Placement:
    """Where the page's pixels lie on the source (its own pixels, when it
    was not normalised here)."""
    placement = getattr(page, "info", {}).get(PLACEMENT)
    return placement if isinstance(placement, Placement) else Placement()


def _rotation_step(before: tuple[int, int], after: tuple[int, int], degrees: float) -> np.ndarray:
    """From the pixels of a page PIL turned ``degrees`` counter-clockwise
    (``expand=True``: about the centre, the canvas grown) back to the page's."""
    theta = -np.radians(degrees)
    cos, sin = np.cos(theta), np.sin(theta)
    (width, height), (new_width, new_height) = before, after
    to_centre = np.array([[1, 0, -new_width / 2], [0, 1, -new_height / 2], [0, 0, 1]])
    turn = np.array([[cos, sin, 0], [-sin, cos, 0], [0, 0, 1]])
    from_centre = np.array([[1, 0, width / 2], [0, 1, height / 2], [0, 0, 1]])
    return from_centre @ turn @ to_centre


def normalise_page(page: Image.Image, *, orientation: bool = True, skew: bool = True,
                   contrast: bool = True, perspective: bool = True,
                   source: Placement | None = None) -> Image.Image:
    """Sheet cut out of a photo (perspective), upright, straight (±5°)
    and, optionally, contrast-stretched grey page, with its placement on
    the source in ``info`` (``source``: the given page's own; None: the
    page is the source)."""
    given = page
    page = page.convert("L") if page.mode != "L" else page
    placement = source or Placement()
    if perspective:
        flat, back = rectify_mapped(np.asarray(page, dtype=np.uint8))
        if back is not None:
            page, placement = Image.fromarray(flat, "L"), placement.after(back, cut_from_photo=True)
    if orientation:
        rotation = detect_rotation(page)
        if rotation:
            # PIL rotates counter-clockwise; Tesseract's figure is clockwise.
            turned = page.rotate(-rotation, expand=True)
            page, placement = turned, placement.after(_rotation_step(page.size, turned.size, -rotation))
    if skew:
        angle = estimate_skew(page)
        if abs(angle) >= MIN_SKEW:
            straight = page.rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=255)
            page, placement = straight, placement.after(_rotation_step(page.size, straight.size, angle))
    if perspective:
        squared, back = square_to_rules(np.asarray(page, dtype=np.uint8))
        if back is not None:
            page, placement = Image.fromarray(squared, "L"), placement.after(back)
    if contrast:
        page = ImageOps.autocontrast(page, cutoff=1)
    page = page.copy() if page is given else page  # the caller's image is left as it was
    page.info[PLACEMENT] = placement
    return page


# ---- entry point ----------------------------------------------------------------------

def load_pages(data: bytes, *, max_pages: int = MAX_IMAGE_PAGES, normalise: bool = True,
               perspective: bool = True) -> list[Image.Image]:
    """Grey pages of an image file, ready for OCR: decoded, capped, upright
    and deskewed; a photographed sheet cut out unless ``perspective`` is False."""
    pages = _image_pages(data, max_pages)
    if not normalise:
        return [page for page, _ in pages]
    return [normalise_page(page, perspective=perspective, source=placement) for page, placement in pages]
