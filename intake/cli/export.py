"""Export applications as JSON, CSV or XLSX — masked by default; a roster shows only 姓名/单位/专业特长."""
from __future__ import annotations

import csv
import io
import json
from typing import Any

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from intake.core.masking import mask_fields
from intake.core.models import Application, Message
from intake.core.statuses import ApplicationStatus
from parsers.schema import load_schema

ROSTER_COLUMNS = [("name", "姓名"), ("employer", "工作单位"), ("specialty", "专业特长")]


def application_records(*, session: Session, reveal: bool = False) -> list[dict[str, Any]]:
    applications = session.scalars(
        select(Application)
        .options(selectinload(Application.message).selectinload(Message.attachments))
        .order_by(Application.id)
    ).all()
    records = []
    for app in applications:
        message = app.message
        fields = dict(app.fields or {})
        records.append(
            {
                "id": app.id,
                "reference": app.reference,
                "status": app.status.value,
                "sender": app.sender,
                "subject": message.subject if message else "",
                "received_at": message.received_at.isoformat() if message else None,
                "late": app.is_late,
                "version": app.version,
                "fields": fields if reveal else mask_fields(fields),
                "missing_fields": list(app.missing_fields or []),
                "needs_review": list(app.needs_review or []),
                "attachments": [
                    {"filename": a.filename, "content_type": a.content_type, "sha256": a.sha256}
                    for a in (message.attachments if message else [])
                ],
            }
        )
    return records


def roster_records(*, session: Session) -> list[dict[str, str]]:
    """Only approved experts, only the three published items (nothing else is ever published)."""
    applications = session.scalars(
        select(Application).where(Application.status == ApplicationStatus.APPROVED).order_by(Application.id)
    ).all()
    return [{label: str((app.fields or {}).get(key) or "") for key, label in ROSTER_COLUMNS} for app in applications]


def to_json(records: list[dict[str, Any]]) -> bytes:
    return (json.dumps(records, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _flat_rows(records: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    if records and "fields" not in records[0]:
        header = list(records[0].keys())
        return header, [[str(r[h]) for h in header] for r in records]
    labels = [(spec.key, spec.label) for spec in load_schema().fields]
    header = ["编号", "状态", "发件人", "邮件主题", "收到时间", "逾期"] + [label for _, label in labels] + ["缺少项", "待核对项"]
    rows = []
    for r in records:
        fields = r["fields"]
        rows.append(
            [r["reference"] or str(r["id"]), r["status"], r["sender"] or "", r["subject"], r["received_at"] or "",
             "是" if r["late"] else ""]
            + [_cell(fields.get(key)) for key, _ in labels]
            + ["、".join(r["missing_fields"]), "、".join(r["needs_review"])]
        )
    return header, rows


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    text = str(value)
    # Spreadsheet apps run cells that start with these as formulas (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def to_csv(records: list[dict[str, Any]]) -> bytes:
    header, rows = _flat_rows(records)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    # Excel in China opens BOM-less UTF-8 CSV as GBK and garbles it.
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(records: list[dict[str, Any]]) -> bytes:
    header, rows = _flat_rows(records)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "报名"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


FORMATS = {"json": to_json, "csv": to_csv, "xlsx": to_xlsx}
