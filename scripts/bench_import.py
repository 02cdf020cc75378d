"""`make bench-import`: time `manage.py import_events` on a synthetic ACLED export.

Writes N rows (BENCH_IMPORT_ROWS, default 200,000) shaped like ACLED's Ukraine export (every
event type, so some rows are skipped; 25 regions, their districts and towns; a dozen
actors), then in the same run:

1. the baseline: the same file loaded into one bare table, by the `sqlite3` shell's `.import`
   when it is installed, else by Python's sqlite3 module (executemany in one transaction);
2. `manage.py migrate` and `manage.py import_events --format acled` on an empty database:
   a fresh SQLite file, or DATABASE_URL when it is set (PostgreSQL);

and prints both times, their ratio and the import's peak memory (the child process's
maximum resident set size). Targets (issue 8): within 15x of the baseline, under 400 MB.
"""

import csv
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from timeline.importing.formats import AcledFormat  # noqa: E402

COLUMNS = list(AcledFormat.columns)
REGIONS = [
    "Cherkasy",
    "Chernihiv",
    "Chernivtsi",
    "Dnipropetrovsk",
    "Donetsk",
    "Ivano-Frankivsk",
    "Kharkiv",
    "Kherson",
    "Khmelnytskyi",
    "Kirovohrad",
    "Kyiv",
    "Kyiv_City",
    "Luhansk",
    "Lviv",
    "Mykolaiv",
    "Odesa",
    "Poltava",
    "Rivne",
    "Sumy",
    "Ternopil",
    "Vinnytsia",
    "Volyn",
    "Zakarpattia",
    "Zaporizhia",
    "Zhytomyr",
]
EVENTS = (
    # (weight, event type, sub-event type, inter1, actor1, actor2)
    (30, "Explosions/Remote violence", "Shelling/artillery/missile attack", 1, 0, 2),
    (22, "Explosions/Remote violence", "Air/drone strike", 1, 0, 2),
    (3, "Explosions/Remote violence", "Remote explosive/landmine/IED", 3, 4, 2),
    (14, "Battles", "Armed clash", 1, 0, 1),
    (2, "Battles", "Government regains territory", 1, 1, 0),
    (4, "Violence against civilians", "Attack", 1, 0, 2),
    (12, "Protests", "Peaceful protest", 6, 5, -1),
    (2, "Riots", "Mob violence", 5, 6, -1),
    (8, "Strategic developments", "Disrupted weapons use", 1, 1, 0),
    (2, "Strategic developments", "Agreement", 1, 3, 7),
    (1, "Strategic developments", "Other", 1, 3, -1),
)
ACTORS = (
    "Military Forces of Russia (2000-)",
    "Military Forces of Ukraine (2019-)",
    "Civilians (Ukraine)",
    "Government of Ukraine (2019-)",
    "Unidentified Armed Group (Ukraine)",
    "Protesters (Ukraine)",
    "Rioters (Ukraine)",
    "Government of Russia (2000-)",
)
INTER = {1: "State forces", 3: "Political militia", 5: "Rioters", 6: "Protesters", 7: "Civilians"}
OUTLETS = ("Suspilne", "Ukrainska Pravda", "Kyiv Independent", "Ministry of Defence of Ukraine")


def write_acled(path: Path, rows: int) -> None:
    rng = random.Random(8)
    weights = [event[0] for event in EVENTS]
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(COLUMNS)
        for number in range(1, rows + 1):
            _, event_type, sub_type, inter, first, second = rng.choices(EVENTS, weights)[0]
            region = rng.choice(REGIONS).replace("_", " ")
            district = f"{region} district {rng.randrange(8)}"
            town = f"{region} town {rng.randrange(40)}"
            year, month, day = rng.randrange(2022, 2026), rng.randrange(1, 13), rng.randrange(1, 29)
            actor2 = ACTORS[second] if second >= 0 else ""
            notes = (
                f"On {day} {month}/{year}, {ACTORS[first]} carried out a {sub_type.lower()} "
                f"near {town} in {region} oblast. Local authorities reported damage to "
                f"residential buildings and infrastructure. Event number {number}."
            )
            writer.writerow(
                [
                    f"UKR{number}",
                    f"{year}-{month:02d}-{day:02d}",
                    year,
                    rng.choice((1, 1, 1, 2, 3)),
                    "Political violence",
                    event_type,
                    sub_type,
                    ACTORS[first],
                    "",
                    INTER.get(inter, ""),
                    actor2,
                    "",
                    "Civilians" if second == 2 else ("State forces" if actor2 else ""),
                    "",
                    "",
                    804,
                    "Europe",
                    "Ukraine",
                    region,
                    district,
                    "",
                    town,
                    f"{44 + rng.random() * 8:.4f}",
                    f"{22 + rng.random() * 18:.4f}",
                    rng.choice((1, 1, 2, 3)),
                    "; ".join(rng.sample(OUTLETS, 2)),
                    "National",
                    notes,
                    rng.choice((0, 0, 0, 1, 2, 3, 5)),
                    "",
                    1764288000 + number,
                ]
            )


def baseline(csv_path: Path, workdir: Path) -> tuple[float, str]:
    database = workdir / "baseline.sqlite3"
    cli = shutil.which("sqlite3")
    started = time.perf_counter()
    if cli:
        subprocess.run(  # noqa: S603 (the sqlite3 shell found on PATH, our own file)
            [cli, str(database)],
            input=f".mode csv\n.import '{csv_path}' events\n",
            text=True,
            check=True,
        )
        return time.perf_counter() - started, "sqlite3 .import (the sqlite3 shell)"
    with csv_path.open(newline="", encoding="utf-8") as file:
        reader = csv.reader(file)
        header = next(reader)
        connection = sqlite3.connect(database)
        columns = ", ".join(f'"{name}"' for name in header)
        connection.execute(f"CREATE TABLE events ({columns})")
        with connection:
            marks = ", ".join("?" * len(header))
            connection.executemany(f"INSERT INTO events VALUES ({marks})", reader)  # noqa: S608
        connection.close()
    return time.perf_counter() - started, "Python sqlite3 executemany (no sqlite3 shell found)"


def manage(*args, env) -> None:
    command = [sys.executable, str(ROOT / "manage.py"), *args]
    subprocess.run(command, env=env, check=True)  # noqa: S603 (our manage.py)


def main() -> None:
    rows = int(os.environ.get("BENCH_IMPORT_ROWS", "200000"))
    with tempfile.TemporaryDirectory(prefix="parallax-bench-import-") as tmp:
        workdir = Path(tmp)
        csv_path = workdir / "acled-synthetic.csv"
        write_acled(csv_path, rows)
        size = csv_path.stat().st_size / 1e6
        print(f"Wrote {rows:,} synthetic ACLED rows ({size:.0f} MB).", flush=True)

        base_seconds, base_how = baseline(csv_path, workdir)
        print(f"Baseline, {base_how}: {base_seconds:.1f} s", flush=True)

        env = dict(os.environ, DEBUG="0", SECRET_KEY="bench-import")  # noqa: S106 (throwaway)
        env.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}")
        engine = "PostgreSQL" if env["DATABASE_URL"].startswith("postgres") else "SQLite"
        manage("migrate", "--noinput", "-v0", env=env)
        started = time.perf_counter()
        manage("import_events", str(csv_path), "--format", "acled", env=env)
        seconds = time.perf_counter() - started
        # Linux reports kilobytes: the largest child so far, which is the import.
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

        print()
        print(f"Rows:                    {rows:,}")
        print(f"import_events ({engine}): {seconds:.1f} s ({rows / seconds:,.0f} rows/s)")
        print(f"Baseline ({base_how}): {base_seconds:.1f} s")
        print(f"Ratio:                   {seconds / base_seconds:.1f}x (target: within 15x)")
        print(f"Peak memory:             {peak_mb:.0f} MB (target: under 400 MB)")


if __name__ == "__main__":
    main()
