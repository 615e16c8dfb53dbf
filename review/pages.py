"""Page images of an attachment for the detail page: rendered on the server, cached on disk.

    previews = PagePreviews(storage_path, blobs, max_bytes)
    previews.page_count(attachment) -> int | None    None: not known until a Word file is converted
    previews.page_png(attachment, number) -> Path    the cached PNG of page ``number`` (1-based)
    previews.page_sizes(attachment) -> list[(w, h)]  each page's size in the parser's units
    previews.masked_page_png(attachment, number, places) -> Path   the PNG with those places filled

PDFs are rendered by pypdfium2 at ~110 dpi (at most ``MAX_PAGES`` pages);
images are decoded by Pillow, turned upright by their EXIF orientation, and
shrunk for the screen; Word, WPS, RTF and ODT files go through a PDF made by
a headless LibreOffice (``parsers.readers.office``'s safety rules: a fresh
profile with macros off, a fixed input name, a time limit that kills the
whole process group) and the PDF is kept beside the PNGs.

The parser records where it read each field in the original's own units
(PDF points, or an image's full-size upright pixels), so ``page_sizes`` reads
each page's size in those same units from the original; a box divided by its
page's size places it on a page image of any scale. A masked page (the ID and
phone numbers filled in, ``review.page_masking``) is cached beside the plain
one under a name that says which places were filled.

Everything lands in ``<storage>/pages`` named by the blob's sha256, written
atomically (temp file + rename), so concurrent requests and processes only
ever see whole files. Nothing is rendered from a file over the attachment
size cap or an image over 40 megapixels.
"""
from __future__ import annotations

import hashlib
import io
import os
import tempfile
import threading
import warnings
import zlib
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, ImageOps, UnidentifiedImageError

from intake.core.blobstore import BlobStore
from intake.core.models import Attachment
from parsers.errors import ParseError
from parsers.readers import office
from review.page_masking import draw_masks
from review.source_boxes import PagePlace

PAGE_DPI = 110
MAX_PAGES = 20
MAX_PIXELS = 40_000_000
EXIF_ORIENTATION = 0x0112
MAX_SIDE = 2000  # long side of a served page, in pixels: enough to read handwriting on screen
CONVERT_TIMEOUT = 60.0
OFFICE_KINDS = ("docx", "doc", "wps", "rtf", "odt")
NO_PREVIEW = "无法预览，请下载原件"
_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")
# A bounded set of locks: one render or conversion of a given file at a time in this process
# (a page's images are requested together), without a lock per file kept forever.
# Striped locks, two pools: a page render (first pool) may convert the
# document (second pool) while holding its lock; taken always in that order,
# and never twice from one pool, they cannot deadlock.
_RENDER_LOCKS = [threading.Lock() for _ in range(64)]
_CONVERT_LOCKS = [threading.Lock() for _ in range(64)]


class PreviewUnavailable(Exception):
    """This attachment has no page images; the message says why and what to do, in Chinese."""


class NoSuchPage(LookupError):
    pass


def _lock_for(sha256: str, pool: list[threading.Lock]) -> threading.Lock:
    return pool[zlib.crc32(sha256.encode("ascii")) % len(pool)]


def write_atomic(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class PagePreviews:
    def __init__(self, storage_path: Path, blobs: BlobStore, max_bytes: int) -> None:
        self.root = Path(storage_path) / "pages"
        self.blobs = blobs
        self.max_bytes = max_bytes

    # ---- what the detail page asks --------------------------------------------

    def previewable(self, attachment: Attachment) -> str | None:
        """None when pages can be shown; else why not (in Chinese)."""
        if attachment.kind not in ("pdf", "image", *OFFICE_KINDS):
            return NO_PREVIEW
        if attachment.size > self.max_bytes:
            return f"文件超过 {self.max_bytes // (1024 * 1024)} MB，{NO_PREVIEW}"
        if attachment.kind in OFFICE_KINDS and office.find_soffice() is None:
            return f"服务器未安装 LibreOffice，{NO_PREVIEW}"
        if not self.blobs.exists(attachment.sha256):
            return f"原件文件缺失，{NO_PREVIEW}"
        return None

    def page_count(self, attachment: Attachment) -> int | None:
        """Pages to show (at most MAX_PAGES); None while a Word file is not yet converted."""
        if self.previewable(attachment) is not None:
            return 0
        if attachment.kind == "image":
            return 1
        pdf = self._pdf_path(attachment, convert=False)
        if pdf is None:
            return None
        try:
            document = pdfium.PdfDocument(str(pdf))
        except pdfium.PdfiumError:
            return 0
        try:
            return min(len(document), MAX_PAGES)
        finally:
            document.close()

    def page_png(self, attachment: Attachment, number: int) -> Path:
        reason = self.previewable(attachment)
        if reason is not None:
            raise PreviewUnavailable(reason)
        if not 1 <= number <= MAX_PAGES or (attachment.kind == "image" and number != 1):
            raise NoSuchPage(number)
        target = self.root / f"{attachment.sha256}-{number}.png"
        if target.exists():
            return target
        with _lock_for(attachment.sha256, _RENDER_LOCKS):
            if not target.exists():  # another request may have rendered it while we waited
                if attachment.kind == "image":
                    page = _image_page(self.blobs.get(attachment.sha256))
                else:
                    page = _pdf_page(self._pdf_path(attachment, convert=True), number)
                buffer = io.BytesIO()
                page.save(buffer, "PNG", compress_level=3)  # fast: rendering is on a request's clock
                write_atomic(target, buffer.getvalue())
        return target

    def page_sizes(self, attachment: Attachment) -> list[tuple[float, float]]:
        """Each shown page's (width, height) in the units the parser's boxes use: points for a
        PDF page as pdfium renders it, the full-size upright pixels of an image as sent. Empty
        when the pages cannot be shown or a Word file is not converted yet."""
        if self.previewable(attachment) is not None:
            return []
        if attachment.kind == "image":
            size = _image_size(self.blobs.path_for(attachment.sha256))
            return [size] if size else []
        pdf = self._pdf_path(attachment, convert=False)
        if pdf is None:
            return []
        try:
            document = pdfium.PdfDocument(str(pdf))
        except pdfium.PdfiumError:
            return []
        try:
            return [tuple(document[index].get_size()) for index in range(min(len(document), MAX_PAGES))]
        finally:
            document.close()

    def masked_page_png(self, attachment: Attachment, number: int, places: list[PagePlace]) -> Path:
        """Page ``number`` with a filled rectangle over each place; the plain page when there are none."""
        plain = self.page_png(attachment, number)
        if not places:
            return plain
        digest = hashlib.sha256(repr(sorted(place.corners for place in places)).encode()).hexdigest()[:16]
        target = self.root / f"{attachment.sha256}-{number}-masked-{digest}.png"
        if not target.exists():
            with Image.open(plain) as page:
                masked = draw_masks(page, places)
            buffer = io.BytesIO()
            masked.save(buffer, "PNG", compress_level=3)
            write_atomic(target, buffer.getvalue())
        return target

    # ---- sources -------------------------------------------------------------

    def _pdf_path(self, attachment: Attachment, *, convert: bool) -> Path | None:
        if attachment.kind == "pdf":
            return self.blobs.path_for(attachment.sha256)
        converted = self.root / f"{attachment.sha256}.pdf"
        if converted.exists() or not convert:
            return converted if converted.exists() else None
        with _lock_for(attachment.sha256, _CONVERT_LOCKS):
            if not converted.exists():
                write_atomic(converted, office_to_pdf(attachment.kind, self.blobs.get(attachment.sha256)))
        return converted


# ---- rendering ------------------------------------------------------------------

def _pdf_page(path: Path | None, number: int) -> Image.Image:
    if path is None:
        raise PreviewUnavailable(NO_PREVIEW)
    try:
        document = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise PreviewUnavailable(f"PDF 设置了打开密码，{NO_PREVIEW}") from exc
        raise PreviewUnavailable(f"PDF 已损坏，{NO_PREVIEW}") from exc
    try:
        if number > min(len(document), MAX_PAGES):
            raise NoSuchPage(number)
        page = document[number - 1]
        width, height = page.get_size()  # points
        scale = min(PAGE_DPI / 72, MAX_SIDE / max(width, height, 1))
        if width * height * scale * scale > MAX_PIXELS:
            raise PreviewUnavailable(f"页面过大，{NO_PREVIEW}")
        return page.render(scale=scale).to_pil()
    finally:
        document.close()


def _image_page(data: bytes) -> Image.Image:
    """Decoded as sent, upright by EXIF, RGB, at most MAX_SIDE; never over MAX_PIXELS decoded."""
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        _register_heif()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format == "JPEG" and max(image.size) > MAX_SIDE:
                image.draft("RGB", (MAX_SIDE, MAX_SIDE))  # decode a big photo at 1/2..1/8 scale
            if image.width * image.height > MAX_PIXELS:
                raise PreviewUnavailable(f"图片超过 {MAX_PIXELS // 10_000} 万像素，{NO_PREVIEW}")
            upright = ImageOps.exif_transpose(image)
            upright = upright.convert("RGB") if upright.mode not in ("RGB", "L") else upright
            upright.thumbnail((MAX_SIDE, MAX_SIDE))
            return upright
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PreviewUnavailable(f"图片像素过大，{NO_PREVIEW}") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
        raise PreviewUnavailable(f"图片无法识别，{NO_PREVIEW}") from exc


def _image_size(path: Path) -> tuple[float, float] | None:
    """The picture's full size once turned upright by its EXIF orientation, from its header alone."""
    with path.open("rb") as handle:
        head = handle.read(12)
    try:
        if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
            _register_heif()
        with Image.open(path) as image:
            width, height = image.size
            turned = image.getexif().get(EXIF_ORIENTATION) in (5, 6, 7, 8)  # a quarter turn, mirrored or not
    except (PreviewUnavailable, Image.DecompressionBombError, UnidentifiedImageError, OSError, ValueError,
            SyntaxError, EOFError):
        return None
    return (float(height), float(width)) if turned else (float(width), float(height))


def _register_heif() -> None:
    # Only an iPhone photo needs it, and registering is a global change to Pillow.
    try:
        import pillow_heif
    except ImportError as exc:
        raise PreviewUnavailable(f"服务器缺少 HEIC 图片支持，{NO_PREVIEW}") from exc
    pillow_heif.register_heif_opener()


# ---- Word and friends → PDF --------------------------------------------------------

def office_to_pdf(kind: str, data: bytes, *, timeout: float = CONVERT_TIMEOUT) -> bytes:
    """The document as PDF, converted by the parser's own LibreOffice runner
    (its profile, deadline and network jail: one set of safety rules)."""
    try:
        return office.convert_document(kind, data, target="pdf", timeout=timeout)
    except ParseError as exc:
        raise PreviewUnavailable(f"{exc}（{NO_PREVIEW}）") from exc
