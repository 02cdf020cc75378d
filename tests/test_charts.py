"""The pictures: aggregations, geometry, and the pages and endpoint that draw them."""

import datetime as dt
import re

import factory
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests import factories
from tests.test_views import MAX_QUERIES, build_timeline
from timeline import charts
from timeline.models import Actor, DayCount, Entry, Place, PlaceTree, Source
from timeline.rollup import FigureTotal, refresh_stale_days, rollup_rebuild


def at(day, hour=12, month=11):
    return timezone.make_aware(dt.datetime(2025, month, day, hour))


def rollup(first, last):
    refresh_stale_days()
    return DayCount.objects.daily(first, last)


def test_days_without_events_are_empty_buckets():
    counts = {(dt.date(2025, 11, 3), "military", "drone_strike"): (2, 5)}
    buckets = charts.aggregate(counts, dt.date(2025, 11, 1), dt.date(2025, 11, 5), "day")
    assert [b.total for b in buckets] == [0, 0, 2, 0, 0]
    killed = charts.aggregate(
        counts, dt.date(2025, 11, 1), dt.date(2025, 11, 5), "day", mode="killed"
    )
    assert [b.total for b in killed] == [0, 0, 5, 0, 0]


def test_long_ranges_switch_to_weeks_then_months():
    start = dt.date(2025, 1, 1)
    assert charts.choose_unit(start, start + dt.timedelta(days=61)) == "day"
    assert charts.choose_unit(start, start + dt.timedelta(days=62)) == "week"
    assert charts.choose_unit(start, start + dt.timedelta(days=433)) == "week"
    assert charts.choose_unit(start, start + dt.timedelta(days=434)) == "month"
    counts = {
        (dt.date(2025, 3, 3), "military", "missile_strike"): (1, 0),  # a Monday
        (dt.date(2025, 3, 9), "military", "missile_strike"): (2, 0),  # the Sunday after
        (dt.date(2025, 3, 31), "military", "missile_strike"): (4, 0),
    }
    weeks = charts.aggregate(counts, dt.date(2025, 1, 1), dt.date(2025, 6, 30), "week")
    assert weeks[0].start == dt.date(2024, 12, 30)
    assert {b.start: b.total for b in weeks if b.total} == {
        dt.date(2025, 3, 3): 3,
        dt.date(2025, 3, 31): 4,
    }
    months = charts.aggregate(counts, dt.date(2024, 1, 1), dt.date(2026, 6, 30), "month")
    assert {b.start: b.total for b in months if b.total} == {dt.date(2025, 3, 1): 7}


@pytest.mark.django_db
def test_unpublished_entries_are_never_counted_and_the_rollup_follows_status_changes():
    published = factories.EntryFactory(occurred_at=at(20))
    draft = factories.EntryFactory(occurred_at=at(20), status=Entry.Status.DRAFT)
    factories.EntryFactory(occurred_at=at(21), status=Entry.Status.REVIEW)
    day = dt.date(2025, 11, 20)
    assert rollup(day, dt.date(2025, 11, 21)) == {(day, "military", "combined_strike"): (1, 0)}
    direct = Entry.objects.published().daily_counts(at(1, 0), at(30, 0))
    assert direct == {(day, "military", "combined_strike"): 1}
    Entry.objects.filter(pk=draft.pk).update(status=Entry.Status.PUBLISHED)
    Entry.objects.filter(pk=published.pk).update(occurred_at=at(22))
    assert rollup(day, dt.date(2025, 11, 22)) == {
        (day, "military", "combined_strike"): (1, 0),
        (dt.date(2025, 11, 22), "military", "combined_strike"): (1, 0),
    }


@pytest.mark.django_db
def test_killed_counts_each_entry_once_and_leaves_out_errors():
    kyiv = factories.PlaceFactory(name="Kyiv")
    district = factories.PlaceFactory(name="Pechersk", parent=kyiv, kind=Place.Kind.DISTRICT)
    entry = factories.EntryFactory(occurred_at=at(25, 2))
    factories.FigureFactory(entry=entry, scope=kyiv, best=4, as_of=at(25, 6))
    factories.FigureFactory(entry=entry, scope=kyiv, best=6, as_of=at(25, 14))
    factories.FigureFactory(entry=entry, scope=district, best=2, as_of=at(25, 7))
    wrong = factories.FigureFactory(entry=entry, scope=kyiv, best=60, as_of=at(25, 15))
    wrong.marked_error_at = timezone.now()
    wrong.save(update_fields=["marked_error_at"])
    day = dt.date(2025, 11, 25)
    assert rollup(day, day) == {(day, "military", "combined_strike"): (1, 6)}
    assert Entry.objects.published().killed_by_day(at(25, 0), at(26, 0), PlaceTree()) == {
        (day, "military", "combined_strike"): 6
    }
    rollup_rebuild()
    assert rollup(day, day) == {(day, "military", "combined_strike"): (1, 6)}


@pytest.mark.django_db
def test_filters_apply_to_the_pulse_chart(client):
    kyiv = factories.PlaceFactory(name="Kyiv", slug="kyiv")
    odesa = factories.PlaceFactory(name="Odesa", slug="odesa")
    for place, day in ((kyiv, 24), (odesa, 25)):
        entry = factories.EntryFactory(occurred_at=at(day))
        entry.places.add(place)
    html = client.get("/?place=kyiv").content.decode()
    assert 'data-day="2025-11-24"' in html
    assert 'data-day="2025-11-25"' not in html
    assert "/?place=kyiv&amp;from=2025-11-24&amp;to=2025-11-24" in html
    both = client.get("/").content.decode()
    assert 'data-day="2025-11-24"' in both and 'data-day="2025-11-25"' in both
    assert "The numbers behind the chart" in both


@pytest.mark.django_db
def test_the_map_counts_entries_without_coordinates_and_aggregates_to_a_grid(client):
    kyiv = factories.PlaceFactory(name="Kyiv", slug="kyiv", latitude=50.45, longitude=30.52)
    nowhere = factories.PlaceFactory(name="Somewhere", slug="somewhere")
    for i in range(3):
        factories.EntryFactory(occurred_at=at(20 + i)).places.add(kyiv)
    factories.EntryFactory(occurred_at=at(23)).places.add(nowhere)
    factories.EntryFactory(occurred_at=at(23), status=Entry.Status.DRAFT).places.add(kyiv)
    page = client.get("/map/").content.decode()
    assert "1</strong> entry has no coordinates" in page
    assert 'aria-label="3 entries at Kyiv: 3 military, 0 diplomacy"' in page
    data = client.get("/api/v1/map/points/?bbox=20,40,40,55&zoom=6").json()
    assert [(p["place"], p["n"], p["track"]) for p in data["points"]] == [("Kyiv", 3, "military")]
    assert client.get("/api/v1/map/points/?bbox=nonsense").status_code == 400


@pytest.mark.django_db
def test_a_dense_map_shows_the_days_of_its_latest_entries_and_says_so(client, monkeypatch):
    monkeypatch.setattr("timeline.maps.MAP_ENTRY_LIMIT", 3)
    kyiv = factories.PlaceFactory(name="Kyiv", slug="kyiv", latitude=50.45, longitude=30.52)
    for day in (18, 20, 22, 24):
        factories.EntryFactory(occurred_at=at(day)).places.add(kyiv)
    page = client.get("/map/").content.decode()
    assert "20 Nov 2025 to 24 Nov 2025 (the days of the latest 3 entries" in page
    assert 'aria-label="3 entries at Kyiv: 3 military, 0 diplomacy"' in page
    data = client.get("/api/v1/map/points/?bbox=20,40,40,55&zoom=6").json()
    assert (data["from"], data["latest_only"]) == ("2025-11-20", True)
    assert [p["n"] for p in data["points"]] == [3]
    # Dates chosen: the whole period, however many entries.
    chosen = client.get("/map/?from=2025-11-01&to=2025-11-30").content.decode()
    assert 'aria-label="4 entries at Kyiv: 4 military, 0 diplomacy"' in chosen
    assert "the days of the latest" not in chosen


@pytest.mark.django_db
@pytest.mark.parametrize(
    "filters",
    [
        "",
        "&place=kyiv",
        "&place=ukraine",
        "&track=military",
        "&place=kyiv&track=military",
        "&q=shelled",
    ],
)
def test_a_dense_map_finds_its_window_alike_from_the_rollup_and_from_the_entries(
    client, monkeypatch, filters
):
    """No filter, a track or one place: the window is counted from the roll-up; filters
    combined or a search: from the entries. Either way drafts are not counted."""
    monkeypatch.setattr("timeline.maps.MAP_ENTRY_LIMIT", 3)
    ukraine = factories.PlaceFactory(name="Ukraine", slug="ukraine")
    kyiv = factories.PlaceFactory(
        name="Kyiv", slug="kyiv", parent=ukraine, latitude=50.45, longitude=30.52
    )
    for day in (18, 19, 20, 22, 24):
        factories.EntryFactory(title="Shelled", occurred_at=at(day)).places.add(kyiv)
    for day in (21, 23):
        factories.EntryFactory(
            title="Shelled", occurred_at=at(day), status=Entry.Status.REVIEW
        ).places.add(kyiv)
    data = client.get(f"/api/v1/map/points/?bbox=20,40,40,55&zoom=6{filters}").json()
    assert (data["from"], data["to"], data["latest_only"]) == ("2025-11-20", "2025-11-24", True)
    assert [p["n"] for p in data["points"]] == [3]


@pytest.mark.django_db
def test_a_regions_map_reads_the_same_entries_from_its_rollup_as_from_the_timeline(
    client, monkeypatch, uncached_pages
):
    """A place's map in the chosen days is read by key from the ids its roll-up holds; when
    they are too many it filters the timeline instead. Both draw the same: entries in the
    towns inside the region on those days, published ones only."""
    ukraine = factories.PlaceFactory(name="Ukraine", slug="ukraine")
    region = factories.PlaceFactory(name="Kyiv Oblast", slug="kyiv-oblast", parent=ukraine)
    kyiv = factories.PlaceFactory(
        name="Kyiv", slug="kyiv", parent=region, latitude=50.45, longitude=30.52
    )
    bila = factories.PlaceFactory(
        name="Bila Tserkva", slug="bila", parent=region, latitude=49.8, longitude=30.11
    )
    odesa = factories.PlaceFactory(
        name="Odesa", slug="odesa", parent=ukraine, latitude=46.48, longitude=30.72
    )
    for day, place in ((20, kyiv), (21, kyiv), (21, bila), (22, odesa), (5, kyiv)):
        factories.EntryFactory(occurred_at=at(day)).places.add(place)
    factories.DiplomacyEntryFactory(occurred_at=at(22)).places.add(kyiv)
    factories.EntryFactory(occurred_at=at(22), status=Entry.Status.DRAFT).places.add(bila)
    # Before the latest 60 days, which the map shows when no dates are chosen.
    factories.EntryFactory(occurred_at=at(22) - dt.timedelta(days=100)).places.add(kyiv)
    filters = "place=kyiv-oblast"
    url = f"/api/v1/map/points/?bbox=20,40,40,55&zoom=6&{filters}"
    page_url = f"/map/?{filters}"

    def drawn():
        points = client.get(url).json()["points"]
        page = client.get(page_url).content.decode()
        labels = re.findall(r'aria-label="(\d+ entr[^"]+)"', page)
        return sorted((p["place"], p["military"], p["diplomacy"]) for p in points), sorted(labels)

    from_rollup = drawn()
    assert from_rollup[0] == [("Bila Tserkva", 1, 0), ("Kyiv", 3, 1)]
    monkeypatch.setattr(
        "timeline.models.FilterDayCountQuerySet.entry_ids", lambda *args, **kwargs: None
    )
    assert drawn() == from_rollup


@pytest.mark.django_db
def test_pictures_run_the_same_queries_at_10_and_500_entries(client):
    counts = {}
    urls = [
        "/",
        "/?chart=killed",
        "/map/",
        "/map/?place=kyiv",
        "/api/v1/map/points/?zoom=6",
        "/api/v1/map/points/?zoom=6&place=kyiv",
        "/places/kyiv/",
    ]
    for size in (10, 500):
        Entry.objects.all().delete()
        Place.objects.filter(parent__isnull=False, kind=Place.Kind.DISTRICT).delete()
        Place.objects.filter(parent__isnull=False).delete()
        Place.objects.all().delete()
        Actor.objects.all().delete()
        Source.objects.all().delete()
        build_timeline(size)
        refresh_stale_days()
        for url in urls:
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            counts.setdefault(url, []).append(len(captured))
    assert all(a == b for a, b in counts.values()), counts


@pytest.mark.django_db
def test_a_figure_reported_twice_gets_a_step_chart(client):
    kyiv = factories.PlaceFactory(name="Kyiv")
    entry = factories.EntryFactory(occurred_at=at(25, 2))
    factories.FigureFactory(entry=entry, scope=kyiv, best=7, metric="injured", as_of=at(25, 6))
    factories.FigureFactory(
        entry=entry, scope=kyiv, best=8, low=8, high=12, metric="injured", as_of=at(25, 14)
    )
    html = client.get(entry.get_absolute_url()).content.decode()
    assert "Injured, Kyiv: how the reported number changed" in html
    assert "step-band" in html


def test_claim_bar_segments_add_up_and_link_to_the_tracker():
    record = [("unverified", "Unverified", 3), ("false", "False", 1), ("disputed", "Disputed", 0)]
    bar = charts.claim_bar(record, href=lambda value: f"/claims/?assessment={value}")
    assert [(s["assessment"], s["width"]) for s in bar["segments"]] == [
        ("unverified", 75.0),
        ("false", 25.0),
    ]
    assert bar["segments"][1]["href"] == "/claims/?assessment=false"


# --- Killed and injured at a place ------------------------------------------------------


@pytest.fixture
def kyiv_figures(db):
    """Two nights at Kyiv: revised, nested, nationwide and mistaken figures, a draft with a
    large number, and a strike elsewhere in Ukraine."""
    ukraine = factories.PlaceFactory(name="Ukraine", slug="ukraine", kind=Place.Kind.COUNTRY)
    kyiv = factories.PlaceFactory(name="Kyiv", slug="kyiv", parent=ukraine)
    pechersk = factories.PlaceFactory(
        name="Pechersk", slug="pechersk", parent=kyiv, kind=Place.Kind.DISTRICT
    )
    odesa = factories.PlaceFactory(name="Odesa", slug="odesa", parent=ukraine)
    figure = factories.FigureFactory
    night = factories.EntryFactory(occurred_at=at(24, 3), places=[kyiv, pechersk])
    figure(entry=night, scope=ukraine, best=9, as_of=at(24, 8))  # nationwide, not Kyiv's
    figure(entry=night, scope=kyiv, best=4, as_of=at(24, 8))
    figure(entry=night, scope=kyiv, best=5, as_of=at(24, 14))  # the revision that stands
    figure(entry=night, scope=pechersk, best=2, as_of=at(24, 9))  # inside Kyiv's count
    figure(
        entry=night, scope=kyiv, metric="injured", best=7, as_of=at(24, 9), qualifier="more_than"
    )
    wrong = figure(entry=night, scope=kyiv, metric="injured", best=70, as_of=at(24, 15))
    wrong.marked_error_at = timezone.now()
    wrong.save(update_fields=["marked_error_at"])
    later = factories.EntryFactory(occurred_at=at(26, 2), places=[pechersk])
    figure(entry=later, scope=pechersk, metric="injured", best=2, low=1, high=4, qualifier="exact")
    elsewhere = factories.EntryFactory(occurred_at=at(26, 2), places=[odesa])
    figure(entry=elsewhere, scope=odesa, best=3, qualifier="exact")
    draft = factories.EntryFactory(occurred_at=at(25, 2), places=[kyiv], status="draft")
    figure(entry=draft, scope=kyiv, best=100)
    refresh_stale_days()
    return kyiv


def casualty_chart_html(client, url):
    html = client.get(url).content.decode()
    start = html.find('<figure class="chart casualties"')
    return html[start : html.index("</figure>", start)] if start >= 0 else ""


def test_place_totals_count_each_figure_at_the_place_once(kyiv_figures):
    kyiv = kyiv_figures
    totals = (
        Entry.objects.published()
        .at_place(kyiv)
        .figure_totals_by_day(
            at(1, 0),
            at(30, 0),
            PlaceTree(Place.objects.within(kyiv)),
            metrics=["killed", "injured"],
            within=kyiv,
        )
    )
    strike = ("military", "combined_strike")
    assert {key: total.text for key, total in totals.items()} == {
        (dt.date(2025, 11, 24), *strike, "killed"): "at least 5",
        (dt.date(2025, 11, 24), *strike, "injured"): "at least 7",
        (dt.date(2025, 11, 26), *strike, "injured"): "2",
    }
    assert totals[(dt.date(2025, 11, 26), *strike, "injured")].range_text == "1–4"


def test_place_totals_add_up_by_week_keeping_their_wording_and_range():
    def total(best, qualifier="exact", low=None, high=None):
        figure_total = FigureTotal()
        figure_total.add(low, best, high, qualifier)
        return figure_total

    strike = ("military", "missile_strike")
    totals = {
        (dt.date(2025, 3, 3), *strike, "killed"): total(2),  # a Monday
        (dt.date(2025, 3, 9), *strike, "killed"): total(3, "at_least"),  # the Sunday after
        (dt.date(2025, 3, 10), *strike, "injured"): total(5, low=4, high=9),
    }
    weeks = charts.casualty_buckets(totals, dt.date(2025, 1, 1), dt.date(2025, 6, 30), "week")
    chart = charts.casualty_chart(weeks, unit="week", place_name="Kyiv")
    assert [bar["name"] for bar in chart["bars"]] == [
        "week of 3 Mar 2025 at Kyiv: at least 5 killed",
        "week of 10 Mar 2025 at Kyiv: 5 injured (4–9)",
    ]
    assert [m["phrase"] for m in chart["metrics"]] == ["at least 5 killed", "5 injured (4–9)"]
    assert chart["top"] == 10  # the axis reaches the top of the range, not only the best value
    empty = charts.casualty_buckets({}, dt.date(2025, 1, 1), dt.date(2025, 6, 30), "week")
    assert charts.casualty_chart(empty, unit="week", place_name="Kyiv") is None


def test_place_page_charts_killed_and_injured_at_the_place(client, kyiv_figures):
    chart = casualty_chart_html(client, "/places/kyiv/")
    assert "Killed and injured at Kyiv per day, as reported" in chart
    assert "at least 5 killed and at least 9 injured (8–11) in all" in chart
    # Each day with a figure is one focusable link named by its numbers, to that day's entries.
    assert (
        '<a class="casualty-bar" href="/?place=kyiv&amp;from=2025-11-24&amp;to=2025-11-24" '
        'aria-label="Mon 24 Nov 2025 at Kyiv: at least 5 killed, at least 7 injured"'
    ) in chart
    assert 'aria-label="Wed 26 Nov 2025 at Kyiv: 2 injured (1–4)"' in chart
    assert chart.count('class="casualty-range"') == 1
    # The draft's day and its hundred killed, the mistaken 70 and Odesa's 3 are nowhere.
    assert 'data-day="2025-11-25"' not in chart
    assert "100" not in chart and "70" not in chart
    rows = re.findall(r'<tr><th scope="row">(.*?)</th><td>(.*?)</td><td>(.*?)</td></tr>', chart)
    assert rows == [
        ("Mon 24 Nov 2025", "at least 5", "at least 7"),
        ("Wed 26 Nov 2025", "–", "2 (1–4)"),
    ]


def test_a_country_page_counts_a_nationwide_figure_once_over_its_cities(client, kyiv_figures):
    chart = casualty_chart_html(client, "/places/ukraine/")
    assert 'aria-label="Mon 24 Nov 2025 at Ukraine: at least 9 killed, at least 7 injured"' in chart
    assert 'aria-label="Wed 26 Nov 2025 at Ukraine: 3 killed, 2 injured (1–4)"' in chart


def test_the_pulse_of_killed_on_a_place_page_agrees_with_its_casualty_chart(client, kyiv_figures):
    html = client.get("/places/kyiv/?chart=killed").content.decode()
    assert "<title>Mon 24 Nov 2025: 5 killed</title>" in html
    country = client.get("/places/ukraine/?chart=killed").content.decode()
    assert "<title>Mon 24 Nov 2025: 9 killed</title>" in country


def test_a_place_without_casualty_figures_shows_no_casualty_chart(client, kyiv_figures):
    geneva = factories.PlaceFactory(name="Geneva", slug="geneva")
    factories.DiplomacyEntryFactory(occurred_at=at(22), places=[geneva])
    html = client.get("/places/geneva/").content.decode()
    assert 'id="pulse"' in html
    assert 'id="casualties"' not in html
    assert casualty_chart_html(client, "/places/kyiv/")


def test_place_chart_runs_the_same_queries_at_10_and_500_entries(
    client, db, django_assert_max_num_queries
):
    counts = []
    for size in (10, 500):
        Entry.objects.all().delete()
        Place.objects.filter(kind=Place.Kind.DISTRICT).delete()
        Place.objects.filter(parent__isnull=False).delete()
        Place.objects.all().delete()
        Actor.objects.all().delete()
        Source.objects.all().delete()
        build_timeline(size)
        with django_assert_max_num_queries(MAX_QUERIES["place"]) as captured:
            html = client.get("/places/kyiv/").content.decode()
        counts.append(len(captured))
        assert 'id="casualties"' in html
        assert 'class="casualty-bar"' in html
    assert counts[0] == counts[1], counts


@pytest.mark.parametrize("unit", ["week", "month"])
def test_the_roll_up_summed_per_week_or_month_matches_its_days(db, unit):
    # A Sunday and the Monday after it, month ends and starts, two kinds, both tracks.
    days = [(2025, 3, 2), (2025, 3, 3), (2025, 3, 31), (2025, 4, 1), (2025, 6, 15), (2025, 6, 16)]
    for year, month, day in days:
        when = timezone.make_aware(dt.datetime(year, month, day, 12))
        factories.EntryFactory(occurred_at=when, kind="drone_strike")
        factories.EntryFactory(occurred_at=when, kind="missile_strike")
        factories.DiplomacyEntryFactory(occurred_at=when)
    refresh_stale_days()
    first, last = dt.date(2025, 3, 1), dt.date(2025, 6, 30)
    daily = DayCount.objects.daily(first, last)
    summed = DayCount.objects.daily(first, last, unit=unit)
    expected = {}
    for (day, track, kind), (entries, killed) in daily.items():
        key = (charts.bucket_start(day, unit), track, kind)
        before = expected.get(key, (0, 0))
        expected[key] = (before[0] + entries, before[1] + killed)
    assert summed == expected
    assert len(summed) < len(daily)
    by_bucket = charts.aggregate(summed, first, last, unit)
    assert by_bucket == charts.aggregate(daily, first, last, unit)
    assert sum(b.total for b in by_bucket) == 12


@pytest.mark.django_db
@pytest.mark.parametrize(
    "first_day, last_day, step",
    [
        # Kyiv moves its clocks at 01:00 UTC on the last Sundays of March and October.
        (dt.datetime(2025, 3, 27, tzinfo=dt.UTC), dt.datetime(2025, 4, 2, tzinfo=dt.UTC), 5),
        (dt.datetime(2025, 10, 23, tzinfo=dt.UTC), dt.datetime(2025, 10, 29, tzinfo=dt.UTC), 5),
        (dt.datetime(2024, 1, 1, tzinfo=dt.UTC), dt.datetime(2026, 1, 1, tzinfo=dt.UTC), 97),
    ],
)
def test_entries_are_counted_on_their_kyiv_day_either_side_of_a_clock_change(
    first_day, last_day, step
):
    moments = []
    moment = first_day
    while moment < last_day:  # a step of hours that is no divisor of a day: every hour in turn
        moments.append(moment)
        moment += dt.timedelta(hours=step, minutes=7)
    # The instants around each change, to the second.
    for change in (dt.datetime(2025, 3, 30, 1), dt.datetime(2025, 10, 26, 1)):
        for seconds in (-3601, -1, 0, 1, 3599):
            instant = change.replace(tzinfo=dt.UTC) + dt.timedelta(seconds=seconds)
            if first_day <= instant < last_day:
                moments.append(instant)
    factories.EntryFactory.create_batch(len(moments), occurred_at=factory.Iterator(moments))
    expected = {}
    for instant in moments:
        key = (timezone.localdate(instant), "military", "combined_strike")
        expected[key] = expected.get(key, 0) + 1
    assert Entry.objects.published().daily_counts(first_day, last_day) == expected
