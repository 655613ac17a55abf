"""Alembic migrations of the practice database schema."""
