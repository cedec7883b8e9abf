"""Alembic revisions for the domain's tables."""

# Made by revision 0005 with plain SQL, outside the models: SQLite's FTS5 table of known
# errors and the shadow tables FTS5 keeps beside it.
SEARCH_TABLES = ("known_errors_fts",)


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """What comparing models and database looks at: not the full-text search tables."""
    return not (type_ == "table" and reflected and str(name).startswith(SEARCH_TABLES))
