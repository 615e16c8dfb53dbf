"""The exports staff publish and send to the province: the right columns, Chinese labels, inert formulas."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

import pytest
from openpyxl import load_workbook

from intake.core.config import settings_from_mapping
from intake.core.db import make_engine, make_session_factory
from intake.core.models import Application, Base, Message
from intake.core.statuses import ApplicationStatus
from parsers.schema import load_schema
from review.exports import neutralise, report_rows, roster_rows, write_csv, write_xlsx

HOSTILE = ["=HYPERLINK(\"http://evil\",\"点我\")", "+86 138", "-1+1", "@SUM(A1)", "\tTAB", "\rCR"]
ORDINARY = ["张伟", "湛江市霞山区人民大道中 1 号", "a=b", "1978-05", "财税、会计", ""]


@pytest.fixture
def session(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'exports.sqlite3'}")
    Base.metadata.create_all(engine)
    with make_session_factory(engine)() as session:
        yield session
    engine.dispose()


@pytest.fixture
def campaign(tmp_path):
    return settings_from_mapping({
        "mailbox": {"host": "127.0.0.1"}, "smtp": {"host": "127.0.0.1", "from_address": "a@126.com"},
        "storage": {"path": str(tmp_path / "store")}, "campaign": {"name": "zj-2020", "deadline": "2020-09-25"},
    }, base_dir=tmp_path).campaigns[0]


def add(session, number: int, status: ApplicationStatus, **fields) -> Application:
    when = datetime(2020, 9, 20, 2, number, tzinfo=timezone.utc)
    message = Message(raw_sha256=f"{number:064d}", size=1, body_sha256="0" * 64, received_at=when)
    values = {"name": f"专家{number}", "employer": "湛江某公司", "specialty": "财税咨询", "id_number": "440802197805121234",
              "mobile": "13812341234", "county": "霞山区", "expertise": ["财税", "会计"], **fields}
    application = Application(campaign="zj-2020", reference=f"ZJZJ-2020-{number:04d}", status=status, message=message,
                              fields=values, received_at=when, is_late=number % 2 == 0,
                              missing_fields=["office_phone"], needs_review=["id_number", "mobile"])
    application.sync_columns()
    session.add(application)
    session.flush()
    return application


def test_formula_starts_are_neutralised_and_ordinary_text_is_not():
    assert [neutralise(value) for value in HOSTILE] == ["'" + value for value in HOSTILE]
    assert [neutralise(value) for value in ORDINARY] == ORDINARY


def test_roster_has_exactly_the_three_public_columns_of_approved_experts(session, campaign):
    add(session, 1, ApplicationStatus.APPROVED)
    add(session, 2, ApplicationStatus.PENDING_REVIEW)
    add(session, 3, ApplicationStatus.REJECTED)

    headers, rows = roster_rows(session, campaign)

    assert headers == ["姓名", "工作单位", "专业特长"]
    assert list(rows) == [["专家1", "湛江某公司", "财税咨询"]]


def test_report_follows_the_form_order_with_chinese_headers_and_labels(session, campaign):
    add(session, 1, ApplicationStatus.APPROVED)
    add(session, 2, ApplicationStatus.PENDING_REVIEW)
    schema = load_schema()

    headers, rows = report_rows(session, campaign)
    [row] = list(rows)

    assert headers == ["编号", "状态", "收到时间", "逾期", *(spec.label for spec in schema.fields), "缺少项", "待核对项"]
    record = dict(zip(headers, row))
    assert record["编号"] == "ZJZJ-2020-0001" and record["状态"] == "已通过"
    assert record["收到时间"] == "2020-09-20 10:01" and record["逾期"] == "否"  # Asia/Shanghai
    assert record["身份证号码"] == "440802197805121234"  # the province registers experts by ID number
    assert record["专业领域"] == "财税、会计"
    assert record["缺少项"] == "办公电话" and record["待核对项"] == "身份证号码、手机号码"


def test_report_for_the_command_line_can_cover_every_status_masked(session, campaign):
    add(session, 1, ApplicationStatus.INCOMPLETE)
    add(session, 2, ApplicationStatus.REJECTED)

    headers, rows = report_rows(session, campaign, statuses=None, reveal=False)
    records = [dict(zip(headers, row)) for row in rows]

    assert [r["状态"] for r in records] == ["待补充", "未通过"]
    assert records[0]["身份证号码"] == "440802********1234" and records[0]["手机号码"] == "138****1234"


def test_xlsx_cells_are_text_and_formulas_inert(session, campaign):
    add(session, 1, ApplicationStatus.APPROVED, name="=1+1", employer="@evil", specialty="ID 440802197805121234")
    headers, rows = report_rows(session, campaign)

    sheet = load_workbook(io.BytesIO(write_xlsx(headers, rows))).active
    cells = [cell for row in sheet.iter_rows() for cell in row]

    assert all(cell.data_type == "s" and cell.number_format == "@" for cell in cells if cell.value is not None)
    values = {headers[cell.column - 1]: cell.value for cell in cells if cell.row == 2}
    assert values["姓名"] == "'=1+1" and values["工作单位"] == "'@evil"
    assert values["身份证号码"] == "440802197805121234"  # text, not 4.40802E+17


def test_csv_opens_in_excel_as_utf8_with_formulas_inert():
    data = write_csv(["姓名", "专业特长"], [["-2+3", "熟悉财税、会计"], ["张伟", "\r=cmd"]])

    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows == [["姓名", "专业特长"], ["'-2+3", "熟悉财税、会计"], ["张伟", "'\r=cmd"]]
