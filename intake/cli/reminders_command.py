"""``intake reminders [--dry-run] [--at TIME]``: who is due which deadline reminder, and why.

Without ``--dry-run`` the due reminders are queued and sent, exactly as the
worker's sweep does (it runs every quarter of an hour under ``intake run``);
a reminder already recorded is never sent again, whoever sends it.
"""
from __future__ import annotations

from datetime import datetime

import click

from intake.cli.campaign_choice import campaign_option, chosen_campaigns
from intake.core.config import CampaignSettings, ConfigError, Settings, config_path_from, load_settings
from intake.core.db import Runtime
from intake.core.migrate import current_revision, head_revision
from notifier.outbox import flush_outbox
from notifier.reminders import INQUIRY, ReminderDecision, ReminderSchedule, plan_reminders, sweep_reminders


@click.command("reminders")
@click.option("--dry-run", is_flag=True, help="List who would get which reminder now, and why; send nothing.")
@click.option("--at", "at_text", default=None, metavar="TIME",
              help="With --dry-run: decide as at this time, e.g. 2020-09-22T09:00 (campaign time zone).")
@campaign_option
@click.pass_context
def reminders(ctx: click.Context, dry_run: bool, at_text: str | None, campaign_name: str | None) -> None:
    """Deadline reminders: list (--dry-run) or send those due now (every campaign, or --campaign)."""
    if at_text and not dry_run:
        raise click.UsageError("--at only previews: add --dry-run")
    settings = _settings(ctx)
    runtime = Runtime.from_settings(settings)
    try:
        for campaign in chosen_campaigns(settings, campaign_name):
            _remind(runtime, campaign, dry_run=dry_run, at_text=at_text, several=len(settings.campaigns) > 1)
    finally:
        runtime.close()


def _remind(runtime: Runtime, campaign: CampaignSettings, *, dry_run: bool, at_text: str | None,
            several: bool) -> None:
    settings = runtime.settings
    now = _moment(at_text, campaign) if at_text else datetime.now(campaign.tz)
    if several:
        click.echo(f"== {campaign.title}（{campaign.name}）==")
    if dry_run:
        with runtime.session_factory() as session:
            decisions = plan_reminders(session, settings, campaign, now)
        _print_plan(decisions, settings, campaign, now)
        return
    report = sweep_reminders(settings, campaign, runtime.session_factory, now)
    sent = flush_outbox(runtime.session_factory, campaign.smtp, settings.outbox,
                        campaign=campaign.name).sent if report.queued else 0
    _print_plan(report.decisions, settings, campaign, now)
    click.echo(f"已排队提醒 {report.queued} 封，本次发送邮件 {sent} 封。")


def _settings(ctx: click.Context) -> Settings:
    try:
        settings = load_settings(config_path_from(ctx.obj["config"]))
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    current = current_revision(settings.database.url)
    if current != head_revision():
        # Reminders read what the worker stored: a database it has not set up has nothing to remind.
        raise click.ClickException(
            f"数据库结构版本 {current or '（空）'} 不是最新（{head_revision()}）。Run: intake db upgrade"
        )
    return settings


def _moment(text: str, campaign: CampaignSettings) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} 不是时间；例如 (e.g.) 2020-09-22T09:00", param_hint="--at") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=campaign.tz)


def _print_plan(decisions: list[ReminderDecision], settings: Settings, campaign: CampaignSettings,
                now: datetime) -> None:
    schedule = ReminderSchedule.of(campaign, settings.reminders)
    offsets = "、".join(str(days) for days in schedule.offsets_days) or "（无）"
    click.echo(
        f"截止提醒 — 现在 {now.astimezone(schedule.tz):%Y-%m-%d %H:%M}，截止 {schedule.deadline_end:%Y-%m-%d %H:%M}；"
        f"截止前 {offsets} 天的 {schedule.send_at:%H:%M} 提醒，只在 {schedule.not_before:%H:%M}–"
        f"{schedule.not_after:%H:%M} 之间发送（{campaign.timezone}）"
    )
    sending = [decision for decision in decisions if decision.send]
    click.echo(f"发送 {len(sending)} 封，不发送 {len(decisions) - len(sending)} 封"
               + ("（没有未完成的报名或只咨询过的来信人）" if not decisions else "："))
    for decision in decisions:
        who = "只咨询过" if decision.recipient.reason == INQUIRY else "报名未完成"
        click.echo(f"  {'发送' if decision.send else '不发'}  {decision.recipient.address}  [{who}]  {decision.why}")
