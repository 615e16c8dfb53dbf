"""Which way up a page is, from its text lines (RapidOCR's own models).

    page_rotation(grey) -> int | None   0/90/180/270 clockwise to make upright; None: cannot tell

PP-OCR's text detector finds the page's text lines at a small scale (a
quarter of a second); lines wider than tall mean the page is upright or
upside down, taller than wide that it lies on its side. Which of the two is
decided by reading the longest lines both ways round: the recogniser is
far surer of text the right way up. This replaces Tesseract's OSD, which
costs about two seconds a page and is often wrong about upside-down
Chinese print.
"""
from __future__ import annotations

import cv2
import numpy as np

from parsers.ocr.engines import as_bgr, rapid_models

DETECT_SIDE = 960  # px, long side of the copy the detector sees
SAMPLE_LINES = 6  # longest lines read both ways round …
SAMPLE_LENGTH = 8  # … cut to at most this many line heights (about as many characters)
MIN_LINES = 3  # fewer lines than this: cannot tell
ELONGATED = 2.0  # a line box at least this many times wider than tall (or taller than wide)
DOMINANT = 0.75  # share of the elongated boxes that must agree on horizontal or vertical
CLEAR_MARGIN = 0.08  # mean recogniser score by which the right way up must win


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
