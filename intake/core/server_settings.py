"""The mailbox and SMTP sections: where a campaign reads its mail and answers from."""
from __future__ import annotations

import ipaddress
import os
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from intake.core.config_errors import ConfigError
from intake.core.log_redaction import add_secret


class StrictSection(BaseModel):
    """A config section: unknown keys are errors, values never change once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True)


Security = Literal["none", "starttls", "ssl"]


def is_loopback_host(host: str) -> bool:
    if host.strip().lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class _ServerSettings(StrictSection):
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
