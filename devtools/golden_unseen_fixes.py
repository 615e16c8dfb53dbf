"""The golden files that pin reading fixes found on forms nobody here has
seen (the bench's ``--family unseen`` tuning draws). ``devtools.golden_inputs``
builds them with the others.

21 is a Word form typed as applicants type it; 22 the same kind of form
printed by LibreOffice and scanned in greyscale, values of its own; 23 and
24 are pictures of the TUNING draw itself (never the held-out one), where
the failure was seen: 23 resampled to 200 dpi greyscale and cut below the
row the case is about, 24 as the bench made it. The truth is in the
expected JSON beside each.
"""
from __future__ import annotations

import io

from PIL import Image

from devtools.golden_images import PrintedPage, built_images
from devtools.golden_ocr_fixes import ANSWER_FACE, PRINT_FACE, grey_scan
from devtools.golden_word import DECLARATION, EXPERTISE, MODES, WordForm, typed_ticks
from docx.oxml.ns import qn


def _answer(form: WordForm, label: str, answer: str) -> None:
    """A line of the form: its printed label, then the answer typed in the Kai face."""
    paragraph = form.document.add_paragraph()
    paragraph.add_run(label)
    run = paragraph.add_run(answer)
    run._r.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), ANSWER_FACE)


def bracketed_note_and_run_on_form() -> bytes:
    """21: a paragraph form typed in Word: the employer's legal form in
    brackets after a space, then the position (``工作单位/职务``); the
    professional title's label run on after the degree (``学位：学士专业技术
    资格：高级会计师``); an e-mail typed with a zero in ``.c0m``; the list's
    label starred as required and noted at length."""
    form = WordForm("宋体", 11)
    form.title()
    form.paragraph("姓名：梁振华")
    form.paragraph("性别：男")
    form.paragraph("出生年月：1976年4月")
    form.paragraph("民族：汉族")
    form.paragraph("政治面貌：群众")
    form.paragraph("学历：本科")
    form.paragraph("学位：学士专业技术资格：高级会计师")
    form.paragraph("身份证号码：440881197604120034")
    form.paragraph("工作单位/职务：廉江市南港会计师事务所 （普通合伙）部门经理")
    form.paragraph("所在区县：廉江市")
    form.paragraph("手机号码：13926015837")
    form.paragraph("电子邮箱：liangzh76@163.c0m")
    form.paragraph("*擅长领域（可多选，请在□内打√）：" + typed_ticks(EXPERTISE, ("财税", "会计"), gap=" "))
    form.paragraph("服务形式：" + typed_ticks(MODES, ("线上志愿服务",), gap=" "))
    form.paragraph("专业特长：企业税务筹划、财务审计")
    form.paragraph(DECLARATION)
    form.paragraph("填表日期：2024年12月20日")
    return form.bytes()


def scanned_paragraph_form() -> bytes:
    """22: a paragraph form, answers typed in 楷体, printed and scanned: the
    name with the rare 赟 on the line of its label (``姓名：骆赟``), which OCR
    reads as its common look-alike; an address with an underscore; the
    choices listed by name, the service modes by short forms; a work
    history naming the option 会计 twice (prose, no tick list)."""
    form = WordForm(PRINT_FACE, 11)
    form.title()
    _answer(form, "姓名：", "骆赟")
    _answer(form, "性别：", "男")
    _answer(form, "出生年月：", "1983年9月")
    _answer(form, "政治面貌：", "中共党员")
    _answer(form, "学历：", "硕士研究生")
    _answer(form, "职称：", "高级会计师")
    _answer(form, "身份证号码：", "440803198309150017")
    _answer(form, "工作单位：", "湛江市霞山区恒信财务咨询有限公司")
    _answer(form, "职务：", "财务总监")
    _answer(form, "所在区县：", "霞山区")
    _answer(form, "手机号码：", "13727150386")
    _answer(form, "电子邮箱：", "luo_yun83@139.com")
    _answer(form, "专业领域：", "财税　会计")
    _answer(form, "服务形式：", "线上服务　对接")
    _answer(form, "专业特长：", "企业税务筹划丶财务审计")
    _answer(form, "主要工作经历：", "2006年—2012年　湛江某外贸公司　从事会计工作；2012年至今　本公司　财务总监，分管会计核算")
    form.paragraph("主要业绩（近三年）：")
    _answer(form, "", "近三年累计辅导中小企业21家，协助3家企业获评专精特新企业。")
    form.paragraph(DECLARATION)
    _answer(form, "填表日期：", "2024年12月21日")
    return form.bytes()


def _tuning_file(fmt: str, name: str) -> bytes:
    """A file of the bench's TUNING draw ``--seed 27 --applicants 8``."""
    from devtools.samples.unseen_corpus import build_unseen_corpus

    return next(item.data for item in build_unseen_corpus((fmt,), TUNING_APPLICANTS, TUNING_SEED)
                if item.name == f"{fmt}/{name}")


TUNING_SEED, TUNING_APPLICANTS = 27, 8


def wrapped_email_label_scan() -> bytes:
    """23: a 6-column grid scanned at 240 dpi whose narrow label cell wraps
    ``Email`` as ``Emai`` over ``l``; resampled to 200 dpi greyscale and cut
    below the 联系地址 row (the list under it is another case)."""
    page = Image.open(io.BytesIO(_tuning_file("scan_jpg", "03-mixed"))).convert("L")
    scale = 200 / page.info.get("dpi", (240, 240))[0]
    page = page.resize((round(page.width * scale), round(page.height * scale)), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    page.crop((0, 0, page.width, 1010)).save(out, "JPEG", quality=60, dpi=(200, 200))
    return out.getvalue()


def unseen_fix_files(only: str = "") -> dict[str, bytes]:
    """The cases whose file name starts with ``only``, built."""
    files = {
        "21-bracketed-note-and-run-on.docx": bracketed_note_and_run_on_form,
        "23-wrapped-email-label-scan.jpg": wrapped_email_label_scan,
        "24-colon-and-edge-speck-photo.jpg": lambda: _tuning_file("photo_jpg", "04-paragraphs"),
    }
    out = {name: build() for name, build in files.items() if name.startswith(only)}
    printed = {"22-rare-name-in-line-scan.jpg": PrintedPage(scanned_paragraph_form(), 160, grey_scan(2222))}
    out.update(built_images(printed, {}, only))
    return out
