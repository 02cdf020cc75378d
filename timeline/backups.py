"""What the backup and restore commands share."""

import os

from django.db import connection


def pg_environment():
    """libpq's variables for pg_dump / pg_restore, from the database settings."""
    database = connection.settings_dict
    values = {
        "PGDATABASE": database["NAME"],
        "PGHOST": database.get("HOST") or "",
        "PGPORT": str(database.get("PORT") or ""),
        "PGUSER": database.get("USER") or "",
        "PGPASSWORD": database.get("PASSWORD") or "",
    }
    return {**os.environ, **{name: value for name, value in values.items() if value}}
