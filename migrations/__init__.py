"""Alembic revisions for the domain's tables."""
