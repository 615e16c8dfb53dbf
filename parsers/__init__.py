"""Application forms out of attachment bytes.

    parse(filename, data, *, options=None, kind=None) -> list[FormResult]

Pure: bytes in, results out. The file type is sniffed from magic bytes
(extension second) and dispatched to a reader; each reader turns the file
into rows of text cells and shares one step from rows to FormResult.
Only ``parsers.errors.ParseError`` subclasses leave this package.
``options`` (``parsers.options.ParseOptions``) cap the file's size and
choose the OCR engine and how sure an OCR'd value must be; None: the
defaults.

    county_for_id(id_number) -> str | None   the Zhanjiang county an ID was
                                             issued in: a second opinion on the
                                             form's county, never an error alone
"""
from __future__ import annotations

from typing import Callable

from parsers.errors import CorruptFile, ParseError, TooLarge, UnsupportedFormat
from parsers.options import DEFAULT_OPTIONS, ParseOptions
from parsers.readers.sniff import sniff_kind
from parsers.results import FormResult
from parsers.text.checks import county_for_id

__all__ = ["parse", "preload", "warm_up", "OFFICE_KINDS", "refused_unread", "sniff_kind", "county_for_id", "FormResult", "ParseOptions", "READERS"]

# The readers are imported when first used, not here: ``import parsers`` is
# what the web app and the config need (for the schema), and must not load
# pdfplumber, python-docx, OpenCV and the OCR engines. A worker that forks
# parse children calls ``preload()`` once instead, so they start warm.


def _read_docx(data: bytes, options: ParseOptions | None = None) -> list[FormResult]:
    from parsers.readers.docx import read_docx

    return read_docx(data, options)


def _read_pdf(data: bytes, options: ParseOptions | None = None) -> list[FormResult]:
    from parsers.readers.pdf import read_pdf

    return read_pdf(data, options=options)


def _read_image(data: bytes, options: ParseOptions | None = None) -> list[FormResult]:
    from parsers.ocr import read_image

    return read_image(data, options=options)


def _office_reader(kind: str) -> Callable[[bytes], list[FormResult]]:
    def read(data: bytes, options: ParseOptions | None = None) -> list[FormResult]:
        from parsers.readers.office import read_office

        return read_office(kind, data, allow_unisolated=(options or DEFAULT_OPTIONS).allow_unisolated_office,
                           options=options)

    read.__name__ = f"_read_{kind}"
    return read


# reader(data, options=None): only the OCR readers (image, scanned PDF pages) use the options.
READERS: dict[str, Callable[..., list[FormResult]]] = {
    "docx": _read_docx,
    "pdf": _read_pdf,
    "image": _read_image,  # OCR (parsers/ocr), pages decoded by parsers/ocr/page_images.py
    # LibreOffice converts these to .docx (parsers/readers/office.py).
    **{kind: _office_reader(kind) for kind in ("doc", "wps", "rtf", "odt")},
}

# Kinds read by the office readers alone: never OCR'd, no PDF or image library needed.
OFFICE_KINDS = frozenset({"docx", "doc", "wps", "rtf", "odt"})

# Kinds with no reader; a .zip is expanded by intake before parsing, so one here was nested.
UNSUPPORTED_MESSAGES = {
    "zip": "暂不支持压缩包，请申请人直接发送 .docx 或 PDF 格式的报名表。",
    "other": "无法识别的文件类型，请申请人发送 .docx 或 PDF 格式的报名表。",
}


def refused_unread(data: bytes, options: ParseOptions | None = None) -> ParseError | None:
    """Why ``parse`` refuses a file without reading any of it (empty, over the size cap), or None.

    A caller that hands files to child processes asks first: a refused file
    needs no child, and its status never depends on how soon one starts."""
    if not data:
        return CorruptFile("文件为空（0 字节），请申请人重新发送。")
    limit = (options or DEFAULT_OPTIONS).max_file_bytes
    if len(data) > limit:
        return TooLarge(f"附件超过 {round(limit / (1024 * 1024), 2):g} MB 上限，请人工查看原件。")
    return None


def parse(filename: str, data: bytes, *, options: ParseOptions | None = None,
          kind: str | None = None) -> list[FormResult]:
    """Every application form in the file; [] for a readable non-form.

    ``options``: size cap, OCR engine and review threshold (``ParseOptions``);
    None keeps the defaults (20 MiB, RapidOCR, ``review_below`` 0.80). A file
    over ``options.max_file_bytes`` raises ``TooLarge`` before anything reads it.

    ``kind``: what ``sniff_kind(filename, data)`` said of the file, when the
    caller has already sniffed it (intake's worker does, to tell documents
    from other attachments); parse then trusts it and does not sniff again.
    None: parse sniffs (the CLI). A kind with no reader raises
    ``UnsupportedFormat``."""
    refusal = refused_unread(data, options)
    if refusal is not None:
        raise refusal
    if kind is None:
        kind = sniff_kind(filename, data)
    reader = READERS.get(kind)
    if reader is None:
        raise UnsupportedFormat(UNSUPPORTED_MESSAGES.get(kind, UNSUPPORTED_MESSAGES["other"]))
    try:
        return reader(data, options=options)
    except ParseError:
        raise
    except RecursionError as exc:
        raise CorruptFile("文件结构嵌套过深，无法读取，疑似异常文件。") from exc
    except MemoryError as exc:
        raise TooLarge("读取该文件所需内存超过上限（可能是压缩炸弹或超大图片），请人工查看原件。") from exc
    except Exception as exc:  # noqa: BLE001 - the contract: no library error escapes
        raise CorruptFile(f"文件无法读取（{type(exc).__name__}），请申请人重新发送或人工处理。") from exc


def preload(*, office_only: bool = False) -> None:
    """Import every reader now, so forked parse children start warm (milliseconds, not 0.4 s);
    ``office_only``: the readers of ``OFFICE_KINDS`` only (no PDF or image library)."""
    import parsers.readers.docx  # noqa: F401
    import parsers.readers.office  # noqa: F401
    if not office_only:
        import parsers.ocr  # noqa: F401  (page images, page reading, engines)
        import parsers.readers.pdf  # noqa: F401


def warm_up() -> None:
    """Read one form built from the schema, so children forked afterwards
    inherit what a parse builds on the way (see ``parsers.warming``)."""
    from parsers.warming import warm_up as read_sample_form

    read_sample_form()
