"""Line crops of a page: grey or BGR, where the lines of text are, ink left unread.

Images are numpy arrays, uint8, grey (H, W) or BGR (H, W, 3), white background.
"""
from __future__ import annotations

import cv2
import numpy as np

from parsers.text.label_text import is_han

INK_LEVEL = 160  # grey level below which a pixel of a (flattened) page is ink
SPECK_PIXELS = 12  # ink pixels a crop may hold and still be empty (dust, a speck)
# A blank between two characters wider than this many text heights is a
# gap the writer left ("学历及学位　大专", "1977年7月25日　43岁"), which the
# recogniser drops; a full-width comma or bracket leaves under 0.9 of its box
# blank, and characters of one word far less.
WRITTEN_GAP = 1.0
# Between two letters or digits of an e-mail address before its @, a blank
# wider than this many text heights held a character the recogniser left
# out: an underscore lying on the cell's rule, painted out with it.
ADDRESS_GAP = 0.5
INFERRED_UNDERSCORE = 0.5  # the probability the underscore put there carries: the address is doubted
# A run of inked rows taller than this many text heights is lines held
# together by what spans them (the sides of tick boxes stacked in a list);
# it is cut at rows with less than VALLEY of its usual ink.
TOUCHING_LINES = 1.6
VALLEY = 0.15
SMALLEST_CHARACTER = 8  # px: shorter ink is a dot or a stroke, no measure of the text's height


def as_bgr(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return np.repeat(image[:, :, None], 3, axis=2)
    return image


def as_grey(image: np.ndarray) -> np.ndarray:
    if image.ndim == 3:
        return image.mean(axis=2).astype(np.uint8)
    return image


def text_lines(grey: np.ndarray, ink_level: int = INK_LEVEL) -> list[tuple[int, int]]:
    """(top, bottom) of each line of text in a crop, by row projection."""
    ink_rows = (grey < ink_level).sum(axis=1)
    threshold = max(1, int(grey.shape[1] * 0.002))
    runs, start = [], None
    for y, count in enumerate(ink_rows):
        if count >= threshold and start is None:
            start = y
        elif count < threshold and start is not None:
            runs.append([start, y])
            start = None
    if start is not None:
        runs.append([start, len(ink_rows)])
    if not runs:
        return []
    tallest = max(bottom - top for top, bottom in runs)
    # Thin runs (the dot of an "i", a stroke of "二" on a short line) join
    # the nearer neighbour rather than becoming lines of their own.
    merged = True
    while merged and len(runs) > 1:
        merged = False
        for number, (top, bottom) in enumerate(runs):
            if bottom - top >= 0.45 * tallest:
                continue
            if number == 0:
                other = 1
            elif number == len(runs) - 1:
                other = number - 1
            else:
                other = number - 1 if top - runs[number - 1][1] <= runs[number + 1][0] - bottom else number + 1
            gap = runs[other][0] - bottom if other > number else top - runs[other][1]
            if gap > 0.6 * tallest:
                continue
            low, high = sorted((number, other))
            runs[low] = [min(runs[low][0], runs[high][0]), max(runs[low][1], runs[high][1])]
            del runs[high]
            merged = True
            break
    runs = [(top, bottom) for top, bottom in runs if bottom - top >= 4]
    return _cut_touching(grey < ink_level, ink_rows, runs)


def _cut_touching(ink: np.ndarray, ink_rows: np.ndarray, runs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Runs taller than a line cut into the lines they hold."""
    if not runs or max(bottom - top for top, bottom in runs) < 2 * SMALLEST_CHARACTER:
        return runs
    height = text_height(ink)
    out = []
    for top, bottom in runs:
        if bottom - top <= TOUCHING_LINES * height:
            out.append((top, bottom))
            continue
        pieces = cut_at_valleys(ink_rows[top:bottom], top, 0.3 * height)
        if len(pieces) < 2:
            out.append((top, bottom))
            continue
        # A line reaches down to its valley's emptiest row: its descenders
        # (the hook of a j) hang into the valley.
        ends = [upper_end + int(np.argmin(ink_rows[upper_end:lower_start]))
                for (_, upper_end), (lower_start, _) in zip(pieces, pieces[1:])]
        out.extend((start, end) for (start, _), end in zip(pieces, [*ends, pieces[-1][1]]))
    return out


def cut_at_valleys(profile: np.ndarray, offset: int, shortest: float) -> list[tuple[int, int]]:
    """(start, end) of the stretches of a row profile between its valleys
    (rows with less than ``VALLEY`` of its usual ink), ``offset`` added,
    each at least ``shortest`` rows long."""
    between = profile <= VALLEY * np.percentile(profile, 75)
    pieces, start = [], None
    for y, empty in enumerate(between):
        if not empty and start is None:
            start = y
        elif empty and start is not None:
            pieces.append((offset + start, offset + y))
            start = None
    if start is not None:
        pieces.append((offset + start, offset + len(profile)))
    return [(a, b) for a, b in pieces if b - a >= shortest]


def text_height(ink: np.ndarray, tallest: int | None = None, default: int | None = None) -> int:
    """The height of the characters in ``ink`` (a crop's, or a page's without
    its rules), from its connected components (a character's strokes, a box):
    the 90th percentile of those from SMALLEST_CHARACTER to ``tallest`` px;
    ``default`` (else the crop's height) when there are none."""
    _count, _labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    heights = stats[1:, cv2.CC_STAT_HEIGHT]
    heights = heights[(heights >= SMALLEST_CHARACTER) & (heights <= (tallest or ink.shape[0]))]
    return int(np.percentile(heights, 90)) if len(heights) else (default or ink.shape[0])


def unread_ink(line: np.ndarray, centres: list[float] | None) -> bool:
    """Whether a line crop has a mark no character was read at: a trailing
    "。" or a character the recogniser dropped (it does so with full
    confidence). ``centres`` are in the crop's pixels."""
    if centres is None or line.size == 0:
        return False
    dark = line < INK_LEVEL
    rows = np.where(dark.any(axis=1))[0]
    if not len(rows):
        return False
    height = int(rows[-1] - rows[0] + 1)  # the text's, not the crop's padding
    columns = dark.sum(axis=0) >= 2
    reach = 0.6 * height
    x, width = 0, len(columns)
    while x < width:
        if not columns[x]:
            x += 1
            continue
        start = x
        while x < width and columns[x]:
            x += 1
        # A blob at least a fifth of a character wide (a "。" is a third).
        if x - start >= max(3, height // 5) and not any(
                start - reach <= c <= x + reach for c in centres):
            return True
    return False


def with_written_gaps(line: np.ndarray, text: str, chars: list[float],
                      centres: list[float] | None) -> tuple[str, list[float]]:
    """A line crop's reading (its text, each character's probability and
    middle in the crop's pixels) with the gaps the writer left as spaces:
    one before each character that follows a blank wider than
    ``WRITTEN_GAP`` text heights, where the recogniser read none (between
    the letters of an e-mail's name, a blank wider than ``ADDRESS_GAP`` is
    an underscore, put back as a guess); and none
    where it read one between a Chinese character and an opening bracket
    ("证件号码 (身份证）"), the bracket's own blank (its stroke is set at
    the right of its box), unless the blank is that wide."""
    if centres is None or len(centres) != len(text) or len(chars) != len(text) or line.size == 0:
        return text, chars
    keep = [n for n in range(len(text)) if not (
        0 < n < len(text) - 1 and text[n] == " " and is_han(text[n - 1]) and text[n + 1] in "(（")]
    text, chars, centres = "".join(text[n] for n in keep), [chars[n] for n in keep], [centres[n] for n in keep]
    dark = as_grey(line) < INK_LEVEL
    rows = np.where(dark.any(axis=1))[0]
    if not len(rows):
        return text, chars
    height = int(rows[-1] - rows[0] + 1)
    blank = dark.sum(axis=0) < 2  # a pixel of dust does not fill a gap
    spaced, probabilities = text[:1], chars[:1]
    at = text.find("@")
    for number in range(1, len(text)):
        stretch = blank[max(0, int(centres[number - 1])):max(0, int(centres[number]))]
        in_address = number < at and text[number - 1].isascii() and text[number - 1].isalnum() and (
            text[number].isascii() and text[number].isalnum())
        blank_run = longest_run(stretch)
        written = blank_run > WRITTEN_GAP * height
        if not (text[number].isspace() or text[number - 1].isspace()) and (
                written or (in_address and blank_run > ADDRESS_GAP * height)):
            # A gap the writer left is sure; an underscore inferred from a narrower one is a guess.
            gap, probability = (" ", 1.0) if written else ("_", INFERRED_UNDERSCORE)
            spaced, probabilities = spaced + gap, [*probabilities, probability]
        spaced, probabilities = spaced + text[number], [*probabilities, chars[number]]
    return spaced, probabilities


def longest_run(flags: np.ndarray) -> int:
    """The length of the longest run of true values in a 1-D array."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], np.asarray(flags, dtype=np.int8), [0]))))
    return int((edges[1::2] - edges[::2]).max()) if len(edges) else 0


def has_ink(image: np.ndarray) -> bool:
    return int((as_grey(image) < INK_LEVEL).sum()) > SPECK_PIXELS


def line_crops(grey: np.ndarray, pad: int) -> list[tuple[np.ndarray, bool]]:
    """A cell's lines, each cropped to its ink (all its rows kept) and
    padded, with whether it is a full line: a sliver of one (a full stop
    wrapped onto its own line) is read, but does not decide how sure the
    cell is."""
    lines = text_lines(grey)
    tallest = max((bottom - top for top, bottom in lines), default=0)
    crops = []
    for top, bottom in lines:
        line = grey[top:bottom]
        cols = np.where((line < INK_LEVEL).any(axis=0))[0]
        if len(cols):
            line = line[:, max(0, cols[0] - 2): cols[-1] + 3]
            crops.append((np.pad(line, pad, constant_values=255), bottom - top >= 0.5 * tallest))
    return crops
