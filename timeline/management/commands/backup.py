"""`manage.py backup`: a consistent copy of the database, taken while the site runs.

SQLite: the online backup API (readers and writers carry on; the copy is one moment).
PostgreSQL: pg_dump in its custom format, restored with `manage.py restore`.
"""

import sqlite3
import subprocess
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from timeline.backups import pg_environment


class Command(BaseCommand):
    help = "Copy the database to backups/parallax-<timestamp>.<sqlite3|dump>."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dir", default=str(Path(settings.BASE_DIR) / "backups"), help="Where to write."
        )

    def handle(self, *args, **options):
        folder = Path(options["dir"])
        folder.mkdir(parents=True, exist_ok=True)
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        if connection.vendor == "sqlite":
            target = folder / f"parallax-{stamp}.sqlite3"
            connection.ensure_connection()
            with sqlite3.connect(target) as copy:
                connection.connection.backup(copy)
            copy.close()
        elif connection.vendor == "postgresql":
            target = folder / f"parallax-{stamp}.dump"
            command = ["pg_dump", "--format=custom", "--no-owner", "--file", str(target)]
            result = subprocess.run(  # noqa: S603 (fixed arguments, no shell)
                command, env=pg_environment(), capture_output=True, text=True, check=False
            )
            if result.returncode:
                raise CommandError(f"pg_dump failed: {result.stderr.strip()}")
        else:
            raise CommandError(f"No backup for the {connection.vendor} engine.")
        self.stdout.write(str(target))
