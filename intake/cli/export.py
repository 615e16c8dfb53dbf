"""``intake export``: the review app's exports (``review.exports``) written to a file or stdout.

csv and xlsx are the same files the app downloads (the roster, or the report of
every application, masked unless ``--reveal``); json keeps its own shape for
scripts: a list of ``{id, reference, status, sender, subject, received_at,
late, version, fields, missing_fields, needs_review, attachments}``.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from intake.core.config import CampaignSettings
from intake.core.masking import mask_fields
from intake.core.models import Application, Message
from review.exports import BATCH_ROWS, WRITERS, Counted, report_rows, roster_rows


def export_applications(session: Session, campaign: CampaignSettings, *, fmt: str, roster: bool = False,
                        reveal: bool = False) -> tuple[bytes, int]:
    """The file's bytes and how many applications it holds."""
    if roster:
        headers, rows = roster_rows(session, campaign)
    elif fmt == "json":
        records = list(json_records(session, campaign, reveal=reveal))
        return _json(records), len(records)
    else:
        headers, rows = report_rows(session, campaign, statuses=None, reveal=reveal)
    if fmt == "json":  # the roster as JSON: [{"姓名": …, "工作单位": …, "专业特长": …}]
        records = [dict(zip(headers, row)) for row in rows]
        return _json(records), len(records)
    write, _mime = WRITERS[fmt]
    counted = Counted(rows)
    return write(headers, counted), counted.count


def json_records(session: Session, campaign: CampaignSettings, *, reveal: bool = False) -> Iterator[dict[str, Any]]:
    statement = (
        select(Application)
        .where(Application.campaign == campaign.name)
        .options(selectinload(Application.message).selectinload(Message.attachments))
        .order_by(Application.id)
        .execution_options(yield_per=BATCH_ROWS)
    )
    for app in session.scalars(statement):
        message = app.message
        fields = dict(app.fields or {})
        yield {
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


def _json(records: list[dict[str, Any]]) -> bytes:
    return (json.dumps(records, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
