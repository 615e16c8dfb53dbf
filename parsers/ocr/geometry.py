"""Page geometry of a phone photo: find the sheet, make it a flat rectangle.

    find_sheet(grey) -> np.ndarray | None     4×2 corners (tl, tr, br, bl) of the paper
    rectify(grey) -> np.ndarray               the sheet warped upright, or ``grey`` unchanged
    rectify_mapped(grey) -> (flat, matrix | None)   the same, and how its pixels map back
    order_corners(points) -> np.ndarray       tl, tr, br, bl
    Placement                                 where a page image's pixels lie on the source page

A photo of a form on a desk shows the sheet as a bright quadrilateral
(keystone: the far edge shorter) on a darker background. The sheet's
outline is found on a small copy: the grey image is thresholded at a few
levels (the light is uneven, so no single level is right everywhere), the
largest outer contour at each level is simplified to a polygon, and so is
the hull of the largest outline the edges draw (where light falls off across the
sheet, no single level follows its edge all round). Of the clean convex
quadrilaterals, the one whose sides lie on the picture's edges wins (a
level that let the desk into the sheet cuts across it), the biggest of
those that do. The sheet is then warped to a rectangle whose sides are the quadrilateral's
longer opposite sides, so text keeps its size and the table's rules come
out straight and axis-aligned.

A flatbed scan (the sheet fills the picture) or a picture without a clear
sheet edge is left as it is.

Every step that moves pixels (decoding at reduced scale, cutting out the
sheet, turning and straightening the page, scaling it for OCR) maps the
new image's pixels back to the old one's; a ``Placement`` chains them, so
a box read on the OCR'd page can be shown on the page as staff see it.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

WORK_SIDE = 800  # px: the sheet is looked for on a copy this size
MIN_AREA = 0.25  # of the picture: a smaller quadrilateral is not the sheet
MAX_AREA = 0.97  # a bigger one is the picture's own border (a scan)
MIN_FILL = 0.93  # the contour must fill its quadrilateral this well
MIN_CONTRAST = 25  # grey levels between the sheet and what surrounds it
EDGE_LOW, EDGE_HIGH = 20, 60  # Canny's thresholds on the blurred copy: the sheet's edge steps by MIN_CONTRAST or more
ON_EDGES = 0.9  # a side this much on the picture's edges follows the sheet's edge (the rest is wear and shadow)


def order_corners(points) -> np.ndarray:
    """Four points as top-left, top-right, bottom-right, bottom-left."""
    points = np.asarray(points, dtype=np.float32).reshape(4, 2)
    total = points.sum(axis=1)
    diff = points[:, 1] - points[:, 0]
    return np.array([points[np.argmin(total)], points[np.argmin(diff)],
                     points[np.argmax(total)], points[np.argmax(diff)]], dtype=np.float32)


def _quad(contour: np.ndarray) -> np.ndarray | None:
    perimeter = cv2.arcLength(contour, True)
    for epsilon in (0.01, 0.02, 0.03, 0.04):
        approx = cv2.approxPolyDP(contour, epsilon * perimeter, True)
        if len(approx) == 4 and cv2.isContourConvex(approx):
            return approx.reshape(4, 2).astype(np.float32)
        if len(approx) < 4:
            return None
    return None


def find_sheet(grey: np.ndarray) -> np.ndarray | None:
    """Corners (tl, tr, br, bl, in ``grey``'s pixels) of the sheet of paper
    in a photo; None when there is no clear sheet (a scan fills the frame)."""
    height, width = grey.shape[:2]
    scale = min(1.0, WORK_SIDE / max(height, width))
    small = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else grey
    small = cv2.GaussianBlur(small, (5, 5), 0)
    # Text and rules are not the sheet's edge: close them into the paper.
    paper = cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (9, 9)))
    area_total = float(small.shape[0] * small.shape[1])
    otsu, _ = cv2.threshold(paper, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    edges = cv2.Canny(paper, EDGE_LOW, EDGE_HIGH)
    outlines = [contour for level in sorted({int(otsu) + delta for delta in (-30, -15, 0, 15, 30)})
                if 10 < level < 245 and (contour := _largest_outline(paper, level)) is not None]
    traced, _ = cv2.findContours(cv2.dilate(edges, np.ones((3, 3), np.uint8)), cv2.RETR_EXTERNAL,
                                 cv2.CHAIN_APPROX_SIMPLE)
    if traced:
        outlines.append(cv2.convexHull(max(traced, key=cv2.contourArea)))
    near_edges = cv2.dilate(edges, np.ones((7, 7), np.uint8)) > 0
    candidates = []
    for contour in outlines:
        area = cv2.contourArea(contour)
        if not MIN_AREA * area_total <= area <= MAX_AREA * area_total:
            continue
        quad = _quad(contour)
        if quad is None:
            continue
        quad_area = cv2.contourArea(quad)
        if quad_area <= 0 or area / quad_area < MIN_FILL or quad_area > MAX_AREA * area_total:
            continue
        if not _stands_out(paper, quad):
            continue
        quad = order_corners(quad)
        candidates.append((min(_on_edges(near_edges, quad), ON_EDGES), quad_area, quad))
    if not candidates:
        return None
    return max(candidates, key=lambda candidate: candidate[:2])[2] / scale


def _largest_outline(paper: np.ndarray, level: int) -> np.ndarray | None:
    mask = (paper > level).astype(np.uint8) * 255
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5)))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return max(contours, key=cv2.contourArea) if contours else None


def _on_edges(near: np.ndarray, quad: np.ndarray) -> float:
    """How well the quadrilateral's sides follow the picture's edges
    (``near``: within a few pixels of one): the share of its worst side on
    them. A side along the picture's border (the sheet running off it) is
    not judged."""
    height, width = near.shape
    shares = []
    for start, end in zip(quad, np.roll(quad, -1, axis=0)):
        count = max(2, int(np.hypot(*(end - start))))
        points = (start + np.outer(np.linspace(0, 1, count), end - start)).astype(int)
        inside = (points[:, 0] > 3) & (points[:, 0] < width - 4) & (points[:, 1] > 3) & (points[:, 1] < height - 4)
        if inside.sum() >= 0.3 * count:
            points = points[inside]
            shares.append(float(near[points[:, 1], points[:, 0]].mean()))
    return min(shares, default=0.0)


def _stands_out(small: np.ndarray, quad: np.ndarray) -> bool:
    """The quadrilateral is brighter than a band around it (paper on a desk)."""
    inside = np.zeros(small.shape, np.uint8)
    cv2.fillConvexPoly(inside, quad.astype(np.int32), 255)
    band = cv2.dilate(inside, cv2.getStructuringElement(cv2.MORPH_RECT, (21, 21))) & ~inside
    shrunk = cv2.erode(inside, cv2.getStructuringElement(cv2.MORPH_RECT, (21, 21)))
    if not band.any() or not shrunk.any():
        return False
    return float(np.median(small[shrunk > 0])) - float(np.median(small[band > 0])) >= MIN_CONTRAST


def rectify(grey: np.ndarray, corners: np.ndarray | None = None) -> np.ndarray:
    """The sheet cut out of a photo and warped to an upright rectangle; the
    picture unchanged when no sheet is found."""
    return rectify_mapped(grey, corners)[0]


def rectify_mapped(grey: np.ndarray, corners: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """``rectify``, and the 3×3 matrix from the flat sheet's pixels back to
    the photo's (None: the picture was left as it is)."""
    if corners is None:
        corners = find_sheet(grey)
    if corners is None:
        return grey, None
    tl, tr, br, bl = corners
    width = int(round(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl))))
    height = int(round(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))))
    if width < 50 or height < 50:
        return grey, None
    target = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32), target)
    flat = cv2.warpPerspective(grey, matrix, (width, height), flags=cv2.INTER_CUBIC,
                               borderMode=cv2.BORDER_REPLICATE)
    return flat, np.linalg.inv(matrix)


@dataclass(frozen=True)
class Placement:
    """Where a page image's pixels lie on the source page: a 3×3 projective
    matrix from this image's pixels to the source's coordinates (an image
    file's pixels as sent, turned upright by its EXIF orientation; a PDF
    page's points). ``cut_from_photo``: the page is a sheet cut out of a
    larger photo, so the rest of the photo was not read."""

    matrix: tuple[tuple[float, float, float], ...] = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))
    cut_from_photo: bool = False

    @classmethod
    def scaled(cls, x: float, y: float) -> Placement:
        """The source is this image scaled by ``x`` and ``y`` (a page rendered or decoded smaller)."""
        return cls(((x, 0.0, 0.0), (0.0, y, 0.0), (0.0, 0.0, 1.0)))

    def after(self, step: np.ndarray, *, cut_from_photo: bool = False) -> Placement:
        """The placement of a new image made from this one, ``step`` mapping
        the new image's pixels to this image's."""
        combined = np.asarray(self.matrix, dtype=np.float64) @ np.asarray(step, dtype=np.float64)
        return Placement(tuple(tuple(float(v) for v in row) for row in combined),
                         self.cut_from_photo or cut_from_photo)

    def box(self, box) -> tuple[float, float, float, float]:
        """The source box holding ``box`` (x0, y0, x1, y1 in this image's pixels)."""
        x0, y0, x1, y1 = box
        corners = np.array([[x0, y0, 1], [x1, y0, 1], [x1, y1, 1], [x0, y1, 1]], dtype=np.float64)
        mapped = corners @ np.asarray(self.matrix, dtype=np.float64).T
        xs, ys = mapped[:, 0] / mapped[:, 2], mapped[:, 1] / mapped[:, 2]
        return float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())
