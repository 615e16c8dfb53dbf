"""Attachments that come with an application but are not the form: a
résumé laid out as a table of labels (姓名, 出生年月…) and a cover letter
that names the form. Both must give no form."""
from __future__ import annotations

import io
import random

from docx import Document
from docx.shared import Pt

from devtools.samples.layouts.people import draw_person, write_birth


def resume_docx(seed: int) -> bytes:
    rng = random.Random(seed)
    person = draw_person(rng)
    document = Document()
    document.add_heading("个人简历", level=1)
    rows = [("姓名", person.name, "性别", person.gender), ("出生年月", write_birth(person.birth, rng), "民族", person.ethnicity),
            ("毕业院校", rng.choice(("暨南大学", "华南理工大学", "广东海洋大学")), "专业", rng.choice(("会计学", "法学", "机械工程"))),
            ("联系电话", person.mobile, "电子邮箱", person.email)]
    table = document.add_table(rows=len(rows) + 3, cols=4)
    table.style = "Table Grid"
    for number, row in enumerate(rows):
        for column, text in enumerate(row):
            table.cell(number, column).text = text
    for offset, (label, text) in enumerate((("求职意向", "财务经理"), ("工作经历", "\n".join(person.experience)),
                                            ("自我评价", "工作认真负责，沟通能力强，熟悉企业财税实务。"))):
        row = len(rows) + offset
        table.cell(row, 0).text = label
        table.cell(row, 1).merge(table.cell(row, 3)).text = text
    document.save(out := io.BytesIO())
    return out.getvalue()


def cover_letter_docx(seed: int) -> bytes:
    rng = random.Random(seed)
    person = draw_person(rng)
    document = Document()
    document.styles["Normal"].font.size = Pt(12)
    for line in ("自荐信", "尊敬的湛江市中小企业服务中心：",
                 f"　　本人{person.name}，现任{person.employer}{person.position}，从事{person.expertise[0]}工作多年。"
                 "看到贵中心招募中小企业志愿服务专家的通知，特申请加入，《湛江市中小企业志愿服务专家报名表》见附件。",
                 f"　　联系电话：{person.mobile}；电子邮箱：{person.email}。", "此致", "敬礼！",
                 f"申请人：{person.name}", f"{person.fill_date[:4]}年{int(person.fill_date[5:7])}月{int(person.fill_date[8:])}日"):
        document.add_paragraph(line)
    document.save(out := io.BytesIO())
    return out.getvalue()
