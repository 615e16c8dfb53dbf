"""Which way up a page is, and how straight: rotation, skew, binarisation.

    detect_rotation(page) -> int        0/90/180/270, clockwise to make upright
    page_rotation(grey) -> int | None   the same from RapidOCR's models; None: cannot tell
    osd_rotation(page) -> int           the same by Tesseract's OSD (no RapidOCR)
    estimate_skew(page) -> float        degrees counter-clockwise to straighten
    deskew(page, angle=None) -> Image   straightened, white corners
    binarise(page, method="sauvola") -> Image   0/255 "L" page

``page`` is a PIL image, ``grey`` a uint8 numpy array (white paper).

PP-OCR's text detector finds the page's text lines at a small scale (a
quarter of a second); lines wider than tall mean the page is upright or
upside down, taller than wide that it lies on its side. Which of the two is
decided by reading the longest lines both ways round: the recogniser is
far surer of text the right way up. This replaces Tesseract's OSD, which
costs about two seconds a page and is often wrong about upside-down
Chinese print; OSD (``tesseract --psm 0``, a subprocess with
``OMP_THREAD_LIMIT=1``: its OpenMP threads oversubscribe a 2-core machine,
and a time limit) is used only where RapidOCR is not installed.

Skew (within ±5°) is found with a projection profile of the dark pixels
(numpy only).
"""
from __future__ import annotations

import io
import os
import re
import shutil
import subprocess

import cv2
import numpy as np
from PIL import Image

from parsers.ocr.engines import as_bgr, ocr_available, rapid_models

DETECT_SIDE = 960  # px, long side of the copy the detector sees
SAMPLE_LINES = 6  # longest lines read both ways round …
SAMPLE_LENGTH = 8  # … cut to at most this many line heights (about as many characters)
MIN_LINES = 3  # fewer lines than this: cannot tell
ELONGATED = 2.0  # a line box at least this many times wider than tall (or taller than wide)
DOMINANT = 0.75  # share of the elongated boxes that must agree on horizontal or vertical
CLEAR_MARGIN = 0.08  # mean recogniser score by which the right way up must win
MAX_SKEW = 5.0  # degrees either way that estimate_skew looks at
OSD_TIMEOUT = 15.0
OSD_MIN_CONFIDENCE = 1.5
OSD_MIN_CONFIDENCE_180 = 6.0
OSD_SIDE = 1800  # OSD works on a copy this size: enough for a confident answer


# ---- rotation ------------------------------------------------------------------

def detect_rotation(page: Image.Image, *, timeout: float = OSD_TIMEOUT,
                    min_confidence: float = OSD_MIN_CONFIDENCE) -> int:
    """Degrees (0/90/180/270) to turn the page clockwise to make it upright;
    0 when unsure or there is too little text.

    RapidOCR's text detector and recogniser tell (``page_rotation``,
    about 0.5 s); without them, Tesseract's OSD (about 2 s)."""
    if not ocr_available("rapidocr"):
        return osd_rotation(page, timeout=timeout, min_confidence=min_confidence)
    return page_rotation(np.asarray(page.convert("L"), dtype=np.uint8)) or 0


def page_rotation(grey: np.ndarray) -> int | None:
    """Degrees to turn ``grey`` (uint8, white paper) clockwise to make it upright."""
    models = rapid_models()
    scale = min(1.0, DETECT_SIDE / max(grey.shape[:2]))
    small = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else grey
    boxes, _ = models.text_det(as_bgr(small))
    if boxes is None or len(boxes) < MIN_LINES:
        return None
    spans = [_span(box) for box in boxes]
    wide = [s for s in spans if s[2] >= ELONGATED * s[3]]
    tall = [s for s in spans if s[3] >= ELONGATED * s[2]]
    if len(wide) + len(tall) < MIN_LINES:
        return None
    if len(wide) >= DOMINANT * (len(wide) + len(tall)):
        lines, turned = wide, False
    elif len(tall) >= DOMINANT * (len(wide) + len(tall)):
        lines, turned = tall, True
    else:
        return None
    lines = sorted(lines, key=lambda s: max(s[2], s[3]), reverse=True)[:SAMPLE_LINES]
    crops = [_line_crop(grey, span, scale, turned) for span in lines]
    crops = [crop for crop in crops if crop.size]
    if len(crops) < min(MIN_LINES, len(lines)):
        return None
    upright = _mean_score(models, crops)
    flipped = _mean_score(models, [cv2.rotate(crop, cv2.ROTATE_180) for crop in crops])
    if abs(upright - flipped) < CLEAR_MARGIN:
        return None
    if not turned:
        return 0 if upright > flipped else 180
    # Crops were turned a quarter clockwise to lie flat: upright then means
    # the page needs that quarter turn, else the three-quarter one.
    return 90 if upright > flipped else 270


def _span(box) -> tuple[float, float, float, float]:
    points = np.asarray(box, dtype=np.float32)
    x0, y0 = points.min(axis=0)
    x1, y1 = points.max(axis=0)
    return float(x0), float(y0), float(x1 - x0), float(y1 - y0)


def _line_crop(grey: np.ndarray, span, scale: float, turned: bool) -> np.ndarray:
    x, y, w, h = (value / scale for value in span)
    pad = 0.15 * min(w, h)
    x0, y0 = max(0, int(x - pad)), max(0, int(y - pad))
    x1, y1 = min(grey.shape[1], int(x + w + pad)), min(grey.shape[0], int(y + h + pad))
    # Characters enough to tell up from down; the recogniser's time grows with the width.
    along = int(SAMPLE_LENGTH * (y1 - y0 if not turned else x1 - x0))
    if turned:
        y1 = min(y1, y0 + along)
    else:
        x1 = min(x1, x0 + along)
    crop = grey[y0:y1, x0:x1]
    return cv2.rotate(crop, cv2.ROTATE_90_CLOCKWISE) if turned and crop.size else crop


def _mean_score(models, crops: list[np.ndarray]) -> float:
    found, _ = models.text_rec([as_bgr(crop) for crop in crops])
    return float(np.mean([score for _text, score in found])) if found else 0.0


def osd_rotation(page: Image.Image, *, timeout: float = OSD_TIMEOUT,
                 min_confidence: float = OSD_MIN_CONFIDENCE) -> int:
    """As ``detect_rotation``, by Tesseract's OSD (``--psm 0``); 0 when
    Tesseract is missing, unsure or finds too little text."""
    tesseract = shutil.which("tesseract")
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


# ---- skew and binarisation -------------------------------------------------

def estimate_skew(page: Image.Image, *, max_angle: float = MAX_SKEW) -> float:
    """Degrees to rotate the page counter-clockwise (PIL's ``rotate`` sign)
    to make its text lines and table rules horizontal; 0.0 when unsure.

    Projection profile: for each candidate angle the dark pixels are
    projected onto the page's vertical axis along lines at that angle; the
    angle at which rows of text and ruled lines line up gives the sharpest
    histogram (largest sum of squares)."""
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


def binarise(page: Image.Image, *, method: str = "sauvola", window: int | None = None,
             k: float = 0.2) -> Image.Image:
    """Black text on white as an "L" image of 0/255.

    "sauvola" (default) thresholds each pixel against its neighbourhood —
    T = m·(1 + k·(s/R − 1)) with local mean m and deviation s — so the
    shadow and glare of a phone photo do not swallow text; "otsu" uses one
    global threshold (clean scans)."""
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
    histogram = np.bincount(grey.astype(np.uint8).ravel(), minlength=256).astype(np.float64)
    total = histogram.sum()
    levels = np.arange(256)
    weight = np.cumsum(histogram)
    mean = np.cumsum(histogram * levels)
    between = (mean[-1] * weight - mean * total) ** 2 / np.maximum(weight * (total - weight), 1e-9)
    return float(np.argmax(between))
