"""A parse of a form built from the schema, run once in the parse template.

Every child forked from the template inherits what the parse built on the
way: python-docx's part classes, the label index's reads of every printed
label, compiled patterns, the schema's caches. Without it each child builds
them again for its one file (a third of a .docx's parse)."""
from __future__ import annotations

import io

import docx

from parsers.readers.docx import read_docx
from parsers.schema import load_schema

_SAMPLE_TEXT = "示例"


def warm_up() -> None:
    """Read a form holding every field's label (and its synonyms) once."""
    document = docx.Document()
    document.add_paragraph("湛江市中小企业志愿服务专家报名表")
    schema = load_schema()
    table = document.add_table(rows=0, cols=2)
    for spec in schema.fields:
        for label in spec.all_labels:
            row = table.add_row().cells
            row[0].text = label
            row[1].text = "　".join(f"☑{option}" for option in spec.options) or _SAMPLE_TEXT
    document.add_paragraph("申请人签字：　　　　日期：2020年9月8日")
    data = io.BytesIO()
    document.save(data)
    read_docx(data.getvalue())
