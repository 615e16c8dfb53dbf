"""What a cell's lines say once read: its text as one, and whether a
doubtful reading is one of the form's labels.

    cell_text(text) -> str           a cell's lines joined (wrapping is layout), a label alone on the first kept apart
    reads_as_label(text) -> bool     the text is wholly one of the form's labels
"""
from __future__ import annotations

from parsers.ocr.cell_hints import inline_label
from parsers.text.labels import label_index
from parsers.text.rows import unwrap


def reads_as_label(text: str) -> bool:
    """An unsure reading that is wholly one of the form's labels: the
    labels are a known vocabulary, so the guess is checked; dropping it
    would run the answers before and after it together."""
    label = label_index().read(text) if text.strip() else None
    return label is not None and not label.unknown


def cell_text(text: str) -> str:
    """A cell's lines as one (wrapping is layout), except a label alone on
    the first line, which stays apart from the answer under it
    ("从业经历（限500字）" over the work history), as a .docx cell's
    paragraphs do; not a label that wraps on ("*身份证号" over "码：440883…",
    "*联系电话" over "（手机）")."""
    first, _, rest = text.partition("\n")
    following = next((line for line in rest.splitlines() if line.strip()), "")
    joined = unwrap(text)
    # A first line that is a label and the start of its answer ("学历（最高）　本"
    # over "科") wraps like any other: the label scorer reads it as a label too.
    label_on_first = inline_label(first).strip()
    answer_on_first = bool(label_on_first) and len(label_on_first) < len(first.strip())
    if (following and not answer_on_first and reads_as_label(first) and not reads_as_label(first + following)
            and len(inline_label(joined).strip()) <= len(first.strip())):
        return first.strip() + "\n" + unwrap(rest)
    return joined
