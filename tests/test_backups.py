"""Backups that restore: back up, change, restore, and find everything as it was (issue 10)."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
POSTGRES = "postgres://postgres@127.0.0.1:5432/"

# Every entry, claim and figure revision, and every history row, as dumpdata shows them.
SNAPSHOT = ["timeline", "--natural-foreign", "--indent", "0", "--database", "default"]


def manage(database_url, *args):
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DEBUG": "1",
        "DATABASE_URL": database_url,
        "PARALLAX_EDITOR_PASSWORD": "a long and unusual passphrase",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


CHANGE = """
from timeline.models import Entry, Figure
from timeline import services
from django.contrib.auth.models import User
user = User.objects.get(username="olena")
figure = Figure.objects.order_by("-pk").first()
services.figure_record_revision(previous=figure, user=user, reason="revised", best=figure.best + 1)
entry = Entry.objects.order_by("pk").first()
entry.title = f"Changed at {Entry.history.count()}"
entry.save()
Entry.objects.order_by("pk").last().delete()
"""


def back_up_change_restore(database_url, tmp_path):
    manage(database_url, "migrate", "--noinput", "-v", "0")
    manage(database_url, "seed_if_empty")
    manage(database_url, "create_editor", "olena")
    manage(database_url, "shell", "-c", CHANGE)  # history rows and a figure revision to keep
    before = manage(database_url, "dumpdata", *SNAPSHOT)
    assert '"model": "timeline.historicalfigure"' in before

    backup = Path(manage(database_url, "backup", "--dir", str(tmp_path)).strip())
    assert backup.parent == tmp_path and backup.name.startswith("parallax-")
    manage(database_url, "shell", "-c", CHANGE)
    changed = manage(database_url, "dumpdata", *SNAPSHOT)
    assert changed != before

    manage(database_url, "restore", str(backup))
    assert manage(database_url, "dumpdata", *SNAPSHOT) == before


def test_a_sqlite_backup_restores_every_row_as_it_was(tmp_path):
    back_up_change_restore(f"sqlite:///{tmp_path / 'live.sqlite3'}", tmp_path)


def postgres_available():
    try:
        import psycopg

        psycopg.connect(POSTGRES + "postgres", connect_timeout=2).close()
    except Exception:  # noqa: BLE001 (any failure means: no PostgreSQL here)
        return False
    return True


@pytest.mark.skipif(not postgres_available(), reason="no PostgreSQL on 127.0.0.1:5432")
def test_a_postgresql_backup_restores_every_row_as_it_was(tmp_path):
    import psycopg

    name = f"parallax_backup_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES + "postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        back_up_change_restore(POSTGRES + name, tmp_path)
    finally:
        with psycopg.connect(POSTGRES + "postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
