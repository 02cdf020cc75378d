"""make load: gunicorn on 127.0.0.1, locust headless for LOAD_SECONDS, then every write checked.

50 readers (pages, search, API) and 3 editors writing through the API, on a fresh copy of
the seed story: SQLite in a temporary file, or the PostgreSQL server DATABASE_URL names (a
database `parallax_load` is made on it and dropped after). Fails on any 5xx, any failed
request, or any write lost or half-written; prints requests/s, p50/p95/p99 per surface and
the error count.
"""

import csv
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SECONDS = int(os.environ.get("LOAD_SECONDS", "60"))
READERS, EDITORS = 50, 3


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(work):
    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith("postgres"):
        return f"sqlite:///{work / 'load.sqlite3'}", None
    base = server.rsplit("/", 1)[0]
    for sql in ("DROP DATABASE IF EXISTS parallax_load", "CREATE DATABASE parallax_load"):
        subprocess.run(["psql", f"{base}/postgres", "-qc", sql], check=True)
    return f"{base}/parallax_load", base


def manage(env, *args):
    return subprocess.run(
        [BIN / "python", "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


SETUP = """
from django.contrib.auth.models import Group, User
from rest_framework.authtoken.models import Token
editors = Group.objects.get(name="Editors")
tokens = []
for n in range(3):
    user = User.objects.create_user(f"load-editor-{n}", is_staff=True)
    user.groups.add(editors)
    tokens.append(Token.objects.create(user=user).key)
publisher = User.objects.create_user("load-publisher", is_staff=True)
publisher.groups.add(editors, Group.objects.get(name="Publishers"))
print(",".join(tokens) + " " + Token.objects.create(user=publisher).key)
"""

VERIFY = """
import json, os
from timeline.models import Entry
lost = []
count = 0
for line in open(os.environ["LOAD_LEDGER"]):
    wanted = json.loads(line)
    count += 1
    entry = Entry.objects.filter(slug=wanted["slug"]).first()
    if entry is None:
        lost.append(f"{wanted['slug']}: entry missing")
        continue
    claims = set(entry.claims.values_list("pk", flat=True))
    figures = set(entry.figures.values_list("pk", flat=True))
    if not set(wanted["claims"]) <= claims:
        lost.append(f"{wanted['slug']}: claims {wanted['claims']} not all there ({claims})")
    if set(wanted["figures"]) != figures:
        lost.append(f"{wanted['slug']}: figures {wanted['figures']} != {figures}")
    if wanted["published"] and entry.status != "published":
        lost.append(f"{wanted['slug']}: not published")
print(json.dumps({"checked": count, "lost": lost}))
"""


def percentile_table(stats_csv):
    with open(stats_csv) as stats:
        rows = list(csv.DictReader(stats))
    table = []
    for row in rows:
        table.append(
            {
                "surface": row["Name"] if row["Name"] != "Aggregated" else "all",
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "rps": float(row["Requests/s"]),
                "p50": row["50%"],
                "p95": row["95%"],
                "p99": row["99%"],
            }
        )
    return table


def main():
    work = Path(tempfile.mkdtemp(prefix="parallax-load-"))
    url, pg_base = database_url(work)
    engine = "PostgreSQL" if pg_base else "SQLite"
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "0",
        "SECRET_KEY": "load-test-only-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        # Every reader comes from 127.0.0.1: one anonymous bucket, so raise it for the run.
        "API_ANON_THROTTLE_RATE": os.environ.get("API_ANON_THROTTLE_RATE", "1000000/minute"),
    }
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "seed_if_empty")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    editor_tokens, publisher_token = manage(env, "shell", "-c", SETUP).split()[-2:]
    workers = os.environ.get("LOAD_WORKERS", "3")
    log = open(work / "gunicorn.log", "w")  # noqa: SIM115 (open while gunicorn runs)
    server = subprocess.Popen(
        [
            BIN / "gunicorn",
            "config.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            workers,
            "--threads",
            "2",
            # Longer than a reader's pause: a connection closed as a request is sent on it
            # is reset, which the client would count as an error of ours.
            "--keep-alive",
            "30",
            "--access-logfile",
            "/dev/null",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stderr=log,
    )
    try:
        for _ in range(60):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        ledger, errors = work / "ledger.jsonl", work / "server-errors.txt"
        ledger.touch()
        locust_env = {
            **env,
            "LOAD_EDITOR_TOKENS": editor_tokens,
            "LOAD_PUBLISHER_TOKEN": publisher_token,
            "LOAD_LEDGER": str(ledger),
            "LOAD_SERVER_ERRORS": str(errors),
        }
        subprocess.run(
            [
                BIN / "locust",
                "-f",
                str(ROOT / "scripts" / "locustfile.py"),
                "--headless",
                "-u",
                str(READERS + EDITORS),
                "-r",
                "25",
                "-t",
                f"{SECONDS}s",
                "--host",
                f"http://127.0.0.1:{port}",
                "--csv",
                str(work / "load"),
                "--only-summary",
                "--loglevel",
                "WARNING",
                "--stop-timeout",
                "10",
            ],
            cwd=ROOT,
            env=locust_env,
            check=False,
            timeout=SECONDS + 120,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    checked = manage({**env, "LOAD_LEDGER": str(ledger)}, "shell", "-c", VERIFY)
    verify = json.loads(checked.strip().splitlines()[-1])
    table = percentile_table(work / "load_stats.csv")
    five_hundreds = [line for line in errors.read_text().splitlines() if line]
    failures = sum(row["failures"] for row in table if row["surface"] != "all")

    print(
        f"\n## {engine}, {READERS} readers + {EDITORS} editors, {SECONDS} s, "
        f"gunicorn {workers} workers x 2 threads\n"
    )
    print("| surface | requests | req/s | p50 ms | p95 ms | p99 ms | failures |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for row in table:
        print(
            f"| {row['surface']} | {row['requests']} | {row['rps']:.1f} | {row['p50']} | "
            f"{row['p95']} | {row['p99']} | {row['failures']} |"
        )
    print(
        f"\n5xx: {len(five_hundreds)}; failed requests: {failures}; stories written: "
        f"{verify['checked']}; lost or half-written: {len(verify['lost'])}"
    )
    for line in five_hundreds[:10] + verify["lost"][:10]:
        print("  ", line)
    if pg_base:
        subprocess.run(
            ["psql", f"{pg_base}/postgres", "-qc", "DROP DATABASE IF EXISTS parallax_load"],
            check=False,
        )
    ok = not five_hundreds and not failures and not verify["lost"] and verify["checked"] > 0
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
