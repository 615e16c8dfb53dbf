"""Staff accounts: argon2 password hashes, roles, disabling (which ends every session)."""
from __future__ import annotations

import functools
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.core.models import StaffUser
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


def add_user(session: Session, username: str, password: str, role: StaffRole) -> StaffUser:
    if not USERNAME.match(username):
        raise AccountError("用户名只能包含字母、数字、汉字、点、横线和下划线（2–64 个字符）。")
    if find_user(session, username) is not None:
        raise AccountError(f"用户 {username} 已存在。")
    check_password_strength(password)
    user = StaffUser(username=username, password_hash=_hasher.hash(password), role=StaffRole(role), active=True,
                     session_version=1)
    session.add(user)
    session.flush()
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
