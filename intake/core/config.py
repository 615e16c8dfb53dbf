"""Load and validate config.yaml once, at start-up.

A wrong or missing key names the key and the command exits non-zero (see
``ConfigError``). Secrets may come from the environment (``password_env``).
Nothing here runs at import time.
"""
from __future__ import annotations

import os
from datetime import date, datetime, time
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

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


class _ServerSettings(_Strict):
    host: str
    port: int = Field(ge=1, le=65535)
    security: Security = "ssl"
    username: str = ""
    password: str | None = None
    password_env: str | None = None
    timeout_seconds: float = Field(default=60, gt=0)

    @model_validator(mode="after")
    def _one_password_source(self):
        if self.password is not None and self.password_env:
            raise ValueError("give either password or password_env, not both")
        return self

    def resolved_password(self) -> str | None:
        """The secret, read from the environment when ``password_env`` names a variable."""
        if self.password_env:
            value = os.environ.get(self.password_env)
            if value is None:
                raise ConfigError(
                    f"环境变量 {self.password_env} 未设置（配置项 password_env 指向它）。"
                    f" Set {self.password_env} to the mailbox authorization code."
                )
            return value
        return self.password


class MailboxSettings(_ServerSettings):
    port: int = Field(default=993, ge=1, le=65535)
    folder: str = "INBOX"
    move_to: str | None = None  # optional: move processed mail to this folder
    batch_size: int = Field(default=50, ge=1, le=1000)
    id_name: str = "intake"  # sent in the IMAP ID command (NetEase refuses SELECT without it)


class SmtpSettings(_ServerSettings):
    port: int = Field(default=465, ge=1, le=65535)
    from_address: str
    from_name: str = "湛江市中小企业服务中心"

    @field_validator("from_address")
    @classmethod
    def _looks_like_address(cls, value: str) -> str:
        if "@" not in value or any(c in value for c in " \r\n<>,"):
            raise ValueError("must be a plain address like name@126.com")
        return value


class DatabaseSettings(_Strict):
    url: str = "sqlite:///data/intake.sqlite3"


class StorageSettings(_Strict):
    path: Path = Path("data/store")


class CampaignSettings(_Strict):
    name: str
    title: str = "湛江市中小企业志愿服务专家报名"
    deadline: date
    timezone: str = "Asia/Shanghai"
    reference_prefix: str = "ZJZJ"
    required_fields: list[str] = Field(default_factory=lambda: list(DEFAULT_REQUIRED_FIELDS))
    # County (县/市/区) → its number of service workstations; each county aims
    # at experts_per_workstation × that many approved experts.
    workstations: dict[str, int] = Field(default_factory=dict)
    experts_per_workstation: int = Field(default=3, ge=1)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use an IANA name like Asia/Shanghai") from None
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def deadline_end(self) -> datetime:
        """The last instant that counts as on time: the deadline day's end, local time."""
        return datetime.combine(self.deadline, time.max, tzinfo=self.tz)


class PollSettings(_Strict):
    interval_seconds: int = Field(default=300, ge=10)


class OutboxSettings(_Strict):
    retry_base_seconds: float = Field(default=300, gt=0)
    retry_max_seconds: float = Field(default=3600, gt=0)
    expire_after_hours: float = Field(default=120, gt=0)
    batch_size: int = Field(default=50, ge=1)


class ParsingSettings(_Strict):
    ocr_engine: Literal["rapidocr", "tesseract", "both"] = "rapidocr"
    review_below: float = Field(default=0.80, ge=0, le=1)
    timeout_seconds: float = Field(default=90, gt=0)
    memory_limit_mb: int = Field(default=2048, ge=256)
    max_attachment_mb: float = Field(default=20, gt=0)
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


class Settings(_Strict):
    mailbox: MailboxSettings
    smtp: SmtpSettings
    database: DatabaseSettings = DatabaseSettings()
    storage: StorageSettings = StorageSettings()
    campaign: CampaignSettings
    poll: PollSettings = PollSettings()
    outbox: OutboxSettings = OutboxSettings()
    parsing: ParsingSettings = ParsingSettings()
    web: WebSettings = WebSettings()

    @model_validator(mode="after")
    def _required_fields_known(self):
        known = {spec.key for spec in load_schema().fields}
        unknown = [key for key in self.campaign.required_fields if key not in known]
        if unknown:
            raise ValueError(f"campaign.required_fields: unknown field key(s) {unknown}; known: {sorted(known)}")
        return self


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
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections (mailbox:, smtp:, …)")
    return settings_from_mapping(data, base_dir=path.resolve().parent, source=str(path))


def settings_from_mapping(data: dict, *, base_dir: Path, source: str = "config") -> Settings:
    try:
        settings = Settings.model_validate(data)
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
            f"database.url: not a database URL: {settings.database.url!r} "
            "(e.g. sqlite:///data/intake.sqlite3 or postgresql+psycopg://user@host/intake)"
        ) from None
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        url = url.set(database=str(base_dir / url.database))  # an absolute path stays as it is
    return settings.model_copy(
        update={
            "storage": StorageSettings(path=storage),
            "database": DatabaseSettings(url=url.render_as_string(hide_password=False)),
        }
    )


def _describe_validation_error(exc: ValidationError, source: str) -> str:
    lines = [f"{source}: 配置有误 (invalid configuration):"]
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"]) or "(top level)"
        if error["type"] == "missing":
            lines.append(f"  - {key}: missing (缺少此项)")
        elif error["type"] == "extra_forbidden":
            lines.append(f"  - {key}: unknown key (未知配置项; check the spelling against README)")
        else:
            lines.append(f"  - {key}: {error['msg']}")
    return "\n".join(lines)
