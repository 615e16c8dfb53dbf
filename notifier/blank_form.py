"""The blank 《湛江市中小企业志愿服务专家报名表》 (.docx) attached to replies that ask for a form.

Built with python-docx from ``parsers/form_schema.yaml`` — the same labels,
in the same order, with the same tick-box options the parser reads — rather
than shipped as a stored .docx: a stored file is a binary nobody reviews in a
diff, and it would silently drift from the schema when a label or an option
changes. Built once per process; the bytes do not depend on the clock.
"""
from __future__ import annotations

import functools
import io
from datetime import datetime, timezone

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from parsers.schema import FieldSpec, load_schema

FORM_TITLE = "湛江市中小企业志愿服务专家报名表"
BLANK_FORM_FILENAME = f"{FORM_TITLE}.docx"
BLANK_FORM_MIME = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")
DECLARATION = "本人承诺以上信息真实有效，自愿参加湛江市中小企业志愿服务。"
SIGNATURE_LINE = "本人签名：____________　　{fill_label}：        年    月    日"
UNTICKED = "□"
# Free text and tick lists need the whole width of the table; the rest sit two to a row.
WIDE_KINDS = ("longtext", "ticks")
# The form's date of filling is written beside the signature, not in the table.
SIGNATURE_KEYS = ("fill_date",)
# A fixed date in the file's properties, so the bytes are the same on every build.
DOCUMENT_DATE = datetime(2020, 1, 1, tzinfo=timezone.utc)


@functools.cache
def blank_form_docx() -> bytes:
    """The blank form as .docx bytes."""
    schema = load_schema()
    document = Document()
    normal = document.styles["Normal"]
    normal.font.size = Pt(10.5)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")
    properties = document.core_properties
    properties.title, properties.author = FORM_TITLE, ""
    properties.created = properties.modified = DOCUMENT_DATE.replace(tzinfo=None)

    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(FORM_TITLE)
    run.bold, run.font.size = True, Pt(16)

    in_table = [spec for spec in schema.fields if spec.key not in SIGNATURE_KEYS]
    rows = _table_rows(in_table)
    table = document.add_table(rows=len(rows), cols=4)
    table.style = "Table Grid"
    for index, cells in enumerate(rows):
        column = 0
        for text, span in cells:
            cell = table.cell(index, column)
            if span > 1:
                cell = cell.merge(table.cell(index, column + span - 1))
            cell.text = text
            column += span
    document.add_paragraph(DECLARATION)
    fill_label = schema.label_for(SIGNATURE_KEYS[0]) if SIGNATURE_KEYS[0] in schema.keys else "填表日期"
    document.add_paragraph(SIGNATURE_LINE.format(fill_label=fill_label))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _table_rows(specs: list[FieldSpec]) -> list[list[tuple[str, int]]]:
    """Cells (text, column span): short fields two to a row, in form order; wide ones alone."""
    rows: list[list[tuple[str, int]]] = []
    pending: list[FieldSpec] = []

    def flush_pending() -> None:
        while pending:
            pair, pending[:] = pending[:2], pending[2:]
            if len(pair) == 2:
                rows.append([(pair[0].label, 1), ("", 1), (pair[1].label, 1), ("", 1)])
            else:
                rows.append([(pair[0].label, 1), ("", 3)])

    for spec in specs:
        if spec.kind in WIDE_KINDS:
            flush_pending()
            rows.append([(spec.label, 1), (_blank_value(spec), 3)])
        else:
            pending.append(spec)
    flush_pending()
    return rows


def _blank_value(spec: FieldSpec) -> str:
    if spec.kind == "ticks":
        return " ".join(f"{UNTICKED}{option}" for option in spec.options)
    return ""
