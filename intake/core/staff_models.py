"""Staff accounts of the review app and their roles per campaign.

Kept apart from ``models`` as ``reminder_models`` is; joins ``Base.metadata``
when imported (``intake.core.migrate`` imports it for the migrations).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.core.models import Base, StatusType, UTCDateTime, utcnow
from intake.core.statuses import StaffRole


class StaffUser(Base):
    """A member of staff who signs in to the review app."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    # Reads every campaign and exports the provincial report across cities;
    # deciding in a campaign still takes a grant in it.
    provincial: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped when the account is disabled or its password changes: every
    # session signed with an older number stops working at its next request.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    grants: Mapped[list[StaffGrant]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="StaffGrant.campaign")

    def role_in(self, campaign: str) -> StaffRole | None:
        """The role granted in ``campaign``; None: none (a provincial account may still read it)."""
        return next((grant.role for grant in self.grants if grant.campaign == campaign), None)

    def may_read(self, campaign: str) -> bool:
        return self.provincial or self.role_in(campaign) is not None


class StaffGrant(Base):
    """A role in one campaign: a city's reviewer or admin sees that city's applications only."""

    __tablename__ = "staff_grant"
    __table_args__ = (UniqueConstraint("user_id", "campaign", name="uq_staff_grant_user_campaign"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", name="fk_staff_grant_user"))
    campaign: Mapped[str] = mapped_column(String(100))
    role: Mapped[StaffRole] = mapped_column(StatusType(StaffRole))

    user: Mapped[StaffUser] = relationship(back_populates="grants")
