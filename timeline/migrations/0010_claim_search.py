"""The claims API's `search` on an index: an FTS5 trigram table on SQLite, pg_trgm indexes on
PostgreSQL, each created only where the engine can (timeline/claim_search.py)."""

from django.db import migrations


def install(apps, schema_editor):
    from timeline.claim_search import install

    install(schema_editor)


def uninstall(apps, schema_editor):
    from timeline.claim_search import uninstall

    uninstall(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("timeline", "0009_filter_day_counts"),
    ]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]
