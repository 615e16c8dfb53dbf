"""Both engines: RapidOCR's reading, trusted only as far as Tesseract agrees."""
from __future__ import annotations

import re

from parsers.ocr.engines.base import OcrEngine
from parsers.ocr.engines.rapid import RapidEngine
from parsers.ocr.engines.tesseract import TesseractEngine


def _comparable(text: str) -> str:
    return re.sub(r"[\s:：,，.。()（）\-]", "", text).lower()


class BothEngine(OcrEngine):
    """RapidOCR's reading, trusted only as far as Tesseract agrees with it."""

    name = "both"
    rereads_with_hints = True
    DISAGREEMENT_FACTOR = 0.6

    def __init__(self, primary: OcrEngine | None = None, second: OcrEngine | None = None) -> None:
        self.primary = primary or RapidEngine()  # no second opinion of its own: this is one
        self.second = second or TesseractEngine()

    def read_text(self, image):
        return self.primary.read_text(image)

    def read_cells(self, items):
        first = self.primary.read_cells(items)
        second = self.second.read_cells(items)
        out = []
        for (text_a, conf_a), (text_b, conf_b) in zip(first, second):
            if _comparable(text_a) == _comparable(text_b):
                out.append((text_a, max(conf_a, conf_b)))
            else:
                out.append((text_a, min(conf_a, conf_b, conf_a * self.DISAGREEMENT_FACTOR)))
        return out
