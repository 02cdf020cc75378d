"""The search index's trigger function on PostgreSQL skips its work while the transaction
has set `parallax.search_index_deferred` (timeline.search.search_index_deferred), so a bulk
import can re-index its entries in one statement instead of one per row. SQLite needs no
change: the import drops and re-creates its triggers inside its own transaction.
"""

from django.db import migrations


def deferrable(apps, schema_editor):
    from timeline.search import postgresql_trigger_function

    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(postgresql_trigger_function(deferrable=True), params=None)


def not_deferrable(apps, schema_editor):
    from timeline.search import postgresql_trigger_function

    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(postgresql_trigger_function(deferrable=False), params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("timeline", "0006_row_versions"),
    ]

    operations = [migrations.RunPython(deferrable, not_deferrable, elidable=False)]
