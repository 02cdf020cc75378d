"""The contrast panel stays readable and cheap when the other track is dense."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from timeline.contrast import CONTRAST_LIST_LIMIT, CONTRAST_TOP
from timeline.models import Dataset, Entry


def strikes_after(talks, count, *, dataset=None, killed=None, title="Imported strike"):
    """`count` strikes within a day after the talks, optionally with a killed figure each."""
    entries = [
        factories.EntryFactory(
            title=f"{title} {n}",
            occurred_at=talks.occurred_at + dt.timedelta(hours=1, minutes=n),
            dataset=dataset,
            external_id=f"ev-{title}-{n}" if dataset else "",
        )
        for n in range(count)
    ]
    if killed is not None:
        scope = factories.PlaceFactory()
        for entry in entries:
            factories.FigureFactory(entry=entry, scope=scope, best=killed)
    return entries


@pytest.fixture
def dataset(db):
    return Dataset.objects.create(name="Synthetic monitor", slug="synthetic-monitor")


def after_text(client, entry):
    html = client.get(entry.get_absolute_url()).content.decode()
    return html[html.index("Within 72 hours after") : html.index("entry-main")]


def test_a_dense_window_shows_counts_totals_the_few_that_stand_out_and_a_timeline_link(
    client, dataset
):
    talks = factories.DiplomacyEntryFactory(title="Talks")
    strikes_after(talks, CONTRAST_LIST_LIMIT + 5, dataset=dataset, killed=2)
    worst = strikes_after(talks, 1, dataset=dataset, killed=40, title="Worst imported")[0]
    own = strikes_after(talks, 1, title="Editors own strike")[0]
    text = after_text(client, talks)
    count = CONTRAST_LIST_LIMIT + 7
    assert f"{count} strikes, at least {2 * (count - 2) + 40} killed" in text
    assert f"Combined missile and drone strike: {count}" in text
    assert text.count('class="contrast-item') == CONTRAST_TOP
    # Editors' own first, then the most killed.
    assert own.title in text and worst.title in text
    day = talks.occurred_at.date()
    assert f"/?track=military&amp;from={day - dt.timedelta(days=3)}" in text


def test_a_quiet_window_lists_every_entry_in_time_order(client, dataset):
    talks = factories.DiplomacyEntryFactory(title="Talks")
    strikes = strikes_after(talks, 3, dataset=dataset, killed=1)
    text = after_text(client, talks)
    assert "3 strikes, at least 3 killed" in text
    positions = [text.index(strike.title) for strike in strikes]
    assert positions == sorted(positions)
    assert "stand out" not in text


def test_the_entry_page_runs_the_same_queries_for_a_quiet_and_a_dense_window(client, dataset):
    counts = []
    for size in (3, CONTRAST_LIST_LIMIT * 3):
        Entry.objects.all().delete()
        talks = factories.DiplomacyEntryFactory(title="Talks")
        strikes_after(talks, size, dataset=dataset, killed=3)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(talks.get_absolute_url()).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_window_totals_count_a_district_inside_its_city_once(client, db):
    ukraine = factories.PlaceFactory(name="Ukraine")
    kyiv = factories.PlaceFactory(name="Kyiv", parent=ukraine)
    pechersk = factories.PlaceFactory(name="Pechersk", parent=kyiv)
    talks = factories.DiplomacyEntryFactory(title="Talks")
    city, district = strikes_after(talks, 2)
    factories.FigureFactory(entry=city, scope=kyiv, best=5)
    factories.FigureFactory(entry=city, scope=pechersk, best=3)
    factories.FigureFactory(entry=district, scope=pechersk, best=2)
    text = after_text(client, talks)
    assert "2 strikes, at least 7 killed" in text
