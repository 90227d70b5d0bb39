"""The project a request is about, as the requester may see it (404 when they may not)."""

from __future__ import annotations

from quart_app.db import get_session, run_read
from quart_app.security.auth import current_user, current_user_in, require_api_user
from quart_app.services.access import ProjectAccess, find_project, load_project


async def project_for_reading(key: str) -> ProjectAccess:
    """Anyone may read a public project; only members a private one."""
    return await run_read(find_project, key, current_user())


async def project_for_writing(key: str) -> ProjectAccess:
    """Writes need someone signed in (401 first), then the project as they see it."""
    require_api_user()
    session = get_session()
    return await load_project(session, key, await current_user_in(session))
