"""problems: problem management and the known-error database

Problems with their timeline, the incidents linked to them, known errors and suggested
problems. Known errors are searched with the database's own full-text engine: on SQLite an
FTS5 table over them (porter tokenizer) kept in step by triggers, on PostgreSQL a stored
tsvector column with a GIN index, in a text search configuration `deskbot` that stems as
FTS5 does (see domain/problems/search.py).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 10:56:41.704010
"""

from alembic import op
import sqlalchemy as sa



revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('problems',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('service', sa.String(length=64), nullable=True),
    sa.Column('category', sa.String(length=64), nullable=True),
    sa.Column('priority', sa.String(length=4), nullable=False),
    sa.Column('owner_team', sa.String(length=64), nullable=True),
    sa.Column('assignee', sa.String(length=64), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('root_cause', sa.Text(), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=True),
    sa.Column('opened_by', sa.String(length=64), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_problems'))
    )
    with op.batch_alter_table('problems', schema=None) as batch_op:
        batch_op.create_index('ix_problems_owner_state', ['owner_team', 'state'], unique=False)
        batch_op.create_index('ix_problems_state_service', ['state', 'service', 'category'], unique=False)

    op.create_table('known_errors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('problem_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('symptoms', sa.Text(), nullable=False),
    sa.Column('root_cause', sa.Text(), nullable=False),
    sa.Column('workaround', sa.Text(), nullable=False),
    sa.Column('service', sa.String(length=64), nullable=True),
    sa.Column('category', sa.String(length=64), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['problem_id'], ['problems.id'], name=op.f('fk_known_errors_problem_id_problems')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_known_errors')),
    sa.UniqueConstraint('problem_id', name=op.f('uq_known_errors_problem_id'))
    )
    with op.batch_alter_table('known_errors', schema=None) as batch_op:
        batch_op.create_index('ix_known_errors_service', ['service', 'category'], unique=False)

    op.create_table('problem_suggestions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service', sa.String(length=64), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=True),
    sa.Column('owner_team', sa.String(length=64), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('incident_ids', sa.Text(), nullable=False),
    sa.Column('first_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('problem_id', sa.Integer(), nullable=True),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['problem_id'], ['problems.id'], name=op.f('fk_problem_suggestions_problem_id_problems')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_problem_suggestions'))
    )
    with op.batch_alter_table('problem_suggestions', schema=None) as batch_op:
        batch_op.create_index('ix_problem_suggestions_open', ['service', 'category', 'state'], unique=False)

    op.create_table('problem_timeline',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('problem_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['problem_id'], ['problems.id'], name=op.f('fk_problem_timeline_problem_id_problems')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_problem_timeline'))
    )
    with op.batch_alter_table('problem_timeline', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_problem_timeline_problem_id'), ['problem_id'], unique=False)

    op.create_table('problem_links',
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('problem_id', sa.Integer(), nullable=False),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('linked_by', sa.String(length=64), nullable=False),
    sa.Column('workaround_of', sa.Integer(), nullable=True),
    sa.Column('workaround_answer', sa.String(length=8), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_problem_links_incident_id_incidents')),
    sa.ForeignKeyConstraint(['problem_id'], ['problems.id'], name=op.f('fk_problem_links_problem_id_problems')),
    sa.ForeignKeyConstraint(['workaround_of'], ['known_errors.id'], name=op.f('fk_problem_links_workaround_of_known_errors')),
    sa.PrimaryKeyConstraint('incident_id', name=op.f('pk_problem_links'))
    )
    with op.batch_alter_table('problem_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_problem_links_problem_id'), ['problem_id'], unique=False)

    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index(
            'ix_incidents_service_opened', ['service', 'category', 'opened_at'], unique=False
        )

    _create_search()


def downgrade() -> None:
    _drop_search()
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index('ix_incidents_service_opened')
    with op.batch_alter_table('problem_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_problem_links_problem_id'))

    op.drop_table('problem_links')
    with op.batch_alter_table('problem_timeline', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_problem_timeline_problem_id'))

    op.drop_table('problem_timeline')
    with op.batch_alter_table('problem_suggestions', schema=None) as batch_op:
        batch_op.drop_index('ix_problem_suggestions_open')

    op.drop_table('problem_suggestions')
    with op.batch_alter_table('known_errors', schema=None) as batch_op:
        batch_op.drop_index('ix_known_errors_service')

    op.drop_table('known_errors')
    with op.batch_alter_table('problems', schema=None) as batch_op:
        batch_op.drop_index('ix_problems_state_service')
        batch_op.drop_index('ix_problems_owner_state')

    op.drop_table('problems')


FTS_COLUMNS = "title, symptoms, root_cause, workaround"
# Punctuation becomes a space before PostgreSQL's parser sees the text, as FTS5's tokenizer
# splits on it: "webmail.example.com" is three words on both (ASCII ranges only, so the
# expression does not depend on the database's locale and may be stored).
def _words(columns: str) -> str:
    return rf"regexp_replace({columns}, '[!-/:-@\[-`{{-~]', ' ', 'g')"


PG_VECTOR = (
    "setweight(to_tsvector('deskbot', "
    + _words("coalesce(title, '') || ' ' || coalesce(symptoms, '')")
    + "), 'A') || setweight(to_tsvector('deskbot', "
    + _words("coalesce(root_cause, '') || ' ' || coalesce(workaround, '')")
    + "), 'B')"
)


def _create_search() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"CREATE VIRTUAL TABLE known_errors_fts USING fts5({FTS_COLUMNS}, "
            "content='known_errors', content_rowid='id', "
            "tokenize='porter unicode61 remove_diacritics 2')"
        )
        new = f"INSERT INTO known_errors_fts(rowid, {FTS_COLUMNS}) VALUES " \
            "(new.id, new.title, new.symptoms, new.root_cause, new.workaround);"
        old = f"INSERT INTO known_errors_fts(known_errors_fts, rowid, {FTS_COLUMNS}) VALUES " \
            "('delete', old.id, old.title, old.symptoms, old.root_cause, old.workaround);"
        op.execute(f"CREATE TRIGGER known_errors_fts_ai AFTER INSERT ON known_errors BEGIN {new} END")
        op.execute(f"CREATE TRIGGER known_errors_fts_ad AFTER DELETE ON known_errors BEGIN {old} END")
        op.execute(
            f"CREATE TRIGGER known_errors_fts_au AFTER UPDATE ON known_errors BEGIN {old} {new} END"
        )
    else:
        # The porter stemmer (FTS5's), with english stop words, for every kind of word.
        op.execute(
            "CREATE TEXT SEARCH DICTIONARY deskbot_porter "
            "(TEMPLATE = snowball, Language = porter, StopWords = english)"
        )
        op.execute("CREATE TEXT SEARCH CONFIGURATION deskbot (COPY = english)")
        op.execute(
            "ALTER TEXT SEARCH CONFIGURATION deskbot ALTER MAPPING FOR asciiword, asciihword, "
            "hword_asciipart, word, hword, hword_part WITH deskbot_porter"
        )
        op.execute(
            "ALTER TABLE known_errors ADD COLUMN search_vector tsvector "
            f"GENERATED ALWAYS AS ({PG_VECTOR}) STORED"
        )
        op.execute("CREATE INDEX ix_known_errors_search ON known_errors USING gin (search_vector)")


def _drop_search() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS known_errors_fts_{trigger}")
        op.execute("DROP TABLE IF EXISTS known_errors_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_known_errors_search")
        op.execute("ALTER TABLE known_errors DROP COLUMN IF EXISTS search_vector")
        op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS deskbot")
        op.execute("DROP TEXT SEARCH DICTIONARY IF EXISTS deskbot_porter")
