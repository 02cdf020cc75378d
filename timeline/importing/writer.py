"""Applying a dataset file to the database: `events_import`, the one function that writes.

The readers (events.py) turn a file into outcomes; this module turns outcomes into rows.
Decisions, in the order a row meets them:

- **Whole or nothing.** The file is applied in one transaction. A dry run does all the work
  and then rolls back; a failure rolls back and records why. Either way an ImportRun is
  written after the rollback, so the record of the attempt survives it.
- **Batches.** Records are written 2,000 at a time with bulk inserts, so memory stays flat
  whatever the file's length; what must be remembered across batches is only the names of
  places and actors (a dict each) and the counts.
- **Places** are matched by name or alias within their parent ("Kyiv City" under Ukraine is
  the seed's Kyiv when Kyiv has that alias), case and spacing aside. A level that names the
  place above it again is the same place ("Kyiv" inside "Kyiv City"). Missing places are
  created with the record's coordinates when they are its most precise place; the entry is
  linked to that most precise place only (the places above it contain it).
- **Actors** are matched by name or alias, case aside; new ones take their kind from the
  dataset's category and their side from SIDE_NAMES, else third party.
- **Entries** are found by (dataset, external id). A new one is created with the import's
  status: an import is the operator publishing a curated dataset, so entries it creates may
  be published at creation (with the run's Source, so they are publishable). An existing one
  is compared field by field; unchanged, nothing is written. Its status is never changed by
  a release: an editor may have unpublished it. Only `--withdrawn` unpublishes, through
  `services.entry_set_status`, and nothing is ever deleted.
- **Figures** are never overwritten: a count that differs from the current one for the same
  (metric, breakdown) is a new Figure, as of the import; the old one stays as its history.
- **History.** Bulk writes bypass django-simple-history's signals, so entries created and
  figures created get their historical rows ("+") from the rows just written, by one
  `INSERT ... SELECT` per batch (see _Staging), and entries updated from simple_history's
  bulk helper; all with the run as the reason and the import's save group. Links (places,
  actors, sources) have no history rows of their own for imports.
- **Editors' own entries** (no dataset) are never read or written here.
"""

from __future__ import annotations

import csv
import datetime
import gc
import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.text import slugify
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from timeline.history import save_group
from timeline.models import (
    ENTRY_KINDS_BY_TRACK,
    PATH_SEPARATOR,
    Actor,
    Dataset,
    Entry,
    EntryActor,
    Figure,
    ImportRun,
    Place,
    PlaceAlias,
    Side,
    Source,
    alias_lines,
    name_key,
)
from timeline.rollup import stale_days_deferred
from timeline.search import search_index_deferred, search_index_rebuild

from .events import DuplicateRow, EventFile, RejectedRow, SkippedRow, read_withdrawn
from .records import DatasetInfo, EventRecord, FigureRecord, shorten

BATCH_SIZE = 2000
REASON_MAX_LENGTH = 100  # simple_history's history_change_reason column
LISTED_NAMES_MAX = 1000  # new places and actors kept by name in the run's counts

PLACE_KINDS = {
    "country": Place.Kind.COUNTRY,
    "admin1": Place.Kind.REGION,
    "admin2": Place.Kind.SUBREGION,
    "admin3": Place.Kind.COMMUNITY,
    "location": Place.Kind.CITY,
}

# Which side an actor named by a dataset is on, when Parallax has that side. Matched against
# the name with case ignored; the first pattern that matches wins. ACLED names state forces
# "Military Forces of Russia (2000-)", "Police Forces of Ukraine (2019-)"; UCDP names the
# sides "Government of Russia (Soviet Union)", "Government of Ukraine". Anything else is a
# third party until an editor says otherwise (or aliases it to an existing actor).
SIDE_NAMES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(military|police|naval|air) forces of russia\b", re.I), "russia"),
    (re.compile(r"^government of russia\b", re.I), "russia"),
    (re.compile(r"^(military|police|naval|air) forces of ukraine\b", re.I), "ukraine"),
    (re.compile(r"^government of ukraine\b", re.I), "ukraine"),
)

# An actor's kind from the dataset's category (ACLED's inter codes) or, failing that, its name.
ACTOR_KINDS = {
    "state forces": Actor.Kind.ARMED_FORCE,
    "rebel group": Actor.Kind.ARMED_FORCE,
    "political militia": Actor.Kind.ARMED_FORCE,
    "identity militia": Actor.Kind.ARMED_FORCE,
    "external/other forces": Actor.Kind.ARMED_FORCE,
    "rioters": Actor.Kind.GROUP,
    "protesters": Actor.Kind.GROUP,
    "civilians": Actor.Kind.GROUP,
}
ACTOR_NAME_KINDS = (
    (re.compile(r"^government of\b", re.I), Actor.Kind.STATE),
    (re.compile(r"\bforces\b|\barmy\b|\bmilitia\b|\barmed group\b", re.I), Actor.Kind.ARMED_FORCE),
)

BREAKDOWN_LABELS = {"side_a": "side A", "side_b": "side B"}
COMPARED_FIELDS = (
    "title",
    "summary",
    "track",
    "kind",
    "occurred_at",
    "precision",
    "ended_at",
    "coordinate_precision",
    "raw_row",
)
REPORT_COLUMNS = ("line", "external_id", "column", "reason", "outcome")

# What the import writes for each new entry, figure and place, in this order: the values
# that vary from row to row (every other column is the same for the whole import).
ENTRY_COLUMNS = (
    "id",
    "title",
    "slug",
    "summary",
    "track",
    "kind",
    "occurred_at",
    "precision",
    "ended_at",
    "coordinate_precision",
    "external_id",
    "raw_row",  # last: the historical entry has every column but this one
)
# A staged entry's links, beside its columns: its most precise place and the Source of its
# own web page (a mapped CSV's source_url), each an id or NULL.
ENTRY_LINK_COLUMNS = ("place_id", "url_source_id", "actor_set_id")
# Where the actors and roles of a staged entry are, by its actor_set_id: rows repeat the
# same few groups of actors (Russia's forces against civilians), each stored once here.
ACTOR_SETS = "parallax_import_actor_set"
FIGURE_COLUMNS = (
    "id",
    "entry_id",
    "metric",
    "scope_id",
    "breakdown",
    "low",
    "best",
    "high",
    "note",
)
PLACE_COLUMNS = (
    "id",
    "name",
    "name_key",
    "slug",
    "kind",
    "parent_id",
    "path",
    "depth",
    "latitude",
    "longitude",
    "coordinate_precision",
)
# The tables a first import of a large dataset fills with their indexes set aside, on SQLite
# (_Writer._set_indexes_aside).
BULK_LOADED_MODELS = (
    Entry,
    Entry.history.model,
    Figure,
    Figure.history.model,
    EntryActor,
    Entry.places.through,
    Entry.sources.through,
)
# Of those, the indexes led by one of these columns stay: an import gives every row it
# writes the same value there (its run's time, its dataset, its source) or a growing one
# (the new ids), so new rows go at the index's end, which costs little. Indexes led by
# anything else (slugs, days, places) take new rows all over, and are the ones rebuilt.
APPENDED_COLUMNS = frozenset(
    {
        "id",
        "entry_id",
        "dataset_id",
        "source_id",
        "updated_at",
        "as_of",
        "history_date",
        "history_user_id",
        "save_group",
        "reported_by_id",
        "marked_error_by_id",
    }
)
# SQLite's page cache for the import's connection while it runs (KiB, as PRAGMA cache_size
# takes it when negative): the default 2 MB makes a transaction of this size spill pages to
# the journal over and over. Restored when the import ends; durability is left as it is.
SQLITE_IMPORT_CACHE_KIB = 128 * 1024
# And for its temporary tables, which hold one batch at a time (see _Staging): the default
# 2 MB is less than a batch of entries, which would go to a file on disk and back.
SQLITE_STAGING_CACHE_KIB = 32 * 1024
# From this size up, a second process parses the file while this one writes (plain bytes on
# disk, so a gzip file's threshold is in compressed bytes). Below it, forking costs more
# than it saves.
BACKGROUND_PARSE_MIN_BYTES = 4 << 20


class NewFigure(NamedTuple):
    entry_id: int
    metric: str
    scope_id: int
    breakdown: str
    low: int | None
    best: int
    high: int | None
    note: str


class ReadyEvent(NamedTuple):
    """An EventRecord in the form the writer takes it, worked out by `_Prepare` in the parsing
    process (see EventFile.batches): the moments and the raw row as the driver takes them,
    names with their match keys, the slug's base and each figure's breakdown label. Plain
    values only, so a batch crosses between the processes cheaply."""

    line: int
    external_id: str
    track: str
    kind: str
    title: str
    summary: str
    slug_base: str
    occurred_at: datetime.datetime  # aware: the file's time, or the start of its period
    ended_at: datetime.datetime | None
    occurred_at_db: object  # the same two moments as the driver takes them
    ended_at_db: object
    precision: str
    coordinate_precision: str
    raw: str  # the row as it came, as JSON
    places: tuple[tuple[str, str], ...]  # (name, level), largest first
    place_keys: tuple[str, ...]  # name_key of each
    latitude: str | None  # of the most precise place
    longitude: str | None
    actors: tuple[tuple[str, str, str, str], ...]  # (name key, name, role, actor type)
    figures: tuple[tuple, ...]  # (metric, breakdown, low, best, high, note)
    source_url: str
    warnings: tuple[tuple[str, str], ...]

    def __reduce__(self):
        # Rebuilt by tuple.__new__ itself: no Python call per event on the writer's side.
        return tuple.__new__, (ReadyEvent, tuple(self))


class _Prepare:
    """EventRecord -> ReadyEvent. Made by the writer before the parsing process starts, so
    it carries the connection's conversions without using the connection; what repeats (a
    file has a few thousand distinct days and names for hundreds of thousands of rows) is
    converted once."""

    def __init__(self):
        self.adapt_datetime = connection.ops.adapt_datetimefield_value
        self.json_encoder = Entry._meta.get_field("raw_row").encoder
        self.moments: dict = {}
        self.db_moments: dict = {}
        self.keys: dict[str, str] = {}
        self.shared: dict[tuple, tuple] = {}

    def share(self, value: tuple) -> tuple:
        """One object for equal tuples (the same places, actors and counts come back row
        after row): pickled once per batch, and unpickled once."""
        return self.shared.setdefault(value, value)

    def moment(self, day: datetime.date, precision: str) -> datetime.datetime:
        try:
            return self.moments[(day, precision)]
        except KeyError:
            moment = self.moments[(day, precision)] = start_of_period(day, precision)
            return moment

    def db_moment(self, value):
        if value is None:
            return None
        try:
            return self.db_moments[value]
        except KeyError:
            converted = self.db_moments[value] = self.adapt_datetime(value)
            return converted

    def key(self, name: str) -> str:
        try:
            return self.keys[name]
        except KeyError:
            key = self.keys[name] = name_key(name)
            return key

    def __call__(self, record: EventRecord) -> ReadyEvent:
        occurred_at = record.occurred_at or self.moment(record.occurred_on, record.precision)
        ended_at = self.moment(record.ended_on, "day") if record.ended_on else None
        if ended_at is not None and ended_at < occurred_at:
            ended_at = None
        key, share = self.key, self.share
        return ReadyEvent(
            record.line,
            record.external_id,
            record.track,
            record.kind,
            record.title,
            record.summary,
            slug_base(f"{record.title[:80]} {record.external_id}", "event"),
            occurred_at,
            ended_at,
            self.db_moment(occurred_at),
            self.db_moment(ended_at),
            record.precision,
            record.coordinate_precision,
            # Compact, and UTF-8 as it is: the same value in fewer bytes than the ORM writes.
            json.dumps(
                record.raw, cls=self.json_encoder, ensure_ascii=False, separators=(",", ":")
            ),
            share(tuple(share((place.name, place.level)) for place in record.places)),
            share(tuple(key(place.name) for place in record.places)),
            None if record.latitude is None else str(record.latitude),
            None if record.longitude is None else str(record.longitude),
            share(
                tuple(
                    share((key(actor.name), actor.name, actor.role, actor.actor_type))
                    for actor in record.actors
                )
            ),
            share(
                tuple(
                    share(
                        (
                            figure.metric,
                            figure_breakdown(record, figure),
                            figure.low,
                            figure.best,
                            figure.high,
                            "" if figure.breakdown else figure.note[:300],
                        )
                    )
                    for figure in record.figures
                )
            ),
            record.source_url,
            tuple(record.warnings),
        )


def figure_breakdown(record: EventRecord, figure: FigureRecord) -> str:
    """ "side A: Government of Ukraine", "civilians", "unknown"; "" for the total."""
    label = BREAKDOWN_LABELS.get(figure.breakdown)
    if label is None:
        return figure.breakdown
    side = (record.raw.get(figure.breakdown) or "").strip()
    return shorten(f"{label}: {side}" if side else label, 100)


def slug_base(text: str, fallback: str) -> str:
    """The slug a name asks for, before _Slugs makes it unique."""
    return slugify(text)[:190].strip("-") or fallback


class _DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""


@dataclass
class ImportResult:
    """What an import did, for the command's summary and the ImportRun's counts."""

    file_name: str
    encoding: str = "utf-8"
    rows_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    figures_created: int = 0
    figures_revised: int = 0
    skipped: Counter = field(default_factory=Counter)
    rejected: int = 0
    duplicates: int = 0
    warnings: int = 0
    new_places: list[str] = field(default_factory=list)
    new_actors: list[str] = field(default_factory=list)
    new_place_count: int = 0
    new_actor_count: int = 0
    report_path: Path | None = None
    run: ImportRun | None = None

    def as_counts(self) -> dict:
        return {
            "rows_read": self.rows_read,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "withdrawn": self.withdrawn,
            "figures_created": self.figures_created,
            "figures_revised": self.figures_revised,
            "skipped": dict(self.skipped.most_common()),
            "rejected": self.rejected,
            "duplicates": self.duplicates,
            "warnings": self.warnings,
            "new_places": self.new_places,
            "new_place_count": self.new_place_count,
            "new_actors": self.new_actors,
            "new_actor_count": self.new_actor_count,
        }


class Report:
    """`<input>.report.csv`: every rejected, repeated or withdrawn-but-unknown row and every
    warning, with its line. Opened at the first problem; a clean file leaves none (and a
    stale report from an earlier run is removed, so it cannot be mistaken for this one's)."""

    def __init__(self, input_path: Path):
        self.path = input_path.with_name(input_path.name + ".report.csv")
        self._file = None
        self._writer = None
        self.rows = 0
        self.path.unlink(missing_ok=True)

    def add(self, line, external_id, column, reason, outcome):
        if self._writer is None:
            self._file = self.path.open("w", newline="", encoding="utf-8")
            self._writer = csv.writer(self._file)
            self._writer.writerow(REPORT_COLUMNS)
        self._writer.writerow([line, external_id, column, reason, outcome])
        self.rows += 1

    def close(self):
        if self._file is not None:
            self._file.close()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def dataset_for(info: DatasetInfo) -> Dataset:
    """The dataset's record, created from the format's terms the first time. Later imports
    keep the record as editors left it (they may correct a licence URL)."""
    dataset = Dataset.objects.filter(name=info.name).first()
    if dataset is None:
        dataset = Dataset(
            name=info.name,
            licence=info.licence,
            licence_url=info.licence_url,
            attribution=info.attribution,
            redistributable=info.redistributable,
        )
        dataset._change_reason = "Created by an import"
        dataset.save()
    return dataset


def events_import(
    *,
    events: EventFile,
    status: str = Entry.Status.PUBLISHED,
    dry_run: bool = False,
    withdrawn: str | Path | None = None,
    user=None,
    progress: Callable[[int, int | None], None] | None = None,
    batch_size: int = BATCH_SIZE,
    background: bool | None = None,
) -> ImportResult:
    """Apply a dataset file whole, or not at all; return what it did.

    `events` is an opened EventFile (its header already checked). `status` is what new
    entries get (published or review). `withdrawn` is a list of external ids to unpublish.
    `progress(rows_done, rows_total)` is called after each batch. `background` parses the
    file in a second process (default: when it is at least BACKGROUND_PARSE_MIN_BYTES). An
    ImportRun is recorded in every case: applied, dry run, or failed (then the exception is
    raised again).
    """
    if status not in (Entry.Status.PUBLISHED, Entry.Status.REVIEW):
        raise ValueError(f"An import creates published or review entries, not {status!r}.")
    path = events.path
    result = ImportResult(file_name=path.name, encoding=events.encoding)
    report = Report(path)
    result.report_path = report.path
    started_at = timezone.now()
    run_fields = {
        "file_name": path.name[:500],
        "file_sha256": file_sha256(path),
        "file_format": events.format.name,
        "encoding": events.encoding,
        "started_at": started_at,
        "ran_by": user,
        "ran_by_name": user.get_username() if user else "",
    }
    try:
        with transaction.atomic(), save_group() as group:
            dataset = dataset_for(events.format.dataset)
            run = ImportRun.objects.create(
                dataset=dataset, outcome=ImportRun.Outcome.APPLIED, **run_fields
            )
            writer = _Writer(
                run=run, status=status, user=user, group=group, result=result, report=report
            )
            writer.apply_file(
                events, progress=progress, batch_size=batch_size, background=background
            )
            if withdrawn is not None:
                writer.withdraw(withdrawn)
            run.counts = result.as_counts()
            run.finished_at = timezone.now()
            run.message = summary_line(result)
            run.save()
            result.run = run
            if dry_run:
                raise _DryRun
    except _DryRun:
        result.run = ImportRun.objects.create(
            dataset=dataset_for(events.format.dataset),
            outcome=ImportRun.Outcome.DRY_RUN,
            counts=result.as_counts(),
            finished_at=timezone.now(),
            message=summary_line(result),
            **run_fields,
        )
    except Exception as error:
        ImportRun.objects.create(
            dataset=dataset_for(events.format.dataset),
            outcome=ImportRun.Outcome.FAILED,
            counts=result.as_counts(),
            finished_at=timezone.now(),
            message=f"{type(error).__name__}: {error}"[:5000],
            **run_fields,
        )
        raise
    finally:
        report.close()
    if report.rows == 0:
        result.report_path = None
    return result


def summary_line(result: ImportResult) -> str:
    return (
        f"{result.rows_read:,} rows read: {result.created:,} created, "
        f"{result.updated:,} updated, {result.unchanged:,} unchanged, "
        f"{result.withdrawn:,} withdrawn, {sum(result.skipped.values()):,} skipped, "
        f"{result.rejected:,} rejected, {result.duplicates:,} repeated."
    )


def start_of_period(day: datetime.date, precision: str) -> datetime.datetime:
    """Midnight (Kyiv time, as Entry.occurred_at says) at the start of the precision's period.

    ACLED codes a month-precise event to the middle of the month; the entry, like an editor's,
    starts at the month's first day so the page shows "November 2025" over the right span.
    """
    if precision == "month":
        day = day.replace(day=1)
    elif precision == "year":
        day = day.replace(month=1, day=1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _batches(items: Iterable, size: int):
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class _Slugs:
    """Unique slugs for rows written in bulk (which skips save()): one query per batch, or
    none with `preload` (every slug the table has, read once: for places and actors, which
    number thousands where entries number hundreds of thousands)."""

    def __init__(self, model, *, preload: bool = False):
        self.model = model
        self.used: set[str] = set()
        self.suffixed: dict[str, int] = {}
        self.preloaded = preload
        if preload:
            self.used = set(model.objects.values_list("slug", flat=True))

    def assign(self, wanted: list[str], fallback: str) -> list[str]:
        return self.assign_bases([slug_base(text, fallback) for text in wanted])

    def assign_bases(self, bases: list[str]) -> list[str]:
        self.used |= self._taken(set(bases) - self.used)
        slugs = []
        for base in bases:
            slug = base
            if slug in self.used:
                if base not in self.suffixed:
                    # One query per repeated name for the whole import: "Kharkiv" the region
                    # and "Kharkiv" the city meet once, then the counter runs in memory.
                    self.used |= self._suffixed(base)
                    self.suffixed[base] = 2
                suffix = self.suffixed[base]
                while f"{base}-{suffix}" in self.used:
                    suffix += 1
                self.suffixed[base] = suffix + 1
                slug = f"{base}-{suffix}"
            self.used.add(slug)
            slugs.append(slug)
        return slugs

    def _taken(self, slugs: set[str]) -> set[str]:
        """Which of `slugs` the table has: one statement with one parameter, whatever their
        number (the ORM's IN would prepare one parameter per slug)."""
        if not slugs or self.preloaded:
            return set()
        table = connection.ops.quote_name(self.model._meta.db_table)
        if connection.vendor == "sqlite":
            sql = f"SELECT slug FROM {table} WHERE slug IN (SELECT value FROM json_each(%s))"  # noqa: S608
            param = json.dumps(sorted(slugs))
        elif connection.vendor == "postgresql":
            sql = f"SELECT slug FROM {table} WHERE slug = ANY(%s)"  # noqa: S608
            param = sorted(slugs)
        else:
            return set(self.model.objects.filter(slug__in=slugs).values_list("slug", flat=True))
        with connection.cursor() as cursor:
            cursor.execute(sql, [param])
            return {row[0] for row in cursor.fetchall()}

    def _suffixed(self, base: str) -> set[str]:
        """The table's slugs that start with `base-`. On SQLite (binary collation) as a range,
        which its index serves; its LIKE ignores case and scans the table."""
        if self.preloaded:
            return set()
        if connection.vendor == "sqlite":
            found = self.model.objects.filter(slug__gte=f"{base}-", slug__lt=f"{base}.")
        else:
            found = self.model.objects.filter(slug__startswith=f"{base}-")
        return set(found.values_list("slug", flat=True))


def reserve_ids(model, count: int) -> list[int]:
    """Primary keys for rows inserted by executemany, which cannot report them back.

    PostgreSQL hands them out from the table's sequence, safe beside other writers. SQLite
    has one writer at a time (the import holds the write lock in its transaction), and its
    AUTOINCREMENT counter never goes back, so the next ids follow the larger of the two.
    """
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [row[0] for row in cursor.fetchall()]
        quoted = connection.ops.quote_name(table)
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {quoted}")  # noqa: S608 (model's table)
        highest = cursor.fetchone()[0]
        if connection.vendor == "sqlite":
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            highest = max(highest, row[0] if row else 0)
    return list(range(highest + 1, highest + 1 + count))


def write_rows(table: str, columns: list[str], rows: list) -> None:
    """Rows of values ready for the driver into `table`: COPY on PostgreSQL (psycopg's
    `cursor.copy()`), executemany elsewhere. The ORM's per-object work would be most of an
    import's time at a dataset's size."""
    if not rows:
        return
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})"  # noqa: S608
            cursor.executemany(sql, rows)


class _Table:
    """A model's rows as plain lists, for write_rows.

    `given` names the fields each row supplies, in order, as values ready for the driver
    (`db_value` converts the few that are not); every other column is filled once, here,
    from `constants` or the field's default, converted as the ORM would. An auto-numbered
    primary key that is not given (a historical row's history_id) is left to the database.
    """

    def __init__(self, model, given: tuple[str, ...], constants: dict | None = None):
        constants = constants or {}
        fields = [
            model_field
            for model_field in model._meta.concrete_fields
            if model_field.attname in given
            or not (model_field.primary_key and isinstance(model_field, models.AutoField))
        ]
        self.table = model._meta.db_table
        self.columns = [model_field.column for model_field in fields]
        self.template = []
        for model_field in fields:
            if model_field.attname in given:
                value = None
            elif model_field.attname in constants:
                value = constants[model_field.attname]
            else:
                value = model_field.get_default()
            if value is not None:
                value = model_field.get_db_prep_save(value, connection)
            self.template.append(value)
        position = {model_field.attname: index for index, model_field in enumerate(fields)}
        self.positions = [position[name] for name in given]
        self.rows: list[list] = []

    def add(self, values) -> None:
        row = self.template.copy()
        for index, value in zip(self.positions, values, strict=True):
            row[index] = value
        self.rows.append(row)

    def write(self) -> None:
        write_rows(self.table, self.columns, self.rows)
        self.rows = []


class _Staging:
    """A temporary table of one batch of rows on their way in, with no index, trigger or
    constraint: the batch is written to it once, with the values that vary from row to row
    only, and every table the rows feed (the entries, their historical rows, their links) is
    filled from it by one INSERT ... SELECT, so the driver never handles those rows again.

    Created inside the import's transaction, and dropped with it on failure."""

    def __init__(self, name: str, columns: list[tuple[str, models.Field | None]]):
        self.name = name
        self.columns = [column for column, _ in columns]
        quote = connection.ops.quote_name
        if connection.vendor == "postgresql":
            # Typed like the columns they feed, so COPY checks and converts each value.
            definitions = [
                f"{quote(column)} {model_field.db_type(connection) if model_field else 'bigint'}"
                for column, model_field in columns
            ]
        else:
            # No type, no affinity: each value is kept as given until the INSERT ... SELECT
            # hands it to the real column, which converts it as a direct insert would.
            definitions = [quote(column) for column in self.columns]
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMPORARY TABLE {quote(name)} ({', '.join(definitions)})")

    def write(self, rows: list) -> None:
        write_rows(self.name, self.columns, rows)

    def clear(self) -> None:
        # In the transaction that created it, PostgreSQL truncates a table in place; SQLite
        # empties a table at once for a DELETE without WHERE.
        verb = "TRUNCATE" if connection.vendor == "postgresql" else "DELETE FROM"
        with connection.cursor() as cursor:
            cursor.execute(f"{verb} {connection.ops.quote_name(self.name)}")

    def drop(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {connection.ops.quote_name(self.name)}")


class _InsertSelect:
    """`INSERT INTO <model's table> SELECT ... FROM <staging table> AS s`: the columns named
    in `given` come from the staging table's columns of the same name, every other column
    is the same for every row (`constants`, else the field's default, converted as the ORM
    would) and is bound once per statement. An auto-numbered primary key that is not given
    (a historical row's history_id) is left to the database. `given` may instead map a
    column to an expression on the staging row `s` (and on what `join` adds); `where`
    filters the rows (an SQL condition)."""

    def __init__(self, model, staging: str, given, constants=None, where="", join=""):
        quote = connection.ops.quote_name
        if not isinstance(given, dict):
            given = {name: f"s.{quote(name)}" for name in given}
        constants = constants or {}
        postgresql = connection.vendor == "postgresql"
        columns, expressions, self.params = [], [], []
        for model_field in model._meta.concrete_fields:
            if model_field.attname in given:
                expression = given[model_field.attname]
            elif model_field.primary_key and isinstance(model_field, models.AutoField):
                continue
            else:
                value = constants.get(model_field.attname, model_field.get_default())
                if value is None:
                    expression = "NULL"
                else:
                    expression = "%s"
                    self.params.append(model_field.get_db_prep_save(value, connection))
                if postgresql:
                    # A parameter in a SELECT list has no type for PostgreSQL to infer.
                    expression = f"CAST({expression} AS {model_field.db_type(connection)})"
            columns.append(quote(model_field.column))
            expressions.append(expression)
        self.staging = staging
        self.sql = (
            f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
            f"SELECT {', '.join(expressions)} FROM {quote(staging)} AS s"
            + (f" {join}" if join else "")
            + (f" WHERE {where}" if where else "")
        )

    def run(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(self.sql, self.params)


@contextmanager
def frozen_garbage():
    """The objects alive before the block (Django's, the app's) are left out of the garbage
    collector's full passes while it runs: an import allocates millions of short-lived
    objects, and each full pass would otherwise walk everything loaded at startup."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextmanager
def sqlite_cache(kib: int, temp_kib: int):
    """Larger page caches for this connection while the block runs (SQLite only): the
    database's, and the temporary tables' (the staging tables hold a batch each)."""
    if connection.vendor != "sqlite":
        yield
        return
    before = {}
    with connection.cursor() as cursor:
        for schema, size in (("main", kib), ("temp", temp_kib)):
            cursor.execute(f"PRAGMA {schema}.cache_size")
            before[schema] = cursor.fetchone()[0]
            cursor.execute(f"PRAGMA {schema}.cache_size = {-int(size)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for schema, size in before.items():
                cursor.execute(f"PRAGMA {schema}.cache_size = {int(size)}")


def side_for(name: str, sides: set[str]) -> str:
    for pattern, side in SIDE_NAMES:
        if side in sides and pattern.search(name):
            return side
    return Side.THIRD_PARTY


def actor_kind(name: str, actor_type: str) -> str:
    kind = ACTOR_KINDS.get(actor_type.casefold())
    if kind:
        return kind
    for pattern, kind in ACTOR_NAME_KINDS:
        if pattern.search(name):
            return kind
    return Actor.Kind.GROUP


class _Writer:
    def __init__(self, *, run, status, user, group, result, report):
        self.run = run
        self.dataset = run.dataset
        self.status = status
        self.user = user
        self.group = group
        self.result = result
        self.report = report
        self.now = run.started_at
        self.reason = f"Import run {run.pk}: {run.file_name}"[:REASON_MAX_LENGTH]
        self.history = {
            "default_user": user,
            "default_change_reason": self.reason,
            "default_date": self.now,
            "custom_historical_attrs": {"save_group": group},
        }
        self.source = self._run_source()
        self.dataset_was_empty = not Entry.objects.filter(dataset=self.dataset).exists()
        history = {
            "history_date": self.now,
            "history_change_reason": self.reason,
            "history_type": "+",
            "history_user_id": user.pk if user else None,
            "save_group": group,
        }
        entry = {
            "dataset_id": self.dataset.pk,
            "status": status,
            "published_at": self.now if status == Entry.Status.PUBLISHED else None,
            "created_at": self.now,
            "updated_at": self.now,
        }
        figure = {
            "qualifier": Figure.Qualifier.EXACT,
            "as_of": self.now,
            "source_id": self.source.pk,
        }
        # New entries and figures go through staging tables (see _Staging), made while
        # apply_file runs; these statements fill the real tables from them.
        staged_entries, staged_figures = "parallax_import_entry", "parallax_import_figure"
        self.staged_entries = self.staged_figures = self.staged_actor_sets = None
        self.entry_inserts = [
            _InsertSelect(Entry, staged_entries, ENTRY_COLUMNS, entry),
            _InsertSelect(Entry.history.model, staged_entries, ENTRY_COLUMNS[:-1], entry | history),
            _InsertSelect(
                Entry.places.through,
                staged_entries,
                {"entry_id": "s.id", "place_id": "s.place_id"},
                where="s.place_id IS NOT NULL",
            ),
            _InsertSelect(
                Entry.sources.through,
                staged_entries,
                {"entry_id": "s.id"},
                {"source_id": self.source.pk},
            ),
            _InsertSelect(
                Entry.sources.through,
                staged_entries,
                {"entry_id": "s.id", "source_id": "s.url_source_id"},
                where="s.url_source_id IS NOT NULL",
            ),
            _InsertSelect(
                EntryActor,
                staged_entries,
                {"entry_id": "s.id", "actor_id": "a.actor_id", "role": "a.role"},
                join=f"JOIN {ACTOR_SETS} AS a ON a.set_id = s.actor_set_id",
            ),
        ]
        # Each distinct group of (actor, role) a row names, numbered: {event.actors: set id}.
        self.actor_sets: dict[tuple, int] = {}
        self.figure_inserts = [
            _InsertSelect(Figure, staged_figures, FIGURE_COLUMNS, figure),
            _InsertSelect(Figure.history.model, staged_figures, FIGURE_COLUMNS, figure | history),
        ]
        self.places = _Table(Place, PLACE_COLUMNS)
        self.search_index = None  # search_index_deferred's, while apply_file runs
        self.stale_days = None  # stale_days_deferred's, likewise
        self.url_sources: dict[str, int] = {}
        self.resolved_places: dict[tuple[str, ...], int | None] = {}
        self.indexes_set_aside: list[tuple[str, str]] | None = None
        self.place_slugs = _Slugs(Place, preload=True)
        self.actor_slugs = _Slugs(Actor, preload=True)
        self.entry_slugs = _Slugs(Entry)
        self._load_places()
        self._load_actors()

    # --- what the database already knows ---------------------------------------------

    def _load_places(self):
        """{(parent id or 0, name key): place id}, names first so an alias never shadows a
        place's own name; and each place's keys, to see a level that repeats its parent."""
        self.place_ids: dict[tuple[int, str], int] = {}
        self.place_paths: dict[int, str] = {}
        self.place_keys: dict[int, set[str]] = {}
        for place_id, parent_id, key in Place.objects.values_list("id", "parent_id", "name_key"):
            self.place_ids[(parent_id or 0, key)] = place_id
            self.place_keys.setdefault(place_id, set()).add(key)
        aliases = PlaceAlias.objects.values_list("place_id", "place__parent_id", "name_key")
        for place_id, parent_id, key in aliases:
            self.place_ids.setdefault((parent_id or 0, key), place_id)
            self.place_keys.setdefault(place_id, set()).add(key)

    def _load_actors(self):
        self.actor_ids: dict[str, int] = {}
        rows = Actor.objects.values_list("id", "name", "aliases")
        for actor_id, name, _ in rows:
            self.actor_ids[name_key(name)] = actor_id
        for actor_id, _, aliases in rows:
            for alias in alias_lines(aliases):
                self.actor_ids.setdefault(name_key(alias), actor_id)
        self.sides = set(Side.objects.values_list("slug", flat=True))

    def _run_source(self) -> Source:
        day = timezone.localdate(self.now)
        source = Source(
            title=shorten(
                f"{self.dataset.name} export {self.run.file_name}, accessed {day.day} {day:%B %Y}",
                300,
            ),
            publisher=self.dataset.name[:200],
            url=self.dataset.url,
            source_type=Source.Type.OTHER,
            accessed_at=self.now,
            notes=f"Imported as {self.dataset.name} published it (import run {self.run.pk}). "
            "The outlets the dataset cites for each event are named in the entry's original "
            "row (its source columns).",
        )
        source._change_reason = self.reason
        source._history_user = self.user
        source.save()
        return source

    # --- the file ------------------------------------------------------------------------

    def apply_file(self, events: EventFile, *, progress, batch_size, background=None):
        """The file's rows, in batches, with the search index's per-row triggers suspended
        and the entries written indexed in bulk (_index), in the same transaction; on SQLite
        the day roll-up's insert triggers too, the entries' days marked stale once per
        batch."""
        with (
            sqlite_cache(SQLITE_IMPORT_CACHE_KIB, SQLITE_STAGING_CACHE_KIB),
            search_index_deferred() as search_index,
            stale_days_deferred() as stale_days,
            frozen_garbage(),
        ):
            self.search_index, self.stale_days = search_index, stale_days
            entry_field, figure_field = Entry._meta.get_field, Figure._meta.get_field
            self.staged_entries = _Staging(
                self.entry_inserts[0].staging,
                [(name, entry_field(name)) for name in ENTRY_COLUMNS]
                + [(name, None) for name in ENTRY_LINK_COLUMNS],
            )
            self.staged_figures = _Staging(
                self.figure_inserts[0].staging,
                [(name, figure_field(name)) for name in FIGURE_COLUMNS],
            )
            self.staged_actor_sets = _Staging(
                ACTOR_SETS,
                [
                    ("set_id", None),
                    ("actor_id", None),
                    ("role", EntryActor._meta.get_field("role")),
                ],
            )
            try:
                self._apply_rows(
                    events, progress=progress, batch_size=batch_size, background=background
                )
                self._restore_indexes()
                for staging in (self.staged_entries, self.staged_figures, self.staged_actor_sets):
                    staging.drop()
            finally:
                self.search_index = self.stale_days = None
                self.staged_entries = self.staged_figures = self.staged_actor_sets = None

    def _apply_rows(self, events: EventFile, *, progress, batch_size, background):
        if background is None:
            background = events.path.stat().st_size >= BACKGROUND_PARSE_MIN_BYTES
        ready: list[ReadyEvent] = []
        # Closed on the way out, failure included: a background reader stops with the writer.
        batches = events.batches(batch_size, background=background, prepare=_Prepare())
        with closing(batches):
            for batch in batches:
                if self.indexes_set_aside is None:
                    self._set_indexes_aside(events.row_count)
                for outcome in batch:
                    ready = self._take(outcome, ready)
                    if len(ready) >= batch_size:
                        self.apply(ready)
                        ready = []
                        if progress:
                            progress(self.result.rows_read, events.row_count)
        if ready:
            self.apply(ready)
        if progress:
            progress(self.result.rows_read, events.row_count)

    def _set_indexes_aside(self, rows: int | None) -> None:
        """A first import of a dataset on SQLite, with more rows than the entries table
        holds: the secondary indexes of the tables it fills are dropped, and created again
        by _restore_indexes once the rows are in, one sorted pass each, which costs less than
        keeping them up to date row by row. Schema changes are part of SQLite's transaction:
        other connections keep reading the indexes as they were, and a failure rolls the
        drop back with everything else. Nothing the import asks the database meanwhile needs
        those indexes (a new dataset's ids are not looked up; slugs are unique by the
        table's own constraint, which stays), and the search index is rebuilt after them."""
        self.indexes_set_aside = []
        if connection.vendor != "sqlite" or not self.dataset_was_empty or not rows:
            return
        if rows < 2 * Entry.objects.count():
            return
        tables = [model._meta.db_table for model in BULK_LOADED_MODELS]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                "AND tbl_name IN (SELECT value FROM json_each(%s)) ORDER BY rowid",
                [json.dumps(tables)],
            )
            indexes = cursor.fetchall()
            for name, sql in indexes:
                cursor.execute("SELECT name FROM pragma_index_info(%s) ORDER BY seqno", [name])
                if cursor.fetchone()[0] in APPENDED_COLUMNS:
                    continue
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
                self.indexes_set_aside.append((name, sql))

    def _restore_indexes(self) -> None:
        with connection.cursor() as cursor:
            for _, sql in self.indexes_set_aside or ():
                cursor.execute(sql)
        self.indexes_set_aside = None

    def _take(self, outcome, ready: list[ReadyEvent]) -> list[ReadyEvent]:
        """Count one row's outcome; an event joins the batch, anything else is counted and
        reported here."""
        result = self.result
        result.rows_read += 1
        if isinstance(outcome, ReadyEvent):
            ready.append(outcome)
        elif isinstance(outcome, SkippedRow):
            result.skipped[outcome.reason] += 1
        elif isinstance(outcome, DuplicateRow):
            result.duplicates += 1
            self.report.add(
                outcome.line, outcome.external_id, outcome.column, outcome.reason, "repeated"
            )
        elif isinstance(outcome, RejectedRow):
            self.reject(outcome.line, outcome.external_id, outcome.column, outcome.reason)
        return ready

    def reject(self, line, external_id, column, reason):
        self.result.rejected += 1
        self.report.add(line, external_id, column, reason, "rejected")

    def warn(self, line, external_id, column, reason):
        self.result.warnings += 1
        self.report.add(line, external_id, column, reason, "warning")

    def apply(self, events: list[ReadyEvent]):
        events = [event for event in events if self._acceptable(event)]
        if not events:
            return
        for event in events:
            for column, reason in event.warnings:
                self.warn(event.line, event.external_id, column, reason)
        places = self._resolve_places(events)
        self._resolve_actors(events)
        url_sources = self._resolve_url_sources(events)
        known = self._known_ids([event.external_id for event in events])
        existing = (
            {
                entry.external_id: entry
                for entry in Entry.objects.filter(dataset=self.dataset, external_id__in=known)
            }
            if known
            else {}
        )
        new, new_places, old, old_places = [], [], [], []
        for event, place_id in zip(events, places, strict=True):
            if event.external_id in existing:
                old.append(event)
                old_places.append(place_id)
            else:
                new.append(event)
                new_places.append(place_id)
        self._create(new, new_places, url_sources)
        self._update(old, existing, old_places, url_sources)

    def _known_ids(self, external_ids: list[str]) -> list[str]:
        """Which of these ids the dataset's entries have: one parameter for the lot. None
        when the dataset had no entries when the import began: the file's ids are unique
        (repeats are set aside before the writer sees them), so nothing it writes is asked
        about again."""
        if self.dataset_was_empty:
            return []
        if connection.vendor == "sqlite":
            wanted, param = "IN (SELECT value FROM json_each(%s))", json.dumps(external_ids)
        elif connection.vendor == "postgresql":
            wanted, param = "= ANY(%s)", external_ids
        else:
            return external_ids
        table = connection.ops.quote_name(Entry._meta.db_table)
        sql = f"SELECT external_id FROM {table} WHERE dataset_id = %s AND external_id {wanted}"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.dataset.pk, param])
            return [row[0] for row in cursor.fetchall()]

    def _acceptable(self, event: ReadyEvent) -> bool:
        if event.kind not in ENTRY_KINDS_BY_TRACK.get(event.track, ()):
            self.reject(
                event.line,
                event.external_id,
                "kind",
                f"'{event.kind}' is not a kind of {event.track} entry",
            )
            return False
        return True

    # --- places, actors, sources ------------------------------------------------------

    def place_path(self, place_id: int) -> str:
        if place_id not in self.place_paths:
            self.place_paths[place_id] = Place.objects.values_list("path", flat=True).get(
                pk=place_id
            )
        return self.place_paths[place_id]

    def _same_as(self, place_id: int, key: str) -> bool:
        keys = self.place_keys.get(place_id, ())
        return key in keys or f"{key} city" in keys

    def _resolve_places(self, events: list[ReadyEvent]) -> list[int | None]:
        """The most precise place of each event, creating the missing ones level by level.
        A file names the same few thousand places again and again: each run of names is
        walked once, and remembered (places are only ever added while an import runs, so
        the walk's answer for a run of names never changes)."""
        resolved = self.resolved_places
        walk = [i for i, event in enumerate(events) if event.place_keys not in resolved]
        positions = dict.fromkeys(walk, (0, None))
        while positions:
            missing: dict[tuple[int, str], tuple[ReadyEvent, int]] = {}
            for i, (index, parent) in positions.items():
                event = events[i]
                keys = event.place_keys
                while index < len(keys):
                    key = keys[index]
                    if parent is not None and self._same_as(parent, key):
                        index += 1
                        continue
                    found = self.place_ids.get((parent or 0, key))
                    if found is None:
                        missing.setdefault((parent or 0, key), (event, index))
                        break
                    parent = found
                    index += 1
                positions[i] = (index, parent)
            if not missing:
                for i, (_, parent) in positions.items():
                    resolved[events[i].place_keys] = parent
                break
            self._create_places(missing)
        return [resolved[event.place_keys] for event in events]

    def _create_places(self, missing: dict[tuple[int, str], tuple[ReadyEvent, int]]):
        items = list(missing.items())
        slugs = self.place_slugs.assign(
            [event.places[index][0] for _, (event, index) in items], "place"
        )
        latitude_field = Place._meta.get_field("latitude")
        longitude_field = Place._meta.get_field("longitude")
        names = []
        ids = reserve_ids(Place, len(items))
        for ((parent, key), (event, index)), slug, pk in zip(items, slugs, ids, strict=True):
            name, level = event.places[index]
            latitude = longitude = None
            precision = ""
            last = index == len(event.places) - 1
            if last and event.latitude is not None and event.longitude is not None:
                latitude = latitude_field.get_db_prep_save(Decimal(event.latitude), connection)
                longitude = longitude_field.get_db_prep_save(Decimal(event.longitude), connection)
                precision = event.coordinate_precision or "near"
            # What Place.save() and Place.objects.store_paths() derive, written with the row.
            path = f"{self.place_path(parent) if parent else PATH_SEPARATOR}{pk}/"
            self.places.add(
                (
                    pk,
                    name[:200],
                    key[:200],
                    slug,
                    PLACE_KINDS[level],
                    parent or None,
                    path,
                    path.count(PATH_SEPARATOR) - 2,
                    latitude,
                    longitude,
                    precision,
                )
            )
            self.place_ids[(parent, key)] = pk
            self.place_keys[pk] = {key}
            self.place_paths[pk] = path
            names.append(name[:200])
        self.places.write()
        self.result.new_place_count += len(names)
        room = LISTED_NAMES_MAX - len(self.result.new_places)
        self.result.new_places.extend(names[: max(room, 0)])

    def _resolve_actors(self, events: list[ReadyEvent]) -> dict[str, int]:
        missing: dict[str, tuple[str, str]] = {}
        for event in events:
            for key, name, _, actor_type in event.actors:
                if key not in self.actor_ids:
                    missing.setdefault(key, (name, actor_type))
        if missing:
            items = list(missing.items())
            slugs = self.actor_slugs.assign([name for name, _ in missing.values()], "actor")
            actors = [
                Actor(
                    name=name[:200],
                    slug=slug,
                    kind=actor_kind(name, actor_type),
                    side_id=side_for(name, self.sides),
                )
                for (_, (name, actor_type)), slug in zip(items, slugs, strict=True)
            ]
            bulk_create_with_history(actors, Actor, **self.history)
            for (key, _), actor in zip(items, actors, strict=True):
                self.actor_ids[key] = actor.pk
            self.result.new_actor_count += len(actors)
            room = LISTED_NAMES_MAX - len(self.result.new_actors)
            self.result.new_actors.extend(actor.name for actor in actors[: max(room, 0)])
        return self.actor_ids

    def _resolve_url_sources(self, events: list[ReadyEvent]) -> dict[str, int]:
        """A mapped CSV may give each event its own web page: one Source per address."""
        wanted = {event.source_url: event for event in events if event.source_url}
        wanted = {url: event for url, event in wanted.items() if url not in self.url_sources}
        if wanted:
            for url, source_id in Source.objects.filter(url__in=list(wanted)).values_list(
                "url", "id"
            ):
                self.url_sources[url] = source_id
            new = [
                Source(
                    title=shorten(f"{self.dataset.name}: {event.title}", 300),
                    publisher=self.dataset.name[:200],
                    url=url[:500],
                    source_type=Source.Type.OTHER,
                    accessed_at=self.now,
                )
                for url, event in wanted.items()
                if url not in self.url_sources and len(url) <= 500
            ]
            bulk_create_with_history(new, Source, **self.history)
            for source in new:
                self.url_sources[source.url] = source.pk
        return self.url_sources

    # --- entries -----------------------------------------------------------------------

    @staticmethod
    def _values(event: ReadyEvent) -> dict:
        return {
            "title": event.title,
            "summary": event.summary,
            "track": event.track,
            "kind": event.kind,
            "occurred_at": event.occurred_at,
            "precision": event.precision,
            "ended_at": event.ended_at,
            "coordinate_precision": event.coordinate_precision,
            "raw_row": json.loads(event.raw),
        }

    def _actor_links(self, event: ReadyEvent) -> set[tuple[int, str]]:
        ids = self.actor_ids
        return {(ids[key], role) for key, _, role, _ in event.actors}

    def _figures(self, event: ReadyEvent, entry_id: int, scope_id: int | None) -> list[NewFigure]:
        if scope_id is None:
            if event.figures:
                self.warn(
                    event.line,
                    event.external_id,
                    "",
                    "no place to count the figures in; the figures are left out",
                )
            return []
        return [
            NewFigure(entry_id, metric, scope_id, breakdown, low, best, high, note)
            for metric, breakdown, low, best, high, note in event.figures
        ]

    def _index(self, entry_ids: list[int]) -> None:
        """Entries to index for search (its per-row triggers are suspended). SQLite indexes
        them at once, while the parsing process reads the next batch, rather than all at
        the end, when that process has nothing left to do. PostgreSQL indexes them all in
        one statement at the end (search_index_deferred): its server does the work either
        way, and one statement over all of them costs half as much as one per batch."""
        if connection.vendor == "sqlite":
            search_index_rebuild(entry_ids)
        else:
            self.search_index.add(entry_ids)

    def _insert_figures(self, figures: list[NewFigure]) -> None:
        """New figures with their historical rows ("+", the run as the reason)."""
        if not figures:
            return
        ids = reserve_ids(Figure, len(figures))
        self.staged_figures.write([(pk, *figure) for figure, pk in zip(figures, ids, strict=True)])
        for insert in self.figure_inserts:
            insert.run()
        self.staged_figures.clear()
        self.result.figures_created += len(figures)

    def _create(self, events, places, url_sources):
        """New entries: staged with their place and sources, then written with their
        historical rows and links from the staging table, a statement each."""
        if not events:
            return
        slugs = self.entry_slugs.assign_bases([event.slug_base for event in events])
        ids = reserve_ids(Entry, len(events))
        rows, figures = [], []
        source_id = self.source.pk
        actor_sets, new_sets = self.actor_sets, []
        for event, slug, pk, place_id in zip(events, slugs, ids, places, strict=True):
            actor_set = actor_sets.get(event.actors)
            if actor_set is None and event.actors:
                actor_set = actor_sets[event.actors] = len(actor_sets) + 1
                new_sets.extend((actor_set, *link) for link in self._actor_links(event))
            url_source = url_sources.get(event.source_url) if event.source_url else None
            rows.append(
                (
                    pk,
                    event.title,
                    slug,
                    event.summary,
                    event.track,
                    event.kind,
                    event.occurred_at_db,
                    event.precision,
                    event.ended_at_db,
                    event.coordinate_precision,
                    event.external_id,
                    event.raw,
                    place_id,
                    url_source if url_source != source_id else None,
                    actor_set,
                )
            )
            figures.extend(self._figures(event, pk, place_id))
        self.staged_actor_sets.write(new_sets)
        self.staged_entries.write(rows)
        for insert in self.entry_inserts:
            insert.run()
        self.staged_entries.clear()
        self._insert_figures(figures)
        self._index(ids)
        self.stale_days.add(ids)
        self.result.created += len(events)

    def _update(self, records, existing, places, url_sources):
        if not records:
            return
        ids = [existing[record.external_id].pk for record in records]
        place_links: dict[int, set[int]] = {}
        for entry_id, place_id in Entry.places.through.objects.filter(entry_id__in=ids).values_list(
            "entry_id", "place_id"
        ):
            place_links.setdefault(entry_id, set()).add(place_id)
        actor_links: dict[int, set[tuple[int, str]]] = {}
        for entry_id, actor_id, role in EntryActor.objects.filter(entry_id__in=ids).values_list(
            "entry_id", "actor_id", "role"
        ):
            actor_links.setdefault(entry_id, set()).add((actor_id, role))
        current: dict[tuple[int, str, str], Figure] = {}
        for figure in Figure.objects.counted().filter(entry_id__in=ids).order_by("as_of", "id"):
            current[(figure.entry_id, figure.metric, figure.breakdown)] = figure

        changed_entries, new_figures = [], []
        new_place_links, gone_place_links = [], []
        new_actor_links, gone_actor_links = [], []
        new_source_links = []
        for index, record in enumerate(records):
            entry = existing[record.external_id]
            place_id = places[index]
            changed = False
            for name, value in self._values(record).items():
                if getattr(entry, name) != value:
                    setattr(entry, name, value)
                    changed = True
            wanted_places = {place_id} if place_id is not None else set()
            had_places = place_links.get(entry.pk, set())
            if wanted_places != had_places:
                changed = True
                gone_place_links.append((entry.pk, had_places - wanted_places))
                new_place_links.extend(
                    Entry.places.through(entry_id=entry.pk, place_id=p)
                    for p in wanted_places - had_places
                )
            wanted_actors = self._actor_links(record)
            had_actors = actor_links.get(entry.pk, set())
            if wanted_actors != had_actors:
                changed = True
                gone_actor_links.append((entry.pk, had_actors - wanted_actors))
                new_actor_links.extend(
                    EntryActor(entry_id=entry.pk, actor_id=a, role=r)
                    for a, r in wanted_actors - had_actors
                )
            for figure in self._figures(record, entry.pk, place_id):
                before = current.get((entry.pk, figure.metric, figure.breakdown))
                if before is not None and (
                    before.scope_id,
                    before.low,
                    before.best,
                    before.high,
                ) == (figure.scope_id, figure.low, figure.best, figure.high):
                    continue
                new_figures.append(figure)
                if before is not None:
                    self.result.figures_revised += 1
                changed = True
            if changed:
                entry.updated_at = self.now
                changed_entries.append(entry)
                new_source_links.append(
                    Entry.sources.through(entry_id=entry.pk, source_id=self.source.pk)
                )
                if record.source_url in url_sources:
                    new_source_links.append(
                        Entry.sources.through(
                            entry_id=entry.pk, source_id=url_sources[record.source_url]
                        )
                    )
            else:
                self.result.unchanged += 1

        if changed_entries:
            bulk_update_with_history(
                changed_entries, Entry, [*COMPARED_FIELDS, "updated_at"], **self.history
            )
        for entry_id, gone in gone_place_links:
            if gone:
                Entry.places.through.objects.filter(entry_id=entry_id, place_id__in=gone).delete()
        for entry_id, gone in gone_actor_links:
            for actor_id, role in gone:
                EntryActor.objects.filter(entry_id=entry_id, actor_id=actor_id, role=role).delete()
        Entry.places.through.objects.bulk_create(new_place_links)
        EntryActor.objects.bulk_create(new_actor_links)
        Entry.sources.through.objects.bulk_create(new_source_links, ignore_conflicts=True)
        self._insert_figures(new_figures)
        self._index([entry.pk for entry in changed_entries])
        self.stale_days.add(entry.pk for entry in changed_entries)
        self.result.updated += len(changed_entries)

    # --- withdrawn events -----------------------------------------------------------------

    def withdraw(self, path: str | Path):
        """Unpublish the entries a withdrawn list names, with the reason; never delete."""
        from timeline.services import entry_set_status

        rows = read_withdrawn(path)
        for batch in _batches(rows, BATCH_SIZE):
            wanted = {}
            for row in batch:
                if isinstance(row, RejectedRow):
                    self.report.add(row.line, "", row.column, row.reason, "withdrawn list")
                    continue
                wanted[row.external_id] = row
            entries = Entry.objects.filter(dataset=self.dataset, external_id__in=list(wanted))
            found = set()
            for entry in entries:
                found.add(entry.external_id)
                row = wanted[entry.external_id]
                if entry.status == Entry.Status.DRAFT:
                    continue
                day = timezone.localdate(row.withdrawn_at or self.now)
                reason = (
                    f"Withdrawn by {self.dataset.name} on {day:%Y-%m-%d} (import run {self.run.pk})"
                )
                entry_set_status(
                    entry=entry,
                    status=Entry.Status.DRAFT,
                    user=self.user,
                    reason=shorten(reason, REASON_MAX_LENGTH),
                    by_operator=True,
                )
                self.result.withdrawn += 1
            for external_id, row in wanted.items():
                if external_id not in found:
                    self.report.add(
                        row.line,
                        external_id,
                        "",
                        f"no entry from {self.dataset.name} has this id",
                        "withdrawn list",
                    )
