"""One application: the original's pages beside the parsed fields, its mail, versions and history.

Also the attachment downloads (always as a download, or inline only for a PDF
or an image with its own content type, never as HTML) and the audited reveal
of a masked ID number or phone number.

Page images are served with the ID and phone numbers located on them filled in
(``review.page_masking``). The page a reveal returns asks for its images with
``?reveal=<the reveal's audit entry>``, which shows that one number on them in
full for a while, to the person who revealed it and only while their role may.

An application is read in its own campaign (``review.campaign_access``): 404 for one the person
may not read, read-only for a provincial reader without a role in it.
"""
from __future__ import annotations

import io
import re
from pathlib import Path

from flask import Blueprint, abort, g, render_template, request, send_file
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from intake.core.blobstore import BlobStore
from intake.core.masking import ID_NUMBER_KEYS, PHONE_KEYS, redact_text
from intake.core.config import CampaignSettings
from intake.core.models import Application, Attachment, AuditEntry, Message, utcnow
from parsers.schema import load_schema
from review import audit
from review.campaign_access import is_admin_in, may_act_in, readable_application, readable_attachment
from review.detail_data import details_text, email_text, field_views, version_views
from review.duplicates import possible_duplicates
from review.page_masking import Reveal, granted_reveal, plan_page, readings_of
from review.pages import NO_PREVIEW, NoSuchPage, PagePreviews, PreviewUnavailable, write_atomic
from review.source_boxes import places_of_fields
from review.queue_query import STATUS_LABELS, neighbour_id
from review.request_scope import client_address, db, settings
from review.views.queue import STATUS_BADGES, local_time

blueprint = Blueprint("detail", __name__)

HISTORY_LIMIT = 200
_INLINE_TYPES = ((b"%PDF-", "application/pdf"), (b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"),
                 (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"))
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


def _blobs() -> BlobStore:
    return BlobStore(Path(settings().storage.path) / "blobs")


def _previews() -> PagePreviews:
    return PagePreviews(Path(settings().storage.path), _blobs(),
                        int(settings().parsing.max_attachment_mb * 1024 * 1024))


def _application(app_id: int) -> tuple[Application, CampaignSettings]:
    return readable_application(app_id, selectinload(Application.versions))


@blueprint.route("/applications/<int:app_id>")
def show(app_id: int):
    return _render(*_application(app_id))


@blueprint.route("/applications/<int:app_id>/reveal", methods=["POST"])
def reveal(app_id: int):
    """The full value of one masked field, in this one response only; audited."""
    application, campaign = _application(app_id)
    key = request.form.get("field", "")
    if key not in ID_NUMBER_KEYS | PHONE_KEYS:
        abort(400)
    if not may_act_in(campaign.name) or (key in ID_NUMBER_KEYS and not is_admin_in(campaign.name)):
        abort(403)  # reviewers may see phone numbers in full; only the campaign's admin sees ID numbers
    entry = audit.record(db(), "reveal", username=g.user.username, application_id=application.id,
                         details={"field": key}, address=client_address())
    db().commit()
    return _render(application, campaign, revealed=key, reveal_entry=entry.id)


def _render(application: Application, campaign: CampaignSettings, revealed: str | None = None,
            reveal_entry: int | None = None):
    session, schema = db(), load_schema()
    queue_args = request.values.get("queue", "")[:2000]
    message = session.get(Message, application.message_id, options=[selectinload(Message.attachments)])
    form_attachment = next((a for a in message.attachments if a.id == application.attachment_id), None) \
        if message else None
    if form_attachment is None and application.attachment_id:
        form_attachment = session.get(Attachment, application.attachment_id)
    preview_reason, page_count, page_sizes, page_notes = None, 0, [], {}
    if form_attachment is not None:
        previews = _previews()
        preview_reason = previews.previewable(form_attachment)
        page_count = previews.page_count(form_attachment) if preview_reason is None else 0
        if preview_reason is None:
            page_sizes = previews.page_sizes(form_attachment)
            readings = readings_of(session, form_attachment.id)
            reveal = Reveal(application.id, revealed) if revealed else None
            page_notes = {number: plan_page(readings, number, page_sizes, required=campaign.required_fields,
                                            reveal=reveal).note(schema)
                          for number in range(1, (page_count or 1) + 1)}
    else:
        preview_reason = "这份申请没有表格附件（可能写在邮件正文里）。"
    body = _body_text(message) if message is not None else ""
    history = session.scalars(select(AuditEntry).where(AuditEntry.application_id == application.id)
                              .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(HISTORY_LIMIT)).all()
    next_id = neighbour_id(session, campaign.name, queue_args, application.id, forward=True)
    prev_id = neighbour_id(session, campaign.name, queue_args, application.id, forward=False)
    return render_template(
        "detail.html", application=application, message=message, form_attachment=form_attachment,
        other_attachments=[a for a in (message.attachments if message else []) if a is not form_attachment],
        page_count=page_count, preview_reason=preview_reason, no_preview=NO_PREVIEW, page_notes=page_notes,
        reveal_entry=reveal_entry,
        fields=field_views(application, schema, campaign.required_fields, revealed,
                           places_of_fields(application.field_sources, page_sizes)),
        revealed=revealed, body=body, warnings=[redact_text(w) for w in application.warnings or []], versions=version_views(application.versions, schema),
        history=[(entry, audit.ACTION_LABELS.get(entry.action, entry.action), details_text(entry.details, schema))
                 for entry in history],
        duplicates=possible_duplicates(session, application), next_id=next_id, prev_id=prev_id,
        queue_args=queue_args, schema=schema, reasons=settings().web.rejection_reasons,
        status_labels=STATUS_LABELS, status_badges=STATUS_BADGES, app_campaign=campaign,
        may_act=may_act_in(campaign.name), is_admin=is_admin_in(campaign.name),
        local_time=lambda value: local_time(value, campaign.tz),
    )


def _body_text(message: Message) -> str:
    """The mail's text, cached beside the page images: parsing a 20 MB raw mail on every view is too slow."""
    cached = Path(settings().storage.path) / "pages" / f"{message.raw_sha256}-body.txt"
    if cached.exists():
        return cached.read_text(encoding="utf-8")
    blobs = _blobs()
    if not blobs.exists(message.raw_sha256):
        return "（原始邮件文件缺失）"
    text = email_text(blobs.get(message.raw_sha256))
    write_atomic(cached, text.encode("utf-8"))
    return text


@blueprint.route("/attachments/<int:attachment_id>/pages/<int:number>.png")
def page_image(attachment_id: int, number: int):
    """The page with the ID and phone numbers located on it filled in, but the one a fresh
    reveal by this person (``?reveal=<audit entry id>``) lets them see."""
    session = db()
    attachment, campaign = readable_attachment(attachment_id)
    previews = _previews()
    reveal = granted_reveal(session, request.args.get("reveal", type=int), attachment_id=attachment.id,
                            username=g.user.username, may_see_id_number=is_admin_in(campaign.name), now=utcnow())
    try:
        previews.page_png(attachment, number)  # renders (or converts) first: sizes are known after it
        plan = plan_page(readings_of(session, attachment.id), number, previews.page_sizes(attachment),
                         required=campaign.required_fields, reveal=reveal)
        path = previews.masked_page_png(attachment, number, plan.places)
    except NoSuchPage:
        abort(404)
    except PreviewUnavailable as exc:
        return str(exc), 404, {"Content-Type": "text/plain; charset=utf-8"}
    return send_file(path, mimetype="image/png", conditional=False, etag=False)


@blueprint.route("/attachments/<int:attachment_id>/download")
def download(attachment_id: int):
    attachment, _campaign = readable_attachment(attachment_id)
    blobs = _blobs()
    if not blobs.exists(attachment.sha256):
        abort(404)
    data = blobs.get(attachment.sha256)
    name = _UNSAFE_NAME.sub("_", attachment.filename or "").strip() or f"attachment-{attachment.id}"
    inline_type = _inline_type(data) if request.args.get("inline") == "1" else None
    if inline_type:
        response = send_file(io.BytesIO(data), mimetype=inline_type, download_name=name, as_attachment=False)
        if inline_type.startswith("image/"):
            response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
        return response
    return send_file(io.BytesIO(data), mimetype="application/octet-stream", download_name=name, as_attachment=True)


def _inline_type(data: bytes) -> str | None:
    """A content type decided from the bytes themselves, and only the few a browser shows safely."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for magic, kind in _INLINE_TYPES if data.startswith(magic)), None)
