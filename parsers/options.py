"""How ``parsers.parse`` reads a file: the knobs intake's config may turn.

    parse(filename, data, options=ParseOptions(engine="both", review_below=0.85))

``max_file_bytes`` caps every file, whatever its type. The rest only OCR
(scans, photos, image-only PDF pages) uses; a .docx or a text PDF reads the
same whatever they are, and nothing in it is flagged for being "unsure".
The OCR defaults are what ``parse`` did before options existed.

intake's config maps onto it one to one::

    parsing:
      ocr_engine: rapidocr      # rapidocr | tesseract | both
      review_below: 0.80        # OCR fields read less surely than this go to needs_review
      max_attachment_mb: 20     # max_file_bytes = max_attachment_mb MiB
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

ENGINE_NAMES = ("rapidocr", "tesseract", "both")
DEFAULT_REVIEW_BELOW = 0.80
DEFAULT_MAX_FILE_BYTES = 20 * 1024 * 1024
# Free text cannot be checked by a validator, so the OCR's own confidence
# must be higher before it is trusted (calibrated on the sample corpus:
# bench/parse_accuracy.py). Keys not listed use ``review_below``.
DEFAULT_FIELD_REVIEW_BELOW: Mapping[str, float] = {
    "name": 0.95, "employer": 0.90, "position": 0.90, "title": 0.90, "education": 0.90, "degree": 0.90,
    "ethnicity": 0.90, "political_status": 0.90, "address": 0.90, "specialty": 0.90, "experience": 0.90,
    "achievements": 0.90, "available_time": 0.90, "email": 0.90,
}


@dataclass(frozen=True)
class ParseOptions:
    """``engine``: OCR engine, "rapidocr" (default), "tesseract" or "both"
    (None: ``parsers.ocr.engines.DEFAULT_ENGINE``).

    ``review_below``: an OCR'd field read with less confidence than this goes
    to ``needs_review`` (0..1; 0 flags nothing for doubt, 1 flags every OCR'd
    field). ``field_review_below`` raises (never lowers) it per field key;
    by default the free-text fields, which no validator can check, need more.

    ``second_opinion``: with "rapidocr", cells whose least sure character is
    below ``parsers.ocr.engines.SURE_CHAR`` are read again by Tesseract
    (when installed); a doubtful character it does not confirm lowers the
    cell's confidence below the review threshold.

    ``max_file_bytes``: a file larger than this is not read at all
    (``TooLarge``); the one cap on an attachment's size (20 MiB by default).

    ``allow_unisolated_office``: convert .doc/.wps/.rtf/.odt with LibreOffice
    even where it cannot be confined to its own folder (no bubblewrap); off,
    such a file is refused with a status saying why.

    ``choices``: a campaign's own options for a choice field, in place of
    the form's (``{"county": the campaign's counties}``: another city's form
    lists that city's counties); empty: the form's own.
    """

    engine: str | None = None
    review_below: float = DEFAULT_REVIEW_BELOW
    field_review_below: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_FIELD_REVIEW_BELOW))
    second_opinion: bool = True
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    allow_unisolated_office: bool = False
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.engine is not None and self.engine not in ENGINE_NAMES:
            raise ValueError(f"unknown OCR engine {self.engine!r}; choose one of {', '.join(ENGINE_NAMES)}")
        if not 0.0 <= float(self.review_below) <= 1.0:
            raise ValueError(f"review_below must be between 0 and 1, not {self.review_below!r}")
        if int(self.max_file_bytes) <= 0:
            raise ValueError(f"max_file_bytes must be positive, not {self.max_file_bytes!r}")

    def threshold(self, key: str) -> float:
        """The confidence a field needs not to be flagged."""
        return max(self.review_below, self.field_review_below.get(key, 0.0)) if self.review_below > 0 else 0.0


DEFAULT_OPTIONS = ParseOptions()
