"""Scans, phone photos and converted copies of the sample forms.

Everything here is deterministic from a seed: the same page image and seed
give the same bytes. The builders:

    render_pages(pdf_bytes, dpi)      PDF -> page images (pypdfium2)
    docx_to(format, docx_bytes)       .doc / .wps / .pdf / .odt / .rtf via LibreOffice
    docx_to_many(format, {name: docx}) the same, many files in one LibreOffice run
    scan_image(page, seed)            flatbed scan: tilt, paper tint, noise, blur -> JPEG
    phone_photo(page, seed)           phone photo: perspective, lighting, background,
                                      pixels stored rotated + EXIF Orientation -> JPEG
    image_only_pdf(pages)             a scanner's PDF: page images, no text layer

and drawings of what else arrives: ``handwritten_form_image`` (the printed
form filled in by hand, in a brush-script face), ``id_card_image`` and
``certificate_image`` (attachments that are not forms). Fonts are found
with fontconfig at run time (``fonts-noto-cjk``; ``fonts-arphic-ukai`` for
handwriting, else a jittered print face); LibreOffice does the conversions.
"""
from __future__ import annotations

import io
import math
import os
import random
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

from devtools.samples.forms import PDF_COLUMNS, SHORT_ROWS, TITLE, WIDE_KEYS, table4_rows, tick_text, written_value
from parsers.readers.office import find_soffice
from parsers.schema import load_schema

A4_POINTS = (595.28, 841.89)
EXIF_ORIENTATION = 0x0112
# The rotation a viewer applies for each EXIF orientation, undone here: the
# stored pixels are the upright picture turned the other way, as a phone
# held upright stores its landscape sensor image.
_STORE_ROTATED = {3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}

# ---- fonts -----------------------------------------------------------------

FONT_FAMILIES = {
    "serif": ("Noto Serif CJK SC", ["/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"]),
    "sans": ("Noto Sans CJK SC", ["/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"]),
    "sans-bold": ("Noto Sans CJK SC:bold", ["/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"]),
    # A brush-script (kai) face: the closest Debian has to handwriting.
    "hand": ("AR PL UKai CN", ["/usr/share/fonts/truetype/arphic/ukai.ttc"]),
}
FONT_PACKAGES = {"serif": "fonts-noto-cjk", "sans": "fonts-noto-cjk", "sans-bold": "fonts-noto-cjk",
                 "hand": "fonts-arphic-ukai"}


class MissingTool(RuntimeError):
    """A system program or font the generator needs is not installed."""


@lru_cache(maxsize=None)
def font_file(kind: str) -> tuple[str, int]:
    """(path, face index) of a Chinese font: fontconfig first, then Debian's usual paths."""
    family, paths = FONT_FAMILIES[kind]
    wanted = family.split(":")[0]
    if shutil.which("fc-match"):
        try:
            out = subprocess.run(["fc-match", "-f", "%{file}|%{index}|%{family}", family],
                                 capture_output=True, text=True, timeout=20).stdout
            path, index, families = out.split("|", 2)
            if wanted in families.split(",") and Path(path).is_file():
                return path, int(index or 0)
        except (OSError, ValueError, subprocess.SubprocessError):
            pass
    for path in paths:
        if Path(path).is_file():
            return path, 2 if "Noto" in path else 0  # face 2 of the Noto CJK collections is SC
    raise MissingTool(f"font '{wanted}' not found: install the Debian package {FONT_PACKAGES[kind]}")


def has_font(kind: str) -> bool:
    try:
        font_file(kind)
    except MissingTool:
        return False
    return True


@lru_cache(maxsize=64)
def load_font(kind: str, size: int) -> ImageFont.FreeTypeFont:
    path, index = font_file(kind)
    return ImageFont.truetype(path, size, index=index)


# ---- PDF <-> images ----------------------------------------------------------

def render_pages(pdf_bytes: bytes, dpi: int = 200) -> list[Image.Image]:
    """Each page of a PDF as an RGB image at ``dpi``."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf_bytes)
    try:
        pages = []
        for page in document:
            image = page.render(scale=dpi / 72).to_pil().convert("RGB")
            image.info["dpi"] = (dpi, dpi)
            pages.append(image)
            page.close()
        return pages
    finally:
        document.close()


def _jpeg(image: Image.Image, quality: int, dpi: int | None = None, exif: bytes | None = None) -> bytes:
    out = io.BytesIO()
    options = {"quality": quality}
    if dpi:
        options["dpi"] = (dpi, dpi)
    if exif:
        options["exif"] = exif
    image.convert("RGB").save(out, "JPEG", **options)
    return out.getvalue()


def _dpi_of(image: Image.Image, default: int = 200) -> int:
    dpi = image.info.get("dpi")
    return int(round(dpi[0])) if dpi and dpi[0] else default


def image_only_pdf(page_images: list[Image.Image], dpi: int | None = None, quality: int = 80) -> bytes:
    """A PDF whose pages are only pictures (JPEG), as a scanner or a
    "scan to PDF" phone app writes it: no text layer at all."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    out = io.BytesIO()
    canvas = Canvas(out, invariant=1)
    for image in page_images:
        resolution = dpi or _dpi_of(image)
        width, height = (image.width * 72 / resolution, image.height * 72 / resolution)
        canvas.setPageSize((width, height))
        canvas.drawImage(ImageReader(io.BytesIO(_jpeg(image, quality))), 0, 0, width, height)
        canvas.showPage()
    canvas.save()
    return out.getvalue()


# ---- LibreOffice -------------------------------------------------------------

# LibreOffice writes no .wps (Kingsoft's format); WPS Office's .wps files are
# Word 97 compound files, so a .doc renamed .wps is what the mailbox sees.
_FILTERS = {"doc": ("doc", "doc:MS Word 97"), "wps": ("doc", "doc:MS Word 97"),
            "pdf": ("pdf", "pdf:writer_pdf_Export"), "odt": ("odt", "odt"), "rtf": ("rtf", "rtf")}


def soffice_path() -> str | None:
    """LibreOffice as the parsers find it (tests patch this to do without)."""
    return find_soffice()


def docx_to_many(format: str, documents: dict[str, bytes], timeout: float | None = None) -> dict[str, bytes]:
    """Convert several .docx files (name -> bytes) in one LibreOffice run,
    with a profile directory of its own so runs never share state."""
    if format not in _FILTERS:
        raise ValueError(f"unknown format {format!r}; one of {sorted(_FILTERS)}")
    soffice = soffice_path()
    if soffice is None:
        raise MissingTool("LibreOffice (soffice) is not installed: apt-get install libreoffice-writer")
    if not documents:
        return {}
    extension, target = _FILTERS[format]
    timeout = timeout or 60 + 10 * len(documents)
    with tempfile.TemporaryDirectory(prefix="samples-soffice-") as temp:
        work = Path(temp)
        stems = {name: f"d{number:04d}" for number, name in enumerate(documents)}
        for name, stem in stems.items():
            (work / f"{stem}.docx").write_bytes(documents[name])
        command = [soffice, "--headless", "--norestore", "--nologo",
                   f"-env:UserInstallation={(work / 'profile').as_uri()}",
                   "--convert-to", target, "--outdir", str(work / "out"),
                   *[f"{stem}.docx" for stem in stems.values()]]
        try:
            run = subprocess.run(command, cwd=work, capture_output=True, timeout=timeout,
                                 env={**os.environ, "HOME": temp})
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError(f"LibreOffice did not finish converting to {format} in {timeout:.0f} s") from exc
        results = {}
        for name, stem in stems.items():
            produced = work / "out" / f"{stem}.{extension}"
            if not produced.is_file():
                raise RuntimeError(f"LibreOffice wrote no {format} for {name}: "
                                   f"{run.stderr.decode(errors='replace')[-400:]}")
            results[name] = produced.read_bytes()
        return results


def docx_to(format: str, docx_bytes: bytes, timeout: float = 120) -> bytes:
    """One .docx as "doc", "wps", "pdf", "odt" or "rtf" via LibreOffice."""
    return docx_to_many(format, {"form": docx_bytes}, timeout)["form"]


# ---- flatbed scan ------------------------------------------------------------

def _paper_tint(rng: np.random.Generator) -> np.ndarray:
    return np.array([rng.uniform(236, 250), rng.uniform(232, 246), rng.uniform(218, 236)], dtype=np.float32)


def _tint(page: Image.Image, paper: np.ndarray) -> Image.Image:
    """White paper turned the colour of real paper (ink stays dark)."""
    return ImageChops.multiply(page.convert("RGB"), Image.new("RGB", page.size, tuple(int(v) for v in paper)))


def _add_noise(image: Image.Image, rng: np.random.Generator, sigma: float, colour: bool = False) -> np.ndarray:
    pixels = np.asarray(image, dtype=np.float32).copy()
    shape = pixels.shape if colour else (*pixels.shape[:2], 1)
    noise = rng.standard_normal(shape, dtype=np.float32)
    noise *= sigma
    pixels += noise
    return pixels


def _to_image(pixels: np.ndarray) -> Image.Image:
    np.clip(pixels, 0, 255, out=pixels)
    return Image.fromarray(pixels.astype(np.uint8))


def degrade_scan(page: Image.Image, seed: int) -> Image.Image:
    """A flatbed scan of the printed page: off-white paper, a slight tilt,
    a little blur and sensor noise, a darker strip where the lid lets light in."""
    rng = np.random.default_rng(seed)
    paper = _paper_tint(rng)
    angle = float(rng.uniform(0.3, 1.5) * rng.choice([-1, 1]))
    blur, sigma = float(rng.uniform(0.35, 0.8)), float(rng.uniform(3, 7))
    fill = tuple(int(v) for v in paper)
    tilted = _tint(page, paper).rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=fill)
    pixels = _add_noise(tilted.filter(ImageFilter.GaussianBlur(blur)), rng, sigma)
    width = pixels.shape[1]
    edge = int(width * rng.uniform(0.01, 0.03))
    shade = np.ones(width, dtype=np.float32)
    shade[:edge] = np.linspace(0.75, 1.0, edge)
    if rng.random() < 0.5:
        shade = shade[::-1]
    pixels *= shade[None, :, None]
    scanned = _to_image(pixels)
    scanned.info["dpi"] = page.info.get("dpi", (200, 200))
    return scanned


def scan_image(page_image: Image.Image, seed: int, dpi: int | None = None) -> bytes:
    """The page as a flatbed scanner's JPEG (quality 70-85)."""
    quality = int(np.random.default_rng([seed, 1]).integers(70, 86))
    return _jpeg(degrade_scan(page_image, seed), quality, dpi or _dpi_of(page_image))


# ---- phone photo -------------------------------------------------------------

def _perspective_coeffs(outputs: list[tuple[float, float]], inputs: list[tuple[float, float]]) -> list[float]:
    """PIL PERSPECTIVE coefficients mapping output corners back to input corners."""
    matrix, vector = [], []
    for (x, y), (u, v) in zip(outputs, inputs):
        matrix.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        matrix.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        vector += [u, v]
    return np.linalg.solve(np.array(matrix, dtype=np.float64), np.array(vector, dtype=np.float64)).tolist()


def _background(size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A desk: a flat colour with soft, low-frequency blotches."""
    base = np.array(rng.choice([[120, 90, 60], [70, 70, 75], [160, 150, 135], [40, 45, 55]]), dtype=np.float32)
    coarse = rng.normal(0, 18, (8, 6)).astype(np.float32)
    blotches = np.asarray(Image.fromarray(coarse).resize(size, Image.Resampling.BICUBIC), dtype=np.float32)
    return np.clip(base[None, None, :] + blotches[:, :, None], 0, 255)


def _lighting(size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    width, height = size
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    xs, ys = xs / width - 0.5, ys / height - 0.5
    angle = rng.uniform(0, 2 * math.pi)
    slope = rng.uniform(0.15, 0.35)
    gradient = 1.0 + slope * (xs * math.cos(angle) + ys * math.sin(angle))
    cx, cy = rng.uniform(-0.3, 0.3, 2)
    vignette = 1.0 - rng.uniform(0.1, 0.25) * ((xs - cx) ** 2 + (ys - cy) ** 2) * 2
    return (gradient * vignette * rng.uniform(0.85, 1.0)).astype(np.float32)


def photograph(page: Image.Image, seed: int) -> Image.Image:
    """The page photographed on a desk, upright: margin, keystone, light."""
    rng = np.random.default_rng(seed)
    page = page.convert("RGB")
    width, height = page.size
    margin_x, margin_y = (int(width * rng.uniform(0.05, 0.12)), int(height * rng.uniform(0.04, 0.10)))
    canvas_size = (width + 2 * margin_x, height + 2 * margin_y)
    jitter = lambda scale: float(rng.uniform(-scale, scale))  # noqa: E731
    squeeze = rng.uniform(0.0, 0.06) * width  # the top further away than the bottom
    corners = [(margin_x + squeeze + jitter(0.02 * width), margin_y + jitter(0.02 * height)),
               (margin_x + width - squeeze + jitter(0.02 * width), margin_y + jitter(0.02 * height)),
               (margin_x + width + jitter(0.015 * width), margin_y + height + jitter(0.015 * height)),
               (margin_x + jitter(0.015 * width), margin_y + height + jitter(0.015 * height))]
    source = [(0, 0), (width, 0), (width, height), (0, height)]
    coeffs = _perspective_coeffs(corners, source)
    warped = _tint(page, _paper_tint(rng)).transform(canvas_size, Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC)
    mask = Image.new("L", page.size, 255).transform(canvas_size, Image.Transform.PERSPECTIVE, coeffs,
                                                    Image.Resampling.BILINEAR)
    alpha = np.asarray(mask, dtype=np.float32)[:, :, None] / 255.0
    pixels = np.asarray(warped, dtype=np.float32) * alpha + _background(canvas_size, rng) * (1 - alpha)
    pixels *= _lighting(canvas_size, rng)[:, :, None]
    pixels *= np.array([1.0, rng.uniform(0.96, 1.0), rng.uniform(0.88, 0.97)], dtype=np.float32)  # warm light
    photo = _to_image(pixels).filter(ImageFilter.GaussianBlur(float(rng.uniform(0.6, 1.3))))
    return _to_image(_add_noise(photo, rng, float(rng.uniform(2, 5)), colour=True))


def phone_orientation(seed: int) -> int:
    """The EXIF orientation a photo with this seed carries (6 most often)."""
    return [6, 6, 6, 8, 3][random.Random(seed).randrange(5)]


def phone_photo(page_image: Image.Image, seed: int) -> bytes:
    """A phone's JPEG of the page: the pixels stored turned, with the EXIF
    Orientation tag that tells a viewer how to turn them upright."""
    upright = photograph(page_image, seed)
    orientation = phone_orientation(seed)
    stored = upright.transpose(_STORE_ROTATED[orientation])
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = orientation
    exif[0x010F] = "Xiaomi"  # Make
    exif[0x0110] = "Redmi Note 12"  # Model
    exif[0x0132] = "2024:09:1%d 10:%02d:%02d" % (seed % 10, seed % 60, (seed * 7) % 60)  # DateTime
    quality = int(np.random.default_rng([seed, 2]).integers(75, 91))
    return _jpeg(stored, quality, exif=exif.tobytes())


# ---- drawings: a handwritten form, an ID card, a certificate -----------------

def _a4(dpi: int) -> Image.Image:
    image = Image.new("RGB", (round(A4_POINTS[0] * dpi / 72), round(A4_POINTS[1] * dpi / 72)), "white")
    image.info["dpi"] = (dpi, dpi)
    return image


def _print_chars(draw: ImageDraw.ImageDraw, text: str, font, box, line: float) -> list[tuple[str, float, float]]:
    """Typeset text into box, wrapping between characters; where each character went."""
    x0, y0, x1, _ = box
    x, y, placed = x0, y0, []
    for char in text:
        width = font.getlength(char)
        if x + width > x1 and x > x0:
            x, y = x0, y + line
        draw.text((x, y), char, font=font, fill=(20, 20, 20))
        placed.append((char, x, y))
        x += width
    return placed


def _hand_lines(text: str, size: int, width: float) -> int:
    return max(1, math.ceil(load_font(_hand_kind(), size).getlength(text) * 1.15 / max(width, 1)))


def _hand_kind() -> str:
    return "hand" if has_font("hand") else "sans"


def _handwrite(image: Image.Image, text: str, box, size: int, rng: random.Random, ink) -> None:
    """Write text the way a pen does: each character a little bigger or smaller,
    tilted, off the line; the line drifting; the spacing uneven."""
    x0, y0, x1, _ = box
    x, line_y, drift = x0, y0, rng.uniform(-0.025, 0.025)
    wobble = 0.3 if has_font("hand") else 0.6  # a print face needs more shaking to look written
    for char in text:
        font = load_font(_hand_kind(), max(6, round(size * rng.uniform(0.88, 1.12))))
        width = font.getlength(char)
        if x + width > x1 and x > x0:
            x, line_y = x0 + rng.uniform(0, size * 0.3), line_y + size * 1.45
        y = line_y + (x - x0) * drift
        if not char.isspace():
            tile = Image.new("L", (int(width + size), int(size * 2)), 0)
            ImageDraw.Draw(tile).text((size / 2, size / 2), char, font=font, fill=255)
            tile = tile.rotate(rng.uniform(-12, 12) * wobble * 2, resample=Image.Resampling.BICUBIC)
            offset = (int(x - size / 2 + rng.uniform(-1, 1) * size * 0.06 * wobble * 3),
                      int(y - size / 2 + rng.uniform(-1, 1) * size * 0.08 * wobble * 3))
            image.paste(Image.new("RGB", tile.size, ink), offset, tile)
        x += width * rng.uniform(0.95, 1.2)


def _tick(draw: ImageDraw.ImageDraw, x: float, y: float, size: float, rng: random.Random, ink) -> None:
    jitter = lambda: rng.uniform(-0.12, 0.12) * size  # noqa: E731
    points = [(x + 0.05 * size + jitter(), y + 0.55 * size + jitter()), (x + 0.4 * size + jitter(), y + 0.95 * size),
              (x + 1.1 * size + jitter(), y - 0.15 * size + jitter())]
    draw.line(points, fill=ink, width=max(2, round(size * 0.12)), joint="curve")


def handwritten_form_image(applicant, seed: int, dpi: int = 200) -> Image.Image:
    """The printed blank form (4-column table) filled in by hand: the values
    and ticks in a brush-script face, shaken per character."""

    rng = random.Random(seed)
    scale = dpi / 72
    image = _a4(dpi)
    draw = ImageDraw.Draw(image)
    printed, hand = load_font("serif", round(10 * scale)), round(12.5 * scale)
    ink = (rng.randint(15, 45), rng.randint(25, 55), rng.randint(80, 140))
    columns = [c * scale for c in PDF_COLUMNS]
    left = (image.width - sum(columns)) / 2
    title = load_font("serif", round(16 * scale))
    draw.text((image.width / 2, 48 * scale), TITLE, font=title, fill=(10, 10, 10), anchor="mt")
    top, pad = 78 * scale, 4 * scale
    for number, cells in enumerate(table4_rows(applicant)):
        key = WIDE_KEYS[number - len(SHORT_ROWS)] if len(SHORT_ROWS) <= number < len(SHORT_ROWS) + len(WIDE_KEYS) else None
        keys = SHORT_ROWS[number] if number < len(SHORT_ROWS) else (key,)
        boxes, x, column = [], left, 0
        for text, span in cells:
            width = sum(columns[column:column + span])
            boxes.append((x, width, text))
            x, column = x + width, column + span
        lines = [math.ceil(printed.getlength(text) / (width - 2 * pad)) if index % 2 == 0 or key in ("expertise", "service_modes")
                 else _hand_lines(text, hand, width - 2 * pad) for index, (_, width, text) in enumerate(boxes)]
        longtext = key and load_schema().spec_for(key).kind == "longtext"
        height = max(max(lines) * 19 * scale, (3 if longtext else 1) * 19 * scale) + 2 * pad
        for index, (box_x, width, text) in enumerate(boxes):
            draw.rectangle([box_x, top, box_x + width, top + height], outline=(0, 0, 0), width=max(1, round(scale * 0.7)))
            inner = (box_x + pad, top + pad + 2 * scale, box_x + width - pad, top + height)
            if index % 2 == 0 or len(cells) == 1:  # a printed label or the declaration
                _print_chars(draw, text, printed, inner, 13 * scale)
            elif key in ("expertise", "service_modes"):
                placed = _print_chars(draw, tick_text(key, [], 0, False), printed, inner, 19 * scale)
                options = load_schema().spec_for(key).options
                boxes_at = [(x, y) for char, x, y in placed if char == "□"]
                for option, (x, y) in zip(options, boxes_at):
                    if option in getattr(applicant, key):
                        _tick(draw, x, y, 10 * scale, rng, ink)
            else:
                value = written_value(applicant, keys[index // 2])
                _handwrite(image, value, inner, hand, rng, ink)
        top += height
    sign_y = top + 24 * scale
    placed = _print_chars(draw, "本人签名：", printed, (left, sign_y, left + 200 * scale, sign_y + 40), 13 * scale)
    _handwrite(image, applicant.name, (placed[-1][1] + 14 * scale, sign_y - 3 * scale, left + 230 * scale, 0),
               round(hand * 1.3), rng, ink)
    placed = _print_chars(draw, "填表日期：", printed, (left + 260 * scale, sign_y, left + 400 * scale, 0), 13 * scale)
    _handwrite(image, written_value(applicant, "fill_date"), (placed[-1][1] + 14 * scale, sign_y - 2 * scale,
                                                         left + 520 * scale, 0), hand, rng, ink)
    return image


def id_card_image(applicant, seed: int) -> Image.Image:
    """The front of a resident ID card (85.6 x 54 mm at 300 dpi), fictional data."""
    rng = random.Random(seed)
    card = Image.new("RGB", (1011, 638), (236, 240, 244))
    draw = ImageDraw.Draw(card)
    for y in range(0, 638, 6):  # the faint guilloche of the card
        draw.line([(0, y), (1011, y + 40 * math.sin(y / 50 + rng.random()))], fill=(222, 230, 238), width=2)
    label, value = load_font("sans", 30), load_font("sans-bold" if has_font("sans-bold") else "sans", 34)
    year, month, day = applicant.id_number[6:10], int(applicant.id_number[10:12]), int(applicant.id_number[12:14])
    rows = [("姓名", applicant.name), ("性别", f"{applicant.gender}      民族  {applicant.ethnicity.removesuffix('族')}"),
            ("出生", f"{year} 年 {month} 月 {day} 日"), ("住址", applicant.address)]
    y = 70
    for caption, text in rows:
        draw.text((70, y + 4), caption, font=label, fill=(60, 110, 170))
        _print_chars(draw, text, value, (170, y, 680, 600), 44)
        y += 92 if caption != "住址" else 140
    draw.text((70, 540), "公民身份号码", font=label, fill=(60, 110, 170))
    draw.text((300, 532), applicant.id_number, font=load_font("sans", 40), fill=(20, 20, 20))
    draw.rectangle([700, 90, 950, 420], fill=(205, 212, 220))
    draw.ellipse([770, 140, 880, 270], fill=(120, 110, 100))
    draw.pieslice([720, 260, 930, 520], 180, 360, fill=(60, 70, 90))
    return card


def certificate_image(applicant, seed: int, dpi: int = 150) -> Image.Image:
    """An honour certificate (荣誉证书), landscape A4: not an application form."""
    rng = random.Random(seed)
    width, height = round(A4_POINTS[1] * dpi / 72), round(A4_POINTS[0] * dpi / 72)
    image = Image.new("RGB", (width, height), (252, 248, 238))
    image.info["dpi"] = (dpi, dpi)
    draw = ImageDraw.Draw(image)
    red = (190, 30, 35)
    for inset, line in ((40, 10), (70, 3)):
        draw.rectangle([inset, inset, width - inset, height - inset], outline=(200, 160, 60), width=line)
    draw.text((width / 2, 180), "荣 誉 证 书", font=load_font("serif", 110), fill=red, anchor="mt")
    body = load_font("serif", 44)
    draw.text((220, 420), f"{applicant.name} 同志：", font=body, fill=(20, 20, 20))
    year = rng.randint(0, 3)
    _print_chars(draw, f"　　在{2020 + year}年度湛江市中小企业服务工作中表现突出，被评为“优秀服务专家”。"
                       "特发此证，以资鼓励。", body, (220, 500, width - 220, height), 70)
    draw.text((width - 260, height - 300), "湛江市中小企业服务中心", font=body, fill=(20, 20, 20), anchor="rt")
    draw.text((width - 330, height - 230), f"二〇二{'〇一二三'[year]}年十二月", font=body, fill=(20, 20, 20), anchor="rt")
    center = (width - 420, height - 260)
    draw.ellipse([center[0] - 130, center[1] - 130, center[0] + 130, center[1] + 130], outline=red, width=8)
    draw.text(center, "★", font=load_font("sans", 80), fill=red, anchor="mm")
    return image
