"""The inputs of the golden files in ``tests/data/golden``, built once.

    python -m devtools.golden_inputs [--out DIR] [--only PREFIX]

Each case is a form as someone outside this project would write it: label
wordings the parser's table never listed, two fields under one label, text
around the answers that is no answer, every way Word writes a tick, dates in
Chinese numerals, two applicants in one file, a flatbed scan and a phone
photo, a file that is barely the form, and attachments that are not the
form at all. The values are written out below exactly as they stand on the
form, so a reviewer reads the case here and its truth in the expected JSON.

The expected ``<input>.expected.json`` beside each input is written by hand
and reviewed as a diff; this script never writes it. Inputs are committed:
LibreOffice and JPEG encoders may change a few bytes between runs, so rerun
only to add a case, and read its expected output again when you do.

Needs LibreOffice (.doc, .wps, PDF, and the page images of the scan and
photo) and the Noto CJK fonts; see ``devtools.samples.scans``.
"""
from __future__ import annotations

import argparse
import io
from dataclasses import dataclass
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt
from PIL import Image, ImageDraw

from devtools.samples import scans

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "tests" / "data" / "golden"
TITLE = "湛江市中小企业志愿服务专家报名表"
EXPERTISE = ("政策解读", "数字化转型", "智能制造", "行业发展", "科技创新", "外贸", "法律", "财税", "会计", "企业管理", "其他")
MODES = ("线上志愿服务", "线下志愿服务", "精准对接")
DECLARATION = "本人承诺：以上所填内容真实、准确，自愿成为湛江市中小企业志愿服务专家，如有虚假，愿承担相应责任。"


# ---- what goes into a paragraph besides text ---------------------------------

@dataclass(frozen=True)
class Sym:
    """A symbol-font character, as Word's "insert symbol" stores it."""
    font: str
    char: str  # hex code, e.g. "F052"


@dataclass(frozen=True)
class CheckBoxControl:
    """A check-box content control (w14:checkbox); the state decides, not the glyph."""
    checked: bool


@dataclass(frozen=True)
class FormCheckBox:
    """A legacy check-box form field (FORMCHECKBOX)."""
    checked: bool


@dataclass(frozen=True)
class Cell:
    """A table cell: its text (pieces per line), columns and rows it covers."""
    content: object
    span: int = 1
    down: int = 1


def wingdings(ticked: bool) -> Sym:
    return Sym("Wingdings", "F0FE" if ticked else "F0A8")


def wingdings2(ticked: bool) -> Sym:
    return Sym("Wingdings 2", "F052" if ticked else "F0A3")


def marked_options(mark, options, ticked, gap="　") -> list:
    """Each option after its mark; ``mark(is_ticked)`` makes the mark."""
    pieces = []
    for option in options:
        pieces += [mark(option in ticked), option, gap]
    return pieces[:-1]


def typed_ticks(options, ticked, on="☑", off="□", gap="　") -> str:
    return gap.join(f"{on if option in ticked else off}{option}" for option in options)


# ---- a Word document ---------------------------------------------------------

class WordForm:
    def __init__(self, font: str = "宋体", size: float = 10.5):
        self.document = Document()
        section = self.document.sections[0]
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)  # A4, as the centre prints it
        section.left_margin = section.right_margin = Cm(2.0)
        normal = self.document.styles["Normal"]
        normal.font.size = Pt(size)
        normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
        normal.paragraph_format.space_after = Pt(0)
        properties = self.document.core_properties  # as an office PC fills them in, not the library's
        properties.author = properties.last_modified_by = "Administrator"
        properties.comments = properties.title = ""
        self.controls = 0

    def title(self, text: str = TITLE) -> None:
        paragraph = self.document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = paragraph.add_run(text)
        run.bold, run.font.size = True, Pt(16)

    def paragraph(self, *pieces, align=None) -> None:
        paragraph = self.document.add_paragraph()
        if align == "right":
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        self._write(paragraph, list(pieces))

    def page_break(self) -> None:
        self.document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    def picture(self, png: bytes, width_cm: float) -> None:
        self.document.add_picture(io.BytesIO(png), width=Cm(width_cm))

    def table(self, rows: list[list], widths: list[float] | None = None) -> None:
        """Rows of cells (a string, a list of pieces, or a ``Cell``); a
        string's lines become the cell's paragraphs."""
        columns = max(sum(_cell(c).span for c in row) for row in rows)
        table = self.document.add_table(rows=len(rows), cols=columns)
        table.style = "Table Grid"
        widths = widths or [17.0 / columns] * columns
        for number, column in enumerate(table.columns):
            for cell in column.cells:
                cell.width = Cm(widths[number])
        taken: set[tuple[int, int]] = set()
        for r, row in enumerate(rows):
            c = 0
            for spec in map(_cell, row):
                while (r, c) in taken:
                    c += 1
                last = (r + spec.down - 1, c + spec.span - 1)
                taken.update((y, x) for y in range(r, last[0] + 1) for x in range(c, last[1] + 1))
                target = table.cell(r, c)
                if last != (r, c):
                    target = target.merge(table.cell(*last))
                for number, line in enumerate(_lines(spec.content)):
                    paragraph = target.paragraphs[0] if number == 0 else target.add_paragraph()
                    self._write(paragraph, line)
                c = last[1] + 1

    def bytes(self) -> bytes:
        # Word always keeps a paragraph after a table; without one LibreOffice
        # drops a table that ends the document when it writes a .doc.
        if self.document.element.body[-2].tag == qn("w:tbl"):
            self.document.add_paragraph()
        self.document.save(out := io.BytesIO())
        return out.getvalue()

    def _write(self, paragraph, pieces: list) -> None:
        for piece in pieces:
            if isinstance(piece, str):
                if piece:
                    paragraph.add_run(piece)
            elif isinstance(piece, Sym):
                run = paragraph.add_run()
                run._r.append(parse_xml(f'<w:sym {nsdecls("w")} w:font="{piece.font}" w:char="{piece.char}"/>'))
            elif isinstance(piece, CheckBoxControl):
                paragraph._p.append(parse_xml(self._control(piece.checked)))
            elif isinstance(piece, FormCheckBox):
                for xml in self._form_field(piece.checked):
                    paragraph._p.append(parse_xml(xml))
            else:
                raise TypeError(piece)

    def _control(self, checked: bool) -> str:
        self.controls += 1
        fonts = '<w:rFonts w:ascii="MS Gothic" w:eastAsia="MS Gothic" w:hAnsi="MS Gothic" w:hint="eastAsia"/>'
        return (f'<w:sdt {nsdecls("w", "w14")}><w:sdtPr><w:rPr>{fonts}</w:rPr><w:id w:val="{5000 + self.controls}"/>'
                f'<w14:checkbox><w14:checked w14:val="{int(checked)}"/>'
                '<w14:checkedState w14:val="2612" w14:font="MS Gothic"/>'
                '<w14:uncheckedState w14:val="2610" w14:font="MS Gothic"/></w14:checkbox></w:sdtPr>'
                f'<w:sdtContent><w:r><w:rPr>{fonts}</w:rPr><w:t>{"☒" if checked else "☐"}</w:t></w:r>'
                '</w:sdtContent></w:sdt>')

    def _form_field(self, checked: bool) -> list[str]:
        self.controls += 1
        w = nsdecls("w")
        return [f'<w:r {w}><w:fldChar w:fldCharType="begin"><w:ffData><w:name w:val="Check{self.controls}"/>'
                '<w:enabled/><w:calcOnExit w:val="0"/><w:checkBox><w:sizeAuto/>'
                f'<w:default w:val="0"/>{"<w:checked/>" if checked else ""}</w:checkBox></w:ffData></w:fldChar></w:r>',
                f'<w:r {w}><w:instrText xml:space="preserve"> FORMCHECKBOX </w:instrText></w:r>',
                f'<w:r {w}><w:fldChar w:fldCharType="end"/></w:r>']


def _cell(spec) -> Cell:
    return spec if isinstance(spec, Cell) else Cell(spec)


def _lines(content) -> list[list]:
    if isinstance(content, str):
        return [[line] for line in content.split("\n")]
    return [list(content)]


FOUR_COLUMN_WIDTHS = [3.4, 5.1, 3.4, 5.1]  # cm, the 17 cm between A4 margins


def four_columns(rows: list[tuple]) -> list[list]:
    """(label, value, label, value) rows, and (label, value) rows whose value spans three columns."""
    return [list(row) if len(row) == 4 else [row[0], Cell(row[1], span=3)] for row in rows]


# ---- the cases -----------------------------------------------------------------

def wordings_nobody_listed() -> bytes:
    """01: every label in a wording other offices' templates use."""
    form = WordForm("仿宋")
    form.title()
    form.table(four_columns([
        ("专家姓名", "梁海峰", "性别", "男"),
        ("出生日期", "1979年11月", "民族", "汉族"),
        ("政治面貌", "中共党员", "文化程度", "大学本科"),
        ("学位", "学士", "专业技术资格", "高级会计师"),
        ("身份证件号码", "440881197911230030"),
        ("任职单位", "廉江市鸿达会计师事务所有限公司", "担任职务", "所长"),
        ("区县（市）", "廉江市", "移动电话", "137 2965 5108"),
        ("座机", "0759-6612345", "电子信箱", "lianghf@126.com"),
        ("联系地址", "廉江市城南大道128号"),
        ("专业方向", typed_ticks(EXPERTISE, ("财税", "会计"))),
        ("参与方式", typed_ticks(MODES, ("线上志愿服务", "线下志愿服务"), on="√")),
        ("业务专长", "企业所得税汇算清缴、研发费用加计扣除政策辅导。"),
        ("个人履历", "2001年7月至2008年6月在廉江市财政局工作；\n2008年7月至今任廉江市鸿达会计师事务所所长。"),
        ("辅导企业情况", "近三年为32家小微企业提供财税辅导，帮助5家企业通过高新技术企业认定。"),
        ("可服务时间", "每周六上午"),
        ("填报日期", "2024年3月15日"),
    ]))
    return form.bytes()


def composite_labels_in_cells() -> bytes:
    """02 .docx: labels above their values in the first rows, two fields under one label."""
    form = WordForm()
    form.title()
    form.table([
        ["姓名", "性别", "出生年月", "学历/学位"],
        ["黄晓琳", "女", "1986年4月", "硕士研究生/硕士"],
    ])
    form.paragraph("")
    form.table(four_columns([
        ("政治面貌", "群众", "职称", "经济师"),
        ("身份证号码", "440882198604170024"),
        ("工作单位/职务", "雷州市恒丰农产品有限公司　财务经理"),
        ("所属区域", "雷州市", "手机号码", "15917563302"),
        ("电子邮箱", "hxl_lz@163.com", "办公电话", "0759-8823107"),
        ("专业领域", typed_ticks(EXPERTISE, ("财税", "企业管理"))),
        ("服务形式", typed_ticks(MODES, ("线上志愿服务",))),
        ("专业特长", "农产品企业成本核算与内部控制。"),
        ("填表日期", "2024年4月2日"),
    ]))
    return form.bytes()


def composite_labels_in_paragraphs() -> bytes:
    """02 text PDF: a retyped form in paragraphs, composite labels inline."""
    form = WordForm()
    form.title()
    for line in ("姓名：莫国强　　性别：男　　民族：汉族",
                 "出生年月：1972年6月　　政治面貌：中共党员",
                 "学历学位：本科/学士",
                 "工作单位/职务：湛江市坡头区海韵水产有限公司　经理",
                 "身份证号码：440804197206050015",
                 "所在县（市、区）：坡头区　　手机号码：13822569014",
                 "电子邮箱：moguoqiang72@qq.com",
                 f"专业领域：{typed_ticks(EXPERTISE, ('外贸', '企业管理'))}",
                 f"服务形式：{typed_ticks(MODES, ('线下志愿服务', '精准对接'))}",
                 "专业特长：水产品出口备案与外贸单证。",
                 "填表日期：2024年5月20日"):
        form.paragraph(line)
    return form.bytes()


def text_that_is_not_the_answer() -> bytes:
    """03: a photo box beside the name, underscores around values, the
    declaration and a signature line after the last field."""
    form = WordForm()
    form.title()
    form.table([
        ["姓　　名", "杨志明", "性　　别", "男", Cell("（近期二寸照片）", down=3)],
        ["出生年月", "1969年2月", "民　　族", "汉族"],
        ["政治面貌", "中共党员", "职　　称", "高级工程师"],
    ])
    for line in ("身份证号码：__44088319690210003X__",
                 "工作单位：＿＿吴川市建筑设计院有限公司＿＿　　职务：＿＿总工程师＿＿",
                 "所在县（市、区）：____吴川市____　　手机号码：____13902871456____",
                 "电子邮箱：________yzm1969@163.com________",
                 f"专业领域：{typed_ticks(EXPERTISE, ('智能制造', '科技创新'))}",
                 f"服务形式：{typed_ticks(MODES, ('线下志愿服务',))}",
                 "专业特长：建筑工程结构设计、装配式建筑技术咨询。",
                 "可提供志愿服务时间：每月第二、四周的周六"):
        form.paragraph(line)
    form.paragraph(DECLARATION)
    form.paragraph("申请人签字：　　　　　　　　　　年　　月　　日")
    return form.bytes()


def _tick_form(form: WordForm, person: dict, expertise: list, modes: list, gender=None) -> None:
    """A short 4-column form whose tick rows are given as pieces."""
    form.title()
    form.table([
        ["姓名", person["name"], "性别", gender or person["gender"]],
        ["出生年月", person["birth"], "身份证号码", person["id"]],
        ["工作单位", person["employer"], "职务", person["position"]],
        ["所在县（市、区）", person["county"], "手机号码", person["mobile"]],
        ["电子邮箱", Cell(person["email"], span=3)],
        ["专业领域（可多选）", Cell(expertise, span=3)],
        ["服务形式", Cell(modes, span=3)],
        ["专业特长", Cell(person["specialty"], span=3)],
        ["填表日期", Cell(person["date"], span=3)],
    ])


def ticks_before_with_spaces() -> bytes:
    """04: "√" before each ticked option, nothing before the others, spaces between."""
    form = WordForm()
    _tick_form(form, dict(
        name="邓丽华", gender="女", birth="1980年5月", id="440823198005190023", employer="遂溪县城月镇农业服务中心",
        position="主任", county="遂溪县", mobile="13536477120", email="denglihua@163.com",
        specialty="农业企业政策申报与项目管理。", date="2024年6月3日"),
        ["　√政策解读　 数字化转型　 智能制造　√行业发展　 科技创新　 外贸　 法律　 财税　 会计　√企业管理　 其他"],
        ["　√线上志愿服务　 线下志愿服务　√精准对接"])
    return form.bytes()


def wingdings_ticks() -> bytes:
    """04: Word's "insert symbol" boxes, Wingdings for the fields, Wingdings 2 for the modes and gender."""
    form = WordForm()
    gender = [wingdings2(True), "男　", wingdings2(False), "女"]
    _tick_form(form, dict(
        name="钟伟明", birth="1974.12", id="44080219741202005X", employer="湛江市南粤包装材料有限公司",
        position="技术总监", county="赤坎区", mobile="13692410875", email="zhongwm@zjny.com.cn",
        specialty="包装生产线自动化改造。", date="2024-07-09"),
        marked_options(wingdings, EXPERTISE, ("数字化转型", "智能制造")),
        marked_options(wingdings2, MODES, ("线下志愿服务",)), gender=gender)
    return form.bytes()


def content_control_ticks() -> bytes:
    """04: check-box content controls for the fields, legacy form-field check boxes for the modes."""
    form = WordForm()
    _tick_form(form, dict(
        name="庞雪莹", gender="女", birth="1990年1月", id="440803199001270041", employer="湛江湾数智科技有限公司",
        position="产品经理", county="霞山区", mobile="18826031447", email="pangxy@zjwan.cn",
        specialty="中小企业上云与数据分析。", date="2024年8月12日"),
        marked_options(CheckBoxControl, EXPERTISE, ("数字化转型", "科技创新", "其他")),
        marked_options(FormCheckBox, MODES, ("线上志愿服务", "精准对接")))
    return form.bytes()


def ticks_after_and_short_forms() -> bytes:
    """04: "(√)" after each ticked option; the modes retyped as a short list."""
    form = WordForm()
    expertise = "　".join(f"{o}({'√' if o in ('法律', '企业管理') else '  '})" for o in EXPERTISE)
    _tick_form(form, dict(
        name="揭振东", gender="男", birth="1966年8月", id="440882196608300077", employer="广东雷阳律师事务所",
        position="主任", county="雷州市", mobile="13790058236", email="jiezd@leiyanglaw.com",
        specialty="企业合规与劳动争议处理。", date="2024年9月1日"),
        [expertise], ["线上、对接"])
    return form.bytes()


def wingdings2_ticks_for_pdf() -> bytes:
    """04 PDF: Wingdings 2 boxes everywhere, printed to PDF by LibreOffice."""
    form = WordForm()
    gender = [wingdings2(False), "男　", wingdings2(True), "女"]
    _tick_form(form, dict(
        name="麦秋萍", birth="1982年10月", id="440811198210110066", employer="湛江市麻章区惠民财税咨询有限公司",
        position="总经理", county="麻章区", mobile="13727368851", email="maiqiuping@126.com",
        specialty="小规模纳税人账务与税务申报。", date="2024年10月16日"),
        marked_options(wingdings2, EXPERTISE, ("政策解读", "财税", "会计")),
        marked_options(wingdings2, MODES, ("线上志愿服务", "线下志愿服务", "精准对接")), gender=gender)
    return form.bytes()


def dates_in_chinese_numerals() -> bytes:
    """05: the birth month and the date filled in written in Chinese numerals."""
    form = WordForm("楷体")
    form.title()
    form.table(four_columns([
        ("姓名", "吴建华", "性别", "男"),
        ("出生年月", "一九七五年三月", "民族", "汉族"),
        ("身份证号码", "440811197503240054"),
        ("工作单位", "湛江市麻章区鑫达五金制品厂", "职务", "厂长"),
        ("所在县（市、区）", "麻章区", "手机号码", "13600271968"),
        ("电子邮箱", "wujh1975@qq.com"),
        ("专业领域", typed_ticks(EXPERTISE, ("智能制造",))),
        ("服务形式", typed_ticks(MODES, ("线下志愿服务",))),
        ("专业特长", "五金冲压工艺改进。"),
        ("填表日期", "二〇二〇年十月八日"),
    ]))
    return form.bytes()


def dates_with_dots_and_slashes() -> bytes:
    """05 .wps: a birth date written with slashes and the day, the date filled in with dots."""
    form = WordForm()
    form.title()
    form.table(four_columns([
        ("姓名", "陈素梅", "性别", "女"),
        ("出生年月", "1975/03/08", "民族", "黎族"),
        ("身份证号码", "440825197503080028"),
        ("工作单位", "徐闻县菠萝产业协会", "职务", "秘书长"),
        ("所在县（市、区）", "徐闻县", "手机号码", "13929701186"),
        ("电子邮箱", "xwboluo@163.com"),
        ("专业领域", typed_ticks(EXPERTISE, ("行业发展", "外贸"))),
        ("服务形式", typed_ticks(MODES, ("精准对接",))),
        ("专业特长", "菠萝深加工与农产品出口。"),
        ("填表日期", "2021.3.8"),
    ]))
    return form.bytes()


def two_applicants() -> bytes:
    """06: a company sends both its experts in one file, a page break between them."""
    form = WordForm()
    people = [
        ("冯志刚", "男", "1983-7", "440803198307120017", "湛江港湾物流有限公司", "运营总监", "霞山区", "13802673319",
         "fengzg@zjgw.com", ("数字化转型", "企业管理"), ("线上志愿服务",), "物流企业信息化与流程优化。", "2024年11月4日"),
        ("李婉清", "女", "1988.09", "440823198809260066", "湛江港湾物流有限公司", "财务主管", "遂溪县", "13531098264",
         "liwanqing@zjgw.com", ("财税", "会计"), ("线上志愿服务", "线下志愿服务"), "企业财务报表分析与纳税筹划。", "2024年11月4日"),
    ]
    for number, (name, gender, birth, id_number, employer, position, county, mobile, email, expertise, modes,
                 specialty, date) in enumerate(people):
        if number:
            form.page_break()
        form.title()
        form.table(four_columns([
            ("姓名", name, "性别", gender), ("出生年月", birth, "民族", "汉族"),
            ("身份证号码", id_number), ("工作单位", employer, "职务", position),
            ("所在县（市、区）", county, "手机号码", mobile), ("电子邮箱", email),
            ("专业领域", typed_ticks(EXPERTISE, expertise)), ("服务形式", typed_ticks(MODES, modes)),
            ("专业特长", specialty), ("填表日期", date),
        ]))
    return form.bytes()


def printed_form(person: dict) -> bytes:
    """07: the whole printed form, as it goes under a scanner or a phone."""
    form = WordForm("Noto Serif CJK SC", 11)  # this machine's stand-in for 宋体
    form.title()
    form.table(four_columns([
        ("姓　　名", person["name"], "性　　别", person["gender"]),
        ("出生年月", person["birth"], "民　　族", "汉族"),
        ("政治面貌", person["party"], "学　　历", person["education"]),
        ("学　　位", person["degree"], "职　　称", person["title"]),
        ("身份证号码", person["id"]),
        ("工作单位", person["employer"], "职　　务", person["position"]),
        ("所在县（市、区）", person["county"], "手机号码", person["mobile"]),
        ("办公电话", person["office"], "电子邮箱", person["email"]),
        ("专业领域", typed_ticks(EXPERTISE, person["expertise"])),
        ("服务形式", typed_ticks(MODES, person["modes"])),
        ("专业特长", person["specialty"]),
        ("可提供志愿服务时间", person["time"]),
    ]), widths=FOUR_COLUMN_WIDTHS)
    form.paragraph(DECLARATION)
    form.paragraph(f"填表日期：{person['date']}")
    return form.bytes()


SCANNED = dict(name="林翀", gender="男", birth="1981年9月", party="群众", education="本科", degree="学士",
               title="高级工程师", id="44080219810914007X", employer="湛江市赤坎区精工模具有限公司", position="副总经理",
               county="赤坎区", mobile="13828105537", office="0759-3187642", email="linchong@jgmold.cn",
               expertise=("智能制造", "科技创新"), modes=("线下志愿服务", "精准对接"),
               specialty="注塑模具设计与生产线改造。", time="周末", date="2024年12月2日")
PHOTOGRAPHED = dict(name="许婧", gender="女", birth="1977年8月", party="中共党员", education="硕士研究生", degree="硕士",
                    title="高级经济师", id="44088319770809008X", employer="吴川市羽绒产业服务中心", position="主任",
                    county="吴川市", mobile="13680497213", office="0759-5561029", email="xujing77@163.com",
                    expertise=("政策解读", "行业发展"), modes=("线上志愿服务",),
                    specialty="产业政策解读与企业申报辅导。", time="工作日晚上", date="2024年12月5日")


def partial_form(rest_of_form_png: bytes) -> bytes:
    """08: the title, two answers typed in, the rest of the form pasted as a picture."""
    form = WordForm()
    form.title()
    form.paragraph("姓名：何志远")
    form.paragraph("手机号码：13927588641")
    form.picture(rest_of_form_png, 12)
    return form.bytes()


def rest_of_form_png() -> bytes:
    """A small screenshot of empty form rows: pixels, no text for a reader."""
    image = Image.new("L", (600, 160), 255)
    draw = ImageDraw.Draw(image)
    for y in range(0, 161, 40):
        draw.line([(0, min(y, 159)), (599, min(y, 159))], fill=0)
    for x in (0, 150, 300, 450, 599):
        draw.line([(x, 0), (x, 159)], fill=0)
    image.save(out := io.BytesIO(), "PNG", optimize=True)
    return out.getvalue()


def resume() -> bytes:
    """09: a résumé in a table of the form's own labels, sent with an application."""
    form = WordForm()
    form.title("个 人 简 历")
    form.table([
        ["姓名", "蔡晓东", "性别", "男"],
        ["出生年月", "1985年3月", "民族", "汉族"],
        ["毕业院校", "广东海洋大学", "专业", "食品科学与工程"],
        ["联系电话", "13556912048", "电子邮箱", "caixd@foxmail.com"],
        ["求职意向", Cell("食品企业质量管理", span=3)],
        ["工作经历", Cell("2008年至2015年　湛江某食品有限公司　质检员\n2015年至今　湛江某罐头厂　品质部经理", span=3)],
        ["自我评价", Cell("熟悉HACCP体系，善于沟通。", span=3)],
    ])
    return form.bytes()


def cover_letter() -> bytes:
    """09 PDF: a cover letter that names the form and gives a phone number."""
    form = WordForm("仿宋", 12)
    form.title("自荐信")
    for line in ("尊敬的湛江市中小企业服务中心：",
                 "　　本人周文彬，现任湛江市霞山区诚信会计师事务所合伙人，从事财税工作十五年。看到贵中心招募中小企业"
                 "志愿服务专家的通知，特申请加入。《湛江市中小企业志愿服务专家报名表》已填好，见附件。",
                 "　　联系电话：13902596638；电子邮箱：zhouwb@chengxin-cpa.cn。",
                 "此致", "敬礼！"):
        form.paragraph(line)
    form.paragraph("申请人：周文彬", align="right")
    form.paragraph("二〇二四年十一月二十日", align="right")
    return form.bytes()


# ---- building ----------------------------------------------------------------

def build(out: Path, only: str = "") -> list[Path]:
    docx = {
        "01-label-wordings.docx": wordings_nobody_listed(),
        "02-composite-labels.docx": composite_labels_in_cells(),
        "03-not-the-answer.docx": text_that_is_not_the_answer(),
        "04-tick-before-with-spaces.docx": ticks_before_with_spaces(),
        "04-tick-wingdings.docx": wingdings_ticks(),
        "04-tick-content-controls.docx": content_control_ticks(),
        "04-tick-after-and-short-forms.docx": ticks_after_and_short_forms(),
        "05-dates-chinese-numerals.docx": dates_in_chinese_numerals(),
        "06-two-applicants.docx": two_applicants(),
        "08-partial-form.docx": partial_form(rest_of_form_png()),
        "09-resume.docx": resume(),
    }
    # (format, source .docx): LibreOffice writes these, as it would for the applicant.
    converted = {
        "01-label-wordings.doc": ("doc", docx["01-label-wordings.docx"]),
        "02-composite-labels.pdf": ("pdf", composite_labels_in_paragraphs()),
        "04-tick-wingdings.doc": ("doc", docx["04-tick-wingdings.docx"]),
        "04-tick-content-controls.wps": ("wps", docx["04-tick-content-controls.docx"]),
        "04-tick-wingdings2.pdf": ("pdf", wingdings2_ticks_for_pdf()),
        "05-dates-dots-and-slashes.wps": ("wps", dates_with_dots_and_slashes()),
        "09-cover-letter.pdf": ("pdf", cover_letter()),
        "07-scan": ("pdf", printed_form(SCANNED)),
        "07-photo": ("pdf", printed_form(PHOTOGRAPHED)),
    }
    files = dict(docx)
    for fmt in ("doc", "wps", "pdf"):
        wanted = {name: source for name, (kind, source) in converted.items() if kind == fmt and name.startswith(only)}
        files.update(scans.docx_to_many(fmt, wanted))
    if "07-scan" in files:
        files["07-flatbed-scan.jpg"] = scans.scan_image(scans.render_pages(files.pop("07-scan"), 200)[0], seed=907)
    if "07-photo" in files:
        files["07-phone-photo.jpg"] = scans.phone_photo(scans.render_pages(files.pop("07-photo"), 180)[0], seed=911)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in sorted(files.items()):
        if name.startswith(only):
            (path := out / name).write_bytes(data)
            written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=GOLDEN_DIR)
    parser.add_argument("--only", default="", help="build only the cases whose file name starts so (e.g. 04-)")
    args = parser.parse_args()
    for path in build(args.out, args.only):
        print(f"{path.stat().st_size:>9,}  {path.name}")


if __name__ == "__main__":
    main()
