"""The README's commands work as written on a fresh checkout after `make install`."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def shell_block_after(heading):
    text = README.read_text(encoding="utf-8")
    section = text.split(heading, 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip()]


@pytest.fixture
def fresh_checkout_environment(tmp_path):
    """The environment of a newcomer's shell: no DEBUG, no SECRET_KEY, a new database."""
    subprocess.run(["make", "-s", ".env"], cwd=ROOT, check=True, timeout=60)
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE", "DATABASE_URL")
    }
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    env["PARALLAX_EDITOR_PASSWORD"] = "a long and unusual passphrase"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return env


def test_the_first_steps_as_an_editor_run_as_written(fresh_checkout_environment):
    commands = shell_block_after("## First steps as an editor")
    assert commands, "the README lost its first steps"
    for command in commands:
        program, *arguments = command.split()
        assert program == ".venv/bin/python"
        result = subprocess.run(
            [sys.executable, *arguments],
            cwd=ROOT,
            env=fresh_checkout_environment,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=120,
        )
        assert result.returncode == 0, (command, result.stderr)
