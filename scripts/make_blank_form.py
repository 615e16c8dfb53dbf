"""Write the official blank 湛江市中小企业志愿服务专家报名表 as .docx.

Usage: python scripts/make_blank_form.py [OUT]   (default data/报名表.docx)
"""
from __future__ import annotations

import sys
from pathlib import Path

from devtools.samples.forms import build_blank_form_docx

DEFAULT_OUT = Path("data") / "报名表.docx"


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else DEFAULT_OUT
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(build_blank_form_docx())
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
