"""The whole schema: the kernel's records and every process's, on one metadata.

Alembic and the tests read `Base.metadata` from here, so no process's tables are missed.
"""

from domain import processes  # noqa: F401  (imports every process's records)
from domain.records import Base

metadata = Base.metadata
__all__ = ["Base", "metadata"]
