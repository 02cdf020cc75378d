"""Time every public surface in-process: median time, queries and bytes per surface.

`manage.py bench --out bench-10000.json` measures the database DATABASE_URL points at
(filled by generate_entries); `manage.py bench --table a.json b.json` prints the Markdown
table comparing two sizes with the ratio of their median times. `make bench` does both.
"""

import json
import statistics
import time

from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from timeline.models import Actor, Claim, Entry, Place
from timeline.views import encode_cursor


def surfaces():
    published = Entry.objects.published()
    region = Place.objects.get(slug="gen-r1")
    town = Place.objects.filter(
        slug__startswith="gen-t", pk__in=Entry.places.through.objects.values("place_id")
    ).order_by("pk")[0]
    actor = Actor.objects.published().filter(slug__startswith="gen-").order_by("pk")[0]
    claimant = Claim.objects.published().order_by("pk")[0].claimant
    entry = published.filter(slug__startswith="gen").order_by("pk")[published.count() // 2]
    oldest = list(published.order_by("occurred_at", "id")[:31])[-1]
    day = entry.occurred_at.date().isoformat()
    return {
        "/": "/",
        "/ pulse killed": "/?chart=killed",
        "/ months (4 years)": "/?from=2022-01-01&to=2025-12-31",
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
        "/ q rare": "/?q=sunflower",
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
        "api figures": "/api/v1/figures/",
        "api actors": "/api/v1/actors/",
        "api places": "/api/v1/places/",
        "api sources": "/api/v1/sources/",
        "export csv": "/api/v1/export/entries.csv?page_size=1000",
        "/healthz": "/healthz",
    }


class Command(BaseCommand):
    help = "Measure the public surfaces (median time, queries, bytes) or print the table."

    def add_arguments(self, parser):
        parser.add_argument("--out", help="Write the measurements to this JSON file.")
        parser.add_argument("--repeat", type=int, default=5)
        parser.add_argument("--table", nargs=2, metavar=("SMALL", "LARGE"))

    def handle(self, *args, out=None, repeat=5, table=None, **options):
        if table:
            self.print_table(*table)
            return
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
