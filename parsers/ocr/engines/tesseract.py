"""Tesseract 5 (``chi_sim+eng``) through pytesseract."""
from __future__ import annotations

import os

import numpy as np
import pytesseract
from PIL import Image

from parsers.ocr.engines.base import OcrEngine, OcrLine
from parsers.ocr.engines.crops import INK_LEVEL, as_grey, has_ink
from parsers.ocr.engines.readings import correct, join_words

# Tesseract's OpenMP threads oversubscribe a small machine badly (about 3×
# slower on 2 cores); intake parallelises across files instead.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")


class TesseractEngine(OcrEngine):
    """Tesseract 5 through pytesseract; cells go as one montage per hint.

    Starting Tesseract and loading chi_sim costs ~0.2 s, so cells are not
    read one call each: the crops are stacked into one tall image, read
    with --psm 6, and every word goes back to the crop it lies in.
    """

    name = "tesseract"
    rereads_with_hints = True
    GAP = 40
    EMAIL_CHARACTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@._-+"
    # (lang, config) per group of cells: a number or an address is read
    # with only the characters it may hold.
    GROUPS = {"digits": ("eng", "--psm 6 -c tessedit_char_whitelist=0123456789Xx-()+"),
              "email": ("eng", f"--psm 6 -c tessedit_char_whitelist={EMAIL_CHARACTERS}"),
              "text": ("chi_sim+eng", "--psm 6")}

    def __init__(self, timeout: float = 60) -> None:
        self.timeout = timeout

    def _data(self, image: np.ndarray, lang: str, config: str) -> dict:
        picture = Image.fromarray(as_grey(image))
        # pytesseract hands the image over as a file, PNG unless told: a
        # page-sized PNG takes a quarter of a second to compress, a BMP none.
        picture.format = "BMP"
        return pytesseract.image_to_data(
            picture, lang=lang, config=config,
            output_type=pytesseract.Output.DICT, timeout=self.timeout,
        )

    def read_text(self, image: np.ndarray) -> list[OcrLine]:
        data = self._data(image, "chi_sim+eng", "--psm 3")
        lines: dict[tuple, list[int]] = {}
        for i, word in enumerate(data["text"]):
            if word.strip() and float(data["conf"][i]) >= 0:
                key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
                lines.setdefault(key, []).append(i)
        out = []
        for indices in lines.values():
            x0 = min(data["left"][i] for i in indices)
            y0 = min(data["top"][i] for i in indices)
            x1 = max(data["left"][i] + data["width"][i] for i in indices)
            y1 = max(data["top"][i] + data["height"][i] for i in indices)
            text = join_words(data["text"][i] for i in sorted(indices, key=lambda i: data["left"][i]))
            conf = min(float(data["conf"][i]) for i in indices) / 100
            out.append(OcrLine(text, (x0, y0, x1, y1), conf))
        return out

    def read_cells(self, items):
        out: list[tuple[str, float] | None] = [None] * len(items)
        groups: dict[str, list[int]] = {}
        for number, (image, hint) in enumerate(items):
            if not has_ink(image):
                out[number] = ("", 1.0)
            else:
                groups.setdefault(hint if hint in ("digits", "email") else "text", []).append(number)
        for group, numbers in groups.items():
            lang, config = self.GROUPS[group]
            for number, (text, conf) in zip(numbers, self._montage([items[n][0] for n in numbers], lang, config)):
                out[number] = (correct(text, items[number][1]), conf)
        return [reading or ("", 0.0) for reading in out]

    def _montage(self, images: list[np.ndarray], lang: str, config: str) -> list[tuple[str, float]]:
        greys = [_trim(as_grey(img)) for img in images]
        width = max(g.shape[1] for g in greys) + 2 * self.GAP
        spans, parts, y = [], [], self.GAP
        for grey in greys:
            spans.append((y, y + grey.shape[0]))
            part = np.full((grey.shape[0] + self.GAP, width), 255, np.uint8)
            part[:grey.shape[0], self.GAP:self.GAP + grey.shape[1]] = grey
            parts.append(part)
            y += part.shape[0]
        sheet = np.vstack([np.full((self.GAP, width), 255, np.uint8), *parts])
        data = self._data(sheet, lang, config)
        # Each word goes to the crop its middle lies in; within a crop, words
        # keep Tesseract's line grouping (psm 6 may run a "line" across crops).
        lines: dict[tuple, list[int]] = {}
        for i, word in enumerate(data["text"]):
            if not word.strip() or float(data["conf"][i]) < 0:
                continue
            middle = data["top"][i] + data["height"][i] / 2
            owner = next((n for n, (a, b) in enumerate(spans) if a - self.GAP / 2 <= middle < b + self.GAP / 2), None)
            if owner is not None:
                lines.setdefault((owner, data["block_num"][i], data["par_num"][i], data["line_num"][i]), []).append(i)
        found: list[list[tuple[int, str, float]]] = [[] for _ in images]
        for (owner, *_), indices in lines.items():
            ordered = sorted(indices, key=lambda i: data["left"][i])
            text = join_words(data["text"][i] for i in ordered)
            conf = sum(float(data["conf"][i]) for i in ordered) / len(ordered) / 100
            found[owner].append((min(data["top"][i] for i in indices), text, conf))
        out = []
        for readings in found:
            if not readings:
                out.append(("", 0.0))
                continue
            readings.sort()
            out.append(("\n".join(t for _, t, _ in readings), min(c for _, _, c in readings)))
        return out


def _trim(grey: np.ndarray) -> np.ndarray:
    ys, xs = np.where(grey < INK_LEVEL)
    if not len(ys):
        return grey[:8, :8]
    return grey[max(0, ys.min() - 2): ys.max() + 3, max(0, xs.min() - 2): xs.max() + 3]
