"""Pages of results: which page was asked for, and what came back with the total count."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")
DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class PageRequest:
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    def __post_init__(self) -> None:
        # Clamp rather than refuse: the edges validate, this guards the other callers.
        object.__setattr__(self, "page", max(1, self.page))
        object.__setattr__(self, "per_page", min(max(1, self.per_page), MAX_PER_PAGE))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    request: PageRequest

    @property
    def last_page(self) -> int:
        return max(1, math.ceil(self.total / self.request.per_page))


async def count_rows(session: AsyncSession, statement: Select[*tuple[Any, ...]]) -> int:
    counted = select(func.count()).select_from(statement.order_by(None).subquery())
    return int(await session.scalar(counted) or 0)


async def paginate(session: AsyncSession, statement: Select[T], request: PageRequest) -> Page[T]:
    """One query for the total, one for the page (the statement must be ordered)."""
    total = await count_rows(session, statement)
    rows = await session.scalars(statement.limit(request.per_page).offset(request.offset))
    return Page(items=list(rows), total=total, request=request)
