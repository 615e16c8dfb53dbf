"""Undo the keystone a photo leaves when the sheet's edge was not found.

    square_to_rules(grey) -> (squared, matrix | None)

A phone held at an angle draws the form's table as a trapezoid: the far
rules shorter, the sides leaning in. ``geometry.rectify`` straightens the
sheet by its outline, but where the desk is as light as the paper, or the
sheet runs off the picture, there is no outline to find, and a keystoned
table defeats the reading of its grid (cells come out cut and merged).

A printed form's rules are straight and meet at right angles, so they are
their own outline: the topmost and bottommost long rules and the leftmost
and rightmost tall ones meet in the corners of a rectangle the photo has
turned into a quadrilateral. When those four lines are clearly not a
rectangle, the page is warped so that they are. A scan, or a photo already
flat, is left exactly as it is.
"""
from __future__ import annotations

import cv2
import numpy as np

WORK_SIDE = 1600  # px: rules are looked for on a copy this size
MIN_WIDE = 0.35  # the table spans at least this share of the page's width …
MIN_TALL = 0.08  # … and of its height
RULE_SHARE = 0.6  # a rule spans at least this share of its table's width (or height)
MAX_LEAN = 12.0  # degrees off the axis a rule may lean and still be one
MIN_KEYSTONE = 0.5  # degrees: opposite rules closer to parallel (and square) than this are left alone (the grid reader takes that much)
MIN_FRAME = 0.05  # of the page: a smaller frame is too little to go by


def _runs(ink: np.ndarray, horizontal: bool) -> np.ndarray:
    """Long, nearly straight runs of ink along one axis."""
    run = max(20, (ink.shape[1] if horizontal else ink.shape[0]) // 45)
    kernel = (run, 1) if horizontal else (1, run)
    # A leaning rule steps across pixel rows: thicken before keeping long runs.
    thick = cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_RECT, (1, 3) if horizontal else (3, 1)))
    return cv2.morphologyEx(thick, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, kernel))


def _table(across: np.ndarray, down: np.ndarray) -> tuple[np.ndarray, int, int] | None:
    """The net of rules clear of the picture's border with the most rules
    across it (then the biggest): the form's table, not the edge of the
    sheet or of the desk, which a photo taken whole shows as a frame of
    a few long lines around it."""
    height, width = across.shape
    count, labels, stats, _ = cv2.connectedComponentsWithStats(cv2.bitwise_or(across, down), connectivity=8)
    best, best_rank, size = None, (0, 0), (0, 0)
    for number in range(1, count):
        x, y, w, h, _ = stats[number]
        clear = x > 2 and y > 2 and x + w < width - 2 and y + h < height - 2
        if not (clear and w >= MIN_WIDE * width and h >= MIN_TALL * height):
            continue
        rank = (_rules_across(across[y:y + h, x:x + w] & (labels[y:y + h, x:x + w] == number), w), int(w * h))
        if rank > best_rank:
            best, best_rank, size = number, rank, (int(w), int(h))
    return None if best is None else ((labels == best).astype(np.uint8) * 255, *size)


def _rules_across(runs: np.ndarray, width: int) -> int:
    """How many rows of rule run across a net ``width`` wide, counted by
    ink (a rule that leans crosses many pixel rows, so rows are not counted)."""
    return int(np.count_nonzero(runs) // max(1, width))


def _segments(runs: np.ndarray, horizontal: bool, span: int) -> list[tuple[float, float, float, float]]:
    """The rules among ``runs`` at least ``RULE_SHARE`` of ``span`` long,
    as segments (x1, y1, x2, y2), each refitted to its ink."""
    found = cv2.HoughLinesP(runs, 1, np.pi / 720, threshold=max(20, int(RULE_SHARE * span) // 2),
                            minLineLength=RULE_SHARE * span, maxLineGap=max(4, span // 60))
    out = []
    ys, xs = np.nonzero(runs)
    for x1, y1, x2, y2 in (found.reshape(-1, 4) if found is not None else []):
        angle = np.degrees(np.arctan2(y2 - y1, x2 - x1)) % 180
        lean = min(angle, 180 - angle) if horizontal else abs(angle - 90)
        if lean <= MAX_LEAN:
            out.append(_fitted((float(x1), float(y1), float(x2), float(y2)), xs, ys))
    return out


def _fitted(segment, xs: np.ndarray, ys: np.ndarray):
    """The segment refitted to the ink along it: Hough's endpoints are a
    pixel or two off, which over a rule's length is a tilt as large as the
    keystone looked for."""
    x1, y1, x2, y2 = segment
    length = np.hypot(x2 - x1, y2 - y1)
    ux, uy = (x2 - x1) / length, (y2 - y1) / length
    along = (xs - x1) * ux + (ys - y1) * uy
    across = (xs - x1) * -uy + (ys - y1) * ux
    near = (np.abs(across) <= 3) & (along >= 0) & (along <= length)
    if near.sum() < 0.5 * length:
        return segment
    points = np.stack([xs[near], ys[near]], axis=1).astype(np.float32)
    vx, vy, cx, cy = cv2.fitLine(points, cv2.DIST_HUBER, 0, 0.01, 0.01).reshape(4)
    position = (xs[near] - cx) * vx + (ys[near] - cy) * vy
    start, stop = position.min(), position.max()
    return (float(cx + start * vx), float(cy + start * vy), float(cx + stop * vx), float(cy + stop * vy))


def _extreme(segments, horizontal: bool, last: bool):
    """The outermost of the longest rules on one side (top/bottom, left/right)."""
    if not segments:
        return None
    lengths = [np.hypot(x2 - x1, y2 - y1) for x1, y1, x2, y2 in segments]
    long_enough = [s for s, length in zip(segments, lengths) if length >= 0.6 * max(lengths)]
    middle = (lambda s: (s[1] + s[3]) / 2) if horizontal else (lambda s: (s[0] + s[2]) / 2)
    return (max if last else min)(long_enough, key=middle)


def _meet(first, second) -> np.ndarray | None:
    x1, y1, x2, y2 = first
    x3, y3, x4, y4 = second
    denominator = (x1 - x2) * (y3 - y4) - (y1 - y2) * (x3 - x4)
    if abs(denominator) < 1e-6:
        return None
    a, b = x1 * y2 - y1 * x2, x3 * y4 - y3 * x4
    return np.array([(a * (x3 - x4) - (x1 - x2) * b) / denominator,
                     (a * (y3 - y4) - (y1 - y2) * b) / denominator], dtype=np.float64)


def _direction(segment) -> float:
    x1, y1, x2, y2 = segment
    return np.degrees(np.arctan2(y2 - y1, x2 - x1))


def _is_keystoned(top, bottom, left, right) -> bool:
    """Opposite rules not parallel, or the frame not square."""
    def apart(a: float, b: float) -> float:
        return abs((a - b + 90) % 180 - 90)
    horizontal = [_direction(top), _direction(bottom)]
    vertical = [_direction(left), _direction(right)]
    return (apart(*horizontal) >= MIN_KEYSTONE or apart(*vertical) >= MIN_KEYSTONE
            or apart(horizontal[0] + 90, vertical[0]) >= MIN_KEYSTONE)


def frame_corners(grey: np.ndarray, ink: np.ndarray | None = None) -> np.ndarray | None:
    """Corners (tl, tr, br, bl, in ``grey``'s pixels) where the form's
    outermost rules meet, when they make a keystoned frame; else None."""
    height, width = grey.shape[:2]
    scale = min(1.0, WORK_SIDE / max(height, width))
    small = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else grey
    if ink is None:
        block = max(15, (min(small.shape) // 40) | 1)
        ink = cv2.adaptiveThreshold(small, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 15)
    across, down = _runs(ink, True), _runs(ink, False)
    table = _table(across, down)
    if table is None:
        return None
    keep, table_width, table_height = table
    horizontal = _segments(cv2.bitwise_and(across, keep), True, table_width)
    vertical = _segments(cv2.bitwise_and(down, keep), False, table_height)
    top, bottom = _extreme(horizontal, True, False), _extreme(horizontal, True, True)
    left, right = _extreme(vertical, False, False), _extreme(vertical, False, True)
    if None in (top, bottom, left, right) or top is bottom or left is right:
        return None
    if not _is_keystoned(top, bottom, left, right):
        return None
    corners = [_meet(top, left), _meet(top, right), _meet(bottom, right), _meet(bottom, left)]
    if any(corner is None for corner in corners):
        return None
    quad = np.array(corners, dtype=np.float32)
    small_height, small_width = small.shape[:2]
    margin = 0.1 * max(small_height, small_width)
    if (quad[:, 0].min() < -margin or quad[:, 1].min() < -margin or quad[:, 0].max() > small_width + margin
            or quad[:, 1].max() > small_height + margin):
        return None
    if not cv2.isContourConvex(quad.reshape(-1, 1, 2)) or cv2.contourArea(quad) < MIN_FRAME * small_height * small_width:
        return None
    return quad / scale


def square_to_rules(grey: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """The page warped so its outermost rules make a rectangle, and the 3×3
    matrix from the new page's pixels back to ``grey``'s (None: unchanged)."""
    corners = frame_corners(grey)
    if corners is None:
        return grey, None
    tl, tr, br, bl = corners
    frame_width = max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl))
    frame_height = max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))
    target = np.array([[0, 0], [frame_width, 0], [frame_width, frame_height], [0, frame_height]], dtype=np.float32)
    to_frame = cv2.getPerspectiveTransform(corners.astype(np.float32), target)
    # The whole page comes along, the frame placed where its corners land.
    height, width = grey.shape[:2]
    page = np.array([[[0, 0]], [[width, 0]], [[width, height]], [[0, height]]], dtype=np.float32)
    landed = cv2.perspectiveTransform(page, to_frame).reshape(-1, 2)
    x0, y0 = np.floor(landed.min(axis=0))
    x1, y1 = np.ceil(landed.max(axis=0))
    new_width, new_height = int(x1 - x0), int(y1 - y0)
    if not (0 < new_width <= 2 * width and 0 < new_height <= 2 * height):
        return grey, None
    matrix = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]], dtype=np.float64) @ to_frame
    squared = cv2.warpPerspective(grey, matrix, (new_width, new_height), flags=cv2.INTER_CUBIC,
                                  borderMode=cv2.BORDER_CONSTANT, borderValue=255)
    return squared, np.linalg.inv(matrix)
