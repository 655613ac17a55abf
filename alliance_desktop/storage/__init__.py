"""Persistence: SQLAlchemy models, the engine and its pragmas, migrations and repositories.

Only plain dataclasses leave this package; ORM objects stay inside it.
"""
