"""Alembic revisions for the domain's tables."""

# Made by revision 0005 with plain SQL, outside the models: SQLite's FTS5 table of known
# errors (and the shadow tables FTS5 keeps beside it); PostgreSQL's stored tsvector column
# and its index.
SEARCH_TABLES = ("known_errors_fts",)
SEARCH_INDEXES = ("ix_known_errors_search",)
SEARCH_COLUMNS = ("search_vector",)


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """What comparing models and database looks at: not the full-text search's objects."""
    if not reflected or compare_to is not None:
        return True
    if type_ == "table":
        return not str(name).startswith(SEARCH_TABLES)
    if type_ == "column":
        return name not in SEARCH_COLUMNS
    return not (type_ == "index" and name in SEARCH_INDEXES)
