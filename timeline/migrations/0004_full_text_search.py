"""Full-text search on an index: FTS5 on SQLite, a tsvector with a GIN index on PostgreSQL.

Created only on those engines (the vendor is checked when the migration runs); the
statements and the triggers that keep the index in step live in timeline/search.py.
"""

from django.db import migrations


def install(apps, schema_editor):
    from timeline.search import install

    install(schema_editor)


def uninstall(apps, schema_editor):
    from timeline.search import uninstall

    uninstall(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("timeline", "0003_datasets_sides_place_paths_corrections"),
    ]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]
