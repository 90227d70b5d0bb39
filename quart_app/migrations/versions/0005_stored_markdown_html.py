"""Issues and comments: body_html, the body's Markdown rendered once on write and stored

Reads showed every body by rendering it (~0.7 ms each; a cache cannot help across 50,000
issues). The column is filled here for existing rows; from now on the models render on write.

This imports the live renderer on purpose, unlike the frozen copies elsewhere: the stored HTML
is a cache of the body, and the renderer of the day is the right one to fill it. A later change
to the rendering rules adds a migration that re-renders, with ``rerender`` below as its model.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from quart_app.markdown import render_markdown

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("issues", "comments")
BATCH_ROWS = 1_000


def rerender(table_name: str) -> None:
    """Render every body of the table again, a batch of rows at a time, in id order (keyset
    pagination: each batch is one indexed range read, however large the table)."""
    connection = op.get_bind()
    table = sa.table(
        table_name, sa.column("id", sa.Integer), sa.column("body", sa.Text),
        sa.column("body_html", sa.Text),
    )  # fmt: skip
    read = sa.select(table.c.id, table.c.body).order_by(table.c.id).limit(BATCH_ROWS)
    write = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("row_id"))
        .values(body_html=sa.bindparam("html"))
    )
    last_id = 0
    while rows := connection.execute(read.where(table.c.id > last_id)).all():
        connection.execute(
            write, [{"row_id": id_, "html": render_markdown(body)} for id_, body in rows]
        )
        last_id = rows[-1].id


def upgrade() -> None:
    for table_name in TABLES:
        # The server default fills the existing rows, so NOT NULL holds from the start.
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("body_html", sa.Text(), server_default="", nullable=False)
            )
        rerender(table_name)


def downgrade() -> None:
    for table_name in TABLES:
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            batch_op.drop_column("body_html")
