"""Load and validate config.yaml once, at start-up.

A wrong or missing key names the key and the command exits non-zero (see
``ConfigError``). Secrets may come from the environment (``password_env``).
Nothing here runs at import time.
"""
from __future__ import annotations

import difflib
import ipaddress
import os
import re
from datetime import date, datetime, time
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from intake.core.log_redaction import add_secret
from parsers.schema import load_schema

CONFIG_ENV_VAR = "INTAKE_CONFIG"
DEFAULT_CONFIG_FILE = "config.yaml"

DEFAULT_REQUIRED_FIELDS = [
    "name", "gender", "id_number", "employer", "mobile", "email", "county", "expertise", "specialty",
]


class ConfigError(Exception):
    """The configuration cannot be used; the message says which key and what to do."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Security = Literal["none", "starttls", "ssl"]


def is_loopback_host(host: str) -> bool:
    if host.strip().lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class _ServerSettings(_Strict):
    host: str
    port: int = Field(ge=1, le=65535)
    security: Security = "ssl"
    username: str = ""
    password: str | None = None
    password_env: str | None = None
    timeout_seconds: float = Field(default=60, gt=0)

    @model_validator(mode="after")
    def _tls_beyond_this_machine(self):
        # A password and applicants' mail in clear text cross the network only
        # when the server is this machine (a test server, a local relay).
        if self.security == "none" and not is_loopback_host(self.host):
            raise ValueError(
                f"security: none 只允许用于本机服务器（127.0.0.1、::1、localhost），{self.host} 必须使用 ssl 或 starttls"
                f" / security: none is only allowed for a server on this machine; use ssl or starttls for {self.host}；"
                "例如 (e.g.) security: ssl"
            )
        return self

    @model_validator(mode="after")
    def _one_password_source(self):
        if self.password is not None and self.password_env:
            raise ValueError(
                "password 和 password_env 只能填一个 / give either password or password_env, not both；"
                "例如 (e.g.) 删去 password，只留 password_env: 环境变量名 (delete password, keep password_env)"
            )
        return self

    def resolved_password(self) -> str | None:
        """The secret, read from the environment when ``password_env`` names a variable."""
        if self.password_env:
            value = os.environ.get(self.password_env)
            if value is None:
                raise ConfigError(
                    f"环境变量 {self.password_env} 未设置（配置项 password_env 指向它）。"
                    f" Set {self.password_env} to the mailbox authorization code (授权码),"
                    f" e.g. 例如: export {self.password_env}='授权码'"
                )
            add_secret(value)
            return value
        add_secret(self.password)
        return self.password


class MailboxSettings(_ServerSettings):
    port: int = Field(default=993, ge=1, le=65535)
    folder: str = "INBOX"
    move_to: str | None = None  # optional: move processed mail to this folder
    batch_size: int = Field(default=50, ge=1, le=1000)
    # A mail larger than this is not downloaded: its headers are kept and staff
    # told, the mail stays on the server (126.com accepts up to 50 MB).
    max_message_mb: float = Field(default=50, gt=0)
    id_name: str = "intake"  # sent in the IMAP ID command (NetEase refuses SELECT without it)


class SmtpSettings(_ServerSettings):
    port: int = Field(default=465, ge=1, le=65535)
    from_address: str
    from_name: str = "湛江市中小企业服务中心"

    @field_validator("from_address")
    @classmethod
    def _looks_like_address(cls, value: str) -> str:
        if "@" not in value or any(c in value for c in " \r\n<>,"):
            raise ValueError("应为一个邮箱地址 / must be a plain address；例如 (e.g.) zjzxqyfwzx@126.com")
        return value


class DatabaseSettings(_Strict):
    url: str = "sqlite:///data/intake.sqlite3"


class StorageSettings(_Strict):
    path: Path = Path("data/store")


DEFAULT_CAMPAIGN_TITLE = "湛江市中小企业志愿服务专家报名"
DEFAULT_TIMEZONE = "Asia/Shanghai"
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


class CampaignTerms(_Strict):
    """What a campaign asks and by when: the ``campaign:`` section of a one-centre
    config, and the common part of every entry of ``campaigns:``."""

    # Omitted: the campaign's title. Applications are filed under this key, so a
    # campaign whose title may still change should set a name of its own.
    name: str = Field(min_length=1)
    title: str = Field(default=DEFAULT_CAMPAIGN_TITLE, min_length=1)
    # The last day (a date) or, for a deadline given as a date-time, the local
    # day of that instant: reference numbers and reply letters read it as a date.
    # The instant itself, when given, is kept in _deadline_at (see deadline_end).
    deadline: date
    timezone: str = DEFAULT_TIMEZONE
    reference_prefix: str = "ZJZJ"
    required_fields: list[str] = Field(default_factory=lambda: list(DEFAULT_REQUIRED_FIELDS))
    # County (县/市/区) → its number of service workstations; each county aims
    # at experts_per_workstation × that many approved experts.
    workstations: dict[str, int] = Field(default_factory=dict)
    experts_per_workstation: int = Field(default=3, ge=1)
    _deadline_at: datetime | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _name_defaults_to_title(cls, data):
        if isinstance(data, dict) and data.get("name") is None:
            data = {**data, "name": data.get("title") or DEFAULT_CAMPAIGN_TITLE}
        return data

    @model_validator(mode="wrap")
    @classmethod
    def _keep_deadline_instant(cls, data, handler):
        # A date-time deadline is split here, where the raw value and the time
        # zone are both at hand: the field gets the local day, the instant is
        # kept privately. Anything else is left to _deadline_value, so its
        # errors are reported against campaign.deadline.
        instant = _deadline_instant(data.get("deadline")) if isinstance(data, dict) else None
        if instant is not None:
            data = {**data, "deadline": instant.astimezone(_zone_or_utc(data.get("timezone"))).date()}
        campaign = handler(data)
        if instant is not None:
            campaign._deadline_at = instant
        return campaign

    @field_validator("deadline", mode="before")
    @classmethod
    def _deadline_value(cls, value):
        if isinstance(value, datetime):  # an instant would have been taken by _keep_deadline_instant
            raise ValueError(
                "日期时间须带时区偏移 / a date-time needs its UTC offset；"
                "例如 (e.g.) 2020-09-25T23:59:59+08:00，或只写日期 (or just the day) 2020-09-25"
            )
        if isinstance(value, date):
            return value
        if isinstance(value, str) and _DATE_ONLY.fullmatch(value.strip()):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass  # e.g. 2020-02-30: reported below like any other bad value
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ].+", value.strip()):
            raise ValueError(
                f"{value!r} 须带时区偏移 / needs its UTC offset；例如 (e.g.) 2020-09-25T23:59:59+08:00"
            )
        raise ValueError(
            f"{value!r} 不是日期 / not a date；例如 (e.g.) 2020-09-25（当天结束前 / until the end of that day）"
            "或 (or) 2020-09-25T23:59:59+08:00（到这一刻 / until that instant）"
        )

    @field_validator("required_fields")
    @classmethod
    def _known_fields(cls, value: list[str]) -> list[str]:
        known = load_schema().keys
        unknown = [key for key in value if key not in known]
        if unknown:
            raise ValueError(
                f"未知的字段 / unknown field key(s) {unknown}；可用 (known): {', '.join(known)}；"
                "例如 (e.g.) [name, gender, id_number, mobile]"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"未知的时区 / unknown time zone {value!r}；例如 (e.g.) Asia/Shanghai（IANA 名称 / an IANA name）"
            ) from None
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def counties(self) -> list[str]:
        """The campaign's counties (县/市/区), in order: those given workstations, else the form's own list."""
        return list(self.workstations) or list(load_schema().spec_for("county").options)

    def deadline_end(self) -> datetime:
        """The last instant that counts as on time, in campaign time: the instant
        configured, or the end of the deadline day."""
        if self._deadline_at is not None:
            return self._deadline_at.astimezone(self.tz)
        return datetime.combine(self.deadline, time.max, tzinfo=self.tz)


class CampaignSettings(CampaignTerms):
    """One centre's campaign: its terms, and the mailbox applicants write to and
    the SMTP account that answers them (an entry of ``campaigns:``)."""

    mailbox: MailboxSettings
    smtp: SmtpSettings
    # A folder of reply templates for this campaign (see ReplySettings);
    # None: replies.templates_dir, or the built-in ones.
    templates_dir: Path | None = None


def _deadline_instant(value) -> datetime | None:
    """A deadline given as a date-time with a UTC offset, or None for anything else."""
    if isinstance(value, str) and not _DATE_ONLY.fullmatch(value.strip()):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if isinstance(value, datetime) and value.utcoffset() is not None:
        return value
    return None


def _zone_or_utc(name) -> ZoneInfo:
    # An unknown zone is reported by _known_zone; UTC only lets validation get that far.
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return ZoneInfo("UTC")


class PollSettings(_Strict):
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


class ReminderSettings(_Strict):
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


class OutboxSettings(_Strict):
    retry_base_seconds: float = Field(default=300, gt=0)
    retry_max_seconds: float = Field(default=3600, gt=0)
    expire_after_hours: float = Field(default=120, gt=0)
    batch_size: int = Field(default=50, ge=1)
    # Send limits (a relay guard, far above a campaign's needs): over one, a reply waits.
    max_per_hour: int = Field(default=300, ge=1)
    max_per_day: int = Field(default=3000, ge=1)
    max_per_domain_per_hour: int = Field(default=150, ge=1)
    max_per_domain_per_day: int = Field(default=1500, ge=1)


class ReplySettings(_Strict):
    # A folder of reply templates (acknowledgement.txt, inquiry.txt, …, and the
    # _partials): a file there replaces the built-in one of the same name, so
    # the wording changes without touching the code. None: the built-in ones.
    templates_dir: Path | None = None


class ParsingSettings(_Strict):
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


class WebSettings(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # Signs the session cookie. None: a random key kept in the storage folder.
    secret_key_env: str | None = None
    session_hours: float = Field(default=12, gt=0)
    login_attempts: int = Field(default=5, ge=1)   # failed logins per account (and ×4 per address) …
    login_window_minutes: float = Field(default=15, gt=0)  # … within this many minutes
    rejection_reasons: list[str] = Field(default_factory=lambda: list(DEFAULT_REJECTION_REASONS))
    threads: int = Field(default=4, ge=1, le=64)


class JobSettings(_Strict):
    # true (PostgreSQL only): intake run fetches mail and hands each message to
    # the job queue; any number of intake worker processes, on any machines,
    # parse, record and send. false: intake run does everything itself.
    queue: bool = False
    # A job whose worker has sent no heartbeat for this long (killed, machine gone) is run again.
    stalled_after_seconds: float = Field(default=30, ge=5)


class _SharedSettings(_Strict):
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
        raise ConfigError(_describe_validation_error(exc, source)) from None
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


# A valid value for the keys whose default is no example (none, or not there);
# the rest show their default. Every error names its key and one of these.
_EXAMPLES = {
    "mailbox": "见 config.yaml 的 mailbox: 段 / see the mailbox: section of config.yaml",
    "smtp": "见 config.yaml 的 smtp: 段 / see the smtp: section of config.yaml",
    "campaign": "见 config.yaml 的 campaign: 段 / see the campaign: section of config.yaml",
    "mailbox.host": "imap.126.com",
    "mailbox.username": "zjzxqyfwzx@126.com",
    "mailbox.password": "授权码 (better: password_env)",
    "mailbox.password_env": "INTAKE_IMAP_PASSWORD",
    "mailbox.move_to": "已处理",
    "smtp.host": "smtp.126.com",
    "smtp.username": "zjzxqyfwzx@126.com",
    "smtp.password": "授权码 (better: password_env)",
    "smtp.password_env": "INTAKE_SMTP_PASSWORD",
    "smtp.from_address": "zjzxqyfwzx@126.com",
    "database.url": "sqlite:///data/intake.sqlite3",
    "campaign.name": "zj-sme-experts-2020",
    "campaign.deadline": "2020-09-25 或 (or) 2020-09-25T23:59:59+08:00",
    "campaign.required_fields": "[name, gender, id_number, mobile]",
    "campaign.workstations": "{赤坎区: 2, 霞山区: 3}",
    "parsing.workers": "2",
    "replies.templates_dir": "reply_templates (a folder beside config.yaml)",
    "web.secret_key_env": "INTAKE_WEB_SECRET",
}

# Pydantic's error types, said in Chinese and English; {placeholders} come from the error's ctx.
_PROBLEMS = {
    "missing": "缺少此项 / missing",
    "extra_forbidden": "未知配置项 / unknown key (check the spelling against README)",
    "int_parsing": "应为整数 / must be a whole number",
    "int_type": "应为整数 / must be a whole number",
    "int_from_float": "应为整数 / must be a whole number",
    "float_parsing": "应为数字 / must be a number",
    "float_type": "应为数字 / must be a number",
    "bool_parsing": "应为 true 或 false / must be true or false",
    "bool_type": "应为 true 或 false / must be true or false",
    "string_type": "应为文字 / must be text",
    "string_too_short": "不能为空 / must not be empty",
    "list_type": "应为列表 / must be a list, [a, b]",
    "dict_type": "应为映射 / must be a mapping, {key: value}",
    "model_type": "应为一段配置 / must be a section of keys",
    "model_attributes_type": "应为一段配置 / must be a section of keys",
    "literal_error": "只能是 / must be one of {expected}",
    "greater_than": "应大于 / must be greater than {gt}",
    "greater_than_equal": "不能小于 / must be at least {ge}",
    "less_than": "应小于 / must be less than {lt}",
    "less_than_equal": "不能大于 / must be at most {le}",
    "date_type": "应为日期 / must be a date",
    "time_parsing": "应为时刻 / must be a time of day, \"HH:MM\"",
    "time_type": "应为时刻 / must be a time of day, \"HH:MM\"",
}


def _describe_validation_error(exc: ValidationError, source: str) -> str:
    lines = [f"{source}: 配置有误 (invalid configuration):"]
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"]) or "(top level)"
        problem = _problem(error)
        # Our own validators' messages carry an example fitted to the mistake; the rest get the key's.
        example = "" if "例如" in problem else f"；{_example_line(key, error)}"
        lines.append(f"  - {key}: {problem}{example}")
    return "\n".join(lines)


def _problem(error) -> str:
    ctx = error.get("ctx") or {}
    if error["type"] == "value_error" and "error" in ctx:
        return str(ctx["error"])  # our validators' own bilingual message, without pydantic's "Value error, "
    template = _PROBLEMS.get(error["type"])
    if template is None:
        return f"值无效 / invalid value: {error['msg']}"
    problem = template.format(**ctx)
    if error["type"] not in ("missing", "extra_forbidden") and "input" in error:
        problem += f"（现为 / given: {error['input']!r}）"
    return problem


def _example_line(key: str, error) -> str:
    if error["type"] == "extra_forbidden":
        known = {*all_keys(Settings), *all_keys(OneCentreSettings)}
        close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.75)
        if close:
            return f"是否应为 / did you mean {close[0]}? 例如 (e.g.) {close[0]}: {_example(close[0])}"
        return "可用的配置项见 README「Configuration」/ the valid keys are listed in README (Configuration)"
    example = _example(key)
    if example is None:
        return "见 README「Configuration」/ see README (Configuration)"
    return f"例如 (e.g.) {example}"


def _example(key: str) -> str | None:
    """A valid value for a key, or for the nearest enclosing key (campaign.required_fields.1 → the list)."""
    parts = _one_centre_key(key).split(".")
    while parts:
        dotted = ".".join(parts)
        if dotted in _EXAMPLES:
            return _EXAMPLES[dotted]
        default = _default_of(parts)
        if default is not None:
            return default
        parts.pop()
    return None


def _one_centre_key(key: str) -> str:
    """campaigns.2.mailbox.host → mailbox.host, campaigns.2.deadline → campaign.deadline: an entry
    of campaigns: holds the same keys as the one-centre sections, whose examples serve both."""
    match = re.fullmatch(r"campaigns\.\d+\.(.+)", key)
    if match is None:
        return key
    rest = match.group(1)
    return rest if rest.split(".", 1)[0] in ("mailbox", "smtp") else f"campaign.{rest}"


def _section_model(annotation) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for inner in getattr(annotation, "__args__", ()):  # X | None, list[X]
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return inner
    return None


def _default_of(parts: list[str]) -> str | None:
    model: type[BaseModel] | None = OneCentreSettings
    field = None
    for part in parts:
        if model is None or part not in model.model_fields:
            return None
        field = model.model_fields[part]
        model = _section_model(field.annotation)
    if field is None or model is not None or field.is_required():
        return None  # a section or a key without a default: its example is in _EXAMPLES
    default = field.get_default(call_default_factory=True)
    if default is None:
        return None
    if isinstance(default, list):
        return "[" + ", ".join(str(item) for item in default) + "]"
    return str(default)


def all_keys(model: type[BaseModel] = Settings, prefix: str = ""):
    """Every key a config may hold, dotted (an entry of a list as ``campaigns.mailbox.host``)."""
    for name, field in model.model_fields.items():
        section = _section_model(field.annotation)
        if section is not None:
            yield from all_keys(section, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}"
