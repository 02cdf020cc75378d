import csv
import datetime as dt
import io
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from timeline.importing.formats import AcledFormat
from timeline.models import EntryActor, Place

from . import factories
from .api_helpers import rich_entry, token_client

pytestmark = pytest.mark.django_db

CSV_URL = "/api/v1/export/entries.csv"
TIMELINEJS_URL = "/api/v1/export/timelinejs.json"
GEOJSON_URL = "/api/v1/export/entries.geojson"
UCDP_CSV_URL = "/api/v1/export/entries-ucdp.csv"
EXPORTS = (CSV_URL, UCDP_CSV_URL, TIMELINEJS_URL, GEOJSON_URL)
SECRETS = ("Secret draft strike", "secret-draft-strike", "Secret review strike")


@pytest.fixture
def api():
    return APIClient()


def download(client, url, params=None):
    response = client.get(url, params or {})
    assert response.status_code == 200, getattr(response, "content", b"")
    assert response.streaming
    return response, b"".join(response.streaming_content).decode()


def csv_rows(client, params=None):
    _, text = download(client, CSV_URL, params)
    return list(csv.DictReader(io.StringIO(text)))


# --- CSV --------------------------------------------------------------------------------------


def test_the_csv_has_acled_columns_then_ours_in_order(api, published_entry):
    response, text = download(api, CSV_URL)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="parallax-entries.csv"'
    header = next(csv.reader(io.StringIO(text)))
    assert header[:31] == list(AcledFormat.columns)
    assert header[31:] == [
        "track",
        "kind",
        "slug",
        "url",
        "time_note",
        "dataset",
        "attribution",
        "figures_json",
    ]


def test_a_csv_row_describes_the_entry_as_acled_would(api):
    entry = rich_entry(
        slug="kyiv-strike",
        kind="missile_strike",
        occurred_at=timezone.make_aware(dt.datetime(2025, 11, 25, 1, 30)),
    )
    target = factories.ActorFactory(name="Kyiv residents")
    EntryActor.objects.create(entry=entry, actor=target, role="target")
    [row] = csv_rows(api)
    assert row["event_date"] == "2025-11-25"  # Kyiv's date, not UTC's (23:30 the day before)
    assert (row["event_type"], row["sub_event_type"]) == (
        "Explosions/Remote violence",
        "Shelling/artillery/missile attack",
    )
    assert (row["actor1"], row["actor2"]) == ("Russian armed forces", "Kyiv residents")
    assert (row["admin1"], row["location"]) == ("Kyiv Oblast", "Kyiv")
    assert (float(row["latitude"]), float(row["longitude"])) == (50.4501, 30.5234)
    assert row["fatalities"] == "6"  # the current report, not the earlier 4
    assert row["source"] == "Kyiv Independent"
    assert row["notes"] == entry.summary
    assert (row["track"], row["slug"]) == ("military", "kyiv-strike")
    assert row["url"] == "http://testserver/entries/kyiv-strike/"


def test_fatalities_count_no_one_twice_across_nested_scopes(api):
    entry = rich_entry(slug="kyiv-strike")
    kyiv = Place.objects.get(slug="kyiv")
    district = factories.PlaceFactory(kind="district", parent=kyiv)
    odesa = factories.PlaceFactory(name="Odesa", kind="city")
    factories.FigureFactory(entry=entry, scope=district, best=3)  # inside Kyiv's 6
    factories.FigureFactory(entry=entry, scope=odesa, best=2)  # apart: added
    factories.FigureFactory(entry=entry, scope=odesa, metric="injured", best=40)  # not killed
    [row] = csv_rows(api)
    assert row["fatalities"] == "8"


def test_a_nationwide_figure_already_counts_the_cities_in_it(api):
    entry = rich_entry(slug="kyiv-strike")
    factories.FigureFactory(entry=entry, scope=Place.objects.get(slug="ukraine"), best=9)
    [row] = csv_rows(api)
    assert row["fatalities"] == "9"


def test_a_diplomacy_entry_is_a_strategic_development_with_its_parties(api):
    switzerland = factories.PlaceFactory(name="Switzerland", kind="country")
    geneva = factories.PlaceFactory(
        name="Geneva", kind="city", parent=switzerland, latitude=46.2044, longitude=6.1432
    )
    talks = factories.DiplomacyEntryFactory(slug="geneva-talks", kind="agreement", places=[geneva])
    for name in ("United States", "Ukraine"):
        EntryActor.objects.create(
            entry=talks, actor=factories.ActorFactory(name=name), role="party"
        )
    [row] = csv_rows(api)
    assert (row["event_type"], row["sub_event_type"]) == ("Strategic developments", "Agreement")
    # Parties in the entry's order of actors (by name): the first acts, the rest answer.
    assert (row["actor1"], row["actor2"]) == ("Ukraine", "United States")
    assert (row["fatalities"], row["location"], row["country"], row["iso"]) == (
        "0",
        "Geneva",
        "Switzerland",
        "756",
    )
    assert row["disorder_type"] == "Strategic developments"


def test_csv_cells_that_a_spreadsheet_would_run_are_defused(api):
    factories.EntryFactory(
        title='=HYPERLINK("http://evil.example")',
        summary="+cmd|' /C calc'!A0",
        sources=[factories.SourceFactory(publisher="@SUM(1+1)")],
        places=[factories.PlaceFactory()],
    )
    [row] = csv_rows(api)
    assert row["notes"] == "'+cmd|' /C calc'!A0"
    assert row["source"] == "'@SUM(1+1)"


def test_negative_coordinates_stay_numbers_in_the_csv(api):
    west = factories.PlaceFactory(
        latitude="-33.900000", longitude="-70.650000", coordinate_precision="city"
    )
    factories.EntryFactory(places=[west])
    [row] = csv_rows(api)
    assert (row["latitude"], row["longitude"]) == ("-33.900000", "-70.650000")


def test_the_csv_accepts_the_entry_lists_filters(api):
    geneva = factories.PlaceFactory(name="Geneva", latitude=46.2044, longitude=6.1432)
    factories.EntryFactory(slug="a-strike", places=[geneva])
    factories.DiplomacyEntryFactory(slug="some-talks", places=[geneva])
    assert [r["slug"] for r in csv_rows(api, {"track": "diplomacy"})] == ["some-talks"]
    assert [r["slug"] for r in csv_rows(api, {"search": "delegations"})] == ["some-talks"]
    response = api.get(CSV_URL, {"track": "navy"})
    assert response.status_code == 400
    assert list(response.json()) == ["track"]


# --- Drafts never leave through an export -------------------------------------------------------


@pytest.mark.parametrize("url", EXPORTS)
def test_no_export_carries_a_draft_even_for_an_editor(
    api, editor, url, draft_entry, review_entry, published_entry
):
    kyiv = factories.PlaceFactory(latitude="50.45", longitude="30.52", coordinate_precision="city")
    for entry in (draft_entry, review_entry, published_entry):
        entry.places.add(kyiv)
    for client in (api, token_client(editor)):
        for params in ({}, {"status": "draft"}, {"search": "Secret"}):
            _, text = download(client, url, params)
            for secret in SECRETS:
                assert secret not in text
    _, text = download(api, url)
    assert "published-strike" in text


# --- TimelineJS ------------------------------------------------------------------------------


def test_the_timelinejs_export_has_the_documented_shape(api):
    rich_entry(slug="kyiv-strike", occurred_at=timezone.make_aware(dt.datetime(2025, 11, 25, 4)))
    talks = factories.DiplomacyEntryFactory(
        slug="geneva-talks",
        title="Talks in Geneva",
        occurred_at=timezone.make_aware(dt.datetime(2025, 11, 22)),
        ended_at=timezone.make_aware(dt.datetime(2025, 11, 23, 20)),
        sources=[factories.SourceFactory(url="")],
    )
    response, text = download(api, TIMELINEJS_URL)
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == 'attachment; filename="parallax-timelinejs.json"'
    data = json.loads(text)
    assert set(data) == {"title", "events", "eras"}
    assert data["title"]["text"]["headline"] == "Parallax"
    events = {event["unique_id"]: event for event in data["events"]}
    strike, geneva = events["kyiv-strike"], events["geneva-talks"]
    # part_of_day: to the hour; day: no hour
    assert strike["start_date"] == {"year": 2025, "month": 11, "day": 25, "hour": 4}
    assert geneva["start_date"] == {"year": 2025, "month": 11, "day": 22}
    assert geneva["end_date"] == {"year": 2025, "month": 11, "day": 23}
    assert "end_date" not in strike
    assert strike["text"]["headline"]
    assert "<p>" in strike["text"]["text"]
    assert (strike["group"], geneva["group"]) == ("military", "diplomacy")
    assert strike["media"]["url"].startswith("https://news.example.org/")
    assert "media" not in geneva  # its source has no web address
    assert data["eras"] == [
        {
            "start_date": {"year": 2025, "month": 11, "day": 22},
            "end_date": {"year": 2025, "month": 11, "day": 23},
            "text": {"headline": talks.title},
        }
    ]


@pytest.mark.parametrize(
    ("precision", "expected"),
    [
        ("exact", {"year": 2025, "month": 11, "day": 25, "hour": 4, "minute": 17}),
        ("part_of_day", {"year": 2025, "month": 11, "day": 25, "hour": 4}),
        ("day", {"year": 2025, "month": 11, "day": 25}),
        ("several_days", {"year": 2025, "month": 11, "day": 25}),
        ("month", {"year": 2025, "month": 11}),
    ],
)
def test_timelinejs_dates_honour_the_precision(api, precision, expected):
    factories.EntryFactory(
        precision=precision, occurred_at=timezone.make_aware(dt.datetime(2025, 11, 25, 4, 17))
    )
    _, text = download(api, TIMELINEJS_URL)
    assert json.loads(text)["events"][0]["start_date"] == expected


def test_timelinejs_text_is_escaped_html(api):
    factories.EntryFactory(title="<script>alert(1)</script>")
    _, text = download(api, TIMELINEJS_URL)
    assert "<script>" not in json.loads(text)["events"][0]["text"]["headline"]


# --- GeoJSON -----------------------------------------------------------------------------------


def test_the_geojson_export_is_a_feature_collection_of_located_entries(api):
    rich_entry(slug="kyiv-strike", occurred_at=timezone.make_aware(dt.datetime(2025, 11, 25, 4)))
    factories.EntryFactory(slug="nowhere", places=[factories.PlaceFactory()])
    response, text = download(api, GEOJSON_URL)
    assert response["Content-Type"] == "application/geo+json"
    assert response["Content-Disposition"] == 'attachment; filename="parallax-entries.geojson"'
    data = json.loads(text)
    assert data["type"] == "FeatureCollection"
    [feature] = data["features"]
    assert feature["type"] == "Feature"
    assert feature["geometry"] == {"type": "Point", "coordinates": [30.5234, 50.4501]}
    properties = feature["properties"]
    assert properties["slug"] == "kyiv-strike"
    assert (properties["track"], properties["kind"]) == ("military", "combined_strike")
    assert properties["url"] == "http://testserver/entries/kyiv-strike/"
    assert properties["occurred_at"] == "2025-11-25T04:00:00+02:00"


def test_the_geojson_export_accepts_filters(api):
    rich_entry(slug="kyiv-strike")
    _, text = download(api, GEOJSON_URL, {"track": "diplomacy"})
    assert json.loads(text)["features"] == []


# --- Performance: a fixed number of queries however many entries -----------------------------


def populate(count):
    region = factories.PlaceFactory(kind="region")
    city = factories.PlaceFactory(
        parent=region, latitude="50.45", longitude="30.52", coordinate_precision="city"
    )
    actor = factories.ActorFactory()
    source = factories.SourceFactory()
    for _ in range(count):
        entry = factories.EntryFactory(sources=[source], places=[city])
        EntryActor.objects.create(entry=entry, actor=actor, role="initiator")
        factories.ClaimFactory(entry=entry, claimant=actor, sources=[source])
        factories.FigureFactory(entry=entry, scope=city, reported_by=actor, source=source)


def export_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        assert response.status_code == 200
        b"".join(response.streaming_content)
    return len(queries)


EXPORT_QUERY_BUDGET = 8


def test_every_export_takes_the_same_few_queries_at_10_and_at_500_entries(
    api, django_assert_max_num_queries
):
    populate(10)
    at_10 = {url: export_queries(api, url) for url in EXPORTS}
    populate(490)
    at_500 = {}
    for url in EXPORTS:
        with django_assert_max_num_queries(EXPORT_QUERY_BUDGET):
            at_500[url] = export_queries(api, url)
    assert at_500 == at_10, at_10
    _, text = download(api, CSV_URL)
    assert len(text.splitlines()) == 501


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/export/entries.csv",
        "/api/v1/export/timelinejs.json",
        "/api/v1/export/entries.geojson",
    ],
)
def test_an_export_takes_the_first_n_entries_with_limit(client, db, url):
    from tests.factories import EntryFactory, PlaceFactory

    place = PlaceFactory(latitude=50.45, longitude=30.52)
    for n in range(3):
        EntryFactory(title=f"Limited strike {n}", slug=f"limited-{n}").places.add(place)
    body = b"".join(client.get(url, {"limit": "2"}).streaming_content).decode()
    assert set(re.findall(r"limited-\d", body)) == {"limited-0", "limited-1"}
    bad = client.get(url, {"limit": "many"})
    assert bad.status_code == 400
    assert list(bad.json()) == ["limit"]
