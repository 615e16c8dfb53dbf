"""The 湛江市中小企业志愿服务专家报名表 and realistic filled-in copies.

``sample_applicants`` makes deterministic fictional applicants (valid GB 11643
IDs from Zhanjiang area codes, agreeing birth dates and genders); the
builders write them as .docx in several layouts and as text-layer PDF, with
the variations real applicants produce (half/full-width colons, "√" or "☑"
ticks, padded labels, "1978年5月" dates, short county names). Expected parse
output is ``Applicant.expected_fields()``.
"""
from __future__ import annotations

import io
import zipfile
import random
import re
from dataclasses import asdict, dataclass, field

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.shared import Pt

from parsers.text.checks import id_check_char
from parsers.schema import load_schema

TITLE = "湛江市中小企业志愿服务专家报名表"
DECLARATION = "本人承诺以上信息真实有效，自愿参加湛江市中小企业志愿服务。"
AREA_CODES = {"赤坎区": "440802", "霞山区": "440803", "坡头区": "440804", "麻章区": "440811",
              "遂溪县": "440823", "徐闻县": "440825", "廉江市": "440881", "雷州市": "440882",
              "吴川市": "440883", "湛江经济技术开发区": "440800"}
SHORT_COUNTY = {"霞山区": "霞山", "廉江市": "廉江", "湛江经济技术开发区": "开发区", "赤坎区": "湛江市赤坎区"}
FEATURED = [("张喆", "男", "zhangzhe"), ("欧阳婧", "女", "ouyangjing"), ("冼浩", "男", "xianhao")]
SURNAMES = "陈 李 黄 林 梁 吴 杨 冯 庞 莫 邓 钟 揭 麦 詹 司徒 欧阳".split()
GIVEN = {"男": "伟 志强 建华 浩然 俊杰 国栋 振宇 文彬 昊 晟 炜".split(),
         "女": "婷 丽娟 晓燕 静怡 慧敏 雅琪 嘉欣 婧 珺 瑜".split()}
EMPLOYERS = ["湛江南海智造科技有限公司", "湛江市鼎信税务师事务所有限公司", "广东湛海律师事务所",
             "湛江金海岸进出口贸易有限公司", "湛江湾数字技术有限公司", "湛江市粤西会计师事务所（普通合伙）"]
POSITIONS = ["总经理", "财务总监", "合伙人", "技术总监", "副总经理", "所长"]
TITLES = ["高级会计师", "高级工程师", "一级律师", "副教授", "高级经济师", "正高级工程师"]
EDUCATION = [("本科", "学士"), ("硕士研究生", "硕士"), ("博士研究生", "博士"), ("大专", "")]
POLITICAL = ["中共党员", "群众", "民盟盟员", "九三学社社员", "无党派人士"]
MOBILE_PREFIXES = "138 139 135 137 150 158 159 188 187 136 189 133 180 199 166".split()
TIMES = ["工作日晚上及周末", "每月不少于2天", "周末及节假日", "根据企业需求灵活安排"]
STREETS = ["人民大道中", "海滨大道南", "椹川大道", "解放西路", "康宁路", "乐山路"]


@dataclass
class Applicant:
    name: str
    gender: str  # "男" / "女"
    birth_date: str  # "YYYY-MM"
    ethnicity: str
    political_status: str
    education: str
    degree: str
    title: str
    id_number: str
    employer: str
    position: str
    county: str  # full name, e.g. "霞山区"
    mobile: str
    office_phone: str  # "0759-3302096"
    email: str
    address: str
    expertise: list[str] = field(default_factory=list)
    service_modes: list[str] = field(default_factory=list)
    specialty: str = ""
    experience: str = ""
    achievements: str = ""
    available_time: str = ""
    fill_date: str = ""
    style: int = 0  # which way of writing values this applicant uses

    def expected_fields(self) -> dict:
        """What ``parsers.parse`` should return for this applicant's form."""
        values = asdict(self)
        values.pop("style")
        return {key: value for key, value in values.items() if value not in ("", [], None)}


def _make_id(area: str, birth: str, gender: str, rng: random.Random) -> str:
    sequence = rng.randint(10, 99) * 10 + rng.choice([1, 3, 5, 7, 9] if gender == "男" else [0, 2, 4, 6, 8])
    first17 = f"{area}{birth.replace('-', '')}{sequence:03d}"
    return first17 + id_check_char(first17)


def sample_applicants(n: int, seed: int = 0) -> list[Applicant]:
    rng = random.Random(seed)
    schema = load_schema()
    expertise_options = schema.spec_for("expertise").options
    mode_options = schema.spec_for("service_modes").options
    counties = list(AREA_CODES)
    applicants = []
    for number in range(n):
        if number < len(FEATURED):
            name, gender, handle = FEATURED[number]
            email = f"{handle}{rng.randint(70, 99)}@163.com"
        else:
            gender = rng.choice(["男", "女"])
            name = rng.choice(SURNAMES) + rng.choice(GIVEN[gender])
            email = f"{rng.randint(10**7, 10**10)}@qq.com"
        birth_day = f"{rng.randint(1962, 1992)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        county = counties[(number + seed) % len(counties)]
        education, degree = rng.choice(EDUCATION)
        expertise = sorted(rng.sample(expertise_options[:-1], rng.randint(1, 4)), key=expertise_options.index)
        modes = sorted(rng.sample(mode_options, rng.randint(1, 3)), key=mode_options.index)
        employer, position = rng.choice(EMPLOYERS), rng.choice(POSITIONS)
        start = int(birth_day[:4]) + 23
        applicants.append(Applicant(
            name=name, gender=gender, birth_date=birth_day[:7],
            ethnicity=rng.choice(["汉族"] * 6 + ["壮族", "黎族"]),
            political_status=rng.choice(POLITICAL), education=education, degree=degree,
            title=rng.choice(TITLES),
            id_number=_make_id(rng.choice(list(AREA_CODES.values())[:-1]), birth_day, gender, rng),
            employer=employer, position=position, county=county,
            mobile=rng.choice(MOBILE_PREFIXES) + f"{rng.randint(0, 10**8 - 1):08d}",
            office_phone=f"0759-{rng.randint(2, 3)}{rng.randint(0, 999999):06d}",
            email=email,
            address=f"广东省湛江市{county}{rng.choice(STREETS)}{rng.randint(1, 199)}号",
            expertise=expertise, service_modes=modes,
            specialty=f"熟悉{'、'.join(expertise)}相关业务，能为中小企业提供ERP系统选型与{expertise[0]}咨询。",
            experience=(f"{start}年至{start + 10}年在湛江市属企业从事{expertise[0]}工作；"
                        f"{start + 10}年至今任{employer}{position}。"),
            achievements=f"近五年累计辅导{rng.randint(5, 60)}家中小企业，协助{rng.randint(2, 9)}家企业获评专精特新企业。",
            available_time=rng.choice(TIMES),
            fill_date=f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            style=number + seed,
        ))
    return applicants


# ---- how an applicant writes each value --------------------------------

def written_value(applicant: Applicant | None, key: str, pdf: bool = False) -> str:
    """The value as this applicant writes it on the form ("" when blank)."""
    if applicant is None:
        return tick_text(key, [], 0, pdf) if key in ("expertise", "service_modes") else ""
    value, style = getattr(applicant, key), applicant.style
    if key in ("expertise", "service_modes"):
        return tick_text(key, value, style, pdf)
    if not value:
        return ""
    odd = style % 2 == 1
    if key == "birth_date":
        year, month = value.split("-")
        return [f"{year}年{int(month)}月", f"{year}.{month}", f"{year}-{int(month)}"][style % 3]
    if key == "fill_date":
        year, month, day = value.split("-")
        return f"{year}年{int(month)}月{int(day)}日" if style % 3 else value
    if key == "id_number":
        return value.lower() if odd else f"{value[:6]} {value[6:14]} {value[14:]}"
    if key == "mobile":
        return f"{value[:3]} {value[3:7]} {value[7:]}" if style % 3 == 1 else value
    if key == "office_phone":
        area, number = value.split("-")
        return [value, f"({area}){number}", f"{area} {number}"][style % 3]
    if key == "email":
        return value.upper() if style % 4 == 3 else value
    if key == "county":
        return SHORT_COUNTY.get(value, value) if odd else value
    if key == "ethnicity" and value == "汉族" and odd:
        return "汉"
    return value


def tick_text(key: str, ticked: list[str], style: int, pdf: bool) -> str:
    options = load_schema().spec_for(key).options
    if style % 5 == 4:  # "外贸（√）" written after the option
        return " ".join(f"{o}（{'√' if o in ticked else '  '}）" for o in options)
    mark = ["☑", "√", "■"][style % 3]
    if pdf and mark == "☑":
        mark = "■"  # not in the built-in Chinese PDF font
    return " ".join(f"{mark if o in ticked else '□'}{o}" for o in options)


def _label(key: str, style: int) -> str:
    label = load_schema().label_for(key)
    # Two-character labels padded to line up, as the printed form does.
    return "\u3000\u3000".join(label) if len(label) == 2 and style % 2 == 0 else label


SHORT_ROWS = [("name", "gender"), ("birth_date", "ethnicity"), ("political_status", "education"),
              ("degree", "title"), ("employer", "position"), ("county", "mobile"),
              ("office_phone", "email")]
WIDE_KEYS = ["id_number", "address", "expertise", "service_modes", "specialty",
             "experience", "achievements", "available_time"]


def table4_rows(applicant: Applicant | None, pdf: bool = False) -> list[list[tuple[str, int]]]:
    """Cells (text, column span) of the 4-column form table."""
    style = applicant.style if applicant else 0
    rows = [[(_label(a, style), 1), (written_value(applicant, a, pdf), 1),
             (_label(b, style), 1), (written_value(applicant, b, pdf), 1)] for a, b in SHORT_ROWS]
    rows += [[(_label(key, style), 1), (written_value(applicant, key, pdf), 3)] for key in WIDE_KEYS]
    rows.append([(DECLARATION, 4)])
    return rows


def _colon(style: int) -> str:
    return ":" if style % 3 == 2 else "："  # some applicants type half-width colons


# ---- .docx ---------------------------------------------------------------

def _new_document() -> Document:
    document = Document()
    normal = document.styles["Normal"]
    normal.font.size = Pt(10.5)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia", "宋体")
    return document


def _add_title(document: Document) -> None:
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(TITLE)
    run.bold, run.font.size = True, Pt(16)


def _grid(document: Document, rows: int, columns: int):
    table = document.add_table(rows=rows, cols=columns)
    table.style = "Table Grid"
    return table


def _fill_grid(table, rows: list[list[tuple[str, int]]], first_row: int = 0) -> None:
    for offset, cells in enumerate(rows):
        column = 0
        for text, span in cells:
            cell = table.cell(first_row + offset, column)
            if span > 1:
                cell = cell.merge(table.cell(first_row + offset, column + span - 1))
            cell.text = text
            column += span


def _signature_line(applicant: Applicant | None, style: int) -> str:
    fill_date = written_value(applicant, "fill_date") or "        年    月    日"
    return f"本人签名{_colon(style)}____________　　填表日期{_colon(style)}{fill_date}"


def _add_table4(document: Document, applicant: Applicant | None) -> None:
    rows = table4_rows(applicant)
    _fill_grid(_grid(document, len(rows), 4), rows)
    document.add_paragraph(_signature_line(applicant, applicant.style if applicant else 0))


def _add_table2(document: Document, applicant: Applicant) -> None:
    keys = [key for key in load_schema().keys if key != "fill_date"]
    _fill_grid(_grid(document, len(keys), 2), [[(_label(key, applicant.style), 1), (written_value(applicant, key), 1)] for key in keys])
    document.add_paragraph(DECLARATION)
    document.add_paragraph(_signature_line(applicant, applicant.style))


def _add_paragraphs(document: Document, applicant: Applicant) -> None:
    style, colon = applicant.style, _colon(applicant.style)
    for a, b in SHORT_ROWS:
        document.add_paragraph(f"{_label(a, style)}{colon}{written_value(applicant, a)}　　"
                               f"{_label(b, style)}{colon}{written_value(applicant, b)}")
    for key in WIDE_KEYS:
        if load_schema().spec_for(key).kind == "longtext":
            document.add_paragraph(f"{_label(key, style)}{colon}")
            document.add_paragraph(written_value(applicant, key))
        else:
            document.add_paragraph(f"{_label(key, style)}{colon}{written_value(applicant, key)}")
    document.add_paragraph(DECLARATION)
    document.add_paragraph(_signature_line(applicant, style))


def _add_merged(document: Document, applicant: Applicant) -> None:
    """Merged cells everywhere: a photo box over four rows, label and value
    in one cell, a value across three columns, a label over two rows."""
    style, colon = applicant.style, _colon(applicant.style)
    expertise = load_schema().spec_for("expertise").options
    ticks = tick_text("expertise", applicant.expertise, style, False)
    split = ticks.rfind(" ", 0, ticks.index(expertise[6]))  # second row starts at 法律
    (a, b), rest = SHORT_ROWS[0], SHORT_ROWS[1:]
    rows = [[(f"{_label(a, style)}{colon}{written_value(applicant, a)}", 2), (_label(b, style), 1),
             (written_value(applicant, b), 1)]]
    rows += [[(_label(x, style), 1), (written_value(applicant, x), 1), (_label(y, style), 1),
              (written_value(applicant, y), 1)] for x, y in rest[:3]]
    rows += [[(_label(x, style), 1), (written_value(applicant, x), 1), (_label(y, style), 1),
              (written_value(applicant, y), 2)] for x, y in rest[3:]]
    rows += [[(_label("id_number", style), 1), (written_value(applicant, "id_number"), 4)],
             [(_label("address", style), 1), (written_value(applicant, "address"), 4)],
             [(_label("expertise", style), 1), (ticks[:split].strip(), 4)],
             [("", 1), (ticks[split:].strip(), 4)]]
    rows += [[(_label(key, style), 1), (written_value(applicant, key), 4)] for key in WIDE_KEYS[3:]]
    rows.append([("填表日期", 1), (written_value(applicant, "fill_date"), 2), ("本人签名", 1), ("", 1)])
    _fill_grid(table := _grid(document, len(rows), 5), rows)
    table.cell(0, 4).merge(table.cell(3, 4)).text = "照片"
    expertise_row = 6 + len(rest[3:]) + 1
    table.cell(expertise_row, 0).merge(table.cell(expertise_row + 1, 0)).text = _label("expertise", style)
    document.add_paragraph(DECLARATION)


LAYOUTS = {"table4": _add_table4, "table2": _add_table2, "paragraphs": _add_paragraphs, "merged": _add_merged}


# Every part stamped with the notice's date, not the moment it was built: the
# same applicant makes the same bytes, whichever second (a zip entry's time
# has two-second steps) a test or a bench happens to build it in.
_ZIP_TIME = (2020, 9, 8, 9, 0, 0)


def _docx_bytes(document: Document) -> bytes:
    document.save(built := io.BytesIO())
    out = io.BytesIO()
    with zipfile.ZipFile(built) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            stamped = zipfile.ZipInfo(entry.filename, date_time=_ZIP_TIME)
            stamped.compress_type, stamped.external_attr = entry.compress_type, entry.external_attr
            target.writestr(stamped, source.read(entry))
    return out.getvalue()


def build_forms_docx(applicants: list[Applicant], layout: str = "table4") -> bytes:
    """Several filled forms in one .docx, a page break between them."""
    document = _new_document()
    for number, applicant in enumerate(applicants):
        if number:
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        _add_title(document)
        LAYOUTS[layout](document, applicant)
    return _docx_bytes(document)


def build_form_docx(applicant: Applicant, layout: str = "table4") -> bytes:
    return build_forms_docx([applicant], layout)  # layout: one of LAYOUTS


def build_blank_form_docx() -> bytes:
    """The official blank form the centre publishes."""
    document = _new_document()
    _add_title(document)
    _add_table4(document, None)
    return _docx_bytes(document)


def build_incomplete_form_docx(applicant: Applicant, drop: list[str]) -> bytes:
    """The applicant's form with the dropped fields left empty."""
    blanked = Applicant(**{**asdict(applicant), **{key: [] if isinstance(getattr(applicant, key), list)
                                                    else "" for key in drop}})
    return build_form_docx(blanked, "table4")


def build_non_form_docx() -> bytes:
    """A résumé: personal details, but not the application form."""
    document = _new_document()
    document.add_heading("个人简历", level=1)
    for line in ["姓名：王晓明", "求职意向：财务经理", "手机：13800138000", "邮箱：wangxm@example.com",
                 "教育背景", "2005年—2009年 暨南大学 会计学 本科",
                 "工作经历", "2009年至今 湛江某制造企业 财务主管，负责税务筹划与预算管理。",
                 "自我评价", "工作认真负责，熟悉企业财税实务。"]:
        document.add_paragraph(line)
    return _docx_bytes(document)


# ---- text-layer PDF --------------------------------------------------------

PDF_FONT = "STSong-Light"  # built into reportlab and PDF readers: no font file
PDF_FONT_SIZE = 10
PDF_LINE = 13
PDF_COLUMNS = (95, 155, 95, 155)
_WRAP_TOKEN = re.compile(r"[A-Za-z0-9@._%+\-]+|\s+|.")


def _wrap(text: str, width: float) -> list[str]:
    """Break text into lines no wider than width, never inside a Latin word,
    and never at a space next to Chinese — so joining the lines back (with a
    space only between Latin words) restores the text."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines, current = [], ""
    for token in _WRAP_TOKEN.findall(text):
        if current and stringWidth(current + token, PDF_FONT, PDF_FONT_SIZE) > width:
            lines.append(current.rstrip())
            current = token.lstrip()
        else:
            current += token
    if current.strip():
        lines.append(current.rstrip())
    return lines or [""]


def _draw_form(canvas, applicant: Applicant) -> None:
    from reportlab.lib.pagesizes import A4

    page_width, page_height = A4
    left = (page_width - sum(PDF_COLUMNS)) / 2
    canvas.setFont(PDF_FONT, 16)
    canvas.drawCentredString(page_width / 2, page_height - 60, TITLE)
    canvas.setFont(PDF_FONT, PDF_FONT_SIZE)
    top = page_height - 80
    for cells in table4_rows(applicant, pdf=True):
        x, column, boxes = left, 0, []
        for text, span in cells:
            width = sum(PDF_COLUMNS[column:column + span])
            boxes.append((x, width, _wrap(text, width - 6)))
            x, column = x + width, column + span
        height = max(len(lines) for _, _, lines in boxes) * PDF_LINE + 8
        for box_x, width, lines in boxes:
            canvas.rect(box_x, top - height, width, height)
            for number, line in enumerate(lines):
                canvas.drawString(box_x + 3, top - 4 - PDF_FONT_SIZE - number * PDF_LINE, line)
        top -= height
    canvas.drawString(left, top - 30, _signature_line(applicant, applicant.style).replace("\u3000", "  "))


def build_forms_pdf(applicants: list[Applicant]) -> bytes:
    """One filled form per page, with a real text layer."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen.canvas import Canvas

    pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    out = io.BytesIO()
    canvas = Canvas(out, pageCompression=1, invariant=1)
    canvas.setTitle(TITLE)
    for applicant in applicants:
        _draw_form(canvas, applicant)
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def build_form_pdf(applicant: Applicant) -> bytes:
    return build_forms_pdf([applicant])
