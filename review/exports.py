"""The exports, one implementation for the app and for ``intake export``.

``roster_rows`` is the public roster (姓名、工作单位、专业特长 of approved
experts, nothing else); ``report_rows`` is the provincial report (every form
field in the form's order, Chinese headers and labels) of one campaign, and
``province_report_rows`` the same across every city, with its 城市/活动 first. Both yield rows in
batches so 10,000 experts never sit in memory as ORM objects; ``write_xlsx``
and ``write_csv`` turn rows into a file. Every cell a spreadsheet could run
as a formula is neutralised by the writers, so JSON keeps the values as read.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from intake.core.config import CampaignSettings
from intake.core.labels import APPLICATION_STATUS_LABELS as STATUS_LABELS  # one set of status names for every screen and file
from intake.core.masking import mask_fields
from intake.core.models import Application
from intake.core.statuses import ApplicationStatus
from parsers.schema import FormSchema, load_schema

ROSTER_COLUMNS = (("name", "姓名"), ("employer", "工作单位"), ("specialty", "专业特长"))
REPORT_LEADING = ("编号", "状态", "收到时间", "逾期")
REPORT_TRAILING = ("缺少项", "待核对项")
PROVINCE_LEADING = "城市/活动"
BATCH_ROWS = 1000
# Excel, LibreOffice and WPS run a cell starting with these as a formula (CSV/formula injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv; charset=utf-8"

Rows = Iterator[list[str]]


def neutralise(text: str) -> str:
    """A leading quote makes a spreadsheet show the text instead of running it."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell_text(value: Any) -> str:
    """A field value as one cell: ticked lists joined by 、, nothing for no value."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "、".join(str(item) for item in value)
    return str(value)


def field_labels(keys: Iterable[str], schema: FormSchema | None = None) -> str:
    """Internal keys (``id_number``) as the form's labels (身份证号码), joined by 、."""
    schema = schema or load_schema()
    known = set(schema.keys)
    return "、".join(schema.label_for(key) if key in known else key for key in keys or ())


def status_label(status: ApplicationStatus | str) -> str:
    return STATUS_LABELS.get(ApplicationStatus(status), str(status))


# ---- what is exported -------------------------------------------------------------------------

def _campaign_filter(statement: Select, campaign: CampaignSettings, statuses) -> Select:
    statement = statement.where(Application.campaign == campaign.name)
    if statuses is not None:
        statement = statement.where(Application.status.in_(list(statuses)))
    return statement


def _streamed(session: Session, statement: Select):
    """Plain rows (not ORM objects) fetched BATCH_ROWS at a time: memory stays flat."""
    return session.execute(statement.execution_options(yield_per=BATCH_ROWS))


def roster_rows(session: Session, campaign: CampaignSettings) -> tuple[list[str], Rows]:
    """The public roster: approved experts, 姓名、工作单位、专业特长 only (PIPL: nothing else is published)."""
    statement = _campaign_filter(select(Application.fields), campaign, [ApplicationStatus.APPROVED])
    statement = statement.order_by(Application.id)

    def rows() -> Rows:
        for (fields,) in _streamed(session, statement):
            yield [cell_text((fields or {}).get(key)) for key, _label in ROSTER_COLUMNS]

    return [label for _key, label in ROSTER_COLUMNS], rows()


def report_headers(schema: FormSchema | None = None) -> list[str]:
    schema = schema or load_schema()
    return [*REPORT_LEADING, *(spec.label for spec in schema.fields), *REPORT_TRAILING]


def report_rows(session: Session, campaign: CampaignSettings, *, statuses=(ApplicationStatus.APPROVED,),
                reveal: bool = True) -> tuple[list[str], Rows]:
    """The provincial report: one row per application in ``statuses`` (None: all), form order.

    The province registers the experts by ID number, so the report carries the
    full values; ``reveal=False`` masks ID numbers and phones (the CLI default).
    """
    schema = load_schema()
    statement = _campaign_filter(
        select(Application.id, Application.reference, Application.status, Application.received_at,
               Application.is_late, Application.fields, Application.missing_fields, Application.needs_review),
        campaign, statuses,
    ).order_by(Application.id)
    tz = campaign.tz

    def rows() -> Rows:
        for row in _streamed(session, statement):
            fields = dict(row.fields or {})
            if not reveal:
                fields = mask_fields(fields)
            yield [
                row.reference or str(row.id), status_label(row.status), local_time(row.received_at, tz),
                "是" if row.is_late else "否",
                *(cell_text(fields.get(key)) for key in schema.keys),
                field_labels(row.missing_fields, schema), field_labels(row.needs_review, schema),
            ]

    return report_headers(schema), rows()


def province_report_rows(session: Session, campaigns: Sequence[CampaignSettings], *,
                         statuses=(ApplicationStatus.APPROVED,)) -> tuple[list[str], Rows]:
    """The provincial report across cities: each campaign's rows in turn (each in its own time
    zone), the campaign's title first. Full values, as the province registers the experts."""
    headers = [PROVINCE_LEADING, *report_headers()]

    def rows() -> Rows:
        for campaign in campaigns:
            _headers, campaign_rows = report_rows(session, campaign, statuses=statuses, reveal=True)
            for row in campaign_rows:
                yield [campaign.title, *row]

    return headers, rows()


def count_rows(session: Session, campaign: CampaignSettings, statuses=(ApplicationStatus.APPROVED,)) -> int:
    statement = _campaign_filter(select(func.count()).select_from(Application), campaign, statuses)
    return session.scalar(statement) or 0


def local_time(value: datetime | None, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else ""


class Counted:
    """Rows passed through and counted (the audit row says how many were exported)."""

    def __init__(self, rows: Iterable[list[str]]) -> None:
        self._rows = rows
        self.count = 0

    def __iter__(self) -> Rows:
        for row in self._rows:
            self.count += 1
            yield row


# ---- the files ----------------------------------------------------------------------------------

def write_xlsx(headers: list[str], rows: Iterable[list[str]], *, sheet_title: str = "名单") -> bytes:
    """An .xlsx whose every cell is text (format "@"): ID numbers stay digits, formulas stay inert."""
    workbook = Workbook(write_only=True)  # rows go straight to the file, not into a sheet model
    sheet = workbook.create_sheet(sheet_title)

    def text_cells(values: Iterable[Any]) -> list[WriteOnlyCell]:
        cells = []
        for value in values:
            # Mail and OCR can carry control characters the xlsx XML cannot hold.
            cell = WriteOnlyCell(sheet, value=neutralise(ILLEGAL_CHARACTERS_RE.sub("", cell_text(value))))
            cell.number_format = "@"
            cells.append(cell)
        return cells

    sheet.append(text_cells(headers))
    for row in rows:
        sheet.append(text_cells(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_csv(headers: list[str], rows: Iterable[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralise(cell_text(value)) for value in headers])
    for row in rows:
        writer.writerow([neutralise(cell_text(value)) for value in row])
    # Excel in China opens BOM-less UTF-8 CSV as GBK and garbles it.
    return buffer.getvalue().encode("utf-8-sig")


WRITERS = {"xlsx": (write_xlsx, XLSX_MIME), "csv": (write_csv, CSV_MIME)}
