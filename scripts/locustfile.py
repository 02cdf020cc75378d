"""make load: 50 readers on pages, search and the API, 3 editors writing through the API.

Run by scripts/load.py, which starts gunicorn, makes the tokens and checks every write
afterwards. Each editor appends what it created to the ledger (LOAD_LEDGER), one JSON line
per entry, so the check can find every entry, claim and figure revision it should.
"""

import itertools
import json
import os
import threading
import uuid
from datetime import UTC, datetime, timedelta

from locust import HttpUser, between, events, task

EDITOR_TOKENS = os.environ["LOAD_EDITOR_TOKENS"].split(",")
PUBLISHER_TOKEN = os.environ["LOAD_PUBLISHER_TOKEN"]
LEDGER = os.environ["LOAD_LEDGER"]
SERVER_ERRORS = os.environ["LOAD_SERVER_ERRORS"]
SEARCHES = ["kyiv", "drone", "peace plan", "geneva", "missiles", "odesa", "talks"]

ledger_lock = threading.Lock()
server_errors = []
tokens = itertools.cycle(EDITOR_TOKENS)


@events.request.add_listener
def count_server_errors(name, response, exception, **kwargs):
    if response is not None and getattr(response, "status_code", 0) >= 500:
        server_errors.append(f"{response.status_code} {name} {response.text[:200]!r}")


@events.quitting.add_listener
def write_server_errors(environment, **kwargs):
    with open(SERVER_ERRORS, "w") as out:
        out.write("\n".join(server_errors))


class Reader(HttpUser):
    """Reads as the public does: pages, search, the API (anonymous)."""

    weight = 50
    wait_time = between(1, 3)

    def on_start(self):
        body = self.client.get("/api/v1/entries/?page_size=50", name="api").json()
        self.slugs = [entry["slug"] for entry in body["results"]] or ["missing"]
        self.counter = itertools.count()

    def pick(self):
        return self.slugs[next(self.counter) % len(self.slugs)]

    @task(4)
    def timeline(self):
        self.client.get("/", name="page")

    @task(3)
    def entry_page(self):
        self.client.get(f"/entries/{self.pick()}/", name="page")

    @task(1)
    def claims(self):
        self.client.get("/claims/", name="page")

    @task(3)
    def search(self):
        q = SEARCHES[next(self.counter) % len(SEARCHES)]
        self.client.get("/", params={"q": q}, name="search")

    @task(3)
    def api_list(self):
        self.client.get("/api/v1/entries/", name="api")

    @task(2)
    def api_detail(self):
        self.client.get(f"/api/v1/entries/{self.pick()}/", name="api")

    @task(1)
    def api_figures(self):
        self.client.get("/api/v1/figures/", name="api")


class Editor(HttpUser):
    """Records a story through the API: entry, claim, figure, a revision, then publishes."""

    fixed_count = 3
    wait_time = between(0.5, 1.5)

    def on_start(self):
        self.headers = {"Authorization": f"Token {next(tokens)}"}
        self.publisher = {"Authorization": f"Token {PUBLISHER_TOKEN}"}
        get = self.client.get
        self.source = get("/api/v1/sources/", headers=self.headers, name="write: read").json()[
            "results"
        ][0]["id"]
        self.actor = get("/api/v1/actors/", headers=self.headers, name="write: read").json()[
            "results"
        ][0]["slug"]
        self.place = get("/api/v1/places/", headers=self.headers, name="write: read").json()[
            "results"
        ][0]["slug"]

    def post(self, url, body, name, headers=None):
        response = self.client.post(url, json=body, headers=headers or self.headers, name=name)
        if response.status_code >= 400:
            raise RuntimeError(f"{name}: {response.status_code} {response.text[:300]}")
        return response

    @task
    def record_a_story(self):
        now = datetime.now(UTC)
        title = f"Load test strike {uuid.uuid4().hex[:10]}"
        entry = self.post(
            "/api/v1/entries/",
            {
                "title": title,
                "summary": "Written by the load test.",
                "track": "military",
                "kind": "drone_strike",
                "occurred_at": (now - timedelta(hours=1)).isoformat(),
                "precision": "exact",
                "sources": [self.source],
                "places": [self.place],
            },
            "write: create entry",
        )
        slug = entry.json()["slug"]
        claim = self.post(
            "/api/v1/claims/",
            {
                "entry": slug,
                "claimant": self.actor,
                "paraphrase": "Says the strike hit the port.",
                "kind": "factual",
                "sources": [self.source],
            },
            "write: create claim",
        ).json()["id"]
        figure = self.post(
            "/api/v1/figures/",
            {
                "entry": slug,
                "metric": "injured",
                "scope": self.place,
                "best": 3,
                "qualifier": "at_least",
                "as_of": (now - timedelta(minutes=30)).isoformat(),
                "source": self.source,
            },
            "write: create figure",
        ).json()["id"]
        revision = self.post(
            f"/api/v1/figures/{figure}/revise/",
            {"best": 5, "as_of": now.isoformat()},
            "write: revise figure",
        ).json()["id"]
        etag = entry.headers["ETag"]
        published = self.client.patch(
            f"/api/v1/entries/{slug}/",
            json={"status": "published"},
            headers={**self.publisher, "If-Match": etag},
            name="write: publish",
        )
        if published.status_code == 412:  # the claim or figure moved the entry on: retry
            etag = published.headers["ETag"]
            published = self.client.patch(
                f"/api/v1/entries/{slug}/",
                json={"status": "published"},
                headers={**self.publisher, "If-Match": etag},
                name="write: publish",
            )
        if published.status_code != 200:
            raise RuntimeError(f"publish: {published.status_code} {published.text[:300]}")
        line = {"slug": slug, "claims": [claim], "figures": [figure, revision], "published": True}
        with ledger_lock, open(LEDGER, "a") as out:
            out.write(json.dumps(line) + "\n")
