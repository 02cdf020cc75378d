"""The pulse charts' daily roll-ups: published entries (and killed) per local day, kind and
track, for the whole timeline (DayCount) and for each place, actor and grade (FilterDayCount).

Why: GROUP BY day over a million entries reads every row (about 2 s on SQLite), and a
region's or an actor's 60 days hold thousands of entries at that size; the chart on `/`,
`/?place=`, a place page or an actor page must cost the same at any size. The roll-ups hold
one row per (day, track, kind), and per filter value, so a chart reads at most a few hundred
rows whatever the number of entries. A filter's rows also list the ids of the entries they
count, so that a map, a casualty chart or the diplomacy markers of one place, actor or grade
read that filter's entries on their days by key (entries_on_days, HeldByRollUp); and each
actor's claims are counted per grade, for claim records and the claim tracker's count.

How they stay in step, on every write path (admin, API, services, imports, bulk_create,
raw SQL): database triggers (created by migrations 0005 and 0009 from the statements below)
record the UTC date of every entry inserted, updated (status, time, track, kind) or deleted,
of every killed figure inserted, updated or deleted, and of every entry whose places, actors
or claims (claimant, grade) change, in `StaleDay`; moving a place under another marks its
entries' dates from Python (Place.save), which no trigger sees. The next read of a roll-up
recomputes the local days around those dates from `Entry.objects.published()` and empties
`StaleDay`. A read with nothing stale costs one tiny query; generate_entries and
import_events refresh at their end, so no reader waits for a bulk write's days.
`rollup_rebuild()` (or `manage.py rebuild_day_counts`) recomputes everything, for a restored
dump or after changing TIME_ZONE.

Days are local days in settings.TIME_ZONE (Kyiv), as on the timeline: the triggers record
UTC dates, and a UTC date touches the local day before, on and after it.
"""

import datetime as dt
import json
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from .models import (
    Claim,
    DayCount,
    Entry,
    EntryActor,
    Figure,
    FilterDayCount,
    FilterTotal,
    KeyIn,
    PlaceTree,
    StaleDay,
    path_ids,
)

# Literal SQL, nothing interpolated from outside: the entry columns that move a day, and
# the one figure metric the roll-up sums.
SQLITE_CREATE = [
    """CREATE TRIGGER timeline_daycount_entry_insert AFTER INSERT ON timeline_entry BEGIN
        INSERT OR IGNORE INTO timeline_staleday (day) VALUES (date(NEW.occurred_at)); END""",
    """CREATE TRIGGER timeline_daycount_entry_update AFTER UPDATE OF
        status, occurred_at, track, kind
        ON timeline_entry BEGIN
        INSERT OR IGNORE INTO timeline_staleday (day)
        VALUES (date(OLD.occurred_at)), (date(NEW.occurred_at)); END""",
    """CREATE TRIGGER timeline_daycount_entry_delete AFTER DELETE ON timeline_entry BEGIN
        INSERT OR IGNORE INTO timeline_staleday (day) VALUES (date(OLD.occurred_at)); END""",
    """CREATE TRIGGER timeline_daycount_figure_insert AFTER INSERT ON timeline_figure
        WHEN NEW.metric = 'killed' BEGIN
        INSERT OR IGNORE INTO timeline_staleday (day)
        SELECT date(occurred_at) FROM timeline_entry WHERE id = NEW.entry_id; END""",
    """CREATE TRIGGER timeline_daycount_figure_update AFTER UPDATE ON timeline_figure
        WHEN NEW.metric = 'killed' OR OLD.metric = 'killed' BEGIN
        INSERT OR IGNORE INTO timeline_staleday (day)
        SELECT date(occurred_at) FROM timeline_entry WHERE id IN (OLD.entry_id, NEW.entry_id);
        END""",
    """CREATE TRIGGER timeline_daycount_figure_delete AFTER DELETE ON timeline_figure
        WHEN OLD.metric = 'killed' BEGIN
        INSERT OR IGNORE INTO timeline_staleday (day)
        SELECT date(occurred_at) FROM timeline_entry WHERE id = OLD.entry_id; END""",
]

# The filter roll-up (FilterDayCount, migration 0009) moves with an entry's places, actors
# and claims too.
FILTER_SQLITE_CREATE = [
    """CREATE TRIGGER timeline_filterday_place_insert AFTER INSERT ON timeline_entry_places BEGIN
        INSERT OR IGNORE INTO timeline_staleday (day)
        SELECT date(occurred_at) FROM timeline_entry WHERE id = NEW.entry_id; END""",
    """CREATE TRIGGER timeline_filterday_place_update AFTER UPDATE ON timeline_entry_places
        BEGIN INSERT OR IGNORE INTO timeline_staleday (day)
        SELECT date(occurred_at) FROM timeline_entry WHERE id IN (OLD.entry_id, NEW.entry_id);
        END""",
    """CREATE TRIGGER timeline_filterday_place_delete AFTER DELETE ON timeline_entry_places BEGIN
        INSERT OR IGNORE INTO timeline_staleday (day)
        SELECT date(occurred_at) FROM timeline_entry WHERE id = OLD.entry_id; END""",
    """CREATE TRIGGER timeline_filterday_actor_insert AFTER INSERT ON timeline_entryactor BEGIN
        INSERT OR IGNORE INTO timeline_staleday (day)
        SELECT date(occurred_at) FROM timeline_entry WHERE id = NEW.entry_id; END""",
    """CREATE TRIGGER timeline_filterday_actor_update AFTER UPDATE ON timeline_entryactor
        BEGIN INSERT OR IGNORE INTO timeline_staleday (day)
        SELECT date(occurred_at) FROM timeline_entry WHERE id IN (OLD.entry_id, NEW.entry_id);
        END""",
    """CREATE TRIGGER timeline_filterday_actor_delete AFTER DELETE ON timeline_entryactor BEGIN
        INSERT OR IGNORE INTO timeline_staleday (day)
        SELECT date(occurred_at) FROM timeline_entry WHERE id = OLD.entry_id; END""",
    """CREATE TRIGGER timeline_filterday_claim_insert AFTER INSERT ON timeline_claim BEGIN
        INSERT OR IGNORE INTO timeline_staleday (day)
        SELECT date(occurred_at) FROM timeline_entry WHERE id = NEW.entry_id; END""",
    """CREATE TRIGGER timeline_filterday_claim_update AFTER UPDATE ON timeline_claim
        WHEN OLD.entry_id IS NOT NEW.entry_id OR OLD.claimant_id IS NOT NEW.claimant_id
        OR OLD.assessment IS NOT NEW.assessment
        BEGIN INSERT OR IGNORE INTO timeline_staleday (day)
        SELECT date(occurred_at) FROM timeline_entry WHERE id IN (OLD.entry_id, NEW.entry_id);
        END""",
    """CREATE TRIGGER timeline_filterday_claim_delete AFTER DELETE ON timeline_claim BEGIN
        INSERT OR IGNORE INTO timeline_staleday (day)
        SELECT date(occurred_at) FROM timeline_entry WHERE id = OLD.entry_id; END""",
]

SQLITE_DROP = [
    """DROP TRIGGER IF EXISTS timeline_daycount_entry_insert""",
    """DROP TRIGGER IF EXISTS timeline_daycount_entry_update""",
    """DROP TRIGGER IF EXISTS timeline_daycount_entry_delete""",
    """DROP TRIGGER IF EXISTS timeline_daycount_figure_insert""",
    """DROP TRIGGER IF EXISTS timeline_daycount_figure_update""",
    """DROP TRIGGER IF EXISTS timeline_daycount_figure_delete""",
]

FILTER_SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS timeline_filterday_{name}_{event}"
    for name in ("place", "actor", "claim")
    for event in ("insert", "update", "delete")
]

POSTGRESQL_CREATE = [
    """CREATE FUNCTION timeline_daycount_entry_mark() RETURNS trigger AS $$
    BEGIN
      IF TG_OP <> 'INSERT' THEN INSERT INTO timeline_staleday (day)
        VALUES ((OLD.occurred_at AT TIME ZONE 'UTC')::date) ON CONFLICT DO NOTHING;
      END IF;
      IF TG_OP <> 'DELETE' THEN INSERT INTO timeline_staleday (day)
        VALUES ((NEW.occurred_at AT TIME ZONE 'UTC')::date) ON CONFLICT DO NOTHING;
      END IF;
      RETURN NULL;
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER timeline_daycount_entry AFTER INSERT OR DELETE OR UPDATE OF
        status, occurred_at, track, kind ON timeline_entry
        FOR EACH ROW EXECUTE FUNCTION timeline_daycount_entry_mark()""",
    """CREATE FUNCTION timeline_daycount_figure_mark() RETURNS trigger AS $$
    BEGIN
      IF TG_OP <> 'INSERT' AND OLD.metric = 'killed' THEN
        INSERT INTO timeline_staleday (day)
        SELECT (occurred_at AT TIME ZONE 'UTC')::date FROM timeline_entry
        WHERE id = OLD.entry_id ON CONFLICT DO NOTHING;
      END IF;
      IF TG_OP <> 'DELETE' AND NEW.metric = 'killed' THEN
        INSERT INTO timeline_staleday (day)
        SELECT (occurred_at AT TIME ZONE 'UTC')::date FROM timeline_entry
        WHERE id = NEW.entry_id ON CONFLICT DO NOTHING;
      END IF;
      RETURN NULL;
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER timeline_daycount_figure AFTER INSERT OR UPDATE OR DELETE
        ON timeline_figure FOR EACH ROW EXECUTE FUNCTION timeline_daycount_figure_mark()""",
]

FILTER_POSTGRESQL_CREATE = [
    """CREATE FUNCTION timeline_filterday_link_mark() RETURNS trigger AS $$
    BEGIN
      IF TG_OP <> 'INSERT' THEN INSERT INTO timeline_staleday (day)
        SELECT (occurred_at AT TIME ZONE 'UTC')::date FROM timeline_entry
        WHERE id = OLD.entry_id ON CONFLICT DO NOTHING;
      END IF;
      IF TG_OP <> 'DELETE' THEN INSERT INTO timeline_staleday (day)
        SELECT (occurred_at AT TIME ZONE 'UTC')::date FROM timeline_entry
        WHERE id = NEW.entry_id ON CONFLICT DO NOTHING;
      END IF;
      RETURN NULL;
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER timeline_filterday_place AFTER INSERT OR UPDATE OR DELETE
        ON timeline_entry_places FOR EACH ROW EXECUTE FUNCTION timeline_filterday_link_mark()""",
    """CREATE TRIGGER timeline_filterday_actor AFTER INSERT OR UPDATE OR DELETE
        ON timeline_entryactor FOR EACH ROW EXECUTE FUNCTION timeline_filterday_link_mark()""",
    """CREATE TRIGGER timeline_filterday_claim AFTER INSERT OR DELETE
        ON timeline_claim FOR EACH ROW EXECUTE FUNCTION timeline_filterday_link_mark()""",
    """CREATE TRIGGER timeline_filterday_claim_update AFTER UPDATE
        OF entry_id, claimant_id, assessment ON timeline_claim FOR EACH ROW
        WHEN (OLD.entry_id IS DISTINCT FROM NEW.entry_id
          OR OLD.claimant_id IS DISTINCT FROM NEW.claimant_id
          OR OLD.assessment IS DISTINCT FROM NEW.assessment)
        EXECUTE FUNCTION timeline_filterday_link_mark()""",
]

POSTGRESQL_DROP = [
    """DROP TRIGGER IF EXISTS timeline_daycount_entry ON timeline_entry""",
    """DROP TRIGGER IF EXISTS timeline_daycount_figure ON timeline_figure""",
    """DROP FUNCTION IF EXISTS timeline_daycount_entry_mark()""",
    """DROP FUNCTION IF EXISTS timeline_daycount_figure_mark()""",
]

FILTER_POSTGRESQL_DROP = [
    """DROP TRIGGER IF EXISTS timeline_filterday_place ON timeline_entry_places""",
    """DROP TRIGGER IF EXISTS timeline_filterday_actor ON timeline_entryactor""",
    """DROP TRIGGER IF EXISTS timeline_filterday_claim ON timeline_claim""",
    """DROP TRIGGER IF EXISTS timeline_filterday_claim_update ON timeline_claim""",
    """DROP FUNCTION IF EXISTS timeline_filterday_link_mark()""",
]


def install(schema_editor):
    """Create the triggers (migration 0005); the roll-up fills on first read."""
    statements = {"sqlite": SQLITE_CREATE, "postgresql": POSTGRESQL_CREATE}
    for statement in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement, params=None)
    mark_every_day_stale(schema_editor)


def install_filter_triggers(schema_editor):
    """Create the filter roll-up's triggers (migration 0009); it fills on first read."""
    statements = {"sqlite": FILTER_SQLITE_CREATE, "postgresql": FILTER_POSTGRESQL_CREATE}
    for statement in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement, params=None)
    mark_every_day_stale(schema_editor)


def uninstall_filter_triggers(schema_editor):
    statements = {"sqlite": FILTER_SQLITE_DROP, "postgresql": FILTER_POSTGRESQL_DROP}
    for statement in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement, params=None)


def mark_every_day_stale(schema_editor):
    """Everything already there is stale: the first read computes it."""
    day = (
        "(occurred_at AT TIME ZONE 'UTC')::date"
        if schema_editor.connection.vendor == "postgresql"
        else "date(occurred_at)"
    )
    # WHERE TRUE: SQLite would read ON CONFLICT as a join's ON without it.
    schema_editor.execute(
        f"INSERT INTO timeline_staleday (day) SELECT DISTINCT {day} FROM timeline_entry "  # noqa: S608
        "WHERE TRUE ON CONFLICT DO NOTHING",
        params=None,
    )


def uninstall(schema_editor):
    statements = {"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP}
    for statement in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement, params=None)


# --- Computing -----------------------------------------------------------------------------


# The insert triggers a bulk import suspends on SQLite (stale_days_deferred).
SQLITE_INSERT_TRIGGERS = (
    "timeline_daycount_entry_insert",
    "timeline_daycount_figure_insert",
    "timeline_filterday_place_insert",
    "timeline_filterday_actor_insert",
    "timeline_filterday_claim_insert",
)


class StaleDays:
    """What stale_days_deferred yields: `add(entry_ids)` marks those entries' days stale."""

    def __init__(self, cursor):
        self.cursor = cursor

    def add(self, entry_ids):
        ids = [int(pk) for pk in entry_ids]
        if self.cursor is None or not ids:
            return
        self.cursor.execute(
            "INSERT OR IGNORE INTO timeline_staleday (day) SELECT DISTINCT date(occurred_at) "
            "FROM timeline_entry WHERE id IN (SELECT value FROM json_each(%s))",
            [json.dumps(ids)],
        )


@contextmanager
def stale_days_deferred():
    """For bulk inserts (an import) on SQLite: the per-row insert triggers are dropped inside
    the block (in a savepoint of the caller's transaction, so an exception restores them) and
    the caller marks the days of the entries it wrote, one statement per batch, with
    `add(entry_ids)` after writing them and their figures. The update and delete triggers
    stay. Elsewhere the triggers stay and `add` does nothing."""
    if connection.vendor != "sqlite":
        yield StaleDays(None)
        return
    statements = [
        next(statement for statement in SQLITE_CREATE + FILTER_SQLITE_CREATE if name in statement)
        for name in SQLITE_INSERT_TRIGGERS
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for name in SQLITE_INSERT_TRIGGERS:
            cursor.execute(f"DROP TRIGGER {name}")
        yield StaleDays(cursor)
        for statement in statements:
            cursor.execute(statement)


def local_day(moment):
    return timezone.localdate(moment)


def day_start(day):
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@dataclass
class FigureTotal:
    """Figures of one metric added up: the numbers readers see (best), the sum of the
    reported lows and highs (best where a figure gives none), and how the sources worded
    them."""

    best: int = 0
    low: int = 0
    high: int = 0
    ranged: bool = False  # some figure reported a low or a high
    qualifiers: set = field(default_factory=set)

    def add(self, low, best, high, qualifier):
        self.best += best
        self.low += best if low is None else low
        self.high += best if high is None else high
        self.ranged = self.ranged or low is not None or high is not None
        self.qualifiers.add(qualifier)

    def include(self, other):
        """Add another total in (the days of a week, say)."""
        self.best += other.best
        self.low += other.low
        self.high += other.high
        self.ranged = self.ranged or other.ranged
        self.qualifiers |= other.qualifiers

    @property
    def qualifier(self):
        return Figure.combined_qualifier(self.qualifiers)

    @property
    def text(self):
        """“at least 4”: the sum as readers see it."""
        return " ".join(filter(None, [self.qualifier, f"{self.best:,}"]))

    @property
    def range_text(self):
        """“10–15” where a source gave a low or a high, else ""."""
        return f"{self.low:,}–{self.high:,}" if self.ranged and self.low != self.high else ""

    def phrase(self, noun):
        """“at least 4 killed”, “12 injured (10–15)”."""
        words = f"{self.text} {noun}"
        return f"{words} ({self.range_text})" if self.range_text else words


def totals_by_day(rows, places):
    """{(local day, track, kind, metric): FigureTotal} from Figure.objects.total_rows() rows.

    The rule of Entry.figures_counted_once: per entry and metric, the latest standing report
    per scope is current, and a scope inside another current scope (a district in its city)
    is already counted by the broader one.
    """
    latest = {}
    for entry_id, occurred_at, track, kind, metric, scope_id, as_of, pk, *numbers in rows:
        key = (entry_id, metric, scope_id)
        if key not in latest or (as_of, pk) > latest[key][0]:
            latest[key] = ((as_of, pk), numbers, (local_day(occurred_at), track, kind, metric))
    scopes = defaultdict(set)
    for entry_id, metric, scope_id in latest:
        scopes[(entry_id, metric)].add(scope_id)
    totals = defaultdict(FigureTotal)
    for (entry_id, metric, scope_id), (_, numbers, bucket) in latest.items():
        if not places.ancestors(scope_id) & scopes[(entry_id, metric)]:
            totals[bucket].add(*numbers)
    return dict(totals)


def _chunks(days, size=60):
    """Days → [(first, last), ...]: runs of consecutive days, at most `size` days each."""
    runs = []
    for day in sorted(days):
        if runs and day == runs[-1][1] + dt.timedelta(days=1) and (day - runs[-1][0]).days < size:
            runs[-1][1] = day
        else:
            runs.append([day, day])
    return runs


def recompute(days):
    """Rewrite the roll-up rows (DayCount and FilterDayCount) of these local days from the
    published entries, a run of up to 60 days at a time."""
    places = PlaceTree()
    for first, last in _chunks(days):
        start, end = day_start(first), day_start(last + dt.timedelta(days=1))
        published = Entry.objects.published().filter(occurred_at__gte=start, occurred_at__lt=end)
        counts = defaultdict(int)
        buckets = {}
        rows = published.order_by().values_list("pk", "occurred_at", "track", "kind")
        for pk, moment, track, kind in rows:
            buckets[pk] = (local_day(moment), track, kind)
            counts[buckets[pk]] += 1
        killed = Entry.objects.published().killed_by_day(start, end, places)
        stale_days = DayCount.objects.filter(day__gte=first, day__lte=last)
        counted_before = stale_days.aggregate(n=Sum("entries"))["n"] or 0
        stale_days.delete()
        _insert(
            DayCount,
            ["day", "track", "kind", "entries", "killed"],
            [(*key, n, killed.get(key, 0)) for key, n in counts.items()],
        )
        # FilterTotal moves by what these days' rows change: the old rows' sums out, the
        # new ones in.
        stale_rows = FilterDayCount.objects.filter(day__gte=first, day__lte=last)
        before = stale_rows.order_by().values_list("filter", "value").annotate(Sum("entries"))
        change = defaultdict(int)
        change[(FilterDayCount.Filter.PUBLISHED, "")] = sum(counts.values()) - counted_before
        for name, value, n in before:
            change[(name, value)] -= n
        stale_rows.delete()
        filter_members = _filter_members(published, buckets)
        _insert(
            FilterDayCount,
            ["filter", "value", "day", "track", "kind", "entries", "entry_ids"],
            [(*key, len(ids), json.dumps(sorted(ids))) for key, ids in filter_members.items()],
        )
        for (name, value, *_), ids in filter_members.items():
            change[(name, value)] += len(ids)
        _add_to_totals([(*key, n) for key, n in change.items() if n])


def _insert(model, fields, rows):
    """Insert plain rows in the order of the table's unique key (the index pages fill in
    turn) with one prepared statement: a day of a million-entry timeline is thousands of
    roll-up rows, and bulk_create spends longer building model objects than the database
    takes to write them."""
    day = fields.index("day")
    adapt = connection.ops.adapt_datefield_value
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(model._meta.get_field(f).column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    rows = sorted(tuple(adapt(v) if i == day else v for i, v in enumerate(row)) for row in rows)
    with connection.cursor() as cursor:
        for i in range(0, len(rows), 5000):
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({marks})",  # noqa: S608 (names from the model)
                rows[i : i + 5000],
            )


def _add_to_totals(rows):
    """Add (filter, value, change) rows to FilterTotal, creating the rows it lacks."""
    with connection.cursor() as cursor:
        for i in range(0, len(rows), 5000):
            cursor.executemany(
                "INSERT INTO timeline_filtertotal (filter, value, entries) VALUES (%s, %s, %s) "
                "ON CONFLICT (filter, value) "
                "DO UPDATE SET entries = timeline_filtertotal.entries + excluded.entries",
                rows[i : i + 5000],
            )


def _filter_members(published, buckets):
    """{(filter, value, day, track, kind): [entry id, ...]}: each entry once for each place
    it lies at or inside, each actor taking part in it or claiming in it, and each grade its
    claims carry (Entry.objects.at_place, involving and with_claims_graded); and once for
    each of its claims under the claimant and grade (FilterDayCount.Filter.CLAIMS)."""
    ids = published.values("pk")
    subjects = defaultdict(set)
    Filter = FilterDayCount.Filter
    PLACE, ACTOR, ASSESSMENT, CLAIMS = Filter.PLACE, Filter.ACTOR, Filter.ASSESSMENT, Filter.CLAIMS
    said = defaultdict(list)  # entry id: one (CLAIMS, "actor/grade") per claim
    links = Entry.places.through.objects.filter(entry__in=ids)
    for entry_id, path in links.values_list("entry_id", "place__path").order_by():
        subjects[entry_id].update((PLACE, part) for part in path_ids(path))
    acting = EntryActor.objects.filter(entry__in=ids).values_list("entry_id", "actor_id")
    for entry_id, actor_id in acting.order_by():
        subjects[entry_id].add((ACTOR, str(actor_id)))
    claims = Claim.objects.filter(entry__in=ids)
    for entry_id, claimant_id, assessment in claims.values_list(
        "entry_id", "claimant_id", "assessment"
    ).order_by():
        subjects[entry_id].update(((ACTOR, str(claimant_id)), (ASSESSMENT, assessment)))
        said[entry_id].append((CLAIMS, FilterDayCount.claims_value(claimant_id, assessment)))
    members = defaultdict(list)
    for entry_id, entry_subjects in subjects.items():
        bucket = buckets.get(entry_id)
        if bucket is not None:
            for subject in (*entry_subjects, *said[entry_id]):
                members[(*subject, *bucket)].append(entry_id)
    return members


def entries_on_days(chosen, first, last, *, track=""):
    """The published entries of one place, actor or grade (`("place", kyiv)`, as
    FilterDayCount.objects.of takes it) on the local days `first` to `last`, read by key from
    the ids its roll-up rows hold: a region's 60 days at a million entries are its 1,500
    entries, not the 41,000 of those days tested one by one. None when they are more than
    SMALL_SIDE_LIMIT (the caller filters the timeline instead)."""
    refresh_stale_days()
    ids = FilterDayCount.objects.of(*chosen).entry_ids(first, last, track=track)
    if ids is None:
        return None
    entries = Entry.objects.published().filter(KeyIn(ids))
    return entries.filter(track=track) if track else entries


# Rows read per filter value for its newest days: weeks of a busy actor's or region's days,
# years of a quiet town's, a few dozen kilobytes of ids at most.
NEWEST_ROWS = 200


def newest_entry_ids(row_sets, needed, *, before=None):
    """The ids that some FilterDayCount rows hold on their newest whole local days, enough
    days to hold at least `needed` of what the rows count (entries, or claims for
    Filter.CLAIMS) older than `before` (an aware moment: a timeline cursor), or every day
    there is when there are fewer. None when the newest NEWEST_ROWS rows of each set do not
    reach that far (a deep page), and the caller walks the timeline instead.

    `row_sets`: querysets of FilterDayCount, one per filter value (an actor's claims at each
    grade). The newest page of a busy actor, a region or a claimant is then read by key from
    a few days' ids, at any size, instead of walking the timeline and testing every entry
    for the filter. Call refresh_stale_days() first; the ids (sorted, each once) are
    candidates, to be put
    through Entry.objects.published() (or Claim.objects.published()) again, sorted and cut
    to the page, which is exact: each day read is read whole."""
    last_day = local_day(before) if before is not None else None
    parts, params = [], []
    for number, rows in enumerate(row_sets):
        if last_day is not None:
            rows = rows.filter(day__lte=last_day)
        newest = rows.order_by("-day").values_list("day", "entries", "entry_ids")[:NEWEST_ROWS]
        sql, part_params = newest.query.sql_with_params()
        parts.append(f"SELECT {number} AS part, newest.* FROM ({sql}) AS newest")  # noqa: S608
        params.extend(part_params)
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        fetched = cursor.fetchall()
    days_per_part, by_day = defaultdict(list), defaultdict(list)
    for part, day, entries, ids in fetched:
        day = dt.date.fromisoformat(str(day))
        days_per_part[part].append(day)
        by_day[day].append((entries, ids))
    # A set that filled its NEWEST_ROWS may hold its oldest day in part: only the days after
    # the newest such cut are whole in every set.
    cuts = [min(days) for days in days_per_part.values() if len(days) >= NEWEST_ROWS]
    cut = max(cuts, default=None)
    counted, found = 0, set()
    for day in sorted(by_day, reverse=True):
        if counted >= needed:
            break
        if cut is not None and day <= cut:
            return None
        for entries, ids in by_day[day]:
            # `before`'s own day is read for what lies before it, but not counted on.
            counted += entries if day != last_day else 0
            found.update(json.loads(ids))
    if counted < needed and cut is not None:
        return None
    # Sorted, each once (an entry is listed once for each claim it holds).
    return sorted(found)


def refresh_stale_days():
    """Bring the roll-up up to date for the days the triggers marked; one query when none."""
    stale = list(StaleDay.objects.values_list("day", flat=True))
    if not stale:
        return 0
    with transaction.atomic():
        # Delete first: a write that lands after this marks its day again for the next read.
        for first, last in _chunks(stale, size=10_000):
            StaleDay.objects.filter(day__gte=first, day__lte=last).delete()
        recompute({utc + dt.timedelta(days=shift) for utc in stale for shift in (-1, 0, 1)})
    return len(stale)


def rollup_tables_vacuum():
    """After a bulk write's refresh, on PostgreSQL: vacuum and analyse the roll-up tables.
    A refresh replaces their rows day by day and moves every filter's total once a run of
    days, so a million entries leave millions of dead row versions; until autovacuum comes
    round (or never, where it is off) each read of a total steps over them, and the planner
    still thinks the tables as they were. Outside a transaction only, as VACUUM must be."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    tables = (DayCount, FilterDayCount, FilterTotal)
    names = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in tables)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {names}")  # noqa: S608 (names from the models)


def rollup_rebuild():
    """Recompute every day from scratch (a restored dump, a new TIME_ZONE)."""
    with transaction.atomic():
        StaleDay.objects.all().delete()
        DayCount.objects.all().delete()
        FilterDayCount.objects.all().delete()
        FilterTotal.objects.all().delete()
        moments = Entry.objects.order_by("occurred_at").values_list("occurred_at", flat=True)
        first, last = moments.first(), moments.last()
        if first is None:
            return
        start, end = local_day(first), local_day(last)
        recompute({start + dt.timedelta(days=i) for i in range((end - start).days + 1)})
