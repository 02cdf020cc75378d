"""`manage.py restore FILE`: put a backup made by `manage.py backup` back, whole.

Everything written since the backup is replaced. Stop the site (or accept that requests
during the restore may fail) before restoring.
"""

import sqlite3
import subprocess
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from timeline.backups import pg_environment


class Command(BaseCommand):
    help = "Replace the database with a backup made by `manage.py backup`."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        source = Path(file)
        if not source.is_file():
            raise CommandError(f"No backup at {source}.")
        if connection.vendor == "sqlite":
            if source.suffix != ".sqlite3":
                raise CommandError("A SQLite database restores from a .sqlite3 backup.")
            connection.ensure_connection()
            with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as backup:
                backup.backup(connection.connection)
            backup.close()
        elif connection.vendor == "postgresql":
            if source.suffix != ".dump":
                raise CommandError("PostgreSQL restores from a .dump backup (pg_dump).")
            connection.close()
            command = [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--dbname",
                pg_environment()["PGDATABASE"],
                str(source),
            ]
            result = subprocess.run(  # noqa: S603 (fixed arguments, no shell)
                command, env=pg_environment(), capture_output=True, text=True, check=False
            )
            if result.returncode:
                raise CommandError(f"pg_restore failed: {result.stderr.strip()}")
        else:
            raise CommandError(f"No restore for the {connection.vendor} engine.")
        self.stdout.write(f"Restored {source}.")
