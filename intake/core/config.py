"""Load and validate config.yaml once, at start-up.

A wrong or missing key names the key and the command exits non-zero (see
``ConfigError``; the wording is ``config_errors``'). Secrets may come from
the environment (``password_env``). The sections a campaign holds are in
``campaign_settings`` and ``server_settings``. Nothing here runs at import time.
"""
from __future__ import annotations

import os
from datetime import time
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

# The sections kept in modules of their own are imported from here too: this is the config's interface.
from intake.core.campaign_settings import CampaignSettings, CampaignTerms
from intake.core.config_errors import ConfigError, all_keys, describe_validation_error
from intake.core.server_settings import MailboxSettings, SmtpSettings, StrictSection

__all__ = [
    "CampaignSettings", "CampaignTerms", "ConfigError", "MailboxSettings", "OneCentreSettings", "OutboxSettings",
    "ReminderSettings", "Settings", "SmtpSettings", "all_keys", "config_path_from", "load_settings",
    "settings_from_mapping",
]

CONFIG_ENV_VAR = "INTAKE_CONFIG"
DEFAULT_CONFIG_FILE = "config.yaml"

class DatabaseSettings(StrictSection):
    url: str = "sqlite:///data/intake.sqlite3"


class StorageSettings(StrictSection):
    path: Path = Path("data/store")


class PollSettings(StrictSection):
    interval_seconds: int = Field(default=300, ge=10)
    # IMAP IDLE where the server advertises it: new mail is fetched within
    # seconds instead of at the next poll (126.com has no IDLE: polling stays).
    idle: bool = True
    # While IDLE works, a full poll still runs this often, in case a push was lost.
    idle_safety_seconds: int = Field(default=900, ge=10)


def _clock_time(value):
    # YAML 1.1 reads an unquoted 21:00 (or 9:00) as the base-60 number 1260
    # (540): minutes since midnight, so that is what such a number means here.
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        return time(value // 60, value % 60)
    if isinstance(value, (str, time)):
        return value
    raise ValueError(f"{value!r} 不是时刻 / not a time of day；例如 (e.g.) \"09:00\"")


class ReminderSettings(StrictSection):
    # Days before the deadline day on which a reminder becomes due; [] turns reminders off.
    offsets_days: list[int] = Field(default_factory=lambda: [7, 3, 1])
    send_at: time = time(9, 0)  # campaign time on each of those days
    # Reminders are only sent in these waking hours (campaign time); one due at
    # night waits for the morning.
    not_before: time = time(8, 0)
    not_after: time = time(21, 0)

    @field_validator("send_at", "not_before", "not_after", mode="before")
    @classmethod
    def _time_of_day(cls, value):
        return _clock_time(value)

    @field_validator("offsets_days")
    @classmethod
    def _whole_days_before(cls, value: list[int]) -> list[int]:
        if any(days < 1 for days in value) or len(set(value)) != len(value):
            raise ValueError(
                f"{value!r}: 应为截止日前的天数，各不相同且至少 1 / days before the deadline, distinct, at least 1；"
                "例如 (e.g.) [7, 3, 1]，或 (or) [] 不发提醒 (no reminders)"
            )
        return sorted(value, reverse=True)

    @model_validator(mode="after")
    def _send_in_waking_hours(self):
        if not (self.not_before <= self.send_at < self.not_after):
            raise ValueError(
                "send_at 应在 not_before 与 not_after 之间 / send_at must lie between not_before and not_after；"
                "例如 (e.g.) send_at: \"09:00\", not_before: \"08:00\", not_after: \"21:00\""
            )
        return self


class OutboxSettings(StrictSection):
    retry_base_seconds: float = Field(default=300, gt=0)
    retry_max_seconds: float = Field(default=3600, gt=0)
    expire_after_hours: float = Field(default=120, gt=0)
    batch_size: int = Field(default=50, ge=1)
    # Send limits (a relay guard, far above a campaign's needs): over one, a reply waits.
    max_per_hour: int = Field(default=300, ge=1)
    max_per_day: int = Field(default=3000, ge=1)
    max_per_domain_per_hour: int = Field(default=150, ge=1)
    max_per_domain_per_day: int = Field(default=1500, ge=1)


class ReplySettings(StrictSection):
    # A folder of reply templates (acknowledgement.txt, inquiry.txt, …, and the
    # _partials): a file there replaces the built-in one of the same name, so
    # the wording changes without touching the code. None: the built-in ones.
    templates_dir: Path | None = None


class ParsingSettings(StrictSection):
    ocr_engine: Literal["rapidocr", "tesseract", "both"] = "rapidocr"
    review_below: float = Field(default=0.80, ge=0, le=1)
    timeout_seconds: float = Field(default=90, gt=0)
    memory_limit_mb: int = Field(default=2048, ge=256)
    max_attachment_mb: float = Field(default=20, gt=0)
    # Convert .doc/.wps with LibreOffice even where it cannot be confined (no bubblewrap).
    allow_unisolated_office: bool = False
    # Files parsed at once, each in its own child; None: one per usable CPU.
    workers: int | None = Field(default=None, ge=1, le=64)


DEFAULT_REJECTION_REASONS = [
    "不符合报名条件", "专业领域与需求不符", "材料不完整且逾期未补充", "重复报名", "其他",
]


class WebSettings(StrictSection):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # Signs the session cookie. None: a random key kept in the storage folder.
    secret_key_env: str | None = None
    session_hours: float = Field(default=12, gt=0)
    login_attempts: int = Field(default=5, ge=1)   # failed logins per account (and ×4 per address) …
    login_window_minutes: float = Field(default=15, gt=0)  # … within this many minutes
    rejection_reasons: list[str] = Field(default_factory=lambda: list(DEFAULT_REJECTION_REASONS))
    threads: int = Field(default=4, ge=1, le=64)


class JobSettings(StrictSection):
    # true (PostgreSQL only): intake run fetches mail and hands each message to
    # the job queue; any number of intake worker processes, on any machines,
    # parse, record and send. false: intake run does everything itself.
    queue: bool = False
    # A job whose worker has sent no heartbeat for this long (killed, machine gone) is run again.
    stalled_after_seconds: float = Field(default=30, ge=5)


class _SharedSettings(StrictSection):
    database: DatabaseSettings = DatabaseSettings()
    storage: StorageSettings = StorageSettings()
    poll: PollSettings = PollSettings()
    reminders: ReminderSettings = ReminderSettings()
    outbox: OutboxSettings = OutboxSettings()
    replies: ReplySettings = ReplySettings()
    parsing: ParsingSettings = ParsingSettings()
    web: WebSettings = WebSettings()
    jobs: JobSettings = JobSettings()

    @model_validator(mode="after")
    def _queue_needs_postgresql(self):
        if self.jobs.queue and not self.database.url.startswith("postgresql"):
            raise ValueError(
                "jobs.queue 需要 PostgreSQL 数据库 / jobs.queue needs a PostgreSQL database (database.url)；"
                "例如 (e.g.) database.url: postgresql+psycopg://intake@db.example/intake，"
                "或 (or) jobs.queue: false（SQLite：由 intake run 一个进程完成全部工作）"
            )
        return self


class Settings(_SharedSettings):
    """A deployment: its campaigns, each with its own mailbox and SMTP account,
    and what they share. Code reads ``campaigns`` only: a one-centre config
    (``OneCentreSettings``) is loaded as campaigns of one."""

    campaigns: list[CampaignSettings] = Field(min_length=1)

    @field_validator("campaigns")
    @classmethod
    def _campaigns_apart(cls, value: list[CampaignSettings]) -> list[CampaignSettings]:
        for what, key in (("name", lambda c: c.name), ("reference_prefix", lambda c: c.reference_prefix),
                          ("mailbox", lambda c: f"{c.mailbox.username}@{c.mailbox.host}/{c.mailbox.folder}".lower())):
            seen = [key(campaign) for campaign in value]
            repeated = sorted({item for item in seen if seen.count(item) > 1})
            if repeated:
                raise ValueError(
                    f"各活动的 {what} 不能相同 / each campaign needs its own {what}: {', '.join(repeated)}；"
                    "例如 (e.g.) name: zj-sme-experts-2020, reference_prefix: ZJZJ 与 (and) "
                    "name: mm-sme-experts-2020, reference_prefix: MMZJ"
                )
        return value

    def campaign_named(self, name: str) -> CampaignSettings:
        for campaign in self.campaigns:
            if campaign.name == name:
                return campaign
        raise ConfigError(
            f"config.yaml 中没有名为 {name!r} 的活动 / no campaign named {name!r}；"
            f"可用 (configured): {', '.join(c.name for c in self.campaigns)}"
        )


class OneCentreSettings(_SharedSettings):
    """The layout of a config for one centre: its campaign as three sections."""

    mailbox: MailboxSettings
    smtp: SmtpSettings
    campaign: CampaignTerms

    def as_settings(self) -> Settings:
        campaign = CampaignSettings.model_validate(
            {**self.campaign.model_dump(), "mailbox": self.mailbox, "smtp": self.smtp})
        campaign._deadline_at = self.campaign._deadline_at
        shared = {name: getattr(self, name) for name in _SharedSettings.model_fields}
        return Settings(campaigns=[campaign], **shared)


def config_path_from(cli_value: str | os.PathLike[str] | None) -> Path:
    """--config wins, then $INTAKE_CONFIG, then ./config.yaml."""
    if cli_value:
        return Path(cli_value)
    env = os.environ.get(CONFIG_ENV_VAR)
    return Path(env) if env else Path(DEFAULT_CONFIG_FILE)


def load_settings(path: str | os.PathLike[str]) -> Settings:
    """Read and validate a config file; relative paths resolve against its folder."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"配置文件不存在: {path}. Copy config.yaml from the project, or pass --config PATH "
            f"(or set {CONFIG_ENV_VAR})."
        ) from None
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(
            f"{path}: 不是有效的 YAML / not valid YAML: {exc}\n"
            "  每项写成「键: 值」，冒号后有空格，缩进用空格 / write `key: value` with a space after the colon,"
            " indent with spaces；例如 (e.g.):\n  campaign:\n    deadline: 2020-09-25"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: 顶层应为各段配置 / the top level must be a mapping of sections (mailbox:, smtp:, …)；"
            "例如 (e.g.):\n  mailbox:\n    host: imap.126.com"
        )
    return settings_from_mapping(data, base_dir=path.resolve().parent, source=str(path))


def settings_from_mapping(data: dict, *, base_dir: Path, source: str = "config") -> Settings:
    several = "campaigns" in data
    try:
        settings = Settings.model_validate(data) if several else OneCentreSettings.model_validate(data).as_settings()
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc, source, roots=(OneCentreSettings, Settings))) from None
    return _resolve_paths(settings, base_dir)


def _resolve_paths(settings: Settings, base_dir: Path) -> Settings:
    storage = settings.storage.path
    if not storage.is_absolute():
        storage = base_dir / storage
    try:
        url = make_url(settings.database.url)
    except ArgumentError:
        raise ConfigError(
            f"database.url: 不是数据库地址 / not a database URL: {settings.database.url!r}；"
            "例如 (e.g.) sqlite:///data/intake.sqlite3 或 (or) postgresql+psycopg://user@host/intake"
        ) from None
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        url = url.set(database=str(base_dir / url.database))  # an absolute path stays as it is
    templates_dir = _beside(settings.replies.templates_dir, base_dir)
    campaigns = []
    for campaign in settings.campaigns:
        resolved = campaign.model_copy(update={"templates_dir": _beside(campaign.templates_dir, base_dir) or templates_dir})
        resolved._deadline_at = campaign._deadline_at
        campaigns.append(resolved)
    return settings.model_copy(
        update={
            "campaigns": campaigns,
            "replies": ReplySettings(templates_dir=templates_dir),
            "storage": StorageSettings(path=storage),
            "database": DatabaseSettings(url=url.render_as_string(hide_password=False)),
        }
    )


def _beside(path: Path | None, base_dir: Path) -> Path | None:
    return base_dir / path if path is not None and not path.is_absolute() else path


