"""Human-readable summaries for the command line (Simplified Chinese, like the staff UI)."""
from __future__ import annotations

from enum import Enum

import click
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.core.labels import reason_label, status_label
from intake.core.models import Application, Attachment, Message, OutboxMail
from intake.core.statuses import ApplicationStatus, AttachmentStatus, MessageStatus, OutboxStatus


def print_run_report(report) -> None:
    ingest, process, outbox = report.ingest, report.process, report.outbox
    click.echo(f"收取：新邮件 {ingest.stored} 封，重复 {ingest.duplicates} 封")
    for alert in ingest.alerts:
        click.echo(f"  注意：{alert}")
    click.echo(
        f"处理：{process.processed} 封生成/更新报名，{process.ignored} 封无需处理，{process.failed} 封失败；"
        f"新报名 {process.applications_created} 份，更新 {process.applications_updated} 份；"
        f"排队回复 {process.replies_queued} 封"
    )
    for error in process.errors:
        click.echo(f"  失败：{error}", err=True)
    if report.moved:
        click.echo(f"已移动 {report.moved} 封已处理邮件")
    if outbox is not None:
        click.echo(f"发送：成功 {outbox.sent}，稍后重试 {outbox.retried}，失败 {outbox.failed}，待发送 {outbox.remaining}")
        if outbox.held:
            click.echo(f"  暂缓 {outbox.held} 封：{outbox.held_because}")
    if report.mailbox_error:
        click.echo(f"邮箱错误：{report.mailbox_error}", err=True)


def _counts(session: Session, column, statuses: type[Enum], unit: str) -> str:
    """Counts as staff read them (已处理 12 封，处理失败 1 封), in the enum's order; empty statuses left out."""
    rows = session.execute(select(column, func.count()).group_by(column)).all()
    counts = {statuses(status): count for status, count in rows}
    parts = [f"{status_label(status)} {counts[status]} {unit}" for status in statuses if counts.get(status)]
    return "，".join(parts) or "无"


def print_status(*, session: Session) -> None:
    click.echo(f"邮件：{_counts(session, Message.status, MessageStatus, '封')}")
    click.echo(f"附件：{_counts(session, Attachment.status, AttachmentStatus, '个')}")
    click.echo(f"报名：{_counts(session, Application.status, ApplicationStatus, '份')}")
    click.echo(f"回复：{_counts(session, OutboxMail.status, OutboxStatus, '封')}")
    failed = session.scalars(select(Message).where(Message.status == MessageStatus.FAILED)).all()
    for message in failed:
        click.echo(f"  失败邮件 #{message.id} 「{message.subject}」: {message.error}  → 修复后运行 intake retry")
    too_large = session.scalars(select(Message).where(Message.status == MessageStatus.TOO_LARGE)).all()
    for message in too_large:
        click.echo(f"  过大邮件 #{message.id} 「{message.subject}」 {message.from_address or ''}: "
                   f"{'；'.join(message.defects or [])}")
    unreadable = session.scalars(select(Attachment).where(Attachment.status == AttachmentStatus.UNREADABLE)).all()
    for attachment in unreadable:
        reason = reason_label(attachment.reason) or "原因未记录"
        click.echo(f"  无法读取的附件 #{attachment.id} {attachment.filename}（{reason}）：{attachment.error}")
    dead = session.scalars(select(OutboxMail).where(OutboxMail.status == OutboxStatus.FAILED)).all()
    for row in dead:
        click.echo(f"  发送失败 #{row.id} → {row.to_address}: {row.last_error}")
