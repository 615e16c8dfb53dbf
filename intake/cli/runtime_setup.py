"""What most commands start with: the settings, and a database on the latest schema."""
from __future__ import annotations

import click

from intake.core.config import ConfigError, Settings, config_path_from, load_settings
from intake.core.db import Runtime
from intake.core.migrate import current_revision, head_revision, upgrade_database
from intake.worker.jobs import install_queue_schema


def settings_of(ctx: click.Context) -> Settings:
    try:
        return load_settings(config_path_from(ctx.obj["config"]))
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def runtime_of(ctx: click.Context):
    settings = settings_of(ctx)
    ensure_schema(settings)
    return Runtime.from_settings(settings)


def ensure_schema(settings: Settings) -> None:
    """A brand-new database is created on first use; an old one must be upgraded on purpose."""
    current = current_revision(settings.database.url)
    if current is None:
        upgrade_schema(settings)
    elif current != head_revision():
        raise click.ClickException(
            f"数据库结构版本 {current} 不是最新（{head_revision()}）。Run: intake db upgrade"
        )


def upgrade_schema(settings: Settings) -> None:
    upgrade_database(settings.database.url, campaigns=[c.name for c in settings.campaigns])
    if settings.jobs.queue and install_queue_schema(settings):
        click.echo("已创建任务队列的数据表（procrastinate）", err=True)
