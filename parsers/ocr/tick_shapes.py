"""Tick boxes and bracket pairs found in a cell's ink.

    find_boxes(ink, line_height, rules=None) -> list[Box]   square boxes, in reading order
    find_brackets(ink, line_height) -> list[Bracket]   "（√）" pairs after options

Square boxes about as tall as a character: standing alone, touching the
option name beside them (cut out of the blob they make together), stacked
in a column touching each other (a list whose boxes are as tall as its
lines), squeezed against the cell's rule so that one side is missing, or
drawn against a table's rule (painted out of the ink) that stands for a side.
The ink inside each says ticked (■, ☑, ☒, a pen tick) or not (□).
``tick_marks`` decides what the boxes and brackets mean for the options.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

TICKED_INSIDE = 0.16  # share of a box's inside covered by ink
UNTICKED_INSIDE = 0.06


@dataclass(frozen=True)
class Box:
    x0: int
    y0: int
    x1: int
    y1: int
    inside_ink: float

    @property
    def ticked(self) -> bool:
        return self.inside_ink >= TICKED_INSIDE

    @property
    def clear(self) -> bool:
        return self.inside_ink >= TICKED_INSIDE + 0.1 or self.inside_ink <= UNTICKED_INSIDE


def _box_at(ink: np.ndarray, x: int, y: int, w: int, h: int, rules: np.ndarray | None = None) -> Box | None:
    """The square at (x, y, w, h) as a Box when it has four straight sides."""
    patch = ink[y:y + h, x:x + w] > 0
    if patch.shape != (h, w) or min(w, h) < 4:
        return None
    band = max(1, round(min(w, h) * 0.12))
    # A box has four straight sides: each side's band mostly inked along its
    # length. A side at the crop's top or bottom edge may be cut by the crop,
    # or lie on the cell's rule and go with it (a box squeezed against the
    # rule): it need not be there at all.
    slack = _rule_slack(h)
    sides = [patch[:band, :].any(axis=0), patch[-band:, :].any(axis=0),
             patch[:, :band].any(axis=1), patch[:, -band:].any(axis=1)]
    if rules is not None:
        # Where a rule was painted out of the ink, on the side or right
        # against it, the side went with it (a box hung from the table's
        # bottom rule has the rule for its top).
        sides = [side | on_rule for side, on_rule in zip(sides, _rule_sides(rules, x, y, w, h, band))]
    needed = [0.0 if y <= slack else 0.85, 0.0 if y + h >= ink.shape[0] - slack else 0.85, 0.85, 0.85]
    if any(side.mean() < need for side, need in zip(sides, needed)):
        return None
    margin = max(2, round(min(w, h) * 0.22))
    inside = patch[margin:h - margin, margin:w - margin]
    if rules is not None:  # what was painted out is no ink and no paper: not counted
        inside = inside[~rules[y + margin:y + h - margin, x + margin:x + w - margin]]
    if inside.size == 0:
        return None
    return Box(x, y, x + w, y + h, float(inside.mean()))


def _rule_sides(rules: np.ndarray, x: int, y: int, w: int, h: int, band: int) -> list[np.ndarray]:
    """Top, bottom, left and right: where along each side of the box at
    (x, y, w, h) a rule lies on the side's band or right against it (a
    pixel outside: a stroke a few pixels off the rule is not drawn on it)."""
    top, left = max(0, y - 1), max(0, x - 1)
    return [rules[top:y + band, x:x + w].any(axis=0), rules[y + h - band:y + h + 1, x:x + w].any(axis=0),
            rules[y:y + h, left:x + band].any(axis=1), rules[y:y + h, x + w - band:x + w + 1].any(axis=1)]


def _unstack(ink: np.ndarray, blob: np.ndarray, x: int, y: int, line_height: int,
             rules: np.ndarray | None = None) -> list[Box]:
    """Boxes stacked in a column, each touching the next: a list over
    several lines whose boxes are as tall as the lines (``blob``: the
    column's ink within its bounding box at x, y). Their top and bottom
    sides are the rows inked from the blob's left edge for a box's width."""
    leading = np.array([_leading_run(row) for row in blob])
    sides = np.where((leading >= 0.4 * line_height) & (leading <= 1.4 * line_height))[0]
    if len(sides) < 2:
        return []
    groups = np.split(sides, np.where(np.diff(sides) > 1)[0] + 1)
    # A filled box (■) is inked across all its rows: its top and bottom rows are its sides.
    groups = [part for group in groups
              for part in ((group[:1], group[-1:]) if len(group) > 0.3 * line_height else (group,))]
    # A side two boxes share is cut in its middle; an outer side is whole. A
    # column running on to the crop's edge past its last side ends in a box
    # the crop cut (squeezed against the cell's rule).
    height = blob.shape[0]
    slack = _rule_slack(line_height)
    cut_above = y <= slack and groups[0][0] >= 0.4 * line_height
    cut_below = y + height >= ink.shape[0] - slack and height - 1 - groups[-1][-1] >= 0.4 * line_height
    ends = ([0] if cut_above else []) + [int(group[len(group) // 2]) for group in groups] + (
        [height - 1] if cut_below else [])
    ends[0] = 0 if cut_above else int(groups[0][0])
    ends[-1] = height - 1 if cut_below else int(groups[-1][-1])
    width = int(np.median(leading[sides]))
    found = []
    for top, bottom in zip(ends, ends[1:]):
        if 0.4 * line_height <= bottom - top + 1 <= 1.3 * line_height:
            box = _box_at(ink, x, y + top, width, bottom - top + 1, rules)
            if box is not None:
                found.append(box)
    return found


def _rule_slack(side: float) -> int:
    """Pixels between a box's open side and the crop's edge that the cell's
    rule (painted out) may account for."""
    return max(1, round(0.15 * side))


def _leading_run(row: np.ndarray) -> int:
    """Inked pixels in a row from where its ink starts, if it starts at the left edge."""
    start = int(np.argmax(row))
    if not row[start] or start > 2:
        return 0
    gaps = np.where(~row[start:])[0]
    return int(gaps[0]) if len(gaps) else len(row) - start


def _carve(ink: np.ndarray, blob: np.ndarray, x: int, y: int, w: int, h: int, line_height: int,
           rules: np.ndarray | None = None) -> list[Box]:
    """Boxes at either end of a blob wider than a box (``blob``: its mask
    within its bounding box at x, y): a box touching the option name after
    it ("□政" as one stroke of ink) or before it."""
    found = []
    for from_left in (True, False):
        rows = np.where(blob[:, 0 if from_left else w - 1])[0]
        if not len(rows):
            continue
        # The box's outer side: the longest run of inked rows in its first column.
        runs = np.split(rows, np.where(np.diff(rows) > 1)[0] + 1)
        run = max(runs, key=len)
        top, side = y + int(run[0]), int(run[-1] - run[0] + 1)
        if not (0.4 * line_height <= side <= 1.3 * line_height):
            continue
        best = None
        for width in range(max(4, round(side * 0.85)), round(side * 1.15) + 1):
            left = x if from_left else x + w - width
            box = _box_at(ink, left, top, width, side, rules)
            if box is not None and (best is None or box.inside_ink < best.inside_ink):
                best = box
        if best is not None and not any(b.x0 == best.x0 for b in found):
            found.append(best)
    return found


def find_boxes(ink: np.ndarray, line_height: int, rules: np.ndarray | None = None) -> list[Box]:
    """Square boxes about as tall as a character, in reading order.
    ``rules``: what was painted out of ``ink`` (as ``ink``'s shape), if
    anything: the rules, and for a line outside the tables all of them."""
    if rules is not None:
        assert rules.shape == ink.shape, (rules.shape, ink.shape)
        rules = rules > 0
    count, labels, stats, _ = cv2.connectedComponentsWithStats((ink > 0).astype(np.uint8), connectivity=8)
    boxes = []
    for label in range(1, count):
        x, y, w, h = (int(v) for v in stats[label, :4])
        if h > 1.3 * line_height and w >= 0.4 * line_height:
            boxes.extend(_unstack(ink, labels[y:y + h, x:x + w] == label, x, y, line_height, rules))
            continue
        if not (0.4 * line_height <= h <= 1.3 * line_height):
            continue
        box = _grown_box(ink, rules, x, y, w, h, line_height) if rules is not None and w / h > 1.33 else None
        if box is None and 0.75 <= w / h <= 1.33:
            box = _box_at(ink, x, y, w, h, rules)
        if box is not None:
            boxes.append(box)
        elif w / h > 1.33:
            boxes.extend(_carve(ink, labels[y:y + h, x:x + w] == label, x, y, w, h, line_height, rules))
    return _reading_order(boxes, line_height)


def _grown_box(ink: np.ndarray, rules: np.ndarray, x: int, y: int, w: int, h: int, line_height: int) -> Box | None:
    """A blob wider than tall, grown up and down over a rule lying across
    it until square, as a box: a box whose top or bottom side went with the
    rule it was drawn on is as tall as it is wide. Grown by no more than a
    rule is thick (half a line); None if that makes no box."""
    def across(row: int) -> bool:
        return 0 <= row < rules.shape[0] and rules[row, x:x + w].mean() >= 0.5

    most = h + line_height // 2
    while h < min(w, most) and (across(y - 1) or across(y + h)):
        if across(y - 1):
            y, h = y - 1, h + 1
        if h < min(w, most) and across(y + h):
            h += 1
    if not (0.75 <= w / h <= 1.33 and h <= 1.3 * line_height):
        return None
    return _box_at(ink, x, y, w, h, rules)


def _reading_order(boxes: list[Box], line_height: int) -> list[Box]:
    """Line by line, left to right: a box starts a new line when it sits
    half a line below the line's first box (not at a fixed grid of rows,
    which splits one line whose boxes differ by a pixel)."""
    lines: list[list[Box]] = []
    for box in sorted(boxes, key=lambda b: b.y0):
        if lines and box.y0 - lines[-1][0].y0 < 0.5 * line_height:
            lines[-1].append(box)
        else:
            lines.append([box])
    return [box for line in lines for box in sorted(line, key=lambda b: b.x0)]


@dataclass(frozen=True)
class Bracket:
    """A pair of round brackets written after an option, "外贸（√）"."""

    x0: int  # the inside: between the two strokes
    x1: int
    y0: int
    y1: int
    inside_ink: float  # the tallest mark inside, as a share of the brackets' height

    @property
    def ticked(self) -> bool:
        return self.inside_ink >= 0.35

    @property
    def clear(self) -> bool:
        return self.inside_ink >= 0.5 or self.inside_ink <= 0.15


def _bracket_side(mask: np.ndarray) -> str | None:
    """"(" or ")" for a thin, tall blob bowed to one side, else None."""
    h = mask.shape[0]
    rows = [np.where(mask[y])[0] for y in range(h)]
    middle = [r.mean() for r in rows[h // 3: h - h // 3] if len(r)]
    ends = [r.mean() for r in rows[: max(1, h // 6)] + rows[h - max(1, h // 6):] if len(r)]
    if not middle or not ends:
        return None
    bow = float(np.mean(middle) - np.mean(ends))
    if abs(bow) < 0.12 * mask.shape[1] and abs(bow) < 1:
        return None
    return "(" if bow < 0 else ")"


def find_brackets(ink: np.ndarray, line_height: int) -> list[Bracket]:
    """Pairs of round brackets about as tall as a character, in reading
    order, with how much is written between them."""
    binary = (ink > 0).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    strokes = []
    for label in range(1, count):
        x, y, w, h = (int(v) for v in stats[label, :4])
        if not (0.5 * line_height <= h <= 1.3 * line_height) or w > 0.4 * h:
            continue
        side = _bracket_side(labels[y:y + h, x:x + w] == label)
        if side:
            strokes.append((y // max(1, line_height), x, y, w, h, side))
    strokes.sort()
    pairs = []
    for left, right in zip(strokes, strokes[1:]):
        if left[5] != "(" or right[5] != ")" or left[0] != right[0]:
            continue
        x0, x1 = left[1] + left[3], right[1]
        if x1 - x0 < 2 or x1 - x0 > 3 * line_height:
            continue
        y0, y1 = min(left[2], right[2]), max(left[2] + left[4], right[2] + right[4])
        inside = binary[y0:y1, x0 + 1:x1 - 1]
        found, _, inner, _ = cv2.connectedComponentsWithStats(inside, connectivity=8) if inside.size else (1, None, None, None)
        tallest = max((int(inner[n, cv2.CC_STAT_HEIGHT]) for n in range(1, found)), default=0)
        pairs.append(Bracket(x0, x1, y0, y1, tallest / max(1, y1 - y0)))
    return pairs
