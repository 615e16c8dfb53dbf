"""A campaign's section: what it asks, by when, its counties, its mailbox and SMTP account."""
from __future__ import annotations

import re
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, PrivateAttr, field_validator, model_validator

from intake.core.server_settings import MailboxSettings, SmtpSettings, StrictSection
from parsers.schema import load_schema

DEFAULT_REQUIRED_FIELDS = [
    "name", "gender", "id_number", "employer", "mobile", "email", "county", "expertise", "specialty",
]
DEFAULT_CAMPAIGN_TITLE = "湛江市中小企业志愿服务专家报名"
DEFAULT_TIMEZONE = "Asia/Shanghai"
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


class CampaignTerms(StrictSection):
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
