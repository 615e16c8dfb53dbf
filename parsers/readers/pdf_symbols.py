"""Symbol-font tick boxes in a PDF's text layer, read as the marks they show.

    decode_symbol_glyphs(page)     in place, before words and tables take the text

A box typed in Wingdings comes out of the text layer as a private-use or
Latin character in a font named Wingdings: ``symbol_fonts`` reads it.

A PDF printed where Wingdings is not installed keeps the private-use codes
(U+F052, U+F0A3) but in the fonts that stood in (OpenSymbol, DejaVu Sans).
Two things are then needed to read them:

* the code each glyph really stands for. A stand-in font that has no
  picture for either code draws both with one glyph, and its ToUnicode map
  can give that glyph only one code: LibreOffice then writes the code of
  each use in a marked-content ``/ActualText``, which pdfminer does not
  apply to the characters. Here it is, wherever a span's text has one
  character per glyph.
* which symbol font the codes were typed in. A private-use code U+F0xx is a
  symbol-font code whatever font carries it; the codes on one line are read
  with ``symbol_fonts.box_font_of``: when each is a tick box in exactly one
  of Wingdings and Wingdings 2. Otherwise they stay private-use characters,
  marks ``parsers.text.ticked_options`` cannot read, and the field goes to
  review.
"""
from __future__ import annotations

from pdfminer.converter import PDFPageAggregator
from pdfminer.pdfinterp import PDFPageInterpreter
from pdfminer.utils import decode_text

from parsers.readers.symbol_fonts import box_font_of, is_symbol_code, symbol_font, symbol_mark

__all__ = ["decode_symbol_glyphs"]

LINE_SLACK_POINTS = 2.0  # characters whose tops differ by less are on one line


class _ActualTextRecorder(PDFPageAggregator):
    """Interprets a page and records, per glyph drawn inside a marked-content
    span with ``/ActualText``, that text: {(font name, matrix): text}."""

    def __init__(self, rsrcmgr, pageno: int) -> None:
        super().__init__(rsrcmgr, pageno=pageno, laparams=None)
        self.spans: list[tuple[str | None, list]] = []  # open spans: (actual text, glyphs drawn)
        self.actual: dict[tuple[str, tuple], str] = {}

    def begin_tag(self, tag, props=None) -> None:
        text = props.get("ActualText") if isinstance(props, dict) else None
        if isinstance(text, (bytes, str)):
            text = decode_text(text) if isinstance(text, bytes) else text
        else:
            text = None
        self.spans.append((text, []))

    def end_tag(self) -> None:
        if not self.spans:
            return
        text, glyphs = self.spans.pop()
        if text is not None and len(glyphs) == len(text):
            for glyph, ch in zip(glyphs, text):
                self.actual[(glyph.fontname, tuple(glyph.matrix))] = ch

    def render_char(self, *args, **kwargs) -> float:
        advance = super().render_char(*args, **kwargs)
        if self.spans and self.cur_item._objs:
            self.spans[-1][1].append(self.cur_item._objs[-1])
        return advance


def _apply_actual_text(page, chars: list[dict]) -> None:
    recorder = _ActualTextRecorder(page.pdf.rsrcmgr, page.page_number)
    PDFPageInterpreter(page.pdf.rsrcmgr, recorder).process_page(page.page_obj)
    for char in chars:
        actual = recorder.actual.get((char.get("fontname"), tuple(char.get("matrix") or ())))
        if actual is not None:
            char["text"] = actual


def _lines(chars: list[dict]) -> list[list[dict]]:
    lines: list[list[dict]] = []
    for char in sorted(chars, key=lambda char: char["top"]):
        if lines and char["top"] - lines[-1][0]["top"] < LINE_SLACK_POINTS:
            lines[-1].append(char)
        else:
            lines.append([char])
    return lines


def decode_symbol_glyphs(page) -> None:
    """Every tick box typed in a symbol font, on a pdfplumber page, as the
    mark it shows (see the module's docstring)."""
    stand_ins = []
    for char in page.chars:
        family = symbol_font(char.get("fontname"))
        if family is not None:
            char["text"] = "".join(symbol_mark(family, ch) for ch in char["text"])
        elif any(is_symbol_code(ch) for ch in char["text"]):
            stand_ins.append(char)
    if not stand_ins:
        return
    _apply_actual_text(page, stand_ins)
    for line in _lines(stand_ins):
        family = box_font_of({ch for char in line for ch in char["text"] if is_symbol_code(ch)})
        if family is None:
            continue
        for char in line:
            char["text"] = "".join(symbol_mark(family, ch) if is_symbol_code(ch) else ch for ch in char["text"])
