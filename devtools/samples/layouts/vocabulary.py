"""How people word and write the SME expert application form, collected
independently of the parser's own table of labels.

For each field several label wordings (the printed form's, and the ones
other offices' templates use), the composite labels that hold two fields
in one cell, the ways a tick is drawn, the ways a date or a county is
written, and the text that sits on a form without being an answer (photo
boxes, signature lines, stamps, the declaration).
"""
from __future__ import annotations

TITLES = ("湛江市中小企业志愿服务专家报名表", "湛江市中小企业志愿服务专家申请表",
          "湛江市中小企业服务中心志愿服务专家报名登记表", "湛江市中小企业志愿服务专家入库申报表")

# Every field's wordings, from the usual to the rare; the first is the plainest.
LABELS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "专家姓名", "申请人姓名", "申报人", "姓名（中文）"),
    "gender": ("性别",),
    "birth_date": ("出生年月", "出生日期", "出生年月日", "出生时间", "生年月"),
    "ethnicity": ("民族", "族别"),
    "political_status": ("政治面貌", "党派", "政治身份", "党派面貌"),
    "education": ("学历", "最高学历", "文化程度", "学历（最高）"),
    "degree": ("学位", "最高学位", "所获学位"),
    "title": ("职称", "专业技术职称", "技术职称", "专业技术资格", "职称/职业资格"),
    "id_number": ("身份证号码", "身份证号", "身份证件号码", "公民身份证号", "公民身份号码", "证件号码（身份证）"),
    "employer": ("工作单位", "所在单位", "单位名称", "现工作单位", "任职单位", "就职单位"),
    "position": ("职务", "现任职务", "担任职务", "行政职务", "岗位/职务"),
    "county": ("区县（市）", "所属区域", "所在县区", "所在区县", "所属县（市、区）", "县（市、区）", "所在地区",
               "归属区县"),
    "mobile": ("手机", "手机号码", "移动电话", "手机号", "联系手机", "联系电话（手机）"),
    "office_phone": ("办公电话", "单位电话", "固定电话", "办公室电话", "座机", "联系电话（办公）"),
    "email": ("电子邮箱", "电子邮件", "邮箱", "E-mail", "Email", "电子信箱"),
    "address": ("通讯地址", "联系地址", "通信地址", "详细地址", "单位地址"),
    "expertise": ("专业领域", "擅长领域", "服务领域", "专长领域", "志愿服务领域", "专业方向"),
    "service_modes": ("服务形式", "服务方式", "志愿服务形式", "参与方式", "服务类型"),
    "specialty": ("专业特长", "业务专长", "个人专长", "擅长业务", "专长及研究方向"),
    "experience": ("主要工作经历", "个人履历", "工作简历", "工作经历", "从业经历", "个人简历"),
    "achievements": ("主要业绩", "辅导企业情况", "主要工作业绩", "服务中小企业业绩", "工作成果", "业绩及获奖情况"),
    "available_time": ("可服务时间", "可提供服务时间", "志愿服务时间", "服务时间安排", "可参加服务的时间"),
    "fill_date": ("填表日期", "填报日期", "日期", "申报日期", "填表时间"),
}

# Notes printed after a label, as templates add them.
LABEL_NOTES: dict[str, tuple[str, ...]] = {
    "expertise": ("（可多选）", "（请打√）", "（可多选，请在□内打√）"),
    "service_modes": ("（可多选）", "（请勾选）"),
    "experience": ("（从参加工作写起）", "（限500字）"),
    "achievements": ("（近三年）", "（限300字）"),
    "specialty": ("（限200字）",),
    "office_phone": ("（选填）",),
}

# Two fields under one label: (keys, wordings, how the two values are joined).
COMPOSITES: tuple[tuple[tuple[str, str], tuple[str, ...], tuple[str, ...]], ...] = (
    (("education", "degree"), ("学历/学位", "学历学位", "学历（学位）", "学历及学位"), ("/", "／", "，", "　")),
    (("employer", "position"), ("工作单位及职务", "单位及职务", "工作单位/职务", "工作单位和职务"), ("　", "/", " ", "，")),
    (("gender", "ethnicity"), ("性别/民族", "性别、民族"), ("/", "、")),
    (("birth_date", "age"), ("出生年月/年龄", "出生年月（年龄）"), ("/", "　")),
)

EXPERTISE_OPTIONS = ("政策解读", "数字化转型", "智能制造", "行业发展", "科技创新", "外贸", "法律", "财税", "会计",
                     "企业管理", "其他")
SERVICE_OPTIONS = ("线上志愿服务", "线下志愿服务", "精准对接")
SHORT_SERVICE = {"线上志愿服务": ("线上", "线上服务"), "线下志愿服务": ("线下", "线下服务"),
                 "精准对接": ("对接", "精准对接服务")}
OPTIONS = {"expertise": EXPERTISE_OPTIONS, "service_modes": SERVICE_OPTIONS}

# How a ticked / unticked option is marked. Glyph styles put text marks
# around the option; the others are Word objects the renderer writes as XML.
TICK_STYLES = ("box_before", "check_before_spaces", "paren_after", "square", "tick_glyph", "crossed_box",
               "sym_wingdings2", "sym_wingdings", "content_control", "form_field", "plain_list")
GLYPH_TICKS = {  # style -> (mark before a ticked option, before an unticked one)
    "box_before": ("☑", "□"),
    "square": ("■", "□"),
    "tick_glyph": ("✓", "□"),
    "crossed_box": ("☒", "☐"),
    "check_before_spaces": ("√", ""),
}
PAREN_TICKS = (("（√）", "（　）"), ("(√)", "( )"), ("（√）", "（ ）"))
SYMBOL_TICKS = {  # style -> (font, ticked char, unticked char)
    "sym_wingdings2": ("Wingdings 2", "F052", "F0A3"),
    "sym_wingdings": ("Wingdings", "F0FE", "F0A8"),
}
LIST_SEPARATORS = ("、", "，", "；", " ", "　")
OPTION_GAPS = (" ", "　", "  ", "　 ")

COUNTIES = {"赤坎区": "440802", "霞山区": "440803", "坡头区": "440804", "麻章区": "440811", "遂溪县": "440823",
            "徐闻县": "440825", "廉江市": "440881", "雷州市": "440882", "吴川市": "440883", "湛江经济技术开发区": "440800"}
COUNTY_WRITINGS = {"湛江经济技术开发区": ("湛江经济技术开发区", "开发区", "湛江开发区", "经济技术开发区")}

FONTS = ("宋体", "仿宋", "楷体", "黑体", "仿宋_GB2312", "楷体_GB2312")
FONT_SIZES = (10.5, 11.0, 12.0)
COLONS = ("：", ":", "")
STARS = ("*", "＊")

# Text on the form that is no answer.
PHOTO_TEXTS = ("照片", "（近期二寸照片）", "近期免冠\n一寸彩照", "（照片）", "贴照片处")
SIGNATURE_LINES = ("申请人签字：　　　　　　　年　　月　　日", "本人签名：＿＿＿＿＿＿", "签名（手写）：",
                   "申请人（签名）：　　　　　　　　　　年　　月　　日")
UNIT_OPINIONS = (("所在单位意见", "（盖章）\n　　　　年　　月　　日"), ("推荐单位意见", "负责人签字：　　　（公章）"),
                 ("单位推荐意见", "　\n　　　　　　　（盖章）"))
REVIEW_ROWS = (("审核意见", "　\n经办人：　　　　　年　月　日"), ("中心审核意见", ""))
NUMBER_LINES = ("编号：", "序号：＿＿＿＿", "表号：ZJZX-01")
DECLARATIONS = ("本人承诺以上信息真实有效，自愿参加湛江市中小企业志愿服务。",
                "本人承诺：以上所填内容真实、准确，如有虚假，愿承担相应责任。",
                "声明：本人自愿成为湛江市中小企业志愿服务专家，遵守志愿服务相关规定，所填信息属实。")
FOOTNOTES = ("注：1.请用黑色签字笔填写或电子录入；2.专业领域可多选。", "备注：此表一式两份。",
             "填表说明：请如实填写，带*号为必填项。")
