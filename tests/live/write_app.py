"""The app plus probe routes for live tests: a write (multi-worker writes) and a slow request."""

from __future__ import annotations

import asyncio
import os

from quart import Quart
from sqlalchemy import select

import quart_app
from quart_app.db import get_session
from quart_app.models import Project, Role, User
from quart_app.services.access import ProjectAccess
from quart_app.services.issues import create_issue


def create_app() -> Quart:
    app = quart_app.create_app()

    @app.post("/_live/projects/<int:project_id>/issues")
    async def open_issue(project_id: int) -> tuple[dict[str, int], int]:
        session = get_session()
        author = await session.scalar(select(User).limit(1))
        project = await session.get(Project, project_id)
        assert author is not None and project is not None
        access = ProjectAccess(project=project, user=author, role=Role.OWNER)
        issue = await create_issue(session, access, title="load")
        await session.commit()
        return {"number": issue.number, "worker": os.getpid()}, 201

    @app.get("/_live/slow")
    async def slow() -> dict[str, str]:
        await asyncio.sleep(1.5)
        return {"status": "finished"}

    return app
