"""The audit log: one row per thing a person did (never updated, never deleted)."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from intake.core.models import AuditEntry

# action → what staff read on the audit page
ACTION_LABELS = {
    "login": "登录", "login_failed": "登录失败", "logout": "退出", "reveal": "查看完整证件号/电话",
    "correct": "修改字段", "confirm": "确认字段", "approve": "通过", "reject": "不通过",
    "request_info": "要求补充材料", "reopen": "重新审核", "export": "导出", "retry": "重试",
    "merge": "合并重复报名", "keep_apart": "标记为不同申请人", "user_add": "新增用户",
    "user_disable": "停用用户", "user_passwd": "修改密码", "user_grant": "授予活动角色", "user_revoke": "收回活动角色",
}


def record(session: Session, action: str, *, username: str, application_id: int | None = None,
           details: dict[str, Any] | None = None, address: str | None = None) -> AuditEntry:
    entry = AuditEntry(username=username, action=action, application_id=application_id,
                       details=dict(details or {}), address=address)
    session.add(entry)
    return entry
