"""Full-text search over issues: our own tokenizer, the per-issue document, the match clause.

Words are runs of letters and digits, case-folded (NFC, so a decomposed "é" is the same letter)
and cut to 64 characters; a query matches an issue when every query word is the start of some
word in its title, body or comments. Both
databases index the words this module produces, verbatim (see models/search.py), so SQLite and
PostgreSQL return the same issues for the same data.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, delete, insert, literal_column, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from quart_app.models import Comment, Issue, IssueSearchDocument

WORD = re.compile(r"[^\W_]+")  # letters and digits; "_" and punctuation separate words
MAX_WORD_LENGTH = 64
# Bounds one huge thread's share of the index; PostgreSQL also refuses a tsvector over 1 MB.
MAX_DOCUMENT_BYTES = 500_000
MAX_QUERY_WORDS = 10
INSERT_DOCUMENT = insert(cast(Table, IssueSearchDocument.__table__))


def words_in(text_: str) -> list[str]:
    """The distinct words of ``text_``, in order of first appearance."""
    seen: dict[str, None] = {}
    for match in WORD.finditer(unicodedata.normalize("NFC", text_.casefold())):
        seen.setdefault(match.group()[:MAX_WORD_LENGTH], None)
    return list(seen)


def search_document(*texts: str) -> str:
    """The distinct words of ``texts``, first ones first, up to MAX_DOCUMENT_BYTES of UTF-8."""
    seen: dict[str, None] = {}
    size = 0
    for text_ in texts:
        for word in words_in(text_):
            if word in seen:
                continue
            size += len(word.encode()) + 1
            if size > MAX_DOCUMENT_BYTES:
                return " ".join(seen)
            seen[word] = None
    return " ".join(seen)


async def refresh_search_document(session: AsyncSession, issue: Issue) -> None:
    """Rebuild the issue's document from its title, body and comments (call after a change)."""
    comments = await session.scalars(select(Comment.body).where(Comment.issue_id == issue.id))
    document = search_document(issue.title, issue.body, *comments)
    await session.execute(
        delete(IssueSearchDocument).where(IssueSearchDocument.issue_id == issue.id)
    )
    session.add(IssueSearchDocument(issue_id=issue.id, document=document))
    await session.flush()


def add_search_document(session: Session, issue: Issue) -> None:
    """The document of a new issue (no comments, no document yet): one prepared INSERT.

    Synchronous, for a function the hot create path runs through ``AsyncSession.run_sync``.
    """
    document = search_document(issue.title, issue.body)
    session.connection().execute(INSERT_DOCUMENT, {"issue_id": issue.id, "document": document})


def matching_issue_ids(dialect: str, query: str) -> ColumnElement[bool] | None:
    """A condition on Issue.id for issues matching every word of ``query`` (None: no words)."""
    terms = words_in(query)[:MAX_QUERY_WORDS]
    if not terms:
        return None
    if dialect == "sqlite":
        # '"word"*' is a prefix query; words are letters and digits, so quoting is enough.
        fts_query = " ".join(f'"{term}"*' for term in terms)
        ids: Select[Any] = (
            select(literal_column("rowid"))
            .select_from(text("issue_search_fts"))
            .where(text("issue_search_fts MATCH :fts_query").bindparams(fts_query=fts_query))
        )
        return Issue.id.in_(ids)
    ts_query = " & ".join(f"'{term}':*" for term in terms)
    document_ids = select(IssueSearchDocument.issue_id).where(
        text(
            "array_to_tsvector(string_to_array(issue_search_documents.document, ' ')) "
            "@@ CAST(:ts_query AS tsquery)"
        ).bindparams(ts_query=ts_query)
    )
    return Issue.id.in_(document_ids)
