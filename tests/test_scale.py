"""Filters that read the small side or walk the timeline: the same answers either way, and
the same number of queries at any size (timeline/models.py, SMALL_SIDE_LIMIT)."""

import datetime as dt
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.factories import build_timeline
from timeline import views
from timeline.charts import MAX_DAYS_AS_DAYS
from timeline.models import Actor, Entry, KeyIn, Place, Source
from timeline.rollup import refresh_stale_days

# Few candidates: ids read from the place's, actor's or grade's index and sorted. Many: the
# timeline index walked newest first, each entry probed. A limit of 0 forces the walk.
BRANCHES = {"small side": 2000, "walk": 0}

# Each test asks for the same pages down both branches.
pytestmark = pytest.mark.usefixtures("uncached_pages")

FILTERED = [
    "/?place=kyiv",
    "/?place=district-1",
    "/?actor=actor-1",
    "/?assessment=disputed",
    "/?place=kyiv&track=military&assessment=contradicted",
    "/places/kyiv/",
    "/actors/actor-1/",
    "/api/v1/entries/?place=kyiv",
    "/api/v1/entries/?actor=actor-1&assessment=disputed",
]


def slugs(response):
    if response["Content-Type"].startswith("application/json"):
        return [item["slug"] for item in response.json()["results"]]
    return [part.split('"')[0] for part in response.content.decode().split('href="/entries/')[1:]]


@pytest.mark.parametrize("url", FILTERED)
def test_a_filter_finds_the_same_entries_whether_it_reads_ids_or_walks_the_timeline(
    client, db, monkeypatch, url
):
    build_timeline(40)
    seen = {}
    for branch, limit in BRANCHES.items():
        monkeypatch.setattr("timeline.models.SMALL_SIDE_LIMIT", limit)
        response = client.get(url)
        assert response.status_code == 200
        seen[branch] = slugs(response)
    assert seen["small side"] == seen["walk"]
    assert seen["walk"]


def test_inside_a_place_matches_the_place_and_everything_under_it_only(db, monkeypatch):
    build_timeline(40)
    district = Place.objects.get(slug="district-1")
    expected = set(Entry.objects.published().filter(places=district).values_list("pk", flat=True))
    for limit in BRANCHES.values():
        monkeypatch.setattr("timeline.models.SMALL_SIDE_LIMIT", limit)
        assert set(Entry.objects.published().at_place(district).values_list("pk", flat=True)) == (
            expected
        )


def reads_candidates(queryset):
    return any(
        isinstance(getattr(node, "lhs", None), KeyIn) for node in queryset.query.where.children
    )


# The timeline's size is read as its highest id: ids from 1 here, whatever ran before.
@pytest.mark.django_db(transaction=True, reset_sequences=True, serialized_rollback=True)
def test_a_filter_reads_its_candidates_while_they_are_few_against_the_timeline(client, monkeypatch):
    """Used alone, a filter reads c candidates while c is under about 2 √N, else walks; with
    other filters (which are counted and charted live) it reads them up to the limit."""
    build_timeline(40)
    refresh_stale_days()
    monkeypatch.setattr("timeline.models.SMALL_SIDE_FLOOR", 0)
    size = Entry.objects.order_by("-pk").values_list("pk", flat=True).first()
    published = Entry.objects.published()
    seen = set()
    for place in Place.objects.all():
        candidates = published.at_place(place).count()
        if candidates:
            alone = published.at_place(place, walk_if_dense=True)
            read = reads_candidates(alone)
            assert read == (candidates * candidates <= 4 * size), (place, candidates, size)
            seen.add(read)
            assert reads_candidates(published.at_place(place))
    assert seen == {True, False}
    # The pages: alone, Kyiv's page is read from its roll-up's newest days, and its
    # candidates are not; with a track, they are read.
    kyiv = Place.objects.get(slug="kyiv")
    assert published.at_place(kyiv).count() ** 2 > 4 * size
    for url, reads in (("/?place=kyiv", False), ("/?place=kyiv&track=military", True)):
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        newest_days = [q["sql"] for q in queries if "AS part, newest.*" in q["sql"]]
        assert bool(newest_days) != reads, url
        # KeyIn's SQL (the page's, the candidates'), not the roll-up's ids that the chart's
        # diplomacy markers unpack.
        candidate_reads = ("SELECT value FROM json_each(", "SELECT unnest(")
        keyed = [q for q in queries if any(read in q["sql"] for read in candidate_reads)]
        assert len(keyed) == (2 if reads else 1), url
    # Below the floor, always read.
    monkeypatch.setattr("timeline.models.SMALL_SIDE_FLOOR", 1000)
    assert all(
        reads_candidates(published.at_place(place, walk_if_dense=True))
        for place in Place.objects.all()
    )


def every_page(client, url):
    """The pages of a timeline or claim tracker list, following its "older" links."""
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, url
        pages.append(response.content.decode())
        older = re.search(r'class="pager-older" rel="next" href="([^"]+)"', pages[-1])
        url = older and older.group(1).replace("&amp;", "&")
    return pages


NEWEST_OF_A_FILTER = [
    "/?place=kyiv",
    "/?place=district-1",
    "/?actor=actor-1",
    "/?assessment=disputed",
    "/places/kyiv/",
    "/places/district-2/",
    "/actors/actor-1/",
    "/claims/?claimant=actor-1",
    "/claims/?claimant=actor-2&assessment=contradicted",
]


@pytest.mark.parametrize("rows", [1, 16, 200])
def test_a_filters_newest_pages_are_the_same_read_from_its_roll_up_or_the_timeline(
    client, db, monkeypatch, rows
):
    """Every page of one place, actor, grade or claimant, and the newest entries and claims
    of actor and place pages: read from the roll-up's newest days, they are the pages the
    timeline gives, however few rows a read takes (a day cut short by the limit is never
    used), and past those rows the timeline serves them."""
    build_timeline(100)  # five entries a day, twenty days
    monkeypatch.setattr("timeline.rollup.NEWEST_ROWS", rows)
    answers = []
    real = views.newest_entry_ids

    def answered(*args, **kwargs):
        ids = real(*args, **kwargs)
        answers.append(ids is not None)
        return ids

    monkeypatch.setattr("timeline.views.newest_entry_ids", answered)
    from_rollup = {url: every_page(client, url) for url in NEWEST_OF_A_FILTER}
    monkeypatch.setattr("timeline.views.newest_entry_ids", lambda *args, **kwargs: None)
    from_timeline = {url: every_page(client, url) for url in NEWEST_OF_A_FILTER}
    for url in NEWEST_OF_A_FILTER:
        assert from_rollup[url] == from_timeline[url], url
    assert sum(len(pages) for pages in from_timeline.values()) > len(NEWEST_OF_A_FILTER)
    # One row a set holds no whole day; sixteen hold a page of Kyiv but not of a district.
    expected = {1: {False}, 16: {True, False}, 200: {True}}
    assert set(answers) == expected[rows]


def test_a_filters_newest_page_shows_what_was_just_published(client, db):
    build_timeline(100)
    district, actor = Place.objects.get(slug="district-1"), Actor.objects.get(slug="actor-1")
    for url in ("/?place=kyiv", "/places/kyiv/", "/actors/actor-1/", "/claims/?claimant=actor-1"):
        client.get(url)  # the roll-up read before the entry is published
    newest = Entry.objects.order_by("-occurred_at").first().occurred_at
    fresh = factories.EntryFactory(
        title="Fresh strike on the district",
        occurred_at=newest + dt.timedelta(minutes=5),
        places=[district],
    )
    factories.EntryActorFactory(entry=fresh, actor=actor)
    factories.ClaimFactory(entry=fresh, claimant=actor, quote="A fresh claim about the strike")
    for url in ("/?place=kyiv", "/places/kyiv/", "/actors/actor-1/"):
        assert "Fresh strike on the district" in client.get(url).content.decode(), url
    assert (
        "A fresh claim about the strike" in client.get("/claims/?claimant=actor-1").content.decode()
    )
    fresh.status = Entry.Status.DRAFT
    fresh.save()
    for url in ("/?place=kyiv", "/places/kyiv/", "/actors/actor-1/", "/claims/?claimant=actor-1"):
        page = client.get(url).content.decode()
        assert "Fresh strike" not in page and "A fresh claim" not in page, url


def test_a_walked_filter_counts_to_a_lower_cap(client, db, monkeypatch):
    build_timeline(40)
    monkeypatch.setattr("timeline.models.SMALL_SIDE_LIMIT", 0)
    monkeypatch.setattr("timeline.models.PROBE_COUNT_CAP", 10)
    text = client.get("/?place=kyiv&track=military").content.decode()
    assert "more than 10</strong> entries match" in text


def test_one_place_actor_or_grade_is_counted_exactly_at_any_size(client, db, monkeypatch):
    build_timeline(40)
    # Walking, a count would stop at 10: the roll-up's total is exact.
    monkeypatch.setattr("timeline.models.SMALL_SIDE_LIMIT", 0)
    monkeypatch.setattr("timeline.models.PROBE_COUNT_CAP", 10)
    kyiv, actor = Place.objects.get(slug="kyiv"), Actor.objects.get(slug="actor-1")
    published = Entry.objects.published()
    at_kyiv, involving = published.at_place(kyiv).count(), published.involving(actor).count()
    graded = published.with_claims_graded("disputed").count()
    assert min(at_kyiv, involving, graded) > 10
    pages = {
        "/?place=kyiv": f"{at_kyiv}</strong> entries match",
        "/?actor=actor-1": f"{involving}</strong> entries match",
        "/?assessment=disputed": f"{graded}</strong> entries match",
        "/places/kyiv/": f'Entries here <span class="count">{at_kyiv}</span>',
        "/actors/actor-1/": f'Entries <span class="count">{involving}</span>',
    }
    for url, said in pages.items():
        assert said in client.get(url).content.decode(), url
    # A draft is not counted; publishing it is, at once.
    draft = factories.EntryFactory(status=Entry.Status.DRAFT, places=[kyiv])
    assert f"{at_kyiv}</strong> entries match" in client.get("/?place=kyiv").content.decode()
    draft.status = Entry.Status.PUBLISHED
    draft.save()
    assert f"{at_kyiv + 1}</strong> entries match" in client.get("/?place=kyiv").content.decode()


def test_claim_pages_are_the_same_read_from_the_timeline_window_or_sorted(client, db, monkeypatch):
    build_timeline(60)  # 120 claims: three pages of 50
    pages = {}
    for branch, limit in BRANCHES.items():
        monkeypatch.setattr("timeline.views.CLAIMS_SORTED_LIMIT", limit)
        pages[branch] = [
            client.get(f"/claims/?page={number}{extra}").content
            for number in (1, 2, 3)
            for extra in ("", "&assessment=disputed", "&track=military")
        ]
    assert pages["small side"] == pages["walk"]


# Surfaces this change made flat, counted at two sizes in both branches.
SURFACES = [
    "/?place=kyiv",
    "/?place=ukraine",
    "/places/ukraine/",
    "/claims/?page=2",
    "/claims/?assessment=disputed",
    "/suggest/place/?q=dis",
    "/suggest/actor/?q=act",
    "/suggest/claimant/?q=act",
    "/sitemap.xml",
    "/sitemap-places.xml",
    "/sitemap-actors.xml",
    "/api/v1/claims/",
    "/api/v1/claims/?search=claim",
    "/api/v1/figures/",
    "/api/v1/sources/",
]


@pytest.mark.parametrize("branch", list(BRANCHES))
def test_flat_surfaces_run_the_same_queries_at_10_and_300_entries(
    client, db, monkeypatch, django_assert_max_num_queries, branch
):
    monkeypatch.setattr("timeline.models.SMALL_SIDE_LIMIT", BRANCHES[branch])
    monkeypatch.setattr("timeline.views.CLAIMS_SORTED_LIMIT", BRANCHES[branch])
    counts = {}
    for size in (10, 300):
        Entry.objects.all().delete()
        for depth in (2, 1, 0):
            Place.objects.filter(depth=depth).delete()
        Actor.objects.all().delete()
        Source.objects.all().delete()
        build_timeline(size)
        for url in SURFACES:
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            assert response.status_code == 200, url
            counts.setdefault(url, []).append(len(queries))
    for url, (small, large) in counts.items():
        assert small == large, (url, small, large)
    with django_assert_max_num_queries(15):  # as test_views.MAX_QUERIES["/?place=kyiv"]
        client.get("/?place=ukraine")


def test_the_front_page_stays_under_60_kb_however_dense_the_days(client, db):
    call_command("generate_entries", "3000", verbosity=0)
    # Every entry into the last sixty days: fifty a day, every kind of strike and diplomacy
    # on each, the densest chart the front page draws.
    newest = Entry.objects.order_by("-occurred_at").values_list("occurred_at", flat=True)[0]
    for day in range(60):
        Entry.objects.alias(bucket=F("id") % 60).filter(bucket=day).update(
            occurred_at=newest - dt.timedelta(days=day, hours=1), ended_at=None
        )
    response = client.get("/")
    days_drawn = response.content.decode().count("data-day=")
    assert 55 <= days_drawn <= MAX_DAYS_AS_DAYS
    assert len(response.content) < 60_000, len(response.content)


@pytest.mark.parametrize(
    "url", ["/?q=strike", "/?q=strike&chart=killed", "/?q=strike&track=military"]
)
def test_a_search_finds_and_charts_the_same_whether_it_reads_ids_or_walks_the_timeline(
    client, db, monkeypatch, url
):
    build_timeline(40)
    pages = {}
    for branch, limit in BRANCHES.items():
        monkeypatch.setattr("timeline.search.SEARCH_SMALL_SIDE_LIMIT", limit)
        html = client.get(url).content.decode()
        chart = html[html.index('<figure class="chart pulse"') : html.index("</figure>")]
        pages[branch] = (slugs_in(html), chart)
    assert pages["small side"] == pages["walk"]
    assert pages["walk"][0]
    assert "data-day=" in pages["walk"][1]


def test_a_searchs_chart_marks_the_same_talks_whether_it_reads_ids_or_walks_the_timeline(
    client, db, monkeypatch
):
    start = dt.datetime(2025, 11, 1, 12, tzinfo=dt.UTC)
    for hour in range(0, 240, 8):
        factories.EntryFactory(
            title="Shelling of the port", occurred_at=start + dt.timedelta(hours=hour)
        )
    for day in (1, 4, 7):
        factories.DiplomacyEntryFactory(
            title=f"Talks on the shelling, day {day}", occurred_at=start + dt.timedelta(days=day)
        )
    factories.DiplomacyEntryFactory(title="Talks on grain", occurred_at=start)
    charts = {}
    for branch, limit in BRANCHES.items():
        monkeypatch.setattr("timeline.search.SEARCH_SMALL_SIDE_LIMIT", limit)
        html = client.get("/?q=shelling").content.decode()
        chart = html[html.index('<figure class="chart pulse"') : html.index("</figure>")]
        charts[branch] = sorted(set(re.findall(r"Talks on [\w ]+(?:, day \d)?", chart)))
    assert charts["walk"] == [f"Talks on the shelling, day {day}" for day in (1, 4, 7)]
    assert charts["small side"] == charts["walk"]


def test_a_searchs_chart_counts_the_first_and_last_entries_of_its_window(client, db, monkeypatch):
    """The chart reads the index between the lowest and highest ids its days hold: the
    entries with those ids are counted, as is a match written later about an earlier day."""
    start = dt.datetime(2025, 11, 1, 12, tzinfo=dt.UTC)
    for day in range(10):
        title = "Shelling of the port" if day in (0, 9) else "Talks resumed"
        factories.EntryFactory(title=title, occurred_at=start + dt.timedelta(days=day))
    factories.EntryFactory(title="Shelling reported late", occurred_at=start + dt.timedelta(days=4))
    charts = {}
    for branch, limit in BRANCHES.items():
        monkeypatch.setattr("timeline.search.SEARCH_SMALL_SIDE_LIMIT", limit)
        html = client.get("/?q=shelling").content.decode()
        chart = html[html.index('<figure class="chart pulse"') : html.index("</figure>")]
        charts[branch] = sorted(re.findall(r'data-day="([\d-]+)"', chart))
    assert charts["walk"] == ["2025-11-01", "2025-11-05", "2025-11-10"]
    assert charts["small side"] == charts["walk"]


def test_the_api_search_is_the_same_either_way(client, db, monkeypatch):
    build_timeline(40)
    seen = {}
    for branch, limit in BRANCHES.items():
        monkeypatch.setattr("timeline.search.SEARCH_SMALL_SIDE_LIMIT", limit)
        seen[branch] = slugs(client.get("/api/v1/entries/", {"search": "strike", "page_size": 100}))
    assert seen["small side"] == seen["walk"]
    assert seen["walk"]


def slugs_in(html):
    return [part.split('"')[0] for part in html.split('href="/entries/')[1:]]
