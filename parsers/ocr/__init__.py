"""Reading scanned and photographed forms (OCR).

    read_image(data, engine=None, review_below=REVIEW_BELOW, *, options=None) -> list[FormResult]
    read_pages(pages, engine=None, first_starts_page=False, *, options=None) -> list[TextRow]
    read_pages_apart(pages, engine=None, *, options=None, page_numbers=None) -> list[list[TextRow]]   rows per page

``options`` is a ``parsers.options.ParseOptions`` (engine, review_below,
per-field thresholds, second opinion); the older ``engine`` and
``review_below`` arguments are used when no options are given.

``read_image`` is the "image" reader: ``parsers.ocr.page_images.load_pages`` decodes
the file into upright grey pages, every page becomes rows of text cells
(``page.read_page``: table grid → cells → OCR, tick boxes from the ink) and
the shared ``rows_to_results`` turns them into forms. ``parsers.readers.pdf``
decides which of a PDF's pages have no text of their own, has
``page_images.render_pdf_pages`` render them and calls ``read_pages_apart``.
A photo whose cut-out sheet held no form is read again whole: the outline
found may have been a table's or a shadow's, not the sheet's.

Every cell carries the OCR engine's confidence; a field below
``REVIEW_BELOW`` (or its own, higher, threshold for free text, see
``parsers.options``) goes to ``needs_review``, and a box with ink that
could not be read (handwriting) leaves the field missing and flagged
rather than filled with a guess.

Engines (``parsers.ocr.engines``): "rapidocr" (default: PP-OCRv4 models
shipped in the wheel; cells with a doubtful character get a second opinion
from Tesseract when it is installed), "tesseract" (chi_sim+eng) or "both"
(disagreement lowers confidence).
Pages are read one after another, in one Python thread: splitting a page's
cells or a file's pages over threads was measured slower (the Python
between the model calls holds the GIL). The OCR models run on the CPUs the
process is given (``engines.rapid_models``): every core for a file parsed
alone, one each when intake parses several files at once, each in a child
pinned to a core (``parsers.sandbox.map_isolated``).
"""
from __future__ import annotations

import dataclasses

from parsers.ocr import page_images
from parsers.ocr.engines import DEFAULT_ENGINE, NO_OCR, engine_for, ocr_available
from parsers.ocr.page import read_page
from parsers.options import DEFAULT_REVIEW_BELOW, ENGINE_NAMES, ParseOptions
from parsers.results import FormResult
from parsers.text.assemble import rows_to_results
from parsers.text.rows import TextRow

__all__ = ["read_image", "read_pages", "read_pages_apart", "DEFAULT_ENGINE", "REVIEW_BELOW", "ENGINE_NAMES",
           "NO_OCR", "ocr_available", "ocr_options", "method_name"]

REVIEW_BELOW = DEFAULT_REVIEW_BELOW  # 0.80: fields read with less confidence go to needs_review


def ocr_options(options: ParseOptions | None = None, engine: str | None = None,
                review_below: float | None = None) -> ParseOptions:
    """The options an OCR read uses: ``options`` as given, else one made of
    the older arguments, the engine defaulting to ``DEFAULT_ENGINE``."""
    if options is None:
        options = ParseOptions(engine=engine) if review_below is None else ParseOptions(engine=engine, review_below=review_below)
    if options.engine is None:
        options = dataclasses.replace(options, engine=DEFAULT_ENGINE)
    return options


def read_pages(pages, engine: str | None = None, first_starts_page: bool = False, *,
               options: ParseOptions | None = None) -> list[TextRow]:
    """Rows of text cells of page images (PIL images or numpy arrays)."""
    per_page = read_pages_apart(pages, engine, options=options)
    if per_page and per_page[0] and not first_starts_page:
        per_page[0][0] = dataclasses.replace(per_page[0][0], starts_page=False)
    return [row for rows in per_page for row in rows]


def read_pages_apart(pages, engine: str | None = None, *, options: ParseOptions | None = None,
                     page_numbers: list[int] | None = None) -> list[list[TextRow]]:
    """Rows of each page; each page's first row is marked as starting a page.
    ``page_numbers``: each page's number in its file, 1-based (default 1, 2, …)."""
    if not pages:
        return []
    options = ocr_options(options, engine)
    reader = engine_for(options.engine, second_opinion=options.second_opinion)
    numbers = page_numbers or range(1, len(pages) + 1)
    return [read_page(page, reader, starts_page=True, page_number=number) for page, number in zip(pages, numbers)]


def method_name(engine: str | None) -> str:
    return f"ocr-{engine or DEFAULT_ENGINE}"


def read_image(data: bytes, engine: str | None = None, review_below: float = REVIEW_BELOW, *,
               options: ParseOptions | None = None) -> list[FormResult]:
    """Forms in a photo or scan (JPEG, PNG, multi-page TIFF, HEIC, …)."""
    options = ocr_options(options, engine, review_below)
    pages = page_images.load_pages(data)
    results = _forms_on(pages, options)
    if not results and any(page_images.placement_of(page).cut_from_photo for page in pages):
        results = _forms_on(page_images.load_pages(data, perspective=False), options)
    return results


def _forms_on(pages, options: ParseOptions) -> list[FormResult]:
    rows = read_pages(pages, options=options)
    return rows_to_results(rows, method=method_name(options.engine), review_below=options.review_below,
                           options=options)
