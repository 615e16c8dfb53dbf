"""Human-readable summaries for the command line (Simplified Chinese, like the staff UI)."""
from __future__ import annotations

import click
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.core.models import Application, Attachment, Message, OutboxMail
from intake.core.statuses import AttachmentStatus, MessageStatus, OutboxStatus


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
    if report.mailbox_error:
        click.echo(f"邮箱错误：{report.mailbox_error}", err=True)


def _counts(session: Session, column) -> dict[str, int]:
    rows = session.execute(select(column, func.count()).group_by(column)).all()
    return {getattr(status, "value", status): count for status, count in rows}


def print_status(*, session: Session) -> None:
    click.echo(f"邮件：{_counts(session, Message.status)}")
    click.echo(f"附件：{_counts(session, Attachment.status)}")
    click.echo(f"报名：{_counts(session, Application.status)}")
    click.echo(f"回复：{_counts(session, OutboxMail.status)}")
    failed = session.scalars(select(Message).where(Message.status == MessageStatus.FAILED)).all()
    for message in failed:
        click.echo(f"  失败邮件 #{message.id} 「{message.subject}」: {message.error}  → 修复后运行 intake retry")
    unreadable = session.scalars(select(Attachment).where(Attachment.status == AttachmentStatus.UNREADABLE)).all()
    for attachment in unreadable:
        click.echo(f"  无法读取的附件 #{attachment.id} {attachment.filename} ({attachment.reason}): {attachment.error}")
    dead = session.scalars(select(OutboxMail).where(OutboxMail.status == OutboxStatus.FAILED)).all()
    for row in dead:
        click.echo(f"  发送失败 #{row.id} → {row.to_address}: {row.last_error}")
