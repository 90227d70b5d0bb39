"""Tracker: the issue search index and idempotency keys

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 11:03:23.592818
"""

import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A frozen copy of models/search.py's DDL: migrations never import the models.
SQLITE_DDL = (
    "CREATE VIRTUAL TABLE issue_search_fts USING fts5(document, content='issue_search_documents', "
    "content_rowid='issue_id', tokenize='ascii')",
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
WORD = re.compile(r"[^\W_]+")


def search_document(*texts: str) -> str:
    """A frozen copy of services.search.search_document, for the backfill below."""
    seen: dict[str, None] = {}
    size = 0
    for text in texts:
        for match in WORD.finditer(unicodedata.normalize("NFC", text.casefold())):
            word = match.group()[:64]
            if word in seen:
                continue
            size += len(word.encode()) + 1
            if size > 500_000:
                return " ".join(seen)
            seen[word] = None
    return " ".join(seen)


def backfill_search_documents() -> None:
    connection = op.get_bind()
    issues = connection.execute(sa.text("SELECT id, title, body FROM issues")).all()
    for issue_id, title, body in issues:
        comments = connection.execute(
            sa.text("SELECT body FROM comments WHERE issue_id = :id"), {"id": issue_id}
        ).scalars()
        connection.execute(
            sa.text("INSERT INTO issue_search_documents (issue_id, document) VALUES (:id, :doc)"),
            {"id": issue_id, "doc": search_document(title, body, *comments)},
        )


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response_body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_idempotency_keys_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint("user_id", "key", name=op.f("uq_idempotency_keys_user_id_key")),
    )  # fmt: skip
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.create_index("ix_idempotency_keys_created_at", ["created_at"], unique=False)

    op.create_table(
        "issue_search_documents",
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issues.id"], name=op.f("fk_issue_search_documents_issue_id_issues"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("issue_id", name=op.f("pk_issue_search_documents")),
    )  # fmt: skip
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_DDL if dialect == "sqlite" else POSTGRESQL_DDL:
        op.execute(statement)
    backfill_search_documents()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE issue_search_fts")  # its triggers go with issue_search_documents
    op.drop_table("issue_search_documents")
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_idempotency_keys_created_at")
    op.drop_table("idempotency_keys")
