"""OCR engines behind one small interface.

    get_engine(name, **options) -> OcrEngine       "rapidocr" | "tesseract" | "both"
    engine_for(name, *, second_opinion=True) -> OcrEngine   checked installed (else UnsupportedFormat)
    ocr_available(name=DEFAULT_ENGINE) -> bool     whether that engine is installed
    engine.read_text(image)          -> list[OcrLine]   a page or region
    engine.read_cells([(image, hint), ...]) -> [(text, confidence), ...]

``hint`` is what the cell should hold: "digits" (ID, phone), "date",
"email" or "chinese" (anything else). It narrows what the engine may read
(Tesseract's whitelist) and how the text is corrected afterwards (O→0, l→1
in a number). Confidences are 0..1.

Two engines: RapidOCR (``rapid``: PP-OCR models shipped in the
``rapidocr_onnxruntime`` wheel, CPU, nothing fetched at run time; cells
with a doubtful character get a second opinion from Tesseract) and
Tesseract (``tesseract``: ``chi_sim+eng`` through pytesseract). "both"
(``both``) runs the two and lowers the confidence of every cell where they
disagree. RapidOCR reads names, and characters it doubted, again with
PP-OCRv6's recogniser (``wide_charset``: the weights in the ``rapidocr``
wheel), which knows the rare characters of names. ``base`` holds the
interface, ``crops`` the line-crop helpers, ``line_reading`` a line as a
recogniser read it and ``readings`` the clean-up and comparison of what was read.

Images are numpy arrays, uint8, grey (H, W) or BGR (H, W, 3), white
background.
"""
from __future__ import annotations

import importlib.util
import shutil

from parsers.errors import UnsupportedFormat
from parsers.ocr.engines.base import OcrEngine, OcrLine
from parsers.ocr.engines.both import BothEngine
from parsers.ocr.engines.crops import INK_LEVEL, as_bgr, as_grey, has_ink, text_lines, unread_ink
from parsers.ocr.engines.line_reading import LineReading
from parsers.ocr.engines.rapid import CONFIRMED, DOUBTED, SURE_CHAR, RapidEngine, confirmed_by, rapid_models
from parsers.ocr.engines.readings import EMAIL_IN_TEXT, correct, emails_in, join_words, normalise_email, same_email
from parsers.ocr.engines.tesseract import TesseractEngine

__all__ = ["get_engine", "engine_for", "ocr_available", "DEFAULT_ENGINE", "ENGINES", "NO_OCR",
           "OcrEngine", "OcrLine", "RapidEngine", "TesseractEngine", "BothEngine", "LineReading",
           "rapid_models", "confirmed_by", "SURE_CHAR", "CONFIRMED", "DOUBTED",
           "correct", "join_words", "normalise_email", "emails_in", "same_email", "EMAIL_IN_TEXT",
           "as_bgr", "as_grey", "has_ink", "text_lines", "unread_ink", "INK_LEVEL"]

DEFAULT_ENGINE = "rapidocr"
ENGINES = {"rapidocr": RapidEngine, "tesseract": TesseractEngine, "both": BothEngine}
NO_OCR = "服务器未安装文字识别组件，暂无法识别图片或扫描件，请人工处理。"


def ocr_available(engine: str = DEFAULT_ENGINE) -> bool:
    """Whether ``engine`` can run here: the RapidOCR wheel, the tesseract binary, or both."""
    rapid = importlib.util.find_spec("rapidocr_onnxruntime") is not None
    tesseract = shutil.which("tesseract") is not None
    return {"rapidocr": rapid, "tesseract": tesseract, "both": rapid and tesseract}.get(engine, False)


def get_engine(name: str, **options) -> OcrEngine:
    try:
        factory = ENGINES[name]
    except KeyError:
        raise ValueError(f"unknown OCR engine {name!r}; choose one of {', '.join(ENGINES)}") from None
    return factory(**options)


def engine_for(name: str | None, *, second_opinion: bool = True) -> OcrEngine:
    """The engine a parse reads with (None: ``DEFAULT_ENGINE``); RapidOCR gets
    Tesseract's second opinion when asked for and installed.
    ``UnsupportedFormat`` when the engine is not installed."""
    name = name or DEFAULT_ENGINE
    if not ocr_available(name):
        raise UnsupportedFormat(NO_OCR)
    if name == "rapidocr":
        return get_engine(name, second_opinion=second_opinion and ocr_available("tesseract"))
    return get_engine(name)
