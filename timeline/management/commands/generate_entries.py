import time

from django.core.management.base import BaseCommand, CommandError

from timeline.generate import generate_entries
from timeline.pagecache import data_version_bump
from timeline.rollup import refresh_stale_days, rollup_tables_vacuum
from timeline.services import database_statistics_refresh


class Command(BaseCommand):
    help = (
        "Add N synthetic entries (with places, actors, claims, figures and sources) beside "
        "whatever the database holds: for benchmarks and for trying Parallax at size. "
        "The same --seed gives the same data."
    )

    def add_arguments(self, parser):
        parser.add_argument("count", type=int, help="How many entries to add.")
        parser.add_argument("--seed", type=int, default=0, help="Random seed (default 0).")

    def handle(self, *args, count, seed, **options):
        if count < 1:
            raise CommandError("Give a number of entries of at least 1.")
        started = time.monotonic()

        def progress(done):
            if options["verbosity"] and (done == count or done % 100_000 == 0):
                self.stdout.write(
                    f"{done:,} of {count:,} entries ({time.monotonic() - started:.0f} s)"
                )

        written = generate_entries(count, seed=seed, progress=progress)
        database_statistics_refresh()
        refresh_stale_days()  # the pulse charts' roll-ups, so that no reader waits for them
        rollup_tables_vacuum()
        data_version_bump()
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"Added {written:,} entries in {elapsed:.1f} s."))
