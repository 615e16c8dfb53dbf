"""Human-readable summaries for the command line (Simplified Chinese, like the staff UI),
and the checks of ``intake health``."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from enum import Enum
from pathlib import Path

import click
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from intake.core.config import Settings
from intake.core.db import make_engine, make_session_factory
from intake.core.labels import reason_label, status_label
from intake.core.migrate import current_revision, head_revision
from intake.core.models import Application, Attachment, Message, OutboxMail
from intake.core.operations import CampaignOperations, campaign_operations, database_answers
from intake.core.statuses import ApplicationStatus, AttachmentStatus, MessageStatus, OutboxStatus
from intake.worker.jobs import queue_figures
from intake.worker.leadership import leadership_for
from notifier.send_limits import HOLD_NOTE


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


def print_campaigns(*, session: Session, campaigns: list[str]) -> None:
    """Each campaign's queue, failures and replies waiting (``intake.core.operations``)."""
    now = datetime.now(timezone.utc)
    for figures in campaign_operations(session, campaigns=campaigns, held_note=HOLD_NOTE):
        _print_campaign(figures, now)


def _print_campaign(figures: CampaignOperations, now: datetime) -> None:
    click.echo(f"活动「{figures.campaign}」：")
    age = figures.oldest_unparsed_age(now)
    waited = f"，最早一封已等待 {age_text(age)}" if age is not None else ""
    click.echo(f"  待处理队列：{figures.queue_depth} 封{waited}")
    failed = "（修复后运行 intake retry）" if figures.failed_mails else ""
    click.echo(f"  处理失败：{figures.failed_mails} 封{failed}；无法读取的附件 {figures.unreadable_attachments} 个")
    held = f"（其中 {figures.replies_held} 封因发送上限暂缓）" if figures.replies_held else ""
    click.echo(f"  待发送回复：{figures.replies_waiting} 封{held}；已发送 {figures.replies[OutboxStatus.SENT]} 封，"
               f"发送失败 {figures.replies[OutboxStatus.FAILED]} 封")
    if figures.parse_times:
        times = "，".join(f"{kind} {times.count} 个平均 {times.seconds / times.count:.1f} 秒"
                         for kind, times in figures.parse_times.items())
        click.echo(f"  解析耗时：{times}")


def age_text(age: timedelta) -> str:
    """How long, as staff say it: 2 天 3 小时, 1 小时 5 分钟, 12 分钟, 不到 1 分钟."""
    minutes = int(age.total_seconds() // 60)
    days, hours, minutes = minutes // (24 * 60), minutes // 60 % 24, minutes % 60
    if days:
        return f"{days} 天 {hours} 小时"
    if hours:
        return f"{hours} 小时 {minutes} 分钟"
    return f"{minutes} 分钟" if minutes else "不到 1 分钟"


@dataclass
class HealthCheck:
    name: str  # "database", "scheduler"
    ok: bool
    detail: str  # Chinese: what was found, and when wrong, what to do


def health_checks(settings: Settings) -> list[HealthCheck]:
    """Whether this deployment works: the database answers on the latest schema, and a
    scheduler (``intake run``, on any machine) holds the lead. Nothing is created or changed."""
    database = _database_check(settings)
    if not database.ok:
        return [database, HealthCheck("scheduler", False, "数据库不可用时无法确认调度进程。")]
    checks = [database, _scheduler_check(settings)]
    if settings.jobs.queue:
        checks.append(_workers_check(settings))
    return checks


def _workers_check(settings: Settings) -> HealthCheck:
    engine = make_engine(settings.database.url)
    try:
        with make_session_factory(engine)() as session:
            figures = queue_figures(session, stalled_after_seconds=settings.jobs.stalled_after_seconds)
    except SQLAlchemyError as exc:
        return HealthCheck("workers", False, f"无法读取任务队列（{type(exc).__name__}）：请运行 intake db upgrade。")
    finally:
        engine.dispose()
    if not figures.live_workers:
        return HealthCheck("workers", False, "没有在运行的 intake worker：邮件只会收取、不会处理。"
                                             "请启动 intake worker（可在几台机器上各启动几个），并查看它们的日志。")
    return HealthCheck("workers", True, f"正常（{figures.live_workers} 个 intake worker 在运行）")


def print_queue(*, session: Session, settings: Settings) -> None:
    """The job queue (``jobs.queue``): workers alive, and each campaign's jobs waiting and failed."""
    figures = queue_figures(session, stalled_after_seconds=settings.jobs.stalled_after_seconds)
    click.echo(f"任务队列：{figures.live_workers} 个 intake worker 在运行")
    for campaign in [c.name for c in settings.campaigns]:
        failed = figures.failed.get(campaign, 0)
        hint = "（其邮件可用 intake retry 重新处理）" if failed else ""
        click.echo(f"  活动「{campaign}」：等待或进行中的任务 {figures.waiting.get(campaign, 0)} 个，"
                   f"失败的任务 {failed} 个{hint}")


def _database_check(settings: Settings) -> HealthCheck:
    url = make_url(settings.database.url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") \
            and not Path(url.database).exists():
        return HealthCheck("database", False, "数据库尚未建立：请运行 intake db upgrade。")
    engine = make_engine(settings.database.url)
    try:
        revision = current_revision(settings.database.url)
        if revision is not None:
            with make_session_factory(engine)() as session:
                database_answers(session)
    except SQLAlchemyError as exc:
        return HealthCheck("database", False, f"数据库无法访问（{type(exc).__name__}）：请检查数据库服务是否运行、"
                                               "config.yaml 的 database.url 是否正确。")
    finally:
        engine.dispose()
    if revision is None:
        return HealthCheck("database", False, "数据库尚未建立：请运行 intake db upgrade。")
    if revision != head_revision():
        return HealthCheck("database", False, f"数据库结构版本 {revision} 不是最新（{head_revision()}）："
                                               "请运行 intake db upgrade。")
    return HealthCheck("database", True, f"正常（结构版本 {revision}）")


def _scheduler_check(settings: Settings) -> HealthCheck:
    # Taking the lead succeeds only when nobody holds it: then no scheduler runs,
    # and the lead is given back at once (a standby scheduler asks again in seconds).
    leadership = leadership_for(settings.database.url, settings.storage.path)
    try:
        if leadership.try_acquire():
            return HealthCheck("scheduler", False,
                               "没有在运行的调度进程：请启动 intake run（或其系统服务），并查看它的日志。")
        return HealthCheck("scheduler", True, f"正常（在岗：{leadership.holder()}）")
    finally:
        leadership.release()


def print_health(checks: list[HealthCheck], *, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"ok": all(check.ok for check in checks), "checks": [asdict(c) for c in checks]},
                              ensure_ascii=False))
        return
    names = {"database": "数据库", "scheduler": "调度进程"}
    for check in checks:
        click.echo(f"{names[check.name]}：{check.detail}", err=not check.ok)
