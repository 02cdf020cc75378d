"""The claims API's `search`: each term in a claim's quote, paraphrase or claimant's name, as
DRF's SearchFilter means it (a case-insensitive substring), narrowed by an index so that a
rare term does not read every claim.

- SQLite: an FTS5 table with the trigram tokenizer, `timeline_claim_trigram` (rowid = claim
  id; the quote, paraphrase and claimant's name), kept in step by triggers. Up to
  SMALL_SIDE_LIMIT claims whose text holds the term are read from it, and only those are
  tested; a commoner term walks the claims newest first, which finds a page at once.
- PostgreSQL: trigram GIN indexes (pg_trgm) on the upper-cased quote and paraphrase, the
  expressions Django's `icontains` compares. The planner chooses between them and the walk
  itself, from the statistics ANALYZE gathers on the indexed expressions.

Created by migration 0010, only where the engine can: SQLite 3.34 or later (the trigram
tokenizer), and a PostgreSQL on which pg_trgm can be installed. Elsewhere the search still
answers the same, by reading the claims.
"""

from django.db import OperationalError, connection, transaction
from django.db.models import Q

from .models import Actor, KeyIn
from .search import sqlite_fts_statements

# As for entries (models.SMALL_SIDE_LIMIT): beyond this many claims holding a term, walking
# the claims newest first finds a page sooner than sorting the ids read.
SMALL_SIDE_LIMIT = 10_000
TRIGRAM = 3  # the shortest term the trigram index can find

SQLITE_DOCUMENT = """
    coalesce(c.quote, '') || ' ' || coalesce(c.paraphrase, '') || ' '
    || coalesce((SELECT a.name FROM timeline_actor a WHERE a.id = c.claimant_id), '')
"""


def sqlite_refresh(ids_sql):
    """Statements that re-index the claims whose ids `ids_sql` selects (or lists)."""
    return (
        f"DELETE FROM timeline_claim_trigram WHERE rowid IN ({ids_sql}); "
        f"INSERT INTO timeline_claim_trigram (rowid, document) "
        f"SELECT c.id, {SQLITE_DOCUMENT} FROM timeline_claim c WHERE c.id IN ({ids_sql});"
    )


SQLITE_TRIGGERS = {
    "claim_ai": ("AFTER INSERT ON timeline_claim", sqlite_refresh("new.id")),
    "claim_au": (
        "AFTER UPDATE OF quote, paraphrase, claimant_id ON timeline_claim",
        sqlite_refresh("new.id"),
    ),
    "claim_ad": (
        "AFTER DELETE ON timeline_claim",
        "DELETE FROM timeline_claim_trigram WHERE rowid = old.id;",
    ),
    "actor_au": (
        "AFTER UPDATE OF name ON timeline_actor",
        sqlite_refresh("SELECT id FROM timeline_claim WHERE claimant_id = new.id"),
    ),
}

SQLITE_CREATE, SQLITE_DROP = sqlite_fts_statements(
    "timeline_claim_trigram",
    "trigram case_sensitive 0",
    SQLITE_TRIGGERS,
    sqlite_refresh("SELECT id FROM timeline_claim"),
)

POSTGRESQL_INDEXES = {
    "timeline_claim_quote_trgm": "quote",
    "timeline_claim_paraphrase_trgm": "paraphrase",
}
POSTGRESQL_CREATE = [
    f"CREATE INDEX IF NOT EXISTS {name} ON timeline_claim "
    f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
    for name, column in POSTGRESQL_INDEXES.items()
]
POSTGRESQL_DROP = [f"DROP INDEX IF EXISTS {name}" for name in POSTGRESQL_INDEXES]


def install(schema_editor):
    """Create the index where the engine can (migration 0010); nothing elsewhere."""
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        import sqlite3  # noqa: PLC0415

        if sqlite3.sqlite_version_info < (3, 34):
            return
        statements = SQLITE_CREATE
    elif vendor == "postgresql":
        try:
            # pg_trgm is a trusted extension: a database owner may install it. Where the
            # role may not, the search goes on without the indexes.
            with transaction.atomic(using=schema_editor.connection.alias):
                schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm", params=None)
        except Exception:  # noqa: BLE001 (any refusal means: no extension, no index)
            return
        statements = POSTGRESQL_CREATE
    else:
        return
    for statement in statements:
        schema_editor.execute(statement, params=None)


def uninstall(schema_editor):
    statements = {"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP}
    for statement in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement, params=None)


def _claims_holding(term):
    """Up to SMALL_SIDE_LIMIT + 1 ids of claims whose indexed text holds `term` (SQLite), or
    None without the index (a database migrated by a SQLite older than 3.34)."""
    phrase = '"' + term.replace('"', '""') + '"'
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT rowid FROM timeline_claim_trigram WHERE timeline_claim_trigram MATCH %s "
                "LIMIT %s",
                [phrase, SMALL_SIDE_LIMIT + 1],
            )
            return [row[0] for row in cursor.fetchall()]
    except OperationalError:  # no such table: a failed read leaves SQLite's transaction as it was
        return None


def search_claims(queryset, terms):
    """The claims of `queryset` whose quote, paraphrase or claimant's name holds every term
    (case-insensitive), in the queryset's order."""
    for term in terms:
        claimants = list(Actor.objects.filter(name__icontains=term).values_list("pk", flat=True))
        holds = (
            Q(quote__icontains=term) | Q(paraphrase__icontains=term) | Q(claimant_id__in=claimants)
        )
        if connection.vendor == "sqlite" and len(term) >= TRIGRAM:
            ids = _claims_holding(term)
            if ids is not None and len(ids) <= SMALL_SIDE_LIMIT:
                # The index narrows; the condition decides, so either way a claim matches
                # exactly when `icontains` says it does.
                queryset = queryset.filter(KeyIn(sorted(ids)))
        queryset = queryset.filter(holds)
    return queryset
