"""``intake templates preview KIND [--application REF]``: one reply as it would be sent.

With ``--application`` the reply is built from that application's stored rows
(its latest mail and what that mail did), as the worker would build it; without,
from a fictional applicant. Either way through the configured templates
(``replies.templates_dir``), so staff can check a changed wording before it
reaches an applicant. Nothing is queued or sent.
"""
from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage

import click
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from intake.cli.campaign_choice import campaign_option, one_campaign
from intake.core.config import CampaignSettings, ConfigError, Settings, config_path_from, load_settings
from intake.core.db import Runtime
from intake.core.labels import status_label
from intake.core.models import Application
from intake.core.statuses import ReplyKind
from notifier.compose import ReplyApplication, ReplyContext, compose_reply
from notifier.replies import MessageItem, Outcome, message_items, reply_context
from parsers.schema import load_schema

PREVIEW_MESSAGE_ID = "<intake.preview@intake.invalid>"
SAMPLE_FIELDS = {
    "name": "陈志强", "gender": "男", "birth_date": "1978-05", "id_number": "440802197805121234",
    "employer": "湛江示例科技有限公司", "position": "总经理", "county": "霞山区", "mobile": "13812345678",
    "email": "chenzq@example.com", "expertise": ["数字化转型", "企业管理"], "service_modes": ["线上志愿服务"],
    "specialty": "中小企业信息化建设与管理咨询。",
}
SAMPLE_MISSING = ["mobile", "expertise"]
STAFF_KINDS = (ReplyKind.REQUEST_INFO, ReplyKind.APPROVED, ReplyKind.REJECTED)


@click.group()
def templates() -> None:
    """Reply templates: preview one as it would be sent."""


@templates.command("preview")
@click.argument("kind", type=click.Choice([kind.value for kind in ReplyKind]))
@click.option("--application", "reference", default=None, help="Use this application's stored data (e.g. ZJZJ-2020-0007).")
@campaign_option
@click.pass_context
def preview(ctx: click.Context, kind: str, reference: str | None, campaign_name: str | None) -> None:
    """Show the reply of KIND (acknowledgement, incomplete, update, inquiry, …) with real or sample data."""
    settings = _settings(ctx)
    reply_kind = ReplyKind(kind)
    if reference:
        context, campaign = _stored_context(settings, reply_kind, reference)
    else:
        campaign = one_campaign(settings, campaign_name)
        context = sample_context(campaign, reply_kind)
    try:
        message = compose_reply(context, template_folder=campaign.templates_dir)
    except ValueError as exc:
        raise click.ClickException(f"无法生成 {status_label(reply_kind)}：{exc}") from None
    click.echo(_shown(message))


def sample_context(campaign: CampaignSettings, kind: ReplyKind) -> ReplyContext:
    """A fictional applicant's reply of ``kind``: a new form, an update or several, as the kind implies."""
    labels = {spec.key: spec.label for spec in load_schema().fields}
    missing = SAMPLE_MISSING if kind in (ReplyKind.INCOMPLETE, ReplyKind.REMINDER) else []
    outcome = {ReplyKind.UPDATE: Outcome.UPDATE, ReplyKind.POSSIBLE_DUPLICATE: Outcome.POSSIBLE_DUPLICATE}.get(
        kind, Outcome.NEW)
    reference = f"{campaign.reference_prefix}-{campaign.deadline.year}-0007"
    first = ReplyApplication(reference=reference, name=SAMPLE_FIELDS["name"], outcome=outcome.value,
                             form_read=True, missing_labels=[labels[key] for key in missing],
                             changed_labels=[labels["mobile"]] if outcome == Outcome.UPDATE else [])
    applications = [] if kind == ReplyKind.INQUIRY else [first]
    if kind == ReplyKind.SEVERAL:
        applications.append(ReplyApplication(reference=reference[:-1] + "8", name="林晓燕", outcome=Outcome.NEW.value,
                                             form_read=True, missing_labels=[labels["email"]]))
    single = len(applications) == 1
    return ReplyContext(
        kind=kind, to_address="chenzq@example.com", to_name=SAMPLE_FIELDS["name"] if single else "人事部",
        from_address=campaign.smtp.from_address, from_name=campaign.smtp.from_name,
        original_subject="报名表-陈志强", original_message_id="<sample@example.com>", original_references=[],
        reference=reference if single else "", campaign_title=campaign.title,
        deadline=campaign.deadline,
        fields={key: value for key, value in SAMPLE_FIELDS.items() if key not in missing} if single else {},
        field_labels=labels, missing_labels=[labels[key] for key in missing], needs_review_labels=[labels["county"]],
        message_id=PREVIEW_MESSAGE_ID, sent_at=datetime.now(campaign.tz),
        requested_labels=[labels["mobile"], labels["specialty"]] if kind == ReplyKind.REQUEST_INFO else [],
        staff_note="请补充手机号码，并详细说明专业特长。" if kind == ReplyKind.REQUEST_INFO else "",
        decision_reason="专业领域与需求不符" if kind == ReplyKind.REJECTED else "",
        is_late=kind == ReplyKind.LATE, required_labels=[labels[key] for key in campaign.required_fields],
        applications=applications, attachment_names=[] if kind == ReplyKind.INQUIRY else ["报名表-陈志强.docx"],
    )


def _stored_context(settings: Settings, kind: ReplyKind, reference: str) -> tuple[ReplyContext, CampaignSettings]:
    runtime = Runtime.from_settings(settings)
    try:
        with runtime.session_factory() as session:
            application = session.scalars(
                select(Application).where(Application.reference == reference.strip())).first()
            if application is None:
                raise click.ClickException(f"没有报名编号为 {reference} 的申请。")
            message = application.message
            items = [item for item in message_items(message, session=session) if item.application is application]
            items = items or [MessageItem(outcome=Outcome.NEW, form_read=bool(application.fields),
                                          missing_fields=list(application.missing_fields or []),
                                          application=application)]
            try:
                campaign = settings.campaign_named(application.campaign)
            except ConfigError as exc:
                raise click.ClickException(str(exc)) from None
            context = reply_context(message, items, kind, campaign, to_address=_address(application, message),
                                    message_id=PREVIEW_MESSAGE_ID, sent_at=datetime.now(campaign.tz))
            if kind in STAFF_KINDS:
                context.requested_labels = list(context.missing_labels)
                context.decision_reason = application.decision_reason or ""
            return context, campaign
    except SQLAlchemyError as exc:
        raise click.ClickException(f"无法读取数据库（是否已运行 intake db upgrade？）：{type(exc).__name__}") from None
    finally:
        runtime.close()


def _address(application: Application, message) -> str:
    return (message.reply_address or application.reply_address or "applicant@example.com").strip()


def _shown(message: EmailMessage) -> str:
    body = message.get_body(("plain",)).get_content()
    attachments = [part.get_filename() or "" for part in message.iter_attachments()]
    lines = [
        f"主题 (Subject): {message['Subject']}",
        f"收件人 (To): {message['To']}",
        f"类型 (X-Intake-Outbox): {message['X-Intake-Outbox']}",
    ]
    if attachments:
        lines.append(f"附件 (attachments): {'、'.join(attachments)}")
    return "\n".join(lines) + "\n\n" + body.replace("\r\n", "\n")


def _settings(ctx: click.Context) -> Settings:
    try:
        return load_settings(config_path_from((ctx.obj or {}).get("config")))
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None

