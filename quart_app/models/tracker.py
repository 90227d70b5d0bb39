"""The tracker's tables: projects and memberships, milestones, labels, issues, comments, events."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from quart_app.markdown import render_markdown
from quart_app.models.base import Base, TimestampMixin, enum_column, utcnow

if TYPE_CHECKING:
    from quart_app.models.accounts import User


class Role(enum.StrEnum):
    OWNER = "owner"
    MAINTAINER = "maintainer"
    REPORTER = "reporter"


class Visibility(enum.StrEnum):
    PRIVATE = "private"
    PUBLIC = "public"


class IssueState(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class CloseReason(enum.StrEnum):
    COMPLETED = "completed"
    NOT_PLANNED = "not_planned"
    DUPLICATE = "duplicate"


class Project(TimestampMixin, Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(10), unique=True)  # "WEB" in WEB-42
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[Visibility] = mapped_column(
        enum_column(Visibility, "visibility"), default=Visibility.PRIVATE
    )
    # The last issue number handed out; incremented in the creating transaction, so no gaps.
    last_issue_number: Mapped[int] = mapped_column(default=0)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="project", lazy="raise", passive_deletes=True
    )


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("project_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    project: Mapped[Project] = relationship(back_populates="memberships", lazy="raise")
    user: Mapped[User] = relationship(back_populates="memberships", lazy="raise")


class Milestone(TimestampMixin, Base):
    __tablename__ = "milestones"
    __table_args__ = (UniqueConstraint("project_id", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    due_on: Mapped[date | None] = mapped_column(Date)
    closed_at: Mapped[datetime | None]


class Label(Base):
    __tablename__ = "labels"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(50))  # "priority/high" is exclusive in "priority"
    color: Mapped[str] = mapped_column(String(7), default="#6b7280")
    description: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IssueLabel(Base):
    __tablename__ = "issue_labels"

    issue_id: Mapped[int] = mapped_column(
        ForeignKey("issues.id", ondelete="CASCADE"), primary_key=True
    )
    label_id: Mapped[int] = mapped_column(
        ForeignKey("labels.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class IssueAssignee(Base):
    __tablename__ = "issue_assignees"

    issue_id: Mapped[int] = mapped_column(
        ForeignKey("issues.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class RenderedBody:
    """``body_html``: the Markdown ``body`` rendered and sanitised, stored beside it.

    Rendering costs more than the reads of a page, so it happens once, when the body is set:
    assigning ``body`` (in the constructor too) renders it here, so no ORM write can forget.
    Core inserts and updates bypass this and must set ``body_html`` with ``render_markdown``
    themselves (the load seeder, migrations). It is a cache of ``body``: see markdown.py.
    """

    # The server default fills existing rows as the column is added (migration 0005); as SQL
    # text, because Alembic's SQLite drift check reads back '' and would not match a bare "".
    body_html: Mapped[str] = mapped_column(Text, default="", server_default=text("''"))

    @validates("body")
    def _render_body(self, _key: str, body: str) -> str:
        self.body_html = render_markdown(body)
        return body


class Issue(RenderedBody, TimestampMixin, Base):
    __tablename__ = "issues"
    __table_args__ = (
        UniqueConstraint("project_id", "number"),
        Index("ix_issues_project_state_created", "project_id", "state", "created_at"),
        Index("ix_issues_project_state_updated", "project_id", "state", "updated_at"),
        Index("ix_issues_project_state_comments", "project_id", "state", "comment_count"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[IssueState] = mapped_column(
        enum_column(IssueState, "issue_state"), default=IssueState.OPEN
    )
    close_reason: Mapped[CloseReason | None] = mapped_column(
        enum_column(CloseReason, "close_reason")
    )
    # Authors may delete their accounts; their issues stay, shown as a ghost.
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    milestone_id: Mapped[int | None] = mapped_column(
        ForeignKey("milestones.id", ondelete="SET NULL"), index=True
    )
    comment_count: Mapped[int] = mapped_column(default=0)  # kept in step, for sorting
    version: Mapped[int] = mapped_column(Integer, default=1)  # the ETag; bumped on every change
    closed_at: Mapped[datetime | None]

    project: Mapped[Project] = relationship(lazy="raise")
    author: Mapped[User | None] = relationship(lazy="raise")
    milestone: Mapped[Milestone | None] = relationship(lazy="raise")
    labels: Mapped[list[Label]] = relationship(
        secondary="issue_labels", lazy="raise", order_by="Label.name", passive_deletes=True
    )
    assignees: Mapped[list[User]] = relationship(
        secondary="issue_assignees", lazy="raise", order_by="User.username", passive_deletes=True
    )


class Comment(RenderedBody, TimestampMixin, Base):
    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_issue_created", "issue_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)

    author: Mapped[User | None] = relationship(lazy="raise")


class IssueEvent(Base):
    """One change to an issue: the issue timeline and the project activity feed read this table."""

    __tablename__ = "issue_events"
    __table_args__ = (
        Index("ix_issue_events_issue_id_id", "issue_id", "id"),
        Index("ix_issue_events_project_created", "project_id", "created_at"),
        Index("ix_issue_events_project_id_id", "project_id", "id"),  # the latest event id
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))  # opened, closed, labeled, commented, ...
    # {"before": ..., "after": ...} and whatever else the kind needs (label name, comment id).
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[User | None] = relationship(lazy="raise")
    issue: Mapped[Issue] = relationship(lazy="raise")
