"""What every OCR engine offers (``parsers.ocr.engines``).

    engine.read_text(image)                 -> list[OcrLine]   a page or region
    engine.read_cells([(image, hint), ...]) -> [(text, confidence), ...]

Its own module so that each engine's module can subclass it without
importing the package that gathers them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np


@dataclass(frozen=True)
class OcrLine:
    text: str
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in the image's pixels
    confidence: float


class OcrEngine:
    """The interface: every engine subclasses it and overrides both readers."""

    name = "engine"
    # True when reading a cell again with its hint (a digit whitelist) can
    # give a different answer; otherwise the hint only corrects the text.
    rereads_with_hints = False

    def read_text(self, image: np.ndarray) -> list[OcrLine]:
        raise NotImplementedError

    def read_cells(self, items: Sequence[tuple[np.ndarray, str]]) -> list[tuple[str, float]]:
        raise NotImplementedError
