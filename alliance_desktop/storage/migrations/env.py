"""Alembic environment: runs migrations on the connection handed in by ``storage.database``."""

from __future__ import annotations

from alembic import context

from alliance_desktop.storage.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only for `alembic` run by hand during development
    from sqlalchemy import create_engine

    url = config.get_main_option("sqlalchemy.url") or "sqlite:///dev.db"
    connection = create_engine(url).connect()

# render_as_batch: SQLite cannot ALTER most things; batch mode copies the table instead.
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
