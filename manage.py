#!/usr/bin/env python
import os
import sys
from pathlib import Path

LOCAL_ENV_FILE = Path(__file__).resolve().parent / ".env"


def read_local_env(path=LOCAL_ENV_FILE):
    """KEY=VALUE lines from the checkout's .env (written by `make install`, never committed),
    for variables the environment does not set: `manage.py` on a developer's machine runs in
    development mode as `make run` does, and a server without the file is unaffected."""
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        os.environ.setdefault(key.strip(), value.strip().strip("\"'"))


def main():
    read_local_env()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
