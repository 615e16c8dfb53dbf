"""A line crop as a PP-OCR recogniser reads it: the text, each character's
probability, and where each character lies (the recogniser's time steps)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from parsers.ocr.engines.crops import as_bgr


@dataclass(frozen=True)
class LineReading:
    """One line crop as the recogniser read it."""

    text: str
    score: float
    chars: list[float]  # each character's probability
    centres: list[float] | None = None  # each character's middle, in the crop's pixels (None: unknown)


def recognise_lines(recogniser, line_images: list[np.ndarray]) -> list[LineReading]:
    """``recogniser`` (a PP-OCR rec model) on single-line crops, each
    character with its probability and where it lies."""
    if not line_images:
        return []
    images = [as_bgr(img) for img in line_images]
    try:
        found, _ = recogniser(images, True)
    except Exception:  # noqa: BLE001 - no per-character detail: the line score stands for each
        plain, _ = recogniser(images)
        found = [(text, score, None) for text, score in plain]
    results = []
    for image, (text, score, *detail) in zip(images, found):
        info = detail[0] if detail and detail[0] and len(detail[0]) > 4 else None
        chars = [float(c) for c in info[4]] if info else []
        if len(chars) != len(text):
            chars = [float(score)] * len(text)
        results.append(LineReading(text, float(score), chars, _char_centres(info, image.shape[1], text)))
    return results


def _char_centres(info, width: int, text: str) -> list[float] | None:
    """Where RapidOCR put each character: its CTC time step scaled to the
    crop's width (the word-box detail of ``text_rec``)."""
    try:
        steps = float(info[0])
        columns = [int(c) for word in info[2] for c in word]
    except (TypeError, ValueError, IndexError):
        return None
    if steps <= 0 or len(columns) != len(text):
        return None
    return [(c + 0.5) * width / steps for c in columns]
