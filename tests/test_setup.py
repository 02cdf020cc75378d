"""The set-up a newcomer relies on: settings, migrations, groups and the editor command."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.http import HttpRequest

ROOT = Path(__file__).resolve().parent.parent


def run_django_check(**environment):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    env.update(environment)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_start_up_without_secret_key_fails_clearly_when_debug_is_off():
    result = run_django_check(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_development_runs_without_a_secret_key_when_debug_is_on():
    result = run_django_check(DEBUG="1")
    assert result.returncode == 0, result.stderr


def test_a_misspelt_boolean_setting_is_refused():
    result = run_django_check(DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_sqlite_database_file_runs_in_wal_mode_with_a_busy_timeout(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL")}
    env.update(
        DEBUG="1",
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=f"sqlite:///{tmp_path / 'parallax.sqlite3'}",
    )
    script = (
        "from django.db import connection\n"
        "c = connection.cursor()\n"
        "print(c.execute('PRAGMA journal_mode').fetchone()[0],"
        " c.execute('PRAGMA busy_timeout').fetchone()[0])"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    journal_mode, busy_timeout = result.stdout.split()[-2:]
    assert journal_mode == "wal"
    assert int(busy_timeout) >= 5000


@pytest.mark.django_db
def test_migrations_create_the_editor_and_publisher_groups():
    editors = set(Group.objects.get(name="Editors").permissions.values_list("codename", flat=True))
    publishers = set(
        Group.objects.get(name="Publishers").permissions.values_list("codename", flat=True)
    )
    assert {"add_entry", "change_entry", "add_claim", "add_figure"} <= editors
    assert "publish_entry" not in editors
    assert "delete_entry" not in editors
    assert {"publish_entry", "delete_entry"} <= publishers


@pytest.mark.django_db
def test_no_model_changes_are_missing_a_migration():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_migrations_unapply_and_reapply_cleanly():
    call_command("migrate", "timeline", "zero", verbosity=0)
    assert not Group.objects.filter(name__in=["Editors", "Publishers"]).exists()
    call_command("migrate", verbosity=0)
    assert Group.objects.filter(name__in=["Editors", "Publishers"]).count() == 2


@pytest.mark.django_db
def test_create_editor_makes_a_staff_editor_who_can_sign_in(monkeypatch, client):
    monkeypatch.setenv("PARALLAX_EDITOR_PASSWORD", "a long and unusual passphrase")
    call_command("create_editor", "olena", "--email", "olena@example.org")

    user = get_user_model().objects.get(username="olena")
    assert user.is_staff and not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == ["Editors"]
    assert not user.has_perm("timeline.publish_entry")
    # django-axes counts sign-ins per request: the test client's login() passes one.
    assert client.login(
        request=HttpRequest(), username="olena", password="a long and unusual passphrase"
    )
    assert client.get("/admin/timeline/entry/add/").status_code == 200


@pytest.mark.django_db
def test_create_editor_with_publisher_flag_may_publish(monkeypatch):
    monkeypatch.setenv("PARALLAX_EDITOR_PASSWORD", "a long and unusual passphrase")
    call_command("create_editor", "taras", "--publisher")
    assert get_user_model().objects.get(username="taras").has_perm("timeline.publish_entry")


@pytest.mark.django_db
def test_create_editor_refuses_a_weak_password_and_creates_nobody(monkeypatch):
    monkeypatch.setenv("PARALLAX_EDITOR_PASSWORD", "password")
    with pytest.raises(CommandError, match="too common"):
        call_command("create_editor", "weak")
    assert not get_user_model().objects.filter(username="weak").exists()


@pytest.mark.django_db
def test_create_editor_without_a_terminal_or_password_explains_what_to_do(monkeypatch):
    monkeypatch.delenv("PARALLAX_EDITOR_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="PARALLAX_EDITOR_PASSWORD"):
        call_command("create_editor", "nopass")


@pytest.mark.django_db
def test_create_editor_refuses_an_existing_name(monkeypatch, editor):
    monkeypatch.setenv("PARALLAX_EDITOR_PASSWORD", "a long and unusual passphrase")
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_editor", "editor")
