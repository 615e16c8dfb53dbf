"""The golden files that are Word documents and what LibreOffice makes of
them (.doc, .wps, PDF): the office cases ``devtools.golden_inputs`` builds.

Each function is one case: a form as someone outside this project writes
it, its values written out exactly as they stand on the form, so a
reviewer reads the case here and its truth in the expected JSON.
"""
from __future__ import annotations

import io

from PIL import Image, ImageDraw

from devtools.golden_word import (
    DECLARATION, EXPERTISE, FOUR_COLUMN_WIDTHS, MODES, Cell, CheckBoxControl, FormCheckBox, WordForm, four_columns,
    marked_options, typed_ticks, wingdings, wingdings2,
)


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


# ---- .doc files whose table LibreOffice loses -----------------------------------
# A .docx whose body ends in its table (no paragraph after it, as converters
# and web forms write one) comes out of LibreOffice's .doc export without
# the table's marks: reading the .doc back, LibreOffice sees paragraphs.

def doc_table_lost() -> bytes:
    """14 .doc: check-box content controls in the cells, the table ending the document."""
    form = WordForm()
    form.title()
    form.table(four_columns([
        ("姓名", "钟永康", "性别", "男"),
        ("出生年月", "1967年4月", "民族", "汉族"),
        ("身份证号码", "440881196704150017"),
        ("工作单位", "廉江市华兴电器有限公司", "职务", "董事长"),
        ("所在县（市、区）", "廉江市", "手机号码", "13509928461"),
        ("电子邮箱", "zhongyk@hxdq.com.cn"),
        ("专业领域（可多选）", marked_options(CheckBoxControl, EXPERTISE, ("智能制造", "外贸"))),
        ("服务形式", marked_options(CheckBoxControl, MODES, ("线上志愿服务",))),
        ("专业特长", "小家电出口认证与海外市场开拓。"),
        ("填表日期", "2024年12月16日"),
    ]), widths=FOUR_COLUMN_WIDTHS)
    return form.bytes(ends_in_table=True)


def long_answer_split() -> bytes:
    """15 .doc: labels over their answers beside a photo column merged down,
    long answers of several paragraphs in a full-width cell under their
    label, the table ending the document."""
    form = WordForm()
    form.title()
    photo = Cell("（照片）", down=4)
    wide = lambda text: Cell(text, span=5)  # noqa: E731
    form.table([
        ["姓名", "性别", "出生年月", "政治面貌", photo],
        ["郑志坚", "男", "1969年2月", "中共党员"],
        ["学历", "学位", "职称", "职务"],
        ["本科", "学士", "高级经济师", "总经理"],
        ["身份证号码", Cell("440803196902280016", span=4)],
        ["工作单位", Cell("湛江市霞山区海港物流有限公司", span=4)],
        ["所在县（市、区）", Cell("霞山区", span=4)],
        ["手机号码", Cell("13702853196", span=4)],
        ["专业领域", Cell(typed_ticks(EXPERTISE, ("行业发展", "企业管理")), span=4)],
        ["服务形式", Cell(typed_ticks(MODES, ("线下志愿服务", "精准对接")), span=4)],
        [wide("主要工作经历")],
        [wide("1991年—2003年　湛江港务局　调度员\n2003年—2012年　湛江市某船务代理公司　业务经理\n"
              "2012年至今　湛江市霞山区海港物流有限公司　总经理")],
        [wide("服务中小企业业绩")],
        [wide("近三年为28家中小企业优化仓储与运输方案；\n牵头组织霞山区物流企业交流会4次。")],
        ["可提供志愿服务时间", Cell("每月最后一个周六", span=4)],
    ])
    return form.bytes(ends_in_table=True)


def another_citys_form() -> bytes:
    """25: the same programme's form from Maoming, read with Maoming's counties
    (the expected JSON's ``options``): the county written short (``高州``), the
    address with the city before it; against the form's own (Zhanjiang's) list
    it would be left as written and flagged."""
    form = WordForm("仿宋")
    form.paragraph("茂名市中小企业志愿服务专家报名表")
    form.table(four_columns([
        ("姓名", "冯志坚", "性别", "男"),
        ("出生年月", "1978年6月", "民族", "汉族"),
        ("政治面貌", "中共党员", "学历", "本科"),
        ("学位", "学士", "职称", "高级工程师"),
        ("身份证号码", "440981197806150034"),
        ("工作单位", "高州市润丰果业有限公司", "职务", "总经理"),
        ("所在县（市、区）", "高州", "手机号码", "13822561378"),
        ("电子邮箱", "fengzj78@163.com", "办公电话", "0668-6623105"),
        ("通讯地址", "广东省茂名市高州市府前路18号"),
        ("专业领域", typed_ticks(EXPERTISE, ("数字化转型", "行业发展"))),
        ("服务形式", typed_ticks(MODES, ("线下志愿服务", "精准对接"))),
        ("专业特长", "水果加工企业的数字化生产管理。"),
        ("填表日期", "2024年5月6日"),
    ]))
    return form.bytes()
