"""Lines of text outside the tables as bands that may slant.

A photographed sheet that curls, or keeps a trace of keystone after it is
cut out, has lines that slope by a degree or two, and differently in
different parts of the page: deskewing the whole page cannot straighten
them all. Tightly set lines that slope then overlap in a row projection,
and several lines came out as one tall "line" that no engine can read:
every field on them went missing.

A run of inked rows taller than one line is therefore cut along the slope
at which its ink falls into the sharpest rows (the projection-profile
measure of skew, taken on that run alone). Each line is a ``Band``: the
rows between ``top`` and ``bottom`` once the page is sheared by ``slope``
(y − slope·x); a level line has slope 0 and is a plain row range.
``straighten`` cuts a band out of an image as a level strip, so the
engine sees one line, with no stroke of the lines above or below.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from parsers.ocr.engines.crops import TOUCHING_LINES, cut_at_valleys

# A run of inked rows taller than TOUCHING_LINES line heights may be several
# lines touching; it is cut at its valleys (``engines.crops.cut_at_valleys``).
MAX_SLANT_DEGREES = 4.0  # beyond the residue a deskewed photo keeps
SLANT_STEP_DEGREES = 0.1
ONE_LINE = 1.2  # a line cut out taller than this many line heights is cut again at its own slope
REFINE_DEPTH = 2


@dataclass(frozen=True)
class Band:
    """A line's rows in the page sheared by ``slope``: ink at (x, y) is in
    the band when top <= y - slope·x < bottom."""

    top: int
    bottom: int
    slope: float = 0.0

    @property
    def height(self) -> int:
        return self.bottom - self.top

    def box(self, x0: int, x1: int) -> tuple[int, int, int, int]:
        """The upright rectangle holding the band between columns x0 and x1."""
        ends = (self.slope * x0, self.slope * x1)
        return (x0, int(np.floor(self.top + min(ends))), x1, int(np.ceil(self.bottom + max(ends))))


def split_lines(ink: np.ndarray, spans: list[tuple[int, int]], line_height: int) -> list[Band]:
    """Each span of inked rows as one band, or, when it is taller than a
    line, as the lines it holds, cut along their own slope."""
    out: list[Band] = []
    for top, bottom in spans:
        ys, xs = np.nonzero(ink[top:bottom])
        if bottom - top <= TOUCHING_LINES * line_height or len(ys) == 0:
            out.append(Band(top, bottom))
            continue
        out.extend(_cut(ys + top, xs, line_height, REFINE_DEPTH))
    return out


def _cut(ys: np.ndarray, xs: np.ndarray, line_height: int, depth: int) -> list[Band]:
    """The lines the ink points (ys, xs) make up. A line cut out still
    taller than a line is cut again at its own slope: the sheet curls
    more further down, so the slope of the lines changes within a run."""
    slope = _sharpest_slope(ys, xs)
    sheared = np.floor(ys - slope * xs).astype(int)
    low = int(sheared.min())
    profile = np.bincount(sheared - low)
    pieces = cut_at_valleys(profile, low, 0.3 * line_height)
    if len(pieces) <= 1 or depth == 0:
        return [Band(low, low + len(profile), slope)]
    out: list[Band] = []
    for a, b in pieces:
        inside = (sheared >= a) & (sheared < b)
        if b - a > ONE_LINE * line_height:
            out.extend(_cut(ys[inside], xs[inside], line_height, depth - 1))
        else:
            out.append(Band(a, b, slope))
    return out


def _sharpest_slope(ys: np.ndarray, xs: np.ndarray) -> float:
    """The slope at which the ink's row profile is sharpest (lines and
    the gaps between them most apart); level wins a tie."""
    best, best_score = 0.0, -1.0
    degrees = np.arange(-MAX_SLANT_DEGREES, MAX_SLANT_DEGREES + 1e-9, SLANT_STEP_DEGREES)
    for slope in sorted(np.tan(np.radians(degrees)), key=abs):
        sheared = np.floor(ys - slope * xs).astype(int)
        counts = np.bincount(sheared - sheared.min()).astype(np.float64)
        score = float(np.dot(counts, counts))
        if score > best_score * (1 + 1e-6):
            best, best_score = float(slope), score
    return best


def band_ink(ink: np.ndarray, band: Band) -> np.ndarray:
    """The band's ink over the page's full width, levelled."""
    return straighten(ink, band, 0, ink.shape[1], fill=0)


def straighten(image: np.ndarray, band: Band, x0: int, x1: int, fill: int = 255) -> np.ndarray:
    """The band between columns x0 and x1 of ``image`` as a level strip."""
    if band.slope == 0:
        return image[max(0, band.top):band.bottom, x0:x1].copy()
    # Strip pixel (u, v) comes from image pixel (x0 + u, top + v + slope·(x0 + u)).
    matrix = np.float32([[1, 0, x0], [band.slope, 1, band.top + band.slope * x0]])
    return cv2.warpAffine(image, matrix, (max(1, x1 - x0), max(1, band.height)),
                          flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=fill)
