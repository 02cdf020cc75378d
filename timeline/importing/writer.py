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
  updated and figures created get their historical rows from simple_history's bulk helpers,
  with the run as the reason and the import's save group. Links (places, actors, sources)
  have no history rows of their own for imports.
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
from timeline.search import search_index_deferred

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

# What the import writes for each new entry, figure and place, in this order (_Table).
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
# SQLite's page cache for the import's connection while it runs (KiB, as PRAGMA cache_size
# takes it when negative): the default 2 MB makes a transaction of this size spill pages to
# the journal over and over. Restored when the import ends; durability is left as it is.
SQLITE_IMPORT_CACHE_KIB = 128 * 1024
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
        bases = [(slugify(text)[:190].strip("-") or fallback) for text in wanted]
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


def insert_rows(model, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Link rows (plain ids and short text) into a model's table."""
    write_rows(model._meta.db_table, list(columns), rows)


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


class _DbValues:
    """Python values as the driver takes them, cached where they repeat (a file has a few
    thousand distinct days for hundreds of thousands of rows)."""

    def __init__(self):
        self.moments: dict = {}
        self.adapt_datetime = connection.ops.adapt_datetimefield_value
        self.json_encoder = Entry._meta.get_field("raw_row").encoder

    def moment(self, value):
        if value is None:
            return None
        try:
            return self.moments[value]
        except KeyError:
            converted = self.moments[value] = self.adapt_datetime(value)
            return converted

    def json(self, value) -> str:
        return json.dumps(value, cls=self.json_encoder)


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
def sqlite_cache(kib: int):
    """A larger page cache for this connection while the block runs (SQLite only)."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = {-int(kib)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


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
        self.db = _DbValues()
        self.moments: dict[tuple[datetime.date, str], datetime.datetime] = {}
        self.keys: dict[str, str] = {}
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
        self.entries = _Table(Entry, ENTRY_COLUMNS, entry)
        self.entry_history = _Table(Entry.history.model, ENTRY_COLUMNS[:-1], entry | history)
        figure = {
            "qualifier": Figure.Qualifier.EXACT,
            "as_of": self.now,
            "source_id": self.source.pk,
        }
        self.figures = _Table(Figure, FIGURE_COLUMNS, figure)
        self.figure_history = _Table(Figure.history.model, FIGURE_COLUMNS, figure | history)
        self.places = _Table(Place, PLACE_COLUMNS)
        self.search_index = None  # search_index_deferred's, while apply_file runs
        self.stale_days = None  # stale_days_deferred's, likewise
        self.url_sources: dict[str, int] = {}
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
        and the entries written re-indexed at the end, in the same transaction; on SQLite the
        day roll-up's insert triggers too, the entries' days marked stale once per batch."""
        with (
            sqlite_cache(SQLITE_IMPORT_CACHE_KIB),
            search_index_deferred() as search_index,
            stale_days_deferred() as stale_days,
            frozen_garbage(),
        ):
            self.search_index, self.stale_days = search_index, stale_days
            try:
                self._apply_rows(
                    events, progress=progress, batch_size=batch_size, background=background
                )
            finally:
                self.search_index = self.stale_days = None

    def _apply_rows(self, events: EventFile, *, progress, batch_size, background):
        if background is None:
            background = events.path.stat().st_size >= BACKGROUND_PARSE_MIN_BYTES
        records: list[EventRecord] = []
        # Closed on the way out, failure included: a background reader stops with the writer.
        with closing(events.batches(batch_size, background=background)) as batches:
            for batch in batches:
                for outcome in batch:
                    records = self._take(outcome, records)
                    if len(records) >= batch_size:
                        self.apply(records)
                        records = []
                        if progress:
                            progress(self.result.rows_read, events.row_count)
        if records:
            self.apply(records)
        if progress:
            progress(self.result.rows_read, events.row_count)

    def _take(self, outcome, records: list[EventRecord]) -> list[EventRecord]:
        """Count one row's outcome; a record joins the batch, anything else is counted and
        reported here."""
        result = self.result
        result.rows_read += 1
        if isinstance(outcome, EventRecord):
            records.append(outcome)
        elif isinstance(outcome, SkippedRow):
            result.skipped[outcome.reason] += 1
        elif isinstance(outcome, DuplicateRow):
            result.duplicates += 1
            self.report.add(
                outcome.line, outcome.external_id, outcome.column, outcome.reason, "repeated"
            )
        elif isinstance(outcome, RejectedRow):
            self.reject(outcome.line, outcome.external_id, outcome.column, outcome.reason)
        return records

    def reject(self, line, external_id, column, reason):
        self.result.rejected += 1
        self.report.add(line, external_id, column, reason, "rejected")

    def warn(self, line, external_id, column, reason):
        self.result.warnings += 1
        self.report.add(line, external_id, column, reason, "warning")

    def apply(self, records: list[EventRecord]):
        records = [record for record in records if self._acceptable(record)]
        if not records:
            return
        for record in records:
            for column, reason in record.warnings:
                self.warn(record.line, record.external_id, column, reason)
        places = self._resolve_places(records)
        actors = self._resolve_actors(records)
        url_sources = self._resolve_url_sources(records)
        known = self._known_ids([record.external_id for record in records])
        existing = (
            {
                entry.external_id: entry
                for entry in Entry.objects.filter(dataset=self.dataset, external_id__in=known)
            }
            if known
            else {}
        )
        new = [record for record in records if record.external_id not in existing]
        old = [record for record in records if record.external_id in existing]
        self._create(new, places, actors, url_sources)
        self._update(old, existing, places, actors, url_sources)

    def _known_ids(self, external_ids: list[str]) -> list[str]:
        """Which of these ids the dataset's entries have: one parameter for the lot (a first
        import asks about every row and finds none)."""
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

    def _acceptable(self, record: EventRecord) -> bool:
        if record.kind not in ENTRY_KINDS_BY_TRACK.get(record.track, ()):
            self.reject(
                record.line,
                record.external_id,
                "kind",
                f"'{record.kind}' is not a kind of {record.track} entry",
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

    def _resolve_places(self, records: list[EventRecord]) -> list[int | None]:
        """The most precise place of each record, creating the missing ones level by level."""
        positions = [(0, None)] * len(records)
        while True:
            missing: dict[tuple[int, str], tuple[EventRecord, int]] = {}
            for i, record in enumerate(records):
                index, parent = positions[i]
                while index < len(record.places):
                    key = self._key(record.places[index].name)
                    if parent is not None and self._same_as(parent, key):
                        index += 1
                        continue
                    found = self.place_ids.get((parent or 0, key))
                    if found is None:
                        missing.setdefault((parent or 0, key), (record, index))
                        break
                    parent = found
                    index += 1
                positions[i] = (index, parent)
            if not missing:
                return [parent for _, parent in positions]
            self._create_places(missing)

    def _create_places(self, missing: dict[tuple[int, str], tuple[EventRecord, int]]):
        items = list(missing.items())
        slugs = self.place_slugs.assign(
            [record.places[index].name for _, (record, index) in items], "place"
        )
        latitude_field = Place._meta.get_field("latitude")
        longitude_field = Place._meta.get_field("longitude")
        names = []
        ids = reserve_ids(Place, len(items))
        for ((parent, key), (record, index)), slug, pk in zip(items, slugs, ids, strict=True):
            level = record.places[index]
            latitude = longitude = None
            precision = ""
            last = index == len(record.places) - 1
            if last and record.latitude is not None and record.longitude is not None:
                latitude = latitude_field.get_db_prep_save(record.latitude, connection)
                longitude = longitude_field.get_db_prep_save(record.longitude, connection)
                precision = record.coordinate_precision or "near"
            # What Place.save() and Place.objects.store_paths() derive, written with the row.
            path = f"{self.place_path(parent) if parent else PATH_SEPARATOR}{pk}/"
            self.places.add(
                (
                    pk,
                    level.name[:200],
                    key[:200],
                    slug,
                    PLACE_KINDS[level.level],
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
            names.append(level.name[:200])
        self.places.write()
        self.result.new_place_count += len(names)
        room = LISTED_NAMES_MAX - len(self.result.new_places)
        self.result.new_places.extend(names[: max(room, 0)])

    def _resolve_actors(self, records: list[EventRecord]) -> dict[str, int]:
        missing: dict[str, tuple[str, str]] = {}
        for record in records:
            for actor in record.actors:
                key = self._key(actor.name)
                if key not in self.actor_ids:
                    missing.setdefault(key, (actor.name, actor.actor_type))
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

    def _resolve_url_sources(self, records: list[EventRecord]) -> dict[str, int]:
        """A mapped CSV may give each event its own web page: one Source per address."""
        wanted = {r.source_url: r for r in records if r.source_url}
        wanted = {url: r for url, r in wanted.items() if url not in self.url_sources}
        if wanted:
            for url, source_id in Source.objects.filter(url__in=list(wanted)).values_list(
                "url", "id"
            ):
                self.url_sources[url] = source_id
            new = [
                Source(
                    title=shorten(f"{self.dataset.name}: {record.title}", 300),
                    publisher=self.dataset.name[:200],
                    url=url[:500],
                    source_type=Source.Type.OTHER,
                    accessed_at=self.now,
                )
                for url, record in wanted.items()
                if url not in self.url_sources and len(url) <= 500
            ]
            bulk_create_with_history(new, Source, **self.history)
            for source in new:
                self.url_sources[source.url] = source.pk
        return self.url_sources

    # --- entries -----------------------------------------------------------------------

    def _moment(self, day: datetime.date, precision: str) -> datetime.datetime:
        try:
            return self.moments[(day, precision)]
        except KeyError:
            moment = self.moments[(day, precision)] = start_of_period(day, precision)
            return moment

    def _values(self, record: EventRecord) -> dict:
        occurred_at = record.occurred_at or self._moment(record.occurred_on, record.precision)
        ended_at = self._moment(record.ended_on, "day") if record.ended_on else None
        if ended_at is not None and ended_at < occurred_at:
            ended_at = None
        return {
            "title": record.title,
            "summary": record.summary,
            "track": record.track,
            "kind": record.kind,
            "occurred_at": occurred_at,
            "precision": record.precision,
            "ended_at": ended_at,
            "coordinate_precision": record.coordinate_precision,
            "raw_row": record.raw,
        }

    def _key(self, name: str) -> str:
        """name_key(name), remembered: a file names the same places and actors again and
        again."""
        try:
            return self.keys[name]
        except KeyError:
            key = self.keys[name] = name_key(name)
            return key

    def _actor_links(self, record: EventRecord) -> set[tuple[int, str]]:
        key, ids = self._key, self.actor_ids
        return {(ids[key(actor.name)], actor.role) for actor in record.actors}

    def _figures(self, record: EventRecord, entry_id: int, scope_id: int | None) -> list[NewFigure]:
        if scope_id is None:
            if record.figures:
                self.warn(
                    record.line,
                    record.external_id,
                    "",
                    "no place to count the figures in; the figures are left out",
                )
            return []
        return [
            NewFigure(
                entry_id,
                figure.metric,
                scope_id,
                self._breakdown(record, figure),
                figure.low,
                figure.best,
                figure.high,
                "" if figure.breakdown else figure.note[:300],
            )
            for figure in record.figures
        ]

    def _insert_figures(self, figures: list[NewFigure]) -> None:
        """New figures with their historical rows ("+", the run as the reason)."""
        for figure, pk in zip(figures, reserve_ids(Figure, len(figures)), strict=True):
            values = (pk, *figure)
            self.figures.add(values)
            self.figure_history.add(values)
        self.figures.write()
        self.figure_history.write()
        self.result.figures_created += len(figures)

    @staticmethod
    def _breakdown(record: EventRecord, figure: FigureRecord) -> str:
        """ "side A: Government of Ukraine", "civilians", "unknown"; "" for the total."""
        label = BREAKDOWN_LABELS.get(figure.breakdown)
        if label is None:
            return figure.breakdown
        side = (record.raw.get(figure.breakdown) or "").strip()
        return shorten(f"{label}: {side}" if side else label, 100)

    def _create(self, records, places, actors, url_sources):
        if not records:
            return
        slugs = self.entry_slugs.assign(
            [f"{record.title[:80]} {record.external_id}" for record in records], "event"
        )
        ids = reserve_ids(Entry, len(records))
        moment, as_json = self.db.moment, self.db.json
        place_links, source_links, actor_links, figures = [], [], [], []
        source_id = self.source.pk
        for record, slug, pk, place_id in zip(records, slugs, ids, places, strict=True):
            occurred_at = record.occurred_at or self._moment(record.occurred_on, record.precision)
            ended_at = self._moment(record.ended_on, "day") if record.ended_on else None
            if ended_at is not None and ended_at < occurred_at:
                ended_at = None
            values = (
                pk,
                record.title,
                slug,
                record.summary,
                record.track,
                record.kind,
                moment(occurred_at),
                record.precision,
                moment(ended_at),
                record.coordinate_precision,
                record.external_id,
                as_json(record.raw),
            )
            self.entries.add(values)
            self.entry_history.add(values[:-1])
            if place_id is not None:
                place_links.append((pk, place_id))
            source_links.append((pk, source_id))
            url_source = url_sources.get(record.source_url) if record.source_url else None
            if url_source is not None and url_source != source_id:
                source_links.append((pk, url_source))
            actor_links.extend((pk, actor_id, role) for actor_id, role in self._actor_links(record))
            figures.extend(self._figures(record, pk, place_id))
        self.entries.write()
        self.entry_history.write()
        insert_rows(Entry.places.through, ("entry_id", "place_id"), place_links)
        insert_rows(Entry.sources.through, ("entry_id", "source_id"), source_links)
        insert_rows(EntryActor, ("entry_id", "actor_id", "role"), actor_links)
        self._insert_figures(figures)
        self.search_index.add(ids)
        self.stale_days.add(ids)
        self.result.created += len(records)

    def _update(self, records, existing, places, actors, url_sources):
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
        self.search_index.add(entry.pk for entry in changed_entries)
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
