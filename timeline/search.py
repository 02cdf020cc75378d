"""Full-text search over entries, on an index on both engines.

What is searched, per entry: its title and summary, its claims' quotes and paraphrases and
claimants' names, the names (and aliases) of the actors taking part, and the names of its
places. The index holds every entry whatever its status: visibility is the caller's
queryset (`Entry.objects.published()`), so a draft is never found by the public and a status
change needs no re-indexing.

- SQLite: an FTS5 table, `timeline_entry_fts` (rowid = entry id).
- PostgreSQL: `timeline_entrysearch (entry_id, document tsvector)` with a GIN index.

Both are created by migration 0004 and kept in step by triggers in the database: an entry
inserted, changed or deleted; a claim, an entry's actor or place added, changed or removed;
an actor or place renamed (its entries are re-indexed). Triggers fire for bulk_create too;
`search_index_rebuild()` re-indexes some or all entries for anything written around them
(raw SQL, a restored dump). Bulk writers (the import) suspend the triggers' work with
`search_index_deferred()` and re-index what they wrote in one statement at its end.

The query language is the one readers know from search engines (PostgreSQL's
websearch_to_tsquery): words must all appear, "quoted words" are a phrase, `OR` between
words, `-word` leaves out, and `word*` matches a prefix. It is parsed here, once, into each
engine's syntax from plain word characters only, so no reader's text can make the engine
fail to parse; a query with nothing to search for is a SearchQueryError with a message for
the reader.
"""

import copy
import json
import re
from contextlib import contextmanager
from dataclasses import dataclass

from django import forms
from django.db import connection, transaction
from django.db.models import BooleanField, F, Func

from .counting import CappedCount, lower_count_cap

MAX_TERMS = 16
WORD = re.compile(r"\w+")
TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')


class SearchQueryError(ValueError):
    """A query with nothing to search for; str() is a message for the reader."""


@dataclass(frozen=True)
class Term:
    words: tuple  # one word, or several for a phrase
    prefix: bool = False
    negated: bool = False
    alternative: bool = False  # joined to the previous term with OR


def parse_query(text):
    """Reader's text → [Term, ...]; raises SearchQueryError when nothing can be searched."""
    terms = []
    or_pending = False
    for match in TOKEN.finditer(text or ""):
        minus, phrase, bare = match.groups()
        if bare is not None and bare.upper() == "OR" and bare != "or":
            or_pending = bool(terms)
            continue
        if phrase is not None:
            words, prefix, negated = WORD.findall(phrase), False, bool(minus)
        else:
            negated = bare.startswith("-") and len(bare) > 1
            prefix = bare.endswith("*")
            words = WORD.findall(bare)
            if len(words) > 1:  # "kyiv's", "e-mail": a phrase of its parts
                prefix = False
        if not words:
            continue
        terms.append(
            Term(
                tuple(word.lower() for word in words),
                prefix=prefix,
                negated=negated,
                alternative=or_pending and not negated,
            )
        )
        or_pending = False
    terms = terms[:MAX_TERMS]
    if not any(not term.negated for term in terms):
        raise SearchQueryError(
            "Type at least one word to search for: letters or digits, not only symbols "
            "or words to leave out."
        )
    return terms


def _fts5(terms):
    """FTS5 MATCH syntax: every word quoted, so nothing a reader types is an operator."""
    parts = []
    for term in terms:
        text = '"' + " ".join(term.words) + '"' + ("*" if term.prefix else "")
        if term.negated:
            parts.append(f"NOT {text}")
        elif term.alternative and parts:
            parts.append(f"OR {text}")
        else:
            parts.append(("AND " if parts else "") + text)
    return " ".join(parts)


def _tsquery(terms):
    """to_tsquery syntax, with the words normalised by the english configuration."""
    parts = []
    for term in terms:
        text = " <-> ".join(term.words) + (":*" if term.prefix else "")
        text = f"({text})"
        if term.negated:
            parts.append(f"& !{text}")
        elif term.alternative and parts:
            parts.append(f"| {text}")
        else:
            parts.append(("& " if parts else "") + text)
    return " ".join(parts)


def first_matches(terms, limit, *, published=False):
    """Up to `limit` ids of entries matching the parsed query, read from the index (and,
    with `published`, of published entries only: each match's status is read by key)."""
    if connection.vendor == "postgresql":
        sql = (
            "SELECT s.entry_id FROM timeline_entrysearch s{join} "
            "WHERE s.document @@ to_tsquery('english', %s){status} LIMIT %s"
        )
        key, params = "s.entry_id", [_tsquery(terms)]
    else:
        sql = (
            "SELECT s.rowid FROM timeline_entry_fts s{join} "
            "WHERE timeline_entry_fts MATCH %s{status} LIMIT %s"
        )
        key, params = "s.rowid", [_fts5(terms)]
    if published:
        from .models import Entry  # noqa: PLC0415 (models imports this module)

        sql = sql.format(
            join=f" JOIN timeline_entry e ON e.id = {key}", status=" AND e.status = %s"
        )
        params.append(Entry.Status.PUBLISHED)
    else:
        sql = sql.format(join="", status="")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit])
        return [row[0] for row in cursor.fetchall()]


class MatchesSearch(Func):
    """True for an entry that matches the parsed query: one probe of the index with the
    entry's key, for a queryset that walks the timeline and stops after a page."""

    output_field = BooleanField()
    conditional = True
    window = None  # (start, end): see within_window()
    newest_first = False  # see within_window()

    def __init__(self, terms):
        self.terms = terms
        super().__init__(F("pk"))

    def as_sqlite(self, compiler, connection, **extra):
        pk, params = compiler.compile(self.source_expressions[0])
        if self.window is None:
            sql = (
                "EXISTS (SELECT 1 FROM timeline_entry_fts WHERE timeline_entry_fts MATCH %s "
                f"AND timeline_entry_fts.rowid = {pk})"
            )
            return sql, [_fts5(self.terms), *params]
        start, end = (connection.ops.adapt_datetimefield_value(t) for t in self.window)
        # The window's lowest and highest ids in one pass over it, joined to the index as a
        # one-row table: as two scalar subqueries SQLite read the window four times.
        # A unary + keeps SQLite from fetching each match by key to sort them all: it walks
        # the window's index newest first and stops at the page's last match.
        key = f"+{pk}" if self.newest_first else pk
        sql = (
            f"{key} IN (SELECT found.rowid FROM (SELECT min(id) AS low, max(id) AS high "
            "FROM timeline_entry WHERE occurred_at >= %s AND occurred_at < %s) AS bounds, "
            "timeline_entry_fts AS found WHERE timeline_entry_fts MATCH %s "
            "AND found.rowid BETWEEN bounds.low AND bounds.high)"
        )
        return sql, [*params, start, end, _fts5(self.terms)]

    def as_postgresql(self, compiler, connection, **extra):
        pk, params = compiler.compile(self.source_expressions[0])
        sql = (
            "EXISTS (SELECT 1 FROM timeline_entrysearch s WHERE s.entry_id = "
            f"{pk} AND s.document @@ to_tsquery('english', %s))"
        )
        return sql, [*params, _tsquery(self.terms)]


def within_window(queryset, start, end, *, newest_first=False):
    """`queryset`, already limited to entries between two moments, with a common search's
    probes replaced by one read of the index over the ids those entries span (SQLite).
    `newest_first`: for the few newest matches (a chart's markers), not a count of all.

    A chart counts every match in its window: probing the index once per entry of a dense
    window costs seconds at a million entries, while the entries of a window hold a narrow
    range of ids (the newer the entry, the higher its id, as a rule), so the matches in that
    range are few and quickly read. Ids out of time order cost speed, never correctness."""
    if connection.vendor != "sqlite":
        return queryset
    queryset = queryset.all()

    def bound(node):
        # filter(MatchesSearch(...)) stores it as the left side of an `exact True` lookup.
        for i, child in enumerate(node.children):
            if isinstance(getattr(child, "lhs", None), MatchesSearch):
                child = node.children[i] = copy.copy(child)
                child.lhs = copy.copy(child.lhs)
                child.lhs.window = (start, end)
                child.lhs.newest_first = newest_first
            elif hasattr(child, "children"):
                bound(child)

    bound(queryset.query.where)
    return queryset


# As for the filters on a place or an actor (EntryQuerySet._small_side): up to this many
# matches, their ids are read from the index and the timeline sorts just those; beyond it,
# the word is common enough that walking the timeline and probing the index entry by entry
# fills a page after a few rows.
SEARCH_SMALL_SIDE_LIMIT = 10_000
# Each probe of the full-text index costs more than a probe of a b-tree, so a walk counts
# fewer matches before it says “more than”.
SEARCH_PROBE_COUNT_CAP = 250


class NoWords:
    """A query with no words to look for (the API's reading of `***`): it matches nothing.
    Not an empty list, which filters treat as “no filter”."""


NO_WORDS = NoWords()


def search_entries(queryset, text, *, published=False):
    """The entries of `queryset` that match the reader's `text`, in the queryset's order.

    With `published` (the queryset holds published entries only, as every public one does)
    the result also knows how many published entries match, with no count of its own:
    `matches`, a CappedCount (exact up to SEARCH_SMALL_SIDE_LIMIT, “more than” beyond).

    Raises SearchQueryError (a message for the reader) when the text has nothing to search.
    """
    if text is NO_WORDS:
        return queryset.none()
    terms = text if isinstance(text, list) else parse_query(text)
    ids = first_matches(terms, SEARCH_SMALL_SIDE_LIMIT + 1, published=published)
    if len(ids) <= SEARCH_SMALL_SIDE_LIMIT:
        from .models import KeyIn  # noqa: PLC0415 (models imports this module)

        found = queryset.filter(KeyIn(sorted(ids)))
    else:
        found = lower_count_cap(queryset.filter(MatchesSearch(terms)), SEARCH_PROBE_COUNT_CAP)
    if published:
        found.matches = CappedCount(
            min(len(ids), SEARCH_SMALL_SIDE_LIMIT),
            more=len(ids) > SEARCH_SMALL_SIDE_LIMIT,
            cap=SEARCH_SMALL_SIDE_LIMIT,
        )
    return found


# --- Keeping the index in step ---------------------------------------------------------

SQLITE_DOCUMENT = """
    coalesce(e.title, '') || ' ' || coalesce(e.summary, '')
    || ' ' || coalesce((SELECT group_concat(c.quote || ' ' || c.paraphrase || ' ' || a.name, ' ')
        FROM timeline_claim c JOIN timeline_actor a ON a.id = c.claimant_id
        WHERE c.entry_id = e.id), '')
    || ' ' || coalesce((SELECT group_concat(a.name || ' ' || a.aliases, ' ')
        FROM timeline_entryactor ea JOIN timeline_actor a ON a.id = ea.actor_id
        WHERE ea.entry_id = e.id), '')
    || ' ' || coalesce((SELECT group_concat(p.name, ' ')
        FROM timeline_entry_places ep JOIN timeline_place p ON p.id = ep.place_id
        WHERE ep.entry_id = e.id), '')
"""


def sqlite_refresh(ids_sql):
    """Statements that re-index the entries whose ids `ids_sql` selects (or lists)."""
    return (
        f"DELETE FROM timeline_entry_fts WHERE rowid IN ({ids_sql}); "
        f"INSERT INTO timeline_entry_fts (rowid, document) "
        f"SELECT e.id, {SQLITE_DOCUMENT} FROM timeline_entry e WHERE e.id IN ({ids_sql});"
    )


def _actor_entries(actor):
    return (
        f"SELECT entry_id FROM timeline_entryactor WHERE actor_id = {actor} "
        f"UNION SELECT entry_id FROM timeline_claim WHERE claimant_id = {actor}"
    )


SQLITE_TRIGGERS = {
    "entry_ai": ("AFTER INSERT ON timeline_entry", sqlite_refresh("new.id")),
    "entry_au": ("AFTER UPDATE OF title, summary ON timeline_entry", sqlite_refresh("new.id")),
    "entry_ad": (
        "AFTER DELETE ON timeline_entry",
        "DELETE FROM timeline_entry_fts WHERE rowid = old.id;",
    ),
    **{
        f"{short}_{event[0].lower()}": (
            f"AFTER {event} ON {table}",
            sqlite_refresh(", ".join(f"{row}.entry_id" for row in rows)),
        )
        for short, table in (
            ("claim", "timeline_claim"),
            ("entryactor", "timeline_entryactor"),
            ("entryplace", "timeline_entry_places"),
        )
        for event, rows in (("INSERT", ["new"]), ("UPDATE", ["old", "new"]), ("DELETE", ["old"]))
    },
    "actor_au": (
        "AFTER UPDATE OF name, aliases ON timeline_actor",
        sqlite_refresh(_actor_entries("new.id")),
    ),
    "place_au": (
        "AFTER UPDATE OF name ON timeline_place",
        sqlite_refresh("SELECT entry_id FROM timeline_entry_places WHERE place_id = new.id"),
    ),
}


def sqlite_fts_statements(table, tokenize, triggers, fill):
    """(create, drop): an FTS5 table of one `document` column with the triggers that keep it
    in step (named after it), and the statements `fill` that index what is there."""
    create = [
        f"CREATE VIRTUAL TABLE {table} USING fts5(document, tokenize = '{tokenize}')",
        *(
            f"CREATE TRIGGER {table}_{name} {when} BEGIN {body} END"
            for name, (when, body) in triggers.items()
        ),
        *fill.split("; "),
    ]
    drop = [
        *(f"DROP TRIGGER IF EXISTS {table}_{name}" for name in triggers),
        f"DROP TABLE IF EXISTS {table}",
    ]
    return create, drop


SQLITE_CREATE, SQLITE_DROP = sqlite_fts_statements(
    "timeline_entry_fts",
    "porter unicode61 remove_diacritics 2",
    SQLITE_TRIGGERS,
    sqlite_refresh("SELECT id FROM timeline_entry"),
)

POSTGRESQL_DOCUMENT = """
    setweight(to_tsvector('english', coalesce(e.title, '')), 'A')
    || to_tsvector('english', coalesce(e.summary, '')
    || ' ' || coalesce((SELECT string_agg(c.quote || ' ' || c.paraphrase || ' ' || a.name, ' ')
        FROM timeline_claim c JOIN timeline_actor a ON a.id = c.claimant_id
        WHERE c.entry_id = e.id), '')
    || ' ' || coalesce((SELECT string_agg(a.name || ' ' || a.aliases, ' ')
        FROM timeline_entryactor ea JOIN timeline_actor a ON a.id = ea.actor_id
        WHERE ea.entry_id = e.id), '')
    || ' ' || coalesce((SELECT string_agg(p.name, ' ')
        FROM timeline_entry_places ep JOIN timeline_place p ON p.id = ep.place_id
        WHERE ep.entry_id = e.id), ''))
"""

# The trigger function does nothing while the transaction has set DEFERRED_SETTING (see
# search_index_deferred); {deferred} is that check, or nothing for the function as migration
# 0004 first wrote it.
DEFERRED_SETTING = "parallax.search_index_deferred"
POSTGRESQL_DEFERRED_CHECK = (
    f"IF current_setting('{DEFERRED_SETTING}', true) = 'on' THEN RETURN NULL; END IF;\n        "
)
POSTGRESQL_TRIGGER_FUNCTION_TEMPLATE = """
    CREATE OR REPLACE FUNCTION timeline_entrysearch_trigger() RETURNS trigger AS $$
    BEGIN
        {deferred}IF TG_TABLE_NAME = 'timeline_entry' THEN
            IF TG_OP = 'DELETE' THEN
                DELETE FROM timeline_entrysearch WHERE entry_id = OLD.id;
            ELSE
                PERFORM timeline_entrysearch_refresh(ARRAY[NEW.id]);
            END IF;
        ELSIF TG_TABLE_NAME = 'timeline_actor' THEN
            PERFORM timeline_entrysearch_refresh(ARRAY({actor_entries}));
        ELSIF TG_TABLE_NAME = 'timeline_place' THEN
            PERFORM timeline_entrysearch_refresh(ARRAY(
                SELECT entry_id FROM timeline_entry_places WHERE place_id = NEW.id));
        ELSE
            IF TG_OP <> 'INSERT' THEN
                PERFORM timeline_entrysearch_refresh(ARRAY[OLD.entry_id]);
            END IF;
            IF TG_OP <> 'DELETE' THEN
                PERFORM timeline_entrysearch_refresh(ARRAY[NEW.entry_id]);
            END IF;
        END IF;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql
    """


def postgresql_trigger_function(*, deferrable=True):
    return POSTGRESQL_TRIGGER_FUNCTION_TEMPLATE.format(
        deferred=POSTGRESQL_DEFERRED_CHECK if deferrable else "",
        actor_entries=_actor_entries("NEW.id"),
    )


POSTGRESQL_TRIGGER_FUNCTION = postgresql_trigger_function()

POSTGRESQL_CREATE = [
    # No foreign key: Django's flush truncates timeline_entry without CASCADE. The entry's
    # delete trigger removes its row; ids are never reused.
    "CREATE TABLE timeline_entrysearch (entry_id bigint PRIMARY KEY, document tsvector NOT NULL)",
    "CREATE INDEX timeline_entrysearch_document ON timeline_entrysearch USING gin (document)",
    f"""
    CREATE FUNCTION timeline_entrysearch_refresh(ids bigint[]) RETURNS void AS $$
        INSERT INTO timeline_entrysearch (entry_id, document)
        SELECT e.id, {POSTGRESQL_DOCUMENT} FROM timeline_entry e WHERE e.id = ANY(ids)
        ON CONFLICT (entry_id) DO UPDATE SET document = EXCLUDED.document;
    $$ LANGUAGE sql
    """,
    POSTGRESQL_TRIGGER_FUNCTION,
    "CREATE TRIGGER timeline_entrysearch_entry AFTER INSERT OR UPDATE OF title, summary "
    "OR DELETE ON timeline_entry FOR EACH ROW EXECUTE FUNCTION timeline_entrysearch_trigger()",
    *(
        f"CREATE TRIGGER timeline_entrysearch_{short} AFTER INSERT OR UPDATE OR DELETE "
        f"ON {table} FOR EACH ROW EXECUTE FUNCTION timeline_entrysearch_trigger()"
        for short, table in (
            ("claim", "timeline_claim"),
            ("entryactor", "timeline_entryactor"),
            ("entryplace", "timeline_entry_places"),
        )
    ),
    "CREATE TRIGGER timeline_entrysearch_actor AFTER UPDATE OF name, aliases "
    "ON timeline_actor FOR EACH ROW EXECUTE FUNCTION timeline_entrysearch_trigger()",
    "CREATE TRIGGER timeline_entrysearch_place AFTER UPDATE OF name "
    "ON timeline_place FOR EACH ROW EXECUTE FUNCTION timeline_entrysearch_trigger()",
    "SELECT timeline_entrysearch_refresh(ARRAY(SELECT id FROM timeline_entry))",
]
POSTGRESQL_DROP = [
    *(
        f"DROP TRIGGER IF EXISTS timeline_entrysearch_{short} ON {table}"
        for short, table in (
            ("entry", "timeline_entry"),
            ("claim", "timeline_claim"),
            ("entryactor", "timeline_entryactor"),
            ("entryplace", "timeline_entry_places"),
            ("actor", "timeline_actor"),
            ("place", "timeline_place"),
        )
    ),
    "DROP FUNCTION IF EXISTS timeline_entrysearch_trigger()",
    "DROP FUNCTION IF EXISTS timeline_entrysearch_refresh(bigint[])",
    "DROP TABLE IF EXISTS timeline_entrysearch",
]


def install(schema_editor):
    """Create the index, its triggers, and index what is there (migration 0004)."""
    statements = {"sqlite": SQLITE_CREATE, "postgresql": POSTGRESQL_CREATE}
    for statement in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement, params=None)


def uninstall(schema_editor):
    statements = {"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP}
    for statement in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement, params=None)


def search_index_rebuild(entry_ids=None, *, batch_size=5000):
    """Re-index `entry_ids` (every entry when None), for writes that went around the triggers."""
    with connection.cursor() as cursor:
        if entry_ids is None:
            cursor.execute("SELECT id FROM timeline_entry")
            entry_ids = [row[0] for row in cursor.fetchall()]
        entry_ids = [int(pk) for pk in entry_ids]
        for start in range(0, len(entry_ids), batch_size):
            chunk = entry_ids[start : start + batch_size]
            if connection.vendor == "postgresql":
                cursor.execute("SELECT timeline_entrysearch_refresh(%s)", [chunk])
            elif connection.vendor == "sqlite":
                listed = ", ".join(str(pk) for pk in chunk)
                for statement in sqlite_refresh(listed).split(";"):
                    if statement.strip():
                        cursor.execute(statement)


class DeferredIndex:
    """What search_index_deferred yields: `add(entry_ids)` names entries to re-index at the end."""

    TABLE = "parallax_search_reindex"

    def __init__(self, cursor):
        self.cursor = cursor

    def add(self, entry_ids):
        ids = [int(pk) for pk in entry_ids]
        if not ids:
            return
        # One statement for the lot (psycopg's executemany would send one per id).
        if connection.vendor == "postgresql":
            sql = f"INSERT INTO {self.TABLE} (id) SELECT unnest(%s::bigint[])"
            param = ids
        else:
            sql = f"INSERT INTO {self.TABLE} (id) SELECT value FROM json_each(%s)"
            param = json.dumps(ids)
        # (WHERE true: SQLite would read ON CONFLICT as part of the SELECT's join otherwise.)
        self.cursor.execute(f"{sql} WHERE true ON CONFLICT DO NOTHING", [param])


@contextmanager
def search_index_deferred():
    """For bulk writes (an import): the index's triggers do no work inside the block, and when
    it ends the entries named with `add(ids)` are re-indexed in one statement.

    Inside the caller's transaction, and a savepoint of its own: an exception rolls the
    triggers' suspension back with everything else, so no committed state ever lacks them.
    SQLite drops the triggers and creates them again (its schema changes are transactional;
    other connections see neither, and cannot write meanwhile: the transaction holds the
    write lock). PostgreSQL sets a transaction-local setting that the trigger function reads
    (DEFERRED_SETTING; migration 0007), so other sessions keep indexing as they write and no
    table is locked. Every entry written inside the block whose title, summary, actors or
    places changed must be added, or the index misses it (search_index_rebuild mends that).
    """
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        yield DeferredIndex(None)
        return
    table = DeferredIndex.TABLE
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {table} (id bigint PRIMARY KEY)")
        if vendor == "sqlite":
            for name in SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER timeline_entry_fts_{name}")
        else:
            cursor.execute("SELECT set_config(%s, 'on', true)", [DEFERRED_SETTING])
        yield DeferredIndex(cursor)
        if vendor == "sqlite":
            for name, (when, body) in SQLITE_TRIGGERS.items():
                cursor.execute(f"CREATE TRIGGER timeline_entry_fts_{name} {when} BEGIN {body} END")
            for statement in sqlite_refresh(f"SELECT id FROM temp.{table}").split(";"):
                if statement.strip():
                    cursor.execute(statement)
        else:
            cursor.execute("SELECT set_config(%s, 'off', true)", [DEFERRED_SETTING])
            cursor.execute(f"SELECT timeline_entrysearch_refresh(ARRAY(SELECT id FROM {table}))")
        cursor.execute(f"DROP TABLE {table}")


class SearchQueryField(forms.CharField):
    """A search box: cleans to the parsed query, or a reader's message when nothing is left.

    With `wordless_matches_nothing` (the API), a query with no words to look for cleans to
    no terms, which match nothing, instead of a message."""

    def __init__(self, *, wordless_matches_nothing=False, **kwargs):
        self.wordless_matches_nothing = wordless_matches_nothing
        super().__init__(**kwargs)

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        if self.max_length and len(text) > self.max_length:
            raise forms.ValidationError(
                f"Search for at most {self.max_length} characters.", code="max_length"
            )
        try:
            return parse_query(text)
        except SearchQueryError as error:
            if self.wordless_matches_nothing:
                return NO_WORDS
            raise forms.ValidationError(str(error), code="invalid") from error

    def validate(self, value):
        pass  # required-ness was checked on the text; max_length in run_validators

    def run_validators(self, value):
        pass
