"""manage.py import_events: ACLED, UCDP GED or a column-mapped CSV, applied whole or not at all.

The work is `timeline.importing.writer.events_import`; this command reads the options,
shows progress on stderr (a bar on a terminal, a line per tenth otherwise) and prints the
summary. Exit status 0 when the file was applied (or dry-run); CommandError, with one
sentence, when it could not be.
"""

import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from timeline.importing import EventFile, ImportFileError, event_format
from timeline.importing.writer import events_import
from timeline.models import Entry
from timeline.rollup import refresh_stale_days, rollup_tables_vacuum
from timeline.services import database_statistics_refresh

NAMES_SHOWN = 20


def duration(seconds):
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class Progress:
    """A bar redrawn in place on a terminal; a plain line per ~10% anywhere else."""

    WIDTH = 30

    def __init__(self, stream, *, tty):
        self.stream = stream
        self.tty = tty
        self.started = time.monotonic()
        self.next_tenth = 1

    def __call__(self, done, total):
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = done / elapsed
        fraction = min(done / total, 1.0) if total else 1.0
        left = (total - done) / rate if total and rate else 0
        if self.tty:
            filled = int(self.WIDTH * fraction)
            bar = "#" * filled + "." * (self.WIDTH - filled)
            self.stream.write(
                f"\r[{bar}] {fraction:4.0%} {done:,}/{total or done:,} rows, "
                f"{rate:,.0f} rows/s, {duration(left)} left ",
                ending="",
            )
            if fraction >= 1:
                self.stream.write("")
            self.stream.flush()
        elif fraction * 10 >= self.next_tenth:
            self.next_tenth = int(fraction * 10) + 1
            self.stream.write(
                f"{fraction:.0%}: {done:,} of {total or done:,} rows read, "
                f"{rate:,.0f} rows/s, {duration(left)} left"
            )


class Command(BaseCommand):
    help = (
        "Import conflict events from ACLED, UCDP GED or a CSV described by a TOML mapping. "
        "The file is applied whole or not at all; importing it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The CSV file (plain or .csv.gz).")
        parser.add_argument("--format", required=True, choices=("acled", "ucdp", "csv"))
        parser.add_argument("--mapping", help="The TOML column mapping (with --format csv).")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Do everything, report, then roll back: nothing is written but the run's record.",
        )
        parser.add_argument(
            "--status",
            choices=(Entry.Status.PUBLISHED, Entry.Status.REVIEW),
            default=Entry.Status.PUBLISHED,
            help="The status of entries the import creates (default: published, since a "
            "dataset is a curated source; review to vet them first).",
        )
        parser.add_argument(
            "--withdrawn",
            metavar="FILE",
            help="A CSV of external ids the dataset withdrew (ACLED's deleted events): their "
            "entries are unpublished with the reason, never deleted.",
        )
        parser.add_argument("--user", help="The account the history records as the importer.")

    def handle(self, *args, **options):
        user = None
        if options["user"]:
            User = get_user_model()
            try:
                user = User.objects.get(**{User.USERNAME_FIELD: options["user"]})
            except User.DoesNotExist:
                raise CommandError(f"There is no user called {options['user']}.") from None
        try:
            events = EventFile(options["path"], event_format(options["format"], options["mapping"]))
            if options["withdrawn"]:
                # Checked before the import starts, so a bad path cannot undo a long run.
                with open(options["withdrawn"], "rb"):
                    pass
        except ImportFileError as error:
            raise CommandError(str(error)) from None
        except OSError as error:
            raise CommandError(
                f"Cannot read the withdrawn list {options['withdrawn']}: "
                f"{(error.strerror or str(error)).lower()}."
            ) from None

        progress = Progress(self.stderr, tty=self.stderr.isatty())
        started = time.monotonic()
        try:
            result = events_import(
                events=events,
                status=options["status"],
                dry_run=options["dry_run"],
                withdrawn=options["withdrawn"],
                user=user,
                progress=progress,
            )
        except ImportFileError as error:
            raise CommandError(f"{error} Nothing was imported.") from None
        if not options["dry_run"]:
            database_statistics_refresh()  # plans for the new data shape at once
            refresh_stale_days()  # the pulse charts' roll-ups, so that no reader waits for them
            rollup_tables_vacuum()
        self.summarise(result, dry_run=options["dry_run"], seconds=time.monotonic() - started)

    def summarise(self, result, *, dry_run, seconds):
        write = self.stdout.write
        head = "Dry run, nothing written" if dry_run else "Imported"
        write(f"{head}: {result.file_name} into {result.run.dataset} (run {result.run.pk}).")
        if result.encoding == "cp1252":
            write("The file is not UTF-8; it was read as Windows-1252.")
        write(f"Rows read: {result.rows_read:,} in {duration(seconds)}")
        write(f"Entries created: {result.created:,}")
        write(f"Entries updated: {result.updated:,}")
        write(f"Entries unchanged: {result.unchanged:,}")
        write(f"Entries withdrawn: {result.withdrawn:,}")
        write(
            f"Figures recorded: {result.figures_created:,} "
            f"({result.figures_revised:,} revisions of earlier counts)"
        )
        write(f"Rows skipped: {sum(result.skipped.values()):,}")
        for reason, count in result.skipped.most_common():
            write(f"  {reason}: {count:,}")
        write(f"Rows rejected: {result.rejected:,}")
        write(f"Rows repeated (the last one kept): {result.duplicates:,}")
        write(f"Warnings: {result.warnings:,}")
        for label, names, count in (
            ("New places", result.new_places, result.new_place_count),
            ("New actors", result.new_actors, result.new_actor_count),
        ):
            write(f"{label}: {count:,}")
            if names:
                shown = ", ".join(names[:NAMES_SHOWN])
                more = f" and {count - NAMES_SHOWN:,} more" if count > NAMES_SHOWN else ""
                write(f"  {shown}{more} (merge strays in the admin)")
        if result.report_path:
            write(f"Report: {result.report_path}")
