"""What a configuration error says: the key, the problem in Chinese and English, and a valid example.

Pydantic's errors are turned into one line per key. The key's example comes
from ``_EXAMPLES``, or from its default; an unknown key gets the closest
known one. The models are passed in (``roots``), so this module needs none.
"""
from __future__ import annotations

import difflib
import re

from pydantic import BaseModel, ValidationError


class ConfigError(Exception):
    """The configuration cannot be used; the message says which key and what to do."""


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


def describe_validation_error(exc: ValidationError, source: str, *, roots: tuple[type[BaseModel], ...]) -> str:
    """``roots``: the models a config may be (the first one gives the defaults shown as examples)."""
    lines = [f"{source}: 配置有误 (invalid configuration):"]
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"]) or "(top level)"
        problem = _problem(error)
        # Our own validators' messages carry an example fitted to the mistake; the rest get the key's.
        example = "" if "例如" in problem else f"；{_example_line(key, error, roots)}"
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


def _example_line(key: str, error, roots: tuple[type[BaseModel], ...]) -> str:
    if error["type"] == "extra_forbidden":
        known = {key for root in roots for key in all_keys(root)}
        close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.75)
        if close:
            return f"是否应为 / did you mean {close[0]}? 例如 (e.g.) {close[0]}: {_example(close[0], roots[0])}"
        return "可用的配置项见 README「Configuration」/ the valid keys are listed in README (Configuration)"
    example = _example(key, roots[0])
    if example is None:
        return "见 README「Configuration」/ see README (Configuration)"
    return f"例如 (e.g.) {example}"


def _example(key: str, root: type[BaseModel]) -> str | None:
    """A valid value for a key, or for the nearest enclosing key (campaign.required_fields.1 → the list)."""
    parts = _one_centre_key(key).split(".")
    while parts:
        dotted = ".".join(parts)
        if dotted in _EXAMPLES:
            return _EXAMPLES[dotted]
        default = _default_of(parts, root)
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


def _default_of(parts: list[str], root: type[BaseModel]) -> str | None:
    model: type[BaseModel] | None = root
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


def all_keys(model: type[BaseModel], prefix: str = ""):
    """Every key a config may hold, dotted (an entry of a list as ``campaigns.mailbox.host``)."""
    for name, field in model.model_fields.items():
        section = _section_model(field.annotation)
        if section is not None:
            yield from all_keys(section, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}"
