"""Full-text search of known errors with the database's own engine: SQLite FTS5 (porter
tokenizer) or PostgreSQL tsvectors (`english` configuration).

The query is never built from what a person typed: their text is cut into words (letters
and digits only, so no quote, operator or column filter survives), stop words are dropped,
and each word is quoted again before the engine sees it. A known error matches when it
shares at least `shared` of those words (any `shared` of them: an OR of ANDs), and matches
are ranked by the engine (bm25, ts_rank_cd). Counting shared words, not comparing scores,
is what makes SQLite and PostgreSQL agree on what matches: their scores are not alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import combinations

from sqlalchemy import text
from sqlalchemy.orm import Session

from domain.errors import InvalidInput

MAX_QUERY = 500  # characters of a search; longer is a paste, not a query
MAX_WORDS = 8  # the words a query keeps (the first ones: a title comes first)
WORD = re.compile(r"[^\W_]+")
# PostgreSQL's `english` stop words (tsearch_data/english.stop), dropped on both engines so
# that both look for the same words.
STOP_WORDS = frozenset(
    """i me my myself we our ours ourselves you your yours yourself yourselves he him his
    himself she her hers herself it its itself they them their theirs themselves what which
    who whom this that these those am is are was were be been being have has had having do
    does did doing a an the and but if or because as until while of at by for with about
    against between into through during before after above below to from up down in out on
    off over under again further then once here there when where why how all any both each
    few more most other some such no nor not only own same so than too very s t can will
    just don should now""".split()  # noqa: SIM905  (a list literal of 127 words reads worse)
)

# PostgreSQL searches a stored tsvector column, `search_vector`, made by the migration with
# its own configuration `deskbot`: the porter stemmer FTS5 uses (not english's snowball, which
# stems e.g. "randomly" otherwise), and punctuation turned into spaces first so that host
# names and paths are words, as in FTS5. Title and symptoms weigh A, the rest B.
PG_CONFIG = "deskbot"
MAX_INTAKE_WORDS = 6  # a report's first words; more cost time and rarely change a decision


def words_of(typed: str, limit: int = MAX_WORDS) -> list[str]:
    """The distinct words of a text worth searching for, in order, at most `limit`.

    A word is letters and decimal digits only: a superscript or a fraction sign is no
    word to PostgreSQL, and a word one engine drops would make the engines disagree.
    """
    found: list[str] = []
    for run in WORD.findall(typed.lower()):
        clean = "".join(c if c.isalpha() or c.isdecimal() else " " for c in run)
        for word in clean.split():
            if len(word) > 1 and word not in STOP_WORDS and word not in found:
                found.append(word[:40])
                if len(found) == limit:
                    return found
    return found


def search_words(typed: str) -> list[str]:
    """The words of a search a person typed, or the reason it cannot be searched."""
    if len(typed) > MAX_QUERY:
        raise InvalidInput(
            f"A search can be at most {MAX_QUERY} characters (this one has {len(typed)}); "
            "a few words of the symptom are enough."
        )
    found = words_of(typed)
    if not found:
        raise InvalidInput(
            "Give a few words to search for, e.g. /kb search vpn drops after sleep "
            "(punctuation and words such as 'the' or 'not' are not searched)."
        )
    return found


@dataclass(frozen=True)
class Hit:
    """A known error that matched, and the engine's rank (higher is better)."""

    known_error_id: int
    rank: float


def find(
    session: Session,
    words: list[str],
    *,
    shared: int,
    symptoms_only: bool,
    service: str | None = None,
    category: str | None = None,
    active_only: bool = False,
    limit: int = 10,
    by_rank: bool = True,
) -> list[Hit]:
    """Known errors sharing at least `shared` of `words`, best first.

    `symptoms_only` looks at titles and symptoms (what a reporter would describe); else
    root causes and workarounds count too. With `service`, only that service's known
    errors; with `category` too, those of that category or of none. Best is the engine's
    rank (bm25, ts_rank: rare words weigh more), or with `by_rank` off the most words
    shared, then the oldest: what both engines agree on, for decisions that must not
    depend on the database.
    """
    shared = min(shared, len(words))
    if shared < 1:
        return []
    groups = list(combinations(words, shared))
    where, params = ["1 = 1"], {"limit": limit}
    order = "rank DESC, ke.id" if by_rank else "shared DESC, ke.id"
    if service is not None:
        where.append("ke.service = :service")
        params["service"] = service
        if category is not None:
            where.append("(ke.category IS NULL OR ke.category = :category)")
            params["category"] = category
    if active_only:
        where.append("ke.active")
    dialect = session.get_bind().dialect.name
    search = _sqlite if dialect == "sqlite" else _postgres
    rows = search(session, words, groups, symptoms_only, " AND ".join(where), order, params)
    return [Hit(int(row[0]), float(row[1])) for row in rows]


def _sqlite(session, words, groups, symptoms_only, where, order, params):
    columns = "{title symptoms} : " if symptoms_only else ""
    params["match"] = (
        columns
        + "("
        + " OR ".join("(" + " AND ".join(f'"{w}"' for w in g) + ")" for g in groups)
        + ")"
    )
    # One membership per word: how many of the words a known error shares.
    shared = " + ".join(
        f"(ke.id IN (SELECT rowid FROM known_errors_fts WHERE known_errors_fts MATCH :w{i}))"
        for i in range(len(words))
    )
    params.update({f"w{i}": f'{columns}"{w}"' for i, w in enumerate(words)})
    # bm25 is lower for better matches; negated so that higher is better on both engines.
    return session.execute(
        text(
            f"SELECT ke.id, -bm25(known_errors_fts, 10.0, 5.0, 2.0, 1.0) AS rank, "
            f"{shared} AS shared "
            "FROM known_errors_fts JOIN known_errors AS ke ON ke.id = known_errors_fts.rowid "
            f"WHERE known_errors_fts MATCH :match AND {where} "
            f"ORDER BY {order} LIMIT :limit"
        ),
        params,
    ).all()


def _postgres(session, words, groups, symptoms_only, where, order, params):
    weight = ":A" if symptoms_only else ""
    params["query"] = " | ".join("(" + " & ".join(f"{w}{weight}" for w in g) + ")" for g in groups)
    shared = " + ".join(
        f"(ke.search_vector @@ to_tsquery('{PG_CONFIG}', :w{i}))::int" for i in range(len(words))
    )
    params.update({f"w{i}": f"{w}{weight}" for i, w in enumerate(words)})
    return session.execute(
        text(
            f"SELECT ke.id, ts_rank(ke.search_vector, q) AS rank, {shared} AS shared "
            f"FROM known_errors AS ke, to_tsquery('{PG_CONFIG}', :query) AS q "
            f"WHERE ke.search_vector @@ q AND {where} "
            f"ORDER BY {order} LIMIT :limit"
        ),
        params,
    ).all()
