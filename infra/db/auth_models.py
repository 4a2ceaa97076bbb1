"""Tables of the API's own state: users, their API tokens (stored hashed), and the append-only audit trail.

They share `Base` with the read model so one migration history covers the whole schema. Unlike the read
model they are not a projection: they cannot be rebuilt from Kafka, so back them up.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from infra.db.models import Base

__all__ = ["ApiTokenRow", "AuditRow", "UserRow"]


class UserRow(Base):
    """A person or system that calls the API: roles, and the unit or exercise its rights are scoped to."""

    __tablename__ = "users"

    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    roles: Mapped[list[Any]] = mapped_column(JSON, default=list)
    unit: Mapped[str | None] = mapped_column(String(120))
    exercise_id: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ApiTokenRow(Base):
    """An opaque bearer token, by the SHA-256 of its text (the text itself is never stored)."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_user", "user_name"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    prefix: Mapped[str] = mapped_column(String(16))
    user_name: Mapped[str] = mapped_column(String(120), ForeignKey("users.name", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditRow(Base):
    """One command as the API took it: who, when, what, from where, and what became of it. Append-only."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_incident", "incident_id"), Index("ix_audit_log_at", "at"))

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(120))
    roles: Mapped[list[Any]] = mapped_column(JSON, default=list)
    unit: Mapped[str | None] = mapped_column(String(120))
    ip: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(64))
    command_id: Mapped[str] = mapped_column(String(200), index=True)
    command_type: Mapped[str] = mapped_column(String(64))
    topic: Mapped[str] = mapped_column(String(200))
    incident_id: Mapped[str | None] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(16))
    exercise_id: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    outcome: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text, default="")
