"""The full-text index of issues: one document per issue (title, body and comments, as words).

The document holds each distinct word once, lowercased and split by our own tokenizer
(services/search.py), separated by spaces. Both indexes take those words verbatim: FTS5's
'ascii' tokenizer splits on the spaces only (our words have no ASCII punctuation), and
PostgreSQL builds the tsvector from the word array without a parser or dictionary. So the two
databases hold the same words, whatever their locale, and answer the same queries. The
dialect-specific index is plain DDL run after the table exists.
"""

from __future__ import annotations

from sqlalchemy import DDL, ForeignKey, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from quart_app.models.base import Base

FTS_TABLE = "issue_search_fts"  # SQLite only: an FTS5 index over issue_search_documents
TSVECTOR_INDEX = "ix_issue_search_documents_tsv"  # PostgreSQL only: GIN over the word array

# The migration that creates the table runs the same statements (it may not import this module).
SQLITE_DDL = (
    "CREATE VIRTUAL TABLE issue_search_fts USING fts5(document, content='issue_search_documents', "
    "content_rowid='issue_id', tokenize='ascii')",
    # External-content FTS5 tables are kept in step by triggers (sqlite.org/fts5.html 4.4.3).
    "CREATE TRIGGER issue_search_documents_ai AFTER INSERT ON issue_search_documents BEGIN "
    "INSERT INTO issue_search_fts(rowid, document) VALUES (new.issue_id, new.document); END",
    "CREATE TRIGGER issue_search_documents_ad AFTER DELETE ON issue_search_documents BEGIN "
    "INSERT INTO issue_search_fts(issue_search_fts, rowid, document) "
    "VALUES ('delete', old.issue_id, old.document); END",
    "CREATE TRIGGER issue_search_documents_au AFTER UPDATE ON issue_search_documents BEGIN "
    "INSERT INTO issue_search_fts(issue_search_fts, rowid, document) "
    "VALUES ('delete', old.issue_id, old.document); "
    "INSERT INTO issue_search_fts(rowid, document) VALUES (new.issue_id, new.document); END",
)
POSTGRESQL_DDL = (
    "CREATE INDEX ix_issue_search_documents_tsv ON issue_search_documents "
    "USING gin (array_to_tsvector(string_to_array(document, ' ')))",
)


class IssueSearchDocument(Base):
    __tablename__ = "issue_search_documents"

    issue_id: Mapped[int] = mapped_column(
        ForeignKey("issues.id", ondelete="CASCADE"), primary_key=True
    )
    document: Mapped[str] = mapped_column(Text)


def is_dialect_search_object(name: str | None) -> bool:
    """Objects the models do not describe; the migration drift check must not report them."""
    return bool(name) and (str(name).startswith(FTS_TABLE) or name == TSVECTOR_INDEX)


def _run_after_create(statements: tuple[str, ...], dialect: str) -> None:
    for statement in statements:
        ddl = DDL(statement).execute_if(dialect=dialect)  # type: ignore[no-untyped-call]
        event.listen(IssueSearchDocument.__table__, "after_create", ddl)


_run_after_create(SQLITE_DDL, "sqlite")
_run_after_create(POSTGRESQL_DDL, "postgresql")
