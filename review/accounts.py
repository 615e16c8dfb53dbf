"""Staff accounts: argon2 password hashes, roles per campaign, disabling (which ends every session)."""
from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.core.staff_models import StaffGrant, StaffUser
from intake.core.statuses import StaffRole

_hasher = PasswordHasher()
USERNAME = re.compile(r"^[A-Za-z0-9_.\-\u4e00-\u9fff]{2,64}$")
MIN_PASSWORD_CHARS = 10


class AccountError(ValueError):
    """The account cannot be changed this way; the message says why, in Chinese."""


def find_user(session: Session, username: str) -> StaffUser | None:
    return session.scalars(select(StaffUser).where(StaffUser.username == username)).first()


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"密码至少 {MIN_PASSWORD_CHARS} 个字符。")


def add_user(session: Session, username: str, password: str, role: StaffRole | None, *,
             campaigns: Sequence[str] = (), provincial: bool = False) -> StaffUser:
    """An account with ``role`` in each of ``campaigns``; ``provincial``: it reads every campaign too."""
    if not USERNAME.match(username):
        raise AccountError("用户名只能包含字母、数字、汉字、点、横线和下划线（2–64 个字符）。")
    if find_user(session, username) is not None:
        raise AccountError(f"用户 {username} 已存在。")
    if not campaigns and not provincial:
        raise AccountError("请指定账号负责的活动（--campaign），或设为省级账号（--provincial）。")
    if campaigns and role is None:
        raise AccountError("请指定账号在这些活动中的角色（--role reviewer 或 admin）。")
    check_password_strength(password)
    user = StaffUser(username=username, password_hash=_hasher.hash(password), provincial=provincial, active=True,
                     session_version=1)
    user.grants = [StaffGrant(campaign=campaign, role=StaffRole(role)) for campaign in dict.fromkeys(campaigns)]
    session.add(user)
    session.flush()
    return user


def grant(session: Session, username: str, campaign: str, role: StaffRole) -> StaffUser:
    """Give an account ``role`` in ``campaign`` (replacing the role it had there)."""
    user = _existing(session, username)
    existing = next((each for each in user.grants if each.campaign == campaign), None)
    if existing is None:
        user.grants.append(StaffGrant(campaign=campaign, role=StaffRole(role)))
    else:
        existing.role = StaffRole(role)
    user.session_version += 1  # what it may see changed: its open sessions sign in again
    return user


def revoke(session: Session, username: str, campaign: str) -> StaffUser:
    user = _existing(session, username)
    kept = [each for each in user.grants if each.campaign != campaign]
    if len(kept) == len(user.grants):
        raise AccountError(f"用户 {username} 在活动 {campaign} 中没有角色。")
    user.grants = kept
    user.session_version += 1
    return user


def set_password(session: Session, username: str, password: str) -> StaffUser:
    user = _existing(session, username)
    check_password_strength(password)
    user.password_hash = _hasher.hash(password)
    user.session_version += 1  # sessions signed in with the old password end
    return user


def disable_user(session: Session, username: str) -> StaffUser:
    user = _existing(session, username)
    user.active = False
    user.session_version += 1
    return user


def verify_password(user: StaffUser, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    """Compared against when the username is unknown, so a wrong name takes as long as a wrong
    password; made on first use, not at import (hashing takes a moment and 64 MB)."""
    return _hasher.hash("not a real password, only for timing")


def authenticate(session: Session, username: str, password: str) -> StaffUser | None:
    user = find_user(session, username)
    if user is None or not user.active:
        try:
            _hasher.verify(_dummy_hash(), password)
        except VerificationError:
            pass
        return None
    return user if verify_password(user, password) else None


def _existing(session: Session, username: str) -> StaffUser:
    user = find_user(session, username)
    if user is None:
        raise AccountError(f"没有用户 {username}。")
    return user
