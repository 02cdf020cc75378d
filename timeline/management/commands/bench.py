"""Time every public surface in-process: median time, queries and bytes per surface.

`manage.py bench --out bench-10000.json` measures the database DATABASE_URL points at
(filled by generate_entries) with the page cache off, so it times the queries and the
rendering; `manage.py bench --table a.json b.json` prints the Markdown table comparing two
sizes with the ratio of their median times. `make bench` does both.

`manage.py bench --load` starts gunicorn (2 workers) on 127.0.0.1 and measures requests
per second of a few surfaces against /healthz with a warm page cache, with `wrk` when it is
installed and Python threads otherwise, at most --seconds (20) per surface.
"""

import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time

from django.core.management.base import BaseCommand
from django.db import connection
from django.db.models import Count
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from timeline.generate import LATEST, RARE_WORD
from timeline.models import Actor, Claim, Entry, Place
from timeline.views import encode_cursor


def surfaces():
    published = Entry.objects.published()
    region = Place.objects.get(slug="gen-r1")
    # The busiest town and the busiest claimant: pages as full at 10,000 entries as at a
    # million, so that the ratio measures the size of the timeline, not how full a page is.
    busiest_town = (
        Entry.places.through.objects.filter(place__slug__startswith="gen-t")
        .values("place")
        .annotate(n=Count("id"))
        .order_by("-n", "place")[0]["place"]
    )
    town = Place.objects.get(pk=busiest_town)
    actor = Actor.objects.published().filter(slug__startswith="gen-").order_by("pk")[0]
    # A few speakers make many of the claims (generate.SPEAKERS).
    busiest = (
        Claim.objects.published()
        .values("claimant")
        .annotate(n=Count("id"))
        .order_by("-n", "claimant")[0]["claimant"]
    )
    claimant = Actor.objects.get(pk=busiest)
    entry = published.filter(slug__startswith="gen").order_by("pk")[published.count() // 2]
    oldest = list(published.order_by("occurred_at", "id")[:31])[-1]
    day = entry.occurred_at.date().isoformat()
    latest = timezone.localdate(LATEST)
    four_years_back = latest.replace(year=latest.year - 4)
    return {
        "/": "/",
        "/ pulse killed": "/?chart=killed",
        "/ months (4 years)": f"/?from={four_years_back.isoformat()}&to={latest.isoformat()}",
        "/map/": "/map/",
        "/map/ region": f"/map/?place={region.slug}",
        "api map points": "/api/v1/map/points/?bbox=20,43,42,53&zoom=6",
        "/ track": "/?track=military",
        "/ actor": f"/?actor={actor.slug}",
        "/ place (region)": f"/?place={region.slug}",
        "/ place (town)": f"/?place={town.slug}",
        "/ from/to": f"/?from={day}&to={day}",
        "/ assessment": "/?assessment=unverified",
        "/ q common": "/?q=strike",
        "/ q rare": f"/?q={RARE_WORD}",
        "/ deep page": f"/?cursor={encode_cursor(oldest)}",
        "entry page": entry.get_absolute_url(),
        "/claims/": "/claims/",
        "/claims/ claimant": f"/claims/?claimant={claimant.slug}",
        "/claims/ assessment": "/claims/?assessment=unverified",
        "actor page": actor.get_absolute_url(),
        "place page (region)": region.get_absolute_url(),
        "place page (town)": town.get_absolute_url(),
        "/feed/": "/feed/",
        "/sitemap.xml": "/sitemap.xml",
        "/sitemap-entries.xml": "/sitemap-entries.xml",
        "/suggest/place/": "/suggest/place/?q=kyi",
        "api entries": "/api/v1/entries/",
        "api entries search": "/api/v1/entries/?search=strike",
        "api entries region": f"/api/v1/entries/?place={region.slug}",
        "api claims": "/api/v1/claims/",
        "api claims search": "/api/v1/claims/?search=strike",
        "api claims search rare": f"/api/v1/claims/?search={RARE_WORD}",
        "api claims far end": "/api/v1/claims/?ordering=id",
        "api figures": "/api/v1/figures/",
        "api figures far end": "/api/v1/figures/?ordering=as_of",
        "api actors": "/api/v1/actors/",
        "api places": "/api/v1/places/",
        "api sources": "/api/v1/sources/",
        "export csv": "/api/v1/export/entries.csv?limit=1000",
        "export timelinejs": "/api/v1/export/timelinejs.json?limit=1000",
        "export geojson": "/api/v1/export/entries.geojson?limit=1000",
        "/healthz": "/healthz",
    }


class Command(BaseCommand):
    help = "Measure the public surfaces (median time, queries, bytes) or print the table."

    def add_arguments(self, parser):
        parser.add_argument("--out", help="Write the measurements to this JSON file.")
        parser.add_argument("--repeat", type=int, default=5)
        parser.add_argument("--table", nargs=2, metavar=("SMALL", "LARGE"))
        parser.add_argument("--load", action="store_true", help="Requests per second.")
        parser.add_argument("--seconds", type=int, default=10, help="Per surface, at most 20.")

    def handle(self, *args, out=None, repeat=5, table=None, load=False, **options):
        if table:
            self.print_table(*table)
            return
        if load:
            self.load(out, min(options["seconds"], 20))
            return
        with override_settings(PAGE_CACHE=False):
            self.measure(out, repeat)

    def measure(self, out, repeat):
        client = Client(HTTP_HOST="127.0.0.1")
        results = {"entries": Entry.objects.count(), "vendor": connection.vendor, "rows": {}}
        for name, url in surfaces().items():
            times, queries, size, status = [], 0, 0, 0
            for _ in range(repeat + 1):
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    response = client.get(url)
                    body = (
                        b"".join(response.streaming_content)
                        if response.streaming
                        else response.content
                    )
                    times.append(time.perf_counter() - started)
                response.close()
                queries, size, status = len(captured), len(body), response.status_code
            median = statistics.median(times[1:])  # the first request warms caches
            results["rows"][name] = {
                "url": url,
                "ms": round(median * 1000, 1),
                "queries": queries,
                "bytes": size,
                "status": status,
            }
            self.stdout.write(
                f"{name:24} {median * 1000:8.1f} ms {queries:3} q {size:9} B {status}"
            )
        if out:
            with open(out, "w") as handle:
                json.dump(results, handle, indent=1)

    def print_table(self, small_path, large_path):
        with open(small_path) as handle:
            small = json.load(handle)
        with open(large_path) as handle:
            large = json.load(handle)
        n, m = f"{small['entries']:,}", f"{large['entries']:,}"
        self.stdout.write(f"Engine: {large['vendor']}. Entries in the database: {n} and {m}.\n")
        self.stdout.write(
            f"| surface | {n}: ms | queries | KB | {m}: ms | queries | KB | ratio |\n"
            "|---|---:|---:|---:|---:|---:|---:|---:|"
        )
        for name, a in small["rows"].items():
            b = large["rows"].get(name)
            if not b:
                continue
            ratio = b["ms"] / a["ms"] if a["ms"] else 0
            self.stdout.write(
                f"| `{name}` | {a['ms']} | {a['queries']} | {a['bytes'] / 1024:.0f} "
                f"| {b['ms']} | {b['queries']} | {b['bytes'] / 1024:.0f} | {ratio:.2f} |"
            )

    def load(self, out, seconds):
        entry = Entry.objects.published().order_by("-occurred_at", "-id")[100]
        urls = {
            "/healthz": "/healthz",
            "/": "/",
            "entry page": entry.get_absolute_url(),
            "api entries": "/api/v1/entries/?page_size=20",
            "/claims/": "/claims/",
            "/feed/": "/feed/",
        }
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        # Our own interpreter and fixed arguments: nothing from outside reaches the command.
        server = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", "2"]
            + ["--bind", f"127.0.0.1:{port}", "--access-logfile", "/dev/null"],
            # The anonymous API throttle guards a public server; here it would answer most
            # requests 429, and the rate measured would be the throttle's.
            env={**os.environ, "ALLOWED_HOSTS": "127.0.0.1", "API_ANON_THROTTLE_RATE": "1000000/s"},
        )
        results = {"entries": Entry.objects.count(), "vendor": connection.vendor, "rows": {}}
        try:
            _wait_for(port)
            for name, url in urls.items():
                for _ in range(8):  # warm: every worker's cache, when it is in memory
                    _get(port, url)
                wrk = shutil.which("wrk")
                rate = _wrk(wrk, port, url, seconds) if wrk else None
                rate = rate or _threads(port, url, seconds)
                results["rows"][name] = {"url": url, "rps": round(rate, 1)}
        finally:
            server.terminate()
            server.wait(timeout=30)
        base = results["rows"]["/healthz"]["rps"]
        self.stdout.write("| surface | requests/s | of /healthz |\n|---|---:|---:|")
        for name, row in results["rows"].items():
            self.stdout.write(f"| `{name}` | {row['rps']:.0f} | {row['rps'] / base:.0%} |")
        if out:
            with open(out, "w") as handle:
                json.dump(results, handle, indent=1)


def _get(port, url):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", url)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _wait_for(port, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if _get(port, "/healthz") == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz")


def _wrk(wrk, port, url, seconds):
    output = subprocess.run(  # noqa: S603 (wrk's full path, our own URL)
        [wrk, "-t2", "-c8", f"-d{seconds}s", f"http://127.0.0.1:{port}{url}"],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
    ).stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if not found:
        return None
    # wrk counts every answer; an error (a 429, a 500) is not a page served.
    failed = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return float(found.group(1)) - (int(failed.group(1)) / seconds if failed else 0)


def _threads(port, url, seconds, workers=8):
    """A bounded loopback load loop: `workers` threads on keep-alive connections."""
    done = [0] * workers
    deadline = time.monotonic() + seconds

    def run(slot):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < deadline:
            conn.request("GET", url)
            response = conn.getresponse()
            response.read()
            done[slot] += response.status == 200  # a 429 or a 500 is not a page served
        conn.close()

    threads = [threading.Thread(target=run, args=(slot,)) for slot in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / seconds
