"""Issues: opening one allocates the next per-project number and records the event."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from quart_app.models import Comment, Issue, IssueEvent, Project, User


async def allocate_issue_number(session: AsyncSession, project_id: int) -> int:
    """Hand out the project's next number inside the current (write) transaction.

    One UPDATE ... RETURNING: the row lock (PostgreSQL) or write lock (SQLite) serialises
    concurrent creators, and a rollback returns the number, so there are no gaps or duplicates.
    """
    number: int | None = await session.scalar(
        update(Project)
        .where(Project.id == project_id)
        .values(last_issue_number=Project.last_issue_number + 1)
        .returning(Project.last_issue_number)
    )
    if number is None:
        raise LookupError(f"project {project_id} does not exist")
    return number


async def create_issue(
    session: AsyncSession, *, project_id: int, author: User, title: str, body: str = ""
) -> Issue:
    number = await allocate_issue_number(session, project_id)
    issue = Issue(project_id=project_id, number=number, title=title, body=body, author_id=author.id)
    session.add(issue)
    await session.flush()
    session.add(
        IssueEvent(project_id=project_id, issue_id=issue.id, actor_id=author.id, kind="opened")
    )
    return issue


async def add_comment(session: AsyncSession, *, issue: Issue, author: User, body: str) -> Comment:
    comment = Comment(issue_id=issue.id, author_id=author.id, body=body)
    session.add(comment)
    await session.flush()
    # Increment in SQL, not in Python: two concurrent comments must both count.
    count = await session.scalar(
        update(Issue)
        .where(Issue.id == issue.id)
        .values(comment_count=Issue.comment_count + 1)
        .returning(Issue.comment_count)
    )
    set_committed_value(issue, "comment_count", count)
    session.add(
        IssueEvent(
            project_id=issue.project_id,
            issue_id=issue.id,
            actor_id=author.id,
            kind="commented",
            data={"comment_id": comment.id},
        )
    )
    return comment
